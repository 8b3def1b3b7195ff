//! The hub as its modules' host: what pipelines report ([`PipelineHost`]), what
//! adaptive quality decides ([`AdaptiveHost`]: applied here) and what the memory
//! monitor needs ([`MonitorHost`]).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use super::Hub;
use crate::core::config::ProducerConfig;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::quality::QualityChange;
use crate::core::ring::Dropped;
use crate::web::adaptive::{self, Adaptive, AdaptiveHost};
use crate::web::interop::{self, set};
use crate::web::listeners::ListenerSet;
use crate::web::monitor::{MemoryMonitor, MonitorHost, PressureSummary};
use crate::web::pipeline::{PipelineHost, Report, StreamPipeline};

impl Hub {
    /// Reports chunks evicted before delivery: an `onError` (`DataLossError`) and a
    /// stream update, deferred to a microtask so that no listener runs inside a call the
    /// app made (e.g. `pushChunk`).
    pub(super) fn report_drops(self: &Rc<Self>, p: &Rc<StreamPipeline>, dropped: Vec<Dropped>) {
        if dropped.is_empty() {
            return;
        }
        self.metrics
            .borrow_mut()
            .record_drops(dropped.len() as u64, dropped.iter().map(|d| d.size).sum());
        let (hub, p) = (self.clone(), p.clone());
        spawn_local(async move {
            if hub.is_destroyed() {
                return;
            }
            let n = dropped.len();
            let bytes: u64 = dropped.iter().map(|d| d.size).sum();
            let first = dropped.first().map(|d| d.seq).unwrap_or(0);
            let last = dropped.last().map(|d| d.seq).unwrap_or(0);
            let info = p.info();
            let why = if hub.events.frame.is_empty() {
                "no onFrame listener is subscribed"
            } else {
                "listeners did not keep up"
            };
            let err = ProducerError::new(
                ErrorKind::DataLoss,
                format!(
                    "Stream {}: {n} frame(s) ({bytes} bytes, sequence {first}..={last}) were evicted from the buffer before delivery because {why}; {} dropped so far (raise bufferMaxBytes/bufferCapacity or consume faster)",
                    info.id, info.frames_dropped
                ),
            );
            hub.emit_error_with(err, |e| {
                set(e, "streamId", &info.id.as_str().into());
                set(e, "framesDropped", &(n as f64).into());
                set(e, "bytesDropped", &(bytes as f64).into());
            });
            hub.emit_stream_update(&p);
        });
    }

    pub(super) fn stream_ended(
        self: &Rc<Self>,
        p: &Rc<StreamPipeline>,
        error: Option<ProducerError>,
    ) {
        self.retire(p);
        adaptive::stop_if_idle(self.as_ref());
        self.emit_stream_update(p);
        if let Some(e) = error {
            self.emit_error(e.clone());
            self.set_status_error(Some(e.message));
        }
        // Last: an abandoned producer whose last stream this was is destroyed here,
        // after its listeners heard the end.
        self.review_hold();
    }
}

impl PipelineHost for Hub {
    fn frame_listeners(&self) -> &ListenerSet {
        &self.events.frame
    }

    fn closed(&self) -> bool {
        self.is_destroyed()
    }

    fn now(&self) -> f64 {
        match &self.performance {
            Some(p) => p.now(),
            None => js_sys::Date::now(),
        }
    }

    fn report(self: Rc<Self>, p: &Rc<StreamPipeline>, report: Report) {
        match report {
            Report::Chunk { size } => self.metrics.borrow_mut().record_chunk(size),
            Report::Frame {
                size,
                processing_ms,
            } => self
                .metrics
                .borrow_mut()
                .record_frame(size, processing_ms, js_sys::Date::now()),
            Report::Drops(dropped) => self.report_drops(p, dropped),
            Report::Error(e) => self.emit_error(e),
            Report::ListenerError(event, thrown) => self.listener_error(event, thrown),
            Report::Updated => self.emit_stream_update(p),
            Report::Ended(error) => self.stream_ended(p, error),
        }
    }
}

impl AdaptiveHost for Hub {
    fn adaptive(&self) -> &RefCell<Adaptive> {
        &self.adaptive
    }

    fn config(&self) -> &ProducerConfig {
        &self.config
    }

    fn pipelines(&self) -> Vec<Rc<StreamPipeline>> {
        self.live_streams()
    }

    fn listening(&self) -> bool {
        !self.events.frame.is_empty()
    }

    fn now(&self) -> f64 {
        PipelineHost::now(self)
    }

    fn closed(&self) -> bool {
        self.is_destroyed()
    }

    /// Applies a quality change: the level to every capturing stream's track, then
    /// (with `restartOnBitrateChange`) the level's bitrate to its recorder, then the
    /// event, once the tracks have it.
    fn apply(self: Rc<Self>, change: QualityChange) {
        self.metrics.borrow_mut().record_quality_adaptation();
        let streams: Vec<Rc<StreamPipeline>> = self
            .live_streams()
            .into_iter()
            .filter(|p| p.media().is_some())
            .collect();
        let restart = self.config.adaptive.restart_on_bitrate_change;
        let log = self.log_to_console();
        let hub = self;
        spawn_local(async move {
            for p in &streams {
                p.apply_level(change.to).await;
            }
            // A WebCodecs stream changes its bitrate in place (free); a MediaRecorder
            // stream only with restartOnBitrateChange (a new segment).
            for p in &streams {
                if restart || p.bitrate_in_place() {
                    p.request_bitrate(change.to.video_bps);
                }
            }
            if hub.is_destroyed() {
                return;
            }
            if log {
                web_sys::console::info_1(
                    &format!(
                        "media-recorder-producer: quality {} → {} ({}x{}) because of {}",
                        change.from.index,
                        change.to.index,
                        change.to.width,
                        change.to.height,
                        change.reason
                    )
                    .into(),
                );
            }
            if hub.events.quality.is_empty() {
                return;
            }
            let event = crate::web::interop::emit(&change);
            let settings = js_sys::Array::new();
            for p in &streams {
                let s = p.settings();
                let o = interop::object();
                set(&o, "streamId", &p.id().into());
                if let Some(w) = s.width {
                    set(&o, "width", &w.into());
                }
                if let Some(h) = s.height {
                    set(&o, "height", &h.into());
                }
                if let Some(r) = s.frame_rate {
                    set(&o, "frameRate", &r.into());
                }
                settings.push(&o);
            }
            set(&event, "streams", &settings);
            hub.emit(&hub.events.quality, &event);
        });
    }
}

impl MonitorHost for Hub {
    fn monitor(&self) -> &RefCell<MemoryMonitor> {
        &self.monitor
    }

    fn config(&self) -> &ProducerConfig {
        &self.config
    }

    fn pipelines(&self) -> Vec<Rc<StreamPipeline>> {
        self.live_streams()
    }

    fn performance(&self) -> Option<web_sys::Performance> {
        self.performance.clone()
    }

    fn closed(&self) -> bool {
        self.is_destroyed()
    }

    fn record_memory(&self, pressure_mb: f64) {
        self.metrics.borrow_mut().record_memory_sample(pressure_mb);
    }

    fn release_idle_pooled(&self) -> u64 {
        let pool = self.pool.borrow().clone();
        pool.map_or(0, |p| p.release_idle() as u64)
    }

    fn pressure(&self, event: &JsValue, s: PressureSummary) {
        if self.log_to_console() {
            web_sys::console::warn_1(
                &format!(
                    "media-recorder-producer: memory pressure {} bytes over the {} byte threshold; released {} bytes, evicted {} frames ({} bytes)",
                    s.pressure_bytes, s.threshold_bytes, s.bytes_released, s.frames_evicted, s.bytes_evicted
                )
                .into(),
            );
        }
        if !self.events.memory_pressure.is_empty() {
            self.emit(&self.events.memory_pressure, event);
        }
    }
}
