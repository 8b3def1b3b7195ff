//! Media acquisition: `getUserMedia` / `getDisplayMedia`, tracks and their settings,
//! and the [`MediaLease`] that owns a recording's media.

use crate::core::config::Source;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::Value;
use crate::web::interop::from_js;
use js_sys::Reflect;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaDevices, MediaStream, MediaStreamTrack};

/// Where a leased `MediaStream` goes back to instead of being stopped (a pool).
pub trait LeaseReturn {
    /// Takes `stream` back (the pool decides whether to keep or stop it).
    fn give_back(self: Rc<Self>, stream: &MediaStream);
}

/// The media of one recording, owned: on drop its tracks are stopped, or it goes back
/// to the pool it came from. One owner, so the camera light never stays on by mistake.
pub struct MediaLease {
    stream: MediaStream,
    back: Option<Rc<dyn LeaseReturn>>,
}

impl MediaLease {
    /// Media the recording opened itself (stopped on drop).
    pub fn owned(stream: MediaStream) -> Self {
        MediaLease { stream, back: None }
    }

    /// Media borrowed from a pool (given back on drop).
    pub fn pooled(stream: MediaStream, back: Rc<dyn LeaseReturn>) -> Self {
        MediaLease {
            stream,
            back: Some(back),
        }
    }

    /// The stream (a handle; the lease keeps ownership of its tracks).
    pub fn stream(&self) -> &MediaStream {
        &self.stream
    }
}

impl Drop for MediaLease {
    fn drop(&mut self) {
        match self.back.take() {
            Some(back) => back.give_back(&self.stream),
            None => stop_tracks(&self.stream),
        }
    }
}

/// `navigator.mediaDevices`, or `NotSupportedError` where the page has none.
pub fn media_devices() -> Result<MediaDevices, ProducerError> {
    let unsupported = || {
        ProducerError::new(
            ErrorKind::NotSupported,
            "navigator.mediaDevices is not available (it needs a secure context: https or localhost)",
        )
    };
    let window = web_sys::window().ok_or_else(unsupported)?;
    let devices =
        Reflect::get(&window.navigator(), &"mediaDevices".into()).map_err(|_| unsupported())?;
    if devices.is_undefined() || devices.is_null() {
        return Err(unsupported());
    }
    Ok(devices.unchecked_into())
}

/// Whether the page has `MediaRecorder` at all.
pub fn has_media_recorder() -> bool {
    let global = js_sys::global();
    Reflect::get(&global, &"MediaRecorder".into())
        .map(|v| v.is_function())
        .unwrap_or(false)
}

/// Asks the browser for media: `getDisplayMedia` for the screen, else `getUserMedia`.
pub async fn acquire(source: Source, constraints: &Value) -> Result<MediaStream, ProducerError> {
    let devices = media_devices()?;
    let js_constraints = crate::web::interop::value(constraints);
    let promise = match source {
        Source::Screen => {
            devices.get_display_media_with_constraints(js_constraints.unchecked_ref())
        }
        _ => devices.get_user_media_with_constraints(js_constraints.unchecked_ref()),
    }
    .map_err(|e| from_js(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        let err = from_js(&e);
        if source == Source::Screen && err.kind == ErrorKind::InvalidState {
            // Firefox (and Chromium without a gesture in a real page) require transient
            // user activation for getDisplayMedia.
            ProducerError::new(
                ErrorKind::InvalidState,
                format!(
                    "Screen capture must be started from a user gesture (call startStream from a click handler) ({})",
                    err.message
                ),
            )
        } else {
            err
        }
    })?;
    stream.dyn_into::<MediaStream>().map_err(|_| {
        ProducerError::new(
            ErrorKind::NotSupported,
            "the browser returned no MediaStream",
        )
    })
}

/// The tracks of `stream`.
pub fn tracks(stream: &MediaStream) -> Vec<MediaStreamTrack> {
    stream
        .get_tracks()
        .iter()
        .filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok())
        .collect()
}

/// Stops every track of `stream` (the camera light goes off).
pub fn stop_tracks(stream: &MediaStream) {
    for t in tracks(stream) {
        t.stop();
    }
}

/// Size and rate of the first video track, as the browser reports them now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrackSettings {
    /// Width in pixels.
    pub width: Option<i32>,
    /// Height in pixels.
    pub height: Option<i32>,
    /// Frames per second.
    pub frame_rate: Option<f64>,
}

/// Reads [`TrackSettings`] from the first video track of `stream`.
pub fn video_settings(stream: &MediaStream) -> TrackSettings {
    let Some(track) = stream
        .get_video_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .ok()
    else {
        return TrackSettings::default();
    };
    let s = track.get_settings();
    TrackSettings {
        width: s.get_width(),
        height: s.get_height(),
        frame_rate: s.get_frame_rate(),
    }
}

/// What the browser says about the device (each `None` where it does not say; the
/// core supplies the documented defaults). The battery is read separately (async).
pub fn device_readings() -> crate::core::profile::DeviceReadings {
    let window = web_sys::window();
    let navigator: JsValue = match &window {
        Some(w) => w.navigator().into(),
        None => JsValue::UNDEFINED,
    };
    let number = |k: &str| {
        Reflect::get(&navigator, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
    };
    let mobile = Reflect::get(&navigator, &"userAgentData".into())
        .ok()
        .filter(|d| d.is_object())
        .and_then(|d| Reflect::get(&d, &"mobile".into()).ok())
        .and_then(|m| m.as_bool());
    let coarse_pointer = window.as_ref().and_then(|w| {
        let f = Reflect::get(w, &"matchMedia".into()).ok()?;
        let f: js_sys::Function = f.dyn_into().ok()?;
        let q = f.call1(w, &"(pointer: coarse)".into()).ok()?;
        Reflect::get(&q, &"matches".into()).ok()?.as_bool()
    });
    crate::core::profile::DeviceReadings {
        device_memory_gb: number("deviceMemory"),
        hardware_concurrency: number("hardwareConcurrency").map(|n| n as u32),
        mobile,
        max_touch_points: number("maxTouchPoints").map(|n| n as u32),
        coarse_pointer,
        battery_level: None,
        battery_charging: None,
    }
}

/// The device profile from [`device_readings`].
pub fn device_profile() -> crate::core::profile::DeviceProfile {
    crate::core::profile::DeviceProfile::from_readings(device_readings())
}
