//! The `MediaStreamConstraints` a stream request asks the browser for.
//!
//! The producer's `constraints` (as given) are the base; the stream's own options
//! overlay them. Width, height and frame rate are `ideal` values (the browser picks
//! the nearest mode); `deviceId`/`audioDeviceId` are `exact` (a named device that is
//! missing must fail, not silently record another one); `facingMode` is a preference.
//! Where neither says, a camera gets the origin's 1280x720 at 30 fps facing the user.
//! As the seed's `optimizeConstraints` asked, a camera's size and rate also get a
//! `max` from the device class ([`DeviceProfile`]: 1920x1080@60 on high-end devices,
//! else 1280x720@30), raised to what the request itself names; and a microphone gets
//! echo cancellation, noise suppression, auto gain and an ideal 48 kHz unless the
//! producer's `constraints.audio` says otherwise.
//!
//! ```
//! use media_recorder_producer::core::config::{ProducerConfig, StreamRequest};
//! use media_recorder_producer::core::constraints::media_constraints;
//! use media_recorder_producer::core::value::{obj, Value};
//!
//! let req = StreamRequest::from_value(&obj([("width", Value::Number(640.0)), ("audio", Value::Bool(false))])).unwrap();
//! let c = media_constraints(&ProducerConfig::default(), &req, &Default::default());
//! assert_eq!(c.get("audio"), Some(&Value::Bool(false)));
//! let width = c.get("video").unwrap().get("width").unwrap();
//! assert_eq!(width.get("ideal"), Some(&Value::Number(640.0)));
//! ```

use crate::core::config::{
    ProducerConfig, Source, StreamRequest, DEFAULT_FRAME_RATE, DEFAULT_HEIGHT, DEFAULT_WIDTH,
};
use crate::core::profile::DeviceProfile;
use crate::core::value::{obj, Map, Value};

/// The constraints for `getUserMedia` (camera, microphone) or `getDisplayMedia` (screen).
pub fn media_constraints(
    cfg: &ProducerConfig,
    req: &StreamRequest,
    profile: &DeviceProfile,
) -> Value {
    let base = match &cfg.constraints {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let mut out = base.clone();
    let is_camera = req.source == Source::Camera;

    let video = if !req.video {
        Value::Bool(false)
    } else {
        let mut v = match base.get("video") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let default_if = |present: bool, default: f64| -> Option<f64> {
            (is_camera && !present).then_some(default)
        };
        let width = req
            .width
            .map(|w| w as f64)
            .or_else(|| default_if(v.contains_key("width"), DEFAULT_WIDTH as f64));
        let height = req
            .height
            .map(|h| h as f64)
            .or_else(|| default_if(v.contains_key("height"), DEFAULT_HEIGHT as f64));
        let rate = req
            .frame_rate
            .or_else(|| default_if(v.contains_key("frameRate"), DEFAULT_FRAME_RATE));
        let caps = [
            profile.max_width as f64,
            profile.max_height as f64,
            profile.max_frame_rate,
        ];
        for ((key, val), cap) in [("width", width), ("height", height), ("frameRate", rate)]
            .into_iter()
            .zip(caps)
        {
            if let Some(n) = val {
                let c = if is_camera {
                    obj([
                        ("ideal", Value::Number(n)),
                        ("max", Value::Number(cap.max(n))),
                    ])
                } else {
                    obj([("ideal", Value::Number(n))])
                };
                v.insert(key.into(), c);
            }
        }
        if is_camera {
            if let Some(f) = req.facing_mode {
                v.insert("facingMode".into(), Value::String(f.as_str().into()));
            } else if !v.contains_key("facingMode")
                && !v.contains_key("deviceId")
                && req.device_id.is_none()
            {
                v.insert("facingMode".into(), Value::String("user".into()));
            }
            if let Some(id) = &req.device_id {
                v.insert(
                    "deviceId".into(),
                    obj([("exact", Value::String(id.clone()))]),
                );
            }
        }
        Value::Object(v)
    };
    out.insert("video".into(), video);

    let audio = if !req.audio {
        Value::Bool(false)
    } else {
        let mut a = match base.get("audio") {
            Some(Value::Object(m)) => m.clone(),
            _ if req.source != Source::Screen => match obj([
                ("echoCancellation", Value::Bool(true)),
                ("noiseSuppression", Value::Bool(true)),
                ("autoGainControl", Value::Bool(true)),
                ("sampleRate", obj([("ideal", Value::Number(48_000.0))])),
            ]) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        if let Some(id) = &req.audio_device_id {
            a.insert(
                "deviceId".into(),
                obj([("exact", Value::String(id.clone()))]),
            );
        }
        if a.is_empty() {
            Value::Bool(true)
        } else {
            Value::Object(a)
        }
    };
    out.insert("audio".into(), audio);
    Value::Object(out)
}

/// The constraints `connect()` probes with: the producer's `constraints`, or a camera
/// and a microphone.
pub fn probe_constraints(cfg: &ProducerConfig) -> Value {
    match &cfg.constraints {
        Some(c @ Value::Object(_)) => c.clone(),
        _ => obj([("video", Value::Bool(true)), ("audio", Value::Bool(true))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: Value) -> StreamRequest {
        StreamRequest::from_value(&pairs).unwrap()
    }

    #[test]
    fn caps_follow_the_device_class_and_the_request() {
        use crate::core::profile::DeviceReadings;
        let low = DeviceProfile::default();
        let c = media_constraints(&ProducerConfig::default(), &req(Value::Null), &low);
        let w = c.get("video").unwrap().get("width").unwrap();
        assert_eq!(w.get("max"), Some(&Value::Number(1280.0)));
        let high = DeviceProfile::from_readings(DeviceReadings {
            device_memory_gb: Some(16.0),
            hardware_concurrency: Some(12),
            ..Default::default()
        });
        let c = media_constraints(&ProducerConfig::default(), &req(Value::Null), &high);
        let v = c.get("video").unwrap();
        assert_eq!(
            v.get("width").unwrap().get("max"),
            Some(&Value::Number(1920.0))
        );
        assert_eq!(
            v.get("frameRate").unwrap().get("max"),
            Some(&Value::Number(60.0))
        );
        // An explicit larger request raises the cap.
        let big = req(obj([("width", Value::Number(3840.0))]));
        let c = media_constraints(&ProducerConfig::default(), &big, &low);
        let w = c.get("video").unwrap().get("width").unwrap();
        assert_eq!(w.get("max"), Some(&Value::Number(3840.0)));
        // The microphone gets the seed's processing.
        let a = c.get("audio").unwrap();
        assert_eq!(a.get("echoCancellation"), Some(&Value::Bool(true)));
        assert_eq!(
            a.get("sampleRate").unwrap().get("ideal"),
            Some(&Value::Number(48_000.0))
        );
    }

    #[test]
    fn camera_defaults_are_the_origin_s() {
        let c = media_constraints(
            &ProducerConfig::default(),
            &req(Value::Null),
            &DeviceProfile::default(),
        );
        let v = c.get("video").unwrap();
        assert_eq!(
            v.get("width").unwrap().get("ideal"),
            Some(&Value::Number(1280.0))
        );
        assert_eq!(
            v.get("height").unwrap().get("ideal"),
            Some(&Value::Number(720.0))
        );
        assert_eq!(
            v.get("frameRate").unwrap().get("ideal"),
            Some(&Value::Number(30.0))
        );
        assert_eq!(v.get("facingMode"), Some(&Value::String("user".into())));
        assert_eq!(
            c.get("audio").unwrap().get("autoGainControl"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn device_id_is_exact_and_replaces_facing_default() {
        let c = media_constraints(
            &ProducerConfig::default(),
            &req(obj([("deviceId", Value::String("abc".into()))])),
            &DeviceProfile::default(),
        );
        let v = c.get("video").unwrap();
        assert_eq!(
            v.get("deviceId").unwrap().get("exact"),
            Some(&Value::String("abc".into()))
        );
        assert_eq!(v.get("facingMode"), None);
    }

    #[test]
    fn producer_constraints_are_the_base() {
        let cfg = ProducerConfig::from_value(&obj([(
            "constraints",
            obj([
                (
                    "video",
                    obj([("width", obj([("max", Value::Number(640.0))]))]),
                ),
                ("audio", obj([("echoCancellation", Value::Bool(false))])),
            ]),
        )]))
        .unwrap();
        let c = media_constraints(&cfg, &req(Value::Null), &DeviceProfile::default());
        let v = c.get("video").unwrap();
        // The base's width stands; height and rate get defaults.
        assert_eq!(
            v.get("width").unwrap().get("max"),
            Some(&Value::Number(640.0))
        );
        assert_eq!(
            v.get("height").unwrap().get("ideal"),
            Some(&Value::Number(720.0))
        );
        assert_eq!(
            c.get("audio").unwrap().get("echoCancellation"),
            Some(&Value::Bool(false))
        );
    }

    #[test]
    fn microphone_has_no_video() {
        let c = media_constraints(
            &ProducerConfig::default(),
            &req(obj([("source", Value::String("microphone".into()))])),
            &DeviceProfile::default(),
        );
        assert_eq!(c.get("video"), Some(&Value::Bool(false)));
        assert!(c.get("audio").unwrap().get("noiseSuppression").is_some());
    }

    #[test]
    fn screen_gets_no_camera_defaults() {
        let c = media_constraints(
            &ProducerConfig::default(),
            &req(obj([("source", Value::String("screen".into()))])),
            &DeviceProfile::default(),
        );
        assert_eq!(c.get("video"), Some(&Value::Object(Default::default())));
        assert_eq!(c.get("audio"), Some(&Value::Bool(false)));
    }
}
