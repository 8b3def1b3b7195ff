//! The WebCodecs engine (`engine: "webcodecs"` / `"auto"`) with the real fake camera
//! and microphone: MediaStreamTrackProcessor → VideoEncoder/AudioEncoder in a Worker →
//! the library's WebM muxer. Chromium has every API it needs; Firefox ESR 153 has no
//! MediaStreamTrackProcessor, which the expectation tests pin.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::core::ebml::{EbmlReader, TrackKind};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn has_processor() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"MediaStreamTrackProcessor".into()).unwrap_or(false)
}

/// The recording the frames make, read by the library's own EBML reader.
fn read(bytes: &[u8]) -> EbmlReader {
    let mut r = EbmlReader::new();
    r.feed(bytes).expect("the muxed recording reads");
    r
}

#[wasm_bindgen_test]
async fn webcodecs_records_in_a_worker_in_order_and_the_file_plays() {
    if !has_processor() {
        return; // Firefox: see auto_picks_mediarecorder_where_there_is_no_processor.
    }
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    let id = connect_and_start(&p, r#"{"engine":"webcodecs","width":640,"height":480}"#).await;
    let active = p.get_active_streams().get(0);
    assert_eq!(get_str(&active, "engine"), "webcodecs");
    assert_eq!(get_str(&active, "engineMode"), "worker");
    assert_eq!(get_str(&active, "hardwareAcceleration"), "no-preference");
    assert_eq!(get_str(&active, "mimeType"), "video/webm;codecs=vp9,opus");
    let started = js_sys::Date::now();
    sleep(5000).await;
    let recorded_s = (js_sys::Date::now() - started) / 1000.0;
    let stopped = settle(p.stop_stream((&id).into()))
        .await
        .expect("stopStream");
    assert_eq!(get_str(&stopped, "state"), "stopped");
    assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
    let all = frames.all();
    assert!(all.len() >= 30, "only {} frames in 5 s", all.len());
    assert_eq!(sequences(&all), (0..all.len() as u64).collect::<Vec<_>>());
    assert_header_flags(&all);
    assert_eq!(get_f64(&stopped, "framesDroppedBeforeEncoding"), 0.0);
    let bytes = concat(&all);
    let r = read(&bytes);
    let kinds: Vec<TrackKind> = r.tracks().iter().map(|t| t.kind).collect();
    assert_eq!(kinds, [TrackKind::Video, TrackKind::Audio]);
    assert_eq!(r.tracks()[0].codec_id, "V_VP9");
    assert_eq!(r.tracks()[1].codec_id, "A_OPUS");
    // Every Cluster holds a video keyframe, one every 2 s; each after the first opens
    // with it (the first may open with audio read before the first video frame).
    let clusters = r.clusters();
    assert!(clusters.len() >= 3, "{} Clusters", clusters.len());
    for (i, c) in clusters.iter().enumerate() {
        let key = c.keyframe.expect("a keyframe in every Cluster");
        if i > 0 {
            assert_eq!(Some(key.timecode as u64), c.timecode);
        }
    }
    assert_eq!(r.last_block_end(), Some(bytes.len() as u64));
    let played = play_to_end(&bytes, "video/webm;codecs=vp9,opus")
        .await
        .expect("plays");
    assert!(
        (played - recorded_s).abs() <= recorded_s * 0.10,
        "played {played:.2} s of a {recorded_s:.2} s recording"
    );
    p.destroy();
}

#[wasm_bindgen_test]
async fn auto_picks_mediarecorder_where_there_is_no_processor() {
    let p = producer("{}");
    let id = connect_and_start(&p, r#"{"engine":"auto"}"#).await;
    let s = p.get_active_streams().get(0);
    let reason = get_str(&s, "engineReason");
    if has_processor() {
        assert_eq!(get_str(&s, "engine"), "webcodecs", "{reason}");
        assert!(reason.contains("chose WebCodecs"), "{reason}");
    } else {
        // Firefox ESR 153: no MediaStreamTrackProcessor (an expectation of today's platform).
        assert_eq!(get_str(&s, "engine"), "mediarecorder", "{reason}");
        assert!(reason.contains("MediaStreamTrackProcessor"), "{reason}");
        let r = settle(p.start_stream(js(r#"{"engine":"webcodecs"}"#))).await;
        let e = r.expect_err("webcodecs without a processor");
        assert_eq!(err_name(&e), "NotSupportedError");
        assert!(
            err_message(&e).contains("MediaStreamTrackProcessor"),
            "{}",
            err_message(&e)
        );
    }
    settle(p.stop_stream((&id).into())).await.unwrap();
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_type_the_engine_does_not_write_is_not_supported_or_falls_back() {
    let p = producer("{}");
    let _ = settle(p.connect()).await;
    let r = settle(p.start_stream(js(r#"{"engine":"webcodecs","mimeType":"video/mp4"}"#))).await;
    let e = r.expect_err("mp4 is not written by the WebCodecs engine");
    assert_eq!(err_name(&e), "NotSupportedError");
    assert!(err_message(&e).contains("video/mp4"), "{}", err_message(&e));
    // Nothing was opened.
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}
