//! The `pushChunk` path: an app-fed stream takes the same ring, frames and metrics.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The first 4 KiB of a real Chromium recording (header + start of the first cluster).
const HEAD: &[u8] = include_bytes!("fixtures/chromium-av-head.webm");

#[wasm_bindgen_test]
async fn pushed_chunks_become_frames_in_order() {
    let p = producer(r#"{"probeOnConnect":false}"#);
    let frames = collect(&p, Event::Frame);
    settle(p.connect()).await.unwrap();
    let s = settle(p.start_stream(js(
        r#"{"source":"external","mimeType":"video/webm;codecs=vp9,opus"}"#,
    )))
    .await
    .unwrap();
    let id = get_str(&s, "id");
    assert!(p.get_media_stream((&id).into()).unwrap().is_none());
    // Blob, ArrayBuffer and typed array all work.
    let parts: Vec<&[u8]> = HEAD.chunks(700).collect();
    for (i, part) in parts.iter().enumerate() {
        let data: JsValue = match i % 3 {
            0 => Uint8Array::from(*part).into(),
            1 => Uint8Array::from(*part).buffer().into(),
            _ => {
                let arr = js_sys::Array::of1(&Uint8Array::from(*part));
                web_sys::Blob::new_with_u8_array_sequence(&arr)
                    .unwrap()
                    .into()
            }
        };
        let seq = p
            .push_chunk((&id).into(), data, JsValue::UNDEFINED)
            .unwrap();
        assert_eq!(seq, i as f64);
    }
    assert!(wait_until(2000, || frames.len() == parts.len()).await);
    let all = frames.all();
    assert_eq!(concat(&all), HEAD);
    assert_eq!(sequences(&all), (0..parts.len() as u64).collect::<Vec<_>>());
    // An external source pins its first chunk as the header.
    assert_eq!(meta(&all[0], "isHeader").as_bool(), Some(true));
    assert_eq!(meta(&all[1], "isHeader").as_bool(), Some(false));
    assert_eq!(
        meta(&all[0], "mimeType").as_string().unwrap(),
        "video/webm;codecs=vp9,opus"
    );
    let m = p.metrics();
    assert_eq!(get_f64(&m, "bytesDelivered") as usize, HEAD.len());
    settle(p.stop_stream((&id).into())).await.unwrap();
    // Stopped: no more chunks.
    let e = p
        .push_chunk(
            (&id).into(),
            Uint8Array::from(&[1u8][..]).into(),
            JsValue::UNDEFINED,
        )
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_pushed_webm_stream_has_its_header_run_found_like_a_recorded_one() {
    // Chromium's shape: a 1-byte first chunk, the rest of the header in the second.
    let p = producer(r#"{"probeOnConnect":false,"bufferMaxBytes":4096,"bufferCapacity":1000}"#);
    let id = external_stream(&p, "video/webm").await;
    p.push_chunk(
        (&id).into(),
        Uint8Array::from(&HEAD[..1]).into(),
        JsValue::UNDEFINED,
    )
    .unwrap();
    p.push_chunk(
        (&id).into(),
        Uint8Array::from(&HEAD[1..1500]).into(),
        JsValue::UNDEFINED,
    )
    .unwrap();
    // Let the scan read the header candidates.
    sleep(100).await;
    for _ in 0..50 {
        p.push_chunk(
            (&id).into(),
            Uint8Array::from(&HEAD[1500..2500]).into(),
            JsValue::UNDEFINED,
        )
        .unwrap();
    }
    let s0 = js_sys::Array::from(&get(&p.metrics(), "streams")).get(0);
    assert_eq!(
        get_f64(&s0, "pinnedBytes"),
        1500.0,
        "both header chunks pinned, nothing else"
    );
    // A late subscriber gets the whole header run first.
    let frames = collect(&p, Event::Frame);
    assert!(wait_until(2000, || frames.len() >= 3).await);
    let all = frames.all();
    assert_eq!(sequences(&all[..2]), vec![0, 1]);
    assert!(all[..2]
        .iter()
        .all(|f| meta(f, "isHeader").as_bool() == Some(true)));
    assert_eq!(meta(&all[2], "isHeader").as_bool(), Some(false));
    p.destroy();
}

#[wasm_bindgen_test]
async fn pushing_without_a_listener_is_bounded_and_counted() {
    let p = producer(r#"{"probeOnConnect":false,"bufferMaxBytes":4096,"bufferCapacity":1000}"#);
    let id = external_stream(&p, "video/webm").await;
    // The app says which chunks are the header.
    p.push_chunk(
        (&id).into(),
        Uint8Array::from(&HEAD[..189]).into(),
        js(r#"{"isHeader":true}"#),
    )
    .unwrap();
    for _ in 0..200 {
        p.push_chunk(
            (&id).into(),
            Uint8Array::new_with_length(1000).into(),
            JsValue::UNDEFINED,
        )
        .unwrap();
        let held = get_f64(&p.metrics(), "bytesHeld");
        assert!(held <= 4096.0 + 1000.0, "held {held}");
    }
    let m = p.metrics();
    assert_eq!(get_f64(&m, "framesRecorded"), 201.0);
    assert!(get_f64(&m, "framesDropped") >= 196.0);
    let frames = collect(&p, Event::Frame);
    assert!(wait_until(2000, || frames.len() >= 2).await);
    let first = &frames.all()[0];
    assert_eq!(meta(first, "isHeader").as_bool(), Some(true));
    assert_eq!(get_f64(first, "size"), 189.0);
    // Bad input is named.
    let e = p
        .push_chunk((&id).into(), JsValue::from_str("bytes"), JsValue::UNDEFINED)
        .unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    let e = p
        .push_chunk(
            (&id).into(),
            Uint8Array::new_with_length(1).into(),
            js(r#"{"isHeader":"yes"}"#),
        )
        .unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    let e = p
        .push_chunk(
            "other".into(),
            Uint8Array::new_with_length(1).into(),
            JsValue::UNDEFINED,
        )
        .unwrap_err();
    assert_eq!(err_name(&e), "RangeError");
    p.destroy();
}

#[wasm_bindgen_test]
async fn push_chunk_is_refused_for_a_camera_stream() {
    let p = producer("{}");
    let id = connect_and_start(&p, "{}").await;
    let e = p
        .push_chunk(
            (&id).into(),
            Uint8Array::new_with_length(10).into(),
            JsValue::UNDEFINED,
        )
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    p.destroy();
}

/// Connects `p` and starts a `source: "external"` stream of `mime`; returns its id.
async fn external_stream(
    p: &media_recorder_producer::web::MediaRecorderProducer,
    mime: &str,
) -> String {
    settle(p.connect()).await.unwrap();
    let s = settle(p.start_stream(js(&format!(
        r#"{{"source":"external","mimeType":"{mime}"}}"#
    ))))
    .await
    .unwrap();
    get_str(&s, "id")
}

/// With frames that need no read (`frameData: "blob"`), a listener still never runs
/// inside the app's own `pushChunk` call: frames go out in a later microtask.
#[wasm_bindgen_test]
async fn blob_frames_are_never_delivered_inside_push_chunk() {
    let p = producer(r#"{"probeOnConnect":false,"frameData":"blob"}"#);
    let frames = collect(&p, Event::Frame);
    settle(p.connect()).await.unwrap();
    let s = settle(p.start_stream(js(r#"{"source":"external","mimeType":"text/plain"}"#)))
        .await
        .unwrap();
    let id = get_str(&s, "id");
    for i in 0..3u8 {
        let seq = p
            .push_chunk(
                (&id).into(),
                Uint8Array::from(&[i, i, i][..]).into(),
                JsValue::UNDEFINED,
            )
            .unwrap();
        assert_eq!(seq, i as f64);
        assert_eq!(frames.len(), i as usize, "not delivered inside pushChunk");
        sleep(0).await;
        assert_eq!(frames.len(), i as usize + 1, "delivered right after");
    }
    assert!(frames
        .all()
        .iter()
        .all(|f| get(f, "data").is_instance_of::<web_sys::Blob>()));
    p.destroy();
}
