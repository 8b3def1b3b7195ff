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

use crate::core::config::{
    candidate_mime_types, is_indexable, negotiate_mime_type, webcodecs_plan, CodecsPlan,
    EngineChoice, FrameData, LogTarget, ProducerConfig, Retain, Source, StreamRequest,
};
use crate::core::constraints::media_constraints;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::lifecycle::Lifecycle;
use crate::core::metrics::{LiveState, ProducerMetrics, StreamMetrics};
use crate::core::ring::RingLimits;
use crate::core::stream::{StreamInfo, StreamPhase};
use crate::web::adaptive::{self, Adaptive, AdaptiveHost};
use crate::web::engine::codecs::{self, CodecsEngine, CodecsSetup, Probe};
use crate::web::engine::fallback::FallbackEngine;
use crate::web::engine::push::PushEngine;
use crate::web::engine::recorder::RecorderEngine;
use crate::web::engine::Engine;
use crate::web::interop::{self, plain, set, to_js};
use crate::web::listeners::ListenerSet;
use crate::web::media::{self, MediaLease};
use crate::web::monitor::{self, MemoryMonitor, MonitorHost};
use crate::web::opfs::OpfsFile;
use crate::web::pipeline::sink::Sink;
use crate::web::pipeline::sink::{OpfsSink, WritableStreamSink};
use crate::web::pipeline::{PipelineHost, PipelineSetup, StreamPipeline};
use crate::web::pool::PoolShared;

mod hosts;
mod keep;

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

    /// `startStream()`: acquires the media, negotiates the container, starts the engine.
    pub async fn start_stream(
        self: &Rc<Self>,
        req: StreamRequest,
        mut sinks: Vec<Box<dyn Sink>>,
    ) -> Result<JsValue, ProducerError> {
        self.check_alive("startStream()")?;
        // Live from here on: a producer the app lets go of mid-start still starts.
        let _starting = self.starting();
        if !self.status.borrow().is_connected {
            return Err(ProducerError::new(
                ErrorKind::InvalidState,
                "startStream() needs a connected producer: call connect() first",
            ));
        }
        let captures = req.source != Source::External;
        // Choose the engine and negotiate before acquiring anything: if nothing is
        // supported, nothing is opened.
        let (codecs_plan, engine_reason) = if captures {
            let (plan, reason) = self.choose_engine(&req).await?;
            self.check_alive("startStream()")?;
            (plan, Some(reason))
        } else {
            (None, None)
        };
        let cfg = &self.config;
        // MediaRecorder's type: the stream's, or (`auto`) the one standing by in case
        // the WebCodecs encoder fails.
        let recorder_mime = if captures
            && (codecs_plan.is_none() || req.engine == EngineChoice::Auto)
        {
            let candidates = candidate_mime_types(&req, cfg);
            let mime = negotiate_mime_type(&candidates, web_sys::MediaRecorder::is_type_supported);
            if mime.is_none() && codecs_plan.is_none() {
                return Err(ProducerError::new(
                    ErrorKind::NotSupported,
                    format!(
                        "This browser's MediaRecorder supports none of: {}",
                        candidates.join(", ")
                    ),
                ));
            }
            mime
        } else {
            None
        };
        let mime_type = match (&codecs_plan, &recorder_mime) {
            (Some((plan, _)), _) => plan.mime_type.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => req.mime_type.clone().unwrap_or_default(),
        };
        // Whatever fails from here on drops the lease: the tracks stop or go back.
        let lease = if captures {
            Some(self.acquire(&req).await?)
        } else {
            None
        };
        self.check_alive("startStream()")?;
        let n = self.next_stream_no.get() + 1;
        self.next_stream_no.set(n);
        let id = format!("{}-stream-{n}", self.id);
        // `readable: true`: an identity TransformStream, its writable side a sink like
        // any other (every chunk, in order, held while the reader is behind), its
        // readable side for `readable(streamId)`.
        let readable = if req.readable {
            let (writable, readable) = crate::web::interop::pipe()?;
            sinks.push(Box::new(WritableStreamSink::new(&writable)?));
            Some(readable)
        } else {
            None
        };
        // The OPFS file sink: its directory and manifest exist before the first chunk
        // (NotSupportedError here, with the tracks released, if OPFS is missing).
        let file = match &req.sink {
            Some(s) => {
                let name = s.name.clone().unwrap_or_else(|| id.clone());
                let file = OpfsFile::create(&name, &mime_type, js_sys::Date::now()).await?;
                self.check_alive("startStream()")?;
                sinks.push(Box::new(OpfsSink::new(file.clone())));
                Some(file)
            }
            None => None,
        };
        let name = req.name.clone().unwrap_or_else(|| {
            let source = match req.source {
                Source::Camera => "camera",
                Source::Microphone => "microphone",
                Source::Screen => "screen",
                Source::External => "external",
            };
            format!("{source} {n}")
        });
        let has_video = lease
            .as_ref()
            .map(|l| l.stream().get_video_tracks().length() > 0)
            .unwrap_or(req.video);
        let video_bps =
            (captures && has_video).then(|| req.bitrate.unwrap_or(cfg.video_bits_per_second));
        let hardware_acceleration = codecs_plan
            .as_ref()
            .and_then(|(plan, hw)| plan.video.map(|_| hw.unwrap_or("no-preference")));
        let engine: Rc<dyn Engine> = match &lease {
            None => Rc::new(PushEngine::new(mime_type.clone())),
            Some(l) => {
                let stream = l.stream();
                let recorder = recorder_mime.map(|mime| {
                    RecorderEngine::new(
                        stream,
                        &mime,
                        video_bps,
                        cfg.audio_bits_per_second,
                        cfg.recording_interval_ms,
                        req.keyframe_interval_ms(),
                    )
                });
                match (codecs_plan, recorder) {
                    (Some((plan, hardware)), standby) => {
                        let track = |list: js_sys::Array| {
                            wasm_bindgen::JsCast::dyn_into::<web_sys::MediaStreamTrack>(list.get(0))
                                .ok()
                        };
                        let settings = media::video_settings(stream);
                        let size = |v: Option<i32>, d: u32| {
                            v.and_then(|n| u32::try_from(n).ok()).unwrap_or(d)
                        };
                        let codecs = Rc::new(CodecsEngine::new(CodecsSetup {
                            plan,
                            video: track(stream.get_video_tracks()),
                            audio: track(stream.get_audio_tracks()),
                            width: size(settings.width, 640),
                            height: size(settings.height, 480),
                            frame_rate: settings.frame_rate,
                            video_bps: video_bps.unwrap_or(cfg.video_bits_per_second),
                            audio_bps: cfg.audio_bits_per_second,
                            timeslice_ms: cfg.recording_interval_ms,
                            keyframe_ms: req
                                .keyframe_interval_ms()
                                .unwrap_or(codecs::DEFAULT_KEYFRAME_MS),
                            hardware: hardware.unwrap_or("no-preference"),
                            budget_ms: cfg.adaptive.max_processing_ms,
                            main_thread: false,
                        }));
                        // `auto`: MediaRecorder stands by in case the encoder fails.
                        match standby {
                            Some(r) => Rc::new(FallbackEngine::new(codecs, r)),
                            None => codecs,
                        }
                    }
                    (None, Some(r)) => Rc::new(r),
                    // Not reached: a capture without a MediaRecorder type returned above.
                    (None, None) => Rc::new(PushEngine::new(mime_type.clone())),
                }
            }
        };
        // Replay needs the index; retain "all" and an OPFS file use it to make the
        // recording seekable at stop without reading it again.
        let index = (req.replay || cfg.retain == Retain::All || req.sink.is_some())
            && is_indexable(&mime_type);
        let info = StreamInfo {
            id,
            name,
            kind: if has_video { "video" } else { "audio" },
            config: req.clone(),
            active: true,
            state: StreamPhase::Recording,
            mime_type,
            start_time: js_sys::Date::now(),
            end_time: None,
            total_frames: 0,
            frames_dropped: 0,
            bytes_dropped: 0,
            end_reason: None,
            engine: captures.then(|| engine.name()),
            engine_reason,
            engine_mode: None,
            hardware_acceleration,
            frames_dropped_before_encoding: None,
        };
        let host: Rc<dyn PipelineHost> = self.clone();
        let p = StreamPipeline::start(
            Rc::downgrade(&host),
            PipelineSetup {
                info,
                engine,
                lease,
                limits: RingLimits {
                    max_chunks: cfg.buffer_capacity as usize,
                    max_bytes: cfg.buffer_max_bytes,
                    keep_delivered: cfg.retain == Retain::All,
                    replay: req.replay,
                },
                lifecycle: Lifecycle::new(video_bps, cfg.retain),
                tick_ms: cfg.chunk_processing_interval_ms,
                sinks,
                blob_frames: cfg.frame_data == FrameData::Blob,
                index,
                file,
                readable,
            },
        )?;
        self.streams.borrow_mut().push(p.clone());
        if captures && has_video && cfg.adaptive.enabled {
            let host: Rc<dyn AdaptiveHost> = self.clone();
            adaptive::start(&host);
            let level = self.adaptive.borrow().level();
            if level.index > 0 {
                // Quality was lowered before this stream started: it starts at that level.
                p.apply_level(level).await;
            } else {
                p.set_level(level);
            }
        }
        if self.status.borrow().error.is_some() {
            self.set_status_error(None);
        }
        self.emit_stream_update(&p);
        pipeline_to_js(&p)
    }

    /// The engine for a capturing stream: `Some((plan, hardwareAcceleration))` for
    /// WebCodecs, `None` for MediaRecorder, with the reason in words.
    /// `engine: "webcodecs"` where it cannot run is a `NotSupportedError` naming what
    /// is missing; `"auto"` falls back to MediaRecorder and says why.
    async fn choose_engine(
        self: &Rc<Self>,
        req: &StreamRequest,
    ) -> Result<(Option<(CodecsPlan, Option<&'static str>)>, String), ProducerError> {
        let auto = match req.engine {
            EngineChoice::MediaRecorder => {
                return Ok((None, "engine: \"mediarecorder\" (the default)".into()))
            }
            EngineChoice::Auto => true,
            EngineChoice::WebCodecs => false,
        };
        let fallback = |why: String| -> Result<_, ProducerError> {
            if auto {
                Ok((
                    None,
                    ["engine: \"auto\" chose MediaRecorder: ", &why].concat(),
                ))
            } else {
                Err(ProducerError::new(
                    ErrorKind::NotSupported,
                    [
                        "videoConfig.engine \"webcodecs\" cannot record here: ",
                        &why,
                    ]
                    .concat(),
                ))
            }
        };
        let plan = match webcodecs_plan(req, &self.config) {
            Ok(p) => p,
            Err(why) => return fallback(why),
        };
        let (w, h) = (req.width.unwrap_or(1280), req.height.unwrap_or(720));
        let bps = req.bitrate.unwrap_or(self.config.video_bits_per_second);
        let mobile = self.adaptive.borrow().profile().mobile;
        let prefer_hardware = req.prefer_hardware.unwrap_or(mobile);
        match codecs::probe(&plan, w, h, bps, prefer_hardware).await? {
            Probe::Missing(api) => fallback(["this browser has no ", &api].concat()),
            Probe::Unsupported(what) => fallback(
                [
                    "this browser's encoders do not take ",
                    &what,
                    " for this stream",
                ]
                .concat(),
            ),
            Probe::Supported(hw) => {
                let why = if auto {
                    "engine: \"auto\" chose WebCodecs: MediaStreamTrackProcessor and the encoders are present and take the stream's config"
                } else {
                    "engine: \"webcodecs\""
                };
                Ok((Some((plan, hw)), why.into()))
            }
        }
    }

    /// The media for `req`: from the pool if one is used, else opened directly.
    async fn acquire(self: &Rc<Self>, req: &StreamRequest) -> Result<MediaLease, ProducerError> {
        // The adaptive state's profile: it follows the battery once getBattery() answered.
        let profile = self.adaptive.borrow().profile();
        let constraints = media_constraints(&self.config, req, &profile);
        let pool = self.pool.borrow().clone();
        let acquired = match pool {
            Some(pool) => pool
                .acquire(req.source, &constraints)
                .await
                .map(|(m, reused)| {
                    let back: Rc<dyn media::LeaseReturn> = pool;
                    (MediaLease::pooled(m, back), reused)
                }),
            None => media::acquire(req.source, &constraints)
                .await
                .map(|m| (MediaLease::owned(m), false)),
        };
        match acquired {
            Ok((lease, reused)) => {
                let mut metrics = self.metrics.borrow_mut();
                if reused {
                    metrics.record_connection_reuse();
                } else {
                    metrics.record_stream_creation();
                }
                Ok(lease)
            }
            Err(e) => {
                if !self.is_destroyed() {
                    self.set_status_error(Some(e.message.clone()));
                }
                Err(e)
            }
        }
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
        state.to_js()
    }

    /// `deviceProfile()`.
    pub fn profile_js(&self) -> Result<JsValue, ProducerError> {
        let profile = self.adaptive.borrow().profile();
        plain(&profile)
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
