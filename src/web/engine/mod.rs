//! The engine seam: what turns a source into container chunks.
//!
//! An [`Engine`] produces chunks (Blobs) of one container stream and tells its
//! pipeline through an [`EngineSink`]: each chunk, its stop, its failure.
//! [`recorder::RecorderEngine`] records a captured `MediaStream` with the browser's
//! `MediaRecorder`, [`push::PushEngine`] takes the chunks the app pushes with
//! `pushChunk`, [`codecs::CodecsEngine`] encodes with WebCodecs, and
//! [`fallback::FallbackEngine`] puts a MediaRecorder engine behind that one for
//! `engine: "auto"`.
//!
//! Engines are shared as `Rc<dyn Engine>` and take `&self`: they keep their JS handles
//! so that no `RefCell` borrow is held while they call into the browser, and their
//! event callbacks reach the pipeline through an [`EngineSink`] that holds it weakly.

pub mod codecs;
pub mod fallback;
pub mod push;
pub mod recorder;

use std::rc::Rc;

use web_sys::Blob;

use crate::core::error::ProducerError;
use crate::core::ring::HeaderPolicy;

/// What an engine reports to the pipeline that owns it. Called from browser events,
/// never from inside one of the engine's own methods.
pub trait EngineSink {
    /// A chunk of the container stream, in order.
    fn chunk(&self, blob: Blob);
    /// The engine (or, during a restart, its previous recorder) stopped: every chunk
    /// it made has been handed over.
    fn stopped(&self);
    /// The engine failed; it produces nothing more.
    fn failed(&self, error: ProducerError);
    /// The engine's encoder failed and it switches to another
    /// ([`fallback::FallbackEngine`]): `stopped` follows once what it encoded is handed
    /// over, and the other starts with the next segment. A sink that cannot switch
    /// takes it as a failure.
    fn switching(&self, error: ProducerError) {
        self.failed(error);
    }
}

/// What changing the video bitrate takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconfig {
    /// The engine can change it while running (WebCodecs).
    InPlace,
    /// A new recorder, hence a new segment with its own header (MediaRecorder).
    NewSegment,
    /// This engine has no bitrate to change (pushed chunks).
    Unsupported,
}

/// An encoding engine's figures over one quality window.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncoderLoad {
    /// The deepest its video encoder's queue got.
    pub queue: u32,
    /// Mean `encode()` → output time, ms (0 if nothing came out).
    pub encode_ms: f64,
    /// Frames that came out of the encoder.
    pub encoded: u32,
    /// Frames dropped before encoding.
    pub drops: u64,
}

/// A source of container chunks for one stream.
pub trait Engine {
    /// Starts producing chunks into `sink` (which reaches the pipeline weakly).
    fn start(&self, sink: Rc<dyn EngineSink>) -> Result<(), ProducerError>;
    /// Pauses (no chunks until [`resume`](Self::resume)).
    fn pause(&self) -> Result<(), ProducerError>;
    /// Resumes after [`pause`](Self::pause).
    fn resume(&self) -> Result<(), ProducerError>;
    /// Asks it to stop for good. `true` if [`EngineSink::stopped`] will follow (after
    /// the last chunk); `false` if it had nothing running.
    fn stop(&self) -> bool;
    /// What a change to `video_bps` takes.
    fn reconfigure(&self, video_bps: u32) -> Reconfig;
    /// For [`Reconfig::NewSegment`]: stops the running recorder and keeps the engine
    /// ready for [`start_segment`](Self::start_segment). `true` if
    /// [`EngineSink::stopped`] will follow for the old recorder.
    fn retire(&self) -> bool;
    /// Starts the next segment at `video_bps`, reporting to the same sink.
    fn start_segment(&self, video_bps: u32) -> Result<(), ProducerError>;
    /// How the ring finds the header run of this engine's container.
    fn header_policy(&self) -> HeaderPolicy;
    /// The container type it really produces (after `start`).
    fn mime_type(&self) -> String;
    /// Whether it records from a device (as opposed to taking pushed chunks).
    fn captures(&self) -> bool;
    /// Drops its recorders and their listeners (a running one is stopped): nothing
    /// more reaches the sink.
    fn close(&self);
    /// Its name as streams report it (`stream.engine`).
    fn name(&self) -> &'static str;
    /// Where it encodes, if it encodes itself (`"worker"`, `"main-thread"`).
    fn mode(&self) -> Option<&'static str> {
        None
    }
    /// Video frames it dropped before encoding, if it encodes itself (WebCodecs).
    fn dropped_before_encoding(&self) -> Option<u64> {
        None
    }
    /// Its encoder's figures since the last call (the quality controller's window), if
    /// it encodes itself.
    fn take_encoder_load(&self) -> Option<EncoderLoad> {
        None
    }
    /// Whether a bitrate change costs nothing (applied in place, no new segment), so
    /// quality levels apply their bitrate without `restartOnBitrateChange`.
    fn bitrate_in_place(&self) -> bool {
        false
    }
}

/// The header policy for a container type: WebM and MP4 are scanned for the end of
/// their header (init segment), other containers pin their first chunk.
pub fn header_policy_for(mime_type: &str) -> HeaderPolicy {
    let mp4 = crate::core::value::find(mime_type, "mp4").is_some();
    if mp4 || crate::core::config::is_webm(mime_type) {
        HeaderPolicy::Scan
    } else {
        HeaderPolicy::FirstChunk
    }
}
