//! # media-recorder-producer
//!
//! Capture camera, microphone or screen with the browser's `getUserMedia` and
//! `MediaRecorder`, and stream the recording on as frames with bounded memory.
//!
//! - [`core`]: plain Rust, no browser types — the chunk ring, a streaming WebM reader
//!   and header detection, config validation, constraints, the stream lifecycle and
//!   bookkeeping, and metrics. Tested on the host.
//! - `web` (wasm32): the browser shell and the JS API (`MediaRecorderProducer`), the
//!   package's core module (feature `shell`), and `web::keep`, the `keep` module
//!   (feature `keep`: indexes, seekable output, OPFS), loaded on first use.
//! - `mux_abi` (wasm32, feature `mux-abi`): the WebM muxer as plain wasm exports, the
//!   wasm of the package's `codecs` module (loaded on first use of the WebCodecs engine).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(missing_docs)]

pub mod core;

/// The allocator of the wasm build (see Cargo.toml for why talc).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod web;

#[cfg(all(target_arch = "wasm32", feature = "mux-abi"))]
pub mod mux_abi;
