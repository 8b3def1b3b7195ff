//! The fragmented-MP4 index (`core::mp4::Mp4Index`) on real Chromium recordings:
//! - it finds the same fragments whatever the chunk edges;
//! - its seekable file has durations, a `mehd` and a `sidx` that parse back, keeps the
//!   fragments byte for byte, and ffprobe/ffmpeg read a duration within 10 % and seek;
//! - a snapshot starts at a keyframe fragment with every `tfdt` rebased to a common 0;
//! - mutated bytes never panic.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use host::{assemble, decodes_cleanly, mutate, probe_duration, temp_file};
use media_recorder_producer::core::container::Part;
use media_recorder_producer::core::mp4::{Mp4Index, Traf};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const FIXTURES: [(&str, &[u8]); 2] = [
    (
        "chromium-avc1-opus",
        include_bytes!("fixtures/chromium-avc1-opus.mp4"),
    ),
    (
        "chromium-vp9-mp4",
        include_bytes!("fixtures/chromium-vp9-mp4.mp4"),
    ),
];

fn index(bytes: &[u8]) -> Mp4Index {
    let mut m = Mp4Index::new();
    m.feed(bytes).unwrap();
    m
}

/// Boxes of `b[from..to]`: (type, start, body start, end).
fn boxes(b: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let size = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = b[at + 4..at + 8].try_into().unwrap();
        assert!(size >= 8 && at + size <= to, "box {:?} at {at}", kind);
        out.push((kind, at, at + 8, at + size));
        at += size;
    }
    assert_eq!(at, to, "boxes end where their parent does");
    out
}

fn find(b: &[u8], from: usize, to: usize, path: &[&[u8; 4]]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (k, _, body, end) in boxes(b, from, to) {
        if &k == path[0] {
            if path.len() == 1 {
                out.push((body, end));
            } else {
                out.extend(find(b, body, end, &path[1..]));
            }
        }
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap()).into()
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// Every tfdt of a file: (track, time).
fn tfdts(file: &[u8]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for (traf, end) in find(file, 0, file.len(), &[b"moof", b"traf"]) {
        let tfhd = find(file, traf, end, &[b"tfhd"])[0].0;
        let track = u32_at(file, tfhd + 4);
        let (t, _) = find(file, traf, end, &[b"tfdt"])[0];
        let time = if file[t] == 1 {
            u64_at(file, t + 4)
        } else {
            u32_at(file, t + 4)
        };
        out.push((track, time));
    }
    out
}

/// The header parses back: mvhd and mehd durations (movie units) agree, the sidx has a
/// keyframe reference per fragment whose sizes add up to the fragments' bytes.
fn check_header(name: &str, file: &[u8], header_len: usize, fragments: usize) -> f64 {
    let (mvhd, _) = find(file, 0, header_len, &[b"moov", b"mvhd"])[0];
    let (ts, dur) = if file[mvhd] == 1 {
        (u32_at(file, mvhd + 20), u64_at(file, mvhd + 24))
    } else {
        (u32_at(file, mvhd + 12), u32_at(file, mvhd + 16))
    };
    let (mehd, _) = find(file, 0, header_len, &[b"moov", b"mvex", b"mehd"])[0];
    assert_eq!(u64_at(file, mehd + 4), dur, "{name}: mehd = mvhd duration");
    assert!(dur > 0, "{name}: a duration");
    let (sidx, sidx_end) = find(file, 0, header_len, &[b"sidx"])[0];
    assert_eq!(sidx_end, header_len, "{name}: the sidx ends the header");
    let count = u32_at(file, sidx + 28) & 0xFFFF;
    assert_eq!(
        count as usize, fragments,
        "{name}: a reference per fragment"
    );
    let mut total = 0;
    for i in 0..count as usize {
        let r = sidx + 32 + i * 12;
        total += u32_at(file, r) & 0x7FFF_FFFF;
        assert_eq!(
            u32_at(file, r + 8) >> 28,
            0x9,
            "{name}: starts with a SAP of type 1"
        );
    }
    assert_eq!(
        total as usize,
        file.len() - header_len,
        "{name}: sizes add up"
    );
    dur as f64 / ts as f64
}

/// ffprobe's duration of `file` (s), after checking that ffprobe says nothing else and
/// that ffmpeg decodes it without a word, from the start and from `seek` s.
fn probe(name: &str, file: &[u8], seek: f64) -> f64 {
    let path = temp_file(name, "mp4", file);
    let d = probe_duration(name, &path);
    decodes_cleanly(name, &path, Some(seek));
    let _ = std::fs::remove_file(&path);
    d
}

#[test]
fn fragments_of_a_chromium_recording() {
    let m = index(FIXTURES[0].1);
    let f = m.fragments();
    assert_eq!(f.len(), 3);
    assert_eq!(
        f.iter().map(|f| (f.offset, f.end)).collect::<Vec<_>>(),
        [
            (1220, Some(16358)),
            (16358, Some(33539)),
            (33539, Some(40597))
        ]
    );
    assert!(f.iter().all(|f| f.keyframe), "each starts with a keyframe");
    let times = |t: u32| -> Vec<u64> {
        f.iter()
            .map(|f| f.trafs.iter().find(|x| x.track == t).unwrap().time)
            .collect()
    };
    assert_eq!(times(1), [0, 51840, 100800], "audio (48 kHz)");
    assert_eq!(times(2), [0, 20627, 41594], "video");
    let t: &Traf = &f[0].trafs[0];
    assert_eq!((t.track, t.time_at), (1, 1272 + 12));
    assert_eq!(
        m.tracks()
            .iter()
            .map(|t| (t.id, t.timescale, t.video))
            .collect::<Vec<_>>(),
        [(1, 48000, false), (2, 20000, true)]
    );
}

#[test]
fn every_split_finds_the_same_fragments() {
    for (name, bytes) in FIXTURES {
        let whole = index(bytes);
        for cut in 0..=bytes.len() {
            let mut m = Mp4Index::new();
            m.feed(&bytes[..cut]).unwrap();
            m.feed(&bytes[cut..]).unwrap();
            assert_eq!(m.fragments(), whole.fragments(), "{name} cut at {cut}");
            assert_eq!(m.tracks(), whole.tracks(), "{name} cut at {cut}");
        }
        let mut m = Mp4Index::new();
        for b in bytes.chunks(1) {
            m.feed(b).unwrap();
        }
        assert_eq!(m.fragments(), whole.fragments(), "{name} byte by byte");
    }
}

#[test]
fn seekable_output_parses_back_and_probes_clean() {
    for (name, bytes) in FIXTURES {
        let m = index(bytes);
        let s = m.seekable().unwrap();
        let mut file = s.header.clone();
        file.extend(&bytes[s.body.start as usize..s.body.end as usize]);
        assert_eq!(s.body.end as usize, bytes.len(), "{name}: every fragment");
        let dur = check_header(name, &file, s.header.len(), m.fragments().len());
        assert!((dur * 1000.0 - s.duration_ms).abs() < 1.0, "{name}");
        let probed = probe(&format!("{name}-seekable"), &file, dur / 2.0);
        assert!(
            (probed - dur).abs() <= dur * 0.1,
            "{name}: ffprobe {probed} s, written {dur} s"
        );
        // The original's own duration, as ffprobe reads it by walking the fragments.
        let truth = probe(&format!("{name}-original"), bytes, 0.0);
        assert!(
            (truth - dur).abs() <= truth * 0.1,
            "{name}: {dur} s vs {truth} s"
        );
        // The fragments are unchanged, and the rest of the header is the original's.
        assert_eq!(tfdts(&file), tfdts(bytes), "{name}");
    }
}

#[test]
fn a_snapshot_starts_at_a_keyframe_fragment_at_time_zero() {
    let (name, bytes) = FIXTURES[0];
    let m = index(bytes);
    let all = 0..bytes.len() as u64;
    // The last second: from the second fragment (video at 1.031 s) on.
    let s = m.snapshot(all.clone(), Some(1000.0)).unwrap();
    let file = assemble(&s.header, &s.parts, bytes);
    let moofs = find(&file, 0, file.len(), &[b"moof"]);
    assert_eq!(moofs.len(), 2);
    // A common 0: video's 20627/20000 s; audio's base is 49504 (48 kHz, rounded down).
    assert_eq!(
        tfdts(&file),
        [
            (1, 51840 - 49504),
            (2, 0),
            (1, 100800 - 49504),
            (2, 41594 - 20627)
        ]
    );
    assert!((s.start_ms - 1031.35).abs() < 0.01, "{}", s.start_ms);
    let dur = check_header(name, &file, s.header.len(), 2);
    // Seeks to a third: at the half (0.7245 s, 1.7555 s in the recording) FFmpeg's null
    // muxer reports a non-monotonic audio dts after the seek, for the original
    // recording from Chromium as well.
    let probed = probe(&format!("{name}-snapshot"), &file, dur / 3.0);
    assert!(
        (probed - dur).abs() <= dur * 0.1,
        "ffprobe {probed} s, written {dur} s"
    );
    assert!((1.3..1.6).contains(&dur), "{dur} s");
    // Only the tfdt values are written; the rest are the recording's bytes.
    let written: usize = s
        .parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => b.len(),
            Part::Range(_) => 0,
        })
        .sum();
    assert_eq!(written, 4 * 8, "two 64-bit tfdt per fragment");

    // Everything held: from the first fragment, nothing to rebase: the original bytes.
    let s = m.snapshot(all, None).unwrap();
    let file = assemble(&s.header, &s.parts, bytes);
    assert_eq!(&file[s.header.len()..], &bytes[1220..]);
    // Each tfdt is a part of its own, so the ranges between are the same in every
    // snapshot: the index's stable ranges.
    let ranges: Vec<_> = (0..3).flat_map(|i| m.stable_ranges(i).unwrap()).collect();
    let kept: Vec<_> = s
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Range(r) => Some(r.clone()),
            Part::Bytes(_) => None,
        })
        .collect();
    assert_eq!(kept, ranges);
    // Held from the middle of the first fragment: it is left out.
    let s = m.snapshot(2000..bytes.len() as u64, None).unwrap();
    assert_eq!(tfdts(&assemble(&s.header, &s.parts, bytes))[1], (2, 0));
    // Nothing complete held: a typed error.
    assert!(m.snapshot(2000..20_000, None).is_err());
}

#[test]
fn what_it_cannot_index() {
    let webm = include_bytes!("fixtures/chromium-vp9.webm");
    let e = Mp4Index::new().feed(webm).unwrap_err();
    assert!(e.to_string().starts_with("not an MP4"), "{e}");
    assert_eq!(e.offset, 0);
    // An mdat right after the moov: a plain (not fragmented) MP4.
    let bytes = FIXTURES[0].1;
    let mut plain = bytes[..1220].to_vec();
    plain.extend([0, 0, 0, 8, b'm', b'd', b'a', b't']);
    let e = Mp4Index::new().feed(&plain).unwrap_err();
    assert_eq!(e.offset, 1220, "{e}");
    // Cut short: what is complete is kept.
    let m = index(&bytes[..30_000]);
    assert_eq!(m.fragments().len(), 2);
    assert_eq!(m.seekable().unwrap().body, 1220..16358);
    // Only the init segment: no fragment to make a file of.
    assert!(index(&bytes[..1300]).seekable().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x3d4),
        timeout: 20_000,
        ..ProptestConfig::default()
    })]
    /// Mutated recordings never panic: a file or a typed error, and a file's parts stay
    /// within the bytes.
    #[test]
    fn mutated_recordings_never_panic(
        which in 0usize..2,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = mutate(FIXTURES[which].1, flips, cut);
        let mut m = Mp4Index::new();
        let _ = m.feed(&bytes);
        if let Ok(s) = m.seekable() {
            prop_assert!(s.body.end as usize <= bytes.len());
        }
        if let Ok(s) = m.snapshot(0..bytes.len() as u64, Some(1000.0)) {
            for p in &s.parts {
                if let Part::Range(r) = p {
                    prop_assert!(r.start <= r.end && r.end as usize <= bytes.len());
                }
            }
        }
    }
}
