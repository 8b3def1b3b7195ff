//! [`EbmlReader`]: its state and public API. The walk over the bytes is in
//! [`vint`] (IDs, sizes, integer bodies), what the elements mean in [`elements`].
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

mod elements;
mod vint;

use std::ops::Range;

use super::{
    ClusterEntry, EbmlError, SegmentInfo, Track, DEFAULT_MAX_HEADER_BYTES, MAX_FIELD_BYTES,
};

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

/// A push parser of one WebM stream; see the [module docs](super).
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

    fn top(&self) -> Option<Frame> {
        self.depth
            .checked_sub(1)
            .and_then(|i| self.frames.get(i))
            .copied()
    }
}
