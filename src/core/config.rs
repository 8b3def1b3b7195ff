//! Producer and stream configuration: parsed once, validated at the door.
//!
//! Every field has a documented default and range. A wrong type is an
//! [`ErrorKind::InvalidType`] (`TypeError` in JS), a value out of range an
//! [`ErrorKind::OutOfRange`] (`RangeError`); both messages name the field and what is
//! allowed. Unknown fields are rejected too, so a typo (`recordInterval`) does not
//! silently fall back to a default.
//!
//! ```
//! use media_recorder_producer::core::config::ProducerConfig;
//! use media_recorder_producer::core::value::{obj, Value};
//!
//! let cfg = ProducerConfig::from_value(&obj([("recordingInterval", Value::Number(250.0))])).unwrap();
//! assert_eq!(cfg.recording_interval_ms, 250);
//! assert_eq!(cfg.buffer_max_bytes, 8 * 1024 * 1024);
//!
//! let err = ProducerConfig::from_value(&obj([("recordingInterval", Value::Number(0.0))])).unwrap_err();
//! assert_eq!(err.kind.js_name(), "RangeError");
//! assert!(err.message.contains("recordingInterval"));
//! ```

use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::{js_number, Value};
use serde::Serialize;
use std::collections::BTreeMap;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LogTarget {
    /// Nowhere (default): report through events and `metrics()` only.
    None,
    /// Also `console.info`/`console.warn` memory pressure, drops and errors.
    Console,
}

/// What the ring keeps once a chunk has been delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Retain {
    /// Keep only the header run and what is not yet delivered, within the bounds (default).
    Bounded,
    /// Keep the whole recording until the stream stops, then emit it as one last frame
    /// (`metadata.isComplete`). Memory grows with the recording: unbounded.
    All,
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
        if let Some(t) = f.string("type")? {
            if t != "media-recorder" {
                return Err(range("config.type", "must be \"media-recorder\""));
            }
        }
        cfg.name = f.non_empty_string("name", 200)?;
        if let Some(c) = f.get("constraints") {
            validate_constraints(c)?;
            cfg.constraints = Some(c.clone());
        }
        if let Some(n) = f.integer("videoBitsPerSecond", 10_000, 100_000_000)? {
            cfg.video_bits_per_second = n as u32;
        }
        if let Some(n) = f.integer("audioBitsPerSecond", 6_000, 512_000)? {
            cfg.audio_bits_per_second = n as u32;
        }
        if let Some(n) = f.integer("recordingInterval", 10, 60_000)? {
            cfg.recording_interval_ms = n as u32;
        }
        if let Some(list) = f.get("mimeTypes") {
            cfg.mime_types = Some(parse_mime_list(list)?);
        }
        if let Some(n) = f.integer("bufferCapacity", 1, 100_000)? {
            cfg.buffer_capacity = n as u32;
        }
        if let Some(n) = f.integer("bufferMaxBytes", 1024, 2 * 1024 * 1024 * 1024)? {
            cfg.buffer_max_bytes = n;
        }
        if let Some(n) = f.integer("chunkProcessingInterval", 1, 10_000)? {
            cfg.chunk_processing_interval_ms = n as u32;
        }
        if let Some(r) = f.string("retain")? {
            cfg.retain = match r.as_str() {
                "bounded" => Retain::Bounded,
                "all" => Retain::All,
                _ => {
                    return Err(range(
                        "config.retain",
                        &format!("must be \"bounded\" or \"all\", got \"{r}\""),
                    ))
                }
            };
        }
        if let Some(b) = f.boolean("probeOnConnect")? {
            cfg.probe_on_connect = b;
        }
        if let Some(n) = f.integer("memoryThreshold", 1024, 1 << 40)? {
            cfg.memory_threshold = n;
        }
        if let Some(n) = f.integer("memoryCheckInterval", 50, 600_000)? {
            cfg.memory_check_interval_ms = n as u32;
        }
        if let Some(n) = f.integer("memoryWarningCooldown", 0, 3_600_000)? {
            cfg.memory_cooldown_ms = n as u32;
        }
        if let Some(l) = f.string("log")? {
            cfg.log = match l.as_str() {
                "none" => LogTarget::None,
                "console" => LogTarget::Console,
                _ => {
                    return Err(range(
                        "config.log",
                        &format!("must be \"none\" or \"console\", got \"{l}\""),
                    ))
                }
            };
        }
        let a = &mut cfg.adaptive;
        if let Some(b) = f.boolean("adaptiveQuality")? {
            a.enabled = b;
        }
        if let Some(n) = f.number("targetFps", 1.0, 120.0, true)? {
            a.target_fps = n;
        }
        if let Some(n) = f.number("maxProcessingTime", 1.0, 10_000.0, true)? {
            a.max_processing_ms = n;
        }
        if let Some(n) = f.number("qualityFloor", 0.0, 1.0, true)? {
            a.quality_floor = n;
        }
        if let Some(n) = f.integer("qualityWindow", 50, 60_000)? {
            a.window_ms = n as u32;
        }
        a.step_down_after = f.integer("stepDownAfter", 1, 100)?.map(|n| n as u32);
        if let Some(n) = f.integer("stepUpAfter", 1, 1000)? {
            a.step_up_after = n as u32;
        }
        if let Some(b) = f.boolean("restartOnBitrateChange")? {
            a.restart_on_bitrate_change = b;
        }
        if let Some(l) = f.get("ladder") {
            a.ladder = Some(parse_ladder(l)?);
        }
        if let Some(p) = f.get("deviceProfile") {
            let pf = Fields::new(
                "config.deviceProfile",
                p,
                &["maxWidth", "maxHeight", "maxFrameRate"],
            )?;
            a.max_width = pf.integer("maxWidth", 16, 7680)?.map(|n| n as u32);
            a.max_height = pf.integer("maxHeight", 16, 4320)?.map(|n| n as u32);
            a.max_frame_rate = pf.number("maxFrameRate", 1.0, 240.0, true)?;
        }
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
    Ok(f.integer("intervalMs", 50, 600_000)?.unwrap_or(1000) as u32)
}

/// The validated `new StreamPool(config)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolConfig {
    /// `maxPoolSize`: idle streams kept, 0 ..= 100, default 5.
    pub max_pool_size: u32,
    /// `streamTtl` (ms an idle stream is kept): 0 ..= 86 400 000, default 300 000.
    pub stream_ttl_ms: u32,
    /// `cleanupInterval` (ms between expiry sweeps): 10 ..= 3 600 000, default 60 000.
    pub cleanup_interval_ms: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_pool_size: 5,
            stream_ttl_ms: 300_000,
            cleanup_interval_ms: 60_000,
        }
    }
}

impl PoolConfig {
    /// Parses and validates a pool config; `null`/`undefined` gives the defaults.
    ///
    /// ```
    /// use media_recorder_producer::core::config::PoolConfig;
    /// use media_recorder_producer::core::value::{obj, Value};
    /// assert_eq!(PoolConfig::from_value(&Value::Null).unwrap().max_pool_size, 5);
    /// let e = PoolConfig::from_value(&obj([("streamTtl", Value::Number(-1.0))])).unwrap_err();
    /// assert!(e.message.contains("poolConfig.streamTtl"));
    /// ```
    pub fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let f = Fields::new(
            "poolConfig",
            v,
            &["maxPoolSize", "streamTtl", "cleanupInterval"],
        )?;
        let d = PoolConfig::default();
        Ok(PoolConfig {
            max_pool_size: f
                .integer("maxPoolSize", 0, 100)?
                .map_or(d.max_pool_size, |n| n as u32),
            stream_ttl_ms: f
                .integer("streamTtl", 0, 86_400_000)?
                .map_or(d.stream_ttl_ms, |n| n as u32),
            cleanup_interval_ms: f
                .integer("cleanupInterval", 10, 3_600_000)?
                .map_or(d.cleanup_interval_ms, |n| n as u32),
        })
    }
}

/// Where a stream's media comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// A camera through `getUserMedia` (default), with a microphone unless `audio: false`.
    Camera,
    /// A microphone only, through `getUserMedia`.
    Microphone,
    /// The screen, a window or a tab through `getDisplayMedia`.
    Screen,
    /// The app pushes chunks itself with `pushChunk(streamId, data)`.
    External,
}

impl Source {
    /// The name JS uses (`"camera"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Camera => "camera",
            Source::Microphone => "microphone",
            Source::Screen => "screen",
            Source::External => "external",
        }
    }
}

/// Which way a camera faces (`facingMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FacingMode {
    /// Towards the user.
    User,
    /// Away from the user.
    Environment,
    /// To the user's left.
    Left,
    /// To the user's right.
    Right,
}

impl FacingMode {
    /// The constraint string.
    pub fn as_str(self) -> &'static str {
        match self {
            FacingMode::User => "user",
            FacingMode::Environment => "environment",
            FacingMode::Left => "left",
            FacingMode::Right => "right",
        }
    }
}

/// A validated `startStream(config)` request: the origin's `VideoStreamConfig` plus
/// `source`, `audio`/`video` switches, `mimeType` and `name`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRequest {
    /// Where the media comes from (`source`), default `"camera"`.
    pub source: Source,
    /// Ideal width in pixels (`width`, 1 ..= 7680), default 1280 for cameras.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Ideal height in pixels (`height`, 1 ..= 4320), default 720 for cameras.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Ideal frame rate (`frameRate`, > 0 ..= 240), default 30 for cameras.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// Video bitrate for this stream (`bitrate`, 10 000 ..= 100 000 000); default the producer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    /// Preferred codec (`codec`, e.g. `"vp8"`): recorder types naming it are tried first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Camera direction (`facingMode`); a preference, not a requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facing_mode: Option<FacingMode>,
    /// Exact device to use (`deviceId`): a missing device fails with `OverconstrainedError`
    /// rather than silently recording another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Exact microphone to use (`audioDeviceId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_device_id: Option<String>,
    /// Record audio (`audio`); default true for camera and microphone, false for screen.
    pub audio: bool,
    /// Record video (`video`); default true except for the microphone source.
    pub video: bool,
    /// The exact recorder type to use (`mimeType`); required for `source: "external"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Stream name (`name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

const STREAM_FIELDS: &[&str] = &[
    "source",
    "width",
    "height",
    "frameRate",
    "bitrate",
    "codec",
    "facingMode",
    "deviceId",
    "audioDeviceId",
    "audio",
    "video",
    "mimeType",
    "name",
];

impl StreamRequest {
    /// Parses and validates a stream request; `null`/`undefined` gives a camera with
    /// microphone at the defaults.
    pub fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let f = Fields::new("videoConfig", v, STREAM_FIELDS)?;
        let source = match f.string("source")?.as_deref() {
            None | Some("camera") => Source::Camera,
            Some("microphone") => Source::Microphone,
            Some("screen") => Source::Screen,
            Some("external") => Source::External,
            Some(other) => {
                return Err(range(
                    "videoConfig.source",
                    &format!(
                        "must be \"camera\", \"microphone\", \"screen\" or \"external\", got \"{other}\""
                    ),
                ))
            }
        };
        let facing_mode = match f.string("facingMode")?.as_deref() {
            None => None,
            Some("user") => Some(FacingMode::User),
            Some("environment") => Some(FacingMode::Environment),
            Some("left") => Some(FacingMode::Left),
            Some("right") => Some(FacingMode::Right),
            Some(other) => {
                return Err(range(
                    "videoConfig.facingMode",
                    &format!(
                        "must be \"user\", \"environment\", \"left\" or \"right\", got \"{other}\""
                    ),
                ))
            }
        };
        let default_audio = matches!(source, Source::Camera | Source::Microphone);
        let default_video = !matches!(source, Source::Microphone);
        let audio = f.boolean("audio")?.unwrap_or(default_audio);
        let video = f.boolean("video")?.unwrap_or(default_video);
        let req = StreamRequest {
            source,
            width: f.integer("width", 1, 7680)?.map(|n| n as u32),
            height: f.integer("height", 1, 4320)?.map(|n| n as u32),
            frame_rate: f.number("frameRate", 0.0, 240.0, false)?,
            bitrate: f.integer("bitrate", 10_000, 100_000_000)?.map(|n| n as u32),
            codec: f.non_empty_string("codec", 64)?,
            facing_mode,
            device_id: f.non_empty_string("deviceId", 1024)?,
            audio_device_id: f.non_empty_string("audioDeviceId", 1024)?,
            audio,
            video,
            mime_type: f.non_empty_string("mimeType", 255)?,
            name: f.non_empty_string("name", 200)?,
        };
        if source == Source::Microphone && req.video {
            return Err(range(
                "videoConfig.video",
                "must be false for source \"microphone\" (it records audio only)",
            ));
        }
        if source != Source::External && !req.audio && !req.video {
            return Err(range(
                "videoConfig.audio",
                "audio and video are both false: nothing to record",
            ));
        }
        if source == Source::External && req.mime_type.is_none() {
            return Err(ProducerError::new(
                ErrorKind::InvalidType,
                "videoConfig.mimeType is required for source \"external\" (the type of the chunks you push)",
            ));
        }
        Ok(req)
    }

    /// Whether the stream's frames are video (`"video"`) or audio only (`"audio"`).
    pub fn frame_type(&self) -> &'static str {
        if self.video {
            "video"
        } else {
            "audio"
        }
    }
}

/// The recorder types to try for `req`, most preferred first.
///
/// An explicit `mimeType` on the stream wins; then the producer's `mimeTypes`; then the
/// built-in list for the tracks recorded (audio+video: vp9,opus → vp8,opus → webm → mp4).
/// A `codec` moves the types that name it to the front.
///
/// ```
/// use media_recorder_producer::core::config::{candidate_mime_types, ProducerConfig, StreamRequest};
/// use media_recorder_producer::core::value::Value;
/// let req = StreamRequest::from_value(&Value::Null).unwrap();
/// let list = candidate_mime_types(&req, &ProducerConfig::default());
/// assert_eq!(list[0], "video/webm;codecs=vp9,opus");
/// ```
pub fn candidate_mime_types(req: &StreamRequest, cfg: &ProducerConfig) -> Vec<String> {
    if let Some(m) = &req.mime_type {
        return vec![m.clone()];
    }
    let mut list: Vec<String> = match &cfg.mime_types {
        Some(l) => l.clone(),
        None => {
            let builtin: &[&str] = match (req.video, req.audio) {
                (true, true) => &[
                    "video/webm;codecs=vp9,opus",
                    "video/webm;codecs=vp8,opus",
                    "video/webm",
                    "video/mp4",
                ],
                (true, false) => &[
                    "video/webm;codecs=vp9",
                    "video/webm;codecs=vp8",
                    "video/webm",
                    "video/mp4",
                ],
                _ => &[
                    "audio/webm;codecs=opus",
                    "audio/webm",
                    "audio/ogg;codecs=opus",
                    "audio/mp4",
                ],
            };
            builtin.iter().map(|s| s.to_string()).collect()
        }
    };
    if let Some(codec) = &req.codec {
        let codec = codec.to_ascii_lowercase();
        let (mut named, rest): (Vec<String>, Vec<String>) = list
            .into_iter()
            .partition(|m| m.to_ascii_lowercase().contains(&codec));
        if named.is_empty() && cfg.mime_types.is_none() && req.video {
            named.push(if req.audio {
                format!("video/webm;codecs={codec},opus")
            } else {
                format!("video/webm;codecs={codec}")
            });
        }
        named.extend(rest);
        list = named;
    }
    list
}

/// The first of `candidates` that `is_supported` accepts (`MediaRecorder.isTypeSupported`).
pub fn negotiate_mime_type(
    candidates: &[String],
    mut is_supported: impl FnMut(&str) -> bool,
) -> Option<String> {
    candidates.iter().find(|m| is_supported(m)).cloned()
}

/// Whether a recorder type is a Matroska/WebM container (header run ends at the first Cluster).
pub fn is_webm(mime_type: &str) -> bool {
    let m = mime_type.to_ascii_lowercase();
    m.contains("webm") || m.contains("matroska")
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
        out.push(LadderRung {
            width: f.integer("width", 16, 7680)?.ok_or_else(|| need("width"))? as u32,
            height: f
                .integer("height", 16, 4320)?
                .ok_or_else(|| need("height"))? as u32,
            frame_rate: f
                .number("frameRate", 1.0, 240.0, true)?
                .ok_or_else(|| need("frameRate"))?,
            video_bps: f
                .integer("videoBitsPerSecond", 10_000, 100_000_000)?
                .map(|n| n as u32),
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

fn range(field: &str, what: &str) -> ProducerError {
    ProducerError::new(ErrorKind::OutOfRange, format!("{field} {what}"))
}

fn type_err(field: &str, expected: &str, got: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::InvalidType,
        format!("{field} must be {expected}, got {got}"),
    )
}

/// Typed, named access to the fields of one config object.
struct Fields<'a> {
    prefix: String,
    map: Option<&'a BTreeMap<String, Value>>,
}

impl<'a> Fields<'a> {
    fn new(prefix: &str, v: &'a Value, allowed: &[&str]) -> Result<Self, ProducerError> {
        let map = match v {
            Value::Null => None,
            Value::Object(map) => Some(map),
            other => return Err(type_err(prefix, "an object", other.type_name())),
        };
        if let Some(map) = map {
            for key in map.keys() {
                if !allowed.contains(&key.as_str()) {
                    return Err(ProducerError::new(
                        ErrorKind::InvalidType,
                        format!(
                            "{prefix}.{key} is not a known option (known: {})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Fields {
            prefix: prefix.to_string(),
            map,
        })
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map?.get(key) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    fn number(
        &self,
        key: &str,
        min: f64,
        max: f64,
        min_inclusive: bool,
    ) -> Result<Option<f64>, ProducerError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Number(n) = v else {
            return Err(type_err(&self.name(key), "a number", v.type_name()));
        };
        let n = *n;
        let low_ok = if min_inclusive { n >= min } else { n > min };
        if !n.is_finite() || !low_ok || n > max {
            let low = if min_inclusive { "from" } else { "above" };
            return Err(range(
                &self.name(key),
                &format!(
                    "must be a finite number {low} {} up to {}, got {}",
                    js_number(min),
                    js_number(max),
                    js_number(n)
                ),
            ));
        }
        Ok(Some(n))
    }

    fn integer(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, ProducerError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Number(n) = v else {
            return Err(type_err(&self.name(key), "an integer", v.type_name()));
        };
        let n = *n;
        if !n.is_finite() || n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return Err(range(
                &self.name(key),
                &format!(
                    "must be an integer from {min} to {max}, got {}",
                    js_number(n)
                ),
            ));
        }
        Ok(Some(n as u64))
    }

    fn string(&self, key: &str) -> Result<Option<String>, ProducerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(type_err(&self.name(key), "a string", other.type_name())),
        }
    }

    fn non_empty_string(&self, key: &str, max_len: usize) -> Result<Option<String>, ProducerError> {
        match self.string(key)? {
            Some(s) if s.is_empty() || s.len() > max_len => Err(range(
                &self.name(key),
                &format!("must be a non-empty string of at most {max_len} characters"),
            )),
            other => Ok(other),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ProducerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(type_err(&self.name(key), "a boolean", other.type_name())),
        }
    }
}
