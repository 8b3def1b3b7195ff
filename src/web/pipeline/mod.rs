//! [`StreamPipeline`]: one stream, from its engine to its consumers.
//!
//! ```text
//! engine ──chunk──► ring (bounded, header run pinned) ──► delivery ──► onFrame listeners
//!   ▲                 │ header candidates                      └─────► sinks (Blobs)
//!   │                 ▼
//!   │               header scan (core HeaderScanner)
//!   └── lifecycle (core state machine): every request and browser event goes through
//!       it; the pipeline does the actions it returns
//! ```
//!
//! The pipeline owns its engine, its media lease, its ring, its delivery loop, its
//! track watch and its drain tick; [`Action::Release`] drops them all. It reports
//! upward only through [`PipelineHost`]: chunks and frames to count, drops, errors,
//! updates and its end. It never imports the producer, adaptive quality or the memory
//! monitor: those read it through its methods and tell it what to do.

pub mod delivery;
pub mod header;
pub mod index;
mod requests;
pub mod sink;
mod source;
mod view;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::Blob;

use crate::core::error::{ErrorKind, ProducerError};
use crate::core::lifecycle::{Action, Event, Lifecycle};
use crate::core::quality::Level;
use crate::core::ring::{ChunkRing, Dropped, RingLimits, RingStats};
use crate::core::stream::{StreamInfo, StreamPhase};
use crate::web::engine::{Engine, Reconfig};
use crate::web::listeners::ListenerSet;
use crate::web::media::{self, MediaLease, TrackSettings};
use crate::web::signal::Signal;

use delivery::Delivery;
use header::HeaderScan;
use sink::SinkSet;

/// What a pipeline tells its owner.
pub enum Report {
    /// A chunk of `size` bytes came in.
    Chunk {
        /// Bytes.
        size: u64,
    },
    /// A frame was delivered: its size and how long its listeners took (read → done).
    Frame {
        /// Bytes.
        size: u64,
        /// Milliseconds.
        processing_ms: f64,
    },
    /// Chunks were evicted before delivery (counted; to report as `DataLossError`).
    Drops(Vec<Dropped>),
    /// An error to report through `onError` (not one that ends the stream).
    Error(ProducerError),
    /// A listener threw, or its Promise rejected.
    ListenerError(&'static str, JsValue),
    /// The stream's public state or counters changed (`onStreamUpdate`).
    Updated,
    /// The stream is over and released; `error` says why if it ended on its own.
    Ended(Option<ProducerError>),
}

/// The owner of pipelines (the producer), as they see it.
pub trait PipelineHost {
    /// The `onFrame` listeners.
    fn frame_listeners(&self) -> &ListenerSet;
    /// Whether the owner is gone (`destroy()`): nothing more is delivered or reported.
    fn closed(&self) -> bool;
    /// A monotonic clock (ms).
    fn now(&self) -> f64;
    /// Counts or tells what happened.
    fn report(self: Rc<Self>, pipeline: &Rc<StreamPipeline>, report: Report);
}

/// A chunk as the ring holds it: the browser's Blob (its bytes stay out of the JS heap
/// until delivery), when it arrived, and which segment it belongs to.
#[derive(Clone)]
pub struct Chunk {
    /// The recorded bytes.
    pub blob: Blob,
    /// Arrival time, epoch ms.
    pub arrival_ms: f64,
    /// Segment index: 0, then one more for each recorder restart (bitrate change).
    pub segment: u32,
    /// Byte offset of the chunk in its segment (the recording's bytes before it).
    pub at: u64,
}

/// What the pipeline keeps that changes chunk by chunk.
struct PipeState {
    ring: ChunkRing<Chunk>,
    /// The current segment and its bytes so far (each chunk's [`Chunk::at`]).
    seg_bytes: (u32, u64),
    scan: HeaderScan,
    settings: TrackSettings,
    level: Option<Level>,
    /// First sequence number pushed since an `onFrame` consumer has been subscribed
    /// (`None` while there is none): the backlog adaptive quality counts starts here.
    consumer_from: Option<u64>,
    /// Listeners' main-thread time (ms) and frames since the last load sample.
    sync_ms: f64,
    frames: u32,
    /// A sink is behind and the ring is over its bounds (reported once per episode).
    backpressure: bool,
}

/// The resources a running stream owns; dropped all at once by [`Action::Release`].
#[derive(Default)]
struct Owned {
    lease: Option<MediaLease>,
    track_listeners: Vec<EventListener>,
    tick: Option<Interval>,
}

/// One stream. See the module docs.
pub struct StreamPipeline {
    info: RefCell<StreamInfo>,
    life: RefCell<Lifecycle>,
    engine: Rc<dyn Engine>,
    host: Weak<dyn PipelineHost>,
    st: RefCell<PipeState>,
    owned: RefCell<Owned>,
    delivery: Delivery,
    sinks: SinkSet,
    /// Settles when every sink has been closed (after the end).
    sinks_closing: RefCell<Option<js_sys::Promise>>,
    /// `replay: true` (WebM, MP4): the recording's index, for [`StreamPipeline::snapshot`].
    index: Option<index::Index>,
    /// `readable: true`: the stream's `ReadableStream`, until `readable()` takes it.
    readable: RefCell<Option<JsValue>>,
    /// `sink: { type: "opfs" }`: the file on disk.
    file: Option<Rc<crate::web::kept::KeptFile>>,
    /// `retain: "all"`: the whole recording at its end, one Blob per segment (seekable
    /// where it is WebM). Set before the stream ends.
    recording: RefCell<Vec<Blob>>,
    /// Why its engine is switching (`engine: "auto"` after an encoder failure), until
    /// the new engine has started.
    switch_reason: RefCell<Option<String>>,
    /// Woken when the stream has ended.
    ended: Signal,
    /// Woken when the delivery loop goes idle or the header scan finishes.
    idle: Signal,
}

/// How a pipeline is made (see [`StreamPipeline::start`]).
pub struct PipelineSetup {
    /// What callers see (id, name, kind, config, mime type, …).
    pub info: StreamInfo,
    /// The engine (not started yet).
    pub engine: Rc<dyn Engine>,
    /// The captured media, if the engine records a device.
    pub lease: Option<MediaLease>,
    /// The ring's bounds.
    pub limits: RingLimits,
    /// The lifecycle at its start (video bitrate, retain policy).
    pub lifecycle: Lifecycle,
    /// The drain tick's period (ms).
    pub tick_ms: u32,
    /// The sinks that take every chunk as a Blob.
    pub sinks: Vec<Box<dyn sink::Sink>>,
    /// Whether frames carry the chunk's Blob (`frameData: "blob"`) instead of its bytes.
    pub blob_frames: bool,
    /// Index the recording as it arrives (`replay: true`, `retain: "all"` or an OPFS
    /// file; WebM and MP4).
    pub index: bool,
    /// `readable: true`: the `ReadableStream` whose writable side is among `sinks`.
    pub readable: Option<JsValue>,
    /// The OPFS file the recording goes to (`sink: { type: "opfs" }`), already among
    /// `sinks`; at the end the stream's `recording` is made from it.
    pub file: Option<Rc<crate::web::kept::KeptFile>>,
}

impl StreamPipeline {
    /// Makes the pipeline and starts its engine. On failure nothing keeps running (the
    /// lease is released when the pipeline drops).
    pub fn start(
        host: Weak<dyn PipelineHost>,
        setup: PipelineSetup,
    ) -> Result<Rc<StreamPipeline>, ProducerError> {
        let PipelineSetup {
            info,
            engine,
            lease,
            limits,
            lifecycle,
            tick_ms,
            sinks,
            blob_frames,
            index,
            file,
            readable,
        } = setup;
        let policy = engine.header_policy();
        let indexed = index.then(|| index::Index::new(&info.mime_type));
        let settings = lease
            .as_ref()
            .map(|l| media::video_settings(l.stream()))
            .unwrap_or_default();
        let p = Rc::new(StreamPipeline {
            info: RefCell::new(info),
            life: RefCell::new(lifecycle),
            engine: engine.clone(),
            host,
            st: RefCell::new(PipeState {
                ring: {
                    // Sinks get every chunk: nothing undelivered is evicted from under them,
                    // unless every sink may lose what falls past the bounds (uploads).
                    let mut ring = ChunkRing::new(limits, policy);
                    ring.set_lossless(sinks.iter().any(|s| s.lossless()));
                    ring
                },
                seg_bytes: (0, 0),
                scan: HeaderScan::new(policy),
                settings,
                level: None,
                consumer_from: None,
                backpressure: false,
                sync_ms: 0.0,
                frames: 0,
            }),
            owned: RefCell::new(Owned {
                lease,
                ..Owned::default()
            }),
            delivery: Delivery::new(blob_frames),
            sinks: SinkSet::new(sinks),
            sinks_closing: RefCell::new(None),
            index: indexed,
            readable: RefCell::new(readable),
            file,
            recording: RefCell::new(Vec::new()),
            switch_reason: RefCell::new(None),
            ended: Signal::default(),
            idle: Signal::default(),
        });
        engine.start(Rc::new(source::PipelineSink(Rc::downgrade(&p))))?;
        let actual = engine.mime_type();
        if !actual.is_empty() {
            if let Some(file) = &p.file {
                file.set_mime_type(&actual);
            }
            p.info.borrow_mut().mime_type = actual;
        }
        let listeners = p.watch_tracks();
        let weak = Rc::downgrade(&p);
        // The drain tick: restarts delivery if chunks wait while the loop is idle, notices
        // tracks that ended without an `ended` event, and lets a deferred restart go.
        let tick = Interval::new(tick_ms, move || {
            if let Some(p) = weak.upgrade() {
                p.on_tick();
            }
        });
        {
            let mut owned = p.owned.borrow_mut();
            owned.track_listeners = listeners;
            owned.tick = Some(tick);
        }
        let mime = p.info.borrow().mime_type.clone();
        let weak = Rc::downgrade(&p);
        let id = p.id();
        let recording = p.file.as_ref().map(|f| f.name().to_string());
        p.sinks.attach(
            &id,
            &mime,
            recording.as_deref(),
            Rc::new(move || {
                if let Some(p) = weak.upgrade() {
                    p.report(Report::Updated);
                }
            }),
        );
        p.sinks.begin_segment(0, &mime);
        p.handle(Event::Started {
            at_ms: js_sys::Date::now(),
        });
        Ok(p)
    }

    fn host(&self) -> Option<Rc<dyn PipelineHost>> {
        self.host.upgrade()
    }

    /// Whether the owner is gone.
    pub fn closed(&self) -> bool {
        self.host().map_or(true, |h| h.closed())
    }

    fn report(self: &Rc<Self>, report: Report) {
        if let Some(h) = self.host() {
            if !h.closed() {
                h.report(self, report);
            }
        }
    }

    fn refresh_counts(&self) {
        let stats = self.st.borrow().ring.stats();
        self.info.borrow_mut().update_counts(&stats);
    }

    /// Counters changed (and maybe chunks were evicted): refresh and report.
    fn counts_changed(self: &Rc<Self>, dropped: Vec<Dropped>) {
        self.refresh_counts();
        if let Some(index) = &self.index {
            let st = self.st.borrow();
            index.prune(st.ring.segment(), st.ring.items());
        }
        if !dropped.is_empty() {
            self.report(Report::Drops(dropped));
        }
    }

    // ---- the lifecycle ----

    /// Applies `event` to the lifecycle and does the actions it returns, in order.
    fn handle(self: &Rc<Self>, event: Event) {
        let actions = match self.life.borrow_mut().apply(event) {
            Ok(a) => a,
            Err(_) => return, // refused: nothing changes (only requests can be refused)
        };
        self.sync_phase();
        for action in actions {
            self.act(action);
        }
    }

    fn sync_phase(&self) {
        let phase = self.life.borrow().phase();
        self.info.borrow_mut().state = phase;
    }

    fn act(self: &Rc<Self>, action: Action) {
        match action {
            Action::Deliver => self.kick(),
            Action::PauseRecorder => {
                let _ = self.engine.pause();
            }
            Action::ResumeRecorder => {
                let _ = self.engine.resume();
            }
            Action::StopRecorder => {
                if !self.engine.stop() {
                    self.handle(Event::RecorderStopped);
                }
            }
            Action::RetireRecorder => {
                if !self.engine.retire() {
                    self.handle(Event::RecorderRetired);
                }
            }
            Action::SettleHeader => {
                let p = self.clone();
                spawn_local(async move {
                    header::settle(&p).await;
                    p.handle(Event::HeaderSettled);
                });
            }
            Action::StartNewSegment { video_bps } => self.start_segment(video_bps),
            Action::BeginFlush => {
                self.delivery.start_flush();
                self.kick();
                if !self.delivery.running() {
                    self.handle(Event::DeliveryIdle);
                }
            }
            Action::EmitComplete => {
                let p = self.clone();
                spawn_local(async move {
                    delivery::emit_complete(&p).await;
                    p.handle(Event::CompleteEmitted);
                });
            }
            Action::Release => self.release(),
            Action::Report(e) => {
                let e = self.with_id(e);
                self.info.borrow_mut().end_reason = Some(e.message.clone());
                self.report(Report::Ended(Some(e)));
            }
            Action::Warn(e) => {
                let e = self.with_id(e);
                self.report(Report::Error(e));
            }
        }
    }

    /// `"Stream <id>: "` before a message that does not say which stream.
    fn with_id(&self, mut e: ProducerError) -> ProducerError {
        let id = self.id();
        if crate::core::value::find(&e.message, &id).is_none() {
            e.message = format!("Stream {id}: {}", e.message);
        }
        e
    }

    fn start_segment(self: &Rc<Self>, video_bps: u32) {
        let (dropped, segment) = {
            let mut st = self.st.borrow_mut();
            let dropped = st.ring.begin_segment();
            (dropped, st.ring.segment())
        };
        self.counts_changed(dropped);
        // No chunk of the new recorder arrives before this returns (they come from
        // browser events), so its type and header policy can be read after its start.
        match self.engine.start_segment(video_bps) {
            Ok(()) => {
                self.st.borrow_mut().scan = HeaderScan::new(self.engine.header_policy());
                let switched = self.switch_reason.borrow_mut().take();
                if let Some(why) = switched {
                    let mime = self.engine.mime_type();
                    if let Some(file) = &self.file {
                        file.set_mime_type(&mime);
                    }
                    let mut info = self.info.borrow_mut();
                    info.engine = Some(self.engine.name());
                    info.engine_reason = Some(
                        ["engine: \"auto\" switched to MediaRecorder: ", why.as_str()].concat(),
                    );
                    info.mime_type = mime;
                }
                let mime = self.mime_type();
                self.sinks.begin_segment(segment, &mime);
                self.handle(Event::SegmentStarted {
                    at_ms: js_sys::Date::now(),
                });
            }
            Err(e) => self.handle(Event::SegmentFailed(ProducerError::new(
                ErrorKind::Recorder,
                format!(
                    "the recorder could not be restarted at {video_bps} bit/s ({})",
                    e.message
                ),
            ))),
        }
    }

    /// Releases everything the stream owns right now: engine (recorders and their
    /// listeners), track listeners, tick, media (stopped, or back to its pool), the
    /// ring's contents (what was never delivered counts as dropped), the sinks.
    fn release(self: &Rc<Self>) {
        let owned = std::mem::take(&mut *self.owned.borrow_mut());
        let dropped = {
            let mut st = self.st.borrow_mut();
            st.scan.stop();
            st.ring.clear()
        };
        self.delivery.start_flush();
        // Listeners first, so that stopping the tracks reaches nothing of ours.
        let Owned {
            lease,
            track_listeners,
            tick,
        } = owned;
        drop(track_listeners);
        self.engine.close();
        drop(tick);
        drop(lease);
        {
            let mut info = self.info.borrow_mut();
            info.state = self.life.borrow().phase();
            info.active = false;
            info.end_time = Some(js_sys::Date::now());
        }
        self.counts_changed(dropped);
        let p = self.clone();
        // Closed by the producer's destroy(): the sinks keep what they hold, cut short.
        let cut_short = self.closed();
        *self.sinks_closing.borrow_mut() = self
            .sinks
            .close(cut_short, move |e| p.report(Report::Error(e)));
        // An end with an error is reported by the `Report` action that follows.
        let reported = self
            .life
            .borrow()
            .end_reason()
            .is_some_and(|r| r.error().is_some());
        if !reported {
            self.report(Report::Ended(None));
        }
        self.ended.wake_all();
        self.idle.wake_all();
    }

    // ---- the engine's events ----

    fn on_chunk(self: &Rc<Self>, blob: Blob, pin: Option<bool>) -> Option<u64> {
        let size = blob.size();
        if size <= 0.0 || self.closed() {
            return None;
        }
        if self.life.borrow_mut().apply(Event::ChunkArrived).is_err() {
            return None; // ended: it takes no more chunks
        }
        let arrival_ms = js_sys::Date::now();
        let (seq, dropped, start_scan) = {
            let mut st = self.st.borrow_mut();
            let was_open = st.ring.header_open();
            let pinned_before = st.ring.stats().pinned_bytes;
            let segment = st.ring.segment();
            if st.seg_bytes.0 != segment {
                st.seg_bytes = (segment, 0);
            }
            let at = st.seg_bytes.1;
            st.seg_bytes.1 += size as u64;
            let chunk = Chunk {
                blob: blob.clone(),
                arrival_ms,
                segment,
                at,
            };
            let (seq, mut dropped) = st.ring.push(chunk, size as u64, pin);
            let candidate = st.ring.stats().pinned_bytes > pinned_before;
            let mut start_scan = false;
            if pin.is_some() && st.scan.active() {
                // The app says where its header is (`isHeader`): no scan second-guesses
                // it, and later unflagged chunks are not header candidates.
                st.scan.stop();
                if st.ring.header_open() {
                    dropped.extend(st.ring.close_header(seq));
                }
            } else if was_open && candidate && st.scan.active() {
                let segment = st.ring.segment();
                start_scan = st.scan.queue(segment, seq, blob.clone());
            }
            (seq, dropped, start_scan)
        };
        self.report(Report::Chunk { size: size as u64 });
        if !self.sinks.is_empty() {
            self.check_backpressure();
        }
        if let Some(index) = &self.index {
            let segment = self.st.borrow().ring.segment();
            if index.push(segment, blob) {
                spawn_local(index::run(self.clone()));
            }
        }
        if start_scan {
            spawn_local(header::scan(self.clone()));
        }
        self.counts_changed(dropped);
        self.kick();
        Some(seq)
    }

    /// A stream with sinks keeps every chunk until the sinks have it: past the ring's
    /// bounds that is reported once (`SinkBackpressure`, through `onError`), and again
    /// only after the ring has come back within them.
    fn check_backpressure(self: &Rc<Self>) {
        let over = {
            let mut st = self.st.borrow_mut();
            let over = st.ring.over_limits();
            let first = over && !st.backpressure;
            st.backpressure = over;
            first.then(|| (st.ring.stats().held_bytes, st.ring.limits().max_bytes))
        };
        if let Some((held, budget)) = over {
            let e = ProducerError::new(
                ErrorKind::Other("SinkBackpressure".to_string()),
                [
                    "a sink is behind: the buffer holds ",
                    &held.to_string(),
                    " bytes, over its budget of ",
                    &budget.to_string(),
                    "; nothing is dropped (chunks wait for the sink) and memory grows until it catches up",
                ]
                .concat(),
            );
            self.report(Report::Error(self.with_id(e)));
        }
    }

    /// Starts delivery if it is idle and there is work and someone to give it to.
    pub fn kick(self: &Rc<Self>) {
        delivery::kick(self);
    }

    fn on_tick(self: &Rc<Self>) {
        let has_media = !self.st.borrow().ring.header_open();
        self.handle(Event::Tick {
            now_ms: js_sys::Date::now(),
            segment_has_media: has_media,
        });
        self.check_tracks();
    }
}
