//! [`Recorder`]: a `MediaRecorder` and the listeners that feed the producer, owned
//! together so that dropping the handle silences the recorder for good.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{BlobEvent, Event, MediaRecorder, MediaRecorderOptions, MediaStream, RecordingState};

use crate::core::error::ProducerError;
use crate::web::error::from_js;

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
        events: RecorderEvents,
    ) -> Result<Recorder, ProducerError> {
        let options = MediaRecorderOptions::new();
        options.set_mime_type(mime_type);
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
        let stop = EventListener::new(&recorder, "stop", move |_| on_stop());
        let error = EventListener::new(&recorder, "error", move |event: &Event| {
            // Chromium and Firefox put a DOMException on `event.error`.
            let inner = js_sys::Reflect::get(event, &"error".into()).unwrap_or(event.into());
            on_error(from_js(&inner));
        });
        Ok(Recorder {
            recorder,
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
    /// Returns false if it was not running (no `stop` event will come).
    pub fn stop(&self) -> bool {
        if self.is_inactive() {
            return false;
        }
        self.recorder.stop().is_ok()
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
