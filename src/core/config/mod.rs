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

mod fields;
mod pool;
mod producer;
mod stream;

pub use pool::PoolConfig;
pub use producer::{
    metrics_interval, AdaptiveConfig, FrameData, LadderRung, LogTarget, ProducerConfig, Retain,
    DEFAULT_AUDIO_BPS, DEFAULT_BUFFER_CAPACITY, DEFAULT_BUFFER_MAX_BYTES,
    DEFAULT_CHUNK_PROCESSING_INTERVAL_MS, DEFAULT_FRAME_RATE, DEFAULT_HEIGHT,
    DEFAULT_MEMORY_CHECK_INTERVAL_MS, DEFAULT_MEMORY_COOLDOWN_MS, DEFAULT_MEMORY_THRESHOLD,
    DEFAULT_RECORDING_INTERVAL_MS, DEFAULT_VIDEO_BPS, DEFAULT_WIDTH,
};
pub use stream::{
    candidate_mime_types, check_recording_name, is_indexable, is_mp4, is_webm, negotiate_mime_type,
    snapshot_seconds, webcodecs_plan, CodecsPlan, EngineChoice, FacingMode, FileSink, Source,
    StreamRequest,
};

// For the intra-doc links only.
#[cfg(doc)]
use crate::core::error::ErrorKind;
