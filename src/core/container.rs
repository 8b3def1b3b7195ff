//! What the two containers have in common: the files made of a recording, WebM or
//! fragmented MP4 ([`Seekable`], [`Snapshot`] and its [`Part`]s), and
//! [`ContainerIndex`], the index of a recording as it arrives, WebM
//! ([`RecordingIndex`]) or fragmented MP4 ([`Mp4Index`]), behind the few operations
//! the shell needs: feed, failure, a seekable file, a snapshot, and the byte ranges a
//! snapshot keeps as they are (so the shell can join them into one Blob each while
//! recording).
#![deny(missing_docs)]
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::ops::Range;

use crate::core::ebml::{EbmlError, RecordingIndex};
use crate::core::mp4::Mp4Index;

/// A recording made seekable: a new header, then the recording's own bytes, unchanged
/// (WebM: [`ebml::seekable`](crate::core::ebml::seekable()); MP4:
/// [`Mp4Index::seekable`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Seekable {
    /// The new header (WebM: EBML header, Segment start, SeekHead, Info, Tracks, Cues;
    /// MP4: the init segment with its durations, a `mehd` and a `sidx`).
    pub header: Vec<u8>,
    /// The recording's bytes that follow it unchanged (WebM: its first Cluster to the
    /// end of its last complete block; MP4: its first fragment to the end of its last
    /// complete one).
    pub body: Range<u64>,
    /// The duration written, in milliseconds.
    pub duration_ms: f64,
    /// Seek points written (WebM: CuePoints; MP4: `sidx` references).
    pub cues: usize,
}

/// A piece of a [`Snapshot`]'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes written here (WebM: a Cluster's new start, its ID, size and Timecode; MP4:
    /// a `tfdt`'s new value).
    Bytes(Vec<u8>),
    /// The recording's bytes at these offsets, unchanged.
    Range(Range<u64>),
}

/// The last seconds of a recording as a file of its own (WebM:
/// [`ebml::snapshot`](crate::core::ebml::snapshot()); MP4: [`Mp4Index::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The new header (as [`Seekable::header`]).
    pub header: Vec<u8>,
    /// The body: the bytes written and the recording's bytes kept, in order.
    pub parts: Vec<Part>,
    /// Where the clip starts in the recording (its first Cluster's time; MP4: the
    /// earliest `tfdt` of its fragments, its time 0), in ms.
    pub start_ms: f64,
    /// The clip's duration, in milliseconds (its time starts at 0).
    pub duration_ms: f64,
    /// Seek points written (as [`Seekable::cues`]).
    pub cues: usize,
}

/// Why a snapshot cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Not yet: nothing held starts with a keyframe (try again shortly).
    NotReady,
    /// The recording cannot be read (its message).
    Data(String),
}

/// A recording's index (see the module docs).
// One per indexed stream: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ContainerIndex {
    /// Matroska/WebM.
    Webm(RecordingIndex),
    /// Fragmented MP4.
    Mp4(Mp4Index),
}

impl Default for ContainerIndex {
    fn default() -> Self {
        ContainerIndex::Webm(RecordingIndex::new())
    }
}

impl ContainerIndex {
    /// An empty index for a recorder's `mime_type` (MP4 for `…mp4…`, else WebM).
    pub fn for_mime(mime_type: &str) -> Self {
        if crate::core::config::is_mp4(mime_type) {
            ContainerIndex::Mp4(Mp4Index::new())
        } else {
            ContainerIndex::default()
        }
    }

    /// The next bytes, in order. A failure stays (see [`failure`](Self::failure)).
    pub fn feed(&mut self, bytes: &[u8]) {
        match self {
            ContainerIndex::Webm(i) => {
                let _ = i.feed(bytes);
            }
            ContainerIndex::Mp4(i) => {
                let _ = i.feed(bytes);
            }
        }
    }

    /// Why the bytes cannot be indexed, if they cannot.
    pub fn failure(&self) -> Option<String> {
        match self {
            ContainerIndex::Webm(i) => i.reader().error().map(|e| e.to_string()),
            ContainerIndex::Mp4(i) => i.error().map(|e| e.to_string()),
        }
    }

    /// An empty index for a recording whose first bytes are `head`: MP4 if its first
    /// box is `ftyp` (bytes 4 to 8), else WebM. Fewer than 8 bytes (a stream may hand
    /// over its first bytes in a short read) are MP4 if they start with 0, the high byte
    /// of the `ftyp` box's size (WebM starts with 0x1A; the header scan's rule), and
    /// what there is of bytes 4 to 8 spells the start of `ftyp`.
    pub fn for_bytes(head: &[u8]) -> Self {
        let mp4 = match head.get(4..8) {
            Some(kind) => kind == b"ftyp",
            None => head.first() == Some(&0) && b"ftyp".starts_with(head.get(4..).unwrap_or(&[])),
        };
        if mp4 {
            ContainerIndex::Mp4(Mp4Index::new())
        } else {
            ContainerIndex::default()
        }
    }

    /// Whether it reads MP4.
    pub fn is_mp4(&self) -> bool {
        matches!(self, ContainerIndex::Mp4(_))
    }

    /// The whole recording read so far as a seekable file, or why not (an index that
    /// failed makes none, WebM or MP4).
    pub fn seekable(&self) -> Result<Seekable, String> {
        match self {
            ContainerIndex::Webm(i) => i.seekable().map_err(|e| e.to_string()),
            // As WebM's (and `snapshot`): no file from bytes that failed to read.
            ContainerIndex::Mp4(i) => match i.error() {
                Some(e) => Err(e.to_string()),
                None => i.seekable().map_err(|e| e.to_string()),
            },
        }
    }

    /// The last `last_ms` of the bytes `held` (all if `None`) as a file of its own.
    pub fn snapshot(
        &self,
        held: Range<u64>,
        last_ms: Option<f64>,
    ) -> Result<Snapshot, SnapshotError> {
        match self {
            ContainerIndex::Webm(i) => i.snapshot(held, last_ms).map_err(|e| match e {
                EbmlError::Missing { .. } => SnapshotError::NotReady,
                e => SnapshotError::Data(e.to_string()),
            }),
            ContainerIndex::Mp4(i) => {
                if let Some(e) = i.error() {
                    return Err(SnapshotError::Data(e.to_string()));
                }
                i.snapshot(held, last_ms)
                    .map_err(|_| SnapshotError::NotReady)
            }
        }
    }

    /// The ranges a snapshot keeps as they are, of every unit (Cluster, fragment)
    /// completed since unit `from`; and the unit to go on from next time.
    pub fn stable_ranges(&self, from: usize) -> (Vec<Range<u64>>, usize) {
        match self {
            ContainerIndex::Webm(i) => {
                let clusters = i.reader().clusters();
                let done = clusters.len().saturating_sub(1).max(from);
                let rest = clusters.get(from..).unwrap_or(&[]);
                let ranges = rest
                    .iter()
                    .zip(rest.iter().skip(1))
                    .filter_map(|(c, next)| c.timecode_end.map(|t| t..next.offset.max(t)))
                    .collect();
                (ranges, done)
            }
            ContainerIndex::Mp4(i) => {
                let mut ranges = Vec::new();
                let mut next = from;
                while let Some(r) = i
                    .fragments()
                    .get(next)
                    .filter(|f| f.end.is_some_and(|e| e <= i.offset()))
                    .and_then(|_| i.stable_ranges(next))
                {
                    ranges.extend(r);
                    next = next.saturating_add(1);
                }
                (ranges, next)
            }
        }
    }
}
