//! The WebCodecs engine (`engine: "webcodecs"` / `"auto"`) with the real fake camera
//! and microphone: MediaStreamTrackProcessor → VideoEncoder/AudioEncoder in a Worker →
//! the library's WebM muxer. Chromium has every API it needs; Firefox ESR 153 has no
//! MediaStreamTrackProcessor, which the expectation tests pin.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::core::ebml::{EbmlReader, TrackKind};
use wasm_bindgen::JsValue;
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
    // Counted apart from the ring's drops (how many depends on the machine's load).
    assert!(get(&stopped, "framesDroppedBeforeEncoding")
        .as_f64()
        .is_some());
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

/// Bits per second of the frames that arrived in `[from, to)` (epoch ms).
fn rate(frames: &[JsValue], from: f64, to: f64) -> f64 {
    let bytes: f64 = frames
        .iter()
        .filter(|f| (from..to).contains(&get_f64(f, "timestamp")))
        .map(|f| get_f64(f, "size"))
        .sum();
    bytes * 8.0 / ((to - from) / 1000.0)
}

#[wasm_bindgen_test]
async fn a_bitrate_step_takes_effect_in_place_without_a_new_segment() {
    if !has_processor() {
        return;
    }
    // No time budget (`maxProcessingTime`): on a busy machine (the stress script's) the
    // encoder's latency passes the default budget, every other frame is then dropped
    // before encoding (its own test, below), and the rate halves with the frames, which
    // this test would read as a missed target (seen: 124k after the step, 61 frames
    // dropped). Here every frame the camera gives is encoded.
    let p = producer(r#"{"adaptiveQuality":false,"maxProcessingTime":10000}"#);
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    // VP8 at 640x480: the fake camera's picture needs about 200–350 kbit/s, so both
    // targets are ones the encoder can meet (it cannot spend more than a picture needs).
    let id = connect_and_start(
        &p,
        r#"{"engine":"webcodecs","codec":"vp8","audio":false,"width":640,"height":480,"bitrate":400000}"#,
    )
    .await;
    // Measured from when chunks flow (under load the Worker takes a while to start).
    assert!(wait_until(10_000, || frames.len() >= 3).await, "no chunks");
    let t0 = js_sys::Date::now();
    sleep(2600).await;
    let how = p
        .set_bitrate((&id).into(), JsValue::from_f64(250_000.0))
        .unwrap();
    let t1 = js_sys::Date::now();
    assert_eq!(how, "in-place");
    sleep(4400).await;
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
    let all = frames.all();
    // One segment: the header run only at the start, one EBML header in the bytes.
    assert_header_flags(&all);
    let bytes = concat(&all);
    let r = read(&bytes);
    assert_eq!(r.tracks().len(), 1);
    let ebml_headers = bytes
        .windows(4)
        .filter(|w| *w == [0x1A, 0x45, 0xDF, 0xA3])
        .count();
    assert_eq!(ebml_headers, 1, "no new segment");
    // Keyframes only at the 2 s interval: a bitrate change (ours, or the rate loop's
    // trim) does not cost one. 7 s: Clusters at 0, 2, 4, 6 s.
    let clusters = r.clusters().len();
    console_log!("{clusters} Clusters");
    assert!((4..=5).contains(&clusters), "{clusters} Clusters in 7 s");
    let before = rate(&all, t0 + 600.0, t0 + 2600.0);
    let after = [
        rate(&all, t1 + 300.0, t1 + 2300.0),
        rate(&all, t1 + 2300.0, t1 + 4300.0),
    ];
    let dropped = get_f64(&done, "framesDroppedBeforeEncoding");
    console_log!(
        "bitrate step 400k → 250k: before {before:.0}, after {after:?} bit/s; {dropped} frames dropped before encoding"
    );
    // What the issue asks of the step: the 2 s windows after it within ±35 % of the new
    // target. (Before it, under the stress script's load, the fake camera delivers fewer
    // frames and the rate sags: logged, not asserted.)
    let within = |bps: f64, target: f64| (bps - target).abs() <= target * 0.35;
    for a in after {
        assert!(
            within(a, 250_000.0),
            "after: {a:.0} bit/s (before {before:.0})"
        );
    }
    p.destroy();
}

/// Runs `f` with the global `name` hidden (deleted), then puts it back.
async fn without<F: std::future::Future<Output = ()>>(name: &str, f: impl FnOnce() -> F) {
    let g = js_sys::global();
    let saved = js_sys::Reflect::get(&g, &name.into()).unwrap();
    js_sys::Reflect::delete_property(&g, &name.into()).unwrap();
    f().await;
    js_sys::Reflect::set(&g, &name.into(), &saved).unwrap();
}

#[wasm_bindgen_test]
async fn without_video_encoder_webcodecs_is_not_supported_and_auto_falls_back() {
    if !has_processor() {
        return;
    }
    without("VideoEncoder", || async {
        let p = producer("{}");
        let _ = settle(p.connect()).await;
        let e = settle(p.start_stream(js(r#"{"engine":"webcodecs"}"#)))
            .await
            .expect_err("no VideoEncoder");
        assert_eq!(err_name(&e), "NotSupportedError");
        assert!(
            err_message(&e).contains("VideoEncoder"),
            "{}",
            err_message(&e)
        );
        assert_eq!(p.get_active_streams().length(), 0);
        let s = settle(p.start_stream(js(r#"{"engine":"auto"}"#)))
            .await
            .unwrap();
        assert_eq!(get_str(&s, "engine"), "mediarecorder");
        assert!(get_str(&s, "engineReason").contains("VideoEncoder"));
        settle(p.stop_stream(get(&s, "id"))).await.unwrap();
        p.destroy();
    })
    .await;
}

#[wasm_bindgen_test]
async fn without_workers_it_encodes_on_the_main_thread_and_pauses_cleanly() {
    if !has_processor() {
        return;
    }
    without("Worker", || async {
        let p = producer("{}");
        let frames = collect(&p, Event::Frame);
        let errors = collect(&p, Event::Error);
        let id = connect_and_start(&p, r#"{"engine":"webcodecs","width":320,"height":240}"#).await;
        let s = p.get_active_streams().get(0);
        assert_eq!(get_str(&s, "engineMode"), "main-thread");
        let t0 = js_sys::Date::now();
        sleep(1500).await;
        settle(p.pause_stream((&id).into())).await.unwrap();
        let paused_at = js_sys::Date::now();
        sleep(1000).await;
        settle(p.resume_stream((&id).into())).await.unwrap();
        let resumed_at = js_sys::Date::now();
        sleep(1500).await;
        let stop_at = js_sys::Date::now();
        let done = settle(p.stop_stream((&id).into())).await.unwrap();
        let recorded_s = ((paused_at - t0) + (stop_at - resumed_at)) / 1000.0;
        let pause_s = (resumed_at - paused_at) / 1000.0;
        assert_eq!(get_str(&done, "state"), "stopped");
        assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
        let all = frames.all();
        assert_header_flags(&all);
        // The pause is not in the recording: the media is the time recorded (within
        // 15 %), not that plus the pause.
        let played = play_to_end(&concat(&all), "video/webm;codecs=vp9,opus")
            .await
            .expect("plays");
        assert!(
            (played - recorded_s).abs() <= recorded_s * 0.15 && played < recorded_s + pause_s / 2.0,
            "played {played:.2} s of {recorded_s:.2} s recorded around a {pause_s:.2} s pause"
        );
        p.destroy();
    })
    .await;
}

/// Makes the next WebCodecs stream's real video encoder fail after `frames` frames
/// (the engine's test hook: it configures the encoder with a size none takes).
fn fail_encoder_after(frames: u32) {
    js_sys::Reflect::set(
        &js_sys::global(),
        &"__mrpEncoderFault".into(),
        &frames.into(),
    )
    .unwrap();
}

/// The frames of segment `seg`, in order.
fn segment(frames: &[JsValue], seg: u32) -> Vec<JsValue> {
    frames
        .iter()
        .filter(|f| meta(f, "segment").as_f64() == Some(f64::from(seg)))
        .cloned()
        .collect()
}

#[wasm_bindgen_test]
async fn an_encoder_failure_ends_a_webcodecs_stream_with_what_was_encoded() {
    if !has_processor() {
        return;
    }
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    fail_encoder_after(40);
    let id = connect_and_start(&p, r#"{"engine":"webcodecs","width":320,"height":240}"#).await;
    let tracks = tracks_of(&p, &id);
    assert!(
        wait_until(20_000, || p.get_active_streams().length() == 0).await,
        "the stream did not end"
    );
    let errs = errors.all();
    assert_eq!(names(&errs), ["EncoderError"], "{errs:?}");
    let msg = err_message(&errs[0]);
    assert!(msg.contains(&id) && msg.contains("VideoEncoder"), "{msg}");
    // What was encoded before the failure was muxed and delivered, and plays: 40 video
    // frames at the fake camera's 20 fps or fewer, so about 2 s.
    let all = frames.all();
    assert_header_flags(&all);
    let bytes = concat(&all);
    let r = read(&bytes);
    assert_eq!(r.tracks().len(), 2);
    assert_eq!(r.last_block_end(), Some(bytes.len() as u64));
    let played = play_to_end(&bytes, "video/webm;codecs=vp9,opus")
        .await
        .expect("plays");
    assert!(played >= 1.0, "played {played:.2} s");
    assert!(all_ended(&tracks), "the tracks were released");
    p.destroy();
}

#[wasm_bindgen_test]
async fn auto_goes_on_with_mediarecorder_after_an_encoder_failure() {
    if !has_processor() {
        return;
    }
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    fail_encoder_after(30);
    let id = connect_and_start(&p, r#"{"engine":"auto","width":320,"height":240}"#).await;
    let tracks = tracks_of(&p, &id);
    assert_eq!(
        get_str(&p.get_active_streams().get(0), "engine"),
        "webcodecs"
    );
    assert!(
        wait_until(20_000, || errors.len() > 0).await,
        "no EncoderError reported"
    );
    // The switch is reported: a non-fatal EncoderError, then the stream's engine.
    let errs = errors.all();
    assert_eq!(names(&errs), ["EncoderError"], "{errs:?}");
    assert!(
        err_message(&errs[0]).contains("MediaRecorder"),
        "{}",
        err_message(&errs[0])
    );
    assert!(
        wait_until(10_000, || {
            let s = p.get_active_streams().get(0);
            !s.is_undefined() && get_str(&s, "engine") == "mediarecorder"
        })
        .await,
        "the stream did not go on with MediaRecorder"
    );
    let s = p.get_active_streams().get(0);
    assert_eq!(get_str(&s, "state"), "recording");
    let reason = get_str(&s, "engineReason");
    assert!(reason.contains("switched to MediaRecorder"), "{reason}");
    assert!(get(&s, "engineMode").is_undefined() || get(&s, "engineMode").is_null());
    // Recording goes on: chunks of the new segment arrive.
    assert!(
        wait_until(10_000, || segment(&frames.all(), 1).len() >= 5).await,
        "no chunks from MediaRecorder"
    );
    sleep(1500).await;
    let done = settle(p.stop_stream((&id).into()))
        .await
        .expect("stopStream");
    assert_eq!(get_str(&done, "state"), "stopped");
    assert_eq!(errors.len(), 1, "errors: {:?}", errors.all());
    let all = frames.all();
    assert_eq!(sequences(&all), (0..all.len() as u64).collect::<Vec<_>>());
    // Two segments, each a whole recording from its own header run: the WebCodecs one,
    // muxed to its last frame, and MediaRecorder's.
    let first = segment(&all, 0);
    let second = segment(&all, 1);
    assert_eq!(first.len() + second.len(), all.len());
    assert_header_flags(&first);
    assert_header_flags(&second);
    let a = concat(&first);
    let r = read(&a);
    assert_eq!(r.last_block_end(), Some(a.len() as u64));
    let played = play_to_end(&a, "video/webm;codecs=vp9,opus")
        .await
        .expect("the WebCodecs segment plays");
    assert!(played >= 0.5, "first segment: {played:.2} s");
    let mime = get_str(&done, "mimeType");
    assert!(mime.starts_with("video/webm"), "{mime}");
    let played = play_to_end(&concat(&second), &mime)
        .await
        .expect("the MediaRecorder segment plays");
    assert!(played >= 1.0, "second segment: {played:.2} s");
    assert!(all_ended(&tracks), "the tracks were released");
    p.destroy();
}

#[wasm_bindgen_test]
async fn frames_over_the_time_budget_are_dropped_before_encoding() {
    if !has_processor() {
        return;
    }
    // A budget of 1 ms per frame: no real encoder hands a frame back that fast through
    // its output callback, so every other frame is dropped before encoding.
    let p = producer(r#"{"adaptiveQuality":false,"maxProcessingTime":1}"#);
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    let id = connect_and_start(
        &p,
        r#"{"engine":"webcodecs","audio":false,"width":320,"height":240}"#,
    )
    .await;
    sleep(3000).await;
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
    let dropped = get_f64(&done, "framesDroppedBeforeEncoding");
    let all = frames.all();
    let bytes = concat(&all);
    let r = read(&bytes);
    let blocks = r.block_count() as f64;
    console_log!("{blocks} frames encoded, {dropped} dropped before encoding");
    // About half: every other frame while over the budget, keyframes never dropped.
    assert!(
        dropped >= blocks / 3.0,
        "{dropped} dropped, {blocks} encoded"
    );
    assert!(blocks >= 10.0, "{blocks} encoded");
    let played = play_to_end(&bytes, "video/webm;codecs=vp9")
        .await
        .expect("plays");
    assert!(played >= 2.0, "played {played:.2} s");
    p.destroy();
}
