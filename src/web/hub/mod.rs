//! [`Hub`]: what a producer is inside. It holds the config, the status, the event
//! listener sets, the metrics, the pipelines, and the adaptive-quality, memory and pool
//! state, and it is the one place that applies decisions: it is the pipelines'
//! [`PipelineHost`], adaptive quality's [`AdaptiveHost`] and the memory monitor's
//! [`MonitorHost`]. Those modules never import it; the exported
//! `MediaRecorderProducer` (in `producer.rs`) is a thin facade over it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::JsValue;

use crate::core::config::{LogTarget, ProducerConfig, Source};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::metrics::{LiveState, ProducerMetrics, StreamMetrics};
use crate::core::stream::StreamInfo;
use crate::web::adaptive::Adaptive;
use crate::web::interop::{self, set, to_js};
use crate::web::listeners::ListenerSet;
use crate::web::media::{self, MediaLease};
use crate::web::monitor::{self, MemoryMonitor, MonitorHost};
use crate::web::pipeline::StreamPipeline;
use crate::web::pool::PoolShared;

mod hosts;
mod keep;
mod start;

/// How many finished streams are remembered for `stopStream` on an id that already stopped.
const FINISHED_KEPT: usize = 32;

/// The connection status (`ConnectionStatus` in JS).
#[derive(Default, Clone)]
struct Status {
    is_connected: bool,
    last_connected: Option<f64>,
    error: Option<String>,
}

/// The producer's event listeners, one set per `on…` method.
pub struct Events {
    /// `onFrame`.
    pub frame: ListenerSet,
    /// `onStreamUpdate`.
    pub stream_update: ListenerSet,
    /// `onStatusChange`.
    pub status: ListenerSet,
    /// `onError`.
    pub error: ListenerSet,
    /// `onMemoryPressure`.
    pub memory_pressure: ListenerSet,
    /// `onQualityChange`.
    pub quality: ListenerSet,
}

impl Events {
    fn new() -> Self {
        Events {
            frame: ListenerSet::new("onFrame"),
            stream_update: ListenerSet::new("onStreamUpdate"),
            status: ListenerSet::new("onStatusChange"),
            error: ListenerSet::new("onError"),
            memory_pressure: ListenerSet::new("onMemoryPressure"),
            quality: ListenerSet::new("onQualityChange"),
        }
    }

    fn clear(&self) {
        for set in [
            &self.frame,
            &self.stream_update,
            &self.status,
            &self.error,
            &self.memory_pressure,
            &self.quality,
        ] {
            set.clear();
        }
    }
}

/// A producer's state and its decisions. See the module docs.
pub struct Hub {
    id: String,
    name: String,
    config: ProducerConfig,
    destroyed: Cell<bool>,
    status: RefCell<Status>,
    streams: RefCell<Vec<Rc<StreamPipeline>>>,
    finished: RefCell<VecDeque<Rc<StreamPipeline>>>,
    next_stream_no: Cell<u32>,
    /// The listener sets.
    pub events: Events,
    metrics: RefCell<ProducerMetrics>,
    monitor: RefCell<MemoryMonitor>,
    adaptive: RefCell<Adaptive>,
    performance: Option<web_sys::Performance>,
    /// `onMetrics` subscriptions: each owns its timer.
    metric_timers: RefCell<Vec<(u32, Interval)>>,
    next_metric_id: Cell<u32>,
    pool: RefCell<Option<Rc<PoolShared>>>,
    /// `startStream()` calls under way (see `keep.rs`).
    starting: Cell<u32>,
    /// The app's producer object is gone (see `keep.rs`).
    abandoned: Cell<bool>,
}

impl Hub {
    /// A producer's hub for a validated `config`.
    pub fn new(id: String, config: ProducerConfig) -> Rc<Hub> {
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| "MediaRecorder Producer".to_string());
        Rc::new(Hub {
            id,
            name,
            destroyed: Cell::new(false),
            status: RefCell::new(Status::default()),
            streams: RefCell::new(Vec::new()),
            finished: RefCell::new(VecDeque::new()),
            next_stream_no: Cell::new(0),
            events: Events::new(),
            metrics: RefCell::new(ProducerMetrics::new(js_sys::Date::now())),
            monitor: RefCell::new(MemoryMonitor::new(
                config.memory_threshold,
                config.memory_cooldown_ms as f64,
            )),
            adaptive: RefCell::new(Adaptive::new(&config)),
            performance: web_sys::window().and_then(|w| w.performance()),
            metric_timers: RefCell::new(Vec::new()),
            next_metric_id: Cell::new(0),
            pool: RefCell::new(None),
            starting: Cell::new(0),
            abandoned: Cell::new(false),
            config,
        })
    }

    /// The producer's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `destroy()` has run.
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.get()
    }

    /// `InvalidStateError` naming `what` once destroyed.
    pub fn check_alive(&self, what: &str) -> Result<(), ProducerError> {
        if self.is_destroyed() {
            Err(ProducerError::destroyed(what))
        } else {
            Ok(())
        }
    }

    fn log_to_console(&self) -> bool {
        self.config.log == LogTarget::Console
    }

    /// Uses `pool` for later streams (`None`: open them directly).
    pub fn set_pool(&self, pool: Option<Rc<PoolShared>>) {
        *self.pool.borrow_mut() = pool;
    }

    // ---- events ----

    /// Calls the `onError` listeners with `err` (a thrown listener is ignored: there is
    /// nowhere left to report it).
    pub fn emit_error(&self, err: ProducerError) {
        self.emit_error_with(err, |_| {});
    }

    fn emit_error_with(&self, err: ProducerError, decorate: impl FnOnce(&JsValue)) {
        if self.log_to_console() {
            web_sys::console::warn_1(&format!("media-recorder-producer: {err}").into());
        }
        if self.events.error.is_empty() {
            return;
        }
        let js = to_js(&err);
        decorate(&js);
        let _ = self
            .events
            .error
            .emit(&js, || !self.is_destroyed(), |_, _| {});
    }

    /// Reports that a listener of `event` threw (or its Promise rejected) `thrown`.
    pub fn listener_error(&self, event: &'static str, thrown: JsValue) {
        let detail = interop::from_js(&thrown);
        let err = ProducerError::new(
            ErrorKind::Other("ListenerError".into()),
            format!("An {event} listener threw: {}", detail.message),
        );
        self.emit_error_with(err, |e| set(e, "cause", &thrown));
    }

    /// Calls `set`'s listeners with `arg`; what they throw goes to `onError`.
    fn emit(&self, set: &ListenerSet, arg: &JsValue) {
        let _ = set.emit(
            arg,
            || !self.is_destroyed(),
            |event, thrown| self.listener_error(event, thrown),
        );
    }

    /// Calls the `onStreamUpdate` listeners with the stream's `SensorStream`.
    fn emit_stream_update(&self, p: &StreamPipeline) {
        if self.events.stream_update.is_empty() {
            return;
        }
        if let Ok(info) = pipeline_to_js(p) {
            self.emit(&self.events.stream_update, &info);
        }
    }

    fn emit_status(&self) {
        if !self.events.status.is_empty() {
            self.emit(&self.events.status, &self.status_js());
        }
    }

    /// Sets (or clears) `status.error` and tells the status listeners.
    fn set_status_error(&self, error: Option<String>) {
        self.status.borrow_mut().error = error;
        self.emit_status();
    }

    /// The connection status as a JS object.
    pub fn status_js(&self) -> JsValue {
        let status = self.status.borrow().clone();
        let first_active = self
            .streams
            .borrow()
            .iter()
            .find(|p| p.phase().is_active())
            .cloned();
        let o = interop::object();
        set(&o, "isConnected", &status.is_connected.into());
        if let Some(t) = status.last_connected {
            set(&o, "lastConnected", &interop::date(t));
        }
        if let Some(e) = &status.error {
            set(&o, "error", &e.as_str().into());
        }
        if let Some(p) = first_active {
            if let Some(b) = p.video_bps() {
                set(&o, "bitrate", &b.into());
            }
            if let Some(r) = p.settings().frame_rate {
                set(&o, "frameRate", &r.into());
            }
        }
        o
    }

    // ---- streams ----

    /// The streams that have not finished.
    pub fn live_streams(&self) -> Vec<Rc<StreamPipeline>> {
        self.streams.borrow().clone()
    }

    /// The stream `id` (live or recently finished), or `RangeError` naming `what`.
    pub fn find(&self, id: &str, what: &str) -> Result<Rc<StreamPipeline>, ProducerError> {
        let found = {
            let live = self.streams.borrow();
            let finished = self.finished.borrow();
            live.iter()
                .chain(finished.iter())
                .find(|p| p.is(id))
                .cloned()
        };
        found.ok_or_else(|| {
            ProducerError::new(
                ErrorKind::OutOfRange,
                format!("{what}: streamId \"{id}\" is not a stream of this producer"),
            )
        })
    }

    /// Moves a finished stream out of the live list.
    fn retire(&self, p: &Rc<StreamPipeline>) {
        let gone = {
            let mut live = self.streams.borrow_mut();
            live.iter()
                .position(|x| Rc::ptr_eq(x, p))
                .map(|pos| live.remove(pos))
        };
        if let Some(gone) = gone {
            let mut finished = self.finished.borrow_mut();
            finished.push_back(gone);
            while finished.len() > FINISHED_KEPT {
                finished.pop_front();
            }
        }
    }

    /// `connect()`: checks that the browser can record and (with `probeOnConnect`)
    /// that the devices can be opened, then releases them again.
    pub async fn connect(self: &Rc<Self>) -> Result<(), ProducerError> {
        self.check_alive("connect()")?;
        if self.status.borrow().is_connected {
            return Ok(());
        }
        let probe = if !media::has_media_recorder() {
            Err(ProducerError::new(
                ErrorKind::NotSupported,
                "MediaRecorder is not available in this browser",
            ))
        } else if self.config.probe_on_connect {
            let constraints = crate::core::constraints::probe_constraints(&self.config);
            media::acquire(Source::Camera, &constraints)
                .await
                .map(MediaLease::owned)
                .map(drop)
        } else {
            Ok(())
        };
        self.check_alive("connect()")?;
        match probe {
            Ok(()) => {
                {
                    let mut s = self.status.borrow_mut();
                    s.is_connected = true;
                    s.last_connected = Some(js_sys::Date::now());
                    s.error = None;
                }
                let host: Rc<dyn MonitorHost> = self.clone();
                monitor::start(&host);
                self.emit_status();
                Ok(())
            }
            Err(e) => {
                self.set_status_error(Some(e.message.clone()));
                Err(e)
            }
        }
    }

    /// `disconnect()`: stops every stream (their last frames delivered).
    pub async fn disconnect(self: &Rc<Self>) -> Result<(), ProducerError> {
        self.check_alive("disconnect()")?;
        for p in self.live_streams() {
            p.stop().await;
        }
        if self.is_destroyed() {
            return Ok(());
        }
        self.stop_timers();
        let was = std::mem::replace(&mut self.status.borrow_mut().is_connected, false);
        if was {
            self.emit_status();
        }
        Ok(())
    }

    /// Stops the memory monitor's and adaptive quality's timers (dropped with no borrow
    /// held: clearing a timer is a call into JS).
    fn stop_timers(&self) {
        let monitor = self.monitor.borrow_mut().stop();
        let adaptive = self.adaptive.borrow_mut().stop();
        drop(monitor);
        drop(adaptive);
    }

    /// Destroys synchronously: every stream released, listeners cleared, no timer left.
    pub fn destroy(self: &Rc<Self>) {
        if self.destroyed.replace(true) {
            return;
        }
        self.status.borrow_mut().is_connected = false;
        let streams = std::mem::take(&mut *self.streams.borrow_mut());
        self.stop_timers();
        let metric_timers = std::mem::take(&mut *self.metric_timers.borrow_mut());
        drop(metric_timers);
        for p in &streams {
            p.destroy();
        }
        self.events.clear();
        self.let_go();
    }

    // ---- metrics, memory, quality ----

    /// The metrics snapshot as a plain JS object.
    pub fn metrics_js(&self) -> Result<JsValue, ProducerError> {
        let interval = self.config.recording_interval_ms as f64;
        let mut expected_fps = 0.0;
        let mut track_frame_rate = None;
        let streams = self
            .live_streams()
            .iter()
            .map(|p| {
                let phase = p.phase();
                if p.producing() {
                    expected_fps += 1000.0 / interval;
                }
                if track_frame_rate.is_none() && phase.is_active() {
                    track_frame_rate = p.settings().frame_rate;
                }
                StreamMetrics {
                    stream_id: p.id(),
                    active: phase.is_active(),
                    budget_bytes: p.ring_limits().max_bytes,
                    ring: p.ring_stats(),
                }
            })
            .collect();
        let quality_level = self
            .config
            .adaptive
            .enabled
            .then(|| self.adaptive.borrow().level().quality);
        let snapshot = self.metrics.borrow().snapshot(
            js_sys::Date::now(),
            LiveState {
                streams,
                expected_fps,
                track_frame_rate,
                quality_level,
            },
        );
        Ok(interop::emit(&snapshot))
    }

    /// `resetMetrics()`.
    pub fn reset_metrics(&self) {
        self.metrics.borrow_mut().reset(js_sys::Date::now());
    }

    /// `memory()`.
    pub fn memory_js(&self) -> Result<JsValue, ProducerError> {
        Ok(interop::emit(&monitor::readings(self)))
    }

    /// `quality()`.
    pub fn quality_js(&self) -> Result<JsValue, ProducerError> {
        let state = self.adaptive.borrow().state(self.config.adaptive.enabled);
        Ok(state.to_js())
    }

    /// `deviceProfile()`.
    pub fn profile_js(&self) -> Result<JsValue, ProducerError> {
        let profile = self.adaptive.borrow().profile();
        Ok(crate::web::interop::emit(&profile))
    }

    /// Calls `callback` with a metrics snapshot every `interval` ms until the returned
    /// id is passed to [`Hub::stop_metrics`] or the producer is destroyed.
    pub fn start_metrics(self: &Rc<Self>, callback: js_sys::Function, interval: u32) -> u32 {
        let id = self.next_metric_id.get().wrapping_add(1);
        self.next_metric_id.set(id);
        let weak = Rc::downgrade(self);
        let timer = Interval::new(interval, move || {
            let Some(hub) = weak.upgrade() else { return };
            if hub.is_destroyed() {
                return;
            }
            let Ok(snapshot) = hub.metrics_js() else {
                return;
            };
            if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &snapshot) {
                hub.listener_error("onMetrics", thrown);
            }
        });
        self.metric_timers.borrow_mut().push((id, timer));
        id
    }

    /// Stops the `onMetrics` subscription `id` (dropping its Interval clears it).
    pub fn stop_metrics(&self, id: u32) {
        let removed: Vec<(u32, Interval)> = {
            let mut timers = self.metric_timers.borrow_mut();
            let (gone, keep) = std::mem::take(&mut *timers)
                .into_iter()
                .partition(|(i, _)| *i == id);
            *timers = keep;
            gone
        };
        drop(removed);
    }

    /// An `onFrame` listener subscribed: pending chunks go out now.
    pub fn frame_listener_added(&self) {
        for p in self.live_streams() {
            p.consumer_subscribed();
        }
    }
}

/// A stream's `SensorStream`, with its `recording` once a `retain: "all"` stream has
/// ended: the seekable recording (`recording`, one segment) and every segment
/// (`recordingSegments`; more than one if the recorder was restarted for a bitrate
/// change, each a complete file).
pub fn pipeline_to_js(p: &StreamPipeline) -> Result<JsValue, ProducerError> {
    let value = stream_to_js(&p.info())?;
    let segments = p.recording();
    if let [only] = segments.as_slice() {
        set(&value, "recording", only);
    }
    if !segments.is_empty() {
        let all: js_sys::Array = segments.iter().collect();
        set(&value, "recordingSegments", &all);
    }
    let uploads = p.uploads();
    if !uploads.is_empty() {
        let all: js_sys::Array = uploads.iter().collect();
        set(&value, "uploads", &all);
    }
    Ok(value)
}

/// A `SensorStream` as JS sees it (the origin's interface has Dates for the times).
pub fn stream_to_js(info: &StreamInfo) -> Result<JsValue, ProducerError> {
    let value = interop::emit(info);
    set(&value, "startTime", &interop::date(info.start_time));
    if let Some(t) = info.end_time {
        set(&value, "endTime", &interop::date(t));
    }
    Ok(value)
}
