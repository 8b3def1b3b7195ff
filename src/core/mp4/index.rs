//! [`Mp4Index`]: a fragmented MP4 recording read as it arrives, into what a seekable
//! file and an instant replay need — the init segment's bytes and, per fragment
//! (`moof` + `mdat`), its offset, end, whether it starts with a video keyframe, and per
//! track its `tfdt` (decode time, and where those bytes are) and duration.
//!
//! MediaRecorder's MP4 (Chromium's, Safari's) has a `moov` whose durations are 0 and no
//! index, so players report no duration and cannot seek without reading every
//! fragment. [`Mp4Index::seekable`] writes a new init segment with the durations set,
//! a `mehd` (the fragmented duration), and a `sidx` (one reference per fragment) in
//! front of the first `moof`; the fragments follow as they are. [`Mp4Index::snapshot`]
//! does the same from a fragment that starts with a keyframe, with each `tfdt`
//! rewritten so the clip's time starts at 0: only those 4 or 8 bytes per track and
//! fragment are written, every other byte is the recording's.
//!
//! Top-level boxes are read by their headers; `moov` and `moof` are kept whole while
//! they are parsed (each at most [`MAX_BOX`]), `mdat` and others are skipped by size.
//! Bytes it cannot walk give an [`Mp4Error`] naming the offset, and it stays failed.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::fmt;
use std::ops::Range;

use crate::core::ebml::{Part, Seekable, Snapshot};

/// The largest `moov` or `moof` kept to be parsed (and the largest init segment).
pub const MAX_BOX: usize = 1 << 20;

/// Why the bytes cannot be indexed, at which byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4Error {
    /// What is wrong.
    pub what: &'static str,
    /// Offset of the box at fault.
    pub offset: u64,
}

impl fmt::Display for Mp4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (MP4 box at byte {})", self.what, self.offset)
    }
}

/// A track of the `moov`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Track {
    /// `track_ID`.
    pub id: u32,
    /// The media timescale (`mdhd`), units per second.
    pub timescale: u32,
    /// `hdlr` says `vide`.
    pub video: bool,
    /// `trex`'s default sample duration and flags.
    default_duration: u32,
    default_flags: u32,
    /// Where `tkhd`'s and `mdhd`'s duration fields are in the init segment (offset,
    /// width 4 or 8).
    tkhd_duration: Option<(usize, usize)>,
    mdhd_duration: Option<(usize, usize)>,
}

/// One track's run in a fragment (`traf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traf {
    /// `track_ID`.
    pub track: u32,
    /// `tfdt`'s baseMediaDecodeTime (track units).
    pub time: u64,
    /// Offset of that value in the recording, and its width (4 or 8).
    pub time_at: u64,
    time_width: u8,
    /// The run's duration (sum of its samples'), track units.
    pub duration: u64,
}

/// One fragment: a `moof` and the `mdat` after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of the `moof`.
    pub offset: u64,
    /// Offset just past its `mdat`, once that box's header has been read.
    pub end: Option<u64>,
    /// It starts with a video keyframe (or the recording has no video).
    pub keyframe: bool,
    /// Its runs, one per track it carries.
    pub trafs: Vec<Traf>,
}

/// The reader's place in the top-level boxes.
#[derive(Debug, Clone, Default)]
struct Cursor {
    /// Offset of the box being read.
    start: u64,
    /// Its header so far (at most 16 bytes).
    head: Vec<u8>,
    /// Once the header is read: its type and total size.
    kind: Option<([u8; 4], u64)>,
    /// The box is kept (moov, moof) in `keep`.
    keeping: bool,
}

/// A fragmented MP4 read so far (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Mp4Index {
    fed: u64,
    cur: Cursor,
    keep: Vec<u8>,
    /// Every byte before the first `moof` (ftyp, moov, …).
    init: Vec<u8>,
    init_done: bool,
    movie_timescale: u32,
    /// Where the `mvhd` duration, the `moov` and `mvex` boxes, and a `mehd` are in
    /// the init segment.
    mvhd_duration: Option<(usize, usize)>,
    moov_at: Option<usize>,
    mvex_at: Option<usize>,
    mehd_duration: Option<(usize, usize)>,
    tracks: Vec<Track>,
    fragments: Vec<Fragment>,
    error: Option<Mp4Error>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(s.try_into().ok()?))
}

/// The children of the box body `b[from..to]`: (type, offset of the box, offset of its
/// body, offset of its end), all in `b`. Stops at the first child that does not fit.
fn children(b: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while let (Some(size), Some(kind)) = (
        u32_at(b, at),
        b.get(at.saturating_add(4)..at.saturating_add(8)),
    ) {
        let (size, body) = match size {
            1 => match u64_at(b, at.saturating_add(8)).and_then(|s| usize::try_from(s).ok()) {
                Some(s) => (s, at.saturating_add(16)),
                None => break,
            },
            0 => (to.saturating_sub(at), at.saturating_add(8)),
            n => (n as usize, at.saturating_add(8)),
        };
        let Some(end) = at
            .checked_add(size)
            .filter(|e| *e <= to && size >= body.saturating_sub(at))
        else {
            break;
        };
        let Ok(kind) = <[u8; 4]>::try_from(kind) else {
            break;
        };
        out.push((kind, at, body, end));
        at = end;
    }
    out
}

/// A full box's version and the offset of what follows its version and flags.
fn full(b: &[u8], body: usize) -> Option<(u8, u32, usize)> {
    let vf = u32_at(b, body)?;
    Some(((vf >> 24) as u8, vf & 0x00FF_FFFF, body.checked_add(4)?))
}

/// `(offset, width)` of a duration field after `skip` bytes of a version 0/1 box body
/// (creation and modification times, then `extra` bytes, then the duration).
fn duration_field(b: &[u8], body: usize, extra: usize) -> Option<(usize, usize)> {
    let (v, _, at) = full(b, body)?;
    let (times, width) = if v == 1 { (16, 8) } else { (8, 4) };
    let at = at.checked_add(times)?.checked_add(extra)?;
    b.get(at..at.checked_add(width)?)?;
    Some((at, width))
}

fn write_uint(out: &mut [u8], (at, width): (usize, usize), value: u64) {
    let bytes = value.to_be_bytes();
    let (src, dst) = match width {
        8 => (bytes.get(..), out.get_mut(at..at.saturating_add(8))),
        _ => (bytes.get(4..), out.get_mut(at..at.saturating_add(4))),
    };
    if let (Some(src), Some(dst)) = (src, dst) {
        if src.len() == dst.len() {
            dst.copy_from_slice(src);
        }
    }
}

/// Whether sample flags say "sync sample" (`sample_is_non_sync_sample` clear).
fn is_sync(flags: u32) -> bool {
    flags & 0x0001_0000 == 0
}

/// `a * b / c`, rounded down (0 if `c` is 0), saturating.
fn scale(a: u64, b: u64, c: u64) -> u64 {
    if c == 0 {
        return 0;
    }
    match a.checked_mul(b) {
        Some(v) => v.checked_div(c).unwrap_or(0),
        // Past 2^64 (not from a recorder): in floating point.
        None => (a as f64 * b as f64 / c as f64) as u64,
    }
}

impl Mp4Index {
    /// Nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Why the bytes could not be indexed, if they could not.
    pub fn error(&self) -> Option<Mp4Error> {
        self.error
    }

    /// The tracks of the `moov` (empty until it has been read).
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The media timescale of track `id`.
    fn timescale(&self, id: u32) -> Option<u32> {
        self.tracks.iter().find(|t| t.id == id).map(|t| t.timescale)
    }

    /// The fragments found so far, in order.
    pub fn fragments(&self) -> &[Fragment] {
        &self.fragments
    }

    /// Bytes fed so far.
    pub fn offset(&self) -> u64 {
        self.fed
    }

    /// The next bytes of the recording, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Mp4Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let taken = match self.step(rest) {
                Ok(n) => n,
                Err(e) => {
                    self.error = Some(e);
                    return Err(e);
                }
            };
            if !self.init_done {
                self.init
                    .extend_from_slice(rest.get(..taken).unwrap_or(&[]));
                if self.init.len() > MAX_BOX {
                    let e = self.fail("the init segment is larger than 1 MiB");
                    self.error = Some(e);
                    return Err(e);
                }
            }
            self.fed = self.fed.saturating_add(taken as u64);
            rest = rest.get(taken..).unwrap_or(&[]);
        }
        Ok(())
    }

    fn fail(&self, what: &'static str) -> Mp4Error {
        Mp4Error {
            what,
            offset: self.cur.start,
        }
    }

    /// Takes bytes of the current box (`bytes` is not empty); returns how many.
    fn step(&mut self, bytes: &[u8]) -> Result<usize, Mp4Error> {
        let Some((_, size)) = self.cur.kind else {
            // The header: 8 bytes, or 16 with a 64-bit size.
            let Some(&b) = bytes.first() else {
                return Ok(1);
            };
            self.cur.head.push(b);
            let h = &self.cur.head;
            if h.len() != 8 && h.len() != 16 {
                return Ok(1);
            }
            let size32 = u32_at(h, 0).unwrap_or(0);
            let size = match (size32, h.len()) {
                (1, 8) => return Ok(1),
                (1, _) => u64_at(h, 8).unwrap_or(0),
                (n, _) => u64::from(n),
            };
            let kind: [u8; 4] = h
                .get(4..8)
                .and_then(|k| k.try_into().ok())
                .unwrap_or([0; 4]);
            let header = h.len() as u64;
            if self.cur.start == 0 && &kind != b"ftyp" {
                return Err(self.fail("not an MP4 (no ftyp first)"));
            }
            if size32 == 0 || size < header {
                return Err(self.fail("a box without a usable size"));
            }
            self.on_box_start(kind, size)?;
            self.cur.kind = Some((kind, size));
            self.cur.keeping = &kind == b"moov" || &kind == b"moof";
            if self.cur.keeping {
                if size > MAX_BOX as u64 {
                    return Err(self.fail("a moov or moof is larger than 1 MiB"));
                }
                self.keep.clear();
                self.keep.extend_from_slice(&self.cur.head);
            }
            if size == header {
                self.box_done()?;
            }
            return Ok(1);
        };
        // Bytes of the box read so far: from its start to this call's first byte.
        let read = self.fed.saturating_sub(self.cur.start);
        let left = size.saturating_sub(read);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
        if self.cur.keeping {
            self.keep.extend_from_slice(bytes.get(..n).unwrap_or(&[]));
        }
        if n as u64 == left {
            self.box_done()?;
        }
        Ok(n.max(1))
    }

    /// A top-level box's header has been read.
    fn on_box_start(&mut self, kind: [u8; 4], size: u64) -> Result<(), Mp4Error> {
        match &kind {
            b"moof" if !self.init_done => {
                // The init segment is every byte before the first moof: drop the moof
                // header just taken in.
                let keep = self
                    .init
                    .len()
                    .saturating_sub(self.cur.head.len().saturating_sub(1));
                self.init.truncate(keep);
                self.init_done = true;
                if self.tracks.is_empty() {
                    return Err(self.fail("a moof before any moov with tracks"));
                }
            }
            b"mdat" => {
                let end = self.cur.start.saturating_add(size);
                if let Some(f) = self.fragments.last_mut().filter(|f| f.end.is_none()) {
                    f.end = Some(end);
                } else if !self.init_done {
                    return Err(self.fail("an mdat before any moof: not a fragmented MP4"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The current box is complete: parses what was kept, moves to the next box.
    fn box_done(&mut self) -> Result<(), Mp4Error> {
        let (kind, size) = self.cur.kind.unwrap_or(([0; 4], 0));
        let result = match &kind {
            b"moov" if self.cur.keeping => self.parse_moov(),
            b"moof" if self.cur.keeping => self.parse_moof(),
            _ => Ok(()),
        };
        self.cur = Cursor {
            start: self.cur.start.saturating_add(size),
            ..Cursor::default()
        };
        self.keep.clear();
        result
    }

    fn parse_moov(&mut self) -> Result<(), Mp4Error> {
        let b = std::mem::take(&mut self.keep);
        // The moov's offset in the init segment.
        let base = usize::try_from(self.cur.start).unwrap_or(usize::MAX);
        let bad = self.fail("a moov it cannot read");
        let top = children(&b, 0, b.len());
        let (_, _, body, end) = *top.first().ok_or(bad)?;
        self.moov_at = Some(base);
        let at = |o: usize| base.saturating_add(o);
        let mut trex: Vec<(u32, u32, u32)> = Vec::new();
        for (kind, _, cbody, cend) in children(&b, body, end) {
            match &kind {
                b"mvhd" => {
                    let f = duration_field(&b, cbody, 4).ok_or(bad)?;
                    let ts_at = f.0.checked_sub(4).ok_or(bad)?;
                    self.movie_timescale = u32_at(&b, ts_at).ok_or(bad)?;
                    self.mvhd_duration = Some((at(f.0), f.1));
                }
                b"trak" => {
                    let mut t = Track {
                        id: 0,
                        timescale: 0,
                        video: false,
                        default_duration: 0,
                        default_flags: 0,
                        tkhd_duration: None,
                        mdhd_duration: None,
                    };
                    for (k, _, tb, te) in children(&b, cbody, cend) {
                        match &k {
                            b"tkhd" => {
                                let f = duration_field(&b, tb, 8).ok_or(bad)?;
                                // track_ID is the 4 bytes after the times.
                                t.id = u32_at(&b, f.0.checked_sub(8).ok_or(bad)?).ok_or(bad)?;
                                t.tkhd_duration = Some((at(f.0), f.1));
                            }
                            b"mdia" => {
                                for (k, _, mb, _) in children(&b, tb, te) {
                                    match &k {
                                        b"mdhd" => {
                                            let f = duration_field(&b, mb, 4).ok_or(bad)?;
                                            t.timescale =
                                                u32_at(&b, f.0.checked_sub(4).ok_or(bad)?)
                                                    .ok_or(bad)?;
                                            t.mdhd_duration = Some((at(f.0), f.1));
                                        }
                                        b"hdlr" => {
                                            // version/flags, pre_defined, then the type.
                                            t.video = b
                                                .get(mb.saturating_add(8)..mb.saturating_add(12))
                                                == Some(b"vide".as_slice());
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    if t.id == 0 || t.timescale == 0 {
                        return Err(bad);
                    }
                    self.tracks.push(t);
                }
                b"mvex" => {
                    self.mvex_at = Some(at(cbody.saturating_sub(8)));
                    for (k, _, xb, _) in children(&b, cbody, cend) {
                        match &k {
                            b"trex" => {
                                let (_, _, p) = full(&b, xb).ok_or(bad)?;
                                let id = u32_at(&b, p).ok_or(bad)?;
                                let dur = u32_at(&b, p.saturating_add(8)).ok_or(bad)?;
                                let flags = u32_at(&b, p.saturating_add(16)).ok_or(bad)?;
                                trex.push((id, dur, flags));
                            }
                            b"mehd" => {
                                let (v, _, p) = full(&b, xb).ok_or(bad)?;
                                let w = if v == 1 { 8 } else { 4 };
                                b.get(p..p.saturating_add(w)).ok_or(bad)?;
                                self.mehd_duration = Some((at(p), w));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        for t in &mut self.tracks {
            if let Some(&(_, d, f)) = trex.iter().find(|x| x.0 == t.id) {
                t.default_duration = d;
                t.default_flags = f;
            }
        }
        if self.tracks.is_empty() || self.mvex_at.is_none() || self.movie_timescale == 0 {
            return Err(self.fail("a moov without tracks, mvex or timescale: not a fragmented MP4"));
        }
        Ok(())
    }

    fn parse_moof(&mut self) -> Result<(), Mp4Error> {
        let b = std::mem::take(&mut self.keep);
        let start = self.cur.start;
        let bad = self.fail("a moof it cannot read");
        let top = children(&b, 0, b.len());
        let (_, _, body, end) = *top.first().ok_or(bad)?;
        let has_video = self.tracks.iter().any(|t| t.video);
        let mut f = Fragment {
            offset: start,
            end: None,
            keyframe: !has_video,
            trafs: Vec::new(),
        };
        for (kind, _, tb, te) in children(&b, body, end) {
            if &kind != b"traf" {
                continue;
            }
            let mut track = None;
            let mut time = None;
            let (mut def_dur, mut def_flags) = (None, None);
            let mut duration = 0u64;
            let mut first_flags = None;
            for (k, _, xb, _) in children(&b, tb, te) {
                match &k {
                    b"tfhd" => {
                        let (_, flags, mut p) = full(&b, xb).ok_or(bad)?;
                        track = Some(u32_at(&b, p).ok_or(bad)?);
                        p = p.saturating_add(4);
                        if flags & 0x1 != 0 {
                            p = p.saturating_add(8);
                        }
                        if flags & 0x2 != 0 {
                            p = p.saturating_add(4);
                        }
                        if flags & 0x8 != 0 {
                            def_dur = Some(u32_at(&b, p).ok_or(bad)?);
                            p = p.saturating_add(4);
                        }
                        if flags & 0x10 != 0 {
                            p = p.saturating_add(4);
                        }
                        if flags & 0x20 != 0 {
                            def_flags = Some(u32_at(&b, p).ok_or(bad)?);
                        }
                    }
                    b"tfdt" => {
                        let (v, _, p) = full(&b, xb).ok_or(bad)?;
                        let (value, width) = if v == 1 {
                            (u64_at(&b, p).ok_or(bad)?, 8)
                        } else {
                            (u64::from(u32_at(&b, p).ok_or(bad)?), 4)
                        };
                        time = Some((value, start.saturating_add(p as u64), width));
                    }
                    _ => {}
                }
            }
            let id = track.ok_or(bad)?;
            let t = *self.tracks.iter().find(|t| t.id == id).ok_or(bad)?;
            let def_dur = def_dur.unwrap_or(t.default_duration);
            let def_flags = def_flags.unwrap_or(t.default_flags);
            for (k, _, xb, xe) in children(&b, tb, te) {
                if &k != b"trun" {
                    continue;
                }
                let (_, flags, mut p) = full(&b, xb).ok_or(bad)?;
                let count = u32_at(&b, p).ok_or(bad)?;
                p = p.saturating_add(4);
                if flags & 0x1 != 0 {
                    p = p.saturating_add(4);
                }
                let mut run_first = None;
                if flags & 0x4 != 0 {
                    run_first = Some(u32_at(&b, p).ok_or(bad)?);
                    p = p.saturating_add(4);
                }
                let fields = [0x100u32, 0x200, 0x400, 0x800];
                let per = fields
                    .iter()
                    .filter(|x| flags & **x != 0)
                    .count()
                    .saturating_mul(4);
                let need = (count as usize).saturating_mul(per);
                if p.saturating_add(need) > xe {
                    return Err(bad);
                }
                for i in 0..count as usize {
                    let mut q = p.saturating_add(i.saturating_mul(per));
                    let mut dur = def_dur;
                    if flags & 0x100 != 0 {
                        dur = u32_at(&b, q).ok_or(bad)?;
                        q = q.saturating_add(4);
                    }
                    if flags & 0x200 != 0 {
                        q = q.saturating_add(4);
                    }
                    if i == 0 && first_flags.is_none() {
                        first_flags = Some(match (run_first, flags & 0x400 != 0) {
                            (Some(x), _) => x,
                            (None, true) => u32_at(&b, q).ok_or(bad)?,
                            (None, false) => def_flags,
                        });
                    }
                    duration = duration.saturating_add(u64::from(dur));
                }
            }
            let (time, time_at, width) = time.ok_or(Mp4Error {
                what: "a traf without tfdt: its time is unknown",
                offset: start,
            })?;
            if t.video && first_flags.is_some_and(is_sync) && f.trafs.iter().all(|x| x.track != id)
            {
                f.keyframe = true;
            }
            f.trafs.push(Traf {
                track: id,
                time,
                time_at,
                time_width: width,
                duration,
            });
        }
        self.fragments.push(f);
        Ok(())
    }

    /// The whole recording read so far as a seekable file: a new init segment (with
    /// durations, `mehd` and `sidx`), then the complete fragments as they are.
    pub fn seekable(&self) -> Result<Seekable, Mp4Error> {
        let frags = self.complete(0..self.fed);
        let first = frags.first().ok_or(Mp4Error {
            what: "no complete fragment",
            offset: self.fed,
        })?;
        let body = first.offset..frags.last().and_then(|f| f.end).unwrap_or(first.offset);
        let (header, duration_ms, refs) = self.header(frags, &|_, t| t)?;
        Ok(Seekable {
            header,
            body,
            duration_ms,
            cues: refs,
        })
    }

    /// The complete fragments wholly inside `held`, from the first one on that is in it,
    /// up to the first that is not.
    fn complete(&self, held: Range<u64>) -> &[Fragment] {
        let from = self.fragments.iter().position(|f| f.offset >= held.start);
        let Some(from) = from else {
            return &[];
        };
        let rest = self.fragments.get(from..).unwrap_or(&[]);
        let n = rest
            .iter()
            .take_while(|f| f.end.is_some_and(|e| e <= held.end))
            .count();
        rest.get(..n).unwrap_or(&[])
    }

    /// The last `last_ms` (all that is held if `None`) of the bytes `held` as a file of
    /// its own that starts at a fragment beginning with a keyframe, its time from 0.
    pub fn snapshot(&self, held: Range<u64>, last_ms: Option<f64>) -> Result<Snapshot, Mp4Error> {
        let frags = self.complete(held.start..held.end.min(self.fed));
        let missing = Mp4Error {
            what: "no complete fragment that starts with a keyframe is held",
            offset: held.start,
        };
        let ms_of = |f: &Fragment| -> f64 {
            f.trafs
                .iter()
                .filter_map(|x| Some(x.time as f64 * 1000.0 / f64::from(self.timescale(x.track)?)))
                .fold(f64::INFINITY, f64::min)
        };
        let end_ms = frags
            .iter()
            .flat_map(|f| f.trafs.iter())
            .filter_map(|x| {
                let end = x.time.saturating_add(x.duration) as f64;
                Some(end * 1000.0 / f64::from(self.timescale(x.track)?))
            })
            .fold(0.0, f64::max);
        let starts = frags.iter().enumerate().filter(|(_, f)| f.keyframe);
        let chosen = match last_ms {
            Some(ms) => starts
                .clone()
                .rfind(|(_, f)| ms_of(f) <= end_ms - ms)
                .or_else(|| starts.clone().next()),
            None => starts.clone().next(),
        };
        let (i, start) = chosen.ok_or(missing)?;
        let frags = frags.get(i..).unwrap_or(&[]);
        // The clip's time 0: the earliest of the first fragment's runs, as (time, scale).
        let zero = start
            .trafs
            .iter()
            .filter_map(|x| Some((x.time, self.timescale(x.track)?)))
            .min_by(|a, b| {
                u128::from(a.0)
                    .saturating_mul(u128::from(b.1))
                    .cmp(&u128::from(b.0).saturating_mul(u128::from(a.1)))
            })
            .unwrap_or((0, 1));
        let rebase = |x: &Traf, time: u64| -> u64 {
            self.timescale(x.track).map_or(time, |ts| {
                time.saturating_sub(scale(zero.0, u64::from(ts), u64::from(zero.1)))
            })
        };
        let (header, duration_ms, refs) = self.header(frags, &rebase)?;
        let mut parts: Vec<Part> = Vec::new();
        for f in frags {
            let mut at = f.offset;
            // trafs come in byte order (one out of order is left as it is). Each tfdt
            // is written, changed or not, so the ranges between are the same in every
            // snapshot (see `stable_ranges`).
            for x in &f.trafs {
                let new = rebase(x, x.time);
                if x.time_at < at {
                    continue;
                }
                push_range(&mut parts, at..x.time_at);
                let mut bytes = vec![0u8; usize::from(x.time_width)];
                write_uint(&mut bytes, (0, usize::from(x.time_width)), new);
                parts.push(Part::Bytes(bytes));
                at = x.time_at.saturating_add(u64::from(x.time_width));
            }
            push_range(&mut parts, at..f.end.unwrap_or(at));
        }
        Ok(Snapshot {
            header,
            parts,
            start_ms: ms_of(start),
            duration_ms,
            cues: refs,
        })
    }

    /// The ranges a snapshot of `fragment` keeps as they are, whatever its time 0: from
    /// the `moof` to the first `tfdt` value, between them, and after the last to the
    /// end. `None` until the fragment is complete.
    pub fn stable_ranges(&self, fragment: usize) -> Option<Vec<Range<u64>>> {
        let f = self.fragments.get(fragment)?;
        let end = f.end?;
        let mut at = f.offset;
        let mut out = Vec::new();
        for x in &f.trafs {
            if x.time_at >= at {
                out.push(at..x.time_at);
                at = x.time_at.saturating_add(u64::from(x.time_width));
            }
        }
        out.push(at..end);
        Some(out)
    }

    /// The init segment for `frags` with every `tfdt` mapped by `time`: durations set,
    /// a `mehd`, and a `sidx` with one reference per fragment. Also the duration (ms)
    /// and the number of references.
    fn header(
        &self,
        frags: &[Fragment],
        time: &dyn Fn(&Traf, u64) -> u64,
    ) -> Result<(Vec<u8>, f64, usize), Mp4Error> {
        let bad = Mp4Error {
            what: "the init segment cannot be rewritten",
            offset: 0,
        };
        let mts = u64::from(self.movie_timescale);
        // Per track: its end in the clip's time (track units).
        let track_end = |t: &Track| -> u64 {
            frags
                .iter()
                .flat_map(|f| f.trafs.iter())
                .filter(|x| x.track == t.id)
                .map(|x| time(x, x.time).saturating_add(x.duration))
                .max()
                .unwrap_or(0)
        };
        let mut init = self.init.clone();
        let mut movie = 0u64;
        for t in &self.tracks {
            let end = track_end(t);
            let in_movie = scale(end, mts, u64::from(t.timescale));
            movie = movie.max(in_movie);
            if let Some(f) = t.tkhd_duration {
                write_uint(&mut init, f, in_movie);
            }
            if let Some(f) = t.mdhd_duration {
                write_uint(&mut init, f, end);
            }
        }
        if let Some(f) = self.mvhd_duration {
            write_uint(&mut init, f, movie);
        }
        match self.mehd_duration {
            Some(f) => write_uint(&mut init, f, movie),
            None => {
                // A version 1 mehd at the start of mvex; mvex and moov grow by 20.
                let (moov, mvex) = (self.moov_at.ok_or(bad)?, self.mvex_at.ok_or(bad)?);
                for at in [moov, mvex] {
                    let size = u32_at(&init, at).ok_or(bad)?;
                    if size < 8 {
                        return Err(bad); // a 64-bit size: not written by recorders
                    }
                    write_uint(&mut init, (at, 4), u64::from(size.saturating_add(20)));
                }
                let mut mehd = vec![0, 0, 0, 20, b'm', b'e', b'h', b'd', 1, 0, 0, 0];
                mehd.extend_from_slice(&movie.to_be_bytes());
                let at = mvex
                    .checked_add(8)
                    .filter(|a| *a <= init.len())
                    .ok_or(bad)?;
                init.splice(at..at, mehd);
            }
        }
        // sidx on the video track (else the first), one reference per fragment.
        let reference = self
            .tracks
            .iter()
            .find(|t| t.video)
            .or(self.tracks.first())
            .ok_or(bad)?;
        let times: Vec<Option<(u64, u64)>> = frags
            .iter()
            .map(|f| {
                f.trafs
                    .iter()
                    .find(|x| x.track == reference.id)
                    .map(|x| (time(x, x.time), x.duration))
            })
            .collect();
        let refs = frags.len();
        if let (Ok(count), false) = (u16::try_from(refs), frags.is_empty()) {
            let earliest = times.iter().flatten().next().map_or(0, |t| t.0);
            let mut sidx = Vec::with_capacity(refs.saturating_mul(12).saturating_add(40));
            let size =
                u32::try_from(refs.saturating_mul(12).saturating_add(40)).map_err(|_| bad)?;
            sidx.extend_from_slice(&size.to_be_bytes());
            sidx.extend_from_slice(b"sidx");
            sidx.extend_from_slice(&[1, 0, 0, 0]);
            sidx.extend_from_slice(&reference.id.to_be_bytes());
            sidx.extend_from_slice(&reference.timescale.to_be_bytes());
            sidx.extend_from_slice(&earliest.to_be_bytes());
            sidx.extend_from_slice(&0u64.to_be_bytes());
            sidx.extend_from_slice(&[0, 0]);
            sidx.extend_from_slice(&count.to_be_bytes());
            for (k, f) in frags.iter().enumerate() {
                let len = f.end.unwrap_or(f.offset).saturating_sub(f.offset);
                let len = u32::try_from(len)
                    .ok()
                    .filter(|l| *l < 1 << 31)
                    .ok_or(bad)?;
                // The time to the next fragment's, else this run's own duration.
                let this = times.get(k).copied().flatten();
                let next = times.get(k.saturating_add(1)).copied().flatten();
                let dur = match (this, next) {
                    (Some(a), Some(b)) => b.0.saturating_sub(a.0),
                    (Some(a), None) => a.1,
                    _ => 0,
                };
                let dur = u32::try_from(dur).unwrap_or(u32::MAX);
                let sap: u32 = if f.keyframe { 0x9000_0000 } else { 0 };
                sidx.extend_from_slice(&len.to_be_bytes());
                sidx.extend_from_slice(&dur.to_be_bytes());
                sidx.extend_from_slice(&sap.to_be_bytes());
            }
            init.extend_from_slice(&sidx);
        }
        let duration_ms = if mts == 0 {
            0.0
        } else {
            movie as f64 * 1000.0 / mts as f64
        };
        Ok((init, duration_ms, refs))
    }
}

/// Appends `r` to `parts` unless it is empty.
fn push_range(parts: &mut Vec<Part>, r: Range<u64>) {
    if r.start < r.end {
        parts.push(Part::Range(r));
    }
}
