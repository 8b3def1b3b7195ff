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
//!
//! [`keep`] is the package's `keep` module (feature `keep`): recordings users keep.
//! The core (feature `shell`) reaches it only through JS values ([`features`]), so
//! each builds without the other; [`interop`] is shared.

#[cfg(feature = "shell")]
pub mod adaptive;
#[cfg(feature = "shell")]
pub mod devices;
#[cfg(feature = "shell")]
pub mod engine;
#[cfg(feature = "shell")]
pub mod features;
#[cfg(feature = "shell")]
pub mod hub;
pub mod interop;
#[cfg(feature = "keep")]
pub mod keep;
#[cfg(feature = "shell")]
pub mod kept;
#[cfg(feature = "shell")]
pub mod listeners;
#[cfg(feature = "shell")]
pub mod media;
#[cfg(feature = "shell")]
pub mod monitor;
#[cfg(feature = "shell")]
pub mod pipeline;
#[cfg(feature = "shell")]
pub mod pool;
#[cfg(feature = "shell")]
pub mod producer;
#[cfg(feature = "shell")]
pub mod signal;
#[cfg(feature = "shell")]
mod types;

#[cfg(feature = "shell")]
pub use pool::StreamPool;
#[cfg(feature = "shell")]
pub use producer::MediaRecorderProducer;
