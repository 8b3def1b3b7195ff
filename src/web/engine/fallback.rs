//! `engine: "auto"`'s second chance: the WebCodecs engine with a MediaRecorder engine
//! standing by.
//!
//! When the WebCodecs encoder fails mid-recording, what it encoded is muxed and handed
//! over (its last chunk, then its `stop`), and the stream goes on with MediaRecorder
//! in a new segment (its own header), as a MediaRecorder bitrate restart would. The
//! pipeline drives the switch through its lifecycle ([`EngineSink::switching`] →
//! retire → settle → [`Engine::start_segment`]); this engine only decides which engine
//! answers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::recorder::RecorderEngine;
use super::{EncoderLoad, Engine, EngineSink, Reconfig};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::ring::HeaderPolicy;

/// The first engine until its encoder fails, then the standby. See the module docs.
pub struct FallbackEngine {
    current: RefCell<Rc<dyn Engine>>,
    standby: RefCell<Option<Rc<RecorderEngine>>>,
    sink: RefCell<Option<Rc<dyn EngineSink>>>,
    /// The first engine failed and the standby takes over at the next segment.
    switching: Rc<Cell<bool>>,
    /// The video bitrate last asked for (in place, on the first engine).
    video_bps: Cell<Option<u32>>,
    /// Frames the first engine dropped before encoding (kept after the switch).
    dropped: Cell<Option<u64>>,
}

impl FallbackEngine {
    /// `first` records; `standby` (not started) takes over if its encoder fails.
    pub fn new(first: Rc<dyn Engine>, standby: RecorderEngine) -> Self {
        FallbackEngine {
            current: RefCell::new(first),
            standby: RefCell::new(Some(Rc::new(standby))),
            sink: RefCell::new(None),
            switching: Rc::new(Cell::new(false)),
            video_bps: Cell::new(None),
            dropped: Cell::new(None),
        }
    }

    fn current(&self) -> Rc<dyn Engine> {
        self.current.borrow().clone()
    }
}

/// The first engine's sink: an encoder failure becomes a switch (once).
struct Interpose {
    outer: Rc<dyn EngineSink>,
    switching: Rc<Cell<bool>>,
}

impl EngineSink for Interpose {
    fn chunk(&self, blob: web_sys::Blob) {
        self.outer.chunk(blob);
    }

    fn stopped(&self) {
        self.outer.stopped();
    }

    fn failed(&self, error: ProducerError) {
        if error.kind == ErrorKind::Encoder && !self.switching.replace(true) {
            self.outer.switching(ProducerError::new(
                ErrorKind::Encoder,
                [
                    error.message.as_str(),
                    "; recording goes on with MediaRecorder",
                ]
                .concat(),
            ));
        } else {
            self.outer.failed(error);
        }
    }

    fn switching(&self, error: ProducerError) {
        self.outer.switching(error);
    }
}

impl Engine for FallbackEngine {
    fn start(&self, sink: Rc<dyn EngineSink>) -> Result<(), ProducerError> {
        *self.sink.borrow_mut() = Some(sink.clone());
        self.current().start(Rc::new(Interpose {
            outer: sink,
            switching: self.switching.clone(),
        }))
    }

    fn pause(&self) -> Result<(), ProducerError> {
        self.current().pause()
    }

    fn resume(&self) -> Result<(), ProducerError> {
        self.current().resume()
    }

    fn stop(&self) -> bool {
        self.current().stop()
    }

    fn reconfigure(&self, video_bps: u32) -> Reconfig {
        let how = self.current().reconfigure(video_bps);
        if how == Reconfig::InPlace {
            self.video_bps.set(Some(video_bps));
        }
        how
    }

    fn retire(&self) -> bool {
        if self.switching.get() && self.standby.borrow().is_some() {
            // The failed engine is flushing what it encoded: its `stop` ends the segment.
            self.current().stop()
        } else {
            self.current().retire()
        }
    }

    fn start_segment(&self, video_bps: u32) -> Result<(), ProducerError> {
        let standby = if self.switching.get() {
            self.standby.borrow_mut().take()
        } else {
            None
        };
        let Some(next) = standby else {
            return self.current().start_segment(video_bps);
        };
        let old = self.current.replace(next.clone());
        self.dropped.set(old.dropped_before_encoding());
        old.close();
        let sink = self.sink.borrow().clone().ok_or_else(|| {
            ProducerError::new(ErrorKind::InvalidState, "the engine was not started")
        })?;
        // At the bitrate the first engine last recorded at.
        if let Some(bps) = self.video_bps.get() {
            next.set_video_bps(bps);
        }
        next.start(sink)
    }

    fn header_policy(&self) -> HeaderPolicy {
        self.current().header_policy()
    }

    fn mime_type(&self) -> String {
        self.current().mime_type()
    }

    fn captures(&self) -> bool {
        true
    }

    fn close(&self) {
        self.current().close();
        let standby = self.standby.borrow_mut().take();
        drop(standby);
        let sink = self.sink.borrow_mut().take();
        drop(sink);
    }

    fn name(&self) -> &'static str {
        self.current().name()
    }

    fn mode(&self) -> Option<&'static str> {
        self.current().mode()
    }

    fn dropped_before_encoding(&self) -> Option<u64> {
        self.current()
            .dropped_before_encoding()
            .or(self.dropped.get())
    }

    fn take_encoder_load(&self) -> Option<EncoderLoad> {
        self.current().take_encoder_load()
    }

    fn bitrate_in_place(&self) -> bool {
        self.current().bitrate_in_place()
    }
}
