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

use std::fmt;
use std::ops::Range;

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

/// A SimpleBlock or Block header: track number (a VINT of at most 8 bytes), a 16-bit
/// relative timecode, a flags byte.
const BLOCK_HEADER_MAX: u64 = 8 + 2 + 1;

/// How much an [`EbmlReader`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Read Info's TimecodeScale and the Tracks (default `true`). When `false`, Info and
    /// Tracks are skipped by their sizes without looking inside, so their content cannot
    /// stop the walk; [`EbmlReader::tracks`] stays empty and no keyframe is attributed
    /// to a video track.
    pub metadata: bool,
    /// The first Cluster's ID must end within this many bytes of the stream's start,
    /// and every element before it must end there too; otherwise the reader fails with
    /// [`EbmlError::HeaderTooLarge`] as soon as that is certain.
    pub max_header_bytes: u64,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            metadata: true,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// Why the bytes cannot be read. Each variant names the byte offset (from the start of
/// the stream) of the element or byte at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EbmlError {
    /// The stream does not start with an EBML header element.
    NotEbml {
        /// Offset of the first element.
        offset: u64,
    },
    /// An element ID's first byte declares more than 4 bytes.
    InvalidId {
        /// Offset of the ID's first byte.
        offset: u64,
    },
    /// A size's first byte is zero (it would take more than 8 bytes).
    InvalidSize {
        /// Offset of the size's first byte.
        offset: u64,
    },
    /// An element other than a Segment or Cluster has the "unknown" size, so it cannot
    /// be skipped.
    UnknownSize {
        /// Offset of the element.
        offset: u64,
        /// Its ID.
        id: u32,
    },
    /// A child element runs past the end of its parent.
    Overrun {
        /// Offset of the child.
        offset: u64,
        /// Its ID.
        id: u32,
    },
    /// An element the reader must buffer is larger than it allows (an integer over 8
    /// bytes, a CodecID over [`MAX_FIELD_BYTES`]).
    TooLarge {
        /// Offset of the element.
        offset: u64,
        /// Its ID.
        id: u32,
    },
    /// A value the reader needs is out of its range (a TimecodeScale or TrackNumber of 0,
    /// a TrackEntry without number or type, a CodecID that is not UTF-8).
    InvalidValue {
        /// Offset of the element.
        offset: u64,
        /// Its ID.
        id: u32,
    },
    /// An element that may appear once appears again (a Cluster's Timecode, a
    /// BlockGroup's Block, a track number).
    Duplicate {
        /// Offset of the second occurrence.
        offset: u64,
        /// Its ID.
        id: u32,
    },
    /// A SimpleBlock or Block is too short for its header, or a BlockGroup has no Block.
    InvalidBlock {
        /// Offset of the block or group.
        offset: u64,
    },
    /// A block comes before its Cluster's Timecode, or a Cluster ends without one.
    MissingTimecode {
        /// Offset of the block or Cluster.
        offset: u64,
    },
    /// More than [`MAX_TRACKS`] TrackEntries.
    TooManyTracks {
        /// Offset of the TrackEntry that would exceed the bound.
        offset: u64,
    },
    /// No Cluster starts within [`ReaderOptions::max_header_bytes`].
    HeaderTooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// An offset or timecode does not fit in 64 bits.
    Overflow {
        /// Offset of the element.
        offset: u64,
    },
}

impl EbmlError {
    /// The byte offset the error is about (for [`EbmlError::HeaderTooLarge`], the bound).
    pub fn offset(&self) -> u64 {
        match *self {
            EbmlError::NotEbml { offset }
            | EbmlError::InvalidId { offset }
            | EbmlError::InvalidSize { offset }
            | EbmlError::UnknownSize { offset, .. }
            | EbmlError::Overrun { offset, .. }
            | EbmlError::TooLarge { offset, .. }
            | EbmlError::InvalidValue { offset, .. }
            | EbmlError::Duplicate { offset, .. }
            | EbmlError::InvalidBlock { offset }
            | EbmlError::MissingTimecode { offset }
            | EbmlError::TooManyTracks { offset }
            | EbmlError::Overflow { offset } => offset,
            EbmlError::HeaderTooLarge { limit } => limit,
        }
    }
}

impl fmt::Display for EbmlError {
    // Integers only: no float formatting in this module (it would cost wasm size).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EbmlError::NotEbml { offset } => {
                write!(f, "not a WebM stream: no EBML header at byte {offset}")
            }
            EbmlError::InvalidId { offset } => {
                write!(f, "invalid element ID at byte {offset}")
            }
            EbmlError::InvalidSize { offset } => {
                write!(f, "invalid element size at byte {offset}")
            }
            EbmlError::UnknownSize { offset, id } => {
                write!(f, "element {id:#X} at byte {offset} has an unknown size")
            }
            EbmlError::Overrun { offset, id } => {
                write!(f, "element {id:#X} at byte {offset} runs past its parent")
            }
            EbmlError::TooLarge { offset, id } => {
                write!(f, "element {id:#X} at byte {offset} is too large")
            }
            EbmlError::InvalidValue { offset, id } => {
                write!(f, "element {id:#X} at byte {offset} has an invalid value")
            }
            EbmlError::Duplicate { offset, id } => {
                write!(f, "element {id:#X} at byte {offset} appears twice")
            }
            EbmlError::InvalidBlock { offset } => {
                write!(f, "invalid block at byte {offset}")
            }
            EbmlError::MissingTimecode { offset } => {
                write!(f, "cluster without a timecode at byte {offset}")
            }
            EbmlError::TooManyTracks { offset } => write!(
                f,
                "more than {MAX_TRACKS} tracks (track entry at byte {offset})"
            ),
            EbmlError::HeaderTooLarge { limit } => {
                write!(f, "no cluster within the first {limit} bytes")
            }
            EbmlError::Overflow { offset } => {
                write!(f, "offset or timecode overflow at byte {offset}")
            }
        }
    }
}

impl std::error::Error for EbmlError {}

/// What a track carries, from its TrackType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// TrackType 1.
    Video,
    /// TrackType 2.
    Audio,
    /// Any other TrackType (subtitles, metadata, …), with its value.
    Other(u64),
}

/// A TrackEntry of the Tracks element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// TrackNumber: what blocks refer to (not 0).
    pub number: u64,
    /// TrackType.
    pub kind: TrackKind,
    /// CodecID, e.g. `V_VP9`, `V_VP8`, `A_OPUS` (empty if the entry has none).
    pub codec_id: String,
    /// Complete blocks of this track read so far.
    pub blocks: u64,
}

/// The first video keyframe of a Cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyframe {
    /// Its track number.
    pub track: u64,
    /// Its absolute timecode (Cluster Timecode + the block's relative timecode), in
    /// TimecodeScale units.
    pub timecode: i64,
}

/// One Cluster in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterEntry {
    /// Byte offset of the Cluster's ID from the start of the stream.
    pub offset: u64,
    /// The Cluster's Timecode, in TimecodeScale units; `None` until its Timecode
    /// element has been read (only the last Cluster of a cut stream can lack it).
    pub timecode: Option<u64>,
    /// The Cluster's first keyframe on a video track, if it has one (so far).
    pub keyframe: Option<Keyframe>,
}

/// Where the Segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Byte offset of the Segment's ID.
    pub offset: u64,
    /// Byte offset of its first child: SeekHead and Cues positions count from here.
    pub data_offset: u64,
    /// Its declared size; `None` if "unknown" (MediaRecorder's). A known size is
    /// recorded but not enforced: every element after the Segment's start is read as
    /// one of its children.
    pub size: Option<u64>,
}

/// What one [`EbmlReader::feed`] call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Clusters that began in these bytes: the last `new_clusters` entries of
    /// [`EbmlReader::clusters`].
    pub new_clusters: usize,
    /// The header ended in these bytes (see [`EbmlReader::header_end`]).
    pub header_ended: bool,
}

/// The master elements the reader descends into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Master {
    Segment,
    Info,
    Tracks,
    TrackEntry,
    Cluster,
    BlockGroup,
}

/// An open master element.
#[derive(Debug, Clone, Copy)]
struct Frame {
    master: Master,
    /// Offset of its ID.
    start: u64,
    /// Offset just past its body; `None` if its size is unknown (or not enforced).
    end: Option<u64>,
}

/// Deepest nesting: Segment > Cluster > BlockGroup, Segment > Tracks > TrackEntry.
const MAX_DEPTH: usize = 3;

const NO_FRAME: Frame = Frame {
    master: Master::Segment,
    start: 0,
    end: None,
};

/// What a buffered field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CodecId,
    Block { simple: bool },
}

/// Where the walk is inside the current element.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading an ID: `got` of its `len` bytes (`got == 0`: none yet).
    Id { value: u32, len: u8, got: u8 },
    /// Reading a size: `got` of its `len` bytes; `all_ones` while it may be "unknown".
    Size {
        id: u32,
        value: u64,
        len: u8,
        got: u8,
        all_ones: bool,
    },
    /// Reading an unsigned integer body, `left` bytes to go.
    Uint { id: u32, value: u64, left: u8 },
    /// Buffering `need` bytes of a body into `scratch`, then skipping `then_skip`.
    Collect {
        field: Field,
        need: usize,
        then_skip: u64,
    },
    /// Skipping `left` bytes of a body.
    Skip { left: u64 },
}

const NEXT_ID: State = State::Id {
    value: 0,
    len: 0,
    got: 0,
};

/// A block header read, waiting for its element to end.
#[derive(Debug, Clone, Copy)]
struct BlockHead {
    track: u64,
    relative: i16,
    key: bool,
    offset: u64,
}

/// The TrackEntry being read.
#[derive(Debug, Clone, Default)]
struct TrackDraft {
    number: Option<u64>,
    kind: Option<u64>,
    codec_id: String,
}

/// A push parser of one WebM stream; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct EbmlReader {
    options: ReaderOptions,
    state: State,
    failed: Option<EbmlError>,
    /// Bytes consumed so far: the offset of the next byte.
    pos: u64,
    /// Offset of the current element's ID.
    element: u64,
    frames: [Frame; MAX_DEPTH],
    depth: usize,
    scratch: [u8; MAX_FIELD_BYTES],
    scratch_len: usize,
    seen_ebml: bool,
    segment: Option<SegmentInfo>,
    header_end: Option<u64>,
    info: Option<Range<u64>>,
    tracks_range: Option<Range<u64>>,
    timecode_scale: u64,
    tracks: Vec<Track>,
    draft: TrackDraft,
    clusters: Vec<ClusterEntry>,
    simple_block: Option<BlockHead>,
    group_block: Option<BlockHead>,
    group_has_reference: bool,
    max_timecode: Option<i64>,
    last_block_end: Option<u64>,
    blocks: u64,
}

impl Default for EbmlReader {
    fn default() -> Self {
        EbmlReader::new()
    }
}

impl EbmlReader {
    /// A reader at the start of a stream, reading everything (default options).
    pub fn new() -> Self {
        EbmlReader::with_options(ReaderOptions::default())
    }

    /// A reader at the start of a stream with `options`.
    pub fn with_options(options: ReaderOptions) -> Self {
        EbmlReader {
            options,
            state: NEXT_ID,
            failed: None,
            pos: 0,
            element: 0,
            frames: [NO_FRAME; MAX_DEPTH],
            depth: 0,
            scratch: [0; MAX_FIELD_BYTES],
            scratch_len: 0,
            seen_ebml: false,
            segment: None,
            header_end: None,
            info: None,
            tracks_range: None,
            timecode_scale: 1_000_000,
            tracks: Vec::new(),
            draft: TrackDraft::default(),
            clusters: Vec::new(),
            simple_block: None,
            group_block: None,
            group_has_reference: false,
            max_timecode: None,
            last_block_end: None,
            blocks: 0,
        }
    }

    /// Reads the next bytes of the stream (chunks in arrival order, cut anywhere).
    ///
    /// After an error the reader stays failed: this and every later call return the
    /// same error and read nothing.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Progress, EbmlError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let clusters_before = self.clusters.len();
        let had_header = self.header_end.is_some();
        let mut rest = bytes;
        let mut walked = Ok(());
        while !rest.is_empty() && walked.is_ok() {
            let before = rest.len();
            walked = self.step(&mut rest);
            if rest.len() == before {
                // Every state reads at least one byte; never spin if one did not.
                break;
            }
        }
        let walked = walked.and_then(|()| self.check_header_limit());
        match walked {
            Ok(()) => Ok(Progress {
                new_clusters: self.clusters.len().saturating_sub(clusters_before),
                header_ended: !had_header && self.header_end.is_some(),
            }),
            Err(error) => {
                self.failed = Some(error);
                Err(error)
            }
        }
    }

    /// Bytes read so far (the offset of the next byte).
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// The error the reader stopped at, if any.
    pub fn error(&self) -> Option<EbmlError> {
        self.failed
    }

    /// Offset of the first Cluster's ID: where the header ends. Known as soon as that
    /// ID's last byte has been read.
    pub fn header_end(&self) -> Option<u64> {
        self.header_end
    }

    /// The header's bytes (EBML header, Segment start, Info, Tracks, anything else
    /// before the first Cluster), once the first Cluster has begun.
    pub fn header_range(&self) -> Option<Range<u64>> {
        self.header_end.map(|end| 0..end)
    }

    /// The Segment, once its ID and size have been read.
    pub fn segment(&self) -> Option<SegmentInfo> {
        self.segment
    }

    /// The Info element's bytes (ID to end), once it has begun (with
    /// [`ReaderOptions::metadata`]).
    pub fn info_range(&self) -> Option<Range<u64>> {
        self.info.clone()
    }

    /// The Tracks element's bytes (ID to end), once it has begun (with
    /// [`ReaderOptions::metadata`]).
    pub fn tracks_range(&self) -> Option<Range<u64>> {
        self.tracks_range.clone()
    }

    /// Nanoseconds per timecode unit (Info's TimecodeScale; 1 000 000 by default).
    pub fn timecode_scale(&self) -> u64 {
        self.timecode_scale
    }

    /// The tracks read so far, in stream order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The cluster index: one entry per Cluster begun so far, in stream order.
    pub fn clusters(&self) -> &[ClusterEntry] {
        &self.clusters
    }

    /// The largest absolute block timecode read so far (TimecodeScale units): with the
    /// last frame's duration, the recording's Duration.
    pub fn max_timecode(&self) -> Option<i64> {
        self.max_timecode
    }

    /// Offset just past the last complete block (SimpleBlock or BlockGroup).
    pub fn last_block_end(&self) -> Option<u64> {
        self.last_block_end
    }

    /// Complete blocks read so far, all tracks together.
    pub fn block_count(&self) -> u64 {
        self.blocks
    }

    /// One step of the walk: reads at least one byte of `rest`.
    fn step(&mut self, rest: &mut &[u8]) -> Result<(), EbmlError> {
        match self.state {
            State::Id { value, len, got } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let (value, len) = if got == 0 {
                    self.element = self.pos;
                    // The length is the count of leading zero bits plus one (RFC 8794, 5).
                    let len = byte.leading_zeros().saturating_add(1);
                    if len > 4 {
                        return Err(EbmlError::InvalidId { offset: self.pos });
                    }
                    (u32::from(byte), len as u8)
                } else {
                    ((value << 8) | u32::from(byte), len)
                };
                self.advance(1)?;
                let got = got.saturating_add(1);
                if got < len {
                    self.state = State::Id { value, len, got };
                    Ok(())
                } else {
                    self.on_id(value)
                }
            }
            State::Size {
                id,
                value,
                len,
                got,
                all_ones,
            } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let (value, len, all_ones) = if got == 0 {
                    if byte == 0 {
                        return Err(EbmlError::InvalidSize { offset: self.pos });
                    }
                    let len = byte.leading_zeros().saturating_add(1);
                    let mask = 0xFFu8.checked_shr(len).unwrap_or(0);
                    (u64::from(byte & mask), len as u8, byte & mask == mask)
                } else {
                    (
                        (value << 8) | u64::from(byte),
                        len,
                        all_ones && byte == 0xFF,
                    )
                };
                self.advance(1)?;
                let got = got.saturating_add(1);
                if got < len {
                    self.state = State::Size {
                        id,
                        value,
                        len,
                        got,
                        all_ones,
                    };
                    Ok(())
                } else {
                    // All value bits set means "unknown size".
                    self.on_size(id, (!all_ones).then_some(value))
                }
            }
            State::Uint { id, value, left } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let value = (value << 8) | u64::from(byte);
                self.advance(1)?;
                let left = left.saturating_sub(1);
                if left > 0 {
                    self.state = State::Uint { id, value, left };
                    Ok(())
                } else {
                    self.on_uint(id, value)?;
                    self.complete()
                }
            }
            State::Collect {
                field,
                need,
                then_skip,
            } => {
                let n = need.saturating_sub(self.scratch_len).min(rest.len());
                let (Some(head), Some(tail)) = (rest.get(..n), rest.get(n..)) else {
                    return Ok(());
                };
                let end = self.scratch_len.saturating_add(n);
                if let Some(slot) = self.scratch.get_mut(self.scratch_len..end) {
                    slot.copy_from_slice(head);
                }
                *rest = tail;
                self.scratch_len = end;
                self.advance(n as u64)?;
                if self.scratch_len < need {
                    return Ok(());
                }
                self.on_field(field)?;
                self.skip_body(then_skip)
            }
            State::Skip { left } => {
                let n = usize::try_from(left).map_or(rest.len(), |left| left.min(rest.len()));
                *rest = rest.get(n..).unwrap_or_default();
                self.advance(n as u64)?;
                self.skip_body(left.saturating_sub(n as u64))
            }
        }
    }

    fn advance(&mut self, n: u64) -> Result<(), EbmlError> {
        self.pos = self
            .pos
            .checked_add(n)
            .ok_or(EbmlError::Overflow { offset: self.pos })?;
        Ok(())
    }

    fn top(&self) -> Option<Frame> {
        self.depth
            .checked_sub(1)
            .and_then(|i| self.frames.get(i))
            .copied()
    }

    /// The ID of the current element has been read.
    fn on_id(&mut self, id: u32) -> Result<(), EbmlError> {
        let start = self.element;
        // An element of unknown size ends where an element that cannot be its child
        // begins (RFC 8794, section 6.2): for a Cluster, a Segment child or a top-level
        // element.
        if let Some(Frame {
            master: Master::Cluster,
            start: cluster,
            end: None,
        }) = self.top()
        {
            if ends_cluster(id) {
                self.depth = self.depth.saturating_sub(1);
                self.finish(Master::Cluster, cluster)?;
            }
        }
        match self.top() {
            None if !self.seen_ebml => {
                if id != id::EBML {
                    return Err(EbmlError::NotEbml { offset: start });
                }
                self.seen_ebml = true;
            }
            Some(Frame {
                master: Master::Segment,
                ..
            }) if id == id::CLUSTER => {
                if self.header_end.is_none() {
                    if self.pos > self.options.max_header_bytes {
                        return Err(EbmlError::HeaderTooLarge {
                            limit: self.options.max_header_bytes,
                        });
                    }
                    self.header_end = Some(start);
                }
                self.clusters.push(ClusterEntry {
                    offset: start,
                    timecode: None,
                    keyframe: None,
                });
            }
            Some(Frame { end: Some(end), .. }) if self.pos > end => {
                return Err(EbmlError::Overrun { offset: start, id });
            }
            _ => {}
        }
        self.state = State::Size {
            id,
            value: 0,
            len: 0,
            got: 0,
            all_ones: false,
        };
        Ok(())
    }

    /// The size of the current element has been read: decide what to do with its body.
    fn on_size(&mut self, id: u32, size: Option<u64>) -> Result<(), EbmlError> {
        let start = self.element;
        let end = match size {
            Some(size) => Some(
                self.pos
                    .checked_add(size)
                    .ok_or(EbmlError::Overflow { offset: start })?,
            ),
            None => None,
        };
        let parent = self.top();
        if let Some(Frame {
            end: Some(parent_end),
            ..
        }) = parent
        {
            match end {
                None => return Err(EbmlError::UnknownSize { offset: start, id }),
                Some(end) if end > parent_end => {
                    return Err(EbmlError::Overrun { offset: start, id })
                }
                Some(_) => {}
            }
        }
        let metadata = self.options.metadata;
        match parent.map(|f| f.master) {
            None if id == id::SEGMENT => {
                self.segment = Some(SegmentInfo {
                    offset: start,
                    data_offset: self.pos,
                    size,
                });
                // Whatever its size says (MediaRecorder writes "unknown"), everything
                // after the Segment's start is read as its children.
                self.open(id, Master::Segment, None)
            }
            Some(Master::Segment) => match id {
                id::CLUSTER => self.open(id, Master::Cluster, end),
                id::INFO if metadata && self.info.is_none() => {
                    let end = self.known_header_end(id, end)?;
                    self.info = Some(start..end);
                    self.open(id, Master::Info, Some(end))
                }
                id::TRACKS if metadata && self.tracks_range.is_none() => {
                    let end = self.known_header_end(id, end)?;
                    self.tracks_range = Some(start..end);
                    self.open(id, Master::Tracks, Some(end))
                }
                _ => self.skip(id, end),
            },
            Some(Master::Info) if id == id::TIMECODE_SCALE => self.uint(id, size),
            Some(Master::Tracks) if id == id::TRACK_ENTRY => {
                if self.tracks.len() >= MAX_TRACKS {
                    return Err(EbmlError::TooManyTracks { offset: start });
                }
                self.draft = TrackDraft::default();
                self.open(id, Master::TrackEntry, end)
            }
            Some(Master::TrackEntry) => match id {
                id::TRACK_NUMBER | id::TRACK_TYPE => self.uint(id, size),
                id::CODEC_ID => match size {
                    Some(size) if size <= MAX_FIELD_BYTES as u64 => {
                        self.collect(Field::CodecId, size as usize, 0)
                    }
                    _ => Err(EbmlError::TooLarge { offset: start, id }),
                },
                _ => self.skip(id, end),
            },
            Some(Master::Cluster) => match id {
                id::TIMECODE => self.uint(id, size),
                id::SIMPLE_BLOCK => self.block(true, size),
                id::BLOCK_GROUP => {
                    self.group_block = None;
                    self.group_has_reference = false;
                    self.open(id, Master::BlockGroup, end)
                }
                _ => self.skip(id, end),
            },
            Some(Master::BlockGroup) => match id {
                id::BLOCK => self.block(false, size),
                id::REFERENCE_BLOCK => {
                    self.group_has_reference = true;
                    self.skip(id, end)
                }
                _ => self.skip(id, end),
            },
            _ => self.skip(id, end),
        }
    }

    /// Opens a master element; its children follow. An empty one closes at once.
    fn open(&mut self, id: u32, master: Master, end: Option<u64>) -> Result<(), EbmlError> {
        let start = self.element;
        if end.is_none() && !matches!(master, Master::Segment | Master::Cluster) {
            return Err(EbmlError::UnknownSize { offset: start, id });
        }
        // The dispatch opens at most MAX_DEPTH levels; running out would be a reader
        // bug, reported as an overrun rather than a panic.
        let slot = self
            .frames
            .get_mut(self.depth)
            .ok_or(EbmlError::Overrun { offset: start, id })?;
        *slot = Frame { master, start, end };
        self.depth = self.depth.saturating_add(1);
        self.state = NEXT_ID;
        self.close_finished()
    }

    /// The end of a header element, which must be known and within the header bound.
    fn known_header_end(&self, id: u32, end: Option<u64>) -> Result<u64, EbmlError> {
        let end = end.ok_or(EbmlError::UnknownSize {
            offset: self.element,
            id,
        })?;
        if self.header_end.is_none() && end > self.options.max_header_bytes {
            return Err(EbmlError::HeaderTooLarge {
                limit: self.options.max_header_bytes,
            });
        }
        Ok(end)
    }

    /// Skips the current element's body.
    fn skip(&mut self, id: u32, end: Option<u64>) -> Result<(), EbmlError> {
        let end = self.known_header_end(id, end)?;
        self.skip_body(end.saturating_sub(self.pos))
    }

    fn skip_body(&mut self, left: u64) -> Result<(), EbmlError> {
        if left == 0 {
            self.complete()
        } else {
            self.state = State::Skip { left };
            Ok(())
        }
    }

    /// Reads the current element's body as an unsigned integer (at most 8 bytes).
    fn uint(&mut self, id: u32, size: Option<u64>) -> Result<(), EbmlError> {
        let offset = self.element;
        match size {
            None => Err(EbmlError::UnknownSize { offset, id }),
            // An empty unsigned integer is 0 (RFC 8794, section 7.2).
            Some(0) => {
                self.on_uint(id, 0)?;
                self.complete()
            }
            Some(size @ 1..=8) => {
                self.state = State::Uint {
                    id,
                    value: 0,
                    left: size as u8,
                };
                Ok(())
            }
            Some(_) => Err(EbmlError::TooLarge { offset, id }),
        }
    }

    /// Reads a SimpleBlock's or Block's header, then skips its frames.
    fn block(&mut self, simple: bool, size: Option<u64>) -> Result<(), EbmlError> {
        let offset = self.element;
        let size = size.ok_or(EbmlError::UnknownSize {
            offset,
            id: if simple { id::SIMPLE_BLOCK } else { id::BLOCK },
        })?;
        // The shortest header: a 1-byte track number, the timecode, the flags.
        if size < 4 {
            return Err(EbmlError::InvalidBlock { offset });
        }
        let need = size.min(BLOCK_HEADER_MAX);
        self.collect(
            Field::Block { simple },
            need as usize,
            size.saturating_sub(need),
        )
    }

    fn collect(&mut self, field: Field, need: usize, then_skip: u64) -> Result<(), EbmlError> {
        self.scratch_len = 0;
        if need == 0 {
            self.on_field(field)?;
            return self.skip_body(then_skip);
        }
        self.state = State::Collect {
            field,
            need,
            then_skip,
        };
        Ok(())
    }

    fn on_uint(&mut self, id: u32, value: u64) -> Result<(), EbmlError> {
        let offset = self.element;
        match id {
            id::TIMECODE_SCALE => {
                if value == 0 {
                    return Err(EbmlError::InvalidValue { offset, id });
                }
                self.timecode_scale = value;
            }
            id::TRACK_NUMBER => self.draft.number = Some(value),
            id::TRACK_TYPE => self.draft.kind = Some(value),
            id::TIMECODE => {
                let cluster = self
                    .clusters
                    .last_mut()
                    .ok_or(EbmlError::MissingTimecode { offset })?;
                if cluster.timecode.is_some() {
                    return Err(EbmlError::Duplicate { offset, id });
                }
                cluster.timecode = Some(value);
            }
            _ => {}
        }
        Ok(())
    }

    fn on_field(&mut self, field: Field) -> Result<(), EbmlError> {
        let offset = self.element;
        let bytes = self.scratch.get(..self.scratch_len).unwrap_or_default();
        match field {
            Field::CodecId => {
                // EBML strings may be padded with zero bytes.
                let text = match bytes.iter().position(|&b| b == 0) {
                    Some(nul) => bytes.get(..nul).unwrap_or_default(),
                    None => bytes,
                };
                let text = std::str::from_utf8(text).map_err(|_| EbmlError::InvalidValue {
                    offset,
                    id: id::CODEC_ID,
                })?;
                self.draft.codec_id = text.to_string();
            }
            Field::Block { simple } => {
                let head = parse_block_head(bytes, simple, offset)
                    .ok_or(EbmlError::InvalidBlock { offset })?;
                if simple {
                    self.simple_block = Some(head);
                } else if self.group_block.is_some() {
                    return Err(EbmlError::Duplicate {
                        offset,
                        id: id::BLOCK,
                    });
                } else {
                    self.group_block = Some(head);
                }
            }
        }
        Ok(())
    }

    /// The current element's body has been read to its end.
    fn complete(&mut self) -> Result<(), EbmlError> {
        self.state = NEXT_ID;
        if let Some(head) = self.simple_block.take() {
            self.commit_block(head, head.key)?;
        }
        self.close_finished()
    }

    /// Closes the masters that end at the current offset, innermost first.
    fn close_finished(&mut self) -> Result<(), EbmlError> {
        while let Some(frame) = self.top() {
            if frame.end != Some(self.pos) {
                break;
            }
            self.depth = self.depth.saturating_sub(1);
            self.finish(frame.master, frame.start)?;
        }
        Ok(())
    }

    /// A master element starting at `start` has ended.
    fn finish(&mut self, master: Master, start: u64) -> Result<(), EbmlError> {
        match master {
            Master::TrackEntry => {
                let draft = std::mem::take(&mut self.draft);
                let (Some(number @ 1..), Some(kind)) = (draft.number, draft.kind) else {
                    return Err(EbmlError::InvalidValue {
                        offset: start,
                        id: id::TRACK_ENTRY,
                    });
                };
                if self.tracks.iter().any(|t| t.number == number) {
                    return Err(EbmlError::Duplicate {
                        offset: start,
                        id: id::TRACK_NUMBER,
                    });
                }
                self.tracks.push(Track {
                    number,
                    kind: match kind {
                        1 => TrackKind::Video,
                        2 => TrackKind::Audio,
                        other => TrackKind::Other(other),
                    },
                    codec_id: draft.codec_id,
                    blocks: 0,
                });
            }
            Master::BlockGroup => {
                // Without a ReferenceBlock, a Block is a keyframe (Matroska, BlockGroup).
                let head = self
                    .group_block
                    .take()
                    .ok_or(EbmlError::InvalidBlock { offset: start })?;
                self.commit_block(head, !self.group_has_reference)?;
            }
            Master::Cluster => {
                if let Some(ClusterEntry { timecode: None, .. }) = self.clusters.last() {
                    return Err(EbmlError::MissingTimecode { offset: start });
                }
            }
            Master::Segment | Master::Info | Master::Tracks => {}
        }
        Ok(())
    }

    /// A whole block has been read (it ends at the current offset).
    fn commit_block(&mut self, head: BlockHead, key: bool) -> Result<(), EbmlError> {
        let missing = EbmlError::MissingTimecode {
            offset: head.offset,
        };
        let cluster = self.clusters.last_mut().ok_or(missing)?;
        let base = cluster.timecode.ok_or(missing)?;
        let timecode = i64::try_from(base)
            .ok()
            .and_then(|base| base.checked_add(i64::from(head.relative)))
            .ok_or(EbmlError::Overflow {
                offset: head.offset,
            })?;
        self.max_timecode = Some(self.max_timecode.map_or(timecode, |m| m.max(timecode)));
        self.last_block_end = Some(self.pos);
        self.blocks = self.blocks.saturating_add(1);
        let video = match self.tracks.iter_mut().find(|t| t.number == head.track) {
            Some(track) => {
                track.blocks = track.blocks.saturating_add(1);
                track.kind == TrackKind::Video
            }
            None => false,
        };
        if key && video && cluster.keyframe.is_none() {
            cluster.keyframe = Some(Keyframe {
                track: head.track,
                timecode,
            });
        }
        Ok(())
    }

    /// The header must end within the bound: fail once the bound is passed without it.
    fn check_header_limit(&self) -> Result<(), EbmlError> {
        if self.header_end.is_none() && self.pos >= self.options.max_header_bytes {
            return Err(EbmlError::HeaderTooLarge {
                limit: self.options.max_header_bytes,
            });
        }
        Ok(())
    }
}

/// IDs that end a Cluster of unknown size: the Segment's other children and the
/// top-level elements.
fn ends_cluster(id: u32) -> bool {
    matches!(
        id,
        id::CLUSTER
            | id::CUES
            | id::SEEK_HEAD
            | id::INFO
            | id::TRACKS
            | id::TAGS
            | id::CHAPTERS
            | id::ATTACHMENTS
            | id::EBML
            | id::SEGMENT
    )
}

/// Reads a block header: track number (VINT), relative timecode (big-endian i16), flags.
fn parse_block_head(bytes: &[u8], simple: bool, offset: u64) -> Option<BlockHead> {
    let first = *bytes.first()?;
    if first == 0 {
        return None;
    }
    let len = (first.leading_zeros() as usize).saturating_add(1);
    let mask = 0xFFu8.checked_shr(len as u32).unwrap_or(0);
    let track = bytes
        .get(1..len)?
        .iter()
        .fold(u64::from(first & mask), |acc, &b| (acc << 8) | u64::from(b));
    let rest = bytes.get(len..len.checked_add(3)?)?;
    let (&hi, &lo, &flags) = (rest.first()?, rest.get(1)?, rest.get(2)?);
    Some(BlockHead {
        track,
        relative: i16::from_be_bytes([hi, lo]),
        // SimpleBlock flags bit 0x80: keyframe. A Block's bit is reserved; its group
        // decides.
        key: simple && flags & 0x80 != 0,
        offset,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
#[path = "ebml_tests.rs"]
mod tests;
