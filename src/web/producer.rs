//! `MediaRecorderProducer`: the exported producer, keeping the origin's
//! `ProducerSensorDriver` contract (see `shared/ORIGIN.md`). A thin facade: each method
//! reads its arguments at the door ([`args`]) and hands over to the [`Hub`].

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::core::config::{metrics_interval, ProducerConfig, StreamRequest};
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::hub::{pipeline_to_js, Hub};
use crate::web::interop::{self, args, to_js};
use crate::web::pipeline::sink::{ObjectSink, Sink, WritableStreamSink};
use crate::web::pool::pool_arg;

thread_local! {
    static NEXT_PRODUCER: Cell<u32> = const { Cell::new(1) };
}

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
    hub: Rc<Hub>,
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
        interop::install();
        let value = args::options(&config, "new MediaRecorderProducer", "config").map_err(throw)?;
        let config = ProducerConfig::from_value(&value).map_err(throw)?;
        let n = NEXT_PRODUCER.with(|c| {
            let n = c.get();
            c.set(n.wrapping_add(1));
            n
        });
        let id = format!("media-recorder-{}-{n}", js_sys::Date::now() as u64);
        Ok(MediaRecorderProducer {
            hub: Hub::new(id, config),
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
        let pool = pool_arg(&pool, "usePool", "pool").map_err(throw)?;
        self.hub.check_alive("usePool()").map_err(throw)?;
        self.hub.set_pool(Some(pool));
        Ok(())
    }

    /// Stops using a pool: later streams are opened by the producer itself.
    #[wasm_bindgen(js_name = detachPool)]
    pub fn detach_pool(&self) {
        self.hub.set_pool(None);
    }

    /// Unique id of this producer.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.hub.id().to_string()
    }

    /// Always `"producer"`.
    #[wasm_bindgen(getter = type)]
    pub fn kind(&self) -> String {
        "producer".to_string()
    }

    /// Display name (`config.name`, default "MediaRecorder Producer").
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.hub.name().to_string()
    }

    /// The connection status now.
    #[wasm_bindgen(getter, unchecked_return_type = "ConnectionStatus")]
    pub fn status(&self) -> JsValue {
        self.hub.status_js()
    }

    /// Whether `destroy()` has run.
    #[wasm_bindgen(getter)]
    pub fn destroyed(&self) -> bool {
        self.hub.is_destroyed()
    }

    /// Checks that the browser can record and (with `probeOnConnect`, the default) that
    /// the devices can be opened, then releases them again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> js_sys::Promise {
        let hub = self.hub.clone();
        promise(async move { hub.connect().await.map(|()| JsValue::UNDEFINED) })
    }

    /// Stops every stream (delivering their last frames) and marks the producer
    /// disconnected. Listeners stay subscribed; `connect()` may be called again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> js_sys::Promise {
        let hub = self.hub.clone();
        promise(async move { hub.disconnect().await.map(|()| JsValue::UNDEFINED) })
    }

    /// Starts a stream: acquires the media, negotiates the recorder type, starts the
    /// recorder with `recordingInterval` as the timeslice. Resolves to its `SensorStream`.
    /// `videoConfig.sinks` (WritableStreams) take every chunk as a Blob.
    #[wasm_bindgen(js_name = startStream, unchecked_return_type = "Promise<SensorStream>")]
    pub fn start_stream(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "VideoStreamConfig")] config: JsValue,
    ) -> js_sys::Promise {
        let hub = self.hub.clone();
        let parsed = stream_request(&config);
        promise(async move {
            let (req, sinks) = parsed?;
            hub.start_stream(req, sinks).await
        })
    }

    /// Stops a stream: the recorder's last chunk is delivered, then its tracks are
    /// stopped. Resolves to the final `SensorStream` (also for a stream that already ended).
    #[wasm_bindgen(js_name = stopStream, unchecked_return_type = "Promise<SensorStream>")]
    pub fn stop_stream(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> js_sys::Promise {
        let hub = self.hub.clone();
        let id = args::string(&stream_id, "stopStream", "streamId");
        promise(async move {
            let id = id?;
            hub.check_alive("stopStream()")?;
            let p = hub.find(&id, "stopStream()")?;
            p.stop().await;
            pipeline_to_js(&p)
        })
    }

    /// The recording of a `readable: true` stream as a `ReadableStream` of its chunks
    /// (Blobs) from its header on: written to as a sink is (in order, each once, held
    /// while the reader is behind). It ends with the stream, also on `destroy()`; a
    /// cancelled one is left out as a failed sink is. Once per stream, else
    /// `InvalidStateError`.
    #[wasm_bindgen(unchecked_return_type = "ReadableStream<Blob>")]
    pub fn readable(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = args::string(&stream_id, "readable", "streamId").map_err(throw)?;
        self.hub.check_alive("readable()").map_err(throw)?;
        let p = self.hub.find(&id, "readable()").map_err(throw)?;
        p.take_readable().map_err(throw)
    }

    /// Instant replay: the last `options.seconds` (default: all the ring holds) of a
    /// stream started with `replay: true`, as a seekable WebM (MP4 for an MP4 stream)
    /// that starts at a keyframe, its time starting at 0. Built from the chunks the ring holds (the
    /// replay window is the ring's byte budget); nothing is read again.
    #[wasm_bindgen(unchecked_return_type = "Promise<Blob>")]
    pub fn snapshot(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SnapshotOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let hub = self.hub.clone();
        let id = args::string(&stream_id, "snapshot", "streamId");
        let seconds = args::options(&options, "snapshot", "options")
            .and_then(|v| crate::core::config::snapshot_seconds(&v));
        promise(async move {
            let (id, seconds) = (id?, seconds?);
            hub.check_alive("snapshot()")?;
            let p = hub.find(&id, "snapshot()")?;
            p.snapshot(seconds).await.map(JsValue::from)
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
        let hub = self.hub.clone();
        let (method, what) = if pause {
            ("pauseStream", "pauseStream()")
        } else {
            ("resumeStream", "resumeStream()")
        };
        let id = args::string(&stream_id, method, "streamId");
        promise(async move {
            let id = id?;
            hub.check_alive(what)?;
            let p = hub.find(&id, what)?;
            p.pause_or_resume(pause)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Records a stream's video at `bitsPerSecond` (10 000 – 100 000 000) from now on:
    /// in place with the WebCodecs engine (`"in-place"`), as a new segment with
    /// MediaRecorder (`"new-segment"`); `"unsupported"` without video or for pushed chunks.
    #[wasm_bindgen(js_name = setBitrate, unchecked_return_type = "\"in-place\" | \"new-segment\" | \"unsupported\"")]
    pub fn set_bitrate(
        &self,
        #[wasm_bindgen(js_name = streamId, unchecked_param_type = "string")] stream_id: JsValue,
        #[wasm_bindgen(js_name = bitsPerSecond, unchecked_param_type = "number")] bps: JsValue,
    ) -> Result<String, JsValue> {
        let stream_id = args::string(&stream_id, "setBitrate", "streamId").map_err(throw)?;
        let bps = match bps.as_f64() {
            Some(n) if n.fract() == 0.0 && (10_000.0..=100_000_000.0).contains(&n) => n as u32,
            Some(_) => {
                return Err(throw(ProducerError::new(
                    ErrorKind::OutOfRange,
                    "setBitrate: bitsPerSecond must be an integer from 10000 to 100000000",
                )))
            }
            None => {
                return Err(throw(args::wrong_type(
                    "setBitrate",
                    "bitsPerSecond",
                    "a number",
                    &bps,
                )))
            }
        };
        self.hub.check_alive("setBitrate()").map_err(throw)?;
        let p = self.hub.find(&stream_id, "setBitrate()").map_err(throw)?;
        if p.phase() != crate::core::stream::StreamPhase::Recording {
            return Err(throw(ProducerError::new(
                ErrorKind::InvalidState,
                ["setBitrate(): stream \"", &stream_id, "\" is not recording"].concat(),
            )));
        }
        Ok(p.request_bitrate(bps).into())
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
        self.hub.check_alive("pushChunk()").map_err(throw)?;
        let p = self.hub.find(&stream_id, "pushChunk()").map_err(throw)?;
        if p.captures() {
            return Err(throw(ProducerError::new(
                ErrorKind::InvalidState,
                format!("pushChunk(): stream \"{stream_id}\" records from a device; only source \"external\" streams take pushed chunks"),
            )));
        }
        if p.phase() != crate::core::stream::StreamPhase::Recording {
            return Err(throw(ProducerError::new(
                ErrorKind::InvalidState,
                format!("pushChunk(): stream \"{stream_id}\" is not recording (it is paused, stopping or stopped)"),
            )));
        }
        // (Not `p.info()`: a clone of the whole StreamInfo per chunk.)
        let blob = interop::chunk_blob(data, || p.mime_type()).map_err(throw)?;
        // An empty chunk carries nothing: it gets no sequence number.
        Ok(p.push(blob, pin).map_or(-1.0, |seq| seq as f64))
    }

    /// The streams that are recording, paused or stopping.
    #[wasm_bindgen(js_name = getActiveStreams, unchecked_return_type = "SensorStream[]")]
    pub fn get_active_streams(&self) -> Array {
        // (A conversion cannot fail for these plain structs; if it did, the entry would
        // be the error, never a silent gap.)
        self.hub
            .live_streams()
            .iter()
            .filter(|p| p.phase().is_active())
            .map(|p| pipeline_to_js(p).unwrap_or_else(throw))
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
        self.hub.check_alive("getMediaStream()").map_err(throw)?;
        let p = self
            .hub
            .find(&stream_id, "getMediaStream()")
            .map_err(throw)?;
        Ok(p.media())
    }

    /// Counters of delivered, dropped and held frames and bytes, totals and per stream.
    #[wasm_bindgen(unchecked_return_type = "ProducerMetricsSnapshot")]
    pub fn metrics(&self) -> JsValue {
        self.hub.metrics_js().unwrap_or_else(throw)
    }

    /// Sets the counters, the processing-time average and the memory trend back to zero.
    #[wasm_bindgen(js_name = resetMetrics)]
    pub fn reset_metrics(&self) -> Result<(), JsValue> {
        self.hub.check_alive("resetMetrics()").map_err(throw)?;
        self.hub.reset_metrics();
        Ok(())
    }

    /// Memory readings now: bytes held by the rings, wasm memory, and where the browser
    /// has them the JS heap and the last user-agent-specific measurement (`null` where
    /// absent, never 0).
    #[wasm_bindgen(unchecked_return_type = "MemoryReadings")]
    pub fn memory(&self) -> Result<JsValue, JsValue> {
        self.hub.check_alive("memory()").map_err(throw)?;
        self.hub.memory_js().map_err(throw)
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
        Ok(self.hub.events.memory_pressure.subscribe(f))
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
        self.hub.check_alive("onMetrics()").map_err(throw)?;
        let id = self.hub.start_metrics(f, interval);
        let weak = Rc::downgrade(&self.hub);
        let unsubscribe = Closure::<dyn Fn()>::new(move || {
            if let Some(hub) = weak.upgrade() {
                hub.stop_metrics(id);
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
        Ok(self.hub.events.quality.subscribe(f))
    }

    /// The adaptive-quality state: enabled, current level, floor, ladder, device profile.
    #[wasm_bindgen(unchecked_return_type = "QualityState")]
    pub fn quality(&self) -> Result<JsValue, JsValue> {
        self.hub.check_alive("quality()").map_err(throw)?;
        self.hub.quality_js().map_err(throw)
    }

    /// The device profile (class, caps) the producer measured, with what the config overrides.
    #[wasm_bindgen(js_name = deviceProfile, unchecked_return_type = "DeviceProfile")]
    pub fn device_profile(&self) -> Result<JsValue, JsValue> {
        self.hub.check_alive("deviceProfile()").map_err(throw)?;
        self.hub.profile_js().map_err(throw)
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
        let unsubscribe = self.hub.events.frame.subscribe(f);
        self.hub.frame_listener_added();
        Ok(unsubscribe)
    }

    /// Subscribes to stream changes (started, paused, resumed, drops, stopped, ended).
    #[wasm_bindgen(js_name = onStreamUpdate, unchecked_return_type = "() => void")]
    pub fn on_stream_update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(stream: SensorStream) => void")] callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onStreamUpdate")?;
        Ok(self.hub.events.stream_update.subscribe(f))
    }

    /// Subscribes to status changes.
    #[wasm_bindgen(js_name = onStatusChange, unchecked_return_type = "() => void")]
    pub fn on_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(status: ConnectionStatus) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onStatusChange")?;
        Ok(self.hub.events.status.subscribe(f))
    }

    /// Subscribes to errors (each an `Error` with a meaningful `name`).
    #[wasm_bindgen(js_name = onError, unchecked_return_type = "() => void")]
    pub fn on_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(error: ProducerErrorEvent) => void")]
        callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = self.listener(callback, "onError")?;
        Ok(self.hub.events.error.subscribe(f))
    }

    fn listener(&self, callback: JsValue, what: &str) -> Result<js_sys::Function, JsValue> {
        let f = args::function(callback, what, "callback").map_err(throw)?;
        self.hub.check_alive(&format!("{what}()")).map_err(throw)?;
        Ok(f)
    }

    /// Releases everything at once: recorders stopped, every track the producer acquired
    /// stopped, timers cleared, DOM listeners removed, subscriptions dropped. Safe to
    /// call from inside a listener and more than once; any other call afterwards
    /// fails with `InvalidStateError`.
    pub fn destroy(&self) {
        self.hub.destroy();
    }

    /// `free()` and `[Symbol.dispose]()` (`using`) are `destroy()`: an app that frees
    /// its producer means to stop it. (This method comes after the `free` wasm-bindgen
    /// writes into the class, so it is the one JS calls; the producer's memory goes
    /// with its JS object, as any collected producer's does: see `hub/keep.rs`.)
    #[wasm_bindgen(js_name = free)]
    pub fn free_now(&self) {
        self.hub.destroy();
    }
}

/// Not API: a weak look at a producer's inside, for the browser tests of who keeps a
/// producer alive (`tests/keepalive.rs`). Rust only: never exported to JS, so the
/// shipped wasm does not hold it.
#[doc(hidden)]
pub struct Watch(std::rc::Weak<Hub>);

impl Watch {
    /// Whether the producer's inside still exists (held by the app, or by a live stream).
    pub fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl MediaRecorderProducer {
    /// See [`Watch`].
    #[doc(hidden)]
    pub fn watch(&self) -> Watch {
        Watch(Rc::downgrade(&self.hub))
    }
}

/// The app let go of the producer (wasm-bindgen's finalizer, after a garbage
/// collection): it lives on while a stream is live, as a recording `MediaRecorder`
/// does, and is destroyed when nothing is (see `hub/keep.rs`).
impl Drop for MediaRecorderProducer {
    fn drop(&mut self) {
        self.hub.abandon();
    }
}

/// `startStream`'s argument: the stream request (validated by the core) and its
/// `sinks`, which are JS objects and so are taken out before the config is parsed.
fn stream_request(config: &JsValue) -> Result<(StreamRequest, Vec<Box<dyn Sink>>), ProducerError> {
    let Some(object) = args::optional_object(config, "startStream", "videoConfig")? else {
        return Ok((
            StreamRequest::from_value(&crate::core::value::Value::Null)?,
            Vec::new(),
        ));
    };
    let sinks_value = interop::get(object, "sinks");
    if sinks_value.is_undefined() {
        let value = args::options(config, "startStream", "videoConfig")?;
        return Ok((StreamRequest::from_value(&value)?, Vec::new()));
    }
    let list = sinks_value.dyn_ref::<Array>().ok_or_else(|| {
        ProducerError::new(
            ErrorKind::InvalidType,
            "startStream: videoConfig.sinks must be an array of WritableStreams or sink objects",
        )
    })?;
    // The rest of the config without `sinks`, for the core's validation.
    let rest = js_sys::Object::assign(&js_sys::Object::new(), object);
    let _ = js_sys::Reflect::delete_property(&rest, &"sinks".into());
    let value = args::options(&rest.into(), "startStream", "videoConfig")?;
    let req = StreamRequest::from_value(&value)?;
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    for s in list.iter() {
        if s.is_instance_of::<web_sys::WritableStream>() {
            sinks.push(Box::new(WritableStreamSink::new(&s)?));
        } else if s.is_object() {
            sinks.push(Box::new(ObjectSink::new(&s)?));
        } else {
            return Err(args::wrong_type(
                "startStream",
                "videoConfig.sinks[]",
                "a WritableStream or a sink object",
                &s,
            ));
        }
    }
    Ok((req, sinks))
}

fn parse_push_options(options: &JsValue) -> Result<Option<bool>, ProducerError> {
    // Read with Reflect, not serde: this runs once per pushed chunk.
    let Some(options) = args::optional_object(options, "pushChunk", "options")? else {
        return Ok(None);
    };
    let v = interop::get(options, "isHeader");
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
