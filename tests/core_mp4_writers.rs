//! Fragmented MP4 from writers other than Chromium's MediaRecorder (issue 24, item 4).
//!
//! Safari records fragmented MP4 with H.264 and AAC and cannot run here, so these tests
//! cover the layouts it and other writers use with fixtures made by an independent tool,
//! ffmpeg (`scripts/make-mp4-fixtures.sh` makes them; they are committed, so this test
//! does not need ffmpeg to build them):
//!
//! - `ffmpeg-frag`: H.264 (B-frames) + AAC, `frag_keyframe+empty_moov+default_base_moof`;
//! - `ffmpeg-every-frame`: the same with `+frag_every_frame`: a `moof` per frame, most of
//!   them not starting with a keyframe, one track each;
//! - `ffmpeg-negcts`: `+negative_cts_offsets`: `trun` version 1, negative composition
//!   offsets;
//! - `ffmpeg-aac`: audio only, a fragment per second;
//! - `ffmpeg-cmaf-video`, `ffmpeg-cmaf-audio`: the dash muxer's CMAF output, init segment
//!   and media segments (`styp`, `sidx`, `moof`, `mdat`) concatenated, one file per
//!   stream (edit lists, `edts/elst`, in the `moov`);
//! - `ffmpeg-abs-offset`: fragments whose `tfhd` has an absolute `base_data_offset`
//!   (without `default_base_moof`), which the index refuses rather than make files that
//!   read the wrong bytes.
//!
//! ffmpeg writes no 64-bit box sizes, no `free`/`skip` between fragments, one `trun`
//! per `traf`, and interleaves its tracks' fragments by time; those layouts are derived
//! here from ffmpeg's files by the small byte rewriters below ([`to_largesize`],
//! [`with_free_boxes`], [`split_truns`], [`audio_after_keyframes`]).
//!
//! For each fixture, fed whole and in chunks split at random offsets (a seeded RNG):
//! - the header scan (`HeaderScanner`) pins exactly the bytes before the first `moof`
//!   (the library's rule: the init segment is `ftyp`, `moov` and whatever else precedes
//!   the first `moof` — a `free`, or CMAF's first `styp` and `sidx`);
//! - the index finds every fragment, its offset and end, keyframe flag and per track
//!   its `tfdt` and duration, compared with an independent parse written here
//!   ([`reference`]) and, where ffprobe is on PATH, with ffprobe's packets (per
//!   fragment and track: how many lie in its bytes, their decode times, and the key
//!   flag of the first);
//! - the seekable file (`ContainerIndex::seekable`, which is also `makeSeekable`'s path:
//!   `ContainerIndex::for_bytes` on the first bytes, then `feed` per slice) and
//!   snapshots (`snapshot(held, last_ms)`) read clean in ffprobe (`-v error` says
//!   nothing), have the right number of streams and the right duration (within one
//!   frame; see [`probe_made`] for FFmpeg's one quirk), every sample of the fragments
//!   they hold at the right time, and decode clean in ffmpeg from the start and from
//!   the middle.
//!
//! Without ffprobe/ffmpeg on PATH the ffprobe checks are skipped with a printed note
//! (scripts/setup.sh installs them); everything else still runs.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use host::{assemble, temp_file};
use media_recorder_producer::core::container::{ContainerIndex, Part, Seekable, SnapshotError};
use media_recorder_producer::core::mp4::{Mp4Index, Mp4Walker};
use media_recorder_producer::core::webm::{HeaderScanner, ScanResult};

// ---------------------------------------------------------------------------------
// Fixtures.

const FRAG: &[u8] = include_bytes!("fixtures/ffmpeg-frag.mp4");
const EVERY_FRAME: &[u8] = include_bytes!("fixtures/ffmpeg-every-frame.mp4");
const NEGCTS: &[u8] = include_bytes!("fixtures/ffmpeg-negcts.mp4");
const AAC: &[u8] = include_bytes!("fixtures/ffmpeg-aac.mp4");
const CMAF_VIDEO: &[u8] = include_bytes!("fixtures/ffmpeg-cmaf-video.mp4");
const CMAF_AUDIO: &[u8] = include_bytes!("fixtures/ffmpeg-cmaf-audio.mp4");
/// Fragments whose `tfhd` gives an absolute `base_data_offset` (ffmpeg's
/// `frag_keyframe+empty_moov` without `default_base_moof`): they cannot be moved.
const ABS_OFFSET: &[u8] = include_bytes!("fixtures/ffmpeg-abs-offset.mp4");

/// Every fixture: its name and bytes (the derived ones made by the rewriters).
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ffmpeg-frag", FRAG.to_vec()),
        ("ffmpeg-every-frame", EVERY_FRAME.to_vec()),
        ("ffmpeg-negcts", NEGCTS.to_vec()),
        ("ffmpeg-aac", AAC.to_vec()),
        ("ffmpeg-cmaf-video", CMAF_VIDEO.to_vec()),
        ("ffmpeg-cmaf-audio", CMAF_AUDIO.to_vec()),
        ("frag-largesize", to_largesize(FRAG)),
        ("frag-free-skip", with_free_boxes(FRAG)),
        ("negcts-two-truns", split_truns(NEGCTS)),
        (
            "cmaf-video-largesize-free",
            with_free_boxes(&to_largesize(CMAF_VIDEO)),
        ),
        ("aac-two-truns-largesize", to_largesize(&split_truns(AAC))),
        ("every-frame-audio-late", audio_after_keyframes(EVERY_FRAME)),
    ]
}

// ---------------------------------------------------------------------------------
// Box reading, for the reference parse and the rewriters (independent of the library's
// cursor; the fixtures are well formed, so anything odd is a test failure).

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A box: its type, where its header starts, where its body starts, its end.
#[derive(Debug, Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

/// The boxes of `b[from..to]`, which they must fill exactly.
fn boxes(b: &[u8], from: usize, to: usize) -> Vec<Bx> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let kind: [u8; 4] = b[at + 4..at + 8].try_into().unwrap();
        let (size, head) = match u32_at(b, at) {
            1 => (u64_at(b, at + 8) as usize, 16),
            0 => (to - at, 8),
            n => (n as usize, 8),
        };
        assert!(
            size >= head && at + size <= to,
            "box {} at {at} of size {size} does not fit in ..{to}",
            String::from_utf8_lossy(&kind)
        );
        out.push(Bx {
            kind,
            start: at,
            body: at + head,
            end: at + size,
        });
        at += size;
    }
    out
}

fn child(b: &[u8], parent: Bx, kind: &[u8; 4]) -> Option<Bx> {
    boxes(b, parent.body, parent.end)
        .into_iter()
        .find(|c| &c.kind == kind)
}

fn children_of(b: &[u8], parent: Bx, kind: &[u8; 4]) -> Vec<Bx> {
    boxes(b, parent.body, parent.end)
        .into_iter()
        .filter(|c| &c.kind == kind)
        .collect()
}

/// `tfhd`: (flags, track, default sample duration, size, flags), each if present.
fn tfhd(b: &[u8], t: Bx) -> (u32, u32, Option<u32>, Option<u32>, Option<u32>) {
    let flags = u32_at(b, t.body) & 0xFF_FFFF;
    let track = u32_at(b, t.body + 4);
    let mut p = t.body + 8;
    if flags & 0x1 != 0 {
        p += 8;
    }
    if flags & 0x2 != 0 {
        p += 4;
    }
    let mut field = |bit: u32| {
        (flags & bit != 0).then(|| {
            p += 4;
            u32_at(b, p - 4)
        })
    };
    let dur = field(0x8);
    let size = field(0x10);
    let fl = field(0x20);
    (flags, track, dur, size, fl)
}

/// A `trun` read whole.
#[derive(Debug, Clone)]
struct Trun {
    version: u8,
    flags: u32,
    data_offset: Option<i32>,
    first_flags: Option<u32>,
    /// Per sample, the fields present (duration, size, flags, composition offset), in
    /// order, as raw 32-bit words.
    samples: Vec<Vec<u32>>,
}

const SAMPLE_FIELDS: [u32; 4] = [0x100, 0x200, 0x400, 0x800];

fn read_trun(b: &[u8], t: Bx) -> Trun {
    let version = b[t.body];
    let flags = u32_at(b, t.body) & 0xFF_FFFF;
    let count = u32_at(b, t.body + 4) as usize;
    let mut p = t.body + 8;
    let data_offset = (flags & 0x1 != 0).then(|| {
        p += 4;
        u32_at(b, p - 4) as i32
    });
    let first_flags = (flags & 0x4 != 0).then(|| {
        p += 4;
        u32_at(b, p - 4)
    });
    let per = SAMPLE_FIELDS.iter().filter(|f| flags & **f != 0).count();
    let samples = (0..count)
        .map(|i| (0..per).map(|j| u32_at(b, p + (i * per + j) * 4)).collect())
        .collect();
    assert_eq!(p + count * per * 4, t.end, "trun fills its box");
    Trun {
        version,
        flags,
        data_offset,
        first_flags,
        samples,
    }
}

impl Trun {
    /// The value of per-sample field `bit` of sample `i`, if present.
    fn field(&self, i: usize, bit: u32) -> Option<u32> {
        if self.flags & bit == 0 {
            return None;
        }
        let k = SAMPLE_FIELDS
            .iter()
            .filter(|f| **f < bit && self.flags & **f != 0)
            .count();
        Some(self.samples[i][k])
    }

    fn write(&self) -> Vec<u8> {
        let mut body = vec![self.version];
        body.extend(&self.flags.to_be_bytes()[1..]);
        body.extend((self.samples.len() as u32).to_be_bytes());
        if let Some(d) = self.data_offset {
            body.extend(d.to_be_bytes());
        }
        if let Some(f) = self.first_flags {
            body.extend(f.to_be_bytes());
        }
        for s in &self.samples {
            for w in s {
                body.extend(w.to_be_bytes());
            }
        }
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend(b"trun");
        out.extend(body);
        out
    }
}

// ---------------------------------------------------------------------------------
// The reference parse: what the index should find, read here independently of the
// library (ISO/IEC 14496-12: moov/trak/tkhd, mdia/mdhd, hdlr, mvex/trex; moof/traf/
// tfhd, tfdt, trun).

#[derive(Debug, Clone, Copy)]
struct RefTrack {
    id: u32,
    timescale: u32,
    video: bool,
    default_duration: u32,
    default_size: u32,
    default_flags: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct RefTraf {
    track: u32,
    time: u64,
    duration: u64,
    samples: usize,
    /// The longest sample, and the last, track units.
    longest: u64,
    last: u64,
}

#[derive(Debug, Clone)]
struct RefFragment {
    offset: u64,
    end: u64,
    keyframe: bool,
    trafs: Vec<RefTraf>,
}

#[derive(Debug)]
struct Reference {
    /// Offset of the first `moof`: the init segment is every byte before it.
    first_moof: u64,
    tracks: Vec<RefTrack>,
    fragments: Vec<RefFragment>,
}

impl Reference {
    fn track(&self, id: u32) -> RefTrack {
        *self.tracks.iter().find(|t| t.id == id).unwrap()
    }

    /// The longest sample of any track, in seconds: "one frame".
    fn frame_s(&self) -> f64 {
        self.fragments
            .iter()
            .flat_map(|f| &f.trafs)
            .map(|x| x.longest as f64 / self.track(x.track).timescale as f64)
            .fold(0.0, f64::max)
    }

    /// The end of the latest track (s).
    fn end_s(&self) -> f64 {
        self.fragments
            .iter()
            .flat_map(|f| &f.trafs)
            .map(|x| (x.time + x.duration) as f64 / self.track(x.track).timescale as f64)
            .fold(0.0, f64::max)
    }

    fn samples(&self, frags: &[RefFragment]) -> usize {
        frags.iter().flat_map(|f| &f.trafs).map(|x| x.samples).sum()
    }
}

fn reference(b: &[u8]) -> Reference {
    let top = boxes(b, 0, b.len());
    let moov = *top.iter().find(|x| &x.kind == b"moov").unwrap();
    let mut tracks = Vec::new();
    for trak in children_of(b, moov, b"trak") {
        let tkhd = child(b, trak, b"tkhd").unwrap();
        let id = u32_at(b, tkhd.body + if b[tkhd.body] == 1 { 20 } else { 12 });
        let mdia = child(b, trak, b"mdia").unwrap();
        let mdhd = child(b, mdia, b"mdhd").unwrap();
        let timescale = u32_at(b, mdhd.body + if b[mdhd.body] == 1 { 20 } else { 12 });
        let hdlr = child(b, mdia, b"hdlr").unwrap();
        let video = &b[hdlr.body + 8..hdlr.body + 12] == b"vide";
        tracks.push(RefTrack {
            id,
            timescale,
            video,
            default_duration: 0,
            default_size: 0,
            default_flags: 0,
        });
    }
    let mvex = child(b, moov, b"mvex").unwrap();
    for trex in children_of(b, mvex, b"trex") {
        let id = u32_at(b, trex.body + 4);
        let t = tracks.iter_mut().find(|t| t.id == id).unwrap();
        t.default_duration = u32_at(b, trex.body + 12);
        t.default_size = u32_at(b, trex.body + 16);
        t.default_flags = u32_at(b, trex.body + 20);
    }
    let has_video = tracks.iter().any(|t| t.video);
    let mut fragments: Vec<RefFragment> = Vec::new();
    for x in &top {
        match &x.kind {
            b"moof" => {
                let mut f = RefFragment {
                    offset: x.start as u64,
                    end: 0,
                    keyframe: !has_video,
                    trafs: Vec::new(),
                };
                for traf in children_of(b, *x, b"traf") {
                    let (_, id, dd, _, df) = tfhd(b, child(b, traf, b"tfhd").unwrap());
                    let t = *tracks.iter().find(|t| t.id == id).unwrap();
                    let tfdt = child(b, traf, b"tfdt").unwrap();
                    let time = if b[tfdt.body] == 1 {
                        u64_at(b, tfdt.body + 4)
                    } else {
                        u32_at(b, tfdt.body + 4) as u64
                    };
                    let (mut duration, mut samples, mut longest, mut last) = (0, 0, 0, 0);
                    let mut first = None;
                    for (k, run) in children_of(b, traf, b"trun").into_iter().enumerate() {
                        let run = read_trun(b, run);
                        for i in 0..run.samples.len() {
                            let d = run.field(i, 0x100).or(dd).unwrap_or(t.default_duration) as u64;
                            duration += d;
                            longest = longest.max(d);
                            last = d;
                            if k == 0 && i == 0 {
                                first = Some(
                                    run.first_flags
                                        .or(run.field(0, 0x400))
                                        .or(df)
                                        .unwrap_or(t.default_flags),
                                );
                            }
                        }
                        samples += run.samples.len();
                    }
                    let first_is_sync = first.is_some_and(|fl| fl & 0x1_0000 == 0);
                    if t.video && first_is_sync && f.trafs.iter().all(|x| x.track != id) {
                        f.keyframe = true;
                    }
                    f.trafs.push(RefTraf {
                        track: id,
                        time,
                        duration,
                        samples,
                        longest,
                        last,
                    });
                }
                fragments.push(f);
            }
            b"mdat" => {
                let f = fragments.last_mut().unwrap();
                if f.end == 0 {
                    f.end = x.end as u64;
                }
            }
            _ => {}
        }
    }
    assert!(
        fragments.iter().all(|f| f.end > f.offset),
        "every moof has its mdat"
    );
    Reference {
        first_moof: top.iter().find(|x| &x.kind == b"moof").unwrap().start as u64,
        tracks,
        fragments,
    }
}

// ---------------------------------------------------------------------------------
// The rewriters: layouts ffmpeg does not write, derived from its files. Each drops the
// `mfra` ffmpeg appends at the end (its `tfra` holds absolute `moof` offsets, which the
// rewrites move; a recording has none: it is written at close).

/// Every top-level box but `moof` written with a 64-bit size (size field 1, then
/// `largesize`): each header grows by 8 bytes. A fragment's samples are 8 bytes further
/// from its `moof` (its `mdat` header is 8 bytes longer), so each `trun`'s `data_offset`
/// (counted from the `moof`'s first byte: the fixtures all set default-base-is-moof)
/// grows by 8. Not the `moof`: no writer needs a 64-bit one (it holds a few hundred
/// bytes of tables), and ffmpeg's demuxer, the judge here, takes a `moof` to start 8
/// bytes before its body, so it would read a 64-bit one's samples 8 bytes off. (The
/// library's walkers read 64-bit headers of any box: see tests/core_mp4_cursor.rs.)
fn to_largesize(b: &[u8]) -> Vec<u8> {
    let top = boxes(b, 0, b.len());
    let mut out = Vec::new();
    for (i, x) in top.iter().enumerate() {
        if &x.kind == b"mfra" {
            continue;
        }
        let mut body = b[x.body..x.end].to_vec();
        if &x.kind == b"moov" {
            // Its mvex too (where the library adds a mehd, growing it and the moov).
            body.clear();
            for c in boxes(b, x.body, x.end) {
                if &c.kind == b"mvex" {
                    body.extend([0, 0, 0, 1]);
                    body.extend(b"mvex");
                    body.extend(((c.end - c.body + 16) as u64).to_be_bytes());
                    body.extend(&b[c.body..c.end]);
                } else {
                    body.extend(&b[c.start..c.end]);
                }
            }
        }
        if &x.kind == b"moof" {
            assert_eq!(&top[i + 1].kind, b"mdat", "the mdat follows its moof");
            // Offsets of each trun's data_offset within the body.
            let as_box = Bx {
                kind: x.kind,
                start: 0,
                body: x.body - x.start,
                end: x.end - x.start,
            };
            let whole = &b[x.start..x.end];
            for traf in children_of(whole, as_box, b"traf") {
                let (flags, ..) = tfhd(whole, child(whole, traf, b"tfhd").unwrap());
                assert!(
                    flags & 0x2_0000 != 0 && flags & 0x1 == 0,
                    "base is the moof"
                );
                for run in children_of(whole, traf, b"trun") {
                    assert!(u32_at(whole, run.body) & 0x1 != 0, "a data_offset");
                    let at = run.body + 8 - as_box.body;
                    let d = u32_at(&body, at);
                    put_u32(&mut body, at, d + 8);
                }
            }
            out.extend(&b[x.start..x.body]);
            out.extend(body);
            continue;
        }
        out.extend([0, 0, 0, 1]);
        out.extend(x.kind);
        out.extend((body.len() as u64 + 16).to_be_bytes());
        out.extend(body);
    }
    out
}

/// `free` and `skip` boxes where writers put them: after `ftyp`, after `moov`, and
/// between fragments (after each `mdat` that a `moof` follows). Their bodies spell a
/// `moof` and an `mdat` header, which a reader must skip, not believe. Offsets inside the
/// fragments are counted from their `moof`, so nothing else changes.
fn with_free_boxes(b: &[u8]) -> Vec<u8> {
    let filler = |kind: &[u8; 4], n: u8| {
        let mut body = vec![
            0, 0, 0, 8, b'm', b'o', b'o', b'f', 0, 0, 0, 8, b'm', b'd', b'a', b't',
        ];
        body.extend(std::iter::repeat(n).take(n as usize));
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    };
    let top: Vec<Bx> = boxes(b, 0, b.len())
        .into_iter()
        .filter(|x| &x.kind != b"mfra")
        .collect();
    let mut out = Vec::new();
    for (i, x) in top.iter().enumerate() {
        out.extend(&b[x.start..x.end]);
        let next = top.get(i + 1).map(|n| &n.kind);
        match (&x.kind, next) {
            (b"ftyp", _) => out.extend(filler(b"free", 3)),
            (b"moov", _) => out.extend(filler(b"skip", 0)),
            (b"mdat", Some(k)) if k != b"mdat" => out.extend(filler(b"free", i as u8 % 7)),
            _ => {}
        }
    }
    out
}

/// Each `trun` of 2 samples or more split in two at its middle, as writers that flush a
/// run per batch of samples do: the second keeps the flags but not `first_sample_flags`
/// (its samples' flags were already the per-sample or default ones), and its
/// `data_offset` is the first's plus the bytes of the first's samples (per-sample sizes,
/// else `tfhd`'s or `trex`'s default). Each split adds a 20-byte `trun` header (box
/// header, version and flags, count, data_offset) to its `traf` and the `moof`, so every
/// `data_offset` in that `moof` grows by the `moof`'s growth.
fn split_truns(b: &[u8]) -> Vec<u8> {
    let r = reference(b);
    let mut out = Vec::new();
    for x in boxes(b, 0, b.len()) {
        if &x.kind == b"mfra" {
            continue;
        }
        if &x.kind != b"moof" {
            out.extend(&b[x.start..x.end]);
            continue;
        }
        assert_eq!(
            u32_at(b, x.start),
            (x.end - x.start) as u32,
            "a 32-bit moof"
        );
        // First pass: the new trafs with data offsets before the moof grows.
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut runs_at: Vec<(usize, usize)> = Vec::new(); // (part, data_offset's byte)
        for c in boxes(b, x.body, x.end) {
            if &c.kind != b"traf" {
                parts.push(b[c.start..c.end].to_vec());
                continue;
            }
            let (flags, id, _, dsize, _) = tfhd(b, child(b, c, b"tfhd").unwrap());
            assert!(
                flags & 0x2_0000 != 0 && flags & 0x1 == 0,
                "base is the moof"
            );
            let default_size = dsize.unwrap_or(r.track(id).default_size);
            let mut traf = Vec::new();
            let mut offsets = Vec::new();
            for g in boxes(b, c.body, c.end) {
                if &g.kind != b"trun" {
                    traf.extend(&b[g.start..g.end]);
                    continue;
                }
                let run = read_trun(b, g);
                let d = run.data_offset.expect("a data_offset");
                let n = run.samples.len();
                let halves = if n >= 2 {
                    let k = n / 2;
                    let bytes: u32 = (0..k)
                        .map(|i| run.field(i, 0x200).unwrap_or(default_size))
                        .sum();
                    let mut one = run.clone();
                    one.samples.truncate(k);
                    let mut two = run.clone();
                    two.samples.drain(..k);
                    two.flags &= !0x4;
                    two.first_flags = None;
                    two.data_offset = Some(d + bytes as i32);
                    vec![one, two]
                } else {
                    vec![run]
                };
                for h in halves {
                    offsets.push(traf.len() + 8 + 8); // box header, version/flags, count
                    traf.extend(h.write());
                }
            }
            let mut boxed = ((traf.len() + 8) as u32).to_be_bytes().to_vec();
            boxed.extend(b"traf");
            boxed.extend(traf);
            runs_at.extend(offsets.into_iter().map(|o| (parts.len(), o + 8)));
            parts.push(boxed);
        }
        let size: usize = 8 + parts.iter().map(Vec::len).sum::<usize>();
        let growth = (size - (x.end - x.start)) as u32;
        for (p, at) in runs_at {
            let d = u32_at(&parts[p], at);
            put_u32(&mut parts[p], at, d + growth);
        }
        out.extend((size as u32).to_be_bytes());
        out.extend(b"moof");
        for p in parts {
            out.extend(p);
        }
    }
    out
}

/// A file whose audio lags its video: each audio-only fragment just before a fragment
/// that starts with a video keyframe moved after it (with one fragment per track and
/// frame, `frag_every_frame`), as a writer that flushes each track's fragments as they
/// fill may order them. A snapshot from that keyframe then holds audio from before it.
/// Each fragment is self-contained (its offsets count from its `moof`), so the pair is
/// swapped whole; the `mfhd` sequence numbers are then renumbered in file order.
fn audio_after_keyframes(b: &[u8]) -> Vec<u8> {
    let r = reference(b);
    let top: Vec<Bx> = boxes(b, 0, b.len())
        .into_iter()
        .filter(|x| &x.kind != b"mfra")
        .collect();
    let init = top.iter().position(|x| &x.kind == b"moof").unwrap();
    let mut out = b[..top[init].start].to_vec();
    // Each fragment: its bytes, and whether it is audio only / starts with a keyframe.
    let mut frags: Vec<(Vec<u8>, bool, bool)> = r
        .fragments
        .iter()
        .map(|f| {
            let audio = f.trafs.iter().all(|x| !r.track(x.track).video);
            let key = f.keyframe;
            (b[f.offset as usize..f.end as usize].to_vec(), audio, key)
        })
        .collect();
    for i in 1..frags.len() {
        if frags[i].2 && frags[i - 1].1 {
            frags.swap(i - 1, i);
        }
    }
    for (k, (mut f, ..)) in frags.into_iter().enumerate() {
        let mfhd = child(&f, boxes(&f, 0, f.len())[0], b"mfhd").unwrap();
        put_u32(&mut f, mfhd.body + 4, k as u32 + 1);
        out.extend(f);
    }
    out
}

// ---------------------------------------------------------------------------------
// Chunks at random offsets: a seeded SplitMix64.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `b` cut at random offsets: a few cuts or many, anywhere (a chunk may be a byte).
fn random_chunks<'a>(b: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let cuts = match rng.below(3) {
        0 => 1 + rng.below(4),
        1 => 10 + rng.below(50),
        _ => 200 + rng.below(2000),
    };
    let mut at: Vec<usize> = (0..cuts).map(|_| 1 + rng.below(b.len() - 1)).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for a in at.into_iter().chain([b.len()]) {
        out.push(&b[from..a]);
        from = a;
    }
    out
}

/// The splits each fixture is fed in: whole, byte by byte, and 24 random ones.
fn splits<'a>(name: &str, b: &'a [u8]) -> Vec<Vec<&'a [u8]>> {
    let seed = name
        .bytes()
        .fold(0x5EED_2404_u64, |h, c| h.rotate_left(5) ^ c as u64);
    let mut rng = Rng(seed);
    let mut out = vec![vec![b], b.chunks(1).collect()];
    out.extend((0..24).map(|_| random_chunks(b, &mut rng)));
    out
}

// ---------------------------------------------------------------------------------
// ffprobe and ffmpeg.

/// Whether ffprobe and ffmpeg are on PATH; says so once if not.
fn tools() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        let ok = ["ffprobe", "ffmpeg"]
            .iter()
            .all(|t| Command::new(t).arg("-version").output().is_ok());
        if !ok {
            eprintln!(
                "note: ffprobe/ffmpeg are not on PATH: the ffprobe checks of \
                 core_mp4_writers are SKIPPED (scripts/setup.sh installs them)"
            );
        }
        ok
    })
}

/// Runs ffprobe with `args` on `path`: its stdout, after checking it succeeded and
/// said nothing on stderr at `-v error`.
fn ffprobe(name: &str, path: &Path, args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "{name}: ffprobe said {err}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `key=value` pairs of each line of ffprobe's `compact` output, with the section name
/// under `""`.
fn compact(out: &str) -> Vec<BTreeMap<String, String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut m = BTreeMap::new();
            let mut fields = l.split('|');
            m.insert(String::new(), fields.next().unwrap().to_string());
            for f in fields {
                let (k, v) = f.split_once('=').unwrap();
                m.insert(k.to_string(), v.to_string());
            }
            m
        })
        .collect()
}

#[derive(Debug)]
struct Probe {
    duration: f64,
    /// Per stream: (track ID, time base denominator, codec type).
    streams: Vec<(u32, u32, String)>,
}

fn probe(name: &str, path: &Path) -> Probe {
    let out = ffprobe(
        name,
        path,
        &[
            "-show_entries",
            "format=duration:stream=index,id,codec_type,time_base",
            "-of",
            "compact",
        ],
    );
    let mut p = Probe {
        duration: f64::NAN,
        streams: Vec::new(),
    };
    for m in compact(&out) {
        match m[""].as_str() {
            "format" => p.duration = m["duration"].parse().unwrap(),
            "stream" => {
                let id = u32::from_str_radix(m["id"].trim_start_matches("0x"), 16).unwrap();
                let den = m["time_base"].split_once('/').unwrap().1.parse().unwrap();
                p.streams.push((id, den, m["codec_type"].clone()));
            }
            _ => {}
        }
    }
    p
}

#[derive(Debug, Clone, Copy)]
struct Packet {
    stream: usize,
    dts: i64,
    pos: u64,
    key: bool,
}

fn packets(name: &str, path: &Path) -> Vec<Packet> {
    let out = ffprobe(
        name,
        path,
        &[
            "-show_entries",
            "packet=stream_index,dts,pos,flags",
            "-of",
            "compact",
        ],
    );
    compact(&out)
        .into_iter()
        .map(|m| Packet {
            stream: m["stream_index"].parse().unwrap(),
            dts: m["dts"].parse().unwrap(),
            pos: m["pos"].parse().unwrap(),
            key: m["flags"].starts_with('K'),
        })
        .collect()
}

/// ffmpeg decodes every packet of `path` (from `seek` s on, if given) without a word.
fn decodes_clean(name: &str, path: &Path, seek: Option<f64>) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if let Some(ss) = seek {
        cmd.args(["-ss", &format!("{ss:.3}")]);
    }
    let out = cmd
        .arg("-i")
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "{name} (from {seek:?} s): ffmpeg said {err}"
    );
}

/// ffprobe's packets of `file` agree with the reference's fragments: each sample lies in
/// its fragment's bytes, per fragment and track the samples' count and durations add up
/// to the `trun`s', their decode times advance as the `tfdt`s do, and a video fragment's
/// first sample is a keyframe exactly when the index says so.
fn packets_agree(name: &str, path: &Path, r: &Reference, frags: &[RefFragment]) {
    let p = probe(name, path);
    let pk = packets(name, path);
    let track_of = |s: usize| p.streams[s].0;
    let mut first_dts: BTreeMap<u32, (i64, u64)> = BTreeMap::new();
    for f in frags {
        for x in &f.trafs {
            let s = p.streams.iter().position(|s| s.0 == x.track).unwrap();
            assert_eq!(
                p.streams[s].1,
                r.track(x.track).timescale,
                "{name}: time base"
            );
            let mine: Vec<&Packet> = pk
                .iter()
                .filter(|q| track_of(q.stream) == x.track && q.pos >= f.offset && q.pos < f.end)
                .collect();
            assert_eq!(mine.len(), x.samples, "{name}: samples at {}", f.offset);
            // The samples' decode times advance by the trun's durations: from the first
            // to the last, the run's duration but the last sample's. (Not ffprobe's
            // packet durations: for AAC its parser's frame size, 1024, whatever the
            // trun says.)
            let dts = mine.iter().map(|q| q.dts).min().unwrap();
            let span = mine.iter().map(|q| q.dts).max().unwrap() - dts;
            assert_eq!(
                span as u64,
                x.duration - x.last,
                "{name}: duration at {}",
                f.offset
            );
            let (d0, t0) = *first_dts.entry(x.track).or_insert((dts, x.time));
            assert_eq!(
                dts - d0,
                (x.time - t0) as i64,
                "{name}: decode time at {}",
                f.offset
            );
            if r.track(x.track).video {
                let first = mine.iter().min_by_key(|q| q.dts).unwrap();
                if f.trafs.iter().find(|y| y.track == x.track) == Some(x) {
                    assert_eq!(first.key, f.keyframe, "{name}: keyframe at {}", f.offset);
                }
            }
        }
    }
    let held: usize = r.samples(frags);
    assert_eq!(pk.len(), held, "{name}: every packet is in a fragment");
}

// ---------------------------------------------------------------------------------
// The checks.

fn index(b: &[u8]) -> Mp4Index {
    let mut m = Mp4Index::new();
    m.feed(b).unwrap_or_else(|e| panic!("{e}"));
    m
}

/// The index's fragments are the reference's.
fn index_agrees(name: &str, b: &[u8], m: &Mp4Index, r: &Reference) {
    assert_eq!(m.error(), None, "{name}");
    let tracks: Vec<_> = m
        .tracks()
        .iter()
        .map(|t| (t.id, t.timescale, t.video))
        .collect();
    let want: Vec<_> = r
        .tracks
        .iter()
        .map(|t| (t.id, t.timescale, t.video))
        .collect();
    assert_eq!(tracks, want, "{name}: tracks");
    assert_eq!(m.fragments().len(), r.fragments.len(), "{name}: fragments");
    for (f, g) in m.fragments().iter().zip(&r.fragments) {
        assert_eq!(
            (f.offset, f.end),
            (g.offset, Some(g.end)),
            "{name}: fragment"
        );
        assert_eq!(f.keyframe, g.keyframe, "{name}: keyframe at {}", g.offset);
        let got: Vec<_> = f
            .trafs
            .iter()
            .map(|x| (x.track, x.time, x.duration))
            .collect();
        let want: Vec<_> = g
            .trafs
            .iter()
            .map(|x| (x.track, x.time, x.duration))
            .collect();
        assert_eq!(got, want, "{name}: runs at {}", g.offset);
        for x in &f.trafs {
            // time_at points at the tfdt's value in the recording.
            let at = x.time_at as usize;
            let v = match b[at - 4] {
                1 => u64_at(b, at),
                _ => u32_at(b, at) as u64,
            };
            assert_eq!(v, x.time, "{name}: tfdt at {at}");
        }
    }
}

/// The header scan, fed `chunks` as a recording's chunks: pins every chunk up to the one
/// holding the byte before the first `moof`.
fn scan_agrees(name: &str, chunks: &[&[u8]], r: &Reference) {
    let mut s = HeaderScanner::new();
    let mut at = 0u64;
    let mut holder = None; // the chunk holding byte first_moof - 1
    for (seq, c) in chunks.iter().enumerate() {
        if holder.is_none() && at + c.len() as u64 >= r.first_moof {
            holder = Some(seq as u64);
        }
        at += c.len() as u64;
        match s.feed(seq as u64, c) {
            ScanResult::NeedMore => continue,
            got => {
                let want = ScanResult::HeaderEnd {
                    last_seq: holder.unwrap(),
                    cluster_offset: r.first_moof,
                };
                assert_eq!(got, want, "{name}: {} chunks", chunks.len());
                return;
            }
        }
    }
    panic!("{name}: the scan never found the first moof");
}

/// `makeSeekable`'s path: an index chosen from the first bytes, fed slice by slice.
fn container(chunks: &[&[u8]]) -> ContainerIndex {
    let mut c = ContainerIndex::for_bytes(chunks[0]);
    for b in chunks {
        c.feed(b);
    }
    c
}

/// The seekable file: a new init segment, then the recording's fragments unchanged.
fn check_seekable(name: &str, b: &[u8], s: &Seekable, r: &Reference) -> Vec<u8> {
    let last = r.fragments.last().unwrap();
    assert_eq!(s.body, r.first_moof..last.end, "{name}: every fragment");
    assert_eq!(
        s.cues,
        r.fragments.len(),
        "{name}: a reference per fragment"
    );
    let mut file = s.header.clone();
    file.extend(&b[s.body.start as usize..s.body.end as usize]);
    // The header is the init segment's boxes (any sidx of the original left out: it
    // indexed the old layout), then one sidx whose references cover the body.
    let head = boxes(&file, 0, s.header.len());
    let kinds: Vec<_> = head.iter().map(|x| x.kind).collect();
    let init_kinds: Vec<_> = boxes(b, 0, r.first_moof as usize)
        .iter()
        .map(|x| x.kind)
        .filter(|k| k != b"sidx")
        .chain([*b"sidx"])
        .collect();
    assert_eq!(kinds, init_kinds, "{name}: the header's boxes");
    let sidx = *head.last().unwrap();
    let v = file[sidx.body];
    let refs_at = sidx.body + if v == 1 { 32 } else { 24 };
    let count = u32_at(&file, refs_at - 4) & 0xFFFF;
    let sizes: u64 = (0..count as usize)
        .map(|i| (u32_at(&file, refs_at + 12 * i) & 0x7FFF_FFFF) as u64)
        .sum();
    assert_eq!(
        sizes,
        s.body.end - s.body.start,
        "{name}: the sidx covers the body"
    );
    let sap: Vec<bool> = (0..count as usize)
        .map(|i| u32_at(&file, refs_at + 12 * i + 8) >> 31 == 1)
        .collect();
    let keys: Vec<bool> = r.fragments.iter().map(|f| f.keyframe).collect();
    assert_eq!(sap, keys, "{name}: starts_with_SAP is the keyframe flag");
    // Its duration: the recording's end (the latest track's), in the movie's units.
    assert!(
        (s.duration_ms / 1000.0 - r.end_s()).abs() <= 0.001,
        "{name}: {} ms written, tracks end at {} s",
        s.duration_ms,
        r.end_s()
    );
    file
}

/// How much later than the earliest the latest track's first sample is, in `frags` (s).
fn late_start(r: &Reference, frags: &[RefFragment]) -> f64 {
    let mut first: BTreeMap<u32, f64> = BTreeMap::new();
    for x in frags.iter().flat_map(|f| &f.trafs) {
        let t = x.time as f64 / r.track(x.track).timescale as f64;
        first
            .entry(x.track)
            .and_modify(|v| *v = v.min(t))
            .or_insert(t);
    }
    let (lo, hi) = first.values().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    hi - lo
}

/// ffprobe's verdict on a file the library made: clean, the streams of the recording,
/// the duration within one frame of `expected_s`, and clean decoding from the start and
/// from the middle.
///
/// One allowance: FFmpeg's mov demuxer takes a fragmented track's end, counted from 0,
/// as its duration and adds the track's start time to it, so where a track's first
/// sample comes `late_s` after the file's 0 (a snapshot's video starts a little after
/// the audio that precedes its keyframe) ffprobe's duration is off by up to `late_s`
/// (measured: up to 0.059 s long, 0.019 s short).
/// The file's own durations (`mvhd`, `mehd`) are checked exactly elsewhere.
fn probe_made(
    name: &str,
    file: &[u8],
    r: &Reference,
    expected_s: f64,
    late_s: f64,
) -> std::path::PathBuf {
    let path = temp_file(name, "mp4", file);
    let p = probe(name, &path);
    let ids: Vec<u32> = p.streams.iter().map(|s| s.0).collect();
    let want: Vec<u32> = r.tracks.iter().map(|t| t.id).collect();
    assert_eq!(ids, want, "{name}: streams");
    assert!(
        (p.duration - expected_s).abs() <= r.frame_s() + late_s + 1e-6,
        "{name}: ffprobe reads {} s, expected {expected_s} s (frame {} s, late start {late_s} s)",
        p.duration,
        r.frame_s()
    );
    decodes_clean(name, &path, None);
    decodes_clean(name, &path, Some(expected_s / 2.0));
    path
}

#[test]
fn each_fixture_is_what_its_writer_says() {
    // The layouts the fixtures are meant to have, so that a fixture remade by another
    // ffmpeg cannot quietly stop covering one.
    let all = fixtures();
    let get = |n: &str| all.iter().find(|f| f.0 == n).unwrap().1.as_slice();
    let top = |b: &[u8]| -> Vec<[u8; 4]> { boxes(b, 0, b.len()).iter().map(|x| x.kind).collect() };
    let truns = |b: &[u8]| -> Vec<Trun> {
        let mut out = Vec::new();
        for m in boxes(b, 0, b.len())
            .into_iter()
            .filter(|x| &x.kind == b"moof")
        {
            for t in children_of(b, m, b"traf") {
                out.extend(children_of(b, t, b"trun").iter().map(|x| read_trun(b, *x)));
            }
        }
        out
    };
    // Both tracks in each moof; H.264 and AAC.
    let r = reference(FRAG);
    assert_eq!(r.tracks.len(), 2);
    assert!(r.fragments.iter().all(|f| f.trafs.len() == 2 && f.keyframe));
    assert_eq!(r.fragments.len(), 3);
    assert!(FRAG.windows(4).any(|w| w == b"avc1") && FRAG.windows(4).any(|w| w == b"mp4a"));
    // A fragment per frame, one track each, most not starting with a keyframe.
    let r = reference(EVERY_FRAME);
    assert!(r.fragments.iter().all(|f| f.trafs.len() == 1));
    assert_eq!(r.fragments.iter().filter(|f| f.keyframe).count(), 3);
    assert!(r.fragments.len() > 200);
    // trun version 1 with negative composition offsets.
    let neg = truns(NEGCTS)
        .into_iter()
        .filter(|t| t.version == 1 && t.flags & 0x800 != 0)
        .flat_map(|t| (0..t.samples.len()).map(move |i| t.field(i, 0x800).unwrap() as i32))
        .filter(|c| *c < 0)
        .count();
    assert!(neg > 40, "{neg} negative offsets");
    // Audio only.
    assert!(reference(AAC).tracks.iter().all(|t| !t.video));
    assert!(reference(CMAF_AUDIO).tracks.iter().all(|t| !t.video));
    // CMAF: styp and sidx before each moof, an edit list in the moov.
    let k = top(CMAF_VIDEO);
    assert_eq!(&k[..5], [*b"ftyp", *b"moov", *b"styp", *b"sidx", *b"moof"]);
    assert_eq!(k.iter().filter(|x| *x == b"styp").count(), 3);
    for b in [CMAF_VIDEO, CMAF_AUDIO] {
        let moov = boxes(b, 0, b.len())[1];
        let trak = child(b, moov, b"trak").unwrap();
        let elst = child(b, child(b, trak, b"edts").unwrap(), b"elst").unwrap();
        assert_eq!(u32_at(b, elst.body + 4), 1, "one edit");
    }
    // The derived layouts.
    let b = get("every-frame-audio-late");
    let r = reference(b);
    let secs = |x: &RefTraf| x.time as f64 / r.track(x.track).timescale as f64;
    let late = r.fragments.windows(2).filter(|w| {
        let audio = w[1].trafs.iter().all(|x| !r.track(x.track).video);
        w[0].keyframe && audio && secs(&w[1].trafs[0]) < secs(&w[0].trafs[0])
    });
    // Not before the first keyframe, at 0: no audio precedes it.
    assert_eq!(
        late.count(),
        2,
        "audio from before each later keyframe comes after it"
    );
    let b = get("frag-largesize");
    assert!(boxes(b, 0, b.len())
        .iter()
        .all(|x| (u32_at(b, x.start) == 1) == (&x.kind != b"moof")));
    let k = top(get("frag-free-skip"));
    assert_eq!(&k[..4], [*b"ftyp", *b"free", *b"moov", *b"skip"]);
    assert_eq!(k.iter().filter(|x| *x == b"free").count(), 3);
    let b = get("negcts-two-truns");
    let m = boxes(b, 0, b.len())[2];
    assert!(children_of(b, m, b"traf")
        .iter()
        .all(|t| children_of(b, *t, b"trun").len() == 2));
    assert!(truns(b).iter().all(|t| t.version == 1));
    for (name, b) in &all {
        assert!(b.len() < 100_000, "{name}: {} bytes", b.len());
    }
}

#[test]
fn the_header_scan_pins_the_init_segment() {
    for (name, b) in fixtures() {
        let r = reference(&b);
        // The walker alone, whole.
        assert_eq!(
            Mp4Walker::default().feed(&b),
            Ok(Some(r.first_moof)),
            "{name}"
        );
        for chunks in splits(name, &b) {
            scan_agrees(name, &chunks, &r);
        }
    }
}

#[test]
fn the_index_finds_every_fragment_whatever_the_chunks() {
    for (name, b) in fixtures() {
        let r = reference(&b);
        let whole = index(&b);
        index_agrees(name, &b, &whole, &r);
        for chunks in splits(name, &b) {
            let mut m = Mp4Index::new();
            for c in &chunks {
                m.feed(c).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            assert_eq!(
                m.fragments(),
                whole.fragments(),
                "{name}: {} chunks",
                chunks.len()
            );
            assert_eq!(m.tracks(), whole.tracks(), "{name}");
        }
    }
}

#[test]
fn the_index_agrees_with_ffprobe() {
    if !tools() {
        return;
    }
    for (name, b) in fixtures() {
        let r = reference(&b);
        let path = temp_file(&format!("{name}-original"), "mp4", &b);
        packets_agree(name, &path, &r, &r.fragments);
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn seekable_files_probe_clean() {
    for (name, b) in fixtures() {
        let r = reference(&b);
        let s = index(&b)
            .seekable()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = check_seekable(name, &b, &s, &r);
        // makeSeekable's path, whatever the slices: the same file.
        for chunks in splits(name, &b) {
            let c = container(&chunks);
            assert!(
                c.is_mp4(),
                "{name}: first chunk of {} bytes",
                chunks[0].len()
            );
            assert_eq!(c.failure(), None, "{name}");
            assert_eq!(
                c.seekable().as_ref(),
                Ok(&s),
                "{name}: {} chunks",
                chunks.len()
            );
        }
        if tools() {
            let path = probe_made(
                &format!("{name}-seekable"),
                &file,
                &r,
                r.end_s(),
                late_start(&r, &r.fragments),
            );
            // The fragments are the recording's: ffprobe finds every sample, where the
            // body put it.
            let shift = s.header.len() as u64;
            let moved: Vec<RefFragment> = r
                .fragments
                .iter()
                .map(|f| RefFragment {
                    offset: f.offset - r.first_moof + shift,
                    end: f.end - r.first_moof + shift,
                    ..f.clone()
                })
                .collect();
            packets_agree(name, &path, &r, &moved);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[test]
fn snapshots_probe_clean() {
    for (name, b) in fixtures() {
        let r = reference(&b);
        let whole = index(&b);
        let all = 0..b.len() as u64;
        for last_ms in [Some(1000.0), Some(2000.0), None] {
            let what = format!("{name}-snapshot-{}", last_ms.map_or(0.0, |m| m / 1000.0));
            let s = ContainerIndex::Mp4(whole.clone())
                .snapshot(all.clone(), last_ms)
                .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            // The same from any chunking, held whole.
            for chunks in splits(name, &b).into_iter().skip(1).step_by(5) {
                let c = container(&chunks);
                assert_eq!(c.snapshot(all.clone(), last_ms).as_ref(), Ok(&s), "{what}");
            }
            // It starts at the latest keyframe fragment that starts at least last_ms
            // before the end (else the first), and holds every fragment from there.
            let file = assemble(&s.header, &s.parts, &b);
            let moofs: Vec<Bx> = boxes(&file, 0, file.len())
                .into_iter()
                .filter(|x| &x.kind == b"moof")
                .collect();
            let from = r.fragments.len() - moofs.len();
            let start = &r.fragments[from];
            assert!(start.keyframe, "{what}: starts at a keyframe");
            let start_s = |f: &RefFragment| {
                f.trafs
                    .iter()
                    .map(|x| x.time as f64 / r.track(x.track).timescale as f64)
                    .fold(f64::INFINITY, f64::min)
            };
            let keys: Vec<&RefFragment> = r.fragments.iter().filter(|f| f.keyframe).collect();
            let want = match last_ms {
                Some(ms) => keys
                    .iter()
                    .rev()
                    .find(|f| start_s(f) <= r.end_s() - ms / 1000.0)
                    .unwrap_or(&keys[0]),
                None => keys[0],
            };
            assert_eq!(
                start.offset, want.offset,
                "{what}: the clip's first fragment"
            );
            // Each fragment's bytes are the recording's but for its tfdt values.
            for (m, f) in moofs.iter().zip(&r.fragments[from..]) {
                let len = (f.end - f.offset) as usize;
                let (got, orig) = (
                    &file[m.start..m.start + len],
                    &b[f.offset as usize..f.end as usize],
                );
                let differ = got.iter().zip(orig).filter(|(x, y)| x != y).count();
                assert!(differ <= 8 * f.trafs.len(), "{what}: {differ} bytes differ");
            }
            // Its time starts at 0 (the earliest track's), and it lasts to the end.
            let clip = &r.fragments[from..];
            let zero = clip
                .iter()
                .flat_map(|f| &f.trafs)
                .map(|x| x.time as f64 / r.track(x.track).timescale as f64)
                .fold(f64::INFINITY, f64::min);
            assert!((s.start_ms / 1000.0 - zero).abs() < 1e-6, "{what}: start");
            let expected = r.end_s() - zero;
            assert!(
                (s.duration_ms / 1000.0 - expected).abs() <= 0.001,
                "{what}: {} ms written, expected {expected} s",
                s.duration_ms
            );
            if tools() {
                let path = probe_made(&what, &file, &r, expected, late_start(&r, clip));
                let mut moved = Vec::new();
                let mut at = s.header.len() as u64;
                for f in clip {
                    let len = f.end - f.offset;
                    moved.push(RefFragment {
                        offset: at,
                        end: at + len,
                        ..f.clone()
                    });
                    at += len;
                }
                packets_agree(&what, &path, &r, &moved);
                let _ = std::fs::remove_file(path);
            }
        }
        // The stable ranges are the snapshot's kept ranges.
        let s = whole.snapshot(all.clone(), None).unwrap();
        let kept: Vec<_> = s
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Range(r) => Some(r.clone()),
                Part::Bytes(_) => None,
            })
            .collect();
        let first = r.fragments.iter().position(|f| f.keyframe).unwrap();
        let ranges: Vec<_> = (first..r.fragments.len())
            .flat_map(|i| whole.stable_ranges(i).unwrap())
            .collect();
        assert_eq!(kept, ranges, "{name}: stable ranges");
    }
}

#[test]
fn absolute_base_data_offsets_are_refused_not_misplaced() {
    // A fragment whose tfhd says where its data is from the file's start cannot be moved
    // behind a longer init segment: the index says so instead of making a broken file.
    let r = boxes(ABS_OFFSET, 0, ABS_OFFSET.len());
    let moof = *r.iter().find(|x| &x.kind == b"moof").unwrap();
    let traf = child(ABS_OFFSET, moof, b"traf").unwrap();
    let (flags, ..) = tfhd(ABS_OFFSET, child(ABS_OFFSET, traf, b"tfhd").unwrap());
    assert!(flags & 0x1 != 0, "the fixture has base_data_offset");
    let mut m = Mp4Index::new();
    let e = m.feed(ABS_OFFSET).unwrap_err();
    assert_eq!(e.offset, moof.start as u64, "{e}");
    assert!(e.to_string().contains("base_data_offset"), "{e}");
    let c = container(&[ABS_OFFSET]);
    assert!(c.failure().is_some());
    assert!(c.seekable().is_err());
    assert!(matches!(
        c.snapshot(0..ABS_OFFSET.len() as u64, None),
        Err(SnapshotError::Data(_))
    ));
}
