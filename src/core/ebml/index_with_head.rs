//! [`RecordingIndex`]: the streaming reader plus the recording's header bytes, the two
//! things [`seekable()`](super::seekable()) and [`snapshot()`](super::snapshot()) need. One place keeps the header (until the
//! reader knows where it ends, then exactly it), for `makeSeekable`'s pass over a Blob
//! and for a stream indexed while it records alike.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::ops::Range;

use super::{seekable, snapshot, EbmlError, EbmlReader, Progress};
use crate::core::container::{Seekable, Snapshot};

/// A recording read so far: its cluster index and its header's bytes.
#[derive(Debug, Clone, Default)]
pub struct RecordingIndex {
    reader: EbmlReader,
    head: Vec<u8>,
}

impl RecordingIndex {
    /// Nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next bytes of the recording, in order. Keeps what may be header (bounded:
    /// the reader fails past [`ReaderOptions::max_header_bytes`](super::ReaderOptions)),
    /// and once the header's end is known, exactly the header.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Progress, EbmlError> {
        if let Some(e) = self.reader.error() {
            return Err(e);
        }
        let had_header = self.reader.header_end().is_some();
        if !had_header {
            self.head.extend_from_slice(bytes);
        }
        let progress = self.reader.feed(bytes);
        if let (false, Some(end)) = (had_header, self.reader.header_end()) {
            self.head
                .truncate(usize::try_from(end).unwrap_or(usize::MAX));
            self.head.shrink_to_fit();
        }
        progress
    }

    /// The reader (its index, tracks, error).
    pub fn reader(&self) -> &EbmlReader {
        &self.reader
    }

    /// The whole recording read so far as a seekable file ([`seekable()`](super::seekable())).
    pub fn seekable(&self) -> Result<Seekable, EbmlError> {
        seekable(&self.head, &self.reader)
    }

    /// The last `last_ms` of what is `held` ([`snapshot()`](super::snapshot())).
    pub fn snapshot(&self, held: Range<u64>, last_ms: Option<f64>) -> Result<Snapshot, EbmlError> {
        snapshot(&self.head, &self.reader, held, last_ms)
    }
}
