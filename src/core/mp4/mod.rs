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
//! The module has three parts: [`cursor`], the box headers, read in one place for the
//! walker here and for the index; `index.rs`, [`Mp4Index`] (parsing: tracks,
//! fragments, `tfdt`s, keyframes); and `rewrite.rs`, what the index makes (a seekable
//! file, snapshots: the `mehd`, `sidx` and `tfdt` written).
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

pub mod cursor;
mod index;
mod rewrite;

use cursor::{BoxCursor, Step};
pub use index::{Fragment, Mp4Error, Mp4Index, Track, Traf, MAX_BOX};

/// The bytes are not a fragmented MP4 the walker can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotMp4;

/// Walks the top-level boxes of an MP4 stream fed in order (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct Mp4Walker {
    /// The walk over the top-level boxes.
    cursor: BoxCursor,
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
        let mut rest = bytes;
        while let Some((taken, step)) = self.cursor.step(rest) {
            rest = rest.get(taken..).unwrap_or(&[]);
            if let Some(answer) = self.header_read(step) {
                self.done = Some(answer);
                return answer.map(Some);
            }
        }
        Ok(None)
    }

    /// Called after each step: once the type is known (8 header bytes), checks it, and
    /// when the header is complete, its size. `Some` once the walk has an answer.
    fn header_read(&self, step: Step<'_>) -> Option<Result<u64, NotMp4>> {
        let kind = match step {
            Step::Head(Some(kind)) => kind,
            Step::Header(h) => h.kind,
            Step::Head(None) | Step::Body(..) => return None,
        };
        // Every box walked past is at least 8 bytes long: only the first starts at 0.
        if self.cursor.start() == 0 && &kind != b"ftyp" {
            return Some(Err(NotMp4));
        }
        if &kind == b"moof" || &kind == b"mdat" {
            return Some(Ok(self.cursor.start()));
        }
        match step {
            Step::Header(h) if h.size().is_none() => Some(Err(NotMp4)),
            _ => None,
        }
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
