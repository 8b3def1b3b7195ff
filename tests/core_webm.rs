//! Header-run detection on real Chromium 156 MediaRecorder bytes (tests/fixtures: the
//! first 4 KiB of a WebM recording with and without audio; two whole fragmented MP4
//! recordings), split at every offset.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::webm::{HeaderScanner, ScanResult};

const AV: &[u8] = include_bytes!("fixtures/chromium-av-head.webm");
const VIDEO: &[u8] = include_bytes!("fixtures/chromium-video-head.webm");

fn scan(chunks: &[&[u8]]) -> ScanResult {
    let mut s = HeaderScanner::new();
    let mut r = ScanResult::NeedMore;
    for (i, c) in chunks.iter().enumerate() {
        r = s.feed(i as u64, c);
        if r != ScanResult::NeedMore {
            break;
        }
    }
    r
}

/// The chunk that holds byte `offset` when the recording is cut at `cuts` (the header
/// run ends with the chunk holding the header's last byte, `cluster - 1`).
fn chunk_of(offset: usize, cuts: &[usize]) -> u64 {
    cuts.iter().filter(|&&c| c <= offset).count() as u64
}

fn check_every_split(bytes: &[u8], cluster: usize) {
    // Whole.
    assert_eq!(
        scan(&[bytes]),
        ScanResult::HeaderEnd {
            last_seq: 0,
            cluster_offset: cluster as u64
        }
    );
    // One cut anywhere (Chromium's first chunk is 1 byte: the cut at 1).
    for cut in 1..bytes.len() {
        let r = scan(&[&bytes[..cut], &bytes[cut..]]);
        assert_eq!(
            r,
            ScanResult::HeaderEnd {
                last_seq: chunk_of(cluster - 1, &[cut]),
                cluster_offset: cluster as u64
            },
            "cut at {cut}"
        );
    }
    // Chromium's shape: 1 byte, then a cut anywhere around the header's end.
    for cut in 2..(cluster + 16) {
        let r = scan(&[&bytes[..1], &bytes[1..cut], &bytes[cut..]]);
        assert_eq!(
            r,
            ScanResult::HeaderEnd {
                last_seq: chunk_of(cluster - 1, &[1, cut]),
                cluster_offset: cluster as u64
            },
            "cuts at 1 and {cut}"
        );
    }
    // Byte by byte: the ID (MP4: the box header) split over up to eight chunks.
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        scan(&singles),
        ScanResult::HeaderEnd {
            last_seq: cluster as u64 - 1,
            cluster_offset: cluster as u64
        }
    );
}

#[test]
fn audio_video_recording_header_ends_at_189() {
    check_every_split(AV, 189);
}

#[test]
fn video_only_recording_header_ends_at_126() {
    check_every_split(VIDEO, 126);
}

#[test]
fn truncated_header_needs_more() {
    assert_eq!(scan(&[&AV[..150]]), ScanResult::NeedMore);
}

// Fragmented MP4 (ftyp, moov, then moof+mdat pairs). The offsets of the first moof come
// from a walk of the top-level boxes (ftyp 36 B, then moov) and agree with the first
// chunk Chromium handed out (chunks.json): its MP4 muxer emits the init segment alone.
const MP4_AVC1_OPUS: &[u8] = include_bytes!("fixtures/chromium-avc1-opus.mp4");
const MP4_VP9: &[u8] = include_bytes!("fixtures/chromium-vp9-mp4.mp4");

#[test]
fn mp4_h264_opus_init_segment_ends_at_1220() {
    check_every_split(MP4_AVC1_OPUS, 1220);
    // Chromium's own chunking: the init segment is exactly the first chunk.
    let sizes: Vec<usize> = include_str!("fixtures/chromium-avc1-opus.chunks.json")
        .trim()
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let mut chunks = Vec::new();
    let mut at = 0;
    for n in sizes {
        chunks.push(&MP4_AVC1_OPUS[at..at + n]);
        at += n;
    }
    assert_eq!(
        scan(&chunks),
        ScanResult::HeaderEnd {
            last_seq: 0,
            cluster_offset: 1220
        }
    );
}

#[test]
fn mp4_vp9_init_segment_ends_at_731() {
    check_every_split(MP4_VP9, 731);
}

#[test]
fn a_truncated_or_damaged_mp4_is_not_walked_and_never_panics() {
    // Cut inside the moov: no answer yet.
    assert_eq!(scan(&[&MP4_VP9[..500]]), ScanResult::NeedMore);
    // The moov's size damaged to 3 (smaller than a box header): not walkable.
    let mut bad = MP4_VP9.to_vec();
    bad[36..40].copy_from_slice(&3u32.to_be_bytes());
    assert_eq!(scan(&[&bad]), ScanResult::NotWebm);
    // Every single byte of the init segment flipped: an answer or NeedMore, no panic.
    for i in 0..731 {
        let mut m = MP4_VP9.to_vec();
        m[i] ^= 0xFF;
        let _ = scan(&[&m[..i + 1], &m[i + 1..]]);
    }
}
