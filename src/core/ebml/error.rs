//! [`EbmlError`]: why the bytes cannot be read.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::fmt;

use super::MAX_TRACKS;
// For the intra-doc links only.
#[cfg(doc)]
use super::{ReaderOptions, MAX_FIELD_BYTES};

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
    /// An element the output needs is not there (no Segment, Info, Tracks or
    /// Cluster, or no complete block) when the stream ends.
    Missing {
        /// The ID of what is missing.
        id: u32,
        /// Where the stream ended.
        offset: u64,
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
            | EbmlError::Missing { offset, .. }
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
            EbmlError::Missing { id, offset } => {
                let what = match id {
                    super::id::SEGMENT => "Segment",
                    super::id::INFO => "Info",
                    super::id::TRACKS => "Tracks",
                    super::id::CLUSTER => "Cluster",
                    super::id::SIMPLE_BLOCK => "complete block",
                    _ => "EBML header",
                };
                write!(f, "no {what} before the end (byte {offset})")
            }
            EbmlError::Overflow { offset } => {
                write!(f, "offset or timecode overflow at byte {offset}")
            }
        }
    }
}

impl std::error::Error for EbmlError {}
