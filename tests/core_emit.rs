//! The JS shapes of the values the library hands out (`core::emit`), checked on the
//! host through `ValueOut`, which builds what the browser shell's `Out` builds in JS.

use media_recorder_producer::core::config::StreamRequest;
use media_recorder_producer::core::emit::{self, ValueOut};
use media_recorder_producer::core::memory::MemoryReadings;
use media_recorder_producer::core::metrics::{LiveState, ProducerMetrics, StreamMetrics};
use media_recorder_producer::core::ring::RingStats;
use media_recorder_producer::core::stream::{StreamInfo, StreamPhase};
use media_recorder_producer::core::value::{obj, Value};

fn keys(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m.keys().cloned().collect(),
        other => panic!("not an object: {other:?}"),
    }
}

/// A member as it is (`Value::get` reads a `null` member as missing).
fn raw<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(key),
        _ => None,
    }
}

fn num(v: &Value, key: &str) -> f64 {
    match v.get(key) {
        Some(Value::Number(n)) => *n,
        other => panic!("{key}: {other:?}"),
    }
}

fn request(json: Value) -> StreamRequest {
    StreamRequest::from_value(&json).expect("a valid request")
}

fn info(config: StreamRequest) -> StreamInfo {
    StreamInfo {
        id: "p-stream-1".into(),
        name: "camera 1".into(),
        kind: "video",
        config,
        active: true,
        state: StreamPhase::Recording,
        mime_type: "video/webm;codecs=vp9,opus".into(),
        start_time: 1_700_000_000_000.0,
        end_time: None,
        total_frames: 12,
        frames_dropped: 1,
        bytes_dropped: 2048,
        end_reason: None,
        engine: Some("webcodecs"),
        engine_reason: Some("engine: \"webcodecs\"".into()),
        engine_mode: Some("worker"),
        hardware_acceleration: None,
        frames_dropped_before_encoding: Some(3),
    }
}

#[test]
fn a_stream_has_its_fields_and_leaves_out_what_it_lacks() {
    let v = ValueOut::of(&info(request(obj([("width", Value::Number(640.0))]))));
    assert_eq!(
        keys(&v),
        [
            "id",
            "name",
            "type",
            "config",
            "active",
            "state",
            "mimeType",
            "startTime",
            "totalFrames",
            "framesDropped",
            "bytesDropped",
            "engine",
            "engineReason",
            "engineMode",
            "framesDroppedBeforeEncoding"
        ]
    );
    assert_eq!(v.get("state"), Some(&Value::String("recording".into())));
    assert_eq!(v.get("type"), Some(&Value::String("video".into())));
    assert_eq!(num(&v, "bytesDropped"), 2048.0);
    assert_eq!(num(&v, "framesDroppedBeforeEncoding"), 3.0);
    let config = v.get("config").expect("config");
    assert_eq!(num(config, "width"), 640.0);
    assert_eq!(
        config.get("height"),
        None,
        "an option not given is left out"
    );
    assert_eq!(config.get("source"), Some(&Value::String("camera".into())));
    assert_eq!(
        config.get("engine"),
        Some(&Value::String("mediarecorder".into()))
    );
    assert_eq!(config.get("audio"), Some(&Value::Bool(true)));
}

#[test]
fn a_request_writes_back_what_it_was_given() {
    let given = obj([
        ("source", Value::String("camera".into())),
        ("facingMode", Value::String("environment".into())),
        ("keyframeInterval", Value::Number(1000.0)),
        ("engine", Value::String("auto".into())),
        ("preferHardware", Value::Bool(false)),
        (
            "sink",
            obj([
                ("type", Value::String("opfs".into())),
                ("name", Value::String("take-1".into())),
            ]),
        ),
    ]);
    let v = ValueOut::of(&request(given));
    assert_eq!(
        v.get("facingMode"),
        Some(&Value::String("environment".into()))
    );
    assert_eq!(num(&v, "keyframeInterval"), 1000.0);
    assert_eq!(v.get("engine"), Some(&Value::String("auto".into())));
    assert_eq!(v.get("preferHardware"), Some(&Value::Bool(false)));
    assert_eq!(
        v.get("sink"),
        Some(&obj([
            ("type", Value::String("opfs".into())),
            ("name", Value::String("take-1".into())),
        ]))
    );
}

#[test]
fn metrics_flatten_each_streams_ring_and_write_null_for_what_is_unknown() {
    let ring = RingStats {
        pushed_chunks: 5,
        held_bytes: 700,
        ..RingStats::default()
    };
    let m = ProducerMetrics::new(0.0);
    let snap = m.snapshot(
        1000.0,
        LiveState {
            streams: vec![StreamMetrics {
                stream_id: "s".into(),
                active: true,
                budget_bytes: 4096,
                ring,
            }],
            expected_fps: 10.0,
            track_frame_rate: None,
            quality_level: Some(0.5),
        },
    );
    let v = ValueOut::of(&snap);
    assert_eq!(raw(&v, "trackFrameRate"), Some(&Value::Null));
    assert_eq!(num(&v, "qualityLevel"), 0.5);
    assert_eq!(num(&v, "bytesHeld"), 700.0);
    assert!(matches!(v.get("memoryTrend"), Some(Value::Array(_))));
    let Some(Value::Array(streams)) = v.get("streams") else {
        panic!("streams: {:?}", v.get("streams"))
    };
    let s = &streams[0];
    assert_eq!(s.get("streamId"), Some(&Value::String("s".into())));
    assert_eq!(num(s, "budgetBytes"), 4096.0);
    assert_eq!(num(s, "pushedChunks"), 5.0);
    assert_eq!(num(s, "heldBytes"), 700.0);
    assert_eq!(keys(s).len(), 3 + 10, "{:?}", keys(s));
}

#[test]
fn memory_readings_write_null_where_the_browser_gives_nothing() {
    let v = ValueOut::of(&MemoryReadings {
        bytes_held: 10,
        js_heap_used: Some(20),
        ..MemoryReadings::default()
    });
    assert_eq!(num(&v, "jsHeapUsed"), 20.0);
    assert_eq!(raw(&v, "jsHeapLimit"), Some(&Value::Null));
    assert_eq!(raw(&v, "uaMemoryBytes"), Some(&Value::Null));
    assert_eq!(keys(&v).len(), 8);
}

#[test]
fn a_value_comes_out_as_it_went_in() {
    let v = obj([
        (
            "a",
            Value::Array(vec![
                Value::Number(1.0),
                Value::Null,
                obj([("b", Value::Bool(true))]),
            ]),
        ),
        ("c", Value::String("x".into())),
    ]);
    let mut out = ValueOut::default();
    emit::value(&mut out, "", &v);
    assert_eq!(out.finish(), v);
}
