//! What [`Mp4Index`] makes of a recording: a seekable file, and snapshots.
//!
//! MediaRecorder's MP4 (Chromium's, Safari's) has a `moov` whose durations are 0 and no
//! index, so players report no duration and cannot seek without reading every
//! fragment. [`Mp4Index::seekable`] writes a new init segment with the durations set,
//! a `mehd` (the fragmented duration), and a `sidx` (one reference per fragment) in
//! front of the first `moof`; the fragments follow as they are. [`Mp4Index::snapshot`]
//! does the same from a fragment that starts with a keyframe, with each `tfdt`
//! rewritten so the clip's time starts at 0: only those 4 or 8 bytes per track and
//! fragment are written, every other byte is the recording's.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::ops::Range;

use super::cursor::{children, u32_at, u64_at};
use super::index::{Fragment, Mp4Error, Mp4Index, Track, Traf};
use crate::core::container::{Part, Seekable, Snapshot};

/// Writes `value` big-endian into the field at `at` of `out`, 8 bytes wide if `width`
/// is 8, else 4 (its low 32 bits); a field past the end of `out` is left unwritten.
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
    /// The whole recording read so far as a seekable file: a new init segment (with
    /// durations, `mehd` and `sidx`), then the complete fragments as they are.
    pub fn seekable(&self) -> Result<Seekable, Mp4Error> {
        let frags = self.complete(0..self.fed);
        let first = frags.first().ok_or(Mp4Error {
            what: "no complete fragment",
            offset: self.fed,
        })?;
        let body = first.offset..frags.last().and_then(|f| f.end).unwrap_or(first.offset);
        // The body keeps whatever lies between fragments (`free`, `skip`, a CMAF
        // segment's `styp` and `sidx`), so each reference runs to the next `moof`.
        let (header, duration_ms, refs) = self.header(frags, &|_, t| t, Gaps::Kept)?;
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
        let (i, _) = chosen.ok_or(missing)?;
        let frags = frags.get(i..).unwrap_or(&[]);
        // The clip's time 0, as (time, scale): the earliest run of any of its fragments.
        // Not only the first's: a writer that gives each track fragments of its own,
        // written as they fill, may put audio that starts before the keyframe in
        // fragments after it; rebased on the keyframe's time, that audio piled up at 0
        // (tests/core_mp4_writers.rs, `every-frame-audio-late`).
        let zero = frags
            .iter()
            .flat_map(|f| f.trafs.iter())
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
        // Only the fragments are kept (not what lies between them).
        let (header, duration_ms, refs) = self.header(frags, &rebase, Gaps::Dropped)?;
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
            start_ms: if zero.1 == 0 {
                0.0
            } else {
                zero.0 as f64 * 1000.0 / f64::from(zero.1)
            },
            duration_ms,
            cues: refs,
        })
    }

    /// The ranges a snapshot of `fragment` keeps as they are, whatever its time 0: from
    /// the `moof` to the first `tfdt` value, between them, and after the last to the
    /// end. `None` until the fragment is complete.
    pub fn stable_ranges(&self, fragment: usize) -> Option<Vec<Range<u64>>> {
        let f = self.fragments.get(fragment)?;
        // Complete: its mdat's declared end has been fed (a declared end alone may lie
        // past the bytes, or past the file's end).
        let end = f.end.filter(|e| *e <= self.fed)?;
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
    /// a `mehd`, and a `sidx` with one reference per fragment (any `sidx` of the
    /// recording's own init segment left out: it indexed the old layout). `gaps` says
    /// whether the file keeps the bytes between fragments. Also the duration (ms) and
    /// the number of references.
    fn header(
        &self,
        frags: &[Fragment],
        time: &dyn Fn(&Traf, u64) -> u64,
        gaps: Gaps,
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
                let moov = self.moov_at.ok_or(bad)?;
                let (mvex, mvex_body) = self.mvex_at.ok_or(bad)?;
                for at in [moov, mvex] {
                    match u32_at(&init, at).ok_or(bad)? {
                        // A 64-bit size: the largesize after the type.
                        1 => {
                            let field = at.checked_add(8).ok_or(bad)?;
                            let size = u64_at(&init, field).ok_or(bad)?;
                            let size = size.checked_add(20).ok_or(bad)?;
                            write_uint(&mut init, (field, 8), size);
                        }
                        // To the end of what holds it: it grows by itself (the moov's
                        // cannot be: the index walks past it by its size).
                        0 if at == mvex => {}
                        size if size >= 8 => {
                            let size = size.checked_add(20).ok_or(bad)?;
                            write_uint(&mut init, (at, 4), u64::from(size));
                        }
                        _ => return Err(bad),
                    }
                }
                let mut mehd = vec![0, 0, 0, 20, b'm', b'e', b'h', b'd', 1, 0, 0, 0];
                mehd.extend_from_slice(&movie.to_be_bytes());
                let at = Some(mvex_body).filter(|a| *a <= init.len()).ok_or(bad)?;
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
        let mut init = without_sidx(init);
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
                // A reference's size runs to the next one's first byte (ISO/IEC
                // 14496-12, 8.16.3): to the next moof where the bytes between are kept.
                let next_at = frags.get(k.saturating_add(1)).map(|n| n.offset);
                let to = match (gaps, next_at) {
                    (Gaps::Kept, Some(next)) => next,
                    _ => f.end.unwrap_or(f.offset),
                };
                let len = to.saturating_sub(f.offset);
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

/// Whether a file made of fragments keeps the bytes between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gaps {
    /// A seekable file: the recording's bytes from the first `moof` on, as they are.
    Kept,
    /// A snapshot: each fragment's `moof` and `mdat`, one after the other.
    Dropped,
}

/// `init` without its top-level `sidx` boxes (a CMAF recording's first segment has one
/// before its `moof`, so the init segment ends with it). It indexes the fragments from
/// where it stood; in front of a new header it would point into that header.
fn without_sidx(init: Vec<u8>) -> Vec<u8> {
    if !children(&init, 0, init.len()).any(|c| &c.kind == b"sidx") {
        return init;
    }
    let mut out = Vec::with_capacity(init.len());
    let mut at = 0;
    for c in children(&init, 0, init.len()) {
        if &c.kind == b"sidx" {
            out.extend_from_slice(init.get(at..c.start).unwrap_or(&[]));
            at = c.end;
        }
    }
    out.extend_from_slice(init.get(at..).unwrap_or(&[]));
    out
}

/// Appends `r` to `parts` unless it is empty.
fn push_range(parts: &mut Vec<Part>, r: Range<u64>) {
    if r.start < r.end {
        parts.push(Part::Range(r));
    }
}
