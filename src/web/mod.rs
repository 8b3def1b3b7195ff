//! The browser shell: moves data between the Web APIs and the core, and owns every JS
//! resource (recorders, tracks, listeners, timers) in a Rust value that releases it
//! on `Drop`.

pub mod adaptive;
pub mod args;
pub mod error;
pub mod listeners;
pub mod media;
pub mod monitor;
pub mod pool;
pub mod producer;
pub mod recorder;
pub mod signal;
pub mod stream;
mod types;

pub use pool::StreamPool;
pub use producer::MediaRecorderProducer;
