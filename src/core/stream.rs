//! Bookkeeping of one stream: its lifecycle and the `SensorStream` a caller sees.

use crate::core::config::StreamRequest;
use crate::core::emit::{object, opt_num, opt_text, Emit, Out};
use crate::core::ring::RingStats;

/// Where a stream is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamPhase {
    /// Recording (or accepting pushed chunks).
    Recording,
    /// Paused by `pauseStream`.
    Paused,
    /// `stopStream` was called; the last chunks are being delivered.
    Stopping,
    /// Stopped by `stopStream`, `disconnect()` or `destroy()`.
    Stopped,
    /// Ended on its own: a track ended (device lost) or the recorder failed.
    Ended,
}

impl StreamPhase {
    /// Whether the stream still records or may resume.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            StreamPhase::Recording | StreamPhase::Paused | StreamPhase::Stopping
        )
    }

    /// The name JS sees (`"recording"`, `"paused"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamPhase::Recording => "recording",
            StreamPhase::Paused => "paused",
            StreamPhase::Stopping => "stopping",
            StreamPhase::Stopped => "stopped",
            StreamPhase::Ended => "ended",
        }
    }

    /// Whether the stream is over.
    pub fn is_over(self) -> bool {
        matches!(self, StreamPhase::Stopped | StreamPhase::Ended)
    }
}

/// What a caller sees of a stream (`SensorStream` in JS). Times are epoch ms; the shell
/// turns `startTime`/`endTime` into `Date`s as the origin's interface has them.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// Stream id, unique per page.
    pub id: String,
    /// Stream name (the request's `name`, or one made from the source).
    pub name: String,
    /// `"video"` or `"audio"`.
    pub kind: &'static str,
    /// The validated request.
    pub config: StreamRequest,
    /// Whether it records (or may resume).
    pub active: bool,
    /// The lifecycle phase.
    pub state: StreamPhase,
    /// The recorder's negotiated type (or the external source's).
    pub mime_type: String,
    /// When recording started (epoch ms).
    pub start_time: f64,
    /// When it stopped or ended (epoch ms).
    pub end_time: Option<f64>,
    /// Frames delivered so far.
    pub total_frames: u64,
    /// Frames (chunks) evicted before delivery.
    pub frames_dropped: u64,
    /// Bytes evicted before delivery.
    pub bytes_dropped: u64,
    /// Why it ended on its own, if it did.
    pub end_reason: Option<String>,
    /// The engine that records it (`"mediarecorder"`, `"webcodecs"`; none for pushed
    /// chunks).
    pub engine: Option<&'static str>,
    /// Why that engine: what was asked for and what the browser has.
    pub engine_reason: Option<String>,
    /// WebCodecs engine: where its video encoder runs (`"main-thread"` or `"worker"`).
    pub engine_mode: Option<&'static str>,
    /// WebCodecs engine: the `hardwareAcceleration` its video encoder was configured
    /// with (`"prefer-hardware"` or `"no-preference"`).
    pub hardware_acceleration: Option<&'static str>,
    /// WebCodecs engine: video frames dropped before encoding (the encoder's queue
    /// was full, or the stream paused), apart from [`Self::frames_dropped`] (chunks
    /// evicted from the ring).
    pub frames_dropped_before_encoding: Option<u64>,
}

impl StreamInfo {
    /// Refreshes the counters from the ring's.
    pub fn update_counts(&mut self, ring: &RingStats) {
        self.total_frames = ring.delivered_chunks;
        self.frames_dropped = ring.dropped_chunks;
        self.bytes_dropped = ring.dropped_bytes;
    }
}

impl Emit for StreamInfo {
    fn fields(&self, o: &mut dyn Out) {
        o.text("id", &self.id);
        o.text("name", &self.name);
        o.text("type", self.kind);
        object(o, "config", &self.config);
        o.flag("active", self.active);
        o.text("state", self.state.as_str());
        o.text("mimeType", &self.mime_type);
        o.num("startTime", self.start_time);
        opt_num(o, "endTime", self.end_time);
        o.num("totalFrames", self.total_frames as f64);
        o.num("framesDropped", self.frames_dropped as f64);
        o.num("bytesDropped", self.bytes_dropped as f64);
        opt_text(o, "endReason", self.end_reason.as_deref());
        opt_text(o, "engine", self.engine);
        opt_text(o, "engineReason", self.engine_reason.as_deref());
        opt_text(o, "engineMode", self.engine_mode);
        opt_text(o, "hardwareAcceleration", self.hardware_acceleration);
        opt_num(
            o,
            "framesDroppedBeforeEncoding",
            self.frames_dropped_before_encoding.map(|n| n as f64),
        );
    }
}
