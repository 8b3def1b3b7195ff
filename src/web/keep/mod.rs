//! The package's `keep` module: recordings users keep. Built alone (`--no-default-features
//! --features keep`) it is a wasm-bindgen module of its own, fetched by the core with
//! `import()` the first time a stream asks for replay, `retain: "all"` or an OPFS file,
//! or the app calls `makeSeekable` or an OPFS function (`src/web/features.rs`).
//!
//! - [`api`]: its one face to the core, `keepApi()`, and the handles it gives out (an
//!   index, a file on disk), which the core reaches only through JS values;
//! - [`recording`]: a seekable WebM or MP4 from any recording (`makeSeekable`);
//! - [`opfs`]: recordings on disk, written (the file sink);
//! - [`recordings`]: recordings on disk, read back (listing, recovering, deleting).
//!
//! The indexes and writers themselves are the core crate's pure code
//! (`core::container`, `core::ebml`, `core::mp4`), linked here and not in the core
//! module.

pub mod api;
pub mod opfs;
pub mod recording;
pub mod recordings;
