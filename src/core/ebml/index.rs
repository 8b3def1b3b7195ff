//! What the reader records: the tracks and the cluster index.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

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
    /// Byte offset just past the Cluster's Timecode element, once read: a snapshot
    /// rewrites the Cluster's start up to here (new Timecode) and keeps the rest.
    pub timecode_end: Option<u64>,
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
