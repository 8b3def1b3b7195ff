//! [`StreamRequest`] (a `startStream` config) and the recorder type negotiation.

use super::fields::{range, Fields};
use super::ProducerConfig;
use crate::core::emit::{object, opt_num, opt_text, Emit, Out};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::{find, Value};

/// Where a stream's media comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Which engine records a stream (`engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// WebCodecs where this browser has everything it needs for the stream, else
    /// MediaRecorder (`"auto"`).
    Auto,
    /// The browser's MediaRecorder (`"mediarecorder"`, the default).
    MediaRecorder,
    /// `VideoEncoder`/`AudioEncoder` fed from `MediaStreamTrackProcessor`, muxed into
    /// WebM by the library (`"webcodecs"`); `NotSupportedError` where it cannot run.
    WebCodecs,
}

/// A validated `startStream(config)` request: the origin's `VideoStreamConfig` plus
/// `source`, `audio`/`video` switches, `mimeType` and `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRequest {
    /// Where the media comes from (`source`), default `"camera"`.
    pub source: Source,
    /// Ideal width in pixels (`width`, 1 ..= 7680), default 1280 for cameras.
    pub width: Option<u32>,
    /// Ideal height in pixels (`height`, 1 ..= 4320), default 720 for cameras.
    pub height: Option<u32>,
    /// Ideal frame rate (`frameRate`, > 0 ..= 240), default 30 for cameras.
    pub frame_rate: Option<f64>,
    /// Video bitrate for this stream (`bitrate`, 10 000 ..= 100 000 000); default the producer's.
    pub bitrate: Option<u32>,
    /// Preferred codec (`codec`, e.g. `"vp8"`): recorder types naming it are tried first.
    pub codec: Option<String>,
    /// Camera direction (`facingMode`); a preference, not a requirement.
    pub facing_mode: Option<FacingMode>,
    /// Exact device to use (`deviceId`): a missing device fails with `OverconstrainedError`
    /// rather than silently recording another one.
    pub device_id: Option<String>,
    /// Exact microphone to use (`audioDeviceId`).
    pub audio_device_id: Option<String>,
    /// Record audio (`audio`); default true for camera and microphone, false for screen.
    pub audio: bool,
    /// Record video (`video`); default true except for the microphone source.
    pub video: bool,
    /// The exact recorder type to use (`mimeType`); required for `source: "external"`.
    pub mime_type: Option<String>,
    /// Stream name (`name`).
    pub name: Option<String>,
    /// Instant replay (`replay`, default false): delivered chunks stay in the ring
    /// while its byte budget allows (oldest first out), and the recording is indexed as
    /// it arrives (one extra read of each chunk), so `snapshot()` can cut the last
    /// seconds at a keyframe.
    pub replay: bool,
    /// `readable(streamId)` (`readable`, default false): the stream also writes every
    /// chunk, in order, to a `ReadableStream` it hands out once; like a sink, it holds
    /// chunks while the reader is behind (nothing is evicted from under it).
    pub readable: bool,
    /// Ask the recorder for a keyframe at least this often (`keyframeInterval`, ms,
    /// 100 ..= 60 000): the granularity of snapshots. Default 1 000 with `replay`,
    /// else the browser's. Chromium honours it (`videoKeyFrameIntervalDuration`);
    /// browsers without it ignore it.
    pub keyframe_interval: Option<u32>,
    /// The built-in file sink (`sink: { type: "opfs", name? }`): the recording goes to
    /// the Origin Private File System as it records.
    pub sink: Option<FileSink>,
    /// Which engine records it (`engine`, default `"mediarecorder"`).
    pub engine: EngineChoice,
    /// WebCodecs engine: ask for a hardware encoder first (`preferHardware`), falling
    /// back to any; default on mobile profiles.
    pub prefer_hardware: Option<bool>,
}

/// `sink: { type: "opfs", name? }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSink {
    /// `"opfs"`, the only type so far.
    pub kind: &'static str,
    /// The recording's name in OPFS (default: the stream's id): 1 to 255 bytes of
    /// UTF-8, no `/`, `\\` or NUL, not only dots ([`check_recording_name`]).
    pub name: Option<String>,
}

impl FileSink {
    fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let f = Fields::new("videoConfig.sink", v, &["type", "name"])?;
        let kind = f.choice("type", &["opfs"]);
        f.check()?;
        if kind.is_none() {
            return Err(ProducerError::new(
                ErrorKind::InvalidType,
                "videoConfig.sink.type is required (\"opfs\")",
            ));
        }
        let name = f.non_empty_string("name", 100);
        f.check()?;
        if let Some(n) = &name {
            check_recording_name("videoConfig.sink.name", n)?;
        }
        Ok(FileSink { kind: "opfs", name })
    }
}

/// A recording's name as OPFS takes it: one directory name, so 1 to 255 bytes of UTF-8,
/// no `/`, `\` or NUL, and not only dots (`.` and `..` name other directories). A
/// `TypeError` naming `field` and the rule broken.
///
/// ```
/// use media_recorder_producer::core::config::check_recording_name;
/// assert!(check_recording_name("name", "interview-3").is_ok());
/// let e = check_recording_name("name", "../x").unwrap_err();
/// assert_eq!(e.kind.js_name(), "TypeError");
/// assert!(e.message.contains("/"));
/// assert!(check_recording_name("name", "..").is_err());
/// assert!(check_recording_name("name", &"é".repeat(128)).is_err()); // 256 bytes
/// assert!(check_recording_name("name", &"a".repeat(255)).is_ok());
/// ```
pub fn check_recording_name(field: &str, name: &str) -> Result<(), ProducerError> {
    let rule = if name.is_empty() {
        "must not be empty"
    } else if name.len() > 255 {
        "must be at most 255 bytes long in UTF-8 (a directory name)"
    } else if name.contains(['/', '\\']) {
        "must not contain / or \\ (a recording is one directory, not a path)"
    } else if name.contains('\0') {
        "must not contain NUL (\\0)"
    } else if name.chars().all(|c| c == '.') {
        "must not be only dots (. and .. name other directories)"
    } else {
        return Ok(());
    };
    Err(ProducerError::new(
        ErrorKind::InvalidType,
        [field, " ", rule].concat(),
    ))
}

/// `snapshot(streamId, options)`: the seconds of replay asked for (`options.seconds`,
/// more than 0, at most a day), or `None` for all that is held.
///
/// ```
/// use media_recorder_producer::core::config::snapshot_seconds;
/// use media_recorder_producer::core::value::{obj, Value};
/// assert_eq!(snapshot_seconds(&Value::Null).unwrap(), None);
/// assert_eq!(snapshot_seconds(&obj([("seconds", Value::Number(30.0))])).unwrap(), Some(30.0));
/// let e = snapshot_seconds(&obj([("seconds", Value::Number(0.0))])).unwrap_err();
/// assert!(e.message.contains("options.seconds"));
/// ```
pub fn snapshot_seconds(v: &Value) -> Result<Option<f64>, ProducerError> {
    let f = Fields::new("options", v, &["seconds"])?;
    let seconds = f.number("seconds", 0.0, 86_400.0, false);
    f.check()?;
    Ok(seconds)
}

/// `keyframeInterval`'s default with `replay: true`, in ms.
pub const DEFAULT_REPLAY_KEYFRAME_INTERVAL_MS: u32 = 1000;

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
    "replay",
    "keyframeInterval",
    "sink",
    "readable",
    "engine",
    "preferHardware",
];

impl StreamRequest {
    /// Parses and validates a stream request; `null`/`undefined` gives a camera with
    /// microphone at the defaults.
    pub fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let f = Fields::new("videoConfig", v, STREAM_FIELDS)?;
        let source = f
            .pick(
                "source",
                &["camera", "microphone", "screen", "external"],
                &[
                    Source::Camera,
                    Source::Microphone,
                    Source::Screen,
                    Source::External,
                ],
            )
            .unwrap_or(Source::Camera);
        let facing_mode = f.pick(
            "facingMode",
            &["user", "environment", "left", "right"],
            &[
                FacingMode::User,
                FacingMode::Environment,
                FacingMode::Left,
                FacingMode::Right,
            ],
        );
        let default_audio = matches!(source, Source::Camera | Source::Microphone);
        let default_video = !matches!(source, Source::Microphone);
        let audio = f.boolean("audio").unwrap_or(default_audio);
        let video = f.boolean("video").unwrap_or(default_video);
        let req = StreamRequest {
            source,
            width: f.integer("width", 1, 7680).map(|n| n as u32),
            height: f.integer("height", 1, 4320).map(|n| n as u32),
            frame_rate: f.number("frameRate", 0.0, 240.0, false),
            bitrate: f.integer("bitrate", 10_000, 100_000_000).map(|n| n as u32),
            codec: f.non_empty_string("codec", 64),
            facing_mode,
            device_id: f.non_empty_string("deviceId", 1024),
            audio_device_id: f.non_empty_string("audioDeviceId", 1024),
            audio,
            video,
            mime_type: f.non_empty_string("mimeType", 255),
            name: f.non_empty_string("name", 200),
            replay: f.boolean("replay").unwrap_or(false),
            readable: f.boolean("readable").unwrap_or(false),
            keyframe_interval: f.integer("keyframeInterval", 100, 60_000).map(|n| n as u32),
            sink: {
                f.check()?;
                f.get("sink").map(FileSink::from_value).transpose()?
            },
            engine: f
                .pick(
                    "engine",
                    &["auto", "mediarecorder", "webcodecs"],
                    &[
                        EngineChoice::Auto,
                        EngineChoice::MediaRecorder,
                        EngineChoice::WebCodecs,
                    ],
                )
                .unwrap_or(EngineChoice::MediaRecorder),
            prefer_hardware: f.boolean("preferHardware"),
        };
        f.check()?;
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
        if source == Source::External && req.sink.is_some() {
            return Err(range(
                "videoConfig.sink",
                "is for recorded streams; for source \"external\" write your chunks yourself",
            ));
        }
        if source == Source::External && req.engine != EngineChoice::MediaRecorder {
            return Err(range(
                "videoConfig.engine",
                "is for recorded streams; source \"external\" pushes its own chunks",
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

    /// The keyframe interval to ask the recorder for (ms), if any.
    pub fn keyframe_interval_ms(&self) -> Option<u32> {
        self.keyframe_interval
            .or(self.replay.then_some(DEFAULT_REPLAY_KEYFRAME_INTERVAL_MS))
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
            .partition(|m| crate::core::value::find(&m.to_ascii_lowercase(), &codec).is_some());
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

/// What the WebCodecs engine records for a stream: the WebM type it writes, its video
/// codec (if it records video) and whether it records Opus audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecsPlan {
    /// The type of the recording, e.g. `"video/webm;codecs=vp8,opus"`.
    pub mime_type: String,
    /// The video codec, if the stream records video.
    pub video: Option<crate::core::ebml::muxer::VideoCodec>,
    /// Whether it records audio (Opus).
    pub audio: bool,
}

/// The first of `req`'s recorder types (as [`candidate_mime_types`] orders them) that
/// the WebCodecs engine writes: WebM with VP8 or VP9 video (VP8 where the type names
/// no codec: the cheaper software encoder) and Opus audio. `Err` says, in words, why
/// none is.
///
/// ```
/// use media_recorder_producer::core::config::{webcodecs_plan, ProducerConfig, StreamRequest};
/// use media_recorder_producer::core::value::Value;
/// let req = StreamRequest::from_value(&Value::Null).unwrap();
/// let plan = webcodecs_plan(&req, &ProducerConfig::default()).unwrap();
/// assert_eq!(plan.mime_type, "video/webm;codecs=vp9,opus");
/// ```
pub fn webcodecs_plan(req: &StreamRequest, cfg: &ProducerConfig) -> Result<CodecsPlan, String> {
    use crate::core::ebml::muxer::VideoCodec;
    // Bytes, not str patterns: no substring searcher or char tables in the wasm.
    fn trim(b: &[u8]) -> &[u8] {
        let keep = |c: &u8| !matches!(c, b' ' | b'"' | b'\t');
        let start = b.iter().position(keep).unwrap_or(b.len());
        let end = b
            .iter()
            .rposition(keep)
            .map_or(start, |i| i.saturating_add(1));
        b.get(start..end).unwrap_or_default()
    }
    let candidates = candidate_mime_types(req, cfg);
    for m in &candidates {
        let lower = m.to_ascii_lowercase();
        let b = lower.as_bytes();
        let semi = b.iter().position(|&c| c == b';').unwrap_or(b.len());
        let kind = trim(b.get(..semi).unwrap_or_default());
        let video_type = kind == b"video/webm";
        if !(video_type || (kind == b"audio/webm" && !req.video)) {
            continue;
        }
        let codecs: &[u8] = match find(&lower, "codecs=") {
            Some(at) => b.get(at.saturating_add(7)..).unwrap_or_default(),
            None => &[],
        };
        let mut video = None;
        let mut other = false;
        for c in codecs.split(|&c| c == b',').map(trim) {
            match c {
                b"" | b"opus" => {}
                b"vp8" => video = video.or(Some(VideoCodec::Vp8)),
                c if c == b"vp9" || c.starts_with(b"vp09") => {
                    video = video.or(Some(VideoCodec::Vp9))
                }
                _ => other = true,
            }
        }
        if other || (video.is_some() && !req.video) {
            continue;
        }
        if req.video && video.is_none() {
            video = Some(VideoCodec::Vp8);
        }
        let audio = req.audio;
        let mut mime_type = String::from(if req.video {
            "video/webm"
        } else {
            "audio/webm"
        });
        mime_type.push_str(";codecs=");
        if let Some(v) = video {
            mime_type.push_str(v.mime_name());
            if audio {
                mime_type.push(',');
            }
        }
        if audio {
            mime_type.push_str("opus");
        }
        return Ok(CodecsPlan {
            mime_type,
            video,
            audio,
        });
    }
    Err(format!(
        "none of the recorder types ({}) is one the WebCodecs engine writes (WebM with VP8 or VP9 video and Opus audio)",
        candidates.join(", ")
    ))
}

/// Whether a recorder type is a container the library indexes (WebM or MP4): it can be
/// made seekable, snapshotted and cut at its Clusters or fragments.
pub fn is_indexable(mime_type: &str) -> bool {
    is_webm(mime_type) || is_mp4(mime_type)
}

/// Whether a recorder type is an MP4 (ISO-BMFF) container.
pub fn is_mp4(mime_type: &str) -> bool {
    find(&mime_type.to_ascii_lowercase(), "mp4").is_some()
}

/// Whether a recorder type is a Matroska/WebM container (header run ends at the first Cluster).
pub fn is_webm(mime_type: &str) -> bool {
    let m = mime_type.to_ascii_lowercase();
    find(&m, "webm").is_some() || find(&m, "matroska").is_some()
}

impl EngineChoice {
    /// The name JS uses (`"auto"`, `"mediarecorder"`, `"webcodecs"`).
    pub fn as_str(self) -> &'static str {
        match self {
            EngineChoice::Auto => "auto",
            EngineChoice::MediaRecorder => "mediarecorder",
            EngineChoice::WebCodecs => "webcodecs",
        }
    }
}

impl Emit for StreamRequest {
    fn fields(&self, o: &mut dyn Out) {
        o.text("source", self.source.as_str());
        opt_num(o, "width", self.width.map(f64::from));
        opt_num(o, "height", self.height.map(f64::from));
        opt_num(o, "frameRate", self.frame_rate);
        opt_num(o, "bitrate", self.bitrate.map(f64::from));
        opt_text(o, "codec", self.codec.as_deref());
        opt_text(o, "facingMode", self.facing_mode.map(FacingMode::as_str));
        opt_text(o, "deviceId", self.device_id.as_deref());
        opt_text(o, "audioDeviceId", self.audio_device_id.as_deref());
        o.flag("audio", self.audio);
        o.flag("video", self.video);
        opt_text(o, "mimeType", self.mime_type.as_deref());
        opt_text(o, "name", self.name.as_deref());
        o.flag("replay", self.replay);
        o.flag("readable", self.readable);
        opt_num(o, "keyframeInterval", self.keyframe_interval.map(f64::from));
        if let Some(sink) = &self.sink {
            object(o, "sink", sink);
        }
        o.text("engine", self.engine.as_str());
        if let Some(b) = self.prefer_hardware {
            o.flag("preferHardware", b);
        }
    }
}

impl Emit for FileSink {
    fn fields(&self, o: &mut dyn Out) {
        o.text("type", self.kind);
        opt_text(o, "name", self.name.as_deref());
    }
}
