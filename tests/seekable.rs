//! `makeSeekable` on real recordings the test makes itself with a plain MediaRecorder
//! (fake camera and microphone): the browser's own `<video>` reports a finite duration
//! and seeks to the middle. Bad input is a typed error.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Function, Promise};
use media_recorder_producer::web::kept::make_seekable;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Records `ms` with a plain MediaRecorder (100 ms timeslice), makes it seekable with
/// `makeSeekable`, loads it in a `<video>`, seeks to the middle. Returns
/// `{ duration, target, at, rawDuration, took, rawSize, size, type, ms }`.
const RECORD_AND_SEEK: &str = r#"
return (async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio });
  const rec = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks = [];
  rec.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  const started = new Promise((r) => { rec.onstart = r; });
  rec.start(100);
  await started;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const stopped = new Promise((r) => { rec.onstop = r; });
  rec.stop();
  const wall = performance.now() - t0;
  await stopped;
  stream.getTracks().forEach((t) => t.stop());
  const raw = new Blob(chunks, { type: rec.mimeType });
  const m0 = performance.now();
  const fixed = await makeSeekable(raw);
  const took = performance.now() - m0;
  const load = (blob) => new Promise((resolve, reject) => {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'metadata';
    v.onloadedmetadata = () => resolve(v);
    v.onerror = () => reject(new Error('media error: ' + (v.error && v.error.message)));
    v.src = URL.createObjectURL(blob);
    document.body.append(v);
  });
  const rawVideo = await load(raw);
  const rawDuration = rawVideo.duration;
  rawVideo.remove();
  const v = await load(fixed);
  const duration = v.duration;
  const target = duration / 2;
  const seeked = new Promise((resolve, reject) => {
    v.onseeked = resolve;
    setTimeout(() => reject(new Error('no seeked event within 20 s')), 20000);
  });
  v.currentTime = target;
  await seeked;
  const at = v.currentTime;
  URL.revokeObjectURL(v.src);
  v.remove();
  return { duration, target, at, rawDuration, took, rawSize: raw.size, size: fixed.size, type: fixed.type, wall };
})();
"#;

fn make_seekable_fn() -> JsValue {
    Closure::<dyn FnMut(JsValue) -> Promise>::new(make_seekable).into_js_value()
}

async fn record_and_seek(ms: u32, audio: bool) -> JsValue {
    record_and_seek_as(ms, audio, "").await
}

async fn record_and_seek_as(ms: u32, audio: bool, mime_type: &str) -> JsValue {
    let f = Function::new_with_args("makeSeekable, ms, audio, mimeType", RECORD_AND_SEEK);
    let args = js_sys::Array::of4(
        &make_seekable_fn(),
        &JsValue::from(ms),
        &JsValue::from(audio),
        &JsValue::from(mime_type),
    );
    let p: Promise = f
        .apply(&JsValue::UNDEFINED, &args)
        .unwrap()
        .unchecked_into();
    JsFuture::from(p).await.unwrap_or_else(|e| panic!("{e:?}"))
}

fn check(r: &JsValue) {
    check_as(r, "video/webm");
}

fn check_as(r: &JsValue, mime_type: &str) {
    let duration = get_f64(r, "duration");
    let wall = get_f64(r, "wall") / 1000.0;
    assert!(duration.is_finite(), "duration {duration}");
    // The media runs from the recorder's start to its stop (wall); under load the first
    // frames can come late, so the lower bound is looser than the upper.
    assert!(
        duration > wall * 0.8 && duration < wall * 1.1,
        "duration {duration} s for {wall} s recorded"
    );
    let (target, at) = (get_f64(r, "target"), get_f64(r, "at"));
    assert!(
        (at - target).abs() < 0.1,
        "seeked to {at} s, wanted {target} s"
    );
    assert_eq!(get_str(r, "type").split(';').next(), Some(mime_type));
    // The header grew by the index; the body is the same bytes.
    let (raw, size) = (get_f64(r, "rawSize"), get_f64(r, "size"));
    assert!(
        size > raw * 0.95 && size < raw + 64.0 * 1024.0,
        "{raw} → {size} bytes"
    );
}

#[wasm_bindgen_test]
async fn a_plain_mediarecorder_recording_becomes_seekable() {
    let r = record_and_seek(4000, false).await;
    check(&r);
}

#[wasm_bindgen_test]
async fn a_recording_with_audio_becomes_seekable() {
    let r = record_and_seek(3000, true).await;
    check(&r);
}

/// A fragmented MP4 from Chromium's own MediaRecorder (Firefox records none): durations,
/// mehd and sidx put in front of the fragments.
#[wasm_bindgen_test]
async fn a_plain_mediarecorder_mp4_becomes_seekable() {
    if !web_sys::MediaRecorder::is_type_supported("video/mp4") {
        return;
    }
    let r = record_and_seek_as(4000, true, "video/mp4").await;
    check_as(&r, "video/mp4");
}

#[wasm_bindgen_test]
async fn bad_input_is_a_typed_error() {
    let e = settle(make_seekable(JsValue::from_str("x")))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    assert!(
        err_message(&e).contains("makeSeekable: blob must be a Blob"),
        "{}",
        err_message(&e)
    );
    let garbage =
        web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&"RIFF not webm".into())).unwrap();
    let e = settle(make_seekable(garbage.into())).await.unwrap_err();
    assert_eq!(err_name(&e), "DataError");
    assert!(err_message(&e).contains("byte 0"), "{}", err_message(&e));
    // A WebM header without any block.
    let head: [u8; 5] = [0x1A, 0x45, 0xDF, 0xA3, 0x80];
    let blob = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(
        &js_sys::Uint8Array::from(&head[..]),
    ))
    .unwrap();
    let e = settle(make_seekable(blob.into())).await.unwrap_err();
    assert_eq!(err_name(&e), "DataError");
    assert!(
        err_message(&e).contains("no Cluster before the end"),
        "{}",
        err_message(&e)
    );
}
