//! What the rest of the shell reads of a pipeline: its id, info, type, recording,
//! uploads, phase, media, ring figures and settings.

use super::*;

impl StreamPipeline {
    /// The stream's id.
    pub fn id(&self) -> String {
        self.info.borrow().id.clone()
    }

    /// `readable(streamId)`: the stream's `ReadableStream` of chunks, once;
    /// `InvalidStateError` if it was not started with `readable: true` or it was taken.
    pub fn take_readable(&self) -> Result<JsValue, ProducerError> {
        let taken = self.readable.borrow_mut().take();
        taken.ok_or_else(|| {
            let why = if self.info.borrow().config.readable {
                "\" has handed out its readable already (one per stream)"
            } else {
                "\" was not started with readable: true"
            };
            ProducerError::new(
                ErrorKind::InvalidState,
                ["readable(): stream \"", &self.id(), why].concat(),
            )
        })
    }

    /// Whether this is stream `id` (no copy of the id: `pushChunk` asks per chunk).
    pub fn is(&self, id: &str) -> bool {
        self.info.borrow().id == id
    }

    /// What callers see now (a copy).
    pub fn info(&self) -> StreamInfo {
        let mut info = self.info.borrow().clone();
        info.engine_mode = self.engine.mode();
        info.frames_dropped_before_encoding = self.engine.dropped_before_encoding();
        info
    }

    /// The recorder's type (what `info().mime_type` is, without cloning the rest).
    pub fn mime_type(&self) -> String {
        self.info.borrow().mime_type.clone()
    }

    /// `retain: "all"`: the recording, one Blob per segment, once the stream has ended
    /// (empty before, and when memory pressure made the stream let go of it).
    pub fn recording(&self) -> Vec<Blob> {
        self.recording.borrow().clone()
    }

    /// The progress its uploading sinks last reported (`tusSink`, `webSocketSink`).
    pub fn uploads(&self) -> Vec<JsValue> {
        self.sinks.uploads()
    }

    /// Its public state now.
    pub fn phase(&self) -> StreamPhase {
        self.info.borrow().state
    }

    /// Whether it has ended (released).
    pub fn is_ended(&self) -> bool {
        self.life.borrow().is_ended()
    }

    /// The captured media, while it records a device.
    pub fn media(&self) -> Option<web_sys::MediaStream> {
        self.owned
            .borrow()
            .lease
            .as_ref()
            .map(|l| Clone::clone(l.stream()))
    }

    /// Whether it records a device (as opposed to taking pushed chunks).
    pub fn captures(&self) -> bool {
        self.engine.captures()
    }

    /// The ring's counters.
    pub fn ring_stats(&self) -> RingStats {
        self.st.borrow().ring.stats()
    }

    /// The ring's bounds.
    pub fn ring_limits(&self) -> RingLimits {
        self.st.borrow().ring.limits()
    }

    /// The video track's settings as last read.
    pub fn settings(&self) -> TrackSettings {
        self.st.borrow().settings
    }

    /// The video bitrate its recorder records at.
    pub fn video_bps(&self) -> Option<u32> {
        self.life.borrow().video_bps()
    }

    /// Whether its engine produces chunks now (recording, not paused or ending).
    pub fn producing(&self) -> bool {
        self.engine.captures() && self.phase() == StreamPhase::Recording
    }
}
