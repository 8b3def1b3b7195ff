//! [`Mp4Index`]: a fragmented MP4 recording read as it arrives, into what a seekable
//! file and an instant replay need — the init segment's bytes and, per fragment
//! (`moof` + `mdat`), its offset, end, whether it starts with a video keyframe, and per
//! track its `tfdt` (decode time, and where those bytes are) and duration. What is made
//! of it (a seekable file, a snapshot) is written in `rewrite.rs`.
//!
//! Top-level boxes are read by their headers (through the [`BoxCursor`]); `moov` and
//! `moof` are kept whole while they are parsed (each at most [`MAX_BOX`]), `mdat` and
//! others are skipped by size. Bytes it cannot walk give an [`Mp4Error`] naming the
//! offset, and it stays failed; so does a `tfhd` with an absolute `base_data_offset`
//! (ffmpeg's fragmented MP4 without `default_base_moof`), whose fragments cannot be
//! moved behind a new init segment.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::fmt;

use super::cursor::{children, u32_at, u64_at, BoxCursor, BoxHeader, Child, Step};

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
    pub(super) tkhd_duration: Option<(usize, usize)>,
    pub(super) mdhd_duration: Option<(usize, usize)>,
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
    pub(super) time_width: u8,
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

/// A fragmented MP4 read so far (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Mp4Index {
    pub(super) fed: u64,
    /// The reader's place in the top-level boxes.
    cur: BoxCursor,
    /// The current box is kept (moov, moof) in `keep`.
    keeping: bool,
    keep: Vec<u8>,
    /// Every byte before the first `moof` (ftyp, moov, …).
    pub(super) init: Vec<u8>,
    init_done: bool,
    pub(super) movie_timescale: u32,
    /// Where the `mvhd` duration, the `moov` and `mvex` boxes (their first byte and
    /// their body's), and a `mehd` are in the init segment.
    pub(super) mvhd_duration: Option<(usize, usize)>,
    pub(super) moov_at: Option<usize>,
    pub(super) mvex_at: Option<(usize, usize)>,
    pub(super) mehd_duration: Option<(usize, usize)>,
    pub(super) tracks: Vec<Track>,
    pub(super) fragments: Vec<Fragment>,
    error: Option<Mp4Error>,
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

/// Whether sample flags say "sync sample" (`sample_is_non_sync_sample` clear).
fn is_sync(flags: u32) -> bool {
    flags & 0x0001_0000 == 0
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
    pub(super) fn timescale(&self, id: u32) -> Option<u32> {
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
            offset: self.cur.start(),
        }
    }

    /// Takes bytes of the current box (`bytes` is not empty); returns how many.
    fn step(&mut self, bytes: &[u8]) -> Result<usize, Mp4Error> {
        let Some((taken, step)) = self.cur.step(bytes) else {
            // Only after a header without a usable size, which failed the index.
            return Err(self.fail("a box without a usable size"));
        };
        match step {
            // The header: 8 bytes, or 16 with a 64-bit size.
            Step::Head(_) => {}
            Step::Header(h) => {
                if self.cur.start() == 0 && &h.kind != b"ftyp" {
                    return Err(self.fail("not an MP4 (no ftyp first)"));
                }
                let Some(size) = h.size() else {
                    return Err(self.fail("a box without a usable size"));
                };
                self.on_box_start(&h, size)?;
                self.keeping = &h.kind == b"moov" || &h.kind == b"moof";
                if self.keeping {
                    if size > MAX_BOX as u64 {
                        return Err(self.fail("a moov or moof is larger than 1 MiB"));
                    }
                    self.keep.clear();
                    self.keep.extend_from_slice(self.cur.head());
                }
                if size == u64::from(h.len) {
                    self.box_done()?;
                }
            }
            Step::Body(body, last) => {
                if self.keeping {
                    self.keep.extend_from_slice(body);
                }
                if last {
                    self.box_done()?;
                }
            }
        }
        Ok(taken)
    }

    /// A top-level box's header has been read.
    fn on_box_start(&mut self, h: &BoxHeader, size: u64) -> Result<(), Mp4Error> {
        match &h.kind {
            b"moof" if !self.init_done => {
                // The init segment is every byte before the first moof: drop the moof
                // header just taken in.
                let keep = self
                    .init
                    .len()
                    .saturating_sub(usize::from(h.len).saturating_sub(1));
                self.init.truncate(keep);
                self.init_done = true;
                if self.tracks.is_empty() {
                    return Err(self.fail("a moof before any moov with tracks"));
                }
            }
            b"mdat" => {
                let end = self.cur.start().saturating_add(size);
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
        let kind = self.cur.header().map_or([0; 4], |(h, _)| h.kind);
        let result = match &kind {
            b"moov" if self.keeping => self.parse_moov(),
            b"moof" if self.keeping => self.parse_moof(),
            _ => Ok(()),
        };
        self.cur.next();
        self.keeping = false;
        self.keep.clear();
        result
    }

    fn parse_moov(&mut self) -> Result<(), Mp4Error> {
        let b = std::mem::take(&mut self.keep);
        // The moov's offset in the init segment.
        let base = usize::try_from(self.cur.start()).unwrap_or(usize::MAX);
        let bad = self.fail("a moov it cannot read");
        let Child { body, end, .. } = children(&b, 0, b.len()).next().ok_or(bad)?;
        self.moov_at = Some(base);
        let at = |o: usize| base.saturating_add(o);
        let mut trex: Vec<(u32, u32, u32)> = Vec::new();
        for Child {
            kind,
            start: cstart,
            body: cbody,
            end: cend,
        } in children(&b, body, end)
        {
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
                    for Child {
                        kind: k,
                        body: tb,
                        end: te,
                        ..
                    } in children(&b, cbody, cend)
                    {
                        match &k {
                            b"tkhd" => {
                                let f = duration_field(&b, tb, 8).ok_or(bad)?;
                                // track_ID is the 4 bytes after the times.
                                t.id = u32_at(&b, f.0.checked_sub(8).ok_or(bad)?).ok_or(bad)?;
                                t.tkhd_duration = Some((at(f.0), f.1));
                            }
                            b"mdia" => {
                                for Child {
                                    kind: k, body: mb, ..
                                } in children(&b, tb, te)
                                {
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
                    // Its header may be 8 or 16 bytes (a 64-bit size).
                    self.mvex_at = Some((at(cstart), at(cbody)));
                    for Child {
                        kind: k, body: xb, ..
                    } in children(&b, cbody, cend)
                    {
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
        let start = self.cur.start();
        let bad = self.fail("a moof it cannot read");
        let Child { body, end, .. } = children(&b, 0, b.len()).next().ok_or(bad)?;
        let has_video = self.tracks.iter().any(|t| t.video);
        let mut f = Fragment {
            offset: start,
            end: None,
            keyframe: !has_video,
            trafs: Vec::new(),
        };
        for Child {
            kind,
            body: tb,
            end: te,
            ..
        } in children(&b, body, end)
        {
            if &kind != b"traf" {
                continue;
            }
            let mut track = None;
            let mut time = None;
            let (mut def_dur, mut def_flags) = (None, None);
            let mut duration = 0u64;
            let mut first_flags = None;
            for Child {
                kind: k, body: xb, ..
            } in children(&b, tb, te)
            {
                match &k {
                    b"tfhd" => {
                        let (_, flags, mut p) = full(&b, xb).ok_or(bad)?;
                        if flags & 0x1 != 0 {
                            // base_data_offset: where the samples are, counted from the
                            // file's first byte. Behind a new init segment (a seekable
                            // file, a snapshot) they would be read from the wrong bytes;
                            // recorders count from the moof (default-base-is-moof).
                            return Err(self.fail(
                                "a tfhd with an absolute base_data_offset: its fragments cannot be moved",
                            ));
                        }
                        track = Some(u32_at(&b, p).ok_or(bad)?);
                        p = p.saturating_add(4);
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
            for Child {
                kind: k,
                body: xb,
                end: xe,
                ..
            } in children(&b, tb, te)
            {
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
                // Without per-sample fields nothing bounds `count` by the bytes (a
                // 184-byte trun may declare 4 billion samples): every sample then has
                // the default duration and flags, so one pass, weighted by the count,
                // stands for them all.
                let (passes, weight) = match per {
                    0 => (count.min(1), u64::from(count)),
                    _ => (count, 1),
                };
                for i in 0..passes as usize {
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
                    duration = duration.saturating_add(u64::from(dur).saturating_mul(weight));
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
}
