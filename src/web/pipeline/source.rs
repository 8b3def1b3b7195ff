//! The media side of a pipeline: the engine's events, the tracks it watches (a track
//! that ends ends the stream), and quality levels applied to the video track.

use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::StreamPipeline;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::lifecycle::{Event, State};
use crate::core::quality::Level;
use crate::web::engine::EngineSink;
use crate::web::interop;
use crate::web::media;

impl StreamPipeline {
    /// Applies a quality level to the video track (its size and frame rate, never above
    /// what the stream asked for) and reads its settings back.
    pub async fn apply_level(self: &Rc<Self>, level: Level) {
        let Some(media) = self.media() else { return };
        let Some(track) = media
            .get_video_tracks()
            .get(0)
            .dyn_into::<web_sys::MediaStreamTrack>()
            .ok()
        else {
            return;
        };
        let constraints = level_constraints(&level, &self.info.borrow().config);
        if let Ok(p) = track.apply_constraints_with_constraints(constraints.unchecked_ref()) {
            let _ = JsFuture::from(p).await;
        }
        let mut st = self.st.borrow_mut();
        st.settings = media::video_settings(&media);
        st.level = Some(level);
    }

    /// The level last applied (for a stream that starts at the top, set without a call).
    pub fn set_level(&self, level: Level) {
        self.st.borrow_mut().level = Some(level);
    }

    /// Watches the media's tracks: when one ends (device unplugged, permission
    /// revoked), the stream ends. The `ended` event is one signal; [`Self::check_tracks`]
    /// (on every drain tick) is the other, because `track.stop()` fires no `ended` and
    /// Firefox ESR 153 does not deliver a dispatched `ended` event to a track's
    /// listeners (pinned by the expectation test in tests/lifecycle.rs).
    pub(super) fn watch_tracks(self: &Rc<Self>) -> Vec<EventListener> {
        let Some(m) = self.media() else {
            return Vec::new();
        };
        media::tracks(&m)
            .into_iter()
            .map(|track| {
                let weak = Rc::downgrade(self);
                // `Clone::clone`: `MediaStreamTrack::clone` would make a new, live track.
                let ended = Clone::clone(&track);
                EventListener::new(&track, "ended", move |_| {
                    if let Some(p) = weak.upgrade() {
                        p.source_lost(&ended);
                    }
                })
            })
            .collect()
    }

    /// Ends the stream if one of its tracks has ended (however it ended).
    pub(super) fn check_tracks(self: &Rc<Self>) {
        if self.life.borrow().end_reason().is_some() {
            return;
        }
        let ended = self.media().and_then(|m| {
            media::tracks(&m)
                .into_iter()
                .find(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended)
        });
        if let Some(track) = ended {
            self.source_lost(&track);
        }
    }

    fn source_lost(self: &Rc<Self>, track: &web_sys::MediaStreamTrack) {
        let (kind, label) = (track.kind(), track.label());
        let device = if label.is_empty() {
            kind
        } else {
            format!("{kind} \"{label}\"")
        };
        let err = ProducerError::new(
            ErrorKind::DeviceLost,
            format!(
                "Stream {}: the {device} stopped delivering media (device unplugged, disabled or permission revoked); the recording was ended",
                self.id()
            ),
        );
        self.handle(Event::SourceLost(err));
    }
}

/// How the engine reaches its pipeline: weakly, so the engine's recorders and their
/// listeners never keep a stream alive.
pub(super) struct PipelineSink(pub(super) Weak<StreamPipeline>);

impl EngineSink for PipelineSink {
    fn chunk(&self, blob: Blob) {
        if let Some(p) = self.0.upgrade() {
            p.on_chunk(blob, None);
        }
    }

    fn stopped(&self) {
        if let Some(p) = self.0.upgrade() {
            // While a restart retires the old recorder, its `stop` is that one's.
            let retiring = matches!(p.life.borrow().state(), State::Restarting { .. });
            p.handle(if retiring {
                Event::RecorderRetired
            } else {
                Event::RecorderStopped
            });
        }
    }

    fn failed(&self, error: ProducerError) {
        if let Some(p) = self.0.upgrade() {
            let err = if error.kind == ErrorKind::Encoder {
                ProducerError::new(
                    ErrorKind::Encoder,
                    format!("Stream {}: {}", p.id(), error.message),
                )
            } else {
                ProducerError::new(
                    ErrorKind::Recorder,
                    format!("Stream {}: the recorder failed: {}", p.id(), error.message),
                )
            };
            p.handle(Event::RecorderFailed(err));
        }
    }

    fn switching(&self, error: ProducerError) {
        if let Some(p) = self.0.upgrade() {
            *p.switch_reason.borrow_mut() = Some(error.message.clone());
            p.handle(Event::EngineSwitching(error));
        }
    }
}

/// The constraints that apply `level` to a stream that asked for `requested` (never
/// above what it asked for): `{ width: { ideal }, height: { ideal }, frameRate: { ideal, max } }`.
fn level_constraints(level: &Level, requested: &crate::core::config::StreamRequest) -> JsValue {
    let w = requested.width.map_or(level.width, |w| w.min(level.width));
    let h = requested
        .height
        .map_or(level.height, |h| h.min(level.height));
    let f = requested
        .frame_rate
        .map_or(level.frame_rate, |f| f.min(level.frame_rate));
    let ideal = |v: f64| {
        let o = interop::object();
        interop::set(&o, "ideal", &v.into());
        o
    };
    let c = interop::object();
    interop::set(&c, "width", &ideal(w as f64));
    interop::set(&c, "height", &ideal(h as f64));
    let rate = ideal(f);
    interop::set(&rate, "max", &f.into());
    interop::set(&c, "frameRate", &rate);
    c
}
