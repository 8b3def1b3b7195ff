//! Finds where the init segment of a fragmented MP4 (ISO-BMFF) recording ends.
//!
//! Chromium's MediaRecorder `video/mp4` (and Safari's) is fragmented: `ftyp` and `moov`
//! (the init segment: brands, tracks, codec configuration), then `moof`+`mdat` pairs.
//! As with WebM, only the start carries what a decoder needs, so the ring pins every
//! chunk up to the one where the first `moof` begins.
//!
//! The walker reads top-level box headers only (32-bit size and type, or a 64-bit
//! `largesize`) and skips each box by its declared size, so it never looks inside
//! `moov` and cannot be fooled by bytes that happen to spell `moof` there. A header
//! split over chunks is kept (at most 16 bytes) until its end arrives. The first box
//! must be `ftyp`; a box that claims to run to the end of the file (size 0) or is
//! smaller than its own header ends the walk as "not a stream it can walk".
//!
//! ```
//! use media_recorder_producer::core::mp4::Mp4Walker;
//! let mut bytes = vec![0, 0, 0, 16, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 0, 0];
//! bytes.extend([0, 0, 0, 12, b'm', b'o', b'o', b'v', b'm', b'o', b'o', b'f']); // lookalike inside
//! bytes.extend([0, 0, 0, 8, b'm', b'o', b'o', b'f']);
//! let mut w = Mp4Walker::default();
//! assert_eq!(w.feed(&bytes[..20]), Ok(None));
//! assert_eq!(w.feed(&bytes[20..]), Ok(Some(28))); // the first moof is at byte 28
//! ```

// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

mod index;
pub use index::{Fragment, Mp4Error, Mp4Index, Track, Traf, MAX_BOX};

/// The bytes are not a fragmented MP4 the walker can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotMp4;

/// Walks the top-level boxes of an MP4 stream fed in order (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct Mp4Walker {
    /// Bytes fed so far.
    fed: u64,
    /// Offset of the next top-level box.
    next_box: u64,
    /// The part of that box's header read so far.
    head: [u8; 16],
    head_len: usize,
    /// Boxes walked.
    boxes: u32,
    done: Option<Result<u64, NotMp4>>,
}

impl Mp4Walker {
    /// Feeds the next bytes. `Ok(Some(offset))` once the first `moof` (or an `mdat`
    /// before any: an unfragmented file) is found at `offset`, `Ok(None)` while the
    /// init segment goes on, `Err` for bytes it cannot walk. Once answered, it answers
    /// the same again.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<u64>, NotMp4> {
        if let Some(done) = self.done {
            return done.map(Some);
        }
        let start = self.fed;
        self.fed = self.fed.saturating_add(bytes.len() as u64);
        let mut at = start;
        while at < self.fed {
            if at < self.next_box {
                at = self.next_box.min(self.fed);
                continue;
            }
            let Some(i) = at.checked_sub(start).and_then(|i| usize::try_from(i).ok()) else {
                break;
            };
            let Some(&byte) = bytes.get(i) else { break };
            if let Some(slot) = self.head.get_mut(self.head_len) {
                *slot = byte;
            }
            self.head_len = self.head_len.saturating_add(1);
            at = at.saturating_add(1);
            if let Some(answer) = self.header_read() {
                self.done = Some(answer);
                return answer.map(Some);
            }
        }
        Ok(None)
    }

    /// Called after each header byte: when the header is complete, checks the box and
    /// moves to the next one. `Some` once the walk has an answer.
    fn header_read(&mut self) -> Option<Result<u64, NotMp4>> {
        if self.head_len < 8 {
            return None;
        }
        let [s0, s1, s2, s3, t0, t1, t2, t3, l0, l1, l2, l3, l4, l5, l6, l7] = self.head;
        let size32 = u32::from_be_bytes([s0, s1, s2, s3]);
        let kind = [t0, t1, t2, t3];
        if self.boxes == 0 && &kind != b"ftyp" {
            return Some(Err(NotMp4));
        }
        if &kind == b"moof" || &kind == b"mdat" {
            return Some(Ok(self.next_box));
        }
        let (size, header) = match size32 {
            0 => return Some(Err(NotMp4)),
            1 if self.head_len < 16 => return None,
            1 => (u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]), 16),
            n => (u64::from(n), 8),
        };
        if size < header {
            return Some(Err(NotMp4));
        }
        self.next_box = self.next_box.saturating_add(size);
        self.head_len = 0;
        self.boxes = self.boxes.saturating_add(1);
        None
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    }

    fn sample() -> (Vec<u8>, u64) {
        let mut v = boxed(b"ftyp", b"isom\0\0\0\0isomiso2");
        // moov with lookalike bytes, and a 64-bit-size free box.
        v.extend(boxed(b"moov", &boxed(b"trak", b"moof mdat moof")));
        v.extend([0, 0, 0, 1, b'f', b'r', b'e', b'e', 0, 0, 0, 0, 0, 0, 0, 20]);
        v.extend([7, 7, 7, 7]);
        let at = v.len() as u64;
        v.extend(boxed(b"moof", &[1, 2, 3]));
        v.extend(boxed(b"mdat", &[4, 5, 6]));
        (v, at)
    }

    #[test]
    fn every_split_finds_the_same_end() {
        let (b, at) = sample();
        for cut in 0..=b.len() {
            for cut2 in cut..=b.len() {
                let mut w = Mp4Walker::default();
                let mut r = w.feed(&b[..cut]);
                if r == Ok(None) {
                    r = w.feed(&b[cut..cut2]);
                }
                if r == Ok(None) {
                    r = w.feed(&b[cut2..]);
                }
                assert_eq!(r, Ok(Some(at)), "cuts at {cut}, {cut2}");
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let (b, at) = sample();
        let mut w = Mp4Walker::default();
        let mut found = None;
        for (i, x) in b.iter().enumerate() {
            if let Ok(Some(o)) = w.feed(std::slice::from_ref(x)) {
                found = Some((i, o));
                break;
            }
        }
        // Answered at the moof's type, 8 bytes into it.
        assert_eq!(found, Some((at as usize + 7, at)));
        assert_eq!(w.feed(&[1, 2, 3]), Ok(Some(at)), "the answer stays");
    }

    #[test]
    fn what_it_cannot_walk() {
        let webm = [0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x86, 0x81, 0x01];
        assert_eq!(Mp4Walker::default().feed(&webm), Err(NotMp4));
        // A box smaller than its header, a box to the end of the file.
        let mut tiny = boxed(b"ftyp", b"isom");
        tiny.extend([0, 0, 0, 4, b'f', b'r', b'e', b'e']);
        assert_eq!(Mp4Walker::default().feed(&tiny), Err(NotMp4));
        let mut open = boxed(b"ftyp", b"isom");
        open.extend([0, 0, 0, 0, b'm', b'o', b'o', b'v']);
        assert_eq!(Mp4Walker::default().feed(&open), Err(NotMp4));
        // A huge declared size just means more to skip: no answer, no panic.
        let mut huge = boxed(b"ftyp", b"isom");
        huge.extend([
            0, 0, 0, 1, b'f', b'r', b'e', b'e', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        huge.extend([0u8; 64]);
        assert_eq!(Mp4Walker::default().feed(&huge), Ok(None));
    }
}
