//! `startStream()`: a stream put together. What records it, its types and whether it is
//! indexed are the core's decisions (`core::assembly`, host-tested); here the browser
//! is asked (the WebCodecs probe, `isTypeSupported`), the media acquired and the parts
//! made, in an order that opens nothing when nothing is supported.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::{pipeline_to_js, Hub};
use crate::core::assembly::{
    self, engine_after_probe, engine_step, stream_types, wants_index, EngineDecision, EngineKind,
    EngineStep,
};
use crate::core::config::{FrameData, Retain, StreamRequest};
use crate::core::constraints::media_constraints;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::lifecycle::Lifecycle;
use crate::core::ring::RingLimits;
use crate::core::stream::{StreamInfo, StreamPhase};
use crate::web::adaptive::{self, AdaptiveHost};
use crate::web::engine::codecs::{self, CodecsEngine, CodecsSetup, Probe};
use crate::web::engine::fallback::FallbackEngine;
use crate::web::engine::push::PushEngine;
use crate::web::engine::recorder::RecorderEngine;
use crate::web::engine::Engine;
use crate::web::features;
use crate::web::kept::KeptFile;
use crate::web::media::{self, MediaLease};
use crate::web::pipeline::sink::{OpfsSink, Sink, WritableStreamSink};
use crate::web::pipeline::{PipelineHost, PipelineSetup, StreamPipeline};

impl Hub {
    /// `startStream()`: decides, acquires the media, makes the engine and the pipeline.
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
        let captures = assembly::captures(&req);
        // Decided before anything is opened: if nothing is supported, nothing is.
        let engine = match captures {
            true => Some(self.choose_engine(&req).await?),
            false => None,
        };
        self.check_alive("startStream()")?;
        let types = stream_types(
            &req,
            &self.config,
            engine.as_ref().map(|e| &e.kind),
            web_sys::MediaRecorder::is_type_supported,
        )?;
        // Replay, retain: "all" and OPFS files are the keep module's: fetched now if this
        // stream is the first to need it, before any device opens.
        if req.sink.is_some() || wants_index(&req, &self.config, &types.mime_type) {
            features::keep().await?;
            self.check_alive("startStream()")?;
        }
        // Whatever fails from here on drops the lease: the tracks stop or go back.
        let lease = match captures {
            true => Some(self.acquire(&req).await?),
            false => None,
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
                let file =
                    Rc::new(KeptFile::create(&name, &types.mime_type, js_sys::Date::now()).await?);
                self.check_alive("startStream()")?;
                sinks.push(Box::new(OpfsSink::new(file.clone())));
                Some(file)
            }
            None => None,
        };
        let cfg = &self.config;
        let has_video = lease
            .as_ref()
            .map(|l| l.stream().get_video_tracks().length() > 0)
            .unwrap_or(req.video);
        let video_bps =
            (captures && has_video).then(|| req.bitrate.unwrap_or(cfg.video_bits_per_second));
        let (kind, engine_reason) = match engine {
            Some(EngineDecision { kind, reason }) => (Some(kind), Some(reason)),
            None => (None, None),
        };
        let hardware_acceleration = match &kind {
            Some(EngineKind::WebCodecs { plan, hardware, .. }) => {
                plan.video.map(|_| hardware.unwrap_or("no-preference"))
            }
            _ => None,
        };
        let engine = self.make_engine(lease.as_ref(), kind, types.recorder, video_bps, &req);
        let index = wants_index(&req, cfg, &types.mime_type);
        let info = StreamInfo {
            id,
            name: assembly::stream_name(&req, n),
            kind: if has_video { "video" } else { "audio" },
            config: req.clone(),
            active: true,
            state: StreamPhase::Recording,
            mime_type: types.mime_type,
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

    /// The engine for a capturing stream, with the reason in words. `engine:
    /// "webcodecs"` where it cannot run is a `NotSupportedError` naming what is
    /// missing; `"auto"` falls back to MediaRecorder and says why.
    async fn choose_engine(&self, req: &StreamRequest) -> Result<EngineDecision, ProducerError> {
        let plan = match engine_step(req, &self.config)? {
            EngineStep::Decided(d) => return Ok(d),
            EngineStep::Probe(plan) => plan,
        };
        let (w, h) = (req.width.unwrap_or(1280), req.height.unwrap_or(720));
        let bps = req.bitrate.unwrap_or(self.config.video_bits_per_second);
        let mobile = self.adaptive.borrow().profile().mobile;
        let prefer_hardware = req.prefer_hardware.unwrap_or(mobile);
        // A browser without MediaStreamTrackProcessor (Firefox) is told apart here,
        // without fetching the codecs module.
        let has = |name: &str| {
            js_sys::Reflect::get(&js_sys::global(), &name.into()).is_ok_and(|f| f.is_function())
        };
        let probe = if !has("MediaStreamTrackProcessor") {
            Probe::Missing("MediaStreamTrackProcessor".into())
        } else {
            match features::codecs().await {
                Ok(c) => codecs::probe(&c, &plan, w, h, bps, prefer_hardware).await?,
                Err(e) => Probe::Unavailable(e.message),
            }
        };
        engine_after_probe(req.engine, plan, probe)
    }

    /// The engine the decision names, on `lease`'s stream (none: pushed chunks).
    fn make_engine(
        &self,
        lease: Option<&MediaLease>,
        kind: Option<EngineKind>,
        recorder_mime: Option<String>,
        video_bps: Option<u32>,
        req: &StreamRequest,
    ) -> Rc<dyn Engine> {
        let cfg = &self.config;
        let push = || -> Rc<dyn Engine> {
            Rc::new(PushEngine::new(req.mime_type.clone().unwrap_or_default()))
        };
        let Some(lease) = lease else { return push() };
        let stream = lease.stream();
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
        match (kind, recorder) {
            (Some(EngineKind::WebCodecs { plan, hardware, .. }), standby) => {
                // Loaded by choose_engine, which chose this engine.
                let Some(module) = features::codecs_loaded() else {
                    return match standby {
                        Some(r) => Rc::new(r),
                        None => push(),
                    };
                };
                let track = |list: js_sys::Array| {
                    wasm_bindgen::JsCast::dyn_into::<web_sys::MediaStreamTrack>(list.get(0)).ok()
                };
                let settings = media::video_settings(stream);
                let size =
                    |v: Option<i32>, d: u32| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(d);
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
                    codecs: module,
                }));
                // `auto`: MediaRecorder stands by in case the encoder fails.
                match standby {
                    Some(r) => Rc::new(FallbackEngine::new(codecs, r)),
                    None => codecs,
                }
            }
            (_, Some(r)) => Rc::new(r),
            // Not reached: a capture without a MediaRecorder type failed in stream_types.
            (_, None) => push(),
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
}
