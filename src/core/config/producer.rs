//! [`ProducerConfig`] (with its [`AdaptiveConfig`]) and its defaults, and the
//! `onMetrics` options.

use super::fields::{range, type_err, Fields};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::Value;

/// Default video bitrate handed to `MediaRecorder` (bits per second).
pub const DEFAULT_VIDEO_BPS: u32 = 2_500_000;
/// Default audio bitrate handed to `MediaRecorder` (bits per second).
pub const DEFAULT_AUDIO_BPS: u32 = 128_000;
/// Default timeslice for `MediaRecorder.start` (ms): one frame per interval.
pub const DEFAULT_RECORDING_INTERVAL_MS: u32 = 100;
/// Default chunk-count bound of each stream's ring.
pub const DEFAULT_BUFFER_CAPACITY: u32 = 64;
/// Default byte bound of each stream's ring (8 MiB).
pub const DEFAULT_BUFFER_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Default period of the drain tick (ms).
pub const DEFAULT_CHUNK_PROCESSING_INTERVAL_MS: u32 = 50;
/// Default capture size and rate, as the origin had them.
pub const DEFAULT_WIDTH: u32 = 1280;
/// Default capture height.
pub const DEFAULT_HEIGHT: u32 = 720;
/// Default capture frame rate.
pub const DEFAULT_FRAME_RATE: f64 = 30.0;

/// Default memory-pressure threshold (bytes held + JS heap): 100 MiB.
pub const DEFAULT_MEMORY_THRESHOLD: u64 = 100 * 1024 * 1024;
/// Default period of the memory check (ms).
pub const DEFAULT_MEMORY_CHECK_INTERVAL_MS: u32 = 5000;
/// Default least time between two relief actions (ms).
pub const DEFAULT_MEMORY_COOLDOWN_MS: u32 = 30_000;

/// Where the library writes its own diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Nowhere (default): report through events and `metrics()` only.
    None,
    /// Also `console.info`/`console.warn` memory pressure, drops and errors.
    Console,
}

/// What the ring keeps once a chunk has been delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retain {
    /// Keep only the header run and what is not yet delivered, within the bounds (default).
    Bounded,
    /// Keep the whole recording until the stream stops, then emit it as one last frame
    /// (`metadata.isComplete`). Memory grows with the recording: unbounded.
    All,
}

/// What a frame's `data` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameData {
    /// An `ArrayBuffer` of the chunk's bytes: one `blob.arrayBuffer()` read per chunk
    /// (default; the origin's contract).
    ArrayBuffer,
    /// The chunk's `Blob`, unread: what `fetch`, an OPFS write or `WebSocket.send` take.
    Blob,
}

/// The validated producer config (`new MediaRecorderProducer(config)`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerConfig {
    /// Display name of the producer (`name`).
    pub name: Option<String>,
    /// Base `MediaStreamConstraints` (`constraints`), passed on as given; stream options overlay it.
    pub constraints: Option<Value>,
    /// `videoBitsPerSecond`: 10 000 ..= 100 000 000, default 2 500 000.
    pub video_bits_per_second: u32,
    /// `audioBitsPerSecond`: 6 000 ..= 512 000, default 128 000.
    pub audio_bits_per_second: u32,
    /// `recordingInterval` (timeslice, ms): 10 ..= 60 000, default 100.
    pub recording_interval_ms: u32,
    /// `mimeTypes`: preference list; `None` means the built-in list for the tracks recorded.
    pub mime_types: Option<Vec<String>>,
    /// `bufferCapacity` (chunks held per stream): 1 ..= 100 000, default 64.
    pub buffer_capacity: u32,
    /// `bufferMaxBytes` (bytes held per stream): 1 024 ..= 2 GiB, default 8 MiB.
    pub buffer_max_bytes: u64,
    /// `chunkProcessingInterval` (drain tick, ms): 1 ..= 10 000, default 50.
    pub chunk_processing_interval_ms: u32,
    /// `retain`: `"bounded"` (default) or `"all"`.
    pub retain: Retain,
    /// `frameData`: `"arraybuffer"` (default) or `"blob"`.
    pub frame_data: FrameData,
    /// `probeOnConnect`: whether `connect()` asks for the devices once (default true).
    pub probe_on_connect: bool,
    /// `memoryThreshold` (bytes held + JS heap): 1 024 ..= 1 TiB, default 100 MiB.
    pub memory_threshold: u64,
    /// `memoryCheckInterval` (ms): 50 ..= 600 000, default 5 000.
    pub memory_check_interval_ms: u32,
    /// `memoryWarningCooldown` (ms between relief actions): 0 ..= 3 600 000, default 30 000.
    pub memory_cooldown_ms: u32,
    /// `log`: `"none"` (default) or `"console"`.
    pub log: LogTarget,
    /// The adaptive-quality settings.
    pub adaptive: AdaptiveConfig,
}

/// One rung of a `ladder` override.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LadderRung {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub frame_rate: f64,
    /// Video bitrate (bits/s); default scaled from `videoBitsPerSecond` by pixel rate.
    pub video_bps: Option<u32>,
}

/// Adaptive-quality settings (fields of the producer config).
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveConfig {
    /// `adaptiveQuality`: whether quality follows load (default true).
    pub enabled: bool,
    /// `targetFps`: the most video frames per second asked of a camera, 1 ..= 120, default 30.
    pub target_fps: f64,
    /// `maxProcessingTime` (ms): frame processing above it is overload, 1 ..= 10 000, default 50.
    pub max_processing_ms: f64,
    /// `qualityFloor`: the lowest quality (0 ..= 1) the controller may step to, default 0.3.
    pub quality_floor: f64,
    /// `qualityWindow` (ms): length of one measurement window, 50 ..= 60 000, default 1 000.
    pub window_ms: u32,
    /// `stepDownAfter`: overloaded windows in a row before stepping down, 1 ..= 100
    /// (default the device profile's: 5, or 3 on mobile).
    pub step_down_after: Option<u32>,
    /// `stepUpAfter`: headroom windows in a row before stepping up, 1 ..= 1 000, default 10.
    pub step_up_after: u32,
    /// `restartOnBitrateChange`: start a new recorder (a new segment) when the level's
    /// bitrate changes (default false: bitrate stays, size and rate adapt live).
    pub restart_on_bitrate_change: bool,
    /// `ladder`: the levels to use instead of the built-in ones, best first.
    pub ladder: Option<Vec<LadderRung>>,
    /// `deviceProfile`: caps that override the measured ones.
    pub max_width: Option<u32>,
    /// See `max_width`.
    pub max_height: Option<u32>,
    /// See `max_width`.
    pub max_frame_rate: Option<f64>,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        AdaptiveConfig {
            enabled: true,
            target_fps: 30.0,
            max_processing_ms: 50.0,
            quality_floor: 0.3,
            window_ms: 1000,
            step_down_after: None,
            step_up_after: 10,
            restart_on_bitrate_change: false,
            ladder: None,
            max_width: None,
            max_height: None,
            max_frame_rate: None,
        }
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            name: None,
            constraints: None,
            video_bits_per_second: DEFAULT_VIDEO_BPS,
            audio_bits_per_second: DEFAULT_AUDIO_BPS,
            recording_interval_ms: DEFAULT_RECORDING_INTERVAL_MS,
            mime_types: None,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            buffer_max_bytes: DEFAULT_BUFFER_MAX_BYTES,
            chunk_processing_interval_ms: DEFAULT_CHUNK_PROCESSING_INTERVAL_MS,
            retain: Retain::Bounded,
            frame_data: FrameData::ArrayBuffer,
            probe_on_connect: true,
            memory_threshold: DEFAULT_MEMORY_THRESHOLD,
            memory_check_interval_ms: DEFAULT_MEMORY_CHECK_INTERVAL_MS,
            memory_cooldown_ms: DEFAULT_MEMORY_COOLDOWN_MS,
            log: LogTarget::None,
            adaptive: AdaptiveConfig::default(),
        }
    }
}

const PRODUCER_FIELDS: &[&str] = &[
    "type",
    "name",
    "constraints",
    "videoBitsPerSecond",
    "audioBitsPerSecond",
    "recordingInterval",
    "mimeTypes",
    "bufferCapacity",
    "bufferMaxBytes",
    "chunkProcessingInterval",
    "retain",
    "frameData",
    "probeOnConnect",
    "memoryThreshold",
    "memoryCheckInterval",
    "memoryWarningCooldown",
    "log",
    "adaptiveQuality",
    "targetFps",
    "maxProcessingTime",
    "qualityFloor",
    "qualityWindow",
    "stepDownAfter",
    "stepUpAfter",
    "restartOnBitrateChange",
    "ladder",
    "deviceProfile",
];

impl ProducerConfig {
    /// Parses and validates a producer config; `null`/`undefined` gives the defaults.
    pub fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let mut cfg = ProducerConfig::default();
        let f = Fields::new("config", v, PRODUCER_FIELDS)?;
        if let Some(t) = f.string("type") {
            if t != "media-recorder" {
                return Err(range("config.type", "must be \"media-recorder\""));
            }
        }
        cfg.name = f.non_empty_string("name", 200);
        if let Some(c) = f.get("constraints") {
            f.check()?;
            validate_constraints(c)?;
            cfg.constraints = Some(c.clone());
        }
        if let Some(n) = f.integer("videoBitsPerSecond", 10_000, 100_000_000) {
            cfg.video_bits_per_second = n as u32;
        }
        if let Some(n) = f.integer("audioBitsPerSecond", 6_000, 512_000) {
            cfg.audio_bits_per_second = n as u32;
        }
        if let Some(n) = f.integer("recordingInterval", 10, 60_000) {
            cfg.recording_interval_ms = n as u32;
        }
        if let Some(list) = f.get("mimeTypes") {
            f.check()?;
            cfg.mime_types = Some(parse_mime_list(list)?);
        }
        if let Some(n) = f.integer("bufferCapacity", 1, 100_000) {
            cfg.buffer_capacity = n as u32;
        }
        if let Some(n) = f.integer("bufferMaxBytes", 1024, 2 * 1024 * 1024 * 1024) {
            cfg.buffer_max_bytes = n;
        }
        if let Some(n) = f.integer("chunkProcessingInterval", 1, 10_000) {
            cfg.chunk_processing_interval_ms = n as u32;
        }
        if let Some(v) = f.pick(
            "retain",
            &["bounded", "all"],
            &[Retain::Bounded, Retain::All],
        ) {
            cfg.retain = v;
        }
        if let Some(v) = f.pick(
            "frameData",
            &["arraybuffer", "blob"],
            &[FrameData::ArrayBuffer, FrameData::Blob],
        ) {
            cfg.frame_data = v;
        }
        if let Some(b) = f.boolean("probeOnConnect") {
            cfg.probe_on_connect = b;
        }
        if let Some(n) = f.integer("memoryThreshold", 1024, 1 << 40) {
            cfg.memory_threshold = n;
        }
        if let Some(n) = f.integer("memoryCheckInterval", 50, 600_000) {
            cfg.memory_check_interval_ms = n as u32;
        }
        if let Some(n) = f.integer("memoryWarningCooldown", 0, 3_600_000) {
            cfg.memory_cooldown_ms = n as u32;
        }
        if let Some(v) = f.pick(
            "log",
            &["none", "console"],
            &[LogTarget::None, LogTarget::Console],
        ) {
            cfg.log = v;
        }
        let a = &mut cfg.adaptive;
        if let Some(b) = f.boolean("adaptiveQuality") {
            a.enabled = b;
        }
        if let Some(n) = f.number("targetFps", 1.0, 120.0, true) {
            a.target_fps = n;
        }
        if let Some(n) = f.number("maxProcessingTime", 1.0, 10_000.0, true) {
            a.max_processing_ms = n;
        }
        if let Some(n) = f.number("qualityFloor", 0.0, 1.0, true) {
            a.quality_floor = n;
        }
        if let Some(n) = f.integer("qualityWindow", 50, 60_000) {
            a.window_ms = n as u32;
        }
        a.step_down_after = f.integer("stepDownAfter", 1, 100).map(|n| n as u32);
        if let Some(n) = f.integer("stepUpAfter", 1, 1000) {
            a.step_up_after = n as u32;
        }
        if let Some(b) = f.boolean("restartOnBitrateChange") {
            a.restart_on_bitrate_change = b;
        }
        if let Some(l) = f.get("ladder") {
            f.check()?;
            a.ladder = Some(parse_ladder(l)?);
        }
        if let Some(p) = f.get("deviceProfile") {
            f.check()?;
            let pf = Fields::new(
                "config.deviceProfile",
                p,
                &["maxWidth", "maxHeight", "maxFrameRate"],
            )?;
            a.max_width = pf.integer("maxWidth", 16, 7680).map(|n| n as u32);
            a.max_height = pf.integer("maxHeight", 16, 4320).map(|n| n as u32);
            a.max_frame_rate = pf.number("maxFrameRate", 1.0, 240.0, true);
            pf.check()?;
        }
        f.check()?;
        Ok(cfg)
    }
}

/// Validates `onMetrics(cb, { intervalMs })`: 50 ..= 600 000 ms, default 1 000.
///
/// ```
/// use media_recorder_producer::core::config::metrics_interval;
/// use media_recorder_producer::core::value::{obj, Value};
/// assert_eq!(metrics_interval(&Value::Null).unwrap(), 1000);
/// assert_eq!(metrics_interval(&obj([("intervalMs", Value::Number(250.0))])).unwrap(), 250);
/// assert_eq!(metrics_interval(&obj([("intervalMs", Value::Number(1.0))])).unwrap_err().kind.js_name(), "RangeError");
/// ```
pub fn metrics_interval(options: &Value) -> Result<u32, ProducerError> {
    let f = Fields::new("options", options, &["intervalMs"])?;
    let ms = f.integer("intervalMs", 50, 600_000).unwrap_or(1000) as u32;
    f.check()?;
    Ok(ms)
}
fn parse_mime_list(v: &Value) -> Result<Vec<String>, ProducerError> {
    let Value::Array(items) = v else {
        return Err(type_err(
            "config.mimeTypes",
            "an array of strings",
            v.type_name(),
        ));
    };
    if items.is_empty() || items.len() > 32 {
        return Err(range(
            "config.mimeTypes",
            &format!("must hold 1 to 32 types, got {}", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if !s.trim().is_empty() && s.len() <= 255 => out.push(s.clone()),
            Value::String(_) => {
                return Err(range(
                    &format!("config.mimeTypes[{i}]"),
                    "must be a non-empty type of at most 255 characters",
                ))
            }
            other => {
                return Err(type_err(
                    &format!("config.mimeTypes[{i}]"),
                    "a string",
                    other.type_name(),
                ))
            }
        }
    }
    Ok(out)
}

fn parse_ladder(v: &Value) -> Result<Vec<LadderRung>, ProducerError> {
    let Value::Array(items) = v else {
        return Err(type_err(
            "config.ladder",
            "an array of levels",
            v.type_name(),
        ));
    };
    if items.is_empty() || items.len() > 32 {
        return Err(range(
            "config.ladder",
            &format!("must hold 1 to 32 levels, got {}", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = format!("config.ladder[{i}]");
        let f = Fields::new(
            &name,
            item,
            &["width", "height", "frameRate", "videoBitsPerSecond"],
        )?;
        let need =
            |k: &str| ProducerError::new(ErrorKind::InvalidType, format!("{name}.{k} is required"));
        let width = f.integer("width", 16, 7680);
        let height = f.integer("height", 16, 4320);
        let frame_rate = f.number("frameRate", 1.0, 240.0, true);
        let video_bps = f.integer("videoBitsPerSecond", 10_000, 100_000_000);
        f.check()?;
        out.push(LadderRung {
            width: width.ok_or_else(|| need("width"))? as u32,
            height: height.ok_or_else(|| need("height"))? as u32,
            frame_rate: frame_rate.ok_or_else(|| need("frameRate"))?,
            video_bps: video_bps.map(|n| n as u32),
        });
    }
    Ok(out)
}

fn validate_constraints(v: &Value) -> Result<(), ProducerError> {
    let Value::Object(map) = v else {
        return Err(type_err(
            "config.constraints",
            "a MediaStreamConstraints object",
            v.type_name(),
        ));
    };
    for key in ["audio", "video"] {
        match map.get(key) {
            None | Some(Value::Null) | Some(Value::Bool(_)) | Some(Value::Object(_)) => {}
            Some(other) => {
                return Err(type_err(
                    &format!("config.constraints.{key}"),
                    "a boolean or a MediaTrackConstraints object",
                    other.type_name(),
                ))
            }
        }
    }
    Ok(())
}
