//! Recording from the real (fake-device) camera through the ring to onFrame listeners.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn records_three_seconds_in_order_and_the_frames_play() {
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    let id = connect_and_start(&p, "{}").await;
    let started = js_sys::Date::now();
    sleep(3200).await;
    let recorded_s = (js_sys::Date::now() - started) / 1000.0;
    let stopped = settle(p.stop_stream(&id)).await.expect("stopStream");
    assert_eq!(get_str(&stopped, "state"), "stopped");
    let all = frames.all();
    assert!(all.len() >= 20, "only {} frames in 3 s", all.len());
    assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
    // Consecutive sequence numbers, in order, each exactly once; the first is the header.
    for (i, f) in all.iter().enumerate() {
        assert_eq!(meta(f, "sequence").as_f64(), Some(i as f64));
        assert_eq!(meta(f, "streamId").as_string().as_deref(), Some(id.as_str()));
        assert_eq!(get_f64(f, "size") as u32, js_sys::ArrayBuffer::from(get(f, "data")).byte_length());
    }
    assert_eq!(meta(&all[0], "isHeader").as_bool(), Some(true));
    assert!(meta(&all[0], "mimeType").as_string().unwrap().starts_with("video/webm"));
    assert!(meta(&all[0], "width").as_f64().is_some());
    let m = p.metrics();
    assert_eq!(get_f64(&m, "framesDelivered") as usize, all.len());
    assert_eq!(get_f64(&m, "framesDropped"), 0.0);
    assert_eq!(get_f64(&stopped, "totalFrames") as usize, all.len());
    // The concatenation is a playable recording of about the recorded length.
    let mime = meta(&all[0], "mimeType").as_string().unwrap();
    let played = play_to_end(&concat(&all), &mime).await.expect("plays");
    assert!(
        (played - recorded_s).abs() <= recorded_s * 0.10,
        "played {played:.2} s of a {recorded_s:.2} s recording"
    );
    p.destroy();
}
