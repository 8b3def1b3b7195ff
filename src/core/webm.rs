//! Finds where the header of a WebM (Matroska) recording ends, or the init segment of
//! a fragmented MP4 (its first byte is 0, not WebM's 0x1A; see [`crate::core::mp4`]:
//! `cluster_offset` is then the first `moof`'s offset).
//!
//! A MediaRecorder WebM stream starts with the EBML header and a Segment of unknown
//! size whose first children (Info, Tracks, maybe SeekHead/Tags) describe the tracks;
//! then come Clusters of media. Only the start of the recording carries that header
//! and later chunks are undecodable without it, so the ring pins every chunk up to
//! the one where the first Cluster begins (the *header run*).
//!
//! Chunk edges do not follow element edges (Chromium's first chunk is often the single
//! byte `0x1A`, and a Cluster ID may be split over two chunks), so the scanner takes
//! the chunks one by one, in order, and walks the elements with the streaming
//! [`EbmlReader`]: each byte once, keeping only a partial ID or size between chunks. It
//! skips each Segment child by its declared size rather than searching for the Cluster
//! ID's bytes, which could appear by chance inside codec private data, and it does not
//! look inside Info or Tracks (whatever they hold, the header ends at the first Cluster).
//!
//! ```
//! use media_recorder_producer::core::webm::{HeaderScanner, ScanResult};
//! // EBML header (empty body), Segment of unknown size, a 2-byte Void, then a Cluster.
//! let bytes = [0x1A, 0x45, 0xDF, 0xA3, 0x80,
//!              0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
//!              0xEC, 0x81, 0x00,
//!              0x1F, 0x43, 0xB6, 0x75, 0x01];
//! let mut scanner = HeaderScanner::new();
//! assert_eq!(scanner.feed(0, &bytes[..1]), ScanResult::NeedMore); // Chromium's 1-byte chunk
//! assert_eq!(scanner.feed(1, &bytes[1..]), ScanResult::HeaderEnd { last_seq: 1, cluster_offset: 20 });
//! ```

// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::core::ebml::{self, EbmlReader, ReaderOptions};
use crate::core::mp4::Mp4Walker;

/// EBML header element ID.
pub const EBML_ID: u32 = ebml::id::EBML;
/// Segment element ID.
pub const SEGMENT_ID: u32 = ebml::id::SEGMENT;
/// Cluster element ID.
pub const CLUSTER_ID: u32 = ebml::id::CLUSTER;

/// Bytes the scanner reads at most before it gives up (the first Cluster's ID must end
/// within them).
pub const MAX_SCAN_BYTES: usize = 1024 * 1024;

/// What the scanner knows after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanResult {
    /// The first Cluster (MP4: `moof`) has not been reached yet.
    NeedMore,
    /// The first Cluster starts at byte `cluster_offset` of the recording; chunk
    /// `last_seq` holds the header's last byte: the header run is every chunk up to and
    /// including `last_seq` (a chunk that starts with the Cluster is not header).
    HeaderEnd {
        /// Sequence number of the last chunk of the header run.
        last_seq: u64,
        /// Byte offset of the first Cluster's ID in the recording.
        cluster_offset: u64,
    },
    /// The bytes are not a WebM (or fragmented MP4) stream the scanner can walk (or no
    /// Cluster or `moof` within [`MAX_SCAN_BYTES`]); the caller should keep only the
    /// first chunk as the header.
    NotWebm,
}

/// Incremental header-end finder; feed it the chunks of one recording in order.
#[derive(Debug)]
pub struct HeaderScanner {
    reader: EbmlReader,
    /// Bytes fed to the reader (at most [`MAX_SCAN_BYTES`]).
    fed: u64,
    /// (sequence number, end offset) of the last few non-empty chunks, oldest first;
    /// `(0, 0)` where there was none. The first Cluster's ID (at most 4 bytes; a
    /// `moof` box's size and type, 8) ends in the chunk that reveals it, so it starts
    /// in one of these, and the header's last byte, just before it, too.
    recent: [(u64, u64); 9],
    /// A fragmented MP4 (the first byte is 0, the high byte of an `ftyp` box's size;
    /// WebM starts with 0x1A): its init segment ends at the first `moof`.
    mp4: Option<Mp4Walker>,
    done: Option<ScanResult>,
}

impl Default for HeaderScanner {
    fn default() -> Self {
        HeaderScanner::new()
    }
}

impl HeaderScanner {
    /// A scanner at the start of a recording.
    pub fn new() -> Self {
        HeaderScanner {
            reader: EbmlReader::with_options(ReaderOptions {
                metadata: false,
                max_header_bytes: MAX_SCAN_BYTES as u64,
            }),
            fed: 0,
            recent: [(0, 0); 9],
            mp4: None,
            done: None,
        }
    }

    /// Feeds the next chunk (sequence number `seq`, its bytes); once the answer is known
    /// further calls return it again without work.
    pub fn feed(&mut self, seq: u64, chunk: &[u8]) -> ScanResult {
        if let Some(done) = self.done {
            return done;
        }
        let room = (MAX_SCAN_BYTES as u64).saturating_sub(self.fed);
        let take = usize::try_from(room).map_or(chunk.len(), |room| room.min(chunk.len()));
        let part = chunk.get(..take).unwrap_or(chunk);
        self.fed = self.fed.saturating_add(take as u64);
        if !part.is_empty() {
            self.recent.rotate_left(1);
            if let Some(last) = self.recent.last_mut() {
                *last = (seq, self.fed);
            }
        }
        if self.fed == part.len() as u64 && part.first() == Some(&0) {
            self.mp4 = Some(Mp4Walker::default());
        }
        let end = match self.mp4.as_mut() {
            Some(walker) => walker.feed(part).map_err(drop),
            None => {
                let walked = self.reader.feed(part).map(drop).map_err(drop);
                // The header end counts even if the bytes after it (inside the first
                // Cluster) do not read: the question is answered at the Cluster's ID.
                match self.reader.header_end() {
                    Some(offset) => Ok(Some(offset)),
                    None => walked.map(|()| None),
                }
            }
        };
        let result = match end {
            Ok(Some(offset)) => ScanResult::HeaderEnd {
                last_seq: self
                    .recent
                    .iter()
                    .find(|(_, end)| offset <= *end)
                    .map_or(seq, |(s, _)| *s),
                cluster_offset: offset,
            },
            Err(()) => ScanResult::NotWebm,
            Ok(None) if self.fed >= MAX_SCAN_BYTES as u64 => ScanResult::NotWebm,
            Ok(None) => ScanResult::NeedMore,
        };
        if result != ScanResult::NeedMore {
            self.done = Some(result);
            // Drop what the reader indexed past the header.
            self.reader = EbmlReader::new();
            self.mp4 = None;
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = vec![0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x86, 0x81, 0x01];
        v.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        // Info (0x1549A966) with 3 bytes of body, which happen to contain Cluster-ID-like bytes.
        v.extend([0x15, 0x49, 0xA9, 0x66, 0x84, 0x1F, 0x43, 0xB6, 0x75]);
        // Tracks (0x1654AE6B) with 2 bytes.
        v.extend([0x16, 0x54, 0xAE, 0x6B, 0x82, 0xAA, 0xBB]);
        v.extend([
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        v.extend([0xE7, 0x81, 0x00]);
        v
    }

    #[test]
    fn skips_lookalike_bytes_inside_elements() {
        let b = sample();
        let mut s = HeaderScanner::new();
        assert_eq!(
            s.feed(0, &b),
            ScanResult::HeaderEnd {
                last_seq: 0,
                cluster_offset: 37
            }
        );
    }

    #[test]
    fn every_split_finds_the_same_end() {
        let b = sample();
        for cut in 1..b.len() {
            let mut s = HeaderScanner::new();
            let first = s.feed(0, &b[..cut]);
            let r = if first == ScanResult::NeedMore {
                s.feed(1, &b[cut..])
            } else {
                first
            };
            let expected_last = if cut >= 37 { 0 } else { 1 };
            assert_eq!(
                r,
                ScanResult::HeaderEnd {
                    last_seq: expected_last,
                    cluster_offset: 37
                },
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn not_webm() {
        let mut s = HeaderScanner::new();
        assert_eq!(s.feed(0, b"OggS\0\x02"), ScanResult::NotWebm);
        // An MP4 start is walked as MP4 instead.
        let mut s = HeaderScanner::new();
        assert_eq!(
            s.feed(0, &[0, 0, 0, 0x18, b'f', b't', b'y', b'p']),
            ScanResult::NeedMore
        );
        let mut rest = vec![0u8; 16];
        rest.extend([0, 0, 0, 8, b'm', b'o', b'o', b'f']);
        assert_eq!(
            s.feed(1, &rest),
            ScanResult::HeaderEnd {
                last_seq: 1,
                cluster_offset: 24
            }
        );
    }
}
