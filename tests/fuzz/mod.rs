//! The fuzz engine shared by `tests/core_fuzz.rs` (10 000 inputs per parser, in
//! `cargo test`) and `examples/fuzz.rs` (`npm run fuzz`: 1 000 000 per parser).
//!
//! Each input is made from one case seed alone (a xorshift PRNG, no dependency): a
//! real recording from tests/fixtures (whole, or its first bytes), then one to eight
//! mutations — bit flips, bytes set, runs inserted, removed or repeated, truncations,
//! EBML sizes set to 8-byte values up to 2^56 − 1, MP4 box sizes set to 4 GiB, 0, less
//! than a header, or a 64-bit `largesize` up to 2^64 − 1, and splices of two
//! recordings — then the chunk sizes it is fed in. A failure prints its parser and case
//! seed; `cargo run --release --example fuzz -- --replay <parser> <seed>` replays it.
//!
//! On every input, for each parser: no panic (caught with `catch_unwind`), the answers
//! of a whole feed and a chunked feed agree, what is returned stays within the input,
//! and the memory the parser holds at its peak stays within [`memory_bound`] of the
//! input's length (the crate root installs [`Counting`] as the global allocator).
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use media_recorder_producer::core::container::{ContainerIndex, Part, SnapshotError};
use media_recorder_producer::core::ebml::{EbmlReader, MAX_TRACKS};
use media_recorder_producer::core::mp4::Mp4Index;
use media_recorder_producer::core::webm::{HeaderScanner, ScanResult};

// ---------------------------------------------------------------------------------
// The counting allocator.

thread_local! {
    // Per thread, so that tests running in parallel (and the runner's two threads) do
    // not count each other's bytes. Const-initialised cells without a destructor: using
    // them never allocates.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// `std::alloc::System`, counting the bytes live on each thread, their peak, and the
/// largest single request (install it with `#[global_allocator]` in the crate root).
/// A reallocation counts as the new block allocated before the old one is freed: what
/// a moving `realloc` holds for a moment.
pub struct Counting;

fn note_alloc(size: usize) {
    let _ = CURRENT.try_with(|c| {
        let now = c.get().saturating_add(size);
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

fn note_free(size: usize) {
    let _ = CURRENT.try_with(|c| c.set(c.get().saturating_sub(size)));
}

// SAFETY: every call is passed on to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        note_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            note_alloc(new_size);
            note_free(layout.size());
        }
        p
    }
}

/// What `f` allocated on this thread at its peak above what was live when it began,
/// and its largest single allocation (bytes).
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(base));
    LARGEST.with(|l| l.set(0));
    let out = f();
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (out, peak, LARGEST.with(Cell::get))
}

/// The most a parser may hold at its peak while it reads one input of `len` bytes:
/// `8 × len + 64 KiB` (why: BENCHMARKS.md, "Fuzzing at scale (issue 24)"; the highest
/// ratio measured over 4 million inputs was 6.92, the MP4 index).
pub fn memory_bound(len: usize) -> usize {
    len.saturating_mul(8).saturating_add(64 * 1024)
}

// ---------------------------------------------------------------------------------
// The PRNG and the inputs.

/// xorshift64* (Vigna): small, fast, and good enough to pick mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; 0 is mapped away from the fixed point).
    pub fn new(seed: u64) -> Self {
        Rng(splitmix(seed) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn range(&mut self, r: Range<usize>) -> usize {
        r.start + self.below(r.end - r.start)
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// SplitMix64's finaliser: spreads consecutive integers over the 64 bits.
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The recordings the inputs start from: Chromium and Firefox WebM; Chromium's MP4 and
/// ffmpeg's fragmented MP4 layouts (H.264 + AAC, every frame a fragment, negative
/// composition offsets, CMAF with styp/sidx, audio only: scripts/make-mp4-fixtures.sh).
pub const WEBM: [&[u8]; 7] = [
    include_bytes!("../fixtures/chromium-vp9-opus.webm"),
    include_bytes!("../fixtures/chromium-vp9.webm"),
    include_bytes!("../fixtures/chromium-vp8-opus.webm"),
    include_bytes!("../fixtures/chromium-vp8.webm"),
    include_bytes!("../fixtures/firefox-vp8-opus.webm"),
    include_bytes!("../fixtures/chromium-av-head.webm"),
    include_bytes!("../fixtures/chromium-video-head.webm"),
];
pub const MP4: [&[u8]; 8] = [
    include_bytes!("../fixtures/chromium-avc1-opus.mp4"),
    include_bytes!("../fixtures/chromium-vp9-mp4.mp4"),
    include_bytes!("../fixtures/ffmpeg-frag.mp4"),
    include_bytes!("../fixtures/ffmpeg-every-frame.mp4"),
    include_bytes!("../fixtures/ffmpeg-negcts.mp4"),
    include_bytes!("../fixtures/ffmpeg-aac.mp4"),
    include_bytes!("../fixtures/ffmpeg-cmaf-video.mp4"),
    include_bytes!("../fixtures/ffmpeg-abs-offset.mp4"),
];

/// The parsers fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// `core::ebml::EbmlReader`, fed whole and in random chunks.
    Ebml,
    /// `core::webm::HeaderScanner` (WebM and MP4), whole and chunked.
    HeaderScan,
    /// `core::mp4::Mp4Index`, whole and chunked, and what it makes.
    Mp4,
    /// `core::container::ContainerIndex`: makeSeekable's input (`seekable`,
    /// `snapshot`, `stable_ranges` after a chunked feed).
    Container,
}

pub const PARSERS: [Parser; 4] = [
    Parser::Ebml,
    Parser::HeaderScan,
    Parser::Mp4,
    Parser::Container,
];

impl Parser {
    pub fn name(self) -> &'static str {
        match self {
            Parser::Ebml => "ebml",
            Parser::HeaderScan => "header-scan",
            Parser::Mp4 => "mp4",
            Parser::Container => "container",
        }
    }

    pub fn from_name(name: &str) -> Option<Parser> {
        PARSERS.into_iter().find(|p| p.name() == name)
    }

    /// The seed of case `i` of a run seeded `run` (each parser its own sequence).
    pub fn case_seed(self, run: u64, i: u64) -> u64 {
        let which = PARSERS.iter().position(|p| *p == self).unwrap_or(0) as u64;
        splitmix(run ^ (which << 56)).wrapping_add(i)
    }

    /// A recording to start from: mostly of the parser's own format.
    fn pick(self, rng: &mut Rng) -> &'static [u8] {
        let mp4 = match self {
            Parser::Ebml => rng.chance(16),
            Parser::Mp4 => !rng.chance(16),
            Parser::HeaderScan | Parser::Container => rng.chance(3),
        };
        if mp4 {
            MP4[rng.below(MP4.len())]
        } else {
            WEBM[rng.below(WEBM.len())]
        }
    }
}

/// A recording from anywhere (a splice's second half).
fn any_seed(rng: &mut Rng) -> &'static [u8] {
    let n = WEBM.len() + MP4.len();
    match rng.below(n) {
        i if i < WEBM.len() => WEBM[i],
        i => MP4[i - WEBM.len()],
    }
}

/// EBML IDs of the elements whose sizes a mutation makes huge (4-byte ones: rarely
/// found by chance in the media).
const EBML_IDS: [[u8; 4]; 8] = [
    [0x1A, 0x45, 0xDF, 0xA3], // EBML
    [0x18, 0x53, 0x80, 0x67], // Segment
    [0x11, 0x4D, 0x9B, 0x74], // SeekHead
    [0x15, 0x49, 0xA9, 0x66], // Info
    [0x16, 0x54, 0xAE, 0x6B], // Tracks
    [0x1F, 0x43, 0xB6, 0x75], // Cluster
    [0x1C, 0x53, 0xBB, 0x6B], // Cues
    [0x12, 0x54, 0xC3, 0x67], // Tags
];

/// MP4 box types whose sizes a mutation changes.
const BOXES: [&[u8; 4]; 16] = [
    b"ftyp", b"moov", b"mvhd", b"trak", b"tkhd", b"mdia", b"mdhd", b"hdlr", b"mvex", b"trex",
    b"moof", b"traf", b"tfhd", b"tfdt", b"trun", b"mdat",
];

/// The first place at or after a random start where one of `needles` is, if any.
fn find_any<const N: usize>(b: &[u8], needles: &[[u8; N]], rng: &mut Rng) -> Option<usize> {
    let from = rng.below(b.len());
    let hit = |at: usize| {
        b.get(at..at + N)
            .is_some_and(|w| needles.iter().any(|n| n == w))
    };
    (from..b.len()).chain(0..from).find(|&at| hit(at))
}

/// Random bytes, `n` of them.
fn noise(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next() as u8).collect()
}

/// A size value worth trying: huge, at the edges, or random.
fn huge(rng: &mut Rng, max: u64) -> u64 {
    match rng.below(6) {
        0 => max,
        1 => max - 1,
        2 => 1 << 32,
        3 => (1 << 31) + rng.below(1 << 20) as u64,
        4 => rng.below(1 << 21) as u64,
        _ => rng.next() & max,
    }
}

/// One mutation of `b`.
fn mutate_once(b: &mut Vec<u8>, rng: &mut Rng) {
    let len = b.len();
    let at = if rng.chance(2) {
        rng.below(len.min(1024))
    } else {
        rng.below(len)
    };
    match rng.below(10) {
        0 | 1 => {
            if let Some(x) = b.get_mut(at) {
                *x ^= 1 << rng.below(8);
            }
        }
        2 => {
            let v = [0x00, 0xFF, 0x01, 0x80, 0x7F, 0x08, 0x10, rng.next() as u8][rng.below(8)];
            if let Some(x) = b.get_mut(at) {
                *x = v;
            }
        }
        3 => {
            let n = rng.range(1..65);
            b.splice(at..at, noise(rng, n));
        }
        4 => {
            let n = rng.range(1..257);
            b.drain(at..(at + n).min(len));
        }
        5 => b.truncate(rng.below(len + 1)),
        6 => {
            // An EBML size of 8 bytes (first byte 0x01) up to 2^56 − 1 ("unknown"), in
            // place of an element's own size, or over any 8 bytes.
            let value = huge(rng, (1 << 56) - 1);
            let mut size = value.to_be_bytes();
            size[0] = 0x01;
            let target = if rng.chance(4) {
                None
            } else {
                find_any(b, &EBML_IDS, rng)
            };
            match target {
                Some(id) => {
                    let s = id + 4;
                    let old = b
                        .get(s)
                        .map_or(1, |first| first.leading_zeros() as usize + 1)
                        .min(8);
                    let end = (s + old).min(b.len());
                    b.splice(s.min(end)..end, size);
                }
                None => {
                    for (i, x) in size.iter().enumerate() {
                        if let Some(slot) = b.get_mut(at + i) {
                            *slot = *x;
                        }
                    }
                }
            }
        }
        7 => {
            // A box's size: 4 GiB − 1, 0 (to the end), less than its header, random, or
            // 1 with a 64-bit largesize.
            let types: Vec<[u8; 4]> = BOXES.iter().map(|t| **t).collect();
            let Some(t) = find_any(b, &types, rng).filter(|t| *t >= 4) else {
                return;
            };
            let size: u32 = match rng.below(6) {
                0 => u32::MAX,
                1 => 0,
                2 => rng.below(8) as u32,
                3 => rng.next() as u32,
                4 => 0x7FFF_FFFF,
                _ => 1,
            };
            b[t - 4..t].copy_from_slice(&size.to_be_bytes());
            if size == 1 {
                let large = match rng.below(4) {
                    0 => u64::MAX,
                    1 => 1 << 32,
                    2 => rng.below(64) as u64,
                    _ => huge(rng, u64::MAX),
                };
                b.splice(t + 4..t + 4, large.to_be_bytes());
            }
        }
        8 => {
            // A splice: this input up to `at`, another recording from a random place.
            let other = any_seed(rng);
            let from = rng.below(other.len());
            b.truncate(at);
            b.extend_from_slice(&other[from..]);
        }
        _ => {
            // A run of the input repeated elsewhere (Clusters, fragments, boxes twice).
            let from = rng.below(len);
            let n = rng.range(1..4097).min(len - from);
            let run = b[from..from + n].to_vec();
            let to = rng.below(len + 1);
            b.splice(to..to, run);
        }
    }
}

/// The input of case `seed` for `parser`, and the generator to draw its chunks from.
pub fn input(parser: Parser, seed: u64) -> (Vec<u8>, Rng) {
    let mut rng = Rng::new(seed);
    let start = parser.pick(&mut rng);
    // Half whole, half the first bytes only (where the headers are; and shorter inputs
    // keep a million of them within minutes).
    let take = if rng.chance(2) {
        start.len()
    } else {
        rng.range(1..start.len().min(16 * 1024) + 1)
    };
    let mut b = start[..take].to_vec();
    for _ in 0..rng.range(1..9) {
        if b.is_empty() {
            break;
        }
        mutate_once(&mut b, &mut rng);
    }
    (b, rng)
}

/// Chunk sizes for one feed: tiny (Chromium's 1-byte first chunk, IDs split), middling,
/// or large, or a mix.
fn chunk_sizes(rng: &mut Rng) -> impl FnMut() -> usize + '_ {
    let style = rng.below(4);
    move || {
        let style = if style == 3 { rng.below(3) } else { style };
        match style {
            0 => rng.range(1..9),
            1 => rng.range(9..1025),
            _ => rng.range(1025..65537),
        }
    }
}

/// `bytes` cut into chunks whose sizes come from `rng`.
fn chunks<'a>(bytes: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut next = chunk_sizes(rng);
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at(next().min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

// ---------------------------------------------------------------------------------
// The checks.

/// What one case found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The parser panicked (the message).
    Panic(String),
    /// An invariant did not hold.
    Invariant(String),
    /// Peak bytes held above the bound for the input's length.
    Memory { peak: usize, len: usize },
}

/// What one case measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    /// Input length.
    pub len: usize,
    /// Peak bytes held while the parser read it (above the input itself).
    pub peak: usize,
    /// Largest single allocation.
    pub largest: usize,
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs case `seed` of `parser`: the input, its checks, and what it measured.
pub fn run_case(parser: Parser, seed: u64) -> (Measured, Result<(), Failure>) {
    let (bytes, mut rng) = input(parser, seed);
    let pieces = chunks(&bytes, &mut rng);
    let extra = rng.next();
    let (outcome, peak, largest) =
        measure(|| catch_unwind(AssertUnwindSafe(|| check(parser, &bytes, &pieces, extra))));
    let m = Measured {
        len: bytes.len(),
        peak,
        largest,
    };
    let result = match outcome {
        Err(payload) => Err(Failure::Panic(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        )),
        Ok(Err(msg)) => Err(Failure::Invariant(msg)),
        Ok(Ok(())) if peak > memory_bound(bytes.len()) => Err(Failure::Memory {
            peak,
            len: bytes.len(),
        }),
        Ok(Ok(())) => Ok(()),
    };
    (m, result)
}

/// The checks of one input (`pieces`: the same bytes in chunks; `extra`: randomness
/// for the snapshot's window).
pub fn check(parser: Parser, bytes: &[u8], pieces: &[&[u8]], extra: u64) -> Result<(), String> {
    match parser {
        Parser::Ebml => check_ebml(bytes, pieces),
        Parser::HeaderScan => check_scan(bytes, pieces),
        Parser::Mp4 => check_mp4(bytes, pieces, extra),
        Parser::Container => check_container(bytes, pieces, extra),
    }
}

fn check_ebml(bytes: &[u8], pieces: &[&[u8]]) -> Result<(), String> {
    let mut whole = EbmlReader::new();
    let whole_result = whole.feed(bytes);
    let mut r = EbmlReader::new();
    let mut fed = 0u64;
    let mut failed = None;
    for piece in pieces {
        match r.feed(piece) {
            Ok(_) => {
                ensure!(failed.is_none(), "a success after an error");
                fed += piece.len() as u64;
                ensure!(r.offset() == fed, "offset {} after {fed} bytes", r.offset());
            }
            Err(e) => {
                ensure!(failed.is_none() || failed == Some(e), "the error changed");
                ensure!(r.error() == Some(e), "error() is not the error returned");
                failed = Some(e);
            }
        }
    }
    ensure!(r.offset() <= bytes.len() as u64, "offset past the input");
    ensure!(
        r.last_block_end().unwrap_or(0) <= r.offset(),
        "a block ends past what was read"
    );
    ensure!(
        r.clusters().windows(2).all(|w| w[0].offset < w[1].offset),
        "clusters out of order"
    );
    ensure!(
        r.header_end() == r.clusters().first().map(|c| c.offset),
        "the header does not end at the first cluster"
    );
    ensure!(r.tracks().len() <= MAX_TRACKS, "too many tracks");
    // Chunk edges change nothing.
    ensure!(
        whole_result.err() == r.error(),
        "whole {:?} vs chunked {:?}",
        whole.error(),
        r.error()
    );
    ensure!(
        whole.clusters() == r.clusters(),
        "clusters differ by chunking"
    );
    ensure!(whole.tracks() == r.tracks(), "tracks differ by chunking");
    ensure!(
        whole.max_timecode() == r.max_timecode() && whole.last_block_end() == r.last_block_end(),
        "block index differs by chunking"
    );
    Ok(())
}

fn check_scan(bytes: &[u8], pieces: &[&[u8]]) -> Result<(), String> {
    let whole = HeaderScanner::new().feed(0, bytes);
    let mut s = HeaderScanner::new();
    let mut answer = ScanResult::NeedMore;
    for (seq, piece) in pieces.iter().enumerate() {
        let r = s.feed(seq as u64, piece);
        ensure!(
            answer == ScanResult::NeedMore || r == answer,
            "the answer changed"
        );
        answer = r;
    }
    match (whole, answer) {
        (
            ScanResult::HeaderEnd {
                last_seq: 0,
                cluster_offset: a,
            },
            ScanResult::HeaderEnd {
                last_seq,
                cluster_offset: b,
            },
        ) => {
            ensure!(a == b, "header end {a} whole, {b} chunked");
            ensure!(a < bytes.len() as u64, "header end past the input");
            // The run ends with the chunk that holds the header's last byte.
            let last = a.saturating_sub(1);
            let mut at = 0u64;
            let holder = pieces
                .iter()
                .position(|p| {
                    at += p.len() as u64;
                    at > last
                })
                .unwrap_or(0) as u64;
            ensure!(
                last_seq == holder,
                "last_seq {last_seq}, the header's last byte is in chunk {holder}"
            );
        }
        (w, c) => ensure!(
            w == c && !matches!(w, ScanResult::HeaderEnd { .. }),
            "whole {w:?} vs chunked {c:?}"
        ),
    }
    Ok(())
}

/// A snapshot's window, from `extra`: none, short, or long.
fn window(extra: u64) -> Option<f64> {
    match extra % 4 {
        0 => None,
        1 => Some(0.0),
        2 => Some((extra >> 8) as f64 % 5000.0),
        _ => Some(1e12),
    }
}

/// Every range of `parts` lies within `held`.
fn parts_within(parts: &[Part], held: &Range<u64>) -> Result<(), String> {
    for p in parts {
        if let Part::Range(r) = p {
            ensure!(
                r.start <= r.end && r.start >= held.start && r.end <= held.end,
                "a part {r:?} outside the held {held:?}"
            );
        }
    }
    Ok(())
}

fn check_mp4(bytes: &[u8], pieces: &[&[u8]], extra: u64) -> Result<(), String> {
    let len = bytes.len() as u64;
    let mut whole = Mp4Index::new();
    let _ = whole.feed(bytes);
    let mut m = Mp4Index::new();
    for piece in pieces {
        let before = m.error();
        let r = m.feed(piece);
        ensure!(
            before.is_none() || r.err() == before,
            "the error changed or went away"
        );
    }
    ensure!(whole.error() == m.error(), "errors differ by chunking");
    ensure!(
        whole.fragments() == m.fragments() && whole.tracks() == m.tracks(),
        "the index differs by chunking"
    );
    ensure!(m.offset() <= len, "offset past the input");
    if let Ok(s) = m.seekable() {
        ensure!(
            s.body.start <= s.body.end && s.body.end <= len,
            "seekable body {:?} outside the input",
            s.body
        );
        ensure!(whole.seekable() == Ok(s), "seekable differs by chunking");
    }
    let from = (extra >> 32) % (len + 1);
    for held in [0..len, from..len] {
        if let Ok(s) = m.snapshot(held.clone(), window(extra)) {
            parts_within(&s.parts, &held)?;
        }
    }
    for i in 0..m.fragments().len() {
        for r in m.stable_ranges(i).unwrap_or_default() {
            ensure!(
                r.start <= r.end && r.end <= len,
                "a stable range past the input"
            );
        }
    }
    Ok(())
}

fn check_container(bytes: &[u8], pieces: &[&[u8]], extra: u64) -> Result<(), String> {
    let len = bytes.len() as u64;
    // makeSeekable reads the Blob's first bytes to choose.
    let mut index = ContainerIndex::for_bytes(bytes.get(..8).unwrap_or(bytes));
    let mut done = 0;
    let mut fed = 0u64;
    for piece in pieces {
        index.feed(piece);
        fed += piece.len() as u64;
        // What the shell does while recording: the kept ranges of completed units.
        let (ranges, next) = index.stable_ranges(done);
        for r in &ranges {
            ensure!(
                r.start <= r.end && r.end <= fed,
                "a stable range past the bytes fed"
            );
        }
        done = next;
    }
    match index.seekable() {
        Ok(s) => {
            ensure!(
                s.body.start <= s.body.end && s.body.end <= len,
                "seekable body {:?} outside the input",
                s.body
            );
            ensure!(!s.header.is_empty(), "an empty header");
            ensure!(index.failure().is_none(), "a file from a failed index");
        }
        Err(e) => ensure!(!e.is_empty(), "an error without words"),
    }
    let from = (extra >> 32) % (len + 1);
    for held in [0..len, from..len] {
        match index.snapshot(held.clone(), window(extra)) {
            Ok(s) => {
                parts_within(&s.parts, &held)?;
                ensure!(
                    s.duration_ms.is_finite() && s.duration_ms >= 0.0,
                    "duration {}",
                    s.duration_ms
                );
            }
            Err(SnapshotError::Data(e)) => ensure!(!e.is_empty(), "an error without words"),
            Err(SnapshotError::NotReady) => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// A run.

/// What a run over one parser found.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub inputs: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// The case with the highest peak above the input, and its numbers.
    pub max_peak: Measured,
    /// The highest peak / length ratio seen on an input of at least 4 KiB.
    pub max_ratio: f64,
    /// The largest single allocation seen.
    pub largest: usize,
    /// The highest peak on an input under 4 KiB (where the constant term dominates).
    pub max_small_peak: usize,
    /// The slowest case: its seed and seconds.
    pub slowest: (u64, f64),
    /// Failures: (case seed, what).
    pub failures: Vec<(u64, Failure)>,
}

/// Runs `inputs` cases of `parser` from run seed `run`, calling `on_failure` at each
/// failure as it happens (with the case seed to replay).
pub fn run(
    parser: Parser,
    run: u64,
    inputs: u64,
    mut on_failure: impl FnMut(u64, &Failure),
) -> Summary {
    let start = std::time::Instant::now();
    let mut s = Summary::default();
    for i in 0..inputs {
        let seed = parser.case_seed(run, i);
        let t = std::time::Instant::now();
        let (m, result) = run_case(parser, seed);
        let t = t.elapsed().as_secs_f64();
        if t > s.slowest.1 {
            s.slowest = (seed, t);
        }
        s.inputs += 1;
        s.bytes += m.len as u64;
        if m.peak > s.max_peak.peak {
            s.max_peak = m;
        }
        if m.len >= 4096 {
            s.max_ratio = s.max_ratio.max(m.peak as f64 / m.len as f64);
        } else {
            s.max_small_peak = s.max_small_peak.max(m.peak);
        }
        s.largest = s.largest.max(m.largest);
        if let Err(f) = result {
            on_failure(seed, &f);
            if s.failures.len() < 100 {
                s.failures.push((seed, f));
            }
        }
    }
    s.seconds = start.elapsed().as_secs_f64();
    s
}
