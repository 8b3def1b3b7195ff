//! The index of a `replay: true` or `retain: "all"` stream: every chunk is read once, in
//! arrival order, into the core's [`RecordingIndex`], which keeps the header's bytes and
//! a compact entry per Cluster (offset, Timecode, first keyframe). With it,
//! [`StreamPipeline::snapshot`] cuts the last seconds at a keyframe from the chunks the
//! ring still holds, without reading them again.
//!
//! One index per segment: a recorder restart (bitrate change) starts a new WebM file,
//! and the index starts over with it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::StreamPipeline;
use crate::core::ebml::{EbmlError, Part, RecordingIndex};
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop::{self, from_js};
use crate::web::signal::Signal;

/// The index's state (see the module docs).
#[derive(Default)]
pub struct Index {
    state: RefCell<IndexState>,
    /// Woken whenever the reader has caught up with every chunk queued.
    caught_up: Signal,
}

#[derive(Default)]
struct IndexState {
    segment: u32,
    index: RecordingIndex,
    /// A chunk of the segment could not be read: its index is incomplete.
    unreadable: bool,
    /// Chunks not read yet: (segment, Blob).
    queue: VecDeque<(u32, Blob)>,
    running: bool,
}

impl Index {
    /// Queues a chunk of `segment`; returns whether the read loop must be started.
    pub fn push(&self, segment: u32, blob: Blob) -> bool {
        let mut s = self.state.borrow_mut();
        s.queue.push_back((segment, blob));
        !std::mem::replace(&mut s.running, true)
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
        self.index.reader().error().map(|e| e.to_string())
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
            Ok(b) => Uint8Array::new(&b).to_vec(),
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
                ..IndexState::default()
            };
        }
        if !s.unreadable {
            // A failure stays in the reader (see `IndexState::failure`).
            let _ = s.index.feed(&bytes);
        }
    }
    index.state.borrow_mut().running = false;
    index.caught_up.wake_all();
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
        // The chunks of the current segment the ring still holds, as one run of bytes
        // to the end (an older chunk still in delivery may leave a gap: the run starts
        // after it).
        let held: Vec<(u64, Blob)> = {
            let st = self.st.borrow();
            let mut run: Vec<(u64, u64, Blob)> = Vec::new();
            for c in st.ring.items().filter(|c| c.segment == s.segment) {
                let size = c.blob.size() as u64;
                match run.last() {
                    Some((at, len, _)) if at + len != c.at => run.clear(),
                    _ => {}
                }
                run.push((c.at, size, c.blob.clone()));
            }
            run.into_iter().map(|(at, _, b)| (at, b)).collect()
        };
        let (Some(first), Some(last)) = (held.first(), held.last()) else {
            return Err(not_ready("holds no recording yet"));
        };
        let range = first.0..last.0 + last.1.size() as u64;
        let made = s
            .index
            .snapshot(range, seconds.map(|s| s * 1000.0))
            .map_err(|e| match e {
                EbmlError::Missing { .. } => {
                    not_ready("holds no complete keyframe Cluster yet (try again shortly)")
                }
                e => ProducerError::new(
                    ErrorKind::Other("DataError".to_string()),
                    ["snapshot(): ", &e.to_string()].concat(),
                ),
            })?;
        drop(s);
        // The held chunks as one Blob, and each range one slice of it: a slice per
        // chunk costs Chromium a blob registration each (hundreds for 30 s).
        let base = first.0;
        let chunks: Array = held.iter().map(|(_, b)| b).collect();
        let whole = interop::blob(&chunks, &mime)?;
        let parts = Array::new();
        parts.push(&Uint8Array::from(made.header.as_slice()));
        for part in &made.parts {
            match part {
                Part::Bytes(b) => {
                    parts.push(&Uint8Array::from(b.as_slice()));
                }
                Part::Range(r) => {
                    let slice = whole
                        .slice_with_f64_and_f64(
                            r.start.saturating_sub(base) as f64,
                            r.end.saturating_sub(base) as f64,
                        )
                        .map_err(|e| from_js(&e))?;
                    parts.push(&slice);
                }
            }
        }
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
        let made = s.index.seekable().ok()?;
        drop(s);
        if made.body.end > whole.size() as u64 {
            return None;
        }
        let body = whole
            .slice_with_f64_and_f64(made.body.start as f64, made.body.end as f64)
            .ok()?;
        let header = Uint8Array::from(made.header.as_slice());
        interop::blob(&Array::of2(&header, &body), &whole.type_()).ok()
    }

    /// Whether the ring holds every byte of the recording from its start, in one
    /// segment (nothing was let go of under memory pressure): then the held chunks,
    /// joined, are the recording.
    pub fn holds_from_start(&self) -> bool {
        let st = self.st.borrow();
        let mut expect = 0u64;
        st.ring.segment() == 0
            && st.ring.items().all(|c| {
                let ok = c.at == expect;
                expect += c.blob.size() as u64;
                ok
            })
    }
}
