//! Bad input and browser failures become named errors; nothing acquired stays live.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::web::devices::list_devices;
use media_recorder_producer::web::{MediaRecorderProducer, StreamPool};
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
fn options_that_are_not_plain_data_name_the_member() {
    // A function deep inside: the message names its path.
    let video = js_sys::Object::new();
    js_sys::Reflect::set(
        &video,
        &"width".into(),
        &js_sys::Function::new_no_args("return 1"),
    )
    .unwrap();
    let constraints = js_sys::Object::new();
    js_sys::Reflect::set(&constraints, &"video".into(), &video).unwrap();
    let cfg = js_sys::Object::new();
    js_sys::Reflect::set(&cfg, &"constraints".into(), &constraints).unwrap();
    let e = MediaRecorderProducer::new(cfg.into()).err().unwrap();
    assert_eq!(err_name(&e), "TypeError");
    assert!(
        err_message(&e).contains("config.constraints.video.width is a function"),
        "{}",
        err_message(&e)
    );
    // Inside an array, and a symbol.
    let cfg = js_sys::Function::new_no_args("return { mimeTypes: ['video/webm', Symbol('x')] }")
        .call0(&JsValue::UNDEFINED)
        .unwrap();
    let e = MediaRecorderProducer::new(cfg).err().unwrap();
    assert_eq!(err_name(&e), "TypeError");
    assert!(
        err_message(&e).contains("config.mimeTypes[1] is a symbol"),
        "{}",
        err_message(&e)
    );
    // A cycle is an error, not a stack overflow.
    let cfg = js_sys::Function::new_no_args("const c = {}; c.constraints = { self: c }; return c;")
        .call0(&JsValue::UNDEFINED)
        .unwrap();
    let e = MediaRecorderProducer::new(cfg).err().unwrap();
    assert_eq!(err_name(&e), "TypeError");
    assert!(
        err_message(&e).contains("nests too deeply"),
        "{}",
        err_message(&e)
    );
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

/// Calls `method` of `target` from JS; the error it throws (`sync`) or rejects with.
async fn failure(target: &JsValue, method: &str, args: &[JsValue], sync: bool) -> JsValue {
    match call(target, method, args) {
        Err(e) => {
            assert!(
                sync,
                "{method} threw where it should reject: {:?}",
                err_message(&e)
            );
            e
        }
        Ok(v) => {
            assert!(!sync, "{method} returned {v:?} instead of throwing");
            let p: js_sys::Promise = v
                .dyn_into()
                .unwrap_or_else(|v| panic!("{method} returned {v:?}, not a Promise"));
            settle(p)
                .await
                .expect_err(&format!("{method} resolved with a bad argument"))
        }
    }
}

/// A bad argument at `at` of `method`, named `arg`; the others are valid.
struct Case {
    method: &'static str,
    valid: Vec<JsValue>,
    at: usize,
    arg: &'static str,
    bad: Vec<JsValue>,
    sync: bool,
}

/// The methods (with parameters) of a wasm-bindgen object, as JS sees them.
fn methods_with_parameters(target: &JsValue) -> Vec<String> {
    let proto = js_sys::Object::get_prototype_of(target);
    js_sys::Object::get_own_property_names(&proto)
        .iter()
        .filter_map(|k| k.as_string())
        .filter(|k| k != "constructor" && !k.starts_with("__"))
        .filter(|k| {
            let d = js_sys::Object::get_own_property_descriptor(&proto, &k.into());
            get(&d, "value")
                .dyn_ref::<js_sys::Function>()
                .is_some_and(|f| f.length() > 0)
        })
        .collect()
}

async fn check(target: &JsValue, label: &str, cases: &[Case]) {
    let mut covered: Vec<&str> = cases.iter().map(|c| c.method).collect();
    covered.sort();
    covered.dedup();
    let mut all = methods_with_parameters(target);
    all.sort();
    assert_eq!(
        all, covered,
        "every {label} method with parameters has a case"
    );
    for c in cases {
        for bad in &c.bad {
            let mut args = c.valid.clone();
            args[c.at] = bad.clone();
            let e = failure(target, c.method, &args, c.sync).await;
            let (name, msg) = (err_name(&e), err_message(&e));
            let what = format!(
                "{label}.{} with {} = {bad:?}: {name}: {msg}",
                c.method, c.arg
            );
            assert_eq!(name, "TypeError", "{what}");
            assert!(e.is_instance_of::<js_sys::TypeError>(), "{what}");
            assert!(
                msg.starts_with(&format!("{}: ", c.method))
                    || msg.contains(&format!(".{}: ", c.method)),
                "{what}"
            );
            assert!(msg.contains(&format!(" {} must be ", c.arg)), "{what}");
        }
    }
}

#[wasm_bindgen_test]
async fn stop_stream_of_undefined_rejects_with_a_type_error_naming_stream_id() {
    let p = as_js(producer(r#"{"probeOnConnect":false}"#));
    settle(call(&p, "connect", &[]).unwrap().unchecked_into())
        .await
        .unwrap();
    let e = failure(&p, "stopStream", &[JsValue::UNDEFINED], false).await;
    assert_eq!(err_name(&e), "TypeError");
    assert_eq!(
        err_message(&e),
        "stopStream: streamId must be a string (got undefined)"
    );
    // An unknown id keeps its own error.
    let e = failure(&p, "stopStream", &["nope".into()], false).await;
    assert_eq!(err_name(&e), "RangeError");
    assert!(err_message(&e).contains("\"nope\""));
    call(&p, "destroy", &[]).unwrap();
}

#[wasm_bindgen_test]
async fn every_method_names_a_bad_argument_in_a_type_error() {
    let p = as_js(producer(r#"{"probeOnConnect":false}"#));
    settle(call(&p, "connect", &[]).unwrap().unchecked_into())
        .await
        .unwrap();
    let pool: JsValue = StreamPool::new(JsValue::UNDEFINED).unwrap().into();
    let f = js_fn(|_| JsValue::UNDEFINED);
    let func: JsValue = f.as_ref().clone();
    let u = || JsValue::UNDEFINED;
    let n = || JsValue::from_f64(42.0);
    let o = || js("{}");
    let s = || JsValue::from_str("x");
    let bytes = || JsValue::from(js_sys::Uint8Array::new_with_length(1));
    // Not a pool: a plain object, and one carrying a real pool's hidden lending method.
    let fake_pool = js("{}");
    js_sys::Reflect::set(&fake_pool, &"__lendPool".into(), &get(&pool, "__lendPool")).unwrap();
    let strings = || vec![u(), n(), o()];
    let callbacks = || vec![u(), n(), o(), s()];
    let objects = || vec![n(), s(), func.clone()];
    let callback = |method| Case {
        method,
        valid: vec![func.clone()],
        at: 0,
        arg: "callback",
        bad: callbacks(),
        sync: true,
    };
    let stream_id = |method, sync| Case {
        method,
        valid: vec![s()],
        at: 0,
        arg: "streamId",
        bad: strings(),
        sync,
    };
    let cases = vec![
        Case {
            method: "usePool",
            valid: vec![pool.clone()],
            at: 0,
            arg: "pool",
            bad: vec![u(), JsValue::NULL, n(), o(), fake_pool.clone(), p.clone()],
            sync: true,
        },
        Case {
            method: "startStream",
            valid: vec![u()],
            at: 0,
            arg: "videoConfig",
            bad: objects(),
            sync: false,
        },
        stream_id("stopStream", false),
        stream_id("pauseStream", false),
        stream_id("resumeStream", false),
        stream_id("getMediaStream", true),
        stream_id("snapshot", false),
        stream_id("readable", true),
        Case {
            method: "snapshot",
            valid: vec![s(), u()],
            at: 1,
            arg: "options",
            bad: objects(),
            sync: false,
        },
        Case {
            method: "pushChunk",
            valid: vec![s(), bytes(), u()],
            at: 0,
            arg: "streamId",
            bad: strings(),
            sync: true,
        },
        Case {
            method: "pushChunk",
            valid: vec![s(), bytes(), u()],
            at: 1,
            arg: "data",
            bad: vec![u(), n(), o(), s(), js("[1,2]")],
            sync: true,
        },
        Case {
            method: "pushChunk",
            valid: vec![s(), bytes(), u()],
            at: 2,
            arg: "options",
            bad: objects(),
            sync: true,
        },
        Case {
            method: "setBitrate",
            valid: vec![s(), JsValue::from_f64(500_000.0)],
            at: 0,
            arg: "streamId",
            bad: strings(),
            sync: true,
        },
        Case {
            method: "setBitrate",
            valid: vec![s(), JsValue::from_f64(500_000.0)],
            at: 1,
            arg: "bitsPerSecond",
            bad: vec![u(), s(), o()],
            sync: true,
        },
        Case {
            method: "onMetrics",
            valid: vec![func.clone(), u()],
            at: 0,
            arg: "callback",
            bad: callbacks(),
            sync: true,
        },
        Case {
            method: "onMetrics",
            valid: vec![func.clone(), u()],
            at: 1,
            arg: "options",
            bad: objects(),
            sync: true,
        },
        callback("onMemoryPressure"),
        callback("onQualityChange"),
        callback("onFrame"),
        callback("onStreamUpdate"),
        callback("onStatusChange"),
        callback("onError"),
    ];
    check(&p, "MediaRecorderProducer", &cases).await;

    let pool_cases = vec![
        Case {
            method: "acquire",
            valid: vec![u()],
            at: 0,
            arg: "videoConfig",
            bad: objects(),
            sync: false,
        },
        Case {
            method: "release",
            valid: vec![u()],
            at: 0,
            arg: "stream",
            bad: vec![u(), n(), o(), s()],
            sync: true,
        },
        callback("onDeviceChange"),
    ];
    check(&pool, "StreamPool", &pool_cases).await;

    // The constructors, and the free function (it takes no arguments).
    for bad in [n(), s(), func.clone()] {
        let e = MediaRecorderProducer::new(bad.clone()).err().unwrap();
        assert_eq!(err_name(&e), "TypeError");
        let msg = err_message(&e);
        assert!(
            msg.starts_with("new MediaRecorderProducer: config must be an object"),
            "{msg}"
        );
        let e = StreamPool::new(bad).err().unwrap();
        let msg = err_message(&e);
        assert_eq!(err_name(&e), "TypeError");
        assert!(
            msg.starts_with("new StreamPool: poolConfig must be an object"),
            "{msg}"
        );
    }
    assert!(settle(list_devices()).await.is_ok());

    // A good argument still works: the pool is taken by reference and stays usable.
    call(&p, "usePool", std::slice::from_ref(&pool)).unwrap();
    assert!(call(&pool, "stats", &[]).is_ok());
    call(&p, "destroy", &[]).unwrap();
    call(&pool, "destroy", &[]).unwrap();
}

#[wasm_bindgen_test]
fn an_infinite_config_value_reads_infinity() {
    let cfg = js_sys::Object::new();
    js_sys::Reflect::set(&cfg, &"recordingInterval".into(), &f64::INFINITY.into()).unwrap();
    let e = MediaRecorderProducer::new(cfg.into()).err().unwrap();
    assert_eq!(err_name(&e), "RangeError");
    let msg = err_message(&e);
    assert!(msg.contains("config.recordingInterval"), "{msg}");
    assert!(msg.ends_with("got Infinity"), "{msg}");
    assert!(!msg.contains("inf ") && !msg.ends_with("inf"), "{msg}");
}
