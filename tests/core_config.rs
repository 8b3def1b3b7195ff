//! Config validation: every field's bounds and wrong types give a named error that
//! names the field.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::config::*;
use media_recorder_producer::core::value::{obj, Value};

fn n(x: f64) -> Value {
    Value::Number(x)
}
fn s(x: &str) -> Value {
    Value::String(x.into())
}

fn producer_err(field: &str, v: Value) -> (String, String) {
    let e = ProducerConfig::from_value(&obj([(field, v)])).unwrap_err();
    (e.kind.js_name().to_string(), e.message)
}

#[test]
fn defaults() {
    let c = ProducerConfig::from_value(&Value::Null).unwrap();
    assert_eq!(c, ProducerConfig::default());
    assert_eq!(c.video_bits_per_second, 2_500_000);
    assert_eq!(c.audio_bits_per_second, 128_000);
    assert_eq!(c.recording_interval_ms, 100);
    assert_eq!(c.buffer_capacity, 64);
    assert_eq!(c.buffer_max_bytes, 8 * 1024 * 1024);
    assert_eq!(c.chunk_processing_interval_ms, 50);
    assert_eq!(c.retain, Retain::Bounded);
    assert!(c.probe_on_connect);
    assert_eq!(c.memory_threshold, 100 * 1024 * 1024);
    assert_eq!(c.memory_check_interval_ms, 5000);
    assert_eq!(c.memory_cooldown_ms, 30_000);
    assert_eq!(c.log, LogTarget::None);
}

#[test]
fn integer_fields_bounds() {
    let cases: &[(&str, f64, f64)] = &[
        ("videoBitsPerSecond", 10_000.0, 100_000_000.0),
        ("audioBitsPerSecond", 6_000.0, 512_000.0),
        ("recordingInterval", 10.0, 60_000.0),
        ("bufferCapacity", 1.0, 100_000.0),
        ("bufferMaxBytes", 1024.0, 2.0 * 1024.0 * 1024.0 * 1024.0),
        ("chunkProcessingInterval", 1.0, 10_000.0),
        ("memoryThreshold", 1024.0, (1u64 << 40) as f64),
        ("memoryCheckInterval", 50.0, 600_000.0),
        ("memoryWarningCooldown", 0.0, 3_600_000.0),
    ];
    for &(field, lo, hi) in cases {
        for ok in [lo, hi] {
            assert!(
                ProducerConfig::from_value(&obj([(field, n(ok))])).is_ok(),
                "{field}={ok} should be accepted"
            );
        }
        for bad in [lo - 1.0, hi + 1.0, lo + 0.5, f64::NAN, f64::INFINITY, -1.0] {
            let (name, msg) = producer_err(field, n(bad));
            assert_eq!(name, "RangeError", "{field}={bad}");
            assert!(msg.contains(&format!("config.{field}")), "{msg}");
            assert!(
                msg.contains(&format!("{lo}")) || msg.contains(&format!("{}", lo as u64)),
                "{msg}"
            );
        }
        let (name, msg) = producer_err(field, s("100"));
        assert_eq!(name, "TypeError");
        assert!(msg.contains(field) && msg.contains("got string"), "{msg}");
    }
}

#[test]
fn other_fields() {
    assert_eq!(producer_err("retain", s("some")).0, "RangeError");
    assert_eq!(producer_err("retain", Value::Bool(true)).0, "TypeError");
    assert_eq!(
        ProducerConfig::from_value(&obj([("retain", s("all"))]))
            .unwrap()
            .retain,
        Retain::All
    );
    let (name, message) = producer_err("frameData", s("bytes"));
    assert_eq!(name, "RangeError");
    assert!(message.contains("config.frameData"), "{message}");
    assert_eq!(producer_err("frameData", Value::Bool(true)).0, "TypeError");
    assert_eq!(
        ProducerConfig::from_value(&Value::Null).unwrap().frame_data,
        FrameData::ArrayBuffer
    );
    assert_eq!(
        ProducerConfig::from_value(&obj([("frameData", s("blob"))]))
            .unwrap()
            .frame_data,
        FrameData::Blob
    );
    assert_eq!(producer_err("probeOnConnect", n(1.0)).0, "TypeError");
    assert_eq!(producer_err("log", s("stdout")).0, "RangeError");
    assert_eq!(
        ProducerConfig::from_value(&obj([("log", s("console"))]))
            .unwrap()
            .log,
        LogTarget::Console
    );
    assert_eq!(producer_err("type", s("webrtc")).0, "RangeError");
    assert!(ProducerConfig::from_value(&obj([("type", s("media-recorder"))])).is_ok());
    assert_eq!(producer_err("name", s("")).0, "RangeError");
    assert_eq!(producer_err("constraints", s("video")).0, "TypeError");
    let (name, msg) = producer_err("constraints", obj([("video", n(1.0))]));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("config.constraints.video"), "{msg}");
    assert_eq!(producer_err("mimeTypes", s("video/webm")).0, "TypeError");
    assert_eq!(
        producer_err("mimeTypes", Value::Array(vec![])).0,
        "RangeError"
    );
    let (name, msg) = producer_err("mimeTypes", Value::Array(vec![s("video/webm"), n(3.0)]));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("config.mimeTypes[1]"), "{msg}");
    let (name, msg) = producer_err("recordInterval", n(100.0));
    assert_eq!(name, "TypeError");
    assert!(
        msg.contains("config.recordInterval is not a known option"),
        "{msg}"
    );
    let e = ProducerConfig::from_value(&s("x")).unwrap_err();
    assert_eq!(e.kind.js_name(), "TypeError");
}

fn stream_err(pairs: Value) -> (String, String) {
    let e = StreamRequest::from_value(&pairs).unwrap_err();
    (e.kind.js_name().to_string(), e.message)
}

#[test]
fn stream_request() {
    let r = StreamRequest::from_value(&Value::Null).unwrap();
    assert_eq!((r.source, r.audio, r.video), (Source::Camera, true, true));
    let r = StreamRequest::from_value(&obj([("source", s("microphone"))])).unwrap();
    assert_eq!((r.audio, r.video, r.frame_type()), (true, false, "audio"));
    let r = StreamRequest::from_value(&obj([("source", s("screen"))])).unwrap();
    assert_eq!((r.audio, r.video), (false, true));

    for (field, bad) in [
        ("width", n(0.0)),
        ("width", n(7681.0)),
        ("height", n(4321.0)),
        ("frameRate", n(0.0)),
        ("frameRate", n(241.0)),
        ("bitrate", n(5.0)),
        ("facingMode", s("up")),
        ("source", s("camera2")),
        ("deviceId", s("")),
    ] {
        let (name, msg) = stream_err(obj([(field, bad)]));
        assert_eq!(name, "RangeError", "{field}");
        assert!(msg.contains(&format!("videoConfig.{field}")), "{msg}");
    }
    for (field, bad) in [("width", s("640")), ("audio", n(1.0)), ("deviceId", n(1.0))] {
        let (name, msg) = stream_err(obj([(field, bad)]));
        assert_eq!(name, "TypeError", "{field}");
        assert!(msg.contains(&format!("videoConfig.{field}")), "{msg}");
    }
    assert_eq!(
        stream_err(obj([
            ("audio", Value::Bool(false)),
            ("video", Value::Bool(false))
        ]))
        .0,
        "RangeError"
    );
    assert_eq!(
        stream_err(obj([
            ("source", s("microphone")),
            ("video", Value::Bool(true))
        ]))
        .0,
        "RangeError"
    );
    let (name, msg) = stream_err(obj([("source", s("external"))]));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("mimeType"), "{msg}");
    assert_eq!(stream_err(obj([("widht", n(640.0))])).0, "TypeError");
}

#[test]
fn mime_candidates() {
    let cfg = ProducerConfig::default();
    let audio_only = StreamRequest::from_value(&obj([("video", Value::Bool(false))])).unwrap();
    assert_eq!(
        candidate_mime_types(&audio_only, &cfg)[0],
        "audio/webm;codecs=opus"
    );
    let vp8 = StreamRequest::from_value(&obj([("codec", s("vp8"))])).unwrap();
    assert_eq!(
        candidate_mime_types(&vp8, &cfg)[0],
        "video/webm;codecs=vp8,opus"
    );
    let h264 = StreamRequest::from_value(&obj([("codec", s("h264"))])).unwrap();
    assert_eq!(
        candidate_mime_types(&h264, &cfg)[0],
        "video/webm;codecs=h264,opus"
    );
    let own = ProducerConfig::from_value(&obj([(
        "mimeTypes",
        Value::Array(vec![s("video/mp4"), s("video/webm")]),
    )]))
    .unwrap();
    let req = StreamRequest::from_value(&Value::Null).unwrap();
    assert_eq!(
        candidate_mime_types(&req, &own),
        vec!["video/mp4", "video/webm"]
    );
    // Firefox-like support: no vp9, no mp4.
    let firefox = |m: &str| m.starts_with("video/webm") && !m.contains("vp9");
    assert_eq!(
        negotiate_mime_type(&candidate_mime_types(&req, &cfg), firefox).as_deref(),
        Some("video/webm;codecs=vp8,opus")
    );
    assert_eq!(
        negotiate_mime_type(&candidate_mime_types(&req, &cfg), |_| false),
        None
    );
    assert!(is_webm("video/webm;codecs=vp9") && !is_webm("video/mp4"));
}

#[test]
fn adaptive_fields() {
    let c = ProducerConfig::from_value(&Value::Null).unwrap().adaptive;
    assert!(c.enabled && !c.restart_on_bitrate_change);
    assert_eq!(
        (
            c.target_fps,
            c.max_processing_ms,
            c.quality_floor,
            c.window_ms
        ),
        (30.0, 50.0, 0.3, 1000)
    );
    for (field, bad) in [
        ("targetFps", n(0.0)),
        ("targetFps", n(121.0)),
        ("maxProcessingTime", n(0.5)),
        ("qualityFloor", n(1.5)),
        ("qualityFloor", n(-0.1)),
        ("qualityWindow", n(10.0)),
        ("stepDownAfter", n(0.0)),
        ("stepUpAfter", n(5000.0)),
        ("ladder", Value::Array(vec![])),
    ] {
        let (name, msg) = producer_err(field, bad);
        assert_eq!(name, "RangeError", "{field}");
        assert!(msg.contains(&format!("config.{field}")), "{msg}");
    }
    assert_eq!(producer_err("adaptiveQuality", s("yes")).0, "TypeError");
    let (name, msg) = producer_err(
        "ladder",
        Value::Array(vec![obj([("width", n(640.0)), ("height", n(360.0))])]),
    );
    assert_eq!(name, "TypeError");
    assert!(
        msg.contains("config.ladder[0].frameRate is required"),
        "{msg}"
    );
    let (name, msg) = producer_err("deviceProfile", obj([("maxWidth", n(8.0))]));
    assert_eq!(name, "RangeError");
    assert!(msg.contains("config.deviceProfile.maxWidth"), "{msg}");
    let ok = ProducerConfig::from_value(&obj([
        (
            "ladder",
            Value::Array(vec![obj([
                ("width", n(640.0)),
                ("height", n(360.0)),
                ("frameRate", n(15.0)),
            ])]),
        ),
        ("deviceProfile", obj([("maxWidth", n(960.0))])),
        ("restartOnBitrateChange", Value::Bool(true)),
    ]))
    .unwrap()
    .adaptive;
    assert_eq!(ok.ladder.unwrap()[0].width, 640);
    assert_eq!(ok.max_width, Some(960));
    assert!(ok.restart_on_bitrate_change);
}

/// The words of a message (letters, digits, `-`), to look for a whole word.
fn words(msg: &str) -> Vec<&str> {
    msg.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn numbers_in_messages_read_as_js_writes_them() {
    // An integer field and a real-valued field, each given Infinity, -Infinity and NaN.
    for field in ["recordingInterval", "qualityFloor"] {
        for (bad, js) in [
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ] {
            let (name, msg) = producer_err(field, n(bad));
            assert_eq!(name, "RangeError", "{msg}");
            assert!(msg.ends_with(&format!("got {js}")), "{msg}");
            let w = words(&msg);
            assert!(!w.contains(&"inf") && !w.contains(&"-inf"), "{msg}");
        }
    }
    // Integral values without `.0`, the others as JS prints them.
    let (_, msg) = producer_err("recordingInterval", n(5.0));
    assert!(msg.ends_with("got 5"), "{msg}");
    let (_, msg) = producer_err("recordingInterval", n(100.5));
    assert!(msg.ends_with("got 100.5"), "{msg}");
    let (_, msg) = producer_err("qualityFloor", n(1.5));
    assert!(msg.contains("from 0 up to 1, got 1.5"), "{msg}");
    let (_, msg) = producer_err("videoBitsPerSecond", n(1e21));
    assert!(msg.ends_with("got 1e+21"), "{msg}");
    // The same inside a stream request.
    let e = StreamRequest::from_value(&obj([("frameRate", n(f64::INFINITY))])).unwrap_err();
    assert!(e.message.contains("videoConfig.frameRate"), "{}", e.message);
    assert!(e.message.ends_with("got Infinity"), "{}", e.message);
}

#[test]
fn readable_is_a_boolean_off_by_default() {
    assert!(!StreamRequest::from_value(&Value::Null).unwrap().readable);
    let r = StreamRequest::from_value(&obj([("readable", Value::Bool(true))])).unwrap();
    assert!(r.readable);
    let (name, message) = stream_err(obj([("readable", s("yes"))]));
    assert_eq!(name, "TypeError");
    assert!(message.contains("readable"), "{message}");
}

#[test]
fn engine_is_parsed_and_defaults_to_mediarecorder() {
    let r = StreamRequest::from_value(&Value::Null).unwrap();
    assert_eq!(r.engine, EngineChoice::MediaRecorder);
    assert_eq!(r.prefer_hardware, None);
    for (name, want) in [
        ("auto", EngineChoice::Auto),
        ("mediarecorder", EngineChoice::MediaRecorder),
        ("webcodecs", EngineChoice::WebCodecs),
    ] {
        let r = StreamRequest::from_value(&obj([("engine", s(name))])).unwrap();
        assert_eq!(r.engine, want);
    }
    let e = StreamRequest::from_value(&obj([("engine", s("ffmpeg"))])).unwrap_err();
    assert_eq!(e.kind.js_name(), "RangeError");
    assert!(e.message.contains("videoConfig.engine"), "{}", e.message);
    let e = StreamRequest::from_value(&obj([("preferHardware", n(1.0))])).unwrap_err();
    assert_eq!(e.kind.js_name(), "TypeError");
    assert!(
        e.message.contains("videoConfig.preferHardware"),
        "{}",
        e.message
    );
    let e = StreamRequest::from_value(&obj([
        ("source", s("external")),
        ("mimeType", s("video/webm")),
        ("engine", s("webcodecs")),
    ]))
    .unwrap_err();
    assert_eq!(e.kind.js_name(), "RangeError");
    assert!(e.message.contains("videoConfig.engine"), "{}", e.message);
}

#[test]
fn webcodecs_plan_takes_the_first_webm_type_it_writes() {
    let cfg = ProducerConfig::default();
    let plan = |v: Value| webcodecs_plan(&StreamRequest::from_value(&v).unwrap(), &cfg);
    assert_eq!(
        plan(Value::Null).unwrap().mime_type,
        "video/webm;codecs=vp9,opus"
    );
    assert_eq!(
        plan(obj([("codec", s("vp8"))])).unwrap().mime_type,
        "video/webm;codecs=vp8,opus"
    );
    assert_eq!(
        plan(obj([("audio", Value::Bool(false))]))
            .unwrap()
            .mime_type,
        "video/webm;codecs=vp9"
    );
    let mic = plan(obj([("source", s("microphone"))])).unwrap();
    assert_eq!(mic.mime_type, "audio/webm;codecs=opus");
    assert_eq!((mic.video, mic.audio), (None, true));
    // No codec named: VP8 (the cheaper software encoder); quotes and case are read.
    assert_eq!(
        plan(obj([("mimeType", s("VIDEO/WEBM"))]))
            .unwrap()
            .mime_type,
        "video/webm;codecs=vp8,opus"
    );
    assert_eq!(
        plan(obj([(
            "mimeType",
            s("video/webm; codecs=\"vp09.00.10.08, opus\"")
        )]))
        .unwrap()
        .mime_type,
        "video/webm;codecs=vp9,opus"
    );
    // Types it does not write are skipped; none left is an error that names them.
    let cfg2 = ProducerConfig::from_value(&obj([(
        "mimeTypes",
        Value::Array(vec![
            s("video/webm;codecs=h264"),
            s("video/webm;codecs=vp8"),
        ]),
    )]))
    .unwrap();
    let r = StreamRequest::from_value(&Value::Null).unwrap();
    assert_eq!(
        webcodecs_plan(&r, &cfg2).unwrap().mime_type,
        "video/webm;codecs=vp8,opus"
    );
    let why = plan(obj([("mimeType", s("video/mp4"))])).unwrap_err();
    assert!(why.contains("video/mp4"), "{why}");
    assert!(plan(obj([("mimeType", s("video/webm;codecs=av1"))])).is_err());
    // An audio-only stream: a video type naming a video codec is not one it writes; a
    // bare video/webm is (as MediaRecorder does, the file has an audio track only).
    let mic = |m: &str| plan(obj([("source", s("microphone")), ("mimeType", s(m))]));
    assert!(mic("video/webm;codecs=vp8,opus").is_err());
    assert_eq!(
        mic("video/webm").unwrap().mime_type,
        "audio/webm;codecs=opus"
    );
}
