//! A streaming reader of EBML/WebM (Matroska) bytes, fed chunk by chunk.
//!
//! A MediaRecorder hands out a WebM recording as chunks whose edges never coincide with
//! element edges: an element ID may be split over two chunks and Chromium's first chunk
//! is often the single byte `0x1A`. [`EbmlReader::feed`] takes the chunks in arrival
//! order and walks each byte once. Between calls it keeps only the few bytes of a
//! partial ID, size or field it needs (at most [`MAX_FIELD_BYTES`]), never the stream,
//! so its memory is constant apart from the cluster index, which grows by one compact
//! [`ClusterEntry`] per Cluster.
//!
//! What it reads:
//! - the EBML header and the Segment (its size may be "unknown", all ones, as Chromium
//!   and Firefox write it), and where the header ends: the offset of the first Cluster.
//!   Everything before it ([`EbmlReader::header_range`]) is the header a caller can
//!   re-emit in front of a later Cluster;
//! - Info's TimecodeScale and each TrackEntry's number, type and CodecID;
//! - each Cluster's offset and Timecode, and of each SimpleBlock (or BlockGroup/Block)
//!   its track, absolute timecode and keyframe flag. Per Cluster it keeps only the
//!   first video keyframe; over the stream the largest block timecode (for a Duration)
//!   and where the last complete block ends.
//!
//! Clusters of unknown size (Chromium's) end where an element that cannot be their
//! child begins: the next Cluster, Cues, Tags, … (RFC 8794, section 6.2).
//!
//! The reader never panics: bytes it cannot walk give an [`EbmlError`] naming the byte
//! offset, and the reader stays failed (every later `feed` returns the same error).
//! Whatever it buffers is bounded (IDs of at most 4 bytes, sizes of at most 8, fields of
//! at most [`MAX_FIELD_BYTES`], at most [`MAX_TRACKS`] tracks, a header of at most
//! [`ReaderOptions::max_header_bytes`]).
//!
//! ```
//! use media_recorder_producer::core::ebml::{EbmlReader, Keyframe, TrackKind};
//!
//! let recording: &[u8] = &[
//!     0x1A, 0x45, 0xDF, 0xA3, 0x80, // EBML header (empty)
//!     0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // Segment, unknown size
//!     0x15, 0x49, 0xA9, 0x66, 0x87, 0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40, // Info: TimecodeScale 1 ms
//!     0x16, 0x54, 0xAE, 0x6B, 0x8F, // Tracks
//!     0xAE, 0x8D, 0xD7, 0x81, 0x01, 0x83, 0x81, 0x01, // TrackEntry: number 1, type 1 (video)
//!     0x86, 0x85, b'V', b'_', b'V', b'P', b'9', //       CodecID "V_VP9"
//!     0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // Cluster, unknown size
//!     0xE7, 0x82, 0x03, 0xE8, // Timecode 1000
//!     0xA3, 0x85, 0x81, 0x00, 0x05, 0x80, 0xAA, // SimpleBlock: track 1, +5, keyframe
//!     0xA3, 0x85, 0x81, 0x00, 0x0A, 0x00, 0xBB, // SimpleBlock: track 1, +10
//! ];
//! let mut reader = EbmlReader::new();
//! // Chromium's shape: a 1-byte chunk, then chunks cut anywhere (here inside the Cluster ID).
//! for chunk in [&recording[..1], &recording[1..51], &recording[51..]] {
//!     reader.feed(chunk)?;
//! }
//! assert_eq!(reader.header_range(), Some(0..49));
//! assert_eq!(reader.timecode_scale(), 1_000_000);
//! assert_eq!(reader.tracks()[0].kind, TrackKind::Video);
//! assert_eq!(reader.tracks()[0].codec_id, "V_VP9");
//! let cluster = reader.clusters()[0];
//! assert_eq!((cluster.offset, cluster.timecode), (49, Some(1000)));
//! assert_eq!(cluster.keyframe, Some(Keyframe { track: 1, timecode: 1005 }));
//! assert_eq!(reader.max_timecode(), Some(1010));
//! assert_eq!(reader.last_block_end(), Some(recording.len() as u64));
//! # Ok::<(), media_recorder_producer::core::ebml::EbmlError>(())
//! ```
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

mod error;
mod index;
mod index_with_head;
pub mod muxer;
mod reader;
pub mod seekable;
pub mod writer;

pub use error::EbmlError;
pub use index::{ClusterEntry, Keyframe, SegmentInfo, Track, TrackKind};
pub use index_with_head::RecordingIndex;
pub use reader::{EbmlReader, Progress, ReaderOptions};
pub use seekable::{seekable, snapshot};

/// Element IDs the reader acts on, as written in the stream (marker bits kept).
pub mod id {
    /// EBML header.
    pub const EBML: u32 = 0x1A45_DFA3;
    /// Segment: everything after the EBML header.
    pub const SEGMENT: u32 = 0x1853_8067;
    /// SeekHead (a Segment child).
    pub const SEEK_HEAD: u32 = 0x114D_9B74;
    /// Info (a Segment child).
    pub const INFO: u32 = 0x1549_A966;
    /// TimecodeScale (in Info): nanoseconds per timecode unit.
    pub const TIMECODE_SCALE: u32 = 0x2A_D7B1;
    /// Tracks (a Segment child).
    pub const TRACKS: u32 = 0x1654_AE6B;
    /// TrackEntry (in Tracks).
    pub const TRACK_ENTRY: u32 = 0xAE;
    /// TrackNumber (in TrackEntry).
    pub const TRACK_NUMBER: u32 = 0xD7;
    /// TrackType (in TrackEntry): 1 video, 2 audio.
    pub const TRACK_TYPE: u32 = 0x83;
    /// CodecID (in TrackEntry), e.g. `V_VP9`.
    pub const CODEC_ID: u32 = 0x86;
    /// Cluster (a Segment child).
    pub const CLUSTER: u32 = 0x1F43_B675;
    /// Timecode (in Cluster).
    pub const TIMECODE: u32 = 0xE7;
    /// SimpleBlock (in Cluster).
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    /// BlockGroup (in Cluster).
    pub const BLOCK_GROUP: u32 = 0xA0;
    /// Block (in BlockGroup).
    pub const BLOCK: u32 = 0xA1;
    /// ReferenceBlock (in BlockGroup): its presence makes the Block a non-keyframe.
    pub const REFERENCE_BLOCK: u32 = 0xFB;
    /// Cues (a Segment child).
    pub const CUES: u32 = 0x1C53_BB6B;
    /// Chapters (a Segment child).
    pub const CHAPTERS: u32 = 0x1043_A770;
    /// Tags (a Segment child).
    pub const TAGS: u32 = 0x1254_C367;
    /// Attachments (a Segment child).
    pub const ATTACHMENTS: u32 = 0x1941_A469;
}

/// Longest field the reader buffers, in bytes: a CodecID (a block header needs 11).
pub const MAX_FIELD_BYTES: usize = 32;

/// Most tracks the reader records.
pub const MAX_TRACKS: usize = 16;

/// Default [`ReaderOptions::max_header_bytes`]: 1 MiB.
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 1024 * 1024;

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests;
