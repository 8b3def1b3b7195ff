//! The MediaRecorder engine.
//!
//! [`Recorder`] is one `MediaRecorder` with the listeners that feed the pipeline,
//! owned together so that dropping the handle silences the recorder for good.
//! [`RecorderEngine`] records a `MediaStream` with one recorder at a time: the
//! browser fixes a recorder's bitrate for its life, so a bitrate change retires the
//! running recorder (its last chunk and `stop` event still reach the pipeline) and
//! starts a new one, whose output is a new segment with its own header.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{BlobEvent, Event, MediaRecorder, MediaRecorderOptions, MediaStream, RecordingState};

use super::{header_policy_for, Engine, EngineSink, Reconfig};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::ring::HeaderPolicy;
use crate::web::interop::from_js;

/// Callbacks a [`Recorder`] calls; each gets plain values, never the handle itself.
pub struct RecorderEvents {
    /// A chunk (`dataavailable`).
    pub on_data: Box<dyn Fn(web_sys::Blob)>,
    /// The recorder stopped (`stop`), asked for or not.
    pub on_stop: Box<dyn Fn()>,
    /// The recorder failed (`error`).
    pub on_error: Box<dyn Fn(ProducerError)>,
}

/// A `MediaRecorder` with its listeners. Dropping it stops a recorder that still runs
/// and removes the listeners, so no later event reaches the producer.
pub struct Recorder {
    recorder: MediaRecorder,
    /// Set by its `stop` event: after it, nothing more comes from this recorder.
    stopped: Rc<Cell<bool>>,
    _listeners: [EventListener; 3],
}

impl Recorder {
    /// Creates a recorder of `stream` as `mime_type` at the given bitrates and attaches
    /// `events`. Does not start it.
    pub fn new(
        stream: &MediaStream,
        mime_type: &str,
        video_bps: Option<u32>,
        audio_bps: Option<u32>,
        keyframe_ms: Option<u32>,
        events: RecorderEvents,
    ) -> Result<Recorder, ProducerError> {
        let options = MediaRecorderOptions::new();
        options.set_mime_type(mime_type);
        if let Some(ms) = keyframe_ms {
            // Not in web-sys's MediaRecorderOptions yet; browsers without it ignore it.
            let _ = js_sys::Reflect::set(
                &options,
                &"videoKeyFrameIntervalDuration".into(),
                &f64::from(ms).into(),
            );
        }
        if let Some(v) = video_bps {
            options.set_video_bits_per_second(v);
        }
        if let Some(a) = audio_bps {
            options.set_audio_bits_per_second(a);
        }
        let recorder =
            MediaRecorder::new_with_media_stream_and_media_recorder_options(stream, &options)
                .map_err(|e| from_js(&e))?;
        let RecorderEvents {
            on_data,
            on_stop,
            on_error,
        } = events;
        let data = EventListener::new(&recorder, "dataavailable", move |event: &Event| {
            if let Some(blob) = event.dyn_ref::<BlobEvent>().and_then(|e| e.data()) {
                on_data(blob);
            }
        });
        let stopped = Rc::new(Cell::new(false));
        let seen = stopped.clone();
        let stop = EventListener::new(&recorder, "stop", move |_| {
            seen.set(true);
            on_stop();
        });
        let error = EventListener::new(&recorder, "error", move |event: &Event| {
            // Chromium and Firefox put a DOMException on `event.error`.
            let inner = js_sys::Reflect::get(event, &"error".into()).unwrap_or(event.into());
            on_error(from_js(&inner));
        });
        Ok(Recorder {
            recorder,
            stopped,
            _listeners: [data, stop, error],
        })
    }

    /// Starts recording with a chunk every `timeslice_ms`.
    pub fn start(&self, timeslice_ms: u32) -> Result<(), ProducerError> {
        let slice = i32::try_from(timeslice_ms).unwrap_or(i32::MAX);
        self.recorder
            .start_with_time_slice(slice)
            .map_err(|e| from_js(&e))
    }

    /// Pauses recording.
    pub fn pause(&self) -> Result<(), ProducerError> {
        self.recorder.pause().map_err(|e| from_js(&e))
    }

    /// Resumes recording.
    pub fn resume(&self) -> Result<(), ProducerError> {
        self.recorder.resume().map_err(|e| from_js(&e))
    }

    /// Asks the recorder to stop: it delivers its last chunk, then fires `stop`.
    /// Returns whether a `stop` event is still to come: false once it has fired (or if
    /// the recorder never started). A recorder that failed is already inactive, but
    /// its last chunk and `stop` still follow its `error` (MediaRecorder spec), so it
    /// is waited for too.
    pub fn stop(&self) -> bool {
        if self.stopped.get() {
            return false;
        }
        if !self.is_inactive() {
            return self.recorder.stop().is_ok();
        }
        true
    }

    /// Whether the recorder has stopped (or never started).
    pub fn is_inactive(&self) -> bool {
        self.recorder.state() == RecordingState::Inactive
    }

    /// The type the recorder really records.
    pub fn mime_type(&self) -> String {
        self.recorder.mime_type()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if !self.is_inactive() {
            let _ = self.recorder.stop();
        }
    }
}

/// Records a `MediaStream` (which it does not own: the pipeline's media lease does).
pub struct RecorderEngine {
    media: MediaStream,
    mime_type: String,
    audio_bps: Option<u32>,
    timeslice_ms: u32,
    keyframe_ms: Option<u32>,
    video_bps: Cell<Option<u32>>,
    sink: RefCell<Option<Rc<dyn EngineSink>>>,
    current: RefCell<Option<Rc<Recorder>>>,
    /// The recorder being replaced, until the next segment starts.
    retiring: RefCell<Option<Rc<Recorder>>>,
}

impl RecorderEngine {
    /// An engine that will record `media` as `mime_type` in chunks of `timeslice_ms`,
    /// video at `video_bps` (where there is video), audio at `audio_bps` (where there
    /// is audio).
    pub fn new(
        media: &MediaStream,
        mime_type: &str,
        video_bps: Option<u32>,
        audio_bps: u32,
        timeslice_ms: u32,
        keyframe_ms: Option<u32>,
    ) -> Self {
        RecorderEngine {
            // `Clone::clone`: MediaStream's inherent `clone()` makes new live tracks.
            media: Clone::clone(media),
            mime_type: mime_type.to_string(),
            audio_bps: (media.get_audio_tracks().length() > 0).then_some(audio_bps),
            timeslice_ms,
            keyframe_ms,
            video_bps: Cell::new(video_bps),
            sink: RefCell::new(None),
            current: RefCell::new(None),
            retiring: RefCell::new(None),
        }
    }

    /// The video bitrate its next recorder records at (where there is video).
    pub fn set_video_bps(&self, video_bps: u32) {
        self.video_bps.set(self.video_bps.get().map(|_| video_bps));
    }

    fn make(&self, video_bps: Option<u32>) -> Result<Rc<Recorder>, ProducerError> {
        let sink = self.sink.borrow().clone().ok_or_else(|| {
            ProducerError::new(
                ErrorKind::InvalidState,
                "the recorder engine was not started",
            )
        })?;
        let (s1, s2, s3) = (sink.clone(), sink.clone(), sink);
        let events = RecorderEvents {
            on_data: Box::new(move |blob| s1.chunk(blob)),
            on_stop: Box::new(move || s2.stopped()),
            on_error: Box::new(move |e| s3.failed(e)),
        };
        let recorder = Rc::new(Recorder::new(
            &self.media,
            &self.mime_type,
            video_bps,
            self.audio_bps,
            self.keyframe_ms,
            events,
        )?);
        recorder.start(self.timeslice_ms)?;
        Ok(recorder)
    }
}

impl Engine for RecorderEngine {
    fn start(&self, sink: Rc<dyn EngineSink>) -> Result<(), ProducerError> {
        *self.sink.borrow_mut() = Some(sink);
        let recorder = self.make(self.video_bps.get())?;
        *self.current.borrow_mut() = Some(recorder);
        Ok(())
    }

    fn pause(&self) -> Result<(), ProducerError> {
        let current = self.current.borrow().clone();
        current.map_or(Ok(()), |r| r.pause())
    }

    fn resume(&self) -> Result<(), ProducerError> {
        let current = self.current.borrow().clone();
        current.map_or(Ok(()), |r| r.resume())
    }

    fn stop(&self) -> bool {
        let current = self.current.borrow().clone();
        current.is_some_and(|r| r.stop())
    }

    fn reconfigure(&self, _video_bps: u32) -> Reconfig {
        // A recorder's bitrate is fixed for its life (audio-only streams have none).
        if self.video_bps.get().is_some() {
            Reconfig::NewSegment
        } else {
            Reconfig::Unsupported
        }
    }

    fn retire(&self) -> bool {
        let old = self.current.borrow_mut().take();
        let Some(old) = old else { return false };
        // stop() makes the state "inactive" at once; the last `dataavailable` and the
        // `stop` event come later.
        let pending = old.stop();
        *self.retiring.borrow_mut() = Some(old);
        pending
    }

    fn start_segment(&self, video_bps: u32) -> Result<(), ProducerError> {
        let old = self.retiring.borrow_mut().take();
        drop(old);
        let recorder = self.make(Some(video_bps))?;
        *self.current.borrow_mut() = Some(recorder);
        self.video_bps.set(Some(video_bps));
        Ok(())
    }

    fn header_policy(&self) -> HeaderPolicy {
        header_policy_for(&self.mime_type)
    }

    fn mime_type(&self) -> String {
        let current = self.current.borrow().clone();
        current
            .map(|r| r.mime_type())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| self.mime_type.clone())
    }

    fn captures(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "mediarecorder"
    }

    fn close(&self) {
        // Dropping a Recorder stops it if it runs and removes its listeners.
        let current = self.current.borrow_mut().take();
        let retiring = self.retiring.borrow_mut().take();
        drop(current);
        drop(retiring);
        let sink = self.sink.borrow_mut().take();
        drop(sink);
    }
}
