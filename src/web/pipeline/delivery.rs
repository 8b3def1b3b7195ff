//! The delivery loop: each pending chunk's bytes are read (`blob.arrayBuffer()`),
//! wrapped in a `SensorFrame` and handed to every `onFrame` listener, and the chunk
//! goes to every sink as a Blob; Promises they return are awaited before the next
//! chunk (backpressure), or until the stream starts flushing.
//!
//! The loop is a chain of `promise.then(callback)` with callbacks made once per
//! pipeline, not an `async fn`: a `JsFuture` per chunk cost two fresh closures and a
//! task each time (measured in bench/, per-chunk workload).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{Chunk, Report, StreamPipeline};
use crate::core::config::is_indexable;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::lifecycle::Event;
use crate::core::ring::Taken;
use crate::core::stream::StreamInfo;
use crate::web::interop::{self, from_js, set};
use crate::web::kept;

/// The loop's state, owned by its pipeline.
#[derive(Default)]
pub struct Delivery {
    /// `frameData: "blob"`: frames carry the Blob, unread.
    blob_frames: bool,
    running: Cell<bool>,
    flushing: Cell<bool>,
    /// Resolves when flushing starts; raced against listeners' Promises.
    flush_signal: RefCell<Option<(Promise, js_sys::Function)>>,
    callbacks: RefCell<Option<Rc<Callbacks>>>,
    in_flight: RefCell<Option<InFlight>>,
    /// Size, start time and listeners' main-thread time of the frame being awaited.
    awaiting: Cell<Option<(u64, f64, f64)>>,
    /// Of the Promises awaited: how many are listeners', then which sink each other is.
    awaited_from: RefCell<(usize, Vec<usize>)>,
    consts: RefCell<Option<JsValue>>,
}

impl Delivery {
    /// The loop of a stream whose frames carry the chunk's Blob (`true`) or its bytes.
    pub fn new(blob_frames: bool) -> Self {
        Delivery {
            blob_frames,
            ..Delivery::default()
        }
    }

    /// Whether the loop runs.
    pub fn running(&self) -> bool {
        self.running.get()
    }

    /// From now on the rest is delivered without waiting for listeners' Promises.
    pub fn start_flush(&self) {
        self.flushing.set(true);
        let signal = self.flush_signal.borrow_mut().take();
        if let Some((_, resolve)) = signal {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// A Promise that resolves when flushing starts, or `None` if it has.
    fn flush_promise(&self) -> Option<Promise> {
        if self.flushing.get() {
            return None;
        }
        let mut signal = self.flush_signal.borrow_mut();
        if signal.is_none() {
            let mut resolve_fn = None;
            let p = Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
            *signal = resolve_fn.map(|r| (p, r));
        }
        signal.as_ref().map(|(p, _)| p.clone())
    }
}

/// The callbacks of the promise chain, made at the first delivery and reused.
struct Callbacks {
    on_start: Closure<dyn FnMut(JsValue)>,
    on_bytes: Closure<dyn FnMut(JsValue)>,
    on_read_error: Closure<dyn FnMut(JsValue)>,
    on_done: Closure<dyn FnMut(JsValue)>,
}

/// A chunk between `arrayBuffer()` and the end of its listeners.
struct InFlight {
    taken: Taken<Chunk>,
    started_ms: f64,
}

thread_local! {
    /// Pipelines with a delivery callback still to come: kept alive until it comes, so
    /// a destroyed producer's last callback finds its closures (and does nothing).
    static WAITING: RefCell<Vec<Rc<StreamPipeline>>> = const { RefCell::new(Vec::new()) };
}

fn hold(p: &Rc<StreamPipeline>) {
    WAITING.with(|w| w.borrow_mut().push(p.clone()));
}

fn unhold(p: &Rc<StreamPipeline>) {
    WAITING.with(|w| {
        let mut w = w.borrow_mut();
        if let Some(i) = w.iter().position(|s| Rc::ptr_eq(s, p)) {
            w.swap_remove(i);
        }
    });
}

fn callbacks(p: &Rc<StreamPipeline>) {
    if p.delivery.callbacks.borrow().is_some() {
        return;
    }
    let make = |f: fn(&Rc<StreamPipeline>, JsValue)| {
        let weak = Rc::downgrade(p);
        Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
            if let Some(p) = weak.upgrade() {
                unhold(&p);
                f(&p, v);
            }
        })
    };
    *p.delivery.callbacks.borrow_mut() = Some(Rc::new(Callbacks {
        on_start: make(|p, _| next_chunk(p)),
        on_bytes: make(on_bytes),
        on_read_error: make(on_read_error),
        on_done: make(on_done),
    }));
}

fn listening(p: &StreamPipeline) -> bool {
    p.host().is_some_and(|h| !h.frame_listeners().is_empty())
}

/// Starts the loop if it is idle and there is work and someone to give it to.
pub fn kick(p: &Rc<StreamPipeline>) {
    if p.closed() || (!listening(p) && p.sinks.is_empty()) {
        return;
    }
    if p.delivery.running.get() || !p.st.borrow().ring.has_pending() {
        return;
    }
    p.delivery.running.set(true);
    if p.delivery.blob_frames || !listening(p) {
        // Blob frames and sinks get their chunk without a read, so the loop could call
        // them right inside the app's own call (pushChunk): it starts in a microtask
        // instead, as events do. (With a read, the first callback is already async.)
        callbacks(p);
        let cbs = p.delivery.callbacks.borrow().clone();
        if let Some(c) = cbs {
            hold(p);
            let _ = Promise::resolve(&JsValue::UNDEFINED).then(&c.on_start);
        }
        return;
    }
    next_chunk(p);
}

fn go_idle(p: &Rc<StreamPipeline>) {
    p.delivery.running.set(false);
    p.idle.wake_all();
    if p.delivery.flushing.get() {
        p.handle(Event::DeliveryIdle);
    }
}

/// Takes the next pending chunk and hands it on; ends the loop when none is left (or
/// nobody to give it to, or the producer is gone).
fn next_chunk(p: &Rc<StreamPipeline>) {
    loop {
        let listeners = listening(p);
        let taken = {
            let mut st = p.st.borrow_mut();
            if p.closed() || (!listeners && p.sinks.is_empty()) {
                None
            } else if st.scan.active() && st.ring.header_open() && !p.delivery.flushing.get() {
                // Where the header run ends is not known yet: `isHeader` would be a
                // guess. The scan kicks delivery again when it knows.
                None
            } else {
                st.ring.take_next()
            }
        };
        let Some(taken) = taken else {
            return go_idle(p);
        };
        let started_ms = p.host().map_or(0.0, |h| h.now());
        if listeners && p.delivery.blob_frames {
            // `frameData: "blob"`: no read; the frame goes out now.
            let blob: JsValue = taken.item.blob.clone().into();
            if !hand_on(p, taken, &blob, started_ms) {
                return;
            }
            continue;
        }
        if listeners {
            // Bytes the header scan already read: no second read.
            let read = p.st.borrow_mut().scan.take_read(taken.seq);
            if let Some(buf) = read {
                if !hand_on(p, taken, &buf, started_ms) {
                    return;
                }
                continue;
            }
            // The listeners need the bytes: the chain goes on in `on_bytes`.
            callbacks(p);
            let promise = taken.item.blob.array_buffer();
            *p.delivery.in_flight.borrow_mut() = Some(InFlight { taken, started_ms });
            let cbs = p.delivery.callbacks.borrow().clone();
            if let Some(c) = cbs.as_ref() {
                hold(p);
                let _ = promise.then2(&c.on_bytes, &c.on_read_error);
            }
            return;
        }
        // Sinks only: no read.
        let written = p.sinks.write(&taken);
        p.st.borrow_mut().ring.finish(taken.seq);
        p.refresh_counts();
        if wait_for(p, Vec::new(), written, taken.size, started_ms, 0.0) {
            return;
        }
    }
}

/// Awaits `promises` (raced against the flush) before the next chunk; `false` if there
/// is nothing to wait for (the frame is done now).
fn wait_for(
    p: &Rc<StreamPipeline>,
    mut promises: Vec<Promise>,
    written: Vec<(usize, Promise)>,
    size: u64,
    started_ms: f64,
    sync_ms: f64,
) -> bool {
    *p.delivery.awaited_from.borrow_mut() =
        (promises.len(), written.iter().map(|(i, _)| *i).collect());
    promises.extend(written.into_iter().map(|(_, w)| w));
    if !promises.is_empty() {
        if let Some(flush) = p.delivery.flush_promise() {
            let all = Promise::all_settled(&promises.iter().collect::<Array>());
            let race = Promise::race(&Array::of2(&all, &flush));
            p.delivery.awaiting.set(Some((size, started_ms, sync_ms)));
            callbacks(p);
            let cbs = p.delivery.callbacks.borrow().clone();
            if let Some(c) = cbs.as_ref() {
                hold(p);
                let _ = race.then2(&c.on_done, &c.on_done);
                return true;
            }
        }
    }
    frame_done(p, size, started_ms, sync_ms);
    false
}

fn on_bytes(p: &Rc<StreamPipeline>, buffer: JsValue) {
    let Some(InFlight { taken, started_ms }) = p.delivery.in_flight.borrow_mut().take() else {
        return;
    };
    if hand_on(p, taken, &buffer, started_ms) {
        next_chunk(p);
    }
}

/// Hands a chunk (its frame `data` ready) to the listeners and the sinks. Returns
/// whether the loop goes on with the next chunk now (`false`: it waits for Promises, or
/// it went idle).
fn hand_on(p: &Rc<StreamPipeline>, taken: Taken<Chunk>, data: &JsValue, started_ms: f64) -> bool {
    let Some(host) = p.host().filter(|h| !h.closed()) else {
        go_idle(p);
        return false;
    };
    let listeners = host.frame_listeners().clone();
    if listeners.is_empty() && p.sinks.is_empty() {
        // The last listener left while the bytes were read: nobody got this frame.
        p.st.borrow_mut().ring.untake(taken.seq);
        go_idle(p);
        return false;
    }
    let frame = build_frame(p, &taken, data, false);
    let dispatch_start = host.now();
    let promises = listeners.emit(
        &frame,
        || !p.closed(),
        |event, thrown| p.report(Report::ListenerError(event, thrown)),
    );
    let sync_ms = host.now() - dispatch_start;
    let written = p.sinks.write(&taken);
    p.st.borrow_mut().ring.finish(taken.seq);
    p.refresh_counts();
    !wait_for(p, promises, written, taken.size, started_ms, sync_ms)
}

fn on_done(p: &Rc<StreamPipeline>, outcome: JsValue) {
    report_rejections(p, &outcome);
    if let Some((size, started_ms, sync_ms)) = p.delivery.awaiting.take() {
        frame_done(p, size, started_ms, sync_ms);
    }
    next_chunk(p);
}

fn on_read_error(p: &Rc<StreamPipeline>, error: JsValue) {
    let Some(InFlight { taken, .. }) = p.delivery.in_flight.borrow_mut().take() else {
        return;
    };
    if p.closed() {
        return go_idle(p);
    }
    let lost = p.st.borrow_mut().ring.abandon(taken.seq);
    p.refresh_counts();
    if let Some(d) = lost {
        let reason = from_js(&error);
        p.report(Report::Drops(vec![d]));
        p.report(Report::Error(ProducerError::new(
            ErrorKind::DataLoss,
            format!(
                "Stream {}: frame {} could not be read and was dropped ({})",
                p.id(),
                taken.seq,
                reason.message
            ),
        )));
    }
    next_chunk(p);
}

/// A frame's consumers are done. Metrics get the whole time (read → every listener
/// done, Promises included); adaptive quality gets only the time listeners ran on the
/// main thread: a listener whose Promise waits on the network or a disk is not load;
/// if it falls behind, the backlog says so.
fn frame_done(p: &Rc<StreamPipeline>, size: u64, started_ms: f64, sync_ms: f64) {
    let now = p.host().map_or(started_ms, |h| h.now());
    {
        let mut st = p.st.borrow_mut();
        st.sync_ms += sync_ms;
        st.frames += 1;
    }
    p.report(Report::Frame {
        size,
        processing_ms: now - started_ms,
    });
}

/// Rejected listener Promises are listener errors; a rejected sink write takes that
/// sink out (reported once as `DataLossError`).
fn report_rejections(p: &Rc<StreamPipeline>, outcome: &JsValue) {
    let (listeners, sinks) = std::mem::take(&mut *p.delivery.awaited_from.borrow_mut());
    let Some(results) = wasm_bindgen::JsCast::dyn_ref::<Array>(outcome) else {
        return;
    };
    for (i, r) in results.iter().enumerate() {
        if interop::get(&r, "status").as_string().as_deref() != Some("rejected") {
            continue;
        }
        let reason = interop::get(&r, "reason");
        if i < listeners {
            p.report(Report::ListenerError("onFrame", reason));
        } else if let Some((e, ends)) = sinks
            .get(i - listeners)
            .and_then(|s| p.sinks.failed(*s, &reason))
        {
            if ends {
                p.handle(Event::SinkFailed(e));
            } else {
                p.report(Report::Error(p.with_id(e)));
            }
        }
    }
}

#[wasm_bindgen(inline_js = r#"
export function make_frame(c, data, seq, timestamp, size, isHeader, segment, width, height,
                           frameRate, bitrate, qualityLevel, quality, complete) {
  const metadata = { streamId: c.streamId, sequence: seq, isHeader, segment, mimeType: c.mimeType };
  if (c.format !== undefined) metadata.format = c.format;
  if (c.codec !== undefined) metadata.codec = c.codec;
  if (width === width) metadata.width = width;
  if (height === height) metadata.height = height;
  if (frameRate === frameRate) metadata.frameRate = frameRate;
  if (bitrate === bitrate) metadata.bitrate = bitrate;
  if (qualityLevel === qualityLevel) { metadata.qualityLevel = qualityLevel; metadata.quality = quality; }
  if (complete) metadata.isComplete = true;
  const id = complete ? `${c.streamId}-complete-${segment}` : `${c.streamId}-${seq}`;
  return { id, type: c.type, data, timestamp, size, metadata };
}
"#)]
extern "C" {
    /// Builds a `SensorFrame` in one call (absent numbers are NaN): a frame made with
    /// about 15 `Reflect.set` calls and a Rust-formatted id string cost more than the
    /// read it carries (bench/, per-chunk workload).
    fn make_frame(
        consts: &JsValue,
        data: &JsValue,
        seq: f64,
        timestamp: f64,
        size: f64,
        is_header: bool,
        segment: u32,
        width: f64,
        height: f64,
        frame_rate: f64,
        bitrate: f64,
        quality_level: f64,
        quality: f64,
        complete: bool,
    ) -> JsValue;
}

/// The frame values that stay the same for a stream, as one JS object made at its
/// first frame: `{ streamId, type, mimeType, format?, codec? }`.
fn frame_consts(info: &StreamInfo) -> JsValue {
    let c = interop::object();
    set(&c, "streamId", &JsValue::from_str(&info.id));
    set(&c, "type", &JsValue::from_str(info.kind));
    let mime = &info.mime_type;
    set(&c, "mimeType", &JsValue::from_str(mime));
    if let Some(f) = mime.split(['/', ';']).nth(1) {
        set(&c, "format", &JsValue::from_str(f.trim()));
    }
    if let Some(at) = crate::core::value::find(mime, "codecs=") {
        set(
            &c,
            "codec",
            &JsValue::from_str(mime.get(at + 7..).unwrap_or("").trim_matches('"')),
        );
    }
    c
}

/// The `SensorFrame` for a delivered chunk (or, with `complete`, a whole segment).
fn build_frame(
    p: &StreamPipeline,
    taken: &Taken<Chunk>,
    buffer: &JsValue,
    complete: bool,
) -> JsValue {
    let (settings, level) = {
        let st = p.st.borrow();
        (st.settings, st.level)
    };
    let video_bps = p.video_bps();
    if p.delivery.consts.borrow().is_none() {
        *p.delivery.consts.borrow_mut() = Some(frame_consts(&p.info.borrow()));
    }
    let consts = p.delivery.consts.borrow().clone();
    let Some(c) = consts.as_ref() else {
        return JsValue::UNDEFINED;
    };
    let num = |v: Option<f64>| v.unwrap_or(f64::NAN);
    make_frame(
        c,
        buffer,
        taken.seq as f64,
        taken.item.arrival_ms,
        taken.size as f64,
        taken.pinned,
        taken.item.segment,
        num(settings.width.map(f64::from)),
        num(settings.height.map(f64::from)),
        num(settings.frame_rate),
        num(video_bps.map(f64::from)),
        num(level.map(|l| f64::from(l.index))),
        num(level.map(|l| l.quality)),
        complete,
    )
}

/// With `retain: "all"`: one last frame per segment holding that whole recording (one
/// segment unless the recorder was restarted for a bitrate change).
///
/// Then the stream's `recording`: each segment's Blob made seekable (Duration, Cues;
/// see [`kept::seekable_blob`]), or as recorded where it is not WebM or cannot be
/// read as such.
pub async fn emit_complete(p: &Rc<StreamPipeline>) {
    let Some(host) = p.host() else { return };
    let listeners = host.frame_listeners().clone();
    drop(host);
    let (segments, next_seq, mime) = {
        let st = p.st.borrow();
        let mut segments: Vec<(u32, Array, u64)> = Vec::new();
        for c in st.ring.items() {
            let size = c.blob.size() as u64;
            match segments.last_mut() {
                Some((seg, parts, bytes)) if *seg == c.segment => {
                    parts.push(&c.blob);
                    *bytes += size;
                }
                _ => segments.push((c.segment, Array::of1(&c.blob), size)),
            }
        }
        (
            segments,
            st.ring.next_seq(),
            p.info.borrow().mime_type.clone(),
        )
    };
    let mut wholes = Vec::with_capacity(segments.len());
    for (segment, parts, size) in segments {
        let Ok(whole) = interop::blob(&parts, &mime) else {
            continue;
        };
        wholes.push(whole.clone());
        if listeners.is_empty() {
            continue;
        }
        let Ok(buffer) = JsFuture::from(whole.array_buffer()).await else {
            continue;
        };
        if p.closed() {
            return;
        }
        let taken = Taken {
            seq: next_seq,
            size,
            pinned: false,
            item: Chunk {
                blob: whole,
                arrival_ms: js_sys::Date::now(),
                segment,
                at: 0,
            },
        };
        let frame = build_frame(p, &taken, &buffer, true);
        let _ = listeners.emit(
            &frame,
            || !p.closed(),
            |event, thrown| p.report(Report::ListenerError(event, thrown)),
        );
    }
    // One segment, indexed while it recorded: the file is made from the index at once.
    let indexed = match wholes.as_slice() {
        [whole] if p.holds_from_start() => p.indexed_recording(whole).await,
        _ => None,
    };
    if let Some(made) = indexed {
        if !p.closed() {
            *p.recording.borrow_mut() = vec![made];
        }
        return;
    }
    let mut kept = Vec::with_capacity(wholes.len());
    for whole in wholes {
        let made = if is_indexable(&mime) {
            kept::seekable_blob(&whole, "recording").await.ok()
        } else {
            None
        };
        if p.closed() {
            return;
        }
        kept.push(made.unwrap_or(whole));
    }
    *p.recording.borrow_mut() = kept;
}
