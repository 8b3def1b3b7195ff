//! The box cursor: ISO-BMFF box headers (ISO/IEC 14496-12, 4.2), read in one place for
//! every walk over MP4 bytes — the header scan's [`Mp4Walker`](super::Mp4Walker) and
//! [`Mp4Index`](super::Mp4Index)'s walk over the top-level boxes as they arrive (both
//! through [`BoxCursor`], fed in order), and the index's walk inside a `moov` or `moof`
//! it holds whole ([`children`]).
//!
//! A header is a 32-bit size and a 4-byte type. Size 1 means a 64-bit `largesize`
//! follows (a 16-byte header); size 0 means the box runs to the end of what holds it
//! (its parent, or the file). A size is the whole box's, header included, so one
//! smaller than its header cannot be walked past.
//!
//! Nothing here allocates: a header split over chunks is kept in 16 bytes, a body is
//! handed on as the slice it arrived in, and a box's declared size is only compared,
//! never used to reserve memory.
//!
//! ```
//! use media_recorder_producer::core::mp4::cursor::{children, BoxCursor, Step};
//!
//! // A 64-bit-size `free` box of 20 bytes, then a 16-byte `moov` holding an empty `trak`.
//! let mut bytes = vec![0, 0, 0, 1, b'f', b'r', b'e', b'e', 0, 0, 0, 0, 0, 0, 0, 20, 7, 7, 7, 7];
//! bytes.extend([0, 0, 0, 16, b'm', b'o', b'o', b'v', 0, 0, 0, 8, b't', b'r', b'a', b'k']);
//!
//! // Streaming: header bytes one by one, then each body as the slice it came in.
//! let mut cursor = BoxCursor::default();
//! let mut rest = &bytes[..];
//! let mut boxes = Vec::new();
//! while let Some((taken, step)) = cursor.step(rest) {
//!     if let Step::Header(h) = step {
//!         boxes.push((cursor.start(), h.kind, h.size()));
//!     }
//!     rest = &rest[taken..];
//! }
//! assert_eq!(boxes, [(0, *b"free", Some(20)), (20, *b"moov", Some(16))]);
//!
//! // In memory: the children of the moov's body.
//! let trak: Vec<_> = children(&bytes, 28, 36).map(|c| (c.kind, c.start, c.end)).collect();
//! assert_eq!(trak, [(*b"trak", 28, 36)]);
//! ```
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

/// The longest box header: size, type and a 64-bit `largesize`.
pub const MAX_HEADER: usize = 16;

/// The big-endian `u32` at `b[at..at + 4]`, if it is there.
pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

/// The big-endian `u64` at `b[at..at + 8]`, if it is there.
pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(s.try_into().ok()?))
}

/// A box's size field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxSize {
    /// The whole box's size in bytes, header included (the 32-bit size, or the 64-bit
    /// `largesize` when the 32-bit one is 1). It may be smaller than the header.
    Declared(u64),
    /// Size 0: the box runs to the end of what holds it.
    ToEnd,
}

/// A box's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// The box type (`ftyp`, `moov`, `moof`, …).
    pub kind: [u8; 4],
    /// Its size field.
    pub size: BoxSize,
    /// The header's length: 8, or 16 with a 64-bit size.
    pub len: u8,
}

/// What the first bytes of a box say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// Fewer than 8 bytes: not even the type.
    Short,
    /// 8 to 15 bytes of a header with a 64-bit size: the type, the size still to come.
    Kind([u8; 4]),
    /// The whole header.
    Whole(BoxHeader),
}

impl BoxHeader {
    /// Reads the header at the start of `b` (bytes after it are not looked at).
    ///
    /// ```
    /// use media_recorder_producer::core::mp4::cursor::{BoxHeader, BoxSize, Head};
    /// assert_eq!(BoxHeader::read(&[0, 0, 0, 1, b'm', b'd']), Head::Short);
    /// assert_eq!(BoxHeader::read(&[0, 0, 0, 1, b'm', b'd', b'a', b't', 0]), Head::Kind(*b"mdat"));
    /// assert!(matches!(
    ///     BoxHeader::read(&[0, 0, 0, 0, b'm', b'd', b'a', b't']),
    ///     Head::Whole(h) if h.kind == *b"mdat" && h.size == BoxSize::ToEnd && h.len == 8
    /// ));
    /// ```
    pub fn read(b: &[u8]) -> Head {
        let Some(&[s0, s1, s2, s3, k0, k1, k2, k3]) =
            b.get(..8).and_then(|h| <&[u8; 8]>::try_from(h).ok())
        else {
            return Head::Short;
        };
        let kind = [k0, k1, k2, k3];
        let (size, len) = match u32::from_be_bytes([s0, s1, s2, s3]) {
            0 => (BoxSize::ToEnd, 8),
            1 => match u64_at(b, 8) {
                Some(large) => (BoxSize::Declared(large), 16),
                None => return Head::Kind(kind),
            },
            n => (BoxSize::Declared(u64::from(n)), 8),
        };
        Head::Whole(BoxHeader { kind, size, len })
    }

    /// The box's size when it stands on its own (a top-level box of a stream whose end
    /// is not known): its declared size, if at least its header. `None` for size 0.
    pub fn size(&self) -> Option<u64> {
        match self.size {
            BoxSize::Declared(size) => Some(size).filter(|s| *s >= u64::from(self.len)),
            BoxSize::ToEnd => None,
        }
    }

    /// The box's size when `room` bytes are left from its start to the end of what
    /// holds it (size 0: all of them), if it is at least its header and fits.
    pub fn size_within(&self, room: u64) -> Option<u64> {
        let size = match self.size {
            BoxSize::Declared(size) => size,
            BoxSize::ToEnd => room,
        };
        Some(size).filter(|s| *s >= u64::from(self.len) && *s <= room)
    }
}

/// A box inside a buffer, as offsets in that buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child {
    /// Its type.
    pub kind: [u8; 4],
    /// Where its header starts.
    pub start: usize,
    /// Where its body starts (after an 8- or 16-byte header).
    pub body: usize,
    /// Just past its last byte.
    pub end: usize,
}

/// The boxes of `b[from..to]`, in order (see [`children`]).
#[derive(Debug, Clone)]
pub struct Children<'a> {
    b: &'a [u8],
    at: usize,
    to: usize,
}

/// The boxes of `b[from..to]` (the body of a box held whole), in order. It stops at the
/// first that does not fit: a header cut short, or a size smaller than its header or
/// past `to`; a size of 0 runs to `to`. A `to` past the end of `b` is its end.
pub fn children(b: &[u8], from: usize, to: usize) -> Children<'_> {
    Children {
        b,
        at: from,
        to: to.min(b.len()),
    }
}

impl Iterator for Children<'_> {
    type Item = Child;

    fn next(&mut self) -> Option<Child> {
        let Head::Whole(h) = BoxHeader::read(self.b.get(self.at..)?) else {
            return None;
        };
        let room = self.to.saturating_sub(self.at) as u64;
        // Within `room`, so it fits a usize and `at + size` does not overflow.
        let size = usize::try_from(h.size_within(room)?).ok()?;
        let end = self.at.checked_add(size)?;
        let child = Child {
            kind: h.kind,
            start: self.at,
            body: self.at.saturating_add(usize::from(h.len)),
            end,
        };
        self.at = end;
        Some(child)
    }
}

/// What [`BoxCursor::step`] took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// One byte of a box's header, which is not complete yet; the box's type once its
    /// first 8 bytes are in (a 64-bit size is still to come).
    Head(Option<[u8; 4]>),
    /// The header's last byte: the whole header. If [`BoxHeader::size`] is `None` the
    /// cursor stops here (it cannot tell where the next box starts); otherwise it moves
    /// on into the box's body.
    Header(BoxHeader),
    /// Bytes of the box's body, and whether they are its last.
    Body(&'a [u8], bool),
}

/// Walks the top-level boxes of a stream fed in order, chunk by chunk.
///
/// Each [`step`](Self::step) takes a header byte, or as much of a box's body as the
/// chunk holds (it is handed on, never copied). Between chunks it keeps at most the
/// 16 bytes of a header. A box that ends stays the current one, so that its
/// [`start`](Self::start) can still be read, until [`next`](Self::next) or the next
/// step moves on.
#[derive(Debug, Clone, Default)]
pub struct BoxCursor {
    /// Offset of the current box in the stream.
    start: u64,
    /// Its header so far.
    head: [u8; MAX_HEADER],
    head_len: u8,
    /// Once its header has been read: the header and the box's size.
    header: Option<(BoxHeader, u64)>,
    /// Bytes of the box taken so far, header included.
    taken: u64,
    /// A header without a usable size was read: nothing more can be walked.
    stopped: bool,
}

impl BoxCursor {
    /// Offset of the current box in the stream.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The current box's header bytes read so far (all of them once
    /// [`Step::Header`] has been returned).
    pub fn head(&self) -> &[u8] {
        self.head.get(..usize::from(self.head_len)).unwrap_or(&[])
    }

    /// The current box's header and size, once read (and usable).
    pub fn header(&self) -> Option<(BoxHeader, u64)> {
        self.header
    }

    /// Whether the current box has been taken whole.
    fn box_ended(&self) -> bool {
        self.header.is_some_and(|(_, size)| self.taken >= size)
    }

    /// Moves on to the box after the current one, if that has been taken whole
    /// (otherwise nothing changes).
    pub fn next(&mut self) {
        if let (true, Some((_, size))) = (self.box_ended(), self.header) {
            *self = BoxCursor {
                start: self.start.saturating_add(size),
                ..BoxCursor::default()
            };
        }
    }

    /// Takes the next bytes of the stream from the start of `bytes`: how many it took
    /// (at least 1) and what they were. `None` if `bytes` is empty or the cursor has
    /// stopped at a header without a usable size.
    pub fn step<'a>(&mut self, bytes: &'a [u8]) -> Option<(usize, Step<'a>)> {
        if self.stopped {
            return None;
        }
        let &byte = bytes.first()?;
        self.next();
        if let Some((_, size)) = self.header {
            let left = size.saturating_sub(self.taken);
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
            self.taken = self.taken.saturating_add(n as u64);
            let body = bytes.get(..n).unwrap_or(&[]);
            return Some((n, Step::Body(body, n as u64 == left)));
        }
        if let Some(slot) = self.head.get_mut(usize::from(self.head_len)) {
            *slot = byte;
            self.head_len = self.head_len.saturating_add(1);
        }
        self.taken = self.taken.saturating_add(1);
        let head = self.head();
        let step = match BoxHeader::read(head) {
            Head::Short => Step::Head(None),
            Head::Kind(kind) => Step::Head(Some(kind)),
            Head::Whole(h) => {
                match h.size() {
                    Some(size) => self.header = Some((h, size)),
                    None => self.stopped = true,
                }
                Step::Header(h)
            }
        };
        Some((1, step))
    }
}
