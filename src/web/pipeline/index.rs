//! The index of a `replay: true` or `retain: "all"` stream: every chunk is read once, in
//! arrival order, into an index of the `keep` module ([`KeptIndex`]: the core's
//! `ContainerIndex` there), which keeps the header's bytes and a compact entry per
//! Cluster (offset, Timecode, first keyframe). With it,
//! [`StreamPipeline::snapshot`] cuts the last seconds at a keyframe from the chunks the
//! ring still holds, without reading them again.
//!
//! One index per segment: a recorder restart (bitrate change) starts a new WebM file,
//! and the index starts over with it.
//!
//! Each Cluster's body (the bytes after its Timecode, which a snapshot keeps as they
//! are) is joined into one Blob once the next Cluster starts, so that a snapshot is
//! one Blob of two parts per Cluster: Chromium's cost for a Blob grows with its parts
//! (330 chunks joined: about 40 ms; 11 Blobs of 30 chunks: under 3 ms). A body holds
//! no bytes of its own, only references to the ring's chunks, and it is let go of as
//! soon as the ring lets go of its first chunk, so the ring's budget still bounds
//! what is held.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::{Chunk, StreamPipeline};
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop::{self, from_js};
use crate::web::kept::{KeptIndex, Piece, SnapshotFailure};
use crate::web::signal::Signal;

/// The index's state (see the module docs).
pub struct Index {
    state: RefCell<IndexState>,
    /// The recorder's type (WebM or MP4), for each segment's index.
    mime: String,
    /// Woken whenever the reader has caught up with every chunk queued.
    caught_up: Signal,
}

#[derive(Default)]
struct IndexState {
    segment: u32,
    /// `None` only if the keep module was not loaded (the stream's start loads it).
    index: Option<KeptIndex>,
    /// A chunk of the segment could not be read: its index is incomplete.
    unreadable: bool,
    /// Chunks not read yet: (segment, Blob).
    queue: VecDeque<(u32, Blob)>,
    running: bool,
    /// Cluster bodies joined so far, in order (see the module docs).
    bodies: Vec<Body>,
    /// Clusters whose body has been joined (or skipped).
    joined: usize,
}

/// One Cluster's bytes after its Timecode, up to the next Cluster, as one Blob.
struct Body {
    range: Range<u64>,
    /// Offset of the first chunk it references: once the ring lets go of that chunk,
    /// the body goes too.
    first_at: u64,
    blob: Blob,
}

impl Index {
    /// The index of a recording of `mime` (WebM or MP4).
    pub fn new(mime: &str) -> Self {
        Index {
            state: RefCell::new(IndexState {
                index: KeptIndex::new(mime),
                ..IndexState::default()
            }),
            mime: mime.to_string(),
            caught_up: Signal::default(),
        }
    }

    /// Queues a chunk of `segment`; returns whether the read loop must be started.
    pub fn push(&self, segment: u32, blob: Blob) -> bool {
        let mut s = self.state.borrow_mut();
        s.queue.push_back((segment, blob));
        !std::mem::replace(&mut s.running, true)
    }

    /// Lets go of every body whose first chunk the ring no longer holds (all of them
    /// when the ring has moved to another segment).
    pub fn prune<'a>(&self, segment: u32, held: impl Iterator<Item = &'a Chunk>) {
        let Ok(mut s) = self.state.try_borrow_mut() else {
            return;
        };
        if s.bodies.is_empty() {
            return;
        }
        if segment != s.segment {
            s.bodies.clear();
            return;
        }
        // Both in order: walk them together; the ring lets go of its oldest first, so
        // the bodies gone are the first ones.
        let mut ats = held
            .filter(|c| c.segment == segment)
            .map(|c| c.at)
            .peekable();
        let gone = s
            .bodies
            .iter()
            .take_while(|b| {
                while ats.next_if(|at| *at < b.first_at).is_some() {}
                ats.peek() != Some(&b.first_at)
            })
            .count();
        let mut i = 0;
        s.bodies.retain(|_| {
            i += 1;
            i > gone
        });
    }

    /// Waits until every chunk queued so far has been read (or the stream is closed).
    async fn settle(&self, p: &StreamPipeline) {
        while !p.closed() && {
            let s = self.state.borrow();
            s.running || !s.queue.is_empty()
        } {
            self.caught_up.wait().await.ok();
        }
    }
}

impl IndexState {
    /// Why this segment's index cannot serve, if it cannot.
    fn failure(&self) -> Option<String> {
        if self.unreadable {
            return Some("a chunk could not be read".to_string());
        }
        match &self.index {
            Some(index) => index.failure(),
            None => Some("the keep module is not loaded".to_string()),
        }
    }
}

/// Reads the queued chunks, in order, until none is left.
pub async fn run(p: Rc<StreamPipeline>) {
    let Some(index) = p.index.as_ref() else {
        return;
    };
    loop {
        let next = index.state.borrow_mut().queue.pop_front();
        let Some((segment, blob)) = next else {
            break;
        };
        let bytes = JsFuture::from(blob.array_buffer()).await;
        if p.closed() {
            break;
        }
        let bytes = match bytes {
            Ok(b) => Uint8Array::new(&b),
            Err(e) => {
                // The chunk cannot be read: the index of this segment is over.
                index.state.borrow_mut().unreadable = true;
                p.report(super::Report::Error(from_js(&e)));
                continue;
            }
        };
        let mut s = index.state.borrow_mut();
        if segment != s.segment {
            *s = IndexState {
                segment,
                queue: std::mem::take(&mut s.queue),
                running: true,
                index: KeptIndex::new(&index.mime),
                ..IndexState::default()
            };
        }
        if !s.unreadable {
            // A failure stays in the index (see `IndexState::failure`).
            if let Some(i) = &s.index {
                i.feed(&bytes);
            }
        }
        drop(s);
        join_bodies(&p, index);
    }
    index.state.borrow_mut().running = false;
    index.caught_up.wake_all();
}

/// Joins the body of every Cluster that has ended (the next one has started) since the
/// last call, from the chunks the ring holds.
fn join_bodies(p: &StreamPipeline, index: &Index) {
    let ranges: Vec<Range<u64>> = {
        let mut s = index.state.borrow_mut();
        if s.failure().is_some() {
            return;
        }
        let Some((ranges, next)) = s.index.as_ref().map(|i| i.stable_ranges(s.joined)) else {
            return;
        };
        s.joined = next;
        ranges
    };
    if ranges.is_empty() {
        return;
    }
    let segment = index.state.borrow().segment;
    let held = held_run(p, segment);
    let mime = p.info.borrow().mime_type.clone();
    let mut made = Vec::new();
    for range in ranges {
        let Some((first_at, parts)) = pieces(&held, &range) else {
            continue; // no longer (or not yet) all held: a snapshot slices it itself
        };
        if let Ok(blob) = interop::blob(&parts, &mime) {
            made.push(Body {
                range,
                first_at,
                blob,
            });
        }
    }
    let mut s = index.state.borrow_mut();
    if s.segment == segment {
        s.bodies.extend(made);
    }
}

/// The chunks of `segment` the ring holds as one run of bytes to the end, (offset,
/// Blob) in order (an older chunk still in delivery may leave a gap: the run starts
/// after it).
fn held_run(p: &StreamPipeline, segment: u32) -> Vec<(u64, Blob)> {
    let st = p.st.borrow();
    let mut run: Vec<(u64, Blob)> = Vec::new();
    let mut end = 0u64;
    for c in st.ring.items().filter(|c| c.segment == segment) {
        if !run.is_empty() && end != c.at {
            run.clear();
        }
        end = c.at.saturating_add(c.blob.size() as u64);
        run.push((c.at, c.blob.clone()));
    }
    run
}

/// The bytes `range` as Blob parts of `held` (see [`held_run`]): whole chunks as they
/// are, the chunks at either edge sliced. Also returns the offset of the first chunk.
/// `None` unless `held` covers the range.
fn pieces(held: &[(u64, Blob)], range: &Range<u64>) -> Option<(u64, Array)> {
    let first = held
        .partition_point(|(at, _)| *at <= range.start)
        .checked_sub(1)?;
    let parts = Array::new();
    let mut covered = range.start;
    for (at, blob) in held.get(first..)? {
        if covered >= range.end {
            break;
        }
        let size = blob.size() as u64;
        let end = at.saturating_add(size);
        let (lo, hi) = (
            covered.saturating_sub(*at),
            range.end.min(end).saturating_sub(*at),
        );
        if lo == 0 && hi == size {
            parts.push(blob);
        } else {
            let cut = blob.slice_with_f64_and_f64(lo as f64, hi as f64).ok()?;
            parts.push(&cut);
        }
        covered = end;
    }
    (covered >= range.end).then(|| (held.get(first).map_or(0, |(at, _)| *at), parts))
}

impl StreamPipeline {
    /// The last `seconds` (all that is held if `None`) of a `replay: true` stream as a
    /// seekable WebM that starts at a keyframe, from the chunks the ring holds.
    pub async fn snapshot(self: &Rc<Self>, seconds: Option<f64>) -> Result<Blob, ProducerError> {
        let Some(index) = self.index.as_ref() else {
            return Err(ProducerError::new(
                ErrorKind::InvalidState,
                [
                    "snapshot(): stream \"",
                    &self.id(),
                    "\" was not started with replay: true",
                ]
                .concat(),
            ));
        };
        // Every chunk pushed so far is read first.
        index.settle(self).await;
        let mime = self.info.borrow().mime_type.clone();
        let s = index.state.borrow();
        let not_ready = |why: &str| {
            ProducerError::new(
                ErrorKind::InvalidState,
                ["snapshot(): stream \"", &self.id(), "\" ", why].concat(),
            )
        };
        if let Some(why) = s.failure() {
            return Err(ProducerError::new(
                ErrorKind::Other("DataError".to_string()),
                ["snapshot(): the recording cannot be indexed: ", &why].concat(),
            ));
        }
        let segment = s.segment;
        drop(s);
        let held = held_run(self, segment);
        let (Some(first), Some(last)) = (held.first(), held.last()) else {
            return Err(not_ready("holds no recording yet"));
        };
        let range = first.0..last.0.saturating_add(last.1.size() as u64);
        let s = index.state.borrow();
        let made = match &s.index {
            Some(i) => i.snapshot(range, seconds.map(|s| s * 1000.0)),
            None => Err(SnapshotFailure::NotReady),
        };
        let (header, body) = made.map_err(|e| match e {
            SnapshotFailure::NotReady => not_ready(
                "holds nothing complete that starts with a keyframe yet (try again shortly)",
            ),
            SnapshotFailure::Data(why) => ProducerError::new(
                ErrorKind::Other("DataError".to_string()),
                ["snapshot(): ", &why].concat(),
            ),
        })?;
        // Each Cluster's body as joined while recording, else (the last one, still
        // growing) cut from the held chunks.
        let parts = Array::new();
        parts.push(&header);
        for part in &body {
            match part {
                Piece::Bytes(b) => {
                    parts.push(b);
                }
                Piece::Range(r) => {
                    if let Some(body) = s.bodies.iter().find(|b| b.range == *r) {
                        parts.push(&body.blob);
                        continue;
                    }
                    let (_, cut) = pieces(&held, r).ok_or_else(|| {
                        not_ready("let go of the chunks to replay while the snapshot was cut")
                    })?;
                    for piece in cut.iter() {
                        parts.push(&piece);
                    }
                }
            }
        }
        drop(s);
        interop::blob(&parts, &mime)
    }

    /// The whole recording (one segment) as a seekable WebM from the index built while
    /// recording: no read at stop, whatever the length. `whole` is every byte of it from
    /// the start, as one Blob (the held chunks of `retain: "all"`, see
    /// [`holds_from_start`](Self::holds_from_start), or the OPFS file's parts); the body
    /// is one slice of it (a Blob of one slice per chunk costs Chromium about 0.2 ms a
    /// part to build). `None` where the index cannot serve (not indexed, failed,
    /// several segments, `whole` shorter than what was indexed).
    pub async fn indexed_recording(self: &Rc<Self>, whole: &Blob) -> Option<Blob> {
        let index = self.index.as_ref()?;
        index.settle(self).await;
        let s = index.state.borrow();
        if s.failure().is_some() || s.segment != 0 {
            return None;
        }
        if self.st.borrow().ring.segment() != 0 {
            return None;
        }
        let (header, body) = s.index.as_ref()?.seekable().ok()?;
        drop(s);
        if body.end > whole.size() as u64 {
            return None;
        }
        let body = whole
            .slice_with_f64_and_f64(body.start as f64, body.end as f64)
            .ok()?;
        interop::blob(&Array::of2(&header, &body), &whole.type_()).ok()
    }

    /// Whether the ring holds every byte of the recording from its start, in one
    /// segment (nothing was let go of under memory pressure): then the held chunks,
    /// joined, are the recording.
    pub fn holds_from_start(&self) -> bool {
        // The held run starts after any gap: from byte 0, there was none.
        self.st.borrow().ring.segment() == 0
            && held_run(self, 0).first().map_or(true, |(at, _)| *at == 0)
    }
}
