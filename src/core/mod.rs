//! The pure core: plain Rust with no web-sys, js-sys or wasm-bindgen types.
//!
//! Everything here builds and is tested on the host (`cargo test`). Time comes in as
//! milliseconds from the caller; nothing here reads a clock or touches the browser.

pub mod assembly;
pub mod config;
pub mod constraints;
pub mod container;
pub mod ebml;
pub mod emit;
pub mod error;
pub mod idmap;
pub mod lifecycle;
pub mod memory;
pub mod metrics;
pub mod mp4;
pub mod pool;
pub mod profile;
pub mod quality;
pub mod ring;
pub mod stream;
pub mod value;
pub mod webm;
