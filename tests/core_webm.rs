//! Header-run detection on real Chromium 156 MediaRecorder bytes (tests/fixtures: the
//! first 4 KiB of a recording with and without audio), split at every offset.
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

/// The chunk that holds byte `offset` when the recording is cut at `cuts`.
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
                last_seq: chunk_of(cluster, &[cut]),
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
                last_seq: chunk_of(cluster, &[1, cut]),
                cluster_offset: cluster as u64
            },
            "cuts at 1 and {cut}"
        );
    }
    // Byte by byte: the ID split over up to four chunks.
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        scan(&singles),
        ScanResult::HeaderEnd {
            last_seq: cluster as u64,
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
