//! A live WebM muxer: encoded frames in (from WebCodecs' `VideoEncoder` and
//! `AudioEncoder`), WebM bytes out as they are ready.
//!
//! It writes the shape Chromium's MediaRecorder writes: a Segment and Clusters of
//! unknown size, SimpleBlocks, a TimecodeScale of 1 ms and no Cues. So the streaming
//! reader, the replay index, snapshots, seekable output and every sink treat a
//! recording of either engine alike.
//!
//! - **Interleaving.** Audio and video come from two encoders, each in its own order.
//!   A frame is written once every other track has a frame at least as late queued (so
//!   blocks go out in time order), or once its own queue spans [`MAX_WAIT_MS`] (a
//!   track that stalls does not hold the other back for longer than that).
//! - **Clusters** start at each video keyframe (so every Cluster of a video recording
//!   opens with one, which snapshots cut at; the first may open with audio that came
//!   before the first video frame, and then holds the first keyframe), after [`MAX_CLUSTER_SPAN_MS`] when no
//!   keyframe came (a block's timecode is 16 bits), and every
//!   [`MuxerOptions::audio_cluster_ms`] in an audio-only recording.
//! - **Time** is in microseconds from the recording's start, per frame; each track's
//!   blocks are kept in order (a frame earlier than the last of its track, or than
//!   the open Cluster, is written at that time rather than out of order).
//!
//! ```
//! use media_recorder_producer::core::ebml::muxer::{MuxerOptions, TrackKind, VideoCodec, VideoTrack, WebmMuxer};
//! use media_recorder_producer::core::ebml::EbmlReader;
//!
//! let mut mux = WebmMuxer::new(MuxerOptions {
//!     video: Some(VideoTrack { codec: VideoCodec::Vp8, width: 320, height: 240 }),
//!     audio: None,
//!     audio_cluster_ms: 5_000,
//! });
//! mux.push(TrackKind::Video, 0, true, &[1, 2, 3]);
//! mux.push(TrackKind::Video, 50_000, false, &[4, 5]);
//! let bytes = mux.finish();
//! let mut reader = EbmlReader::new();
//! reader.feed(&bytes).unwrap();
//! assert_eq!(reader.tracks()[0].codec_id, "V_VP8");
//! assert_eq!(reader.clusters().len(), 1);
//! assert_eq!(reader.max_timecode(), Some(50));
//! ```
#![deny(missing_docs)]

use std::collections::VecDeque;

use super::id;
use super::writer;

/// A video codec the muxer writes (both need no CodecPrivate in WebM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// VP8 (`V_VP8`).
    Vp8,
    /// VP9 (`V_VP9`), profile 0, 8 bits.
    Vp9,
}

impl VideoCodec {
    /// The codec's name in a WebM MIME type (`"vp8"`, `"vp9"`).
    pub fn mime_name(self) -> &'static str {
        match self {
            VideoCodec::Vp8 => "vp8",
            VideoCodec::Vp9 => "vp9",
        }
    }

    /// The WebCodecs codec string.
    pub fn webcodecs(self) -> &'static str {
        match self {
            VideoCodec::Vp8 => "vp8",
            VideoCodec::Vp9 => "vp09.00.10.08",
        }
    }

    /// The Matroska CodecID.
    pub fn codec_id(self) -> &'static str {
        match self {
            VideoCodec::Vp8 => "V_VP8",
            VideoCodec::Vp9 => "V_VP9",
        }
    }
}

/// The video track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoTrack {
    /// Its codec.
    pub codec: VideoCodec,
    /// Width in pixels at the start (a later keyframe may change it; decoders follow
    /// the bitstream).
    pub width: u32,
    /// Height in pixels at the start.
    pub height: u32,
}

/// The audio track (Opus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTrack {
    /// Sample rate of the input, Hz (written in the OpusHead the muxer makes when the
    /// encoder gave none).
    pub sample_rate: u32,
    /// Channels.
    pub channels: u32,
}

/// What the muxer writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxerOptions {
    /// The video track, if any (track number 1).
    pub video: Option<VideoTrack>,
    /// The audio track, if any (track number 2, or 1 without video).
    pub audio: Option<AudioTrack>,
    /// Cluster length of an audio-only recording, ms.
    pub audio_cluster_ms: u32,
}

impl MuxerOptions {
    /// A live recording's muxer: `video` if any, an Opus track if `audio` (its rate and
    /// channels set later from the encoder, see [`WebmMuxer::set_audio_format`]), audio-only
    /// Clusters of 5 s.
    pub fn live(video: Option<VideoTrack>, audio: bool) -> Self {
        MuxerOptions {
            video,
            audio: audio.then_some(AudioTrack {
                sample_rate: 48_000,
                channels: 1,
            }),
            audio_cluster_ms: 5_000,
        }
    }
}

/// Which track a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// The video track.
    Video,
    /// The audio track.
    Audio,
}

/// How long one track's queue may span while the other has nothing queued, ms.
pub const MAX_WAIT_MS: u64 = 1_000;

/// A Cluster holds blocks at most this far from its Timecode (a block's relative
/// timecode is a signed 16-bit number).
pub const MAX_CLUSTER_SPAN_MS: u64 = 30_000;

/// Frames a queue holds at most before its oldest is written anyway.
const MAX_QUEUED: usize = 512;

/// Opus pre-skip when the encoder gave no OpusHead: libopus's 312 samples at 48 kHz.
const DEFAULT_PRE_SKIP: u16 = 312;

/// Seek pre-roll for Opus: 80 ms (Matroska's Opus mapping).
const OPUS_SEEK_PRE_ROLL_NS: u64 = 80_000_000;

struct Frame {
    ts_ms: u64,
    key: bool,
    data: Vec<u8>,
}

/// Encoded frames in, WebM bytes out. See the module docs.
pub struct WebmMuxer {
    opts: MuxerOptions,
    out: Vec<u8>,
    header_written: bool,
    opus_head: Option<Vec<u8>>,
    /// Queued frames: video, audio.
    queues: [VecDeque<Frame>; 2],
    /// The open Cluster's Timecode.
    cluster: Option<u64>,
    /// Whether the open Cluster has a video block.
    cluster_has_video: bool,
    /// The last written timecode of each track.
    last: [Option<u64>; 2],
    /// Whether the video track has had its first keyframe.
    video_keyed: bool,
    /// Video frames that came before the first keyframe (not written).
    skipped: u64,
    clusters: u64,
}

impl WebmMuxer {
    /// A muxer for `opts` (nothing is written before the first frame).
    pub fn new(opts: MuxerOptions) -> Self {
        WebmMuxer {
            opts,
            out: Vec::new(),
            header_written: false,
            opus_head: None,
            queues: [VecDeque::new(), VecDeque::new()],
            cluster: None,
            cluster_has_video: false,
            last: [None, None],
            video_keyed: false,
            skipped: 0,
            clusters: 0,
        }
    }

    /// The audio encoder's OpusHead (its `decoderConfig.description`), written as the
    /// audio track's CodecPrivate. Ignored once the header is written, or if it is not
    /// an OpusHead; without it the muxer writes one for the track's rate and channels.
    pub fn set_opus_head(&mut self, head: &[u8]) {
        if !self.header_written && head.len() >= 19 && head.starts_with(b"OpusHead") {
            self.opus_head = Some(head.to_vec());
        }
    }

    /// The audio input's sample rate and channels, as the first audio data showed
    /// them. Ignored once the header is written or if the muxer has no audio track.
    pub fn set_audio_format(&mut self, sample_rate: u32, channels: u32) {
        if let (false, Some(a)) = (self.header_written, self.opts.audio.as_mut()) {
            a.sample_rate = sample_rate;
            a.channels = channels.clamp(1, 2);
        }
    }

    /// Queues one encoded frame of `track` at `ts_us` (microseconds from the
    /// recording's start). Video frames before the first keyframe, and frames of a
    /// track the muxer does not have, are not written (counted in [`Self::skipped`]).
    pub fn push(&mut self, track: TrackKind, ts_us: u64, key: bool, data: &[u8]) {
        let (slot, present) = match track {
            TrackKind::Video => (0, self.opts.video.is_some()),
            TrackKind::Audio => (1, self.opts.audio.is_some()),
        };
        if !present || (track == TrackKind::Video && !key && !self.video_keyed) {
            self.skipped = self.skipped.saturating_add(1);
            return;
        }
        if track == TrackKind::Video {
            self.video_keyed = true;
        }
        let frame = Frame {
            ts_ms: ts_us / 1000,
            key: key || track == TrackKind::Audio,
            data: data.to_vec(),
        };
        if let Some(q) = self.queues.get_mut(slot) {
            q.push_back(frame);
        }
        self.drain(false);
    }

    /// The bytes ready since the last call (empty if none).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Writes every queued frame, in time order, and returns the bytes not yet taken.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true);
        if !self.header_written {
            self.write_header();
        }
        self.take()
    }

    /// Video frames not written because they came before the first keyframe, plus
    /// frames of a track the muxer does not have.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Clusters started so far.
    pub fn clusters(&self) -> u64 {
        self.clusters
    }

    /// Bytes held in the queues (frames waiting for the other track).
    pub fn queued_bytes(&self) -> usize {
        self.queues
            .iter()
            .flat_map(|q| q.iter())
            .map(|f| f.data.len())
            .sum()
    }

    fn drain(&mut self, all: bool) {
        let both = self.opts.video.is_some() && self.opts.audio.is_some();
        loop {
            let [v, a] = &self.queues;
            let pick = match (v.front(), a.front()) {
                (Some(x), Some(y)) => Some(if y.ts_ms < x.ts_ms { 1 } else { 0 }),
                (Some(_), None) | (None, Some(_)) => {
                    let slot = if v.is_empty() { 1 } else { 0 };
                    let q = if slot == 0 { v } else { a };
                    let span = match (q.front(), q.back()) {
                        (Some(f), Some(b)) => b.ts_ms.saturating_sub(f.ts_ms),
                        _ => 0,
                    };
                    (all || !both || span >= MAX_WAIT_MS || q.len() > MAX_QUEUED).then_some(slot)
                }
                (None, None) => None,
            };
            let Some(slot) = pick else { break };
            let Some(frame) = self.queues.get_mut(slot).and_then(|q| q.pop_front()) else {
                break;
            };
            self.write_frame(slot, frame);
        }
    }

    fn track_number(&self, slot: usize) -> u8 {
        if slot == 1 && self.opts.video.is_some() {
            2
        } else {
            1
        }
    }

    fn write_frame(&mut self, slot: usize, frame: Frame) {
        if !self.header_written {
            self.write_header();
        }
        let last = self.last.get(slot).copied().flatten();
        let mut ts = last.map_or(frame.ts_ms, |l| frame.ts_ms.max(l));
        let is_video_key = slot == 0 && frame.key;
        let new_cluster = match self.cluster {
            None => true,
            Some(c) => {
                let span = ts.saturating_sub(c);
                // A keyframe joins a Cluster that has no video yet (audio that came
                // first): every Cluster then holds a keyframe.
                (is_video_key && self.cluster_has_video)
                    || span >= MAX_CLUSTER_SPAN_MS
                    || (self.opts.video.is_none()
                        && span >= u64::from(self.opts.audio_cluster_ms.max(1)))
            }
        };
        if new_cluster {
            // A Cluster's Timecode never goes back: a late frame joins at its time.
            let tc = self.cluster.map_or(ts, |c| ts.max(c));
            ts = tc;
            writer::id(&mut self.out, id::CLUSTER);
            self.out
                .extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
            writer::uint(&mut self.out, id::TIMECODE, tc);
            self.cluster = Some(tc);
            self.cluster_has_video = false;
            self.clusters = self.clusters.saturating_add(1);
        }
        let cluster = self.cluster.unwrap_or(ts);
        let ts = ts.max(cluster);
        let rel = i16::try_from(ts.saturating_sub(cluster)).unwrap_or(i16::MAX);
        if let Some(l) = self.last.get_mut(slot) {
            *l = Some(ts);
        }
        if slot == 0 {
            self.cluster_has_video = true;
        }
        writer::id(&mut self.out, id::SIMPLE_BLOCK);
        writer::size(&mut self.out, (frame.data.len() as u64).saturating_add(4));
        self.out.push(0x80 | self.track_number(slot));
        self.out.extend_from_slice(&rel.to_be_bytes());
        self.out.push(if frame.key { 0x80 } else { 0x00 });
        self.out.extend_from_slice(&frame.data);
    }

    fn write_header(&mut self) {
        self.header_written = true;
        let mut ebml = Vec::new();
        writer::uint(&mut ebml, 0x4286, 1); // EBMLVersion
        writer::uint(&mut ebml, 0x42F7, 1); // EBMLReadVersion
        writer::uint(&mut ebml, 0x42F2, 4); // EBMLMaxIDLength
        writer::uint(&mut ebml, 0x42F3, 8); // EBMLMaxSizeLength
        string(&mut ebml, 0x4282, b"webm"); // DocType
        writer::uint(&mut ebml, 0x4287, 4); // DocTypeVersion
        writer::uint(&mut ebml, 0x4285, 2); // DocTypeReadVersion
        writer::master(&mut self.out, id::EBML, &ebml);

        writer::id(&mut self.out, id::SEGMENT);
        self.out
            .extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        let mut info = Vec::new();
        writer::uint(&mut info, id::TIMECODE_SCALE, 1_000_000);
        string(&mut info, 0x4D80, b"media-recorder-producer"); // MuxingApp
        string(&mut info, 0x5741, b"media-recorder-producer"); // WritingApp
        writer::master(&mut self.out, id::INFO, &info);

        let mut tracks = Vec::new();
        if let Some(v) = &self.opts.video {
            let mut e = Vec::new();
            writer::uint(&mut e, id::TRACK_NUMBER, 1);
            writer::uint(&mut e, 0x73C5, 1); // TrackUID
            writer::uint(&mut e, id::TRACK_TYPE, 1);
            writer::uint(&mut e, 0x9C, 0); // FlagLacing
            string(&mut e, id::CODEC_ID, v.codec.codec_id().as_bytes());
            let mut video = Vec::new();
            writer::uint(&mut video, 0xB0, u64::from(v.width)); // PixelWidth
            writer::uint(&mut video, 0xBA, u64::from(v.height)); // PixelHeight
            writer::master(&mut e, 0xE0, &video);
            writer::master(&mut tracks, id::TRACK_ENTRY, &e);
        }
        if let Some(a) = &self.opts.audio {
            let number = if self.opts.video.is_some() { 2 } else { 1 };
            let head = self
                .opus_head
                .clone()
                .unwrap_or_else(|| opus_head(a.channels, a.sample_rate));
            // OpusHead: pre-skip is bytes 10..12, little-endian, in 48 kHz samples.
            let pre_skip = match (head.get(10), head.get(11)) {
                (Some(lo), Some(hi)) => u16::from_le_bytes([*lo, *hi]),
                _ => DEFAULT_PRE_SKIP,
            };
            let mut e = Vec::new();
            writer::uint(&mut e, id::TRACK_NUMBER, number);
            writer::uint(&mut e, 0x73C5, number); // TrackUID
            writer::uint(&mut e, id::TRACK_TYPE, 2);
            writer::uint(&mut e, 0x9C, 0); // FlagLacing
            string(&mut e, id::CODEC_ID, b"A_OPUS");
            writer::master(&mut e, 0x63A2, &head); // CodecPrivate
                                                   // CodecDelay (ns) = pre-skip / 48 kHz.
            writer::uint(
                &mut e,
                0x56AA,
                u64::from(pre_skip).saturating_mul(1_000_000_000) / 48_000,
            );
            writer::uint(&mut e, 0x56BB, OPUS_SEEK_PRE_ROLL_NS); // SeekPreRoll
            let mut audio = Vec::new();
            // SamplingFrequency: Opus always decodes at 48 kHz (the input rate is in the
            // OpusHead).
            writer::float(&mut audio, 0xB5, 48_000.0);
            writer::uint(&mut audio, 0x9F, u64::from(a.channels)); // Channels
            writer::master(&mut e, 0xE1, &audio);
            writer::master(&mut tracks, id::TRACK_ENTRY, &e);
        }
        writer::master(&mut self.out, id::TRACKS, &tracks);
    }
}

fn string(out: &mut Vec<u8>, element: u32, value: &[u8]) {
    writer::master(out, element, value);
}

/// An OpusHead (RFC 7845, 5.1) for `channels` (1 or 2, mapping family 0) at
/// `sample_rate`.
pub fn opus_head(channels: u32, sample_rate: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(19);
    h.extend_from_slice(b"OpusHead");
    h.push(1);
    h.push(u8::try_from(channels.clamp(1, 2)).unwrap_or(1));
    h.extend_from_slice(&DEFAULT_PRE_SKIP.to_le_bytes());
    h.extend_from_slice(&sample_rate.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    h.push(0);
    h
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::core::ebml::{EbmlReader, Keyframe, TrackKind as Kind};

    fn av() -> WebmMuxer {
        WebmMuxer::new(MuxerOptions {
            video: Some(VideoTrack {
                codec: VideoCodec::Vp9,
                width: 640,
                height: 480,
            }),
            audio: Some(AudioTrack {
                sample_rate: 48_000,
                channels: 1,
            }),
            audio_cluster_ms: 5_000,
        })
    }

    fn read(bytes: &[u8]) -> EbmlReader {
        let mut r = EbmlReader::new();
        r.feed(bytes).unwrap();
        r
    }

    #[test]
    fn audio_and_video_interleave_in_time_order_and_clusters_open_at_keyframes() {
        let mut m = av();
        m.set_opus_head(&opus_head(1, 48_000));
        // Video every 50 ms with a keyframe each second, audio every 20 ms; audio runs
        // 30 ms behind, as an encoder's output does.
        let mut out = Vec::new();
        for i in 0..60u64 {
            m.push(TrackKind::Video, i * 50_000, i % 20 == 0, &[0xAA; 30]);
            for j in 0..3u64 {
                let t = (i * 60 + j * 20) * 1000;
                if t >= 30_000 {
                    m.push(TrackKind::Audio, t - 30_000, true, &[0xBB; 10]);
                }
            }
            out.extend(m.take());
        }
        out.extend(m.finish());
        let r = read(&out);
        assert_eq!(r.tracks().len(), 2);
        assert_eq!(r.tracks()[0].kind, Kind::Video);
        assert_eq!(r.tracks()[1].kind, Kind::Audio);
        let clusters = r.clusters();
        assert_eq!(clusters.len(), 3);
        for (i, c) in clusters.iter().enumerate() {
            let tc = i as i64 * 1000;
            assert_eq!(c.timecode, Some(tc as u64));
            assert_eq!(
                c.keyframe,
                Some(Keyframe {
                    track: 1,
                    timecode: tc
                })
            );
        }
        assert_eq!(m.skipped(), 0);
    }

    #[test]
    fn audio_before_the_first_video_frame_shares_its_cluster() {
        let mut m = av();
        m.push(TrackKind::Audio, 0, true, &[1]);
        m.push(TrackKind::Audio, 20_000, true, &[1]);
        m.push(TrackKind::Video, 30_000, true, &[2]);
        m.push(TrackKind::Audio, 40_000, true, &[1]);
        m.push(TrackKind::Video, 1_030_000, true, &[2]);
        let r = read(&m.finish());
        let c = r.clusters();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].timecode, Some(0));
        assert_eq!(c[0].keyframe.map(|k| k.timecode), Some(30));
        assert_eq!(c[1].timecode, Some(1030));
    }

    #[test]
    fn a_stalled_track_holds_the_other_back_at_most_max_wait() {
        let mut m = av();
        m.push(TrackKind::Video, 0, true, &[1]);
        assert!(m.take().is_empty(), "waits for audio");
        m.push(TrackKind::Video, 999_000, false, &[2]);
        assert!(m.take().is_empty());
        m.push(TrackKind::Video, 1_000_000, false, &[3]);
        let out = m.take();
        assert!(!out.is_empty());
        // Only the frame that is a full MAX_WAIT older than the newest goes out.
        let r = read(&out);
        assert_eq!(r.max_timecode(), Some(0));
        assert_eq!(m.queued_bytes(), 2);
    }

    #[test]
    fn video_before_the_first_keyframe_is_skipped_and_time_never_goes_back() {
        let mut m = WebmMuxer::new(MuxerOptions {
            video: Some(VideoTrack {
                codec: VideoCodec::Vp8,
                width: 2,
                height: 2,
            }),
            audio: None,
            audio_cluster_ms: 5_000,
        });
        m.push(TrackKind::Video, 0, false, &[1]);
        m.push(TrackKind::Audio, 0, true, &[1]);
        assert_eq!(m.skipped(), 2);
        m.push(TrackKind::Video, 100_000, true, &[1]);
        m.push(TrackKind::Video, 90_000, false, &[1]);
        let r = read(&m.finish());
        assert_eq!(r.clusters()[0].timecode, Some(100));
        assert_eq!(r.max_timecode(), Some(100));
    }

    #[test]
    fn audio_only_clusters_every_audio_cluster_ms_and_long_gaps_split_clusters() {
        let mut m = WebmMuxer::new(MuxerOptions {
            video: None,
            audio: Some(AudioTrack {
                sample_rate: 48_000,
                channels: 2,
            }),
            audio_cluster_ms: 1_000,
        });
        for i in 0..150u64 {
            m.push(TrackKind::Audio, i * 20_000, true, &[7; 5]);
        }
        let r = read(&m.finish());
        assert_eq!(r.clusters().len(), 3);
        assert_eq!(r.tracks()[0].kind, Kind::Audio);
        assert_eq!(r.tracks()[0].number, 1);
    }
}
