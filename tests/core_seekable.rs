//! The seekable header on real recordings (tests/fixtures: Chromium 156 VP9/VP8 with
//! and without Opus, Firefox ESR 153 VP8 + Opus).
//!
//! - The output reads back: an EBML header, a Segment (of unknown size, as the
//!   Clusters inside it are), a SeekHead whose positions land on Info, Tracks and Cues, a Duration
//!   close to the last block's time, and one CuePoint per keyframe Cluster, each
//!   landing on a Cluster whose Timecode matches.
//! - Making the output seekable again gives the same bytes (idempotent).
//! - ffprobe (FFmpeg, installed by scripts/setup.sh) reads a finite duration within
//!   10 % of the truth and decodes every packet without an error.
//! - Truncated or foreign bytes give a typed error, never a panic.
//! - Snapshots (instant replay) of a longer recording made from the fixtures: the last
//!   N seconds start at a keyframe Cluster, at time 0, use only the bytes still held,
//!   and ffprobe/ffmpeg read a duration within 10 % and decode them cleanly.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use host::{mutate, probe_duration};
use media_recorder_producer::core::container::{Part, Seekable, Snapshot};
use media_recorder_producer::core::ebml::writer::elements;
use media_recorder_producer::core::ebml::{id, seekable, snapshot, EbmlError, EbmlReader};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const FIXTURES: [(&str, &[u8]); 5] = [
    (
        "chromium-vp9-opus",
        include_bytes!("fixtures/chromium-vp9-opus.webm"),
    ),
    ("chromium-vp9", include_bytes!("fixtures/chromium-vp9.webm")),
    (
        "chromium-vp8-opus",
        include_bytes!("fixtures/chromium-vp8-opus.webm"),
    ),
    ("chromium-vp8", include_bytes!("fixtures/chromium-vp8.webm")),
    (
        "firefox-vp8-opus",
        include_bytes!("fixtures/firefox-vp8-opus.webm"),
    ),
];

/// Reads `bytes` in pieces of `slice` bytes, as `makeSeekable` reads a Blob.
fn make(bytes: &[u8], slice: usize) -> Result<(Seekable, Vec<u8>), EbmlError> {
    let mut reader = EbmlReader::new();
    for piece in bytes.chunks(slice) {
        reader.feed(piece)?;
    }
    let s = seekable(bytes, &reader)?;
    let mut file = s.header.clone();
    file.extend_from_slice(&bytes[s.body.start as usize..s.body.end as usize]);
    Ok((s, file))
}

fn uint(b: &[u8]) -> u64 {
    b.iter().fold(0, |v, x| (v << 8) | u64::from(*x))
}

/// The Segment's children, their offsets relative to its data start.
fn segment_children(file: &[u8]) -> (usize, Vec<(u32, usize, std::ops::Range<usize>)>) {
    let (top, _) = elements(file);
    assert_eq!(top[0].id, id::EBML);
    let at = top[0].whole.end;
    // Segment, with MediaRecorder's 8-byte "unknown" size.
    assert_eq!(
        &file[at..at + 12],
        &[0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    );
    let data = at + 12;
    let seg = &file[data..];
    // Children up to the first (unknown-size) Cluster are whole elements.
    let mut out = Vec::new();
    let (children, _) = elements(seg);
    for c in children {
        out.push((c.id, c.whole.start, c.body.clone()));
    }
    (data, out)
}

#[test]
fn fixtures_become_seekable_and_read_back() {
    for (name, bytes) in FIXTURES {
        let (s, file) = make(bytes, 64 * 1024).unwrap();
        let (data, children) = segment_children(&file);
        let seg = &file[data..];
        let find = |want: u32| children.iter().find(|c| c.0 == want).cloned();

        // SeekHead points at Info, Tracks and Cues.
        let (_, _, seek_body) = find(id::SEEK_HEAD).expect("SeekHead");
        let (seeks, _) = elements(&seg[seek_body.clone()]);
        assert_eq!(seeks.len(), 3, "{name}");
        for seek in seeks {
            let body = &seg[seek_body.start + seek.body.start..seek_body.start + seek.body.end];
            let (fields, _) = elements(body);
            let target = uint(&body[fields[0].body.clone()]) as u32;
            let pos = uint(&body[fields[1].body.clone()]) as usize;
            let (at, _) = elements(&seg[pos..]);
            assert_eq!(
                at[0].id, target,
                "{name}: SeekPosition lands on its element"
            );
        }

        // Info carries the Duration.
        let (_, _, info) = find(id::INFO).expect("Info");
        let (info_children, _) = elements(&seg[info.clone()]);
        let d = info_children
            .iter()
            .find(|c| c.id == 0x4489)
            .expect("Duration");
        let duration = f64::from_bits(uint(
            &seg[info.start + d.body.start..info.start + d.body.end],
        ));
        assert!(
            (duration - s.duration_ms).abs() < 1e-6,
            "{name}: scale 1 ms"
        );
        assert!(
            duration > 2000.0 && duration < 4000.0,
            "{name}: {duration} ms for ~2.5 s"
        );

        // Every CuePoint lands on a Cluster whose Timecode is at or before the cue time.
        let (_, cues_at, cues) = find(id::CUES).expect("Cues");
        let (points, _) = elements(&seg[cues.clone()]);
        assert_eq!(points.len(), s.cues, "{name}");
        assert!(s.cues >= 1, "{name}: at least the first keyframe");
        let mut last_time = None;
        for p in points {
            let pb = &seg[cues.start + p.body.start..cues.start + p.body.end];
            let (f, _) = elements(pb);
            assert_eq!(f[0].id, 0xB3);
            let time = uint(&pb[f[0].body.clone()]);
            assert!(
                last_time.map_or(true, |t| time >= t),
                "{name}: cue times rise"
            );
            last_time = Some(time);
            let (tp, _) = elements(&pb[f[1].body.clone()]);
            let tpb = &pb[f[1].body.clone()];
            let pos = uint(&tpb[tp[1].body.clone()]) as usize;
            assert!(pos > cues_at, "{name}: the Clusters come after the Cues");
            assert_eq!(
                &seg[pos..pos + 4],
                &[0x1F, 0x43, 0xB6, 0x75],
                "{name}: a Cluster"
            );
            // Its Timecode (the Cluster's first child, after a 4-byte ID and its size).
            let size_len = seg[pos + 4].leading_zeros() as usize + 1;
            let (tc, _) = elements(&seg[pos + 4 + size_len..]);
            assert_eq!(tc[0].id, 0xE7);
            let cluster_time = uint(
                &seg[pos + 4 + size_len + tc[0].body.start..pos + 4 + size_len + tc[0].body.end],
            );
            assert!(cluster_time <= time, "{name}");
        }

        // The body is the original's, byte for byte.
        assert_eq!(
            &file[s.header.len()..],
            &bytes[s.body.start as usize..s.body.end as usize]
        );

        // Idempotent: the output made seekable again is the same file.
        let (_, again) = make(&file, 4096).unwrap();
        assert_eq!(again, file, "{name}: idempotent");
    }
}

#[test]
fn the_slice_size_does_not_change_the_output() {
    for (name, bytes) in FIXTURES {
        let (_, whole) = make(bytes, bytes.len()).unwrap();
        for slice in [1, 7, 1000, 65_536] {
            assert_eq!(make(bytes, slice).unwrap().1, whole, "{name} at {slice}");
        }
    }
}

#[test]
fn ffprobe_reads_a_finite_duration_and_decodes_cleanly() {
    if std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_err()
    {
        // scripts/setup.sh installs FFmpeg; `npm test` runs after it.
        panic!("ffprobe is not installed (scripts/setup.sh installs it)");
    }
    for (name, bytes) in FIXTURES {
        let (s, file) = make(bytes, 65_536).unwrap();
        let path = temp_file(name, &file);
        let probed = probe_duration(name, &path);
        let truth = s.duration_ms / 1000.0;
        assert!(
            (probed - truth).abs() <= truth * 0.1,
            "{name}: ffprobe {probed} s vs {truth} s"
        );
        // And it seeks: a decode from the middle starts without an error.
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-ss", &format!("{:.3}", truth / 2.0), "-i"])
            .arg(&path)
            .args(["-frames:v", "3", "-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: seek: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn bad_bytes_give_typed_errors() {
    let (_, bytes) = FIXTURES[0];
    // Not WebM.
    let mut r = EbmlReader::new();
    let e = r
        .feed(b"RIFF....WAVEfmt ")
        .err()
        .or_else(|| seekable(b"", &r).err());
    assert!(matches!(e, Some(EbmlError::NotEbml { .. })), "{e:?}");
    // Only a header: no Cluster.
    let mut r = EbmlReader::new();
    r.feed(&bytes[..100]).unwrap();
    assert!(matches!(
        seekable(&bytes[..100], &r),
        Err(EbmlError::Missing {
            id: id::CLUSTER,
            ..
        })
    ));
    // Cut in the middle: what is complete is kept.
    let cut = &bytes[..bytes.len() / 2];
    let (s, _) = make(cut, 1000).unwrap();
    assert!(s.body.end <= cut.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x5eeca),
        timeout: 20_000,
        ..ProptestConfig::default()
    })]
    /// Mutated recordings never panic: a seekable file or a typed error.
    #[test]
    fn mutated_recordings_never_panic(
        which in 0usize..5,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = mutate(FIXTURES[which].1, flips, cut);
        if let Ok((s, file)) = make(&bytes, 4096) {
            prop_assert_eq!(file.len(), s.header.len() + (s.body.end - s.body.start) as usize);
        }
    }
}

/// `bytes` (a fixture) with its Clusters repeated `times` times, Cluster Timecodes
/// shifted so time keeps rising: a longer recording with a keyframe Cluster per copy.
fn repeated(bytes: &[u8], times: u64) -> Vec<u8> {
    let mut r = EbmlReader::new();
    r.feed(bytes).unwrap();
    let end = r.last_block_end().unwrap();
    let clusters: Vec<_> = r
        .clusters()
        .iter()
        .filter(|c| c.offset < end)
        .copied()
        .collect();
    let first = clusters[0].timecode.unwrap();
    let span = (r.max_timecode().unwrap() as u64 - first) + 40;
    let mut out = bytes[..r.header_end().unwrap() as usize].to_vec();
    for copy in 0..times {
        for (k, c) in clusters.iter().enumerate() {
            let next = clusters.get(k + 1).map_or(end, |n| n.offset);
            out.extend([
                0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            let tc = c.timecode.unwrap() - first + copy * span;
            out.extend([0xE7, 0x84]);
            out.extend((tc as u32).to_be_bytes());
            out.extend(&bytes[c.timecode_end.unwrap() as usize..next as usize]);
        }
    }
    out
}

/// The snapshot's file: its header, then its parts resolved against `bytes`.
fn assemble(s: &Snapshot, bytes: &[u8]) -> Vec<u8> {
    host::assemble(&s.header, &s.parts, bytes)
}

/// `file` written to a fresh temporary path named after `name`.
fn temp_file(name: &str, file: &[u8]) -> std::path::PathBuf {
    host::temp_file(name, "webm", file)
}

#[test]
fn a_snapshot_of_the_last_seconds_starts_at_a_keyframe_at_zero_and_plays() {
    for (name, bytes) in FIXTURES {
        let long = repeated(bytes, 8); // about 20 s
        let mut r = EbmlReader::new();
        for piece in long.chunks(3000) {
            r.feed(piece).unwrap();
        }
        let total_ms = r.max_timecode().unwrap() as f64;
        let s = snapshot(&long, &r, 0..long.len() as u64, Some(5000.0)).unwrap();
        // At least the 5 s asked for, at most one keyframe interval (one copy) more.
        assert!(s.duration_ms >= 5000.0, "{name}: {} ms", s.duration_ms);
        assert!(
            s.duration_ms < 5000.0 + 3000.0,
            "{name}: {} ms",
            s.duration_ms
        );
        assert!(
            (s.start_ms + s.duration_ms - total_ms).abs() < 200.0,
            "{name}: ends at the end"
        );
        let file = assemble(&s, &long);
        // Read back: Clusters start at time 0, the first begins with a keyframe.
        let mut back = EbmlReader::new();
        back.feed(&file).unwrap();
        assert_eq!(back.clusters()[0].timecode, Some(0), "{name}");
        if back
            .tracks()
            .iter()
            .any(|t| t.kind == media_recorder_producer::core::ebml::TrackKind::Video)
        {
            let k = back.clusters()[0].keyframe.expect("starts at a keyframe");
            assert!(k.timecode <= 40, "{name}: keyframe at {} ms", k.timecode);
        }
        let probed = probe_duration(name, &temp_file(name, &file));
        let truth = s.duration_ms / 1000.0;
        assert!(
            (probed - truth).abs() <= truth * 0.1,
            "{name}: ffprobe {probed} s vs {truth} s"
        );
        // All of it: the same length as the recording.
        let all = snapshot(&long, &r, 0..long.len() as u64, None).unwrap();
        assert_eq!(all.start_ms, 0.0);
        assert!((all.duration_ms - total_ms).abs() < 200.0);
    }
}

#[test]
fn a_snapshot_uses_only_held_bytes() {
    let (name, bytes) = FIXTURES[0];
    let long = repeated(bytes, 6);
    let mut r = EbmlReader::new();
    r.feed(&long).unwrap();
    // The ring let go of everything before the middle (a cut inside a Cluster).
    let from = long.len() as u64 / 2 + 17;
    let s = snapshot(&long, &r, from..long.len() as u64, None).unwrap();
    for p in &s.parts {
        if let Part::Range(range) = p {
            assert!(range.start >= from, "{name}: a part before the held bytes");
        }
    }
    let first_kept = r
        .clusters()
        .iter()
        .find(|c| c.offset >= from && c.keyframe.is_some())
        .unwrap();
    assert_eq!(s.start_ms, first_kept.timecode.unwrap() as f64);
    probe_duration("held", &temp_file("held", &assemble(&s, &long)));
    // Nothing whole held: a typed error.
    let e = snapshot(&long, &r, long.len() as u64 - 10..long.len() as u64, None).unwrap_err();
    assert!(
        matches!(
            e,
            EbmlError::Missing {
                id: id::CLUSTER,
                ..
            }
        ),
        "{e:?}"
    );
}
