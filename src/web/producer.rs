//! `MediaRecorderProducer`: the exported producer, keeping the origin's
//! `ProducerSensorDriver` contract (see `shared/ORIGIN.md`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Blob;

use crate::core::config::{
    candidate_mime_types, is_webm, negotiate_mime_type, ProducerConfig, Retain, StreamRequest,
};
use crate::core::config::{metrics_interval, LogTarget};
use crate::core::constraints::{media_constraints, probe_constraints};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::metrics::{LiveState, ProducerMetrics, StreamMetrics};
use crate::core::ring::{ChunkRing, HeaderPolicy, RingLimits};
use crate::core::stream::{StreamInfo, StreamPhase};
use crate::core::webm::HeaderScanner;
use crate::web::args::{self, ChunkData};
use crate::web::error::to_js;
use crate::web::listeners::ListenerSet;
use crate::web::media;
use crate::web::monitor::{self, MemoryMonitor};
use crate::web::pool::PoolShared;
use crate::web::stream::{self, Stream, StreamState};

/// How many finished streams are remembered for `stopStream` on an id that already stopped.
const FINISHED_KEPT: usize = 32;

thread_local! {
    static NEXT_PRODUCER: Cell<u32> = const { Cell::new(1) };
}

/// The connection status (`ConnectionStatus` in JS).
#[derive(Default, Clone)]
struct Status {
    is_connected: bool,
    last_connected: Option<f64>,
    error: Option<String>,
}

/// Producer state that changes.
#[derive(Default)]
struct ProducerState {
    destroyed: bool,
    status: Status,
    streams: Vec<Rc<Stream>>,
    finished: VecDeque<Rc<Stream>>,
    next_stream_no: u32,
}

/// What the producer and all its callbacks share.
pub struct Shared {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) config: ProducerConfig,
    state: RefCell<ProducerState>,
    pub(crate) on_frame: ListenerSet,
    pub(crate) on_stream_update: ListenerSet,
    pub(crate) on_status_change: ListenerSet,
    pub(crate) on_error: ListenerSet,
    pub(crate) on_memory_pressure: ListenerSet,
    /// Counters, rates and score since construction or `resetMetrics()`.
    pub(crate) metrics: RefCell<ProducerMetrics>,
    /// The memory monitor (its timer runs while connected).
    pub(crate) monitor: RefCell<MemoryMonitor>,
    /// `window.performance`, where there is one.
    pub(crate) performance: Option<web_sys::Performance>,
    /// `onMetrics` subscriptions: each owns its timer.
    metric_timers: RefCell<Vec<(u32, gloo_timers::callback::Interval)>>,
    next_metric_id: Cell<u32>,
    /// The pool streams are acquired from, if any (`usePool`).
    pub(crate) pool: RefCell<Option<Rc<PoolShared>>>,
    /// Adaptive quality: controller, load measurements, timers.
    pub(crate) adaptive: RefCell<crate::web::adaptive::Adaptive>,
    pub(crate) on_quality_change: ListenerSet,
}

impl Shared {
    /// Whether `destroy()` has run.
    pub fn is_destroyed(&self) -> bool {
        self.state.borrow().destroyed
    }

    /// A monotonic clock in ms (`performance.now()`, or `Date.now()` without it).
    pub fn now_precise(&self) -> f64 {
        match &self.performance {
            Some(p) => p.now(),
            None => js_sys::Date::now(),
        }
    }

    /// Whether the config asks for console output (`log: "console"`).
    pub fn log_to_console(&self) -> bool {
        self.config.log == LogTarget::Console
    }

    fn check_alive(&self, what: &str) -> Result<(), ProducerError> {
        if self.is_destroyed() {
            Err(ProducerError::destroyed(what))
        } else {
            Ok(())
        }
    }

    /// Calls the `onError` listeners with `err` (a thrown listener is ignored: there is
    /// nowhere left to report it).
    pub fn emit_error(&self, err: ProducerError) {
        self.emit_error_with(err, |_| {});
    }

    /// Like [`emit_error`](Self::emit_error), with extra properties set on the JS error.
    pub fn emit_error_with(&self, err: ProducerError, decorate: impl FnOnce(&JsValue)) {
        if self.log_to_console() {
            web_sys::console::warn_1(&format!("media-recorder-producer: {err}").into());
        }
        if self.on_error.is_empty() {
            return;
        }
        let js = to_js(&err);
        decorate(&js);
        let _ = self.on_error.dispatch(&js, || !self.is_destroyed());
    }

    /// Reports that a listener of `event` threw (or its Promise rejected) `thrown`.
    pub fn emit_listener_error(&self, event: &str, thrown: JsValue) {
        let detail = crate::web::error::from_js(&thrown);
        let err = ProducerError::new(
            ErrorKind::Other("ListenerError".into()),
            format!("An {event} listener threw: {}", detail.message),
        );
        self.emit_error_with(err, |e| {
            let _ = Reflect::set(e, &"cause".into(), &thrown);
        });
    }

    /// Calls the `onStreamUpdate` listeners with the stream's `SensorStream`.
    pub fn emit_stream_update(&self, stream: &Stream) {
        if self.on_stream_update.is_empty() {
            return;
        }
        let info = stream_to_js(stream);
        let d = self
            .on_stream_update
            .dispatch(&info, || !self.is_destroyed());
        for t in d.thrown {
            self.emit_listener_error("onStreamUpdate", t);
        }
    }

    fn emit_status(&self) {
        if self.on_status_change.is_empty() {
            return;
        }
        let status = self.status_js();
        let d = self
            .on_status_change
            .dispatch(&status, || !self.is_destroyed());
        for t in d.thrown {
            self.emit_listener_error("onStatusChange", t);
        }
    }

    /// Sets (or clears) `status.error` and tells the status listeners.
    pub fn set_status_error(&self, error: Option<String>) {
        self.state.borrow_mut().status.error = error;
        self.emit_status();
    }

    fn status_js(&self) -> JsValue {
        let (status, first_active) = {
            let s = self.state.borrow();
            (
                s.status.clone(),
                s.streams.iter().find(|x| x.phase().is_active()).cloned(),
            )
        };
        let o = Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = Reflect::set(&o, &k.into(), v);
        };
        set("isConnected", &status.is_connected.into());
        if let Some(t) = status.last_connected {
            set("lastConnected", &js_sys::Date::new(&t.into()).into());
        }
        if let Some(e) = &status.error {
            set("error", &e.as_str().into());
        }
        if let Some(s) = first_active {
            let st = s.st.borrow();
            if let Some(b) = st.video_bps {
                set("bitrate", &b.into());
            }
            if let Some(r) = st.settings.frame_rate {
                set("frameRate", &r.into());
            }
        }
        o.into()
    }

    /// Moves a finished stream out of the live list; its counters join the totals.
    pub fn retire(&self, stream: &Rc<Stream>) {
        let mut s = self.state.borrow_mut();
        let Some(pos) = s.streams.iter().position(|x| Rc::ptr_eq(x, stream)) else {
            return;
        };
        let gone = s.streams.remove(pos);
        s.finished.push_back(gone);
        while s.finished.len() > FINISHED_KEPT {
            s.finished.pop_front();
        }
    }

    fn find(&self, id: &str) -> Option<Rc<Stream>> {
        let s = self.state.borrow();
        s.streams
            .iter()
            .chain(s.finished.iter())
            .find(|x| x.info.borrow().id == id)
            .cloned()
    }

    fn find_or_err(&self, id: &str, what: &str) -> Result<Rc<Stream>, ProducerError> {
        self.find(id).ok_or_else(|| {
            ProducerError::new(
                ErrorKind::OutOfRange,
                format!("{what}: streamId \"{id}\" is not a stream of this producer"),
            )
        })
    }

    /// The streams that have not finished.
    pub fn live_streams(&self) -> Vec<Rc<Stream>> {
        self.state.borrow().streams.clone()
    }

    /// Destroys synchronously: every stream released, listeners cleared, no timer left.
    fn destroy(&self) {
        let streams = {
            let mut s = self.state.borrow_mut();
            if s.destroyed {
                return;
            }
            s.destroyed = true;
            s.status.is_connected = false;
            std::mem::take(&mut s.streams)
        };
        self.monitor.borrow_mut().stop();
        self.adaptive.borrow_mut().stop();
        self.metric_timers.borrow_mut().clear();
        for st in &streams {
            stream::release(st, StreamPhase::Stopped);
            st.is_finalized.set(true);
            st.finalized.wake_all();
            st.idle.wake_all();
        }
        self.on_frame.clear();
        self.on_stream_update.clear();
        self.on_status_change.clear();
        self.on_error.clear();
        self.on_memory_pressure.clear();
        self.on_quality_change.clear();
    }

    /// The metrics snapshot as a plain JS object.
    fn metrics_js(&self) -> JsValue {
        let live = self.live_streams();
        let interval = self.config.recording_interval_ms as f64;
        let mut expected_fps = 0.0;
        let mut track_frame_rate = None;
        let streams = live
            .iter()
            .map(|s| {
                let st = s.st.borrow();
                let phase = s.phase();
                if st.recorder.is_some() && phase == StreamPhase::Recording {
                    expected_fps += 1000.0 / interval;
                }
                if track_frame_rate.is_none() && phase.is_active() {
                    track_frame_rate = st.settings.frame_rate;
                }
                StreamMetrics {
                    stream_id: s.id(),
                    active: phase.is_active(),
                    budget_bytes: st.ring.limits().max_bytes,
                    ring: st.ring.stats(),
                }
            })
            .collect();
        let snapshot = self.metrics.borrow().snapshot(
            js_sys::Date::now(),
            LiveState {
                streams,
                expected_fps,
                track_frame_rate,
                quality_level: self
                    .config
                    .adaptive
                    .enabled
                    .then(|| self.adaptive.borrow().level().quality),
            },
        );
        snapshot
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .unwrap_or(JsValue::UNDEFINED)
    }
}

fn stream_to_js(stream: &Stream) -> JsValue {
    let info = stream.info.borrow().clone();
    let value = info
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED);
    // The origin's interface has Dates here.
    let _ = Reflect::set(
        &value,
        &"startTime".into(),
        &js_sys::Date::new(&info.start_time.into()).into(),
    );
    if let Some(t) = info.end_time {
        let _ = Reflect::set(
            &value,
            &"endTime".into(),
            &js_sys::Date::new(&t.into()).into(),
        );
    }
    value
}

use serde::Serialize;

fn promise<F>(fut: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<JsValue, ProducerError>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(|e| to_js(&e)) })
}

fn throw(e: ProducerError) -> JsValue {
    to_js(&e)
}

/// Records camera, microphone or screen with the browser's `MediaRecorder` and
/// delivers the recording as a sequence of frames (`SensorFrame`s), with bounded
/// memory. Keeps the origin's `ProducerSensorDriver` contract.
#[wasm_bindgen]
pub struct MediaRecorderProducer {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl MediaRecorderProducer {
    /// Creates a producer; throws `TypeError`/`RangeError` naming the field for a bad config.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "MediaRecorderProducerConfig")]
        config: JsValue,
    ) -> Result<MediaRecorderProducer, JsValue> {
        // A panic is a bug; make it readable in the console instead of "unreachable".
        #[cfg(feature = "console_error_panic_hook")]
        console_error_panic_hook::set_once();
        let value = args::options(&config, "new MediaRecorderProducer", "config").map_err(throw)?;
        let config = ProducerConfig::from_value(&value).map_err(throw)?;
        let n = NEXT_PRODUCER.with(|c| {
            let n = c.get();
            c.set(n.wrapping_add(1));
            n
        });
        let id = format!("media-recorder-{}-{n}", js_sys::Date::now() as u64);
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| "MediaRecorder Producer".to_string());
        Ok(MediaRecorderProducer {
            shared: Rc::new(Shared {
                id,
                name,
                state: RefCell::new(ProducerState::default()),
                on_frame: ListenerSet::default(),
                on_stream_update: ListenerSet::default(),
                on_status_change: ListenerSet::default(),
                on_error: ListenerSet::default(),
                on_memory_pressure: ListenerSet::default(),
                metrics: RefCell::new(ProducerMetrics::new(js_sys::Date::now())),
                monitor: RefCell::new(MemoryMonitor::new(
                    config.memory_threshold,
                    config.memory_cooldown_ms as f64,
                )),
                performance: web_sys::window().and_then(|w| w.performance()),
                metric_timers: RefCell::new(Vec::new()),
                next_metric_id: Cell::new(0),
                pool: RefCell::new(None),
                adaptive: RefCell::new(crate::web::adaptive::Adaptive::new(&config)),
                on_quality_change: ListenerSet::default(),
                config,
            }),
        })
    }

    /// Acquires streams from `pool` from now on (and gives them back to it on stop,
    /// disconnect and destroy) instead of opening them itself. The pool is passed by
    /// reference: it stays usable, and may be shared by several producers.
    #[wasm_bindgen(js_name = usePool)]
    pub fn use_pool(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StreamPool")] pool: JsValue,
    ) -> Result<(), JsValue> {
        let pool = args::stream_pool(&pool, "usePool", "pool").map_err(throw)?;
        self.shared.check_alive("usePool()").map_err(throw)?;
        *self.shared.pool.borrow_mut() = Some(pool);
        Ok(())
    }

    /// Stops using a pool: later streams are opened by the producer itself.
    #[wasm_bindgen(js_name = detachPool)]
    pub fn detach_pool(&self) {
        *self.shared.pool.borrow_mut() = None;
    }

    /// Unique id of this producer.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.shared.id.clone()
    }

    /// Always `"producer"`.
    #[wasm_bindgen(getter = type)]
    pub fn kind(&self) -> String {
        "producer".to_string()
    }

    /// Display name (`config.name`, default "MediaRecorder Producer").
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.shared.name.clone()
    }

    /// The connection status now.
    #[wasm_bindgen(getter, unchecked_return_type = "ConnectionStatus")]
    pub fn status(&self) -> JsValue {
        self.shared.status_js()
    }

    /// Whether `destroy()` has run.
    #[wasm_bindgen(getter)]
    pub fn destroyed(&self) -> bool {
        self.shared.is_destroyed()
    }

    /// Checks that the browser can record and (with `probeOnConnect`, the default) that
    /// the devices can be opened, then releases them again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> js_sys::Promise {
        let shared = self.shared.clone();
        promise(async move {
            shared.check_alive("connect()")?;
            if shared.state.borrow().status.is_connected {
                return Ok(JsValue::UNDEFINED);
            }
            let probe = if !media::has_media_recorder() {
                Err(ProducerError::new(
                    ErrorKind::NotSupported,
                    "MediaRecorder is not available in this browser",
                ))
            } else if shared.config.probe_on_connect {
                let constraints = probe_constraints(&shared.config);
                match media::acquire(crate::core::config::Source::Camera, &constraints).await {
                    Ok(s) => {
                        media::stop_tracks(&s);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            } else {
                Ok(())
            };
            shared.check_alive("connect()")?;
            match probe {
                Ok(()) => {
                    {
                        let mut s = shared.state.borrow_mut();
                        s.status.is_connected = true;
                        s.status.last_connected = Some(js_sys::Date::now());
                        s.status.error = None;
                    }
                    monitor::start(&shared);
                    shared.emit_status();
                    Ok(JsValue::UNDEFINED)
                }
                Err(e) => {
                    shared.set_status_error(Some(e.message.clone()));
                    Err(e)
                }
            }
        })
    }

    /// Stops every stream (delivering their last frames) and marks the producer
    /// disconnected. Listeners stay subscribed; `connect()` may be called again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> js_sys::Promise {
        let shared = self.shared.clone();
        promise(async move {
            shared.check_alive("disconnect()")?;
            for s in shared.live_streams() {
                stream::stop(shared.clone(), s).await;
            }
            if shared.is_destroyed() {
                return Ok(JsValue::UNDEFINED);
            }
            shared.monitor.borrow_mut().stop();
            shared.adaptive.borrow_mut().stop();
            let was = std::mem::replace(&mut shared.state.borrow_mut().status.is_connected, false);
            if was {
                shared.emit_status();
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Starts a stream: acquires the media, negotiates the recorder type, starts the
    /// recorder with `recordingInterval` as the timeslice. Resolves to its `SensorStream`.
    #[wasm_bindgen(js_name = startStream, unchecked_return_type = "Promise<SensorStream>")]
    pub fn start_stream(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "VideoStreamConfig")] config: JsValue,
    ) -> js_sys::Promise {
        let shared = self.shared.clone();
        let parsed = args::options(&config, "startStream", "videoConfig")
            .and_then(|v| StreamRequest::from_value(&v));
        promise(async move {
            let req = parsed?;
            shared.check_alive("startStream()")?;
            if !shared.state.borrow().status.is_connected {
                return Err(ProducerError::new(
                    ErrorKind::InvalidState,
                    "startStream() needs a connected producer: call connect() first",
                ));
            }
            start(shared, req).await
        })
    }

    /// Stops a stream: the recorder's last chunk is delivered, then its tracks are
    /// stopped. Resolves to the final `SensorStream` (also for a stream that already ended).
    #[wasm_bindgen(js_name = stopStream, unchecked_return_type = "Promise<SensorStream>")]
    pub fn stop_stream(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> js_sys::Promise {
        let shared = self.shared.clone();
        let id = args::string(&stream_id, "stopStream", "streamId");
        promise(async move {
            let id = id?;
            shared.check_alive("stopStream()")?;
            let s = shared.find_or_err(&id, "stopStream()")?;
            stream::stop(shared.clone(), s.clone()).await;
            Ok(stream_to_js(&s))
        })
    }

    /// Pauses a recording stream (no chunks until `resumeStream`).
    #[wasm_bindgen(js_name = pauseStream, unchecked_return_type = "Promise<void>")]
    pub fn pause_stream(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> js_sys::Promise {
        self.pause_or_resume(stream_id, true)
    }

    /// Resumes a paused stream.
    #[wasm_bindgen(js_name = resumeStream, unchecked_return_type = "Promise<void>")]
    pub fn resume_stream(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> js_sys::Promise {
        self.pause_or_resume(stream_id, false)
    }

    fn pause_or_resume(&self, stream_id: JsValue, pause: bool) -> js_sys::Promise {
        let shared = self.shared.clone();
        let (method, what) = if pause {
            ("pauseStream", "pauseStream()")
        } else {
            ("resumeStream", "resumeStream()")
        };
        let id = args::string(&stream_id, method, "streamId");
        promise(async move {
            let id = id?;
            shared.check_alive(what)?;
            let s = shared.find_or_err(&id, what)?;
            let (from, to) = if pause {
                (StreamPhase::Recording, StreamPhase::Paused)
            } else {
                (StreamPhase::Paused, StreamPhase::Recording)
            };
            let phase = s.phase();
            if phase == to {
                return Ok(JsValue::UNDEFINED);
            }
            if phase != from {
                return Err(ProducerError::new(
                    ErrorKind::InvalidState,
                    format!(
                        "{what}: stream \"{id}\" is {}, not {}",
                        phase.as_str(),
                        from.as_str()
                    ),
                ));
            }
            {
                let st = s.st.borrow();
                if let Some(r) = st.recorder.as_ref() {
                    if pause {
                        r.pause()?;
                    } else {
                        r.resume()?;
                    }
                }
            }
            s.info.borrow_mut().state = to;
            shared.emit_stream_update(&s);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Feeds a chunk to a `source: "external"` stream; it takes the same path as a
    /// recorder's chunk. `data` is a Blob, ArrayBuffer or typed array; `options.isHeader`
    /// pins (or, `false`, unpins) it as part of the header run. Returns its sequence number.
    #[wasm_bindgen(js_name = pushChunk)]
    pub fn push_chunk(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Blob | ArrayBuffer | ArrayBufferView")]
        data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PushChunkOptions")] options: JsValue,
    ) -> Result<f64, JsValue> {
        let stream_id = args::string(&stream_id, "pushChunk", "streamId").map_err(throw)?;
        let data = args::chunk_data(&data, "pushChunk", "data").map_err(throw)?;
        let pin = parse_push_options(&options).map_err(throw)?;
        let shared = &self.shared;
        shared.check_alive("pushChunk()").map_err(throw)?;
        let s = shared
            .find_or_err(&stream_id, "pushChunk()")
            .map_err(throw)?;
        {
            let info = s.info.borrow();
            if stream::captures(info.config.source) {
                return Err(throw(ProducerError::new(
                    ErrorKind::InvalidState,
                    format!("pushChunk(): stream \"{stream_id}\" records from a device; only source \"external\" streams take pushed chunks"),
                )));
            }
            if info.state != StreamPhase::Recording {
                return Err(throw(ProducerError::new(
                    ErrorKind::InvalidState,
                    format!("pushChunk(): stream \"{stream_id}\" is not recording (it is paused, stopping or stopped)"),
                )));
            }
        }
        let blob = to_blob(data, &s.info.borrow().mime_type).map_err(throw)?;
        match stream::on_chunk(shared, &s, blob, pin) {
            Some(seq) => Ok(seq as f64),
            // An empty chunk carries nothing: it gets no sequence number.
            None => Ok(-1.0),
        }
    }

    /// The streams that are recording, paused or stopping.
    #[wasm_bindgen(js_name = getActiveStreams, unchecked_return_type = "SensorStream[]")]
    pub fn get_active_streams(&self) -> Array {
        self.shared
            .live_streams()
            .iter()
            .filter(|s| s.phase().is_active())
            .map(|s| stream_to_js(s))
            .collect()
    }

    /// The `MediaStream` a stream records (for a live preview), or `undefined` for an
    /// external source or a stream that has stopped. The producer keeps ownership: do
    /// not stop its tracks; stop the stream instead.
    #[wasm_bindgen(js_name = getMediaStream)]
    pub fn get_media_stream(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> Result<Option<web_sys::MediaStream>, JsValue> {
        let stream_id = args::string(&stream_id, "getMediaStream", "streamId").map_err(throw)?;
        self.shared.check_alive("getMediaStream()").map_err(throw)?;
        let s = self
            .shared
            .find_or_err(&stream_id, "getMediaStream()")
            .map_err(throw)?;
        let media = s.st.borrow().media.clone();
        Ok(media)
    }

    /// Counters of delivered, dropped and held frames and bytes, totals and per stream.
    #[wasm_bindgen(unchecked_return_type = "ProducerMetricsSnapshot")]
    pub fn metrics(&self) -> JsValue {
        self.shared.metrics_js()
    }

    /// Sets the counters, the processing-time average and the memory trend back to zero.
    #[wasm_bindgen(js_name = resetMetrics)]
    pub fn reset_metrics(&self) -> Result<(), JsValue> {
        self.shared.check_alive("resetMetrics()").map_err(throw)?;
        self.shared.metrics.borrow_mut().reset(js_sys::Date::now());
        Ok(())
    }

    /// Memory readings now: bytes held by the rings, wasm memory, and where the browser
    /// has them the JS heap and the last user-agent-specific measurement (`null` where
    /// absent, never 0).
    #[wasm_bindgen(unchecked_return_type = "MemoryReadings")]
    pub fn memory(&self) -> Result<JsValue, JsValue> {
        self.shared.check_alive("memory()").map_err(throw)?;
        Ok(monitor::readings(&self.shared)
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .unwrap_or(JsValue::UNDEFINED))
    }

    /// Subscribes to memory pressure: called (at most once per `memoryWarningCooldown`)
    /// after the relief action, with the readings and what was freed. Returns the
    /// unsubscribe function.
    #[wasm_bindgen(js_name = onMemoryPressure, unchecked_return_type = "() => void")]
    pub fn on_memory_pressure(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: MemoryPressureEvent) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onMemoryPressure")?;
        Ok(self.shared.on_memory_pressure.subscribe(f))
    }

    /// Calls `callback` with a metrics snapshot every `options.intervalMs` (50 – 600 000,
    /// default 1 000) until the returned function is called or the producer is destroyed.
    #[wasm_bindgen(js_name = onMetrics, unchecked_return_type = "() => void")]
    pub fn on_metrics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(metrics: ProducerMetricsSnapshot) => void")]
        callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "MetricsOptions")] options: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = args::function(callback, "onMetrics", "callback").map_err(throw)?;
        let interval = args::options(&options, "onMetrics", "options")
            .and_then(|v| metrics_interval(&v))
            .map_err(throw)?;
        self.shared.check_alive("onMetrics()").map_err(throw)?;
        let id = self.shared.next_metric_id.get().wrapping_add(1);
        self.shared.next_metric_id.set(id);
        let weak = Rc::downgrade(&self.shared);
        let timer = gloo_timers::callback::Interval::new(interval, move || {
            let Some(shared) = weak.upgrade() else { return };
            if shared.is_destroyed() {
                return;
            }
            let snapshot = shared.metrics_js();
            if let Err(thrown) = f.call1(&JsValue::UNDEFINED, &snapshot) {
                shared.emit_listener_error("onMetrics", thrown);
            }
        });
        self.shared.metric_timers.borrow_mut().push((id, timer));
        let weak = Rc::downgrade(&self.shared);
        let unsubscribe = Closure::<dyn Fn()>::new(move || {
            if let Some(shared) = weak.upgrade() {
                // Dropping the Interval clears it: it never fires again.
                let removed: Vec<_> = {
                    let mut timers = shared.metric_timers.borrow_mut();
                    let (gone, keep) = std::mem::take(&mut *timers)
                        .into_iter()
                        .partition(|(i, _)| *i == id);
                    *timers = keep;
                    gone
                };
                drop(removed);
            }
        });
        Ok(unsubscribe.into_js_value().unchecked_into())
    }

    /// Subscribes to quality changes (`{ from, to, reason, sample, streams }`); returns
    /// the unsubscribe function.
    #[wasm_bindgen(js_name = onQualityChange, unchecked_return_type = "() => void")]
    pub fn on_quality_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(change: QualityChangeEvent) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onQualityChange")?;
        Ok(self.shared.on_quality_change.subscribe(f))
    }

    /// The adaptive-quality state: enabled, current level, floor, ladder, device profile.
    #[wasm_bindgen(unchecked_return_type = "QualityState")]
    pub fn quality(&self) -> Result<JsValue, JsValue> {
        self.shared.check_alive("quality()").map_err(throw)?;
        Ok(crate::web::adaptive::state_js(&self.shared))
    }

    /// The device profile (class, caps) the producer measured, with what the config overrides.
    #[wasm_bindgen(js_name = deviceProfile, unchecked_return_type = "DeviceProfile")]
    pub fn device_profile(&self) -> Result<JsValue, JsValue> {
        self.shared.check_alive("deviceProfile()").map_err(throw)?;
        Ok(crate::web::adaptive::profile_js(&self.shared))
    }

    /// Subscribes to frames; returns the unsubscribe function. A listener that returns
    /// a Promise is awaited before it gets the next frame.
    #[wasm_bindgen(js_name = onFrame, unchecked_return_type = "() => void")]
    pub fn on_frame(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(frame: SensorFrame) => void | Promise<void>")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onFrame")?;
        let unsubscribe = self.shared.on_frame.subscribe(f);
        // Pending chunks (e.g. the header run, kept while nobody listened) go out now.
        // What piled up before a consumer was there is not its backlog (adaptive quality).
        for s in self.shared.live_streams() {
            {
                let mut st = s.st.borrow_mut();
                if st.consumer_from.is_none() {
                    st.consumer_from = Some(st.ring.next_seq());
                }
            }
            stream::kick_delivery(&self.shared, &s);
        }
        Ok(unsubscribe)
    }

    /// Subscribes to stream changes (started, paused, resumed, drops, stopped, ended).
    #[wasm_bindgen(js_name = onStreamUpdate, unchecked_return_type = "() => void")]
    pub fn on_stream_update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(stream: SensorStream) => void")] callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onStreamUpdate")?;
        Ok(self.shared.on_stream_update.subscribe(f))
    }

    /// Subscribes to status changes.
    #[wasm_bindgen(js_name = onStatusChange, unchecked_return_type = "() => void")]
    pub fn on_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(status: ConnectionStatus) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onStatusChange")?;
        Ok(self.shared.on_status_change.subscribe(f))
    }

    /// Subscribes to errors (each an `Error` with a meaningful `name`).
    #[wasm_bindgen(js_name = onError, unchecked_return_type = "() => void")]
    pub fn on_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(error: ProducerErrorEvent) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onError")?;
        Ok(self.shared.on_error.subscribe(f))
    }

    fn listener(&self, callback: JsValue, what: &str) -> Result<js_sys::Function, JsValue> {
        let f = args::function(callback, what, "callback").map_err(throw)?;
        self.shared
            .check_alive(&format!("{what}()"))
            .map_err(throw)?;
        Ok(f)
    }

    /// Releases everything at once: recorders stopped, every track the producer acquired
    /// stopped, timers cleared, DOM listeners removed, subscriptions dropped. Safe to
    /// call from inside a listener and more than once; any other call afterwards
    /// fails with `InvalidStateError`.
    pub fn destroy(&self) {
        self.shared.destroy();
    }
}

impl Drop for MediaRecorderProducer {
    fn drop(&mut self) {
        self.shared.destroy();
    }
}

fn parse_push_options(options: &JsValue) -> Result<Option<bool>, ProducerError> {
    // Read with Reflect, not serde: this runs once per pushed chunk.
    let Some(options) = args::optional_object(options, "pushChunk", "options")? else {
        return Ok(None);
    };
    let v = Reflect::get(options, &"isHeader".into()).unwrap_or(JsValue::UNDEFINED);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| {
        ProducerError::new(
            ErrorKind::InvalidType,
            "pushChunk(): options.isHeader must be a boolean",
        )
    })
}

fn to_blob(data: ChunkData, mime: &str) -> Result<Blob, ProducerError> {
    match data {
        ChunkData::Blob(b) => Ok(b),
        ChunkData::Buffer(bytes) => {
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(mime);
            Blob::new_with_buffer_source_sequence_and_options(&Array::of1(&bytes), &options)
                .map_err(|e| crate::web::error::from_js(&e))
        }
    }
}

/// Starts one stream (after validation and the connected check).
async fn start(shared: Rc<Shared>, req: StreamRequest) -> Result<JsValue, ProducerError> {
    let cfg = &shared.config;
    let captures = stream::captures(req.source);
    // Negotiate before acquiring anything: if nothing is supported, nothing is opened.
    let mime_type = if captures {
        let candidates = candidate_mime_types(&req, cfg);
        negotiate_mime_type(&candidates, web_sys::MediaRecorder::is_type_supported).ok_or_else(
            || {
                ProducerError::new(
                    ErrorKind::NotSupported,
                    format!(
                        "This browser's MediaRecorder supports none of: {}",
                        candidates.join(", ")
                    ),
                )
            },
        )?
    } else {
        req.mime_type.clone().unwrap_or_default()
    };
    let pool = shared.pool.borrow().clone();
    let media_stream = if captures {
        // The adaptive state's profile: it follows the battery once getBattery() answered.
        let profile = shared.adaptive.borrow().profile();
        let constraints = media_constraints(cfg, &req, &profile);
        let acquired = match &pool {
            Some(p) => p.acquire(req.source, &constraints).await,
            None => media::acquire(req.source, &constraints)
                .await
                .map(|m| (m, false)),
        };
        match acquired {
            Ok((m, reused)) => {
                let mut metrics = shared.metrics.borrow_mut();
                if reused {
                    metrics.record_connection_reuse();
                } else {
                    metrics.record_stream_creation();
                }
                Some(m)
            }
            Err(e) => {
                if !shared.is_destroyed() {
                    shared.set_status_error(Some(e.message.clone()));
                }
                return Err(e);
            }
        }
    } else {
        None
    };
    // Whatever fails from here on must not leave the tracks running.
    let guard = TrackGuard(media_stream.clone().map(|m| (m, pool.clone())));
    shared.check_alive("startStream()")?;

    let n = {
        let mut s = shared.state.borrow_mut();
        s.next_stream_no += 1;
        s.next_stream_no
    };
    let id = format!("{}-stream-{n}", shared.id);
    let name = req.name.clone().unwrap_or_else(|| {
        format!(
            "{} {n}",
            match req.source {
                crate::core::config::Source::Camera => "camera",
                crate::core::config::Source::Microphone => "microphone",
                crate::core::config::Source::Screen => "screen",
                crate::core::config::Source::External => "external",
            }
        )
    });
    // WebM (recorded or pushed) is scanned for the end of its header; other containers
    // pin their first chunk. Pushed chunks may say otherwise (`isHeader`).
    let policy = if is_webm(&mime_type) {
        HeaderPolicy::Scan
    } else {
        HeaderPolicy::FirstChunk
    };
    let limits = RingLimits {
        max_chunks: cfg.buffer_capacity as usize,
        max_bytes: cfg.buffer_max_bytes,
        keep_delivered: cfg.retain == Retain::All,
    };
    let has_video = media_stream
        .as_ref()
        .map(|m| m.get_video_tracks().length() > 0)
        .unwrap_or(req.video);
    let video_bps =
        (captures && has_video).then(|| req.bitrate.unwrap_or(cfg.video_bits_per_second));
    let settings = media_stream
        .as_ref()
        .map(media::video_settings)
        .unwrap_or_default();
    let info = StreamInfo {
        id: id.clone(),
        name,
        kind: if has_video { "video" } else { "audio" },
        config: req.clone(),
        active: true,
        state: StreamPhase::Recording,
        mime_type: mime_type.clone(),
        start_time: js_sys::Date::now(),
        end_time: None,
        total_frames: 0,
        frames_dropped: 0,
        bytes_dropped: 0,
        end_reason: None,
    };
    let s = Rc::new(Stream {
        info: RefCell::new(info),
        st: RefCell::new(StreamState {
            ring: ChunkRing::new(limits, policy),
            scanner: (policy == HeaderPolicy::Scan).then(HeaderScanner::new),
            scan_queue: Default::default(),
            scanning: false,
            delivering: false,
            flushing: false,
            flush_signal: None,
            finalizing: false,
            stop_requested: false,
            end_reason: None,
            recorder: None,
            media: None,
            track_listeners: Vec::new(),
            tick: None,
            settings,
            video_bps,
            complete_abandoned: false,
            pool: pool.clone(),
            level: None,
            segment: 0,
            retiring: None,
            restarting: false,
            retired: false,
            next_bps: None,
            consumer_from: None,
        }),
        finalized: Default::default(),
        is_finalized: Cell::new(false),
        idle: Default::default(),
        consts: RefCell::new(None),
        delivery: RefCell::new(None),
        in_flight: RefCell::new(None),
        awaiting: RefCell::new(None),
    });

    if let Some(m) = &media_stream {
        let recorder = stream::make_recorder(&shared, &s, m, &mime_type, video_bps)?;
        let listeners = stream::watch_tracks(&shared, &s, m);
        recorder.start(cfg.recording_interval_ms)?;
        let actual = recorder.mime_type();
        if !actual.is_empty() {
            s.info.borrow_mut().mime_type = actual;
        }
        let mut st = s.st.borrow_mut();
        st.recorder = Some(recorder);
        st.track_listeners = listeners;
        // `Clone::clone`, not `m.clone()`: MediaStream has an inherent `clone()` that
        // makes a new stream with new (live) tracks.
        st.media = Some(Clone::clone(m));
    }
    // The drain tick: restarts delivery if chunks wait while the loop is idle, and
    // notices tracks that ended without an `ended` event.
    let (ws, wst) = (Rc::downgrade(&shared), Rc::downgrade(&s));
    let tick = gloo_timers::callback::Interval::new(cfg.chunk_processing_interval_ms, move || {
        if let (Some(sh), Some(st)) = (ws.upgrade(), wst.upgrade()) {
            stream::kick_delivery(&sh, &st);
            stream::check_tracks(&sh, &st);
        }
    });
    s.st.borrow_mut().tick = Some(tick);
    guard.disarm();
    shared.state.borrow_mut().streams.push(s.clone());
    if captures && has_video && shared.config.adaptive.enabled {
        crate::web::adaptive::start(&shared);
        let level = shared.adaptive.borrow().level();
        if level.index > 0 {
            // Quality was lowered before this stream started: it starts at that level.
            crate::web::adaptive::apply_level(s.clone(), level).await;
        } else {
            s.st.borrow_mut().level = Some(level);
        }
    }
    if shared.state.borrow().status.error.is_some() {
        shared.set_status_error(None);
    }
    shared.emit_stream_update(&s);
    Ok(stream_to_js(&s))
}

/// Gives back (to its pool) or stops the stream being set up unless
/// [`disarm`](Self::disarm)ed.
struct TrackGuard(Option<(web_sys::MediaStream, Option<Rc<PoolShared>>)>);

impl TrackGuard {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for TrackGuard {
    fn drop(&mut self) {
        match self.0.take() {
            Some((m, Some(pool))) => {
                let _ = pool.release(&m);
            }
            Some((m, None)) => media::stop_tracks(&m),
            None => {}
        }
    }
}
