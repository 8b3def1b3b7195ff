//! The browser shell: moves data between the Web APIs and the core, and owns every JS
//! resource (recorders, tracks, listeners, timers) in a Rust value that releases it
//! on `Drop`.
//!
//! Read top-down, the flow of one stream: [`producer`] (the exported facade) → [`hub`]
//! (the producer's state; applies decisions) → [`pipeline`] (one stream: engine → ring
//! → delivery to listeners and sinks, driven by the core's lifecycle) → [`engine`]
//! (MediaRecorder or pushed chunks) → [`media`] (getUserMedia and the media lease).
//! Beside the flow: [`adaptive`] and [`monitor`] read pipelines and decide, [`pool`]
//! lends media, [`interop`] converts values, [`listeners`] and [`signal`] are the event
//! plumbing. No module imports one above it.

pub mod adaptive;
pub mod engine;
pub mod features;
pub mod hub;
pub mod interop;
pub mod listeners;
pub mod media;
pub mod monitor;
pub mod opfs;
pub mod pipeline;
pub mod pool;
pub mod producer;
pub mod recording;
pub mod signal;
mod types;

pub use pool::StreamPool;
pub use producer::MediaRecorderProducer;
