//! StreamPool against the real getUserMedia (fake devices).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::web::devices::list_devices;
use media_recorder_producer::web::StreamPool;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{MediaStream, MediaStreamTrack};

wasm_bindgen_test_configure!(run_in_browser);

async fn acquire(pool: &StreamPool, cfg: &str) -> MediaStream {
    settle(pool.acquire(js(cfg)))
        .await
        .expect("acquire")
        .unchecked_into()
}

fn tracks(m: &MediaStream) -> Vec<MediaStreamTrack> {
    m.get_tracks().iter().map(|t| t.unchecked_into()).collect()
}

fn stat(pool: &StreamPool, key: &str) -> f64 {
    get_f64(&pool.stats(), key)
}

#[wasm_bindgen_test]
async fn release_then_acquire_returns_the_same_stream() {
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let a = acquire(&pool, r#"{"width":640,"height":360}"#).await;
    assert_eq!(
        (stat(&pool, "creations"), stat(&pool, "active")),
        (1.0, 1.0)
    );
    pool.release(&a).unwrap();
    assert_eq!((stat(&pool, "pooled"), stat(&pool, "active")), (1.0, 0.0));
    let b = acquire(&pool, r#"{"height":360,"width":640}"#).await;
    assert!(js_sys::Object::is(&a, &b), "the same MediaStream object");
    assert_eq!(
        (stat(&pool, "creations"), stat(&pool, "reuses")),
        (1.0, 1.0)
    );
    assert!(tracks(&b)
        .iter()
        .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live));
    // Releasing twice, or a stream the pool never gave out, is a NotFoundError.
    pool.release(&b).unwrap();
    assert_eq!(err_name(&pool.release(&b).unwrap_err()), "NotFoundError");
    let stranger = MediaStream::new().unwrap();
    assert_eq!(
        err_name(&pool.release(&stranger).unwrap_err()),
        "NotFoundError"
    );
    let kept = tracks(&b);
    pool.destroy();
    assert!(all_ended(&kept));
}

#[wasm_bindgen_test]
async fn a_different_facing_mode_or_device_never_gets_the_idle_stream() {
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let a = acquire(&pool, r#"{"audio":false}"#).await;
    let device_id = tracks(&a)[0].get_settings().get_device_id().unwrap();
    pool.release(&a).unwrap();
    // Headless Chromium has one fake camera and no facing modes: a plain facingMode
    // request still gets that camera, but as a different request it is a new stream.
    let b = acquire(&pool, r#"{"audio":false,"facingMode":"environment"}"#).await;
    assert!(!js_sys::Object::is(&a, &b));
    assert_eq!(stat(&pool, "creations"), 2.0);
    let c = acquire(
        &pool,
        &format!(r#"{{"audio":false,"deviceId":"{device_id}"}}"#),
    )
    .await;
    assert!(!js_sys::Object::is(&a, &c) && !js_sys::Object::is(&b, &c));
    assert_eq!(stat(&pool, "creations"), 3.0);
    assert_eq!(stat(&pool, "reuses"), 0.0);
    assert_eq!(stat(&pool, "pooled"), 1.0, "the first stream is still idle");
    let all: Vec<MediaStreamTrack> = [&a, &b, &c].iter().flat_map(|m| tracks(m)).collect();
    pool.destroy();
    assert!(
        all_ended(&all),
        "after destroy every pooled and active track is ended"
    );
    let e = settle(pool.acquire(JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
}

#[wasm_bindgen_test]
async fn a_stream_whose_track_was_stopped_is_not_reused() {
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let a = acquire(&pool, "{}").await;
    tracks(&a)[0].stop();
    pool.release(&a).unwrap();
    assert_eq!(stat(&pool, "discarded"), 1.0);
    assert!(
        all_ended(&tracks(&a)),
        "a released broken stream is stopped entirely"
    );
    let b = acquire(&pool, "{}").await;
    assert!(!js_sys::Object::is(&a, &b));
    // Idle, then its track dies: the next acquisition evicts it.
    pool.release(&b).unwrap();
    tracks(&b)[1].stop();
    let c = acquire(&pool, "{}").await;
    assert!(!js_sys::Object::is(&b, &c));
    assert_eq!(stat(&pool, "evictions"), 1.0);
    assert!(all_ended(&tracks(&b)));
    pool.destroy();
}

#[wasm_bindgen_test]
async fn a_short_ttl_expires_and_stops_tracks() {
    let pool = StreamPool::new(js(r#"{"streamTtl":200,"cleanupInterval":50}"#)).unwrap();
    let a = acquire(&pool, "{}").await;
    pool.release(&a).unwrap();
    sleep(100).await;
    assert_eq!(stat(&pool, "pooled"), 1.0);
    assert!(wait_until(2000, || stat(&pool, "expirations") == 1.0).await);
    assert!(all_ended(&tracks(&a)));
    assert_eq!(stat(&pool, "pooled"), 0.0);
    pool.destroy();
}

fn constraint_width(t: &MediaStreamTrack) -> JsValue {
    get(&get(&t.get_constraints().into(), "width"), "ideal")
}

/// Expectation, pinning today's fake cameras: whether `applyConstraints` lowers what
/// `getSettings()` reports. Chromium 156: yes (crop-and-scale); Firefox ESR 153: no,
/// its fake camera keeps 1280x720 while `getConstraints()` changes.
async fn apply_constraints_changes_settings() -> bool {
    let snippet = js_sys::Function::new_no_args(
        "return navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } })
           .then(async (s) => {
             const [t] = s.getVideoTracks();
             await t.applyConstraints({ width: 320, height: 180 });
             const w = t.getSettings().width;
             t.stop();
             return w === 320;
           });",
    );
    settle(snippet.call0(&JsValue::UNDEFINED).unwrap().into())
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

#[wasm_bindgen_test]
async fn constraints_changed_while_out_are_restored_on_release() {
    let lowers = apply_constraints_changes_settings().await;
    let ua = web_sys::window().unwrap().navigator().user_agent().unwrap();
    assert_eq!(lowers, !ua.contains("Firefox"), "{ua}");
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let a = acquire(&pool, r#"{"audio":false,"width":1280,"height":720}"#).await;
    let video = tracks(&a).remove(0);
    let requested = constraint_width(&video);
    let small = js(r#"{"width":320,"height":180}"#);
    settle(
        video
            .apply_constraints_with_constraints(small.unchecked_ref())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        get(&video.get_constraints().into(), "width").as_f64(),
        Some(320.0)
    );
    if lowers {
        assert_eq!(video.get_settings().get_width(), Some(320));
    }
    pool.release(&a).unwrap();
    // Restoring is asynchronous; then the stream is pooled as requested.
    assert!(wait_until(2000, || stat(&pool, "pooled") == 1.0).await);
    let b = acquire(&pool, r#"{"audio":false,"width":1280,"height":720}"#).await;
    assert!(js_sys::Object::is(&a, &b));
    let back = tracks(&b).remove(0);
    assert_eq!(constraint_width(&back).as_f64(), requested.as_f64());
    assert_eq!(back.get_settings().get_width(), Some(1280));
    assert_eq!(stat(&pool, "discarded"), 0.0);
    pool.destroy();
}

#[wasm_bindgen_test]
async fn two_producers_share_a_pool_and_neither_ends_the_other_s_tracks() {
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let p1 = producer(r#"{"probeOnConnect":false}"#);
    let p2 = producer(r#"{"probeOnConnect":false}"#);
    p1.use_pool(pool.clone().into()).unwrap();
    p2.use_pool(pool.clone().into()).unwrap();
    let f1 = collect(&p1, Event::Frame);
    let s1 = connect_and_start(&p1, "{}").await;
    let s2 = connect_and_start(&p2, "{}").await;
    let t1 = tracks_of(&p1, &s1);
    let t2 = tracks_of(&p2, &s2);
    assert_eq!(stat(&pool, "active"), 2.0);
    assert!(wait_until(5000, || f1.len() > 3).await);
    settle(p1.stop_stream((&s1).into())).await.unwrap();
    // p1's stream went back to the pool, live; p2's is untouched.
    assert_eq!((stat(&pool, "pooled"), stat(&pool, "active")), (1.0, 1.0));
    assert!(t1
        .iter()
        .chain(&t2)
        .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live));
    // p1 starts again: the pooled stream, no new getUserMedia.
    let s3 = connect_and_start(&p1, "{}").await;
    let again = tracks(&p1.get_media_stream((&s3).into()).unwrap().unwrap());
    assert!(
        js_sys::Object::is(&again[0], &t1[0]),
        "the same tracks came back"
    );
    assert_eq!(stat(&pool, "creations"), 2.0);
    assert_eq!(stat(&pool, "reuses"), 1.0);
    assert_eq!(get_f64(&p1.metrics(), "connectionReuses"), 1.0);
    // Destroying p1 gives its stream back; p2 still records.
    p1.destroy();
    assert!(t2
        .iter()
        .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live));
    assert_eq!(stat(&pool, "active"), 1.0);
    settle(p2.stop_stream((&s2).into())).await.unwrap();
    p2.destroy();
    pool.destroy();
    assert!(all_ended(&t1) && all_ended(&t2));
}

#[wasm_bindgen_test]
async fn devices_and_bad_input() {
    let list = settle(list_devices()).await.unwrap();
    let kinds: Vec<String> = js_sys::Array::from(&list)
        .iter()
        .map(|d| get_str(&d, "kind"))
        .collect();
    assert!(kinds.contains(&"videoinput".to_string()), "{kinds:?}");
    let e = StreamPool::new(js(r#"{"maxPoolSize":1000}"#))
        .err()
        .unwrap();
    assert_eq!(err_name(&e), "RangeError");
    assert!(err_message(&e).contains("poolConfig.maxPoolSize"));
    let e = StreamPool::new(js(r#"{"ttl":5}"#)).err().unwrap();
    assert_eq!(err_name(&e), "TypeError");
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let e = settle(pool.acquire(js(r#"{"source":"external","mimeType":"video/webm"}"#)))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "RangeError");
    let e = settle(pool.acquire(js(r#"{"deviceId":"no-such-camera"}"#)))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "OverconstrainedError");
    assert_eq!(stat(&pool, "active"), 0.0);
    pool.destroy();
}
