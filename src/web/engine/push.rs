//! [`PushEngine`]: the engine of a `source: "external"` stream, whose chunks the app
//! pushes with `pushChunk` (they go straight to the pipeline; this engine only says
//! what such a stream can and cannot do).

use std::rc::Rc;

use super::{header_policy_for, Engine, EngineSink, Reconfig};
use crate::core::error::ProducerError;
use crate::core::ring::HeaderPolicy;

/// Chunks pushed by the app, of a declared container type.
pub struct PushEngine {
    mime_type: String,
}

impl PushEngine {
    /// An engine for pushed chunks of `mime_type` (may be empty: unknown).
    pub fn new(mime_type: String) -> Self {
        PushEngine { mime_type }
    }
}

impl Engine for PushEngine {
    fn start(&self, _sink: Rc<dyn EngineSink>) -> Result<(), ProducerError> {
        Ok(())
    }
    fn pause(&self) -> Result<(), ProducerError> {
        Ok(())
    }
    fn resume(&self) -> Result<(), ProducerError> {
        Ok(())
    }
    fn stop(&self) -> bool {
        false
    }
    fn reconfigure(&self, _video_bps: u32) -> Reconfig {
        Reconfig::Unsupported
    }
    fn retire(&self) -> bool {
        false
    }
    fn start_segment(&self, _video_bps: u32) -> Result<(), ProducerError> {
        Ok(())
    }
    fn header_policy(&self) -> HeaderPolicy {
        header_policy_for(&self.mime_type)
    }
    fn mime_type(&self) -> String {
        self.mime_type.clone()
    }
    fn name(&self) -> &'static str {
        "external"
    }

    fn captures(&self) -> bool {
        false
    }
    fn close(&self) {}
}
