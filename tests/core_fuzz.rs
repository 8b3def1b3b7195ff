//! Fuzzing at scale, the `cargo test` share: 10 000 mutated recordings per parser (the
//! EBML reader, the header scan, the MP4 index, and makeSeekable's container index),
//! from the same seeds as the first 10 000 of `npm run fuzz`'s million (the engine is
//! tests/fuzz/mod.rs). Every input: no panic, whole and chunked feeds agree, what comes
//! back stays within the input, and the bytes a parser holds at its peak stay within
//! `8 × input length + 64 KiB` (a counting global allocator, per thread).
#![cfg(not(target_arch = "wasm32"))]

mod fuzz;

use fuzz::{Counting, Parser};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The run seed shared with `examples/fuzz.rs` (its default).
const RUN: u64 = 0x5EED_F022;
const INPUTS: u64 = 10_000;

fn fuzz(parser: Parser) {
    // Panics are caught and reported by seed; keep the default hook's noise out.
    std::panic::set_hook(Box::new(|_| {}));
    let s = fuzz::run(parser, RUN, INPUTS, |_, _| {});
    let _ = std::panic::take_hook();
    eprintln!(
        "{}: {} inputs, {:.1} MB, {:.2} s, peak {} B above a {} B input, max ratio {:.2}, largest allocation {} B",
        parser.name(),
        s.inputs,
        s.bytes as f64 / 1e6,
        s.seconds,
        s.max_peak.peak,
        s.max_peak.len,
        s.max_ratio,
        s.largest
    );
    assert!(
        s.failures.is_empty(),
        "{} failures; replay with `cargo run --release --example fuzz -- --replay {} <seed>`: {:#x?}",
        s.failures.len(),
        parser.name(),
        s.failures
    );
}

#[test]
fn ebml_reader() {
    fuzz(Parser::Ebml);
}

#[test]
fn header_scan() {
    fuzz(Parser::HeaderScan);
}

#[test]
fn mp4_index() {
    fuzz(Parser::Mp4);
}

#[test]
fn container_index() {
    fuzz(Parser::Container);
}

// ---------------------------------------------------------------------------------
// What the fuzzing found, and the bound's own test.

const AVC1: &[u8] = include_bytes!("fixtures/chromium-avc1-opus.mp4");
const VP9: &[u8] = include_bytes!("fixtures/chromium-vp9.webm");

fn find(b: &[u8], what: &[u8]) -> usize {
    b.windows(what.len()).position(|w| w == what).unwrap()
}

/// Found by `npm run fuzz` (mp4 case 0x4a724f42555439ab: 10 s in a release build): a
/// `trun` without per-sample fields declared 3 879 052 828 samples in 184 bytes and the
/// index summed their default durations one by one. Now one pass stands for them all.
#[test]
fn a_trun_declaring_four_billion_samples_is_not_walked_one_by_one() {
    let mut b = AVC1.to_vec();
    // Every track's default sample duration (trex) 1.
    let mut at = 0;
    while let Some(i) = b[at..].windows(4).position(|w| w == b"trex") {
        let trex = at + i;
        b[trex + 16..trex + 20].copy_from_slice(&1u32.to_be_bytes());
        at = trex + 4;
    }
    // The first trun: data offset only, u32::MAX samples.
    let trun = find(&b, b"trun");
    b[trun + 4..trun + 8].copy_from_slice(&1u32.to_be_bytes());
    b[trun + 8..trun + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    let start = std::time::Instant::now();
    let mut m = media_recorder_producer::core::mp4::Mp4Index::new();
    let _ = m.feed(&b);
    // Before the fix this took minutes in a debug build; now microseconds. (The bound
    // is loose on purpose: a loaded machine must not fail it.)
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    assert_eq!(m.fragments()[0].trafs[0].duration, u64::from(u32::MAX));
}

/// Found by the fuzzer: `Mp4Index::stable_ranges` answered for a fragment whose `mdat`
/// header had been read but not its bytes (its declared end may even lie past the
/// file), although its docs say `None` until the fragment is complete.
#[test]
fn a_fragment_has_stable_ranges_only_once_complete() {
    let mut m = media_recorder_producer::core::mp4::Mp4Index::new();
    // Up to the middle of the first mdat (the first fragment is 1220..8806).
    m.feed(&AVC1[..5000]).unwrap();
    let end = m.fragments()[0].end.unwrap();
    assert!(end > 5000);
    assert_eq!(m.stable_ranges(0), None);
    m.feed(&AVC1[5000..end as usize]).unwrap();
    let ranges = m.stable_ranges(0).unwrap();
    assert!(ranges.iter().all(|r| r.end <= end), "{ranges:?}");
}

/// Found by the fuzzer: `ContainerIndex::seekable` made a file from an MP4 index that
/// had failed (WebM's, and the MP4 snapshot, refuse). makeSeekable checked `failure()`
/// first, so the browser never saw it; the core now answers the same way for both.
#[test]
fn a_failed_mp4_index_makes_no_seekable_file() {
    use media_recorder_producer::core::container::ContainerIndex;
    // Two complete fragments (1220..16358), then a box smaller than its header.
    let mut b = AVC1[..16358].to_vec();
    b.extend([0, 0, 0, 4, b'f', b'r', b'e', b'e']);
    let mut index = ContainerIndex::for_bytes(&b);
    index.feed(&b);
    assert!(index.failure().is_some());
    let e = index.seekable().unwrap_err();
    assert_eq!(Some(e), index.failure());
}

/// The memory bound catches a parser that reserves what a length field declares before
/// those bytes exist: a `moov` (MP4) and a Tracks element (WebM) that claim 1 MiB (as
/// much as either reader keeps) in inputs that end far sooner. The real readers stay
/// within the bound; the same reading after `Vec::with_capacity(declared)` does not.
#[test]
fn the_bound_catches_an_allocation_sized_by_a_declared_length() {
    use media_recorder_producer::core::ebml::EbmlReader;
    use media_recorder_producer::core::mp4::{Mp4Index, MAX_BOX};

    let declared = MAX_BOX;
    // MP4: the whole recording, its moov claiming 1 MiB.
    let mut mp4 = AVC1.to_vec();
    let moov = find(&mp4, b"moov");
    mp4[moov - 4..moov].copy_from_slice(&(declared as u32).to_be_bytes());
    // WebM: the whole recording, its Tracks claiming 1 MiB (an 8-byte size).
    let mut webm = VP9.to_vec();
    let tracks = find(&webm, &[0x16, 0x54, 0xAE, 0x6B]) + 4;
    let old = webm[tracks].leading_zeros() as usize + 1;
    let mut size = (declared as u64).to_be_bytes();
    size[0] = 0x01;
    webm.splice(tracks..tracks + old, size);

    let mp4_read = |reserve: bool| {
        let (_, peak, _) = fuzz::measure(|| {
            let held: Vec<u8> = Vec::with_capacity(if reserve { declared } else { 0 });
            let mut m = Mp4Index::new();
            let _ = m.feed(&mp4);
            (held, m)
        });
        peak
    };
    let webm_read = |reserve: bool| {
        let (_, peak, _) = fuzz::measure(|| {
            let held: Vec<u8> = Vec::with_capacity(if reserve { declared } else { 0 });
            let mut r = EbmlReader::new();
            let _ = r.feed(&webm);
            (held, r)
        });
        peak
    };
    for (name, len, read) in [
        ("mp4", mp4.len(), &mp4_read as &dyn Fn(bool) -> usize),
        ("webm", webm.len(), &webm_read),
    ] {
        let bound = fuzz::memory_bound(len);
        let (honest, greedy) = (read(false), read(true));
        eprintln!(
            "{name}: {len} B input, bound {bound} B: reader {honest} B, reserving {greedy} B"
        );
        assert!(honest <= bound, "{name}: {honest} > {bound}");
        assert!(greedy > bound, "{name}: {greedy} <= {bound}");
    }
}

/// Beyond the bound: inputs crafted as floods of the smallest unit (an 8-byte Cluster,
/// an 8-byte `moof` + 8-byte `mdat`) after a real header. The indexes grow by one entry
/// per unit, linear in the input but more than 8 bytes per input byte: measured 20.6 ×
/// (WebM, 20 000 Clusters: an entry of ~80 B per 8 B, with the Vec's doubling) and
/// 8.7 × (MP4, with the seekable file's and the snapshot's per-fragment parts). Mutation
/// never made such a flood in 4 million inputs; this pins the per-unit cost.
#[test]
fn unit_floods_cost_a_bounded_index_per_unit() {
    use media_recorder_producer::core::container::ContainerIndex;
    let cluster = find(VP9, &[0x1F, 0x43, 0xB6, 0x75]);
    let mut webm = VP9[..cluster].to_vec();
    let mut mp4 = AVC1[..1220].to_vec(); // the init segment
    for _ in 0..20_000 {
        webm.extend([0x1F, 0x43, 0xB6, 0x75, 0x83, 0xE7, 0x81, 0x00]);
        mp4.extend([
            0, 0, 0, 8, b'm', b'o', b'o', b'f', 0, 0, 0, 8, b'm', b'd', b'a', b't',
        ]);
    }
    for (name, b) in [("webm", &webm), ("mp4", &mp4)] {
        let (units, peak, _) = fuzz::measure(|| {
            let mut index = ContainerIndex::for_bytes(b);
            index.feed(b);
            let _ = index.seekable();
            let _ = index.snapshot(0..b.len() as u64, None);
            index.stable_ranges(0).1
        });
        eprintln!(
            "{name} flood: {units} units, {} B, peak {peak} B ({:.1} ×)",
            b.len(),
            peak as f64 / b.len() as f64
        );
        assert!(units >= 19_999, "{name}: {units}");
        assert!(peak <= 24 * b.len() + 64 * 1024, "{name}: {peak} B");
    }
}
