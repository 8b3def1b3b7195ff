//! The streaming EBML reader on real recordings: Chromium 156 (VP9 and VP8, with and
//! without Opus) and Firefox ESR 153 (VP8 + Opus), about 2.5 s each at a 100 ms
//! timeslice, with the chunk sizes the browser delivered (tests/fixtures, recorded by
//! tests/fixtures/record-fixtures.mjs).
//!
//! - The index does not depend on where the chunks are cut: whole file, the browser's
//!   chunking, every split into two pieces, random splits into many.
//! - It matches what two independent readers say: mkvinfo (mkvtoolnix 74) and ffprobe
//!   (FFmpeg 5.1).
//! - Mutated recordings (bit flips, truncation, inserted and deleted bytes, huge sizes)
//!   never panic, and the header scanner built on the reader answers exactly as the
//!   scanner it replaced (kept below as a reference).
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::ebml::{
    ClusterEntry, EbmlError, EbmlReader, Keyframe, SegmentInfo, Track, TrackKind,
};
use media_recorder_producer::core::webm::{HeaderScanner, ScanResult, MAX_SCAN_BYTES};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::ops::Range;

struct Fixture {
    name: &'static str,
    bytes: &'static [u8],
    /// JSON array of the chunk sizes, in arrival order.
    chunks: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture {
            name: $name,
            bytes: include_bytes!(concat!("fixtures/", $name, ".webm")),
            chunks: include_str!(concat!("fixtures/", $name, ".chunks.json")),
        }
    };
}

const FIXTURES: [Fixture; 5] = [
    fixture!("chromium-vp9-opus"),
    fixture!("chromium-vp9"),
    fixture!("chromium-vp8-opus"),
    fixture!("chromium-vp8"),
    fixture!("firefox-vp8-opus"),
];

fn chunk_sizes(json: &str) -> Vec<usize> {
    json.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|n| n.trim().parse().expect("a chunk size"))
        .collect()
}

/// `bytes` cut into pieces of the given sizes (repeated as needed; the last piece
/// takes what is left).
fn pieces<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// The browser's chunks of a fixture (a Firefox chunk may be empty).
fn real_chunks(f: &Fixture) -> Vec<&'static [u8]> {
    let sizes = chunk_sizes(f.chunks);
    assert_eq!(sizes.iter().sum::<usize>(), f.bytes.len(), "{}", f.name);
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes {
        out.push(&f.bytes[at..at + size]);
        at += size;
    }
    out
}

/// Everything the reader tells, to compare two reads.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    offset: u64,
    error: Option<EbmlError>,
    header: Option<Range<u64>>,
    segment: Option<SegmentInfo>,
    info: Option<Range<u64>>,
    tracks_range: Option<Range<u64>>,
    timecode_scale: u64,
    tracks: Vec<Track>,
    clusters: Vec<ClusterEntry>,
    max_timecode: Option<i64>,
    last_block_end: Option<u64>,
    blocks: u64,
}

fn summary(r: &EbmlReader) -> Summary {
    Summary {
        offset: r.offset(),
        error: r.error(),
        header: r.header_range(),
        segment: r.segment(),
        info: r.info_range(),
        tracks_range: r.tracks_range(),
        timecode_scale: r.timecode_scale(),
        tracks: r.tracks().to_vec(),
        clusters: r.clusters().to_vec(),
        max_timecode: r.max_timecode(),
        last_block_end: r.last_block_end(),
        blocks: r.block_count(),
    }
}

fn read<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> EbmlReader {
    let mut r = EbmlReader::new();
    for chunk in chunks {
        if r.feed(chunk).is_err() {
            break;
        }
    }
    r
}

#[test]
fn the_browsers_chunking_reads_like_the_whole_file() {
    for f in &FIXTURES {
        let whole = read([f.bytes]);
        assert_eq!(whole.error(), None, "{}", f.name);
        assert_eq!(whole.offset(), f.bytes.len() as u64);
        // The recorder stopped cleanly: the stream ends with a complete block.
        assert_eq!(
            whole.last_block_end(),
            Some(f.bytes.len() as u64),
            "{}",
            f.name
        );

        let mut r = EbmlReader::new();
        let mut announced = 0;
        let mut header_ended_in = Vec::new();
        let mut at = 0u64;
        for (i, chunk) in real_chunks(f).into_iter().enumerate() {
            let progress = r.feed(chunk).expect("a real recording reads");
            // A cluster is announced in the chunk where its ID ends.
            for c in &r.clusters()[r.clusters().len() - progress.new_clusters..] {
                assert!(c.offset + 4 > at && c.offset + 4 <= at + chunk.len() as u64);
            }
            announced += progress.new_clusters;
            if progress.header_ended {
                header_ended_in.push(i);
            }
            at += chunk.len() as u64;
        }
        assert_eq!(summary(&r), summary(&whole), "{}", f.name);
        assert_eq!(announced, whole.clusters().len(), "{}", f.name);
        assert_eq!(header_ended_in.len(), 1, "{}", f.name);
    }
}

/// Whether two readers tell the same, without copying (for the hot loop below).
fn same(a: &EbmlReader, b: &EbmlReader) -> bool {
    a.offset() == b.offset()
        && a.error() == b.error()
        && a.header_range() == b.header_range()
        && a.segment() == b.segment()
        && a.info_range() == b.info_range()
        && a.tracks_range() == b.tracks_range()
        && a.timecode_scale() == b.timecode_scale()
        && a.tracks() == b.tracks()
        && a.clusters() == b.clusters()
        && a.max_timecode() == b.max_timecode()
        && a.last_block_end() == b.last_block_end()
        && a.block_count() == b.block_count()
}

/// Every cut in the first 4 KiB of each recording: the header and the first clusters'
/// blocks, where IDs, sizes and block headers are dense (Firefox's audio blocks are
/// about 80 bytes apart). Further on a cut lands mostly inside a frame's payload, which
/// the reader skips in one step whatever its length; the random splits below cover the
/// whole files. (Every cut of every file takes several seconds in a debug build.)
const SPLIT_EVERY_CUT_IN: usize = 4096;

#[test]
fn splits_in_two_read_the_same_and_every_prefix_is_consistent() {
    for f in &FIXTURES {
        let whole = read([f.bytes]);
        // The reader fed the first `cut` bytes one at a time, cloned at each cut and
        // given the rest in one piece: each two-piece split costs one read of the rest.
        let mut prefix = EbmlReader::new();
        for cut in 1..f.bytes.len().min(SPLIT_EVERY_CUT_IN) {
            prefix.feed(&f.bytes[cut - 1..cut]).expect("a prefix reads");
            let mut r = prefix.clone();
            r.feed(&f.bytes[cut..]).expect("the rest reads");
            if !same(&r, &whole) {
                assert_eq!(summary(&r), summary(&whole), "{} cut at {cut}", f.name);
            }

            // What a prefix has indexed is what the whole file says, but for the
            // last cluster, whose Timecode or keyframe may lie past the cut.
            if let Some((last, done)) = prefix.clusters().split_last() {
                assert!(
                    done == &whole.clusters()[..done.len()]
                        && last.offset == whole.clusters()[done.len()].offset,
                    "{} cut at {cut}",
                    f.name
                );
            }
            assert!(prefix.last_block_end().unwrap_or(0) <= cut as u64);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x5EED_EB41),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_splits_read_the_same(
        which in 0..FIXTURES.len(),
        sizes in prop::collection::vec(prop_oneof![1usize..8, 8usize..600, 600usize..9000], 1..64),
    ) {
        let f = &FIXTURES[which];
        let whole = summary(&read([f.bytes]));
        let split = summary(&read(pieces(f.bytes, &sizes)));
        prop_assert_eq!(split, whole);
    }
}

/// Independent figures for each fixture, read with
///   mkvinfo -v -v tests/fixtures/<name>.webm
/// (the offsets of the "Cluster at N" lines; the first "Simple block: key" of a video
/// track in each Cluster) and with
///   ffprobe -v error -show_entries packet=stream_index,pts_time,flags -of csv <file>
/// (packets per stream, the pts of the video packets flagged K, the largest pts).
struct Truth {
    name: &'static str,
    /// (TrackNumber, TrackType, CodecID) — mkvinfo.
    tracks: &'static [(u64, TrackKind, &'static str)],
    /// Offsets of all Clusters — mkvinfo.
    clusters: &'static [u64],
    /// Offsets of the Clusters holding a video keyframe — mkvinfo.
    keyframe_clusters: &'static [u64],
    /// Video keyframe times in ms — ffprobe (flags K on the video stream).
    video_keyframes_ms: &'static [i64],
    /// Packets of the video and the audio stream — ffprobe.
    packets: (u64, u64),
    /// Largest block timestamp in ms — ffprobe's largest pts (for Firefox, mkvinfo:
    /// ffprobe shows 2.499 s because FFmpeg shifts Opus packets by the track's
    /// CodecDelay, 6.5 ms).
    max_ms: i64,
}

const VIDEO_AUDIO: &[(u64, TrackKind, &str)] = &[
    (1, TrackKind::Video, "V_VP8"),
    (2, TrackKind::Audio, "A_OPUS"),
];

const TRUTH: [Truth; 5] = [
    Truth {
        name: "chromium-vp9-opus",
        tracks: &[
            (1, TrackKind::Audio, "A_OPUS"),
            (2, TrackKind::Video, "V_VP9"),
        ],
        clusters: &[
            188, 2853, 4525, 7161, 8734, 10792, 13692, 16199, 19796, 20316, 24049, 27085, 29688,
            32029, 35453, 38119, 40706, 42601, 45015, 45328, 51468, 53521, 55560,
        ],
        keyframe_clusters: &[188, 20316, 45328],
        video_keyframes_ms: &[6, 1049, 2050],
        packets: (50, 41),
        max_ms: 2450,
    },
    Truth {
        name: "chromium-vp9",
        tracks: &[(1, TrackKind::Video, "V_VP9")],
        clusters: &[125, 17513, 37046],
        keyframe_clusters: &[125, 17513, 37046],
        video_keyframes_ms: &[0, 1000, 2000],
        packets: (50, 0),
        max_ms: 2450,
    },
    Truth {
        name: "chromium-vp8-opus",
        tracks: VIDEO_AUDIO,
        clusters: &[
            188, 2779, 5019, 7912, 9314, 12467, 14766, 17680, 21371, 21549, 26993, 30802, 33488,
            36051, 40316, 43386, 47434, 50502, 54379, 54644, 62422, 65704, 69888,
        ],
        keyframe_clusters: &[188, 21549, 54644],
        video_keyframes_ms: &[0, 1000, 2050],
        packets: (50, 41),
        max_ms: 2450,
    },
    Truth {
        name: "chromium-vp8",
        tracks: &[(1, TrackKind::Video, "V_VP8")],
        clusters: &[125, 19191, 48660],
        keyframe_clusters: &[125, 19191, 48660],
        video_keyframes_ms: &[0, 1000, 2050],
        packets: (50, 0),
        max_ms: 2450,
    },
    Truth {
        name: "firefox-vp8-opus",
        tracks: VIDEO_AUDIO,
        clusters: &[313, 12307, 26106],
        // Firefox ignores videoKeyFrameIntervalDuration: one keyframe, at the start.
        keyframe_clusters: &[313],
        video_keyframes_ms: &[0],
        packets: (50, 126),
        max_ms: 2506,
    },
];

#[test]
fn the_index_matches_mkvinfo_and_ffprobe() {
    for (f, truth) in FIXTURES.iter().zip(&TRUTH) {
        assert_eq!(f.name, truth.name);
        let r = read(real_chunks(f));
        assert_eq!(r.error(), None);
        assert_eq!(r.timecode_scale(), 1_000_000, "{}: 1 ms units", f.name);
        let tracks: Vec<(u64, TrackKind, &str)> = r
            .tracks()
            .iter()
            .map(|t| (t.number, t.kind, t.codec_id.as_str()))
            .collect();
        assert_eq!(tracks, truth.tracks, "{}", f.name);

        let offsets: Vec<u64> = r.clusters().iter().map(|c| c.offset).collect();
        assert_eq!(offsets, truth.clusters, "{}", f.name);
        assert_eq!(r.header_end(), Some(truth.clusters[0]));
        assert!(r.clusters().iter().all(|c| c.timecode.is_some()));

        let keyed: Vec<(u64, i64)> = r
            .clusters()
            .iter()
            .filter_map(|c| c.keyframe.map(|k: Keyframe| (c.offset, k.timecode)))
            .collect();
        let expected: Vec<(u64, i64)> = truth
            .keyframe_clusters
            .iter()
            .copied()
            .zip(truth.video_keyframes_ms.iter().copied())
            .collect();
        assert_eq!(keyed, expected, "{}", f.name);

        let blocks = |kind| -> u64 {
            r.tracks()
                .iter()
                .filter(|t| t.kind == kind)
                .map(|t| t.blocks)
                .sum()
        };
        assert_eq!(
            (blocks(TrackKind::Video), blocks(TrackKind::Audio)),
            truth.packets,
            "{}",
            f.name
        );
        assert_eq!(r.block_count(), truth.packets.0 + truth.packets.1);
        assert_eq!(r.max_timecode(), Some(truth.max_ms), "{}", f.name);
    }
}

#[test]
fn header_scanner_on_the_browsers_chunking() {
    for (f, truth) in FIXTURES.iter().zip(&TRUTH) {
        let chunks = real_chunks(f);
        let mut end = 0;
        let holder = chunks
            .iter()
            .position(|c| {
                end += c.len() as u64;
                truth.clusters[0] < end
            })
            .unwrap() as u64;
        let mut s = HeaderScanner::new();
        let mut result = ScanResult::NeedMore;
        for (seq, chunk) in chunks.iter().enumerate() {
            result = s.feed(seq as u64, chunk);
            if result != ScanResult::NeedMore {
                break;
            }
        }
        assert_eq!(
            result,
            ScanResult::HeaderEnd {
                last_seq: holder,
                cluster_offset: truth.clusters[0]
            },
            "{}",
            f.name
        );
    }
}

/// The header scanner as it was before the streaming reader (commit 37c5475): it
/// copies every chunk and re-walks the bytes from 0. The reference the new one must
/// answer exactly like.
mod reference {
    use super::{ScanResult, MAX_SCAN_BYTES};

    const EBML_ID: u32 = 0x1A45_DFA3;
    const SEGMENT_ID: u32 = 0x1853_8067;
    const CLUSTER_ID: u32 = 0x1F43_B675;

    #[derive(Default)]
    pub struct OldScanner {
        bytes: Vec<u8>,
        chunks: Vec<(u64, u64)>,
        done: Option<ScanResult>,
    }

    enum Step {
        Done(u64),
        More,
        Invalid,
    }

    impl OldScanner {
        pub fn feed(&mut self, seq: u64, chunk: &[u8]) -> ScanResult {
            if let Some(done) = self.done {
                return done;
            }
            if self.bytes.len() + chunk.len() > MAX_SCAN_BYTES {
                let take = MAX_SCAN_BYTES.saturating_sub(self.bytes.len());
                self.bytes.extend_from_slice(&chunk[..take]);
            } else {
                self.bytes.extend_from_slice(chunk);
            }
            self.chunks.push((seq, self.bytes.len() as u64));
            let result = match find_first_cluster(&self.bytes) {
                Step::Done(offset) => ScanResult::HeaderEnd {
                    last_seq: self
                        .chunks
                        .iter()
                        // The chunk with the header's last byte (since issue 14's
                        // exact MP4 init segment: a chunk that starts with the
                        // Cluster is not header; before, `offset < *end`).
                        .find(|(_, end)| offset <= *end)
                        .map(|(s, _)| *s)
                        .unwrap_or(seq),
                    cluster_offset: offset,
                },
                Step::Invalid => ScanResult::NotWebm,
                Step::More if self.bytes.len() >= MAX_SCAN_BYTES => ScanResult::NotWebm,
                Step::More => ScanResult::NeedMore,
            };
            if result != ScanResult::NeedMore {
                self.done = Some(result);
            }
            result
        }
    }

    fn read_id(b: &[u8], pos: usize) -> Option<Result<(u32, usize), ()>> {
        let first = *b.get(pos)?;
        let len = first.leading_zeros() as usize + 1;
        if len > 4 {
            return Some(Err(()));
        }
        let bytes = b.get(pos..pos + len)?;
        let id = bytes.iter().fold(0u32, |acc, &x| (acc << 8) | x as u32);
        Some(Ok((id, len)))
    }

    fn read_size(b: &[u8], pos: usize) -> Option<Result<(Option<u64>, usize), ()>> {
        let first = *b.get(pos)?;
        if first == 0 {
            return Some(Err(()));
        }
        let len = first.leading_zeros() as usize + 1;
        let bytes = b.get(pos..pos + len)?;
        let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
        let mut value = (bytes[0] & mask) as u64;
        let mut all_ones = (bytes[0] & mask) == mask;
        for &x in &bytes[1..] {
            value = (value << 8) | x as u64;
            all_ones &= x == 0xFF;
        }
        Some(Ok((if all_ones { None } else { Some(value) }, len)))
    }

    fn find_first_cluster(b: &[u8]) -> Step {
        let mut pos = 0usize;
        let mut in_segment = false;
        let mut first = true;
        loop {
            let (id, id_len) = match read_id(b, pos) {
                None => return Step::More,
                Some(Err(())) => return Step::Invalid,
                Some(Ok(v)) => v,
            };
            if first && id != EBML_ID {
                return Step::Invalid;
            }
            first = false;
            if in_segment && id == CLUSTER_ID {
                return Step::Done(pos as u64);
            }
            let (size, size_len) = match read_size(b, pos + id_len) {
                None => return Step::More,
                Some(Err(())) => return Step::Invalid,
                Some(Ok(v)) => v,
            };
            let body = pos + id_len + size_len;
            if id == SEGMENT_ID && !in_segment {
                in_segment = true;
                pos = body;
                continue;
            }
            match size {
                None => return Step::Invalid,
                Some(n) => match usize::try_from(n).ok().and_then(|n| body.checked_add(n)) {
                    Some(next) => pos = next,
                    None => return Step::Invalid,
                },
            }
            if pos > MAX_SCAN_BYTES {
                return Step::Invalid;
            }
        }
    }
}

/// A damage done to a recording.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    /// Overwrites 8 bytes with an 8-byte size of `value` (up to 2^56 - 1: unknown).
    HugeSize {
        at: usize,
        value: u64,
    },
}

/// Positions: half of them in the first 512 bytes, where the header and the first
/// cluster's structure are; the rest anywhere (reduced modulo the length).
fn position() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..512, any::<usize>()]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (position(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        2 => (position(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        1 => (position(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (position(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => position().prop_map(|at| Mutation::Truncate { at }),
        2 => (position(), prop_oneof![Just((1u64 << 56) - 1), Just((1u64 << 56) - 2), 0u64..(1 << 56)])
            .prop_map(|(at, value)| Mutation::HugeSize { at, value }),
    ]
}

fn mutate(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for m in mutations {
        if b.is_empty() {
            break;
        }
        let len = b.len();
        match m {
            Mutation::FlipBit { at, bit } => b[at % len] ^= 1 << bit,
            Mutation::SetByte { at, value } => b[at % len] = *value,
            Mutation::Insert { at, bytes } => {
                let at = at % len;
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete { at, len: n } => {
                let at = at % len;
                b.drain(at..(at + n).min(len));
            }
            Mutation::Truncate { at } => b.truncate(at % len),
            Mutation::HugeSize { at, value } => {
                let mut size = value.to_be_bytes();
                size[0] = 0x01;
                for (i, byte) in size.iter().enumerate() {
                    if let Some(slot) = b.get_mut(at % len + i) {
                        *slot = *byte;
                    }
                }
            }
        }
    }
    b
}

proptest! {
    // A fixed seed: the same thousand damaged recordings on every run (about half a
    // second in a debug build).
    #![proptest_config(ProptestConfig {
        cases: 1000,
        rng_seed: RngSeed::Fixed(0xF0_22ED),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn damaged_recordings_never_panic_and_scan_as_before(
        which in 0..FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
        sizes in prop::collection::vec(prop_oneof![1usize..6, 6usize..400, 400usize..20000], 1..16),
    ) {
        let bytes = mutate(FIXTURES[which].bytes, &mutations);
        let chunks = pieces(&bytes, &sizes);

        let mut r = EbmlReader::new();
        let mut fed = 0u64;
        let mut failed = None;
        for chunk in &chunks {
            match r.feed(chunk) {
                Ok(_) => {
                    prop_assert!(failed.is_none(), "no success after an error");
                    fed += chunk.len() as u64;
                    prop_assert_eq!(r.offset(), fed);
                }
                Err(e) => {
                    // Sticky: the same error, nothing more read.
                    prop_assert!(failed.is_none() || failed == Some(e));
                    prop_assert_eq!(r.error(), Some(e));
                    failed = Some(e);
                }
            }
        }
        prop_assert!(r.offset() <= bytes.len() as u64);
        prop_assert!(r.last_block_end().unwrap_or(0) <= r.offset());
        prop_assert!(r.clusters().windows(2).all(|w| w[0].offset < w[1].offset));
        prop_assert_eq!(r.header_end(), r.clusters().first().map(|c| c.offset));
        prop_assert!(r.tracks().len() <= media_recorder_producer::core::ebml::MAX_TRACKS);

        let mut new = HeaderScanner::new();
        let mut old = reference::OldScanner::default();
        for (seq, chunk) in chunks.iter().enumerate() {
            let seq = seq as u64;
            prop_assert_eq!(new.feed(seq, chunk), old.feed(seq, chunk), "chunk {}", seq);
        }
    }
}

/// The scan bound: a Cluster ID that ends within MAX_SCAN_BYTES is found, one that does
/// not gives NotWebm, whether the bytes come in one piece or in 64 KiB chunks; the old
/// scanner agrees.
#[test]
fn scan_bound_is_kept() {
    let max = MAX_SCAN_BYTES;
    for cluster_at in (max - 6)..=(max + 1) {
        // EBML header, Segment (unknown size), one Void (8-byte size) up to `cluster_at`.
        let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80];
        b.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        let void_body = (cluster_at - b.len() - 9) as u64;
        b.push(0xEC);
        b.extend(((1u64 << 56) | void_body).to_be_bytes());
        b.resize(cluster_at, 0);
        b.extend([0x1F, 0x43, 0xB6, 0x75, 0x81, 0xE7, 0x81, 0x00]);
        let expected = if cluster_at + 4 <= max {
            ScanResult::HeaderEnd {
                last_seq: (cluster_at / 65536) as u64,
                cluster_offset: cluster_at as u64,
            }
        } else {
            ScanResult::NotWebm
        };
        for size in [b.len(), 65536] {
            let mut new = HeaderScanner::new();
            let mut old = reference::OldScanner::default();
            let mut answer = ScanResult::NeedMore;
            for (seq, chunk) in b.chunks(size).enumerate() {
                answer = new.feed(seq as u64, chunk);
                assert_eq!(
                    answer,
                    old.feed(seq as u64, chunk),
                    "cluster at {cluster_at}"
                );
            }
            let expected = match expected {
                ScanResult::HeaderEnd { cluster_offset, .. } if size == b.len() => {
                    ScanResult::HeaderEnd {
                        last_seq: 0,
                        cluster_offset,
                    }
                }
                other => other,
            };
            assert_eq!(
                answer, expected,
                "cluster at {cluster_at}, chunks of {size}"
            );
        }
    }
}
