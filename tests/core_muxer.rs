//! The live WebM muxer (the WebCodecs engine's writer) on real encoded frames: FFmpeg
//! (installed by scripts/setup.sh) encodes 4 s of VP8 or VP9 video (a keyframe every
//! second) and 4 s of Opus; the test feeds those packets to the muxer as two encoders
//! would (audio a little behind video, taken out in timeslices) and checks:
//!
//! - the streaming reader reads it back: both tracks, one Cluster per keyframe, each
//!   opening with its keyframe, and the last block at the right time;
//! - ffprobe reads a duration within 10 % of 4 s and ffmpeg decodes every packet
//!   without a word, as written live and after `seekable()`;
//! - a snapshot of its last 2 s starts at a keyframe Cluster, rebased to time 0, and
//!   ffprobe reads its duration within 10 %.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use host::{assemble, decodes_cleanly, probe_duration, temp_file};
use media_recorder_producer::core::container::Part;
use media_recorder_producer::core::ebml::muxer::{
    AudioTrack, MuxerOptions, TrackKind, VideoCodec, VideoTrack, WebmMuxer,
};
use media_recorder_producer::core::ebml::{seekable, snapshot, EbmlReader, TrackKind as Kind};

/// Encodes with ffmpeg into `name.ext` in a temporary directory and returns its bytes.
fn ffmpeg(name: &str, args: &[&str]) -> Vec<u8> {
    let path = temp_file(name, "in", b"");
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&path)
        .output()
        .expect("ffmpeg (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).unwrap()
}

/// IVF frames: (pts in frames, bytes).
fn ivf_frames(ivf: &[u8]) -> Vec<(u64, Vec<u8>)> {
    assert_eq!(&ivf[..4], b"DKIF");
    let header = u16::from_le_bytes([ivf[6], ivf[7]]) as usize;
    let mut at = header;
    let mut frames = Vec::new();
    while at + 12 <= ivf.len() {
        let size = u32::from_le_bytes(ivf[at..at + 4].try_into().unwrap()) as usize;
        let pts = u64::from_le_bytes(ivf[at + 4..at + 12].try_into().unwrap());
        frames.push((pts, ivf[at + 12..at + 12 + size].to_vec()));
        at += 12 + size;
    }
    frames
}

/// The packets of an Ogg stream (headers included).
fn ogg_packets(ogg: &[u8]) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let mut current = Vec::new();
    let mut at = 0;
    while at + 27 <= ogg.len() {
        assert_eq!(&ogg[at..at + 4], b"OggS");
        let segments = ogg[at + 26] as usize;
        let table = &ogg[at + 27..at + 27 + segments];
        let mut body = at + 27 + segments;
        for &lace in table {
            current.extend_from_slice(&ogg[body..body + lace as usize]);
            body += lace as usize;
            if lace < 255 {
                packets.push(std::mem::take(&mut current));
            }
        }
        at = body;
    }
    packets
}

fn is_vp8_key(frame: &[u8]) -> bool {
    frame[0] & 1 == 0
}

fn is_vp9_key(frame: &[u8]) -> bool {
    // Uncompressed header (profile 0): frame marker 2 bits, profile 2 bits,
    // show_existing_frame 1 bit, then frame_type 1 bit (0 = key).
    (frame[0] >> 2) & 1 == 0
}

struct Recording {
    bytes: Vec<u8>,
    /// Bytes taken per timeslice, in order (what the engine hands over as chunks).
    chunks: Vec<Vec<u8>>,
}

/// 4 s of video (20 fps, keyframe each second) and, if `audio`, Opus at 20 ms, muxed
/// as the engine does: audio 30 ms behind, bytes taken every 100 ms of media.
fn record(codec: VideoCodec, audio: bool) -> Recording {
    let (lib, ext_key): (&str, fn(&[u8]) -> bool) = match codec {
        VideoCodec::Vp8 => ("libvpx", is_vp8_key),
        VideoCodec::Vp9 => ("libvpx-vp9", is_vp9_key),
    };
    let ivf = ffmpeg(
        &format!("{}-{}-video", codec.mime_name(), audio),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=20:duration=4",
            "-c:v",
            lib,
            "-g",
            "20",
            "-keyint_min",
            "20",
            "-b:v",
            "300k",
            "-deadline",
            "realtime",
            "-f",
            "ivf",
        ],
    );
    let frames = ivf_frames(&ivf);
    assert_eq!(frames.len(), 80);
    let opus = if audio {
        // One file per test: the tests run in parallel.
        let ogg = ffmpeg(
            &format!("{}-{}-audio", codec.mime_name(), audio),
            &[
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000:duration=4",
                "-c:a",
                "libopus",
                "-b:a",
                "48k",
                "-frame_duration",
                "20",
                "-f",
                "ogg",
            ],
        );
        ogg_packets(&ogg)
    } else {
        Vec::new()
    };
    let mut mux = WebmMuxer::new(MuxerOptions {
        video: Some(VideoTrack {
            codec,
            width: 320,
            height: 240,
        }),
        audio: audio.then_some(AudioTrack {
            sample_rate: 48_000,
            channels: 1,
        }),
        audio_cluster_ms: 5_000,
    });
    if audio {
        mux.set_opus_head(&opus[0]);
    }
    // Opus packets after OpusHead and OpusTags, 20 ms each.
    let mut audio_packets = opus.iter().skip(2).enumerate().peekable();
    let mut chunks = Vec::new();
    for (pts, frame) in &frames {
        let t_us = pts * 50_000;
        mux.push(TrackKind::Video, t_us, ext_key(frame), frame);
        while let Some((i, p)) = audio_packets.peek() {
            let at = *i as u64 * 20_000;
            if at + 30_000 > t_us {
                break;
            }
            mux.push(TrackKind::Audio, at, true, p);
            audio_packets.next();
        }
        if pts % 2 == 1 {
            chunks.push(mux.take());
        }
    }
    for (i, p) in audio_packets {
        mux.push(TrackKind::Audio, i as u64 * 20_000, true, p);
    }
    chunks.push(mux.finish());
    chunks.retain(|c| !c.is_empty());
    Recording {
        bytes: chunks.concat(),
        chunks,
    }
}

fn check(name: &str, codec: VideoCodec, audio: bool) {
    let rec = record(codec, audio);
    // The streaming reader, fed the chunks as they were taken.
    let mut reader = EbmlReader::new();
    for c in &rec.chunks {
        reader.feed(c).unwrap();
    }
    let tracks = reader.tracks();
    assert_eq!(tracks.len(), if audio { 2 } else { 1 }, "{name}");
    assert_eq!(tracks[0].kind, Kind::Video);
    assert_eq!(tracks[0].codec_id, codec.codec_id());
    if audio {
        assert_eq!(tracks[1].kind, Kind::Audio);
        assert_eq!(tracks[1].codec_id, "A_OPUS");
    }
    let clusters = reader.clusters();
    assert_eq!(clusters.len(), 4, "{name}: one Cluster per keyframe");
    for (i, c) in clusters.iter().enumerate() {
        let key = c
            .keyframe
            .unwrap_or_else(|| panic!("{name}: Cluster {i} has no keyframe"));
        assert_eq!(key.track, 1);
        assert_eq!(
            Some(key.timecode as u64),
            c.timecode,
            "{name}: opens with it"
        );
        assert_eq!(c.timecode, Some(i as u64 * 1000));
    }
    assert_eq!(reader.last_block_end(), Some(rec.bytes.len() as u64));
    assert!(reader.max_timecode().unwrap() >= 3950, "{name}");

    // FFmpeg: as written live (no Duration: ffprobe estimates), then made seekable.
    let live = temp_file(&format!("{name}-live"), "webm", &rec.bytes);
    decodes_cleanly(name, &live, None);
    let head = &rec.bytes[..reader.header_range().unwrap().end as usize];
    let s = seekable(head, &reader).unwrap();
    let mut file = s.header.clone();
    file.extend(&rec.bytes[s.body.start as usize..s.body.end as usize]);
    let path = temp_file(&format!("{name}-seekable"), "webm", &file);
    let d = probe_duration(name, &path);
    assert!((d - 4.0).abs() <= 0.4, "{name}: ffprobe duration {d}");
    decodes_cleanly(name, &path, Some(2.5));

    // The last 2 s as a snapshot: from the Cluster at 2 s, rebased to 0.
    let snap = snapshot(head, &reader, 0..rec.bytes.len() as u64, Some(2000.0)).unwrap();
    // At least the last 2 s: from the latest keyframe Cluster that covers them.
    assert!(
        [1000.0, 2000.0].contains(&snap.start_ms),
        "{name}: {}",
        snap.start_ms
    );
    let parts: Vec<Part> = snap.parts.clone();
    let bytes = assemble(&snap.header, &parts, &rec.bytes);
    let path = temp_file(&format!("{name}-snapshot"), "webm", &bytes);
    let d = probe_duration(name, &path);
    let want = 4.0 - snap.start_ms / 1000.0;
    assert!(
        (d - want).abs() <= 0.1 * want,
        "{name}: snapshot duration {d}, want {want}"
    );
}

#[test]
fn vp8_with_opus_reads_back_probes_and_decodes() {
    check("mux-vp8-opus", VideoCodec::Vp8, true);
}

#[test]
fn vp9_with_opus_reads_back_probes_and_decodes() {
    check("mux-vp9-opus", VideoCodec::Vp9, true);
}

#[test]
fn vp8_alone_reads_back_probes_and_decodes() {
    check("mux-vp8", VideoCodec::Vp8, false);
}
