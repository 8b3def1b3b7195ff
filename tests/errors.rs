//! Bad input and browser failures become named errors; nothing acquired stays live.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::web::MediaRecorderProducer;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn bad_config_throws_named_errors_naming_the_field() {
    let e = MediaRecorderProducer::new(js(r#"{"recordingInterval":0}"#))
        .err()
        .unwrap();
    assert!(e.is_instance_of::<js_sys::RangeError>());
    assert!(
        err_message(&e).contains("config.recordingInterval"),
        "{}",
        err_message(&e)
    );
    let e = MediaRecorderProducer::new(js(r#"{"bufferMaxBytes":"8MB"}"#))
        .err()
        .unwrap();
    assert!(e.is_instance_of::<js_sys::TypeError>());
    assert!(err_message(&e).contains("config.bufferMaxBytes"));
    let e = MediaRecorderProducer::new(js(r#"{"recordInterval":100}"#))
        .err()
        .unwrap();
    assert_eq!(err_name(&e), "TypeError");
    assert!(err_message(&e).contains("recordInterval is not a known option"));
    let e = MediaRecorderProducer::new(JsValue::from_f64(f64::NAN))
        .err()
        .unwrap();
    assert_eq!(err_name(&e), "TypeError");
    // NaN inside the object is rejected, not read as "absent".
    let cfg = js_sys::Object::new();
    js_sys::Reflect::set(&cfg, &"videoBitsPerSecond".into(), &f64::NAN.into()).unwrap();
    let e = MediaRecorderProducer::new(cfg.into()).err().unwrap();
    assert_eq!(err_name(&e), "RangeError");
    // undefined is the defaults.
    assert!(MediaRecorderProducer::new(JsValue::UNDEFINED).is_ok());
}

#[wasm_bindgen_test]
async fn bad_stream_options_and_calls_reject_with_named_errors() {
    let p = producer(r#"{"probeOnConnect":false}"#);
    // Not connected yet.
    let e = settle(p.start_stream(JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    assert!(err_message(&e).contains("connect()"));
    settle(p.connect()).await.unwrap();
    let e = settle(p.start_stream(js(r#"{"width":"640"}"#)))
        .await
        .unwrap_err();
    assert!(e.is_instance_of::<js_sys::TypeError>());
    assert!(err_message(&e).contains("videoConfig.width"));
    let e = settle(p.start_stream(js(r#"{"frameRate":1000}"#)))
        .await
        .unwrap_err();
    assert!(e.is_instance_of::<js_sys::RangeError>());
    let e = settle(p.stop_stream("nope".into())).await.unwrap_err();
    assert_eq!(err_name(&e), "RangeError");
    assert!(err_message(&e).contains("\"nope\""));
    let e = p.on_frame(JsValue::from_str("not a function")).unwrap_err();
    assert!(e.is_instance_of::<js_sys::TypeError>());
    assert!(err_message(&e).contains("onFrame"));
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_missing_exact_device_is_overconstrained_and_leaves_nothing() {
    let p = producer("{}");
    let statuses = collect(&p, Event::Status);
    settle(p.connect()).await.unwrap();
    let e = settle(p.start_stream(js(r#"{"deviceId":"no-such-camera"}"#)))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "OverconstrainedError");
    assert_eq!(get_str(&e, "constraint"), "deviceId");
    assert!(
        err_message(&e).contains("`deviceId`"),
        "{}",
        err_message(&e)
    );
    assert!(e.is_instance_of::<web_sys::DomException>());
    // The status shows it, with a status change.
    assert!(get_str(&p.status(), "error").contains("deviceId"));
    assert!(statuses
        .all()
        .iter()
        .any(|s| !get(s, "error").is_undefined()));
    assert_eq!(p.get_active_streams().length(), 0);
    assert_eq!(
        js_sys::Array::from(&get(&p.metrics(), "streams")).length(),
        0
    );
    // The producer still works afterwards, and the error clears.
    let id = get_str(
        &settle(p.start_stream(JsValue::UNDEFINED)).await.unwrap(),
        "id",
    );
    assert!(get(&p.status(), "error").is_undefined());
    settle(p.stop_stream((&id).into())).await.unwrap();
    p.destroy();
}

#[wasm_bindgen_test]
async fn an_unsupported_type_is_not_supported_and_opens_no_device() {
    let p = producer(r#"{"mimeTypes":["video/x-no-such-type","audio/x-neither"]}"#);
    settle(p.connect()).await.unwrap();
    let e = settle(p.start_stream(JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "NotSupportedError");
    assert!(err_message(&e).contains("video/x-no-such-type"));
    let e = settle(p.start_stream(js(r#"{"mimeType":"video/x-nope"}"#)))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "NotSupportedError");
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}

#[wasm_bindgen_test]
async fn errors_read_well_as_strings() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    let e = settle(p.start_stream(js(r#"{"deviceId":"x"}"#)))
        .await
        .unwrap_err();
    let text: String = e.unchecked_ref::<js_sys::Object>().to_string().into();
    assert!(text.starts_with("OverconstrainedError: "), "{text}");
    p.destroy();
}
