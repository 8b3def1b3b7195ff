//! One recording stream in the browser: its media, recorder, ring and delivery loop.
//!
//! Data flow: the recorder's `dataavailable` (or `pushChunk`) → [`on_chunk`] pushes
//! into the stream's [`ChunkRing`] → [`kick_delivery`] starts the delivery loop when
//! it is idle → each chunk's bytes are read (`blob.arrayBuffer()`), wrapped in a
//! `SensorFrame` and handed to every `onFrame` listener; a returned Promise is awaited
//! before the next frame (backpressure). Chunks wait in the ring meanwhile and, if it
//! must evict them, every loss is counted and reported.
//!
//! Ownership: a [`Stream`] owns its recorder, media, track listeners and drain tick;
//! [`release`] drops them all. Callbacks hold only weak references to the stream and
//! the producer, so nothing keeps either alive.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Blob, MediaStream};

use crate::core::config::{Retain, Source};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::ring::{ChunkRing, Dropped, Taken};
use crate::core::stream::{StreamInfo, StreamPhase};
use crate::core::webm::{HeaderScanner, ScanResult};
use crate::web::media::{self, TrackSettings};
use crate::web::producer::Shared;
use crate::web::recorder::Recorder;
use crate::web::signal::Signal;

/// A chunk as the ring holds it: the browser's Blob (its bytes stay out of the JS
/// heap until delivery), when it arrived, and which recorder segment it belongs to.
#[derive(Clone)]
pub struct Chunk {
    /// The recorded bytes.
    pub blob: Blob,
    /// Arrival time, epoch ms.
    pub arrival_ms: f64,
    /// Segment index: 0, then one more for each recorder restart (bitrate change).
    pub segment: u32,
}

/// Everything a stream owns or tracks that changes while it runs.
pub struct StreamState {
    /// The bounded chunk buffer.
    pub ring: ChunkRing<Chunk>,
    /// Finds the end of the WebM header; `None` once known or for other containers.
    pub scanner: Option<HeaderScanner>,
    /// Header candidates waiting to be scanned, in order: (ring segment, sequence, chunk).
    pub scan_queue: VecDeque<(u32, u64, Blob)>,
    /// Whether the scan task runs.
    pub scanning: bool,
    /// Whether the delivery loop runs.
    pub delivering: bool,
    /// While stopping: deliver what is left without waiting for listeners' Promises.
    pub flushing: bool,
    /// Resolves when flushing starts; raced against listeners' Promises.
    pub flush_signal: Option<(js_sys::Promise, js_sys::Function)>,
    /// Whether finalization has begun (it runs once).
    pub finalizing: bool,
    /// Whether `stopStream`/`disconnect` asked for the stop.
    pub stop_requested: bool,
    /// Why the stream ends on its own, once known.
    pub end_reason: Option<ProducerError>,
    /// The recorder (absent for external sources and after release).
    pub recorder: Option<Recorder>,
    /// The captured media (absent for external sources and after release).
    pub media: Option<MediaStream>,
    /// `ended` listeners on the media's tracks.
    pub track_listeners: Vec<EventListener>,
    /// The drain tick.
    pub tick: Option<Interval>,
    /// The video track's settings, read at start.
    pub settings: TrackSettings,
    /// The video bitrate the recorder was asked for.
    pub video_bps: Option<u32>,
    /// Memory relief released the delivered chunks a `retain: "all"` stream kept: no
    /// complete recording will be emitted.
    pub complete_abandoned: bool,
    /// The pool the media came from (it goes back there instead of being stopped).
    pub pool: Option<Rc<crate::web::pool::PoolShared>>,
    /// The quality level last applied to its video track.
    pub level: Option<crate::core::quality::Level>,
    /// The current segment (recorder) index.
    pub segment: u32,
    /// A recorder being replaced (bitrate change) until its `stop` event.
    pub retiring: Option<Recorder>,
    /// Whether a recorder restart is under way.
    pub restarting: bool,
    /// Set by the retiring recorder's `stop` event (its last chunk is in).
    pub retired: bool,
    /// A bitrate asked for while a restart was under way: the next restart's target.
    pub next_bps: Option<u32>,
    /// First sequence number pushed since an `onFrame` consumer has been subscribed
    /// (`None` while there is none): the backlog adaptive quality counts starts here.
    pub consumer_from: Option<u64>,
}

/// One stream of a producer.
pub struct Stream {
    /// What callers see; counters refreshed from the ring.
    pub info: RefCell<StreamInfo>,
    /// The moving parts.
    pub st: RefCell<StreamState>,
    /// Woken when finalization is complete.
    pub finalized: Signal,
    /// Set when finalization is complete.
    pub is_finalized: Cell<bool>,
    /// Woken when the delivery loop goes idle.
    pub idle: Signal,
    /// Frame values that stay the same for the stream (made at its first frame).
    pub consts: RefCell<Option<FrameConsts>>,
    /// The delivery loop's callbacks (made at the first delivery).
    pub delivery: RefCell<Option<Delivery>>,
    /// The chunk whose bytes are being read.
    pub in_flight: RefCell<Option<InFlight>>,
    /// Size, start time and synchronous listener time of the frame whose listeners'
    /// Promises are awaited.
    pub awaiting: RefCell<Option<(u64, f64, f64)>>,
}

impl Stream {
    /// The stream's id.
    pub fn id(&self) -> String {
        self.info.borrow().id.clone()
    }

    /// Its phase now.
    pub fn phase(&self) -> StreamPhase {
        self.info.borrow().state
    }

    fn refresh_counts(&self) {
        let stats = self.st.borrow().ring.stats();
        self.info.borrow_mut().update_counts(&stats);
    }

    /// A Promise that resolves when flushing starts, or `None` if it has.
    fn flush_promise(&self) -> Option<js_sys::Promise> {
        let mut st = self.st.borrow_mut();
        if st.flushing {
            return None;
        }
        if st.flush_signal.is_none() {
            let mut resolve_fn = None;
            let p = js_sys::Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
            if let Some(r) = resolve_fn {
                st.flush_signal = Some((p, r));
            }
        }
        st.flush_signal.as_ref().map(|(p, _)| p.clone())
    }

    fn start_flush(&self) {
        let signal = {
            let mut st = self.st.borrow_mut();
            st.flushing = true;
            st.flush_signal.take()
        };
        if let Some((_, resolve)) = signal {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// A chunk arrived (from the recorder, or pushed by the app with a pin hint).
/// Returns its sequence number, or `None` if the stream no longer takes chunks.
pub fn on_chunk(
    shared: &Rc<Shared>,
    stream: &Rc<Stream>,
    blob: Blob,
    pin: Option<bool>,
) -> Option<u64> {
    let size = blob.size();
    if size <= 0.0 || shared.is_destroyed() || stream.phase().is_over() {
        return None;
    }
    let arrival_ms = js_sys::Date::now();
    let (seq, dropped, start_scan) = {
        let mut st = stream.st.borrow_mut();
        let was_open = st.ring.header_open();
        let pinned_before = st.ring.stats().pinned_bytes;
        let chunk = Chunk {
            blob: blob.clone(),
            arrival_ms,
            segment: st.segment,
        };
        let (seq, mut dropped) = st.ring.push(chunk, size as u64, pin);
        let candidate = st.ring.stats().pinned_bytes > pinned_before;
        let mut start_scan = false;
        if pin.is_some() && st.scanner.is_some() {
            // The app says where its header is (`isHeader`): no scan second-guesses it,
            // and later unflagged chunks are not header candidates.
            st.scanner = None;
            st.scan_queue.clear();
            if st.ring.header_open() {
                dropped.extend(st.ring.close_header(seq));
            }
        } else if was_open && candidate && st.scanner.is_some() {
            let segment = st.ring.segment();
            st.scan_queue.push_back((segment, seq, blob));
            start_scan = !st.scanning;
            st.scanning = true;
        }
        (seq, dropped, start_scan)
    };
    stream.refresh_counts();
    shared.metrics.borrow_mut().record_chunk(size as u64);
    if start_scan {
        spawn_local(scan_header(shared.clone(), stream.clone()));
    }
    report_drops(shared, stream, dropped);
    kick_delivery(shared, stream);
    Some(seq)
}

/// Reads header candidates in order until the scanner knows where the header ends.
async fn scan_header(shared: Rc<Shared>, stream: Rc<Stream>) {
    loop {
        let next = stream.st.borrow_mut().scan_queue.pop_front();
        let Some((segment, seq, blob)) = next else {
            break;
        };
        let bytes = JsFuture::from(blob.array_buffer()).await;
        if shared.is_destroyed() {
            break;
        }
        let result = {
            let mut st = stream.st.borrow_mut();
            if st.ring.segment() != segment {
                // A chunk of a segment that has ended: it is not this scanner's to see.
                continue;
            }
            match bytes {
                Ok(buf) => {
                    let data = Uint8Array::new(&buf).to_vec();
                    match st.scanner.as_mut() {
                        Some(scanner) => scanner.feed(seq, &data),
                        None => break,
                    }
                }
                // Unreadable: give up on finding the end; keep only the first chunk pinned.
                Err(_) => ScanResult::NotWebm,
            }
        };
        let last_seq = match result {
            ScanResult::NeedMore => continue,
            ScanResult::HeaderEnd { last_seq, .. } => last_seq,
            ScanResult::NotWebm => stream.st.borrow().ring.segment_start(),
        };
        let dropped = {
            let mut st = stream.st.borrow_mut();
            st.scanner = None;
            st.scan_queue.clear();
            st.ring.close_header(last_seq)
        };
        stream.refresh_counts();
        report_drops(&shared, &stream, dropped);
        break;
    }
    stream.st.borrow_mut().scanning = false;
    stream.idle.wake_all();
    kick_delivery(&shared, &stream);
}

/// Waits until the header scan has seen every candidate pushed so far; if the header
/// run is still open then (the segment ended before its first Cluster), every
/// candidate is header. Called when no more chunks of the segment will come: before a
/// new segment begins and before the last frames are delivered, so that `isHeader` is
/// never a guess and a segment's header run is known before the next one starts.
async fn settle_header(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    loop {
        if shared.is_destroyed() {
            return;
        }
        let waiting = {
            let st = stream.st.borrow();
            st.scanning || !st.scan_queue.is_empty()
        };
        if !waiting {
            break;
        }
        let _ = stream.idle.wait().await;
    }
    let dropped = {
        let mut st = stream.st.borrow_mut();
        if st.scanner.take().is_some() && st.ring.header_open() {
            let last = st.ring.next_seq().saturating_sub(1);
            st.ring.close_header(last)
        } else {
            Vec::new()
        }
    };
    stream.refresh_counts();
    report_drops(shared, stream, dropped);
    kick_delivery(shared, stream);
}

/// Starts the delivery loop if it is idle and there is work and someone to give it to.
pub fn kick_delivery(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    if shared.is_destroyed() || shared.on_frame.is_empty() {
        return;
    }
    {
        let mut st = stream.st.borrow_mut();
        if st.delivering || !st.ring.has_pending() {
            return;
        }
        st.delivering = true;
    }
    next_chunk(shared, stream);
}

/// The delivery loop's callbacks, made once per stream and reused for every chunk: the
/// loop is a chain of `promise.then(callback)` rather than an `async fn`, because a
/// `JsFuture` per chunk cost two fresh closures and a task each time (measured in
/// bench/, per-chunk workload).
pub struct Delivery {
    on_bytes: Closure<dyn FnMut(JsValue)>,
    on_read_error: Closure<dyn FnMut(JsValue)>,
    on_listeners_done: Closure<dyn FnMut(JsValue)>,
}

/// A chunk between `arrayBuffer()` and the end of its listeners.
pub struct InFlight {
    taken: Taken<Chunk>,
    started_ms: f64,
}

thread_local! {
    /// Streams with a delivery callback still to come: kept alive until it comes, so a
    /// destroyed producer's last callback finds its closures (and does nothing).
    static WAITING: RefCell<Vec<Rc<Stream>>> = const { RefCell::new(Vec::new()) };
}

fn hold(stream: &Rc<Stream>) {
    WAITING.with(|w| w.borrow_mut().push(stream.clone()));
}

fn unhold(stream: &Rc<Stream>) {
    WAITING.with(|w| {
        let mut w = w.borrow_mut();
        if let Some(i) = w.iter().position(|s| Rc::ptr_eq(s, stream)) {
            w.swap_remove(i);
        }
    });
}

fn callbacks(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    if stream.delivery.borrow().is_some() {
        return;
    }
    let make = |f: fn(&Rc<Shared>, &Rc<Stream>, JsValue)| {
        let (ws, wst) = (Rc::downgrade(shared), Rc::downgrade(stream));
        Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
            if let (Some(sh), Some(st)) = (ws.upgrade(), wst.upgrade()) {
                unhold(&st);
                f(&sh, &st, v);
            }
        })
    };
    *stream.delivery.borrow_mut() = Some(Delivery {
        on_bytes: make(on_bytes),
        on_read_error: make(on_read_error),
        on_listeners_done: make(on_listeners_done),
    });
}

fn go_idle(stream: &Rc<Stream>) {
    stream.st.borrow_mut().delivering = false;
    stream.idle.wake_all();
}

/// Takes the next pending chunk and asks for its bytes; ends the loop when none is left
/// (or no listener, or the producer is destroyed).
fn next_chunk(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    let taken = {
        let mut st = stream.st.borrow_mut();
        if shared.is_destroyed() || shared.on_frame.is_empty() {
            None
        } else if st.scanner.is_some() && st.ring.header_open() && !st.flushing {
            // Where the header run ends is not known yet: a frame's `isHeader` would be a
            // guess. The scan kicks delivery again when it knows. (A stopping stream
            // delivers what it has: its candidates are flagged as header.)
            None
        } else {
            st.ring.take_next()
        }
    };
    let Some(taken) = taken else {
        return go_idle(stream);
    };
    callbacks(shared, stream);
    let promise = taken.item.blob.array_buffer();
    *stream.in_flight.borrow_mut() = Some(InFlight {
        taken,
        started_ms: shared.now_precise(),
    });
    let delivery = stream.delivery.borrow();
    if let Some(d) = delivery.as_ref() {
        hold(stream);
        let _ = promise.then2(&d.on_bytes, &d.on_read_error);
    }
}

fn on_bytes(shared: &Rc<Shared>, stream: &Rc<Stream>, buffer: JsValue) {
    let Some(InFlight { taken, started_ms }) = stream.in_flight.borrow_mut().take() else {
        return;
    };
    if shared.is_destroyed() {
        return go_idle(stream);
    }
    if shared.on_frame.is_empty() {
        // The last listener left while the bytes were read: nobody got this frame.
        stream.st.borrow_mut().ring.untake(taken.seq);
        return go_idle(stream);
    }
    let frame = build_frame(stream, &taken, &buffer, false);
    let dispatch_start = shared.now_precise();
    let dispatch = shared.on_frame.dispatch(&frame, || !shared.is_destroyed());
    let sync_ms = shared.now_precise() - dispatch_start;
    stream.st.borrow_mut().ring.finish(taken.seq);
    stream.refresh_counts();
    for thrown in dispatch.thrown {
        shared.emit_listener_error("onFrame", thrown);
    }
    if !dispatch.promises.is_empty() {
        // Backpressure: the next frame waits for the listeners' Promises (or for a stop).
        if let Some(flush) = stream.flush_promise() {
            let all = js_sys::Promise::all_settled(&dispatch.promises.iter().collect::<Array>());
            let race = js_sys::Promise::race(&Array::of2(&all, &flush));
            *stream.awaiting.borrow_mut() = Some((taken.size, started_ms, sync_ms));
            let delivery = stream.delivery.borrow();
            if let Some(d) = delivery.as_ref() {
                hold(stream);
                let _ = race.then2(&d.on_listeners_done, &d.on_listeners_done);
                return;
            }
        }
    }
    frame_done(shared, taken.size, started_ms, sync_ms);
    next_chunk(shared, stream);
}

fn on_listeners_done(shared: &Rc<Shared>, stream: &Rc<Stream>, outcome: JsValue) {
    report_rejections(shared, &outcome);
    let awaited = stream.awaiting.borrow_mut().take();
    if let Some((size, started_ms, sync_ms)) = awaited {
        frame_done(shared, size, started_ms, sync_ms);
    }
    next_chunk(shared, stream);
}

fn on_read_error(shared: &Rc<Shared>, stream: &Rc<Stream>, error: JsValue) {
    let Some(InFlight { taken, .. }) = stream.in_flight.borrow_mut().take() else {
        return;
    };
    if shared.is_destroyed() {
        return go_idle(stream);
    }
    let lost = stream.st.borrow_mut().ring.abandon(taken.seq);
    stream.refresh_counts();
    if let Some(d) = lost {
        shared.metrics.borrow_mut().record_drops(1, d.size);
        let reason = crate::web::error::from_js(&error);
        shared.emit_error(ProducerError::new(
            ErrorKind::DataLoss,
            format!(
                "Stream {}: frame {} could not be read and was dropped ({})",
                stream.id(),
                taken.seq,
                reason.message
            ),
        ));
    }
    next_chunk(shared, stream);
}

/// A frame's listeners are done: record its processing time.
///
/// Metrics get the whole time (read → every listener done, Promises included).
/// Adaptive quality gets only the time listeners ran on the main thread: a listener
/// whose Promise waits on the network or a disk is not load; if it falls behind, the
/// backlog says so.
fn frame_done(shared: &Rc<Shared>, size: u64, started_ms: f64, sync_ms: f64) {
    let processing_ms = shared.now_precise() - started_ms;
    shared
        .metrics
        .borrow_mut()
        .record_frame(size, processing_ms, js_sys::Date::now());
    shared.adaptive.borrow_mut().record_processing(sync_ms);
}

fn report_rejections(shared: &Rc<Shared>, outcome: &JsValue) {
    let Some(results) = outcome.dyn_ref::<Array>() else {
        return;
    };
    for r in results.iter() {
        let status = Reflect::get(&r, &"status".into())
            .ok()
            .and_then(|s| s.as_string());
        if status.as_deref() == Some("rejected") {
            let reason = Reflect::get(&r, &"reason".into()).unwrap_or(JsValue::UNDEFINED);
            shared.emit_listener_error("onFrame", reason);
        }
    }
}

thread_local! {
    /// Property names as JS strings, made once: a frame sets ~15 properties, and
    /// decoding each name from UTF-8 on every frame showed in the per-chunk cost.
    static KEYS: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

fn set(target: &Object, key: &'static str, value: &JsValue) {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        let idx = match keys
            .iter()
            .position(|(k, _)| std::ptr::eq(*k, key) || *k == key)
        {
            Some(i) => i,
            None => {
                keys.push((key, JsValue::from_str(key)));
                keys.len() - 1
            }
        };
        let _ = Reflect::set(target, &keys[idx].1, value);
    });
}

/// Per-stream frame values that do not change from frame to frame, as JS values.
pub struct FrameConsts {
    stream_id: JsValue,
    kind: JsValue,
    mime: JsValue,
    format: Option<JsValue>,
    codec: Option<JsValue>,
}

impl FrameConsts {
    fn new(info: &StreamInfo) -> Self {
        let mime = &info.mime_type;
        FrameConsts {
            stream_id: JsValue::from_str(&info.id),
            kind: JsValue::from_str(info.kind),
            mime: JsValue::from_str(mime),
            format: mime
                .split(['/', ';'])
                .nth(1)
                .map(|f| JsValue::from_str(f.trim())),
            codec: mime
                .split("codecs=")
                .nth(1)
                .map(|c| JsValue::from_str(c.trim_matches('"'))),
        }
    }
}

/// The `SensorFrame` for a delivered chunk (or, with `complete`, the whole recording).
fn build_frame(stream: &Stream, taken: &Taken<Chunk>, buffer: &JsValue, complete: bool) -> JsValue {
    let (settings, video_bps, level) = {
        let st = stream.st.borrow();
        (st.settings, st.video_bps, st.level)
    };
    if stream.consts.borrow().is_none() {
        *stream.consts.borrow_mut() = Some(FrameConsts::new(&stream.info.borrow()));
    }
    let consts = stream.consts.borrow();
    let Some(c) = consts.as_ref() else {
        return JsValue::UNDEFINED;
    };
    let frame = Object::new();
    let id = stream.info.borrow().id.clone();
    let frame_id = if complete {
        format!("{id}-complete-{}", taken.item.segment)
    } else {
        format!("{id}-{}", taken.seq)
    };
    set(&frame, "id", &frame_id.into());
    set(&frame, "type", &c.kind);
    set(&frame, "data", buffer);
    set(&frame, "timestamp", &taken.item.arrival_ms.into());
    set(&frame, "size", &(taken.size as f64).into());
    let meta = Object::new();
    set(&meta, "streamId", &c.stream_id);
    set(&meta, "sequence", &(taken.seq as f64).into());
    set(&meta, "isHeader", &taken.pinned.into());
    set(&meta, "segment", &taken.item.segment.into());
    set(&meta, "mimeType", &c.mime);
    if let Some(f) = &c.format {
        set(&meta, "format", f);
    }
    if let Some(codec) = &c.codec {
        set(&meta, "codec", codec);
    }
    if let Some(w) = settings.width {
        set(&meta, "width", &w.into());
    }
    if let Some(h) = settings.height {
        set(&meta, "height", &h.into());
    }
    if let Some(r) = settings.frame_rate {
        set(&meta, "frameRate", &r.into());
    }
    if let Some(b) = video_bps {
        set(&meta, "bitrate", &b.into());
    }
    if let Some(level) = level {
        set(&meta, "qualityLevel", &level.index.into());
        set(&meta, "quality", &level.quality.into());
    }
    if complete {
        set(&meta, "isComplete", &true.into());
    }
    set(&frame, "metadata", &meta);
    frame.into()
}

/// Reports chunks the ring evicted before delivery: an `onError` (`DataLossError`) and a
/// stream update. Deferred to a microtask so that no listener runs inside a call the
/// app made (e.g. `pushChunk`).
pub fn report_drops(shared: &Rc<Shared>, stream: &Rc<Stream>, dropped: Vec<Dropped>) {
    if dropped.is_empty() {
        return;
    }
    shared
        .metrics
        .borrow_mut()
        .record_drops(dropped.len() as u64, dropped.iter().map(|d| d.size).sum());
    let shared = shared.clone();
    let stream = stream.clone();
    spawn_local(async move {
        if shared.is_destroyed() {
            return;
        }
        let n = dropped.len();
        let bytes: u64 = dropped.iter().map(|d| d.size).sum();
        let first = dropped.first().map(|d| d.seq).unwrap_or(0);
        let last = dropped.last().map(|d| d.seq).unwrap_or(0);
        let (id, total) = {
            let info = stream.info.borrow();
            (info.id.clone(), info.frames_dropped)
        };
        let listening = !shared.on_frame.is_empty();
        let why = if listening {
            "listeners did not keep up"
        } else {
            "no onFrame listener is subscribed"
        };
        let mut err = ProducerError::new(
            ErrorKind::DataLoss,
            format!(
                "Stream {id}: {n} frame(s) ({bytes} bytes, sequence {first}..={last}) were evicted from the buffer before delivery because {why}; {total} dropped so far"
            ),
        );
        err.message
            .push_str(" (raise bufferMaxBytes/bufferCapacity or consume faster)");
        shared.emit_error_with(err, |e| {
            set(e.unchecked_ref(), "streamId", &id.as_str().into());
            set(e.unchecked_ref(), "framesDropped", &(n as f64).into());
            set(e.unchecked_ref(), "bytesDropped", &(bytes as f64).into());
        });
        shared.emit_stream_update(&stream);
    });
}

/// Watches the media's tracks: when one ends (device unplugged, permission revoked),
/// the stream ends. The `ended` event is one signal; [`check_tracks`] (on every drain
/// tick) is the other, because `track.stop()` fires no `ended` and Firefox ESR 153 does
/// not deliver a dispatched `ended` event to a track's listeners (pinned by the
/// expectation test in tests/lifecycle.rs).
pub fn watch_tracks(
    shared: &Rc<Shared>,
    stream: &Rc<Stream>,
    media_stream: &MediaStream,
) -> Vec<EventListener> {
    media::tracks(media_stream)
        .into_iter()
        .map(|track| {
            let weak_shared = Rc::downgrade(shared);
            let weak_stream = Rc::downgrade(stream);
            // `Clone::clone`: `MediaStreamTrack::clone` would make a new, live track.
            let ended = Clone::clone(&track);
            EventListener::new(&track, "ended", move |_| {
                if let (Some(shared), Some(stream)) = (weak_shared.upgrade(), weak_stream.upgrade())
                {
                    let reason = device_lost(&stream, &ended);
                    on_source_lost(&shared, &stream, reason);
                }
            })
        })
        .collect()
}

/// Ends the stream if one of its tracks has ended (however it ended).
pub fn check_tracks(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    let ended = {
        let st = stream.st.borrow();
        if st.finalizing || st.stop_requested {
            return;
        }
        st.media.as_ref().and_then(|m| {
            media::tracks(m)
                .into_iter()
                .find(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended)
        })
    };
    if let Some(track) = ended {
        let reason = device_lost(stream, &track);
        on_source_lost(shared, stream, reason);
    }
}

fn device_lost(stream: &Stream, track: &web_sys::MediaStreamTrack) -> ProducerError {
    let (kind, label) = (track.kind(), track.label());
    let device = if label.is_empty() {
        kind
    } else {
        format!("{kind} \"{label}\"")
    };
    ProducerError::new(
        ErrorKind::DeviceLost,
        format!(
            "Stream {}: the {device} stopped delivering media (device unplugged, disabled or permission revoked); the recording was ended",
            stream.id()
        ),
    )
}

/// The source went away: stop the recorder (its last chunk and `stop` event follow) and
/// end the stream with `reason`.
pub fn on_source_lost(shared: &Rc<Shared>, stream: &Rc<Stream>, reason: ProducerError) {
    let stop_pending = {
        let mut st = stream.st.borrow_mut();
        if st.finalizing || st.stop_requested {
            return;
        }
        if st.end_reason.is_none() {
            st.end_reason = Some(reason);
        }
        st.recorder.as_ref().map(|r| r.stop()).unwrap_or(false)
    };
    if !stop_pending {
        spawn_local(finalize(shared.clone(), stream.clone()));
    }
}

/// The recorder stopped (asked for or not): finish the stream.
pub fn on_recorder_stop(weak_shared: &Weak<Shared>, weak_stream: &Weak<Stream>) {
    let (Some(shared), Some(stream)) = (weak_shared.upgrade(), weak_stream.upgrade()) else {
        return;
    };
    {
        let mut st = stream.st.borrow_mut();
        if st.restarting {
            // The old recorder of a restart stopped (its last chunk is in): the restart
            // goes on; the stream does not end.
            st.retired = true;
            drop(st);
            stream.idle.wake_all();
            return;
        }
        if !st.stop_requested && st.end_reason.is_none() {
            st.end_reason = Some(ProducerError::new(
                ErrorKind::DeviceLost,
                format!(
                    "Stream {}: the recorder stopped on its own (its tracks ended); the recording was ended",
                    stream.info.borrow().id
                ),
            ));
        }
    }
    spawn_local(finalize(shared, stream));
}

/// Asks the stream to stop and waits until it has (its last frames delivered).
pub async fn stop(shared: Rc<Shared>, stream: Rc<Stream>) {
    if stream.is_finalized.get() {
        return;
    }
    // Let a recorder restart finish first, so that its last chunk is not lost; one that
    // only waits to change the bitrate again is called off (the stream is ending).
    stream.st.borrow_mut().next_bps = None;
    while stream.st.borrow().restarting && !shared.is_destroyed() {
        let _ = stream.idle.wait().await;
    }
    let waiting = stream.finalized.wait();
    let recorder_stopping = {
        let mut st = stream.st.borrow_mut();
        let first = !st.stop_requested && !st.finalizing;
        st.stop_requested = true;
        if first && st.end_reason.is_none() {
            stream.info.borrow_mut().state = StreamPhase::Stopping;
        }
        st.recorder.as_ref().map(|r| r.stop()).unwrap_or(false) || st.finalizing
    };
    if !recorder_stopping {
        spawn_local(finalize(shared, stream.clone()));
    }
    let _ = waiting.await;
}

/// Ends the stream once: delivers what is left, emits the whole recording when
/// `retain: "all"`, releases every resource, and reports how it ended.
pub async fn finalize(shared: Rc<Shared>, stream: Rc<Stream>) {
    {
        let mut st = stream.st.borrow_mut();
        if st.finalizing || stream.is_finalized.get() {
            return;
        }
        st.finalizing = true;
    }
    // Every chunk is in: let the scan place the header run's end before the last frames go.
    settle_header(&shared, &stream).await;
    stream.start_flush();
    kick_delivery(&shared, &stream);
    while stream.st.borrow().delivering && !shared.is_destroyed() {
        let _ = stream.idle.wait().await;
    }
    if shared.is_destroyed() {
        return; // destroy() released everything and woke the waiters.
    }
    if shared.config.retain == Retain::All {
        emit_complete(&shared, &stream).await;
        if shared.is_destroyed() {
            return;
        }
    }
    let reason = stream.st.borrow_mut().end_reason.take();
    let dropped = release(
        &stream,
        if reason.is_some() {
            StreamPhase::Ended
        } else {
            StreamPhase::Stopped
        },
    );
    if let Some(r) = &reason {
        stream.info.borrow_mut().end_reason = Some(r.message.clone());
    }
    shared.retire(&stream);
    crate::web::adaptive::stop_if_idle(&shared);
    if !dropped.is_empty() {
        report_drops(&shared, &stream, dropped);
    }
    shared.emit_stream_update(&stream);
    if let Some(reason) = reason {
        shared.emit_error(reason.clone());
        shared.set_status_error(Some(reason.message));
    }
    stream.is_finalized.set(true);
    stream.finalized.wake_all();
}

/// With `retain: "all"`: one last frame per segment holding that whole recording
/// (one segment unless the recorder was restarted for a bitrate change).
async fn emit_complete(shared: &Rc<Shared>, stream: &Rc<Stream>) {
    if shared.on_frame.is_empty() || stream.st.borrow().complete_abandoned {
        return;
    }
    let (segments, next_seq, mime) = {
        let st = stream.st.borrow();
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
            stream.info.borrow().mime_type.clone(),
        )
    };
    for (segment, parts, size) in segments {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(&mime);
        let Ok(whole) = Blob::new_with_blob_sequence_and_options(&parts, &options) else {
            continue;
        };
        let Ok(buffer) = JsFuture::from(whole.array_buffer()).await else {
            continue;
        };
        if shared.is_destroyed() {
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
            },
        };
        let frame = build_frame(stream, &taken, &buffer, true);
        let dispatch = shared.on_frame.dispatch(&frame, || !shared.is_destroyed());
        for thrown in dispatch.thrown {
            shared.emit_listener_error("onFrame", thrown);
        }
    }
}

/// Releases everything the stream owns right now: recorder (and its listeners), track
/// listeners, tick, tracks, and the ring's contents. Returns the chunks that were never
/// delivered (counted as dropped).
pub fn release(stream: &Stream, phase: StreamPhase) -> Vec<Dropped> {
    let (recorder, media_stream, listeners, tick, dropped, flush, pool) = {
        let mut st = stream.st.borrow_mut();
        st.flushing = true;
        st.scan_queue.clear();
        st.scanner = None;
        let dropped = st.ring.clear();
        st.retiring = None;
        st.restarting = false;
        (
            st.recorder.take(),
            st.media.take(),
            std::mem::take(&mut st.track_listeners),
            st.tick.take(),
            dropped,
            st.flush_signal.take(),
            st.pool.take(),
        )
    };
    // Listeners first, so that stopping the tracks reaches nothing of ours.
    drop(listeners);
    drop(recorder);
    drop(tick);
    if let Some(m) = media_stream {
        match pool {
            // Borrowed from a pool: it goes back (the pool stops it if it is no good).
            Some(p) => {
                let _ = p.release(&m);
            }
            None => media::stop_tracks(&m),
        }
    }
    if let Some((_, resolve)) = flush {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
    {
        let mut info = stream.info.borrow_mut();
        info.state = phase;
        info.active = false;
        info.end_time = Some(js_sys::Date::now());
    }
    stream.refresh_counts();
    dropped
}

/// A recorder of `media` for `stream`, its events wired to the stream.
pub fn make_recorder(
    shared: &Rc<Shared>,
    stream: &Rc<Stream>,
    media: &MediaStream,
    mime_type: &str,
    video_bps: Option<u32>,
) -> Result<Recorder, ProducerError> {
    let weak_shared = Rc::downgrade(shared);
    let weak_stream = Rc::downgrade(stream);
    let (ws1, wst1) = (weak_shared.clone(), weak_stream.clone());
    let (ws2, wst2) = (weak_shared.clone(), weak_stream.clone());
    let events = crate::web::recorder::RecorderEvents {
        on_data: Box::new(move |blob| {
            if let (Some(sh), Some(st)) = (ws1.upgrade(), wst1.upgrade()) {
                on_chunk(&sh, &st, blob, None);
            }
        }),
        on_stop: Box::new(move || on_recorder_stop(&ws2, &wst2)),
        on_error: Box::new(move |err| {
            if let (Some(sh), Some(st)) = (weak_shared.upgrade(), weak_stream.upgrade()) {
                let err = ProducerError::new(
                    ErrorKind::Recorder,
                    format!("Stream {}: the recorder failed: {}", st.id(), err.message),
                );
                on_source_lost(&sh, &st, err);
            }
        }),
    };
    let audio_bps =
        (media.get_audio_tracks().length() > 0).then_some(shared.config.audio_bits_per_second);
    Recorder::new(media, mime_type, video_bps, audio_bps, events)
}

/// Replaces the stream's recorder by one at `video_bps` (MediaRecorder's bitrate is
/// fixed for its life): the old one stops and delivers its last chunk, then a new
/// **segment** begins, whose header run is pinned like the first and which plays on
/// its own. Frames carry `metadata.segment`.
///
/// One restart runs at a time. A bitrate asked for meanwhile (quality stepped again) is
/// remembered: the new recorder starts at the latest one, and a request that comes
/// after it started waits until its segment is at least [`MIN_SEGMENT_MS`] long and
/// has media, so quality steps in quick succession never leave header-only segments.
pub async fn restart_recorder(shared: Rc<Shared>, stream: Rc<Stream>, video_bps: u32) {
    {
        let mut st = stream.st.borrow_mut();
        if st.stop_requested || st.finalizing || st.media.is_none() {
            return;
        }
        if st.restarting {
            st.next_bps = Some(video_bps);
            return;
        }
        st.restarting = true;
    }
    let mut bps = video_bps;
    loop {
        let started_ms = js_sys::Date::now();
        let outcome = restart_once(&shared, &stream, bps).await;
        if let Err(failed_bps) = outcome {
            end_restart(&stream);
            on_source_lost(
                &shared,
                &stream,
                ProducerError::new(
                    ErrorKind::Recorder,
                    format!(
                        "Stream {}: the recorder could not be restarted at {failed_bps} bit/s",
                        stream.id()
                    ),
                ),
            );
            return;
        }
        // Another bitrate asked for since the new recorder started?
        loop {
            let (next, segment_ready) = {
                let st = stream.st.borrow();
                let go_on = !shared.is_destroyed()
                    && !st.stop_requested
                    && !st.finalizing
                    && st.recorder.is_some();
                (
                    st.next_bps.filter(|b| go_on && st.video_bps != Some(*b)),
                    !st.ring.header_open(),
                )
            };
            let Some(next) = next else {
                end_restart(&stream);
                return;
            };
            if segment_ready && js_sys::Date::now() - started_ms >= MIN_SEGMENT_MS {
                stream.st.borrow_mut().next_bps = None;
                bps = next;
                break;
            }
            gloo_timers::future::TimeoutFuture::new(100).await;
        }
    }
}

/// The shortest segment a restart leaves behind when quality steps again at once (ms).
pub const MIN_SEGMENT_MS: f64 = 1000.0;

fn end_restart(stream: &Rc<Stream>) {
    {
        let mut st = stream.st.borrow_mut();
        st.restarting = false;
        st.next_bps = None;
    }
    stream.idle.wake_all();
}

/// One recorder replacement (see [`restart_recorder`]) at `video_bps`, or at a bitrate
/// asked for while the old recorder was stopping; `Err(bitrate)` if the new recorder
/// could not be made or started.
async fn restart_once(shared: &Rc<Shared>, stream: &Rc<Stream>, video_bps: u32) -> Result<(), u32> {
    let old = {
        let mut st = stream.st.borrow_mut();
        st.retired = false;
        st.recorder.take()
    };
    let Some(old) = old else {
        return Ok(());
    };
    // stop() makes the state "inactive" at once; the last `dataavailable` and the `stop`
    // event come later, and only then is the old segment complete. (Called with no
    // borrow held: it is a call into JS.)
    let waiting = old.stop();
    stream.st.borrow_mut().retiring = Some(old);
    if waiting {
        while !stream.st.borrow().retired && !shared.is_destroyed() {
            let _ = stream.idle.wait().await;
        }
    }
    // Every chunk of the old segment is in: its header run must be known before the
    // next segment's candidates start (under load the scan can still be reading).
    settle_header(shared, stream).await;
    if shared.is_destroyed() {
        return Ok(());
    }
    let (media, mime, dropped, video_bps) = {
        let mut st = stream.st.borrow_mut();
        st.retiring = None;
        let video_bps = st.next_bps.take().unwrap_or(video_bps);
        let dropped = st.ring.begin_segment();
        st.segment = st.ring.segment();
        st.scanner = Some(HeaderScanner::new());
        st.scan_queue.clear();
        (
            st.media.clone(),
            stream.info.borrow().mime_type.clone(),
            dropped,
            video_bps,
        )
    };
    report_drops(shared, stream, dropped);
    let started = media.ok_or(()).and_then(|m| {
        let r = make_recorder(shared, stream, &m, &mime, Some(video_bps)).map_err(|_| ())?;
        r.start(shared.config.recording_interval_ms)
            .map_err(|_| ())?;
        Ok(r)
    });
    let mut st = stream.st.borrow_mut();
    match started {
        Ok(r) => {
            st.recorder = Some(r);
            st.video_bps = Some(video_bps);
            Ok(())
        }
        Err(()) => Err(video_bps),
    }
}

/// Whether `source` captures media through the browser (as opposed to `pushChunk`).
pub fn captures(source: Source) -> bool {
    source != Source::External
}
