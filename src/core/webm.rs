//! Finds where the header of a WebM (Matroska) recording ends.
//!
//! A MediaRecorder WebM stream starts with the EBML header and a Segment of unknown
//! size whose first children (Info, Tracks, maybe SeekHead/Tags) describe the tracks;
//! then come Clusters of media. Only the start of the recording carries that header
//! and later chunks are undecodable without it, so the ring pins every chunk up to
//! the one where the first Cluster begins (the *header run*).
//!
//! Chunk edges do not follow element edges (Chromium's first chunk is often the single
//! byte `0x1A`, and a Cluster ID may be split over two chunks), so the scanner takes
//! the chunks one by one, in order, and walks the elements over their concatenation:
//! it skips each Segment child by its declared size rather than searching for the
//! Cluster ID's bytes, which could appear by chance inside codec private data.
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

/// EBML header element ID.
pub const EBML_ID: u32 = 0x1A45_DFA3;
/// Segment element ID.
pub const SEGMENT_ID: u32 = 0x1853_8067;
/// Cluster element ID.
pub const CLUSTER_ID: u32 = 0x1F43_B675;

/// Bytes the scanner accumulates at most before it gives up.
pub const MAX_SCAN_BYTES: usize = 1024 * 1024;

/// What the scanner knows after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanResult {
    /// The first Cluster has not been reached yet.
    NeedMore,
    /// The first Cluster starts at byte `cluster_offset` of the recording, inside chunk
    /// `last_seq`: the header run is every chunk up to and including `last_seq`.
    HeaderEnd {
        /// Sequence number of the last chunk of the header run.
        last_seq: u64,
        /// Byte offset of the first Cluster's ID in the recording.
        cluster_offset: u64,
    },
    /// The bytes are not a WebM stream the scanner can walk (or no Cluster within
    /// [`MAX_SCAN_BYTES`]); the caller should keep only the first chunk as the header.
    NotWebm,
}

/// Incremental header-end finder; feed it the chunks of one recording in order.
#[derive(Debug, Default)]
pub struct HeaderScanner {
    bytes: Vec<u8>,
    /// (sequence number, end offset) of each chunk fed, in order.
    chunks: Vec<(u64, u64)>,
    done: Option<ScanResult>,
}

enum Step {
    Done(u64),
    More,
    Invalid,
}

impl HeaderScanner {
    /// A scanner at the start of a recording.
    pub fn new() -> Self {
        HeaderScanner::default()
    }

    /// Feeds the next chunk (sequence number `seq`, its bytes); once the answer is known
    /// further calls return it again without work.
    pub fn feed(&mut self, seq: u64, chunk: &[u8]) -> ScanResult {
        if let Some(done) = self.done {
            return done;
        }
        if self.bytes.len() + chunk.len() > MAX_SCAN_BYTES {
            let take = MAX_SCAN_BYTES.saturating_sub(self.bytes.len());
            self.bytes.extend_from_slice(&chunk[..take]);
        } else {
            self.bytes.extend_from_slice(chunk);
        }
        self.chunks.push((seq, self.bytes.len() as u64));
        let result = match find_first_cluster(&self.bytes) {
            Step::Done(offset) => {
                let last_seq = self
                    .chunks
                    .iter()
                    .find(|(_, end)| offset < *end)
                    .map(|(s, _)| *s)
                    .unwrap_or(seq);
                ScanResult::HeaderEnd {
                    last_seq,
                    cluster_offset: offset,
                }
            }
            Step::Invalid => ScanResult::NotWebm,
            Step::More if self.bytes.len() >= MAX_SCAN_BYTES => ScanResult::NotWebm,
            Step::More => ScanResult::NeedMore,
        };
        if result != ScanResult::NeedMore {
            self.done = Some(result);
            self.bytes = Vec::new();
            self.chunks = Vec::new();
        }
        result
    }
}

/// Reads an element ID (marker bits kept) at `pos`: (id, length), `None` if more bytes
/// are needed, `Some(Err)` if the first byte is not a valid ID start.
fn read_id(b: &[u8], pos: usize) -> Option<Result<(u32, usize), ()>> {
    let first = *b.get(pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return Some(Err(()));
    }
    let bytes = b.get(pos..pos + len)?;
    let id = bytes.iter().fold(0u32, |acc, &x| (acc << 8) | x as u32);
    Some(Ok((id, len)))
}

/// Reads an element size (VINT) at `pos`: (size or `None` if unknown, length).
fn read_size(b: &[u8], pos: usize) -> Option<Result<(Option<u64>, usize), ()>> {
    let first = *b.get(pos)?;
    if first == 0 {
        return Some(Err(()));
    }
    let len = first.leading_zeros() as usize + 1;
    let bytes = b.get(pos..pos + len)?;
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut value = (bytes[0] & mask) as u64;
    let mut all_ones = (bytes[0] & mask) == mask;
    for &x in &bytes[1..] {
        value = (value << 8) | x as u64;
        all_ones &= x == 0xFF;
    }
    Some(Ok((if all_ones { None } else { Some(value) }, len)))
}

fn find_first_cluster(b: &[u8]) -> Step {
    let mut pos = 0usize;
    let mut in_segment = false;
    let mut first = true;
    loop {
        let (id, id_len) = match read_id(b, pos) {
            None => return Step::More,
            Some(Err(())) => return Step::Invalid,
            Some(Ok(v)) => v,
        };
        if first && id != EBML_ID {
            return Step::Invalid;
        }
        first = false;
        if in_segment && id == CLUSTER_ID {
            return Step::Done(pos as u64);
        }
        let (size, size_len) = match read_size(b, pos + id_len) {
            None => return Step::More,
            Some(Err(())) => return Step::Invalid,
            Some(Ok(v)) => v,
        };
        let body = pos + id_len + size_len;
        if id == SEGMENT_ID && !in_segment {
            // Step into the Segment, whatever its size says (Chromium writes "unknown").
            in_segment = true;
            pos = body;
            continue;
        }
        match size {
            // A child of unknown size before the first Cluster cannot be skipped.
            None => return Step::Invalid,
            Some(n) => match usize::try_from(n).ok().and_then(|n| body.checked_add(n)) {
                Some(next) => pos = next,
                None => return Step::Invalid,
            },
        }
        if pos > MAX_SCAN_BYTES {
            return Step::Invalid;
        }
    }
}

#[cfg(test)]
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
            let expected_last = if cut > 37 { 0 } else { 1 };
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
        assert_eq!(
            s.feed(0, &[0, 0, 0, 0x18, b'f', b't', b'y', b'p']),
            ScanResult::NotWebm
        );
    }
}
