//! How a stream is put together (`core::assembly`): the engine and why, the types
//! MediaRecorder records or holds ready, and whether chunks are indexed. The browser's
//! answers (the WebCodecs probe, `isTypeSupported`) are given as values here.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::assembly::*;
use media_recorder_producer::core::config::*;
use media_recorder_producer::core::value::{obj, Value};

fn s(x: &str) -> Value {
    Value::String(x.into())
}

fn req(pairs: Value) -> StreamRequest {
    StreamRequest::from_value(&pairs).unwrap()
}

fn cfg() -> ProducerConfig {
    ProducerConfig::default()
}

fn probe_plan(r: &StreamRequest) -> CodecsPlan {
    match engine_step(r, &cfg()).unwrap() {
        EngineStep::Probe(plan) => plan,
        other => panic!("expected a plan to probe, got {other:?}"),
    }
}

#[test]
fn mediarecorder_is_the_default_and_needs_no_probe() {
    let d = match engine_step(&req(Value::Null), &cfg()).unwrap() {
        EngineStep::Decided(d) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(d.kind, EngineKind::MediaRecorder);
    assert_eq!(d.reason, "engine: \"mediarecorder\" (the default)");
}

#[test]
fn a_type_webcodecs_does_not_write_is_not_supported_or_falls_back() {
    let mp4 = |engine: &str| req(obj([("engine", s(engine)), ("mimeType", s("video/mp4"))]));
    let e = engine_step(&mp4("webcodecs"), &cfg()).unwrap_err();
    assert_eq!(e.kind.js_name(), "NotSupportedError");
    assert!(
        e.message
            .starts_with("videoConfig.engine \"webcodecs\" cannot record here: "),
        "{}",
        e.message
    );
    match engine_step(&mp4("auto"), &cfg()).unwrap() {
        EngineStep::Decided(d) => {
            assert_eq!(d.kind, EngineKind::MediaRecorder);
            assert!(
                d.reason
                    .starts_with("engine: \"auto\" chose MediaRecorder: "),
                "{}",
                d.reason
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn webcodecs_probes_for_its_plan_and_the_probe_decides() {
    for engine in ["webcodecs", "auto"] {
        let r = req(obj([("engine", s(engine))]));
        let plan = probe_plan(&r);
        assert_eq!(plan.mime_type, "video/webm;codecs=vp9,opus");
        let auto = engine == "auto";
        // Everything there: WebCodecs, with MediaRecorder standing by only for auto.
        let d = engine_after_probe(
            r.engine,
            plan.clone(),
            Probe::Supported(Some("no-preference")),
        )
        .unwrap();
        assert_eq!(
            d.kind,
            EngineKind::WebCodecs {
                plan: plan.clone(),
                hardware: Some("no-preference"),
                standby: auto,
            }
        );
        // A missing API, a config the encoders refuse or a module that did not load: named,
        // in the error or the reason.
        for (probe, words) in [
            (
                Probe::Missing("MediaStreamTrackProcessor".into()),
                "this browser has no MediaStreamTrackProcessor",
            ),
            (
                Probe::Unsupported("vp09.00.10.08".into()),
                "this browser's encoders do not take vp09.00.10.08 for this stream",
            ),
            // The codecs module did not load (offline, a CSP that refuses it).
            (
                Probe::Unavailable(
                    "the WebCodecs engine's module (codecs) could not be loaded: HTTP 404".into(),
                ),
                "the WebCodecs engine's module (codecs) could not be loaded: HTTP 404",
            ),
        ] {
            match engine_after_probe(r.engine, plan.clone(), probe) {
                Ok(d) if auto => {
                    assert_eq!(d.kind, EngineKind::MediaRecorder);
                    assert!(d.reason.ends_with(words), "{}", d.reason);
                }
                Err(e) if !auto => {
                    assert_eq!(e.kind.js_name(), "NotSupportedError");
                    assert!(e.message.ends_with(words), "{}", e.message);
                }
                other => panic!("{engine}: {other:?}"),
            }
        }
    }
}

#[test]
fn mediarecorder_records_the_first_supported_candidate_or_nothing_opens() {
    let r = req(Value::Null);
    let types = stream_types(&r, &cfg(), Some(&EngineKind::MediaRecorder), |m| {
        m.starts_with("video/webm;codecs=vp8")
    })
    .unwrap();
    assert_eq!(types.mime_type, "video/webm;codecs=vp8,opus");
    assert_eq!(
        types.recorder.as_deref(),
        Some("video/webm;codecs=vp8,opus")
    );
    let e = stream_types(&r, &cfg(), Some(&EngineKind::MediaRecorder), |_| false).unwrap_err();
    assert_eq!(e.kind.js_name(), "NotSupportedError");
    assert!(
        e.message.starts_with(
            "This browser's MediaRecorder supports none of: video/webm;codecs=vp9,opus, "
        ),
        "{}",
        e.message
    );
}

#[test]
fn webcodecs_types_come_from_its_plan_and_auto_holds_a_recorder_ready() {
    let r = req(obj([("engine", s("auto"))]));
    let plan = probe_plan(&r);
    let kind = |standby| EngineKind::WebCodecs {
        plan: plan.clone(),
        hardware: None,
        standby,
    };
    // `webcodecs`: no MediaRecorder is made, whatever it supports.
    let t = stream_types(&r, &cfg(), Some(&kind(false)), |_| true).unwrap();
    assert_eq!(
        (t.mime_type.as_str(), t.recorder),
        (plan.mime_type.as_str(), None)
    );
    // `auto`: the first type MediaRecorder supports stands by…
    let t = stream_types(&r, &cfg(), Some(&kind(true)), |m| m == "video/webm").unwrap();
    assert_eq!(t.mime_type, plan.mime_type);
    assert_eq!(t.recorder.as_deref(), Some("video/webm"));
    // …and none is no error: the encoder records without a fallback.
    let t = stream_types(&r, &cfg(), Some(&kind(true)), |_| false).unwrap();
    assert_eq!(t.recorder, None);
}

#[test]
fn pushed_chunks_have_the_requests_type_and_no_recorder() {
    let r = req(obj([
        ("source", s("external")),
        ("mimeType", s("video/mp4")),
    ]));
    assert!(!captures(&r));
    let t = stream_types(&r, &cfg(), None, |_| panic!("no recorder is negotiated")).unwrap();
    assert_eq!((t.mime_type.as_str(), t.recorder), ("video/mp4", None));
    assert!(captures(&req(Value::Null)));
}

#[test]
fn only_webm_and_mp4_are_indexed_and_only_when_something_needs_the_index() {
    let all = ProducerConfig::from_value(&obj([("retain", s("all"))])).unwrap();
    let plain = req(Value::Null);
    let replay = req(obj([("replay", Value::Bool(true))]));
    let opfs = req(obj([("sink", obj([("type", s("opfs"))]))]));
    let webm = "video/webm;codecs=vp9,opus";
    assert!(!wants_index(&plain, &cfg(), webm));
    assert!(wants_index(&replay, &cfg(), webm));
    assert!(wants_index(&opfs, &cfg(), "video/mp4"));
    assert!(wants_index(&plain, &all, "audio/webm"));
    assert!(!wants_index(&replay, &all, "audio/ogg;codecs=opus"));
}

#[test]
fn a_stream_is_named_by_its_source_and_number_unless_named() {
    assert_eq!(stream_name(&req(Value::Null), 1), "camera 1");
    assert_eq!(
        stream_name(&req(obj([("source", s("microphone"))])), 12),
        "microphone 12"
    );
    assert_eq!(
        stream_name(&req(obj([("name", s("front door"))])), 3),
        "front door"
    );
}
