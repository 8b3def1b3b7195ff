//! Instant replay: `snapshot()` of a `replay: true` stream recorded long enough to wrap
//! its ring. The clip is a WebM of its own that the browser plays and seeks, starts at a
//! keyframe at time 0, and lasts what was asked for, within the ring's window.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use media_recorder_producer::core::ebml::{EbmlReader, TrackKind};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The clip read back by the core reader: its first Cluster starts at time 0 with a
/// video keyframe (at most one frame in).
fn starts_at_a_keyframe_at_zero(bytes: &[u8]) {
    let mut r = EbmlReader::new();
    r.feed(bytes).unwrap();
    let first = r.clusters()[0];
    assert_eq!(first.timecode, Some(0));
    assert!(r.tracks().iter().any(|t| t.kind == TrackKind::Video));
    let k = first.keyframe.expect("the clip starts with a keyframe");
    assert!(k.timecode <= 100, "keyframe at {} ms", k.timecode);
}

/// Each Cluster's bytes after its Timecode, up to the next Cluster (or the end).
fn bodies(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut r = EbmlReader::new();
    r.feed(bytes).unwrap();
    let c = r.clusters();
    (0..c.len())
        .map(|i| {
            let start = c[i].timecode_end.unwrap() as usize;
            let end = c.get(i + 1).map_or(bytes.len(), |n| n.offset as usize);
            bytes[start..end].to_vec()
        })
        .collect()
}

/// The clip's Clusters carry the recording's bytes unchanged, in order, from one
/// Cluster on: only their start (ID, size, Timecode) is rewritten. The last may be cut
/// short where the ring's held bytes ended.
/// Returns the index of the recording's Cluster the clip starts at.
fn bodies_match_the_recording(clip: &[u8], recording: &[u8]) -> usize {
    let (clip, rec) = (bodies(clip), bodies(recording));
    assert!(clip.len() >= 2, "{} clusters in the clip", clip.len());
    let j = rec
        .iter()
        .position(|b| *b == clip[0])
        .expect("the clip's first Cluster is one of the recording's");
    for (i, body) in clip.iter().enumerate() {
        let want = &rec[j + i];
        if i + 1 < clip.len() {
            assert!(body == want, "Cluster {i} of the clip differs");
        } else {
            assert!(want.starts_with(body), "the clip's last Cluster differs");
        }
    }
    j
}

/// A clip of the last `ms` that starts at the recording's `j`-th Cluster and whose last
/// block is `length` ms in starts where it should: it lasts at least `ms`, and it starts
/// at the latest keyframe that gives that, i.e. the recording's next keyframe Cluster
/// is less than `ms` before the clip's end. How much longer than `ms` a clip is depends
/// on the recorder's keyframe spacing: Chromium's is 1 s here (`keyframeInterval`);
/// Firefox ignores it and makes one every ~7.5 s (with a Cluster every second).
fn starts_at_the_latest_keyframe(recording: &[u8], j: usize, length: i64, ms: i64) {
    let mut r = EbmlReader::new();
    r.feed(recording).unwrap();
    let clusters = r.clusters();
    let key = |i: usize| clusters[i].keyframe.map(|k| k.timecode);
    let start = key(j).expect("the clip's first Cluster has a keyframe");
    // The clip's time 0 is its first Cluster's Timecode (the keyframe is at most a
    // frame later).
    let end = clusters[j].timecode.unwrap() as i64 + length;
    assert!(
        end - start >= ms,
        "{ms} ms asked for, {} ms given from the keyframe",
        end - start
    );
    if let Some(next) = (j + 1..clusters.len()).find_map(key) {
        assert!(
            next > end - ms,
            "the clip starts at the keyframe at {start} ms and ends at {end} ms: \
             the one at {next} ms would have given {ms} ms"
        );
    }
}

#[wasm_bindgen_test]
async fn a_snapshot_of_a_wrapped_ring_plays_from_a_keyframe() {
    // About 30 kB/s of video: a 200 kB ring holds a few seconds of a 12 s recording.
    let p = producer(r#"{"bufferMaxBytes":200000}"#);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(
        &p,
        r#"{"width":320,"height":240,"bitrate":250000,"audio":false,"replay":true}"#,
    )
    .await;
    sleep(12_000).await;
    assert!(frames.len() > 50, "frames flow ({})", frames.len());
    let m = p.metrics();
    let held = get_f64(&m, "bytesHeld");
    assert!(
        held <= 200_000.0 + 64_000.0,
        "the ring stays within its budget: {held}"
    );
    assert_eq!(
        get_f64(&m, "framesDropped"),
        0.0,
        "delivered chunks leave without drops"
    );

    // The last 3 s: from the latest keyframe that gives at least 3 s (checked against
    // the recording below).
    let clip = settle(p.snapshot((&id).into(), js(r#"{"seconds":3}"#)))
        .await
        .unwrap();
    assert!(clip.is_instance_of::<web_sys::Blob>());
    let bytes = bytes_of(&clip).await;
    starts_at_a_keyframe_at_zero(&bytes);
    let clip_bytes = bytes;
    let r = seek_middle(&clip).await.unwrap();
    let duration = get_f64(&r, "duration");
    assert!(duration.is_finite(), "duration {duration}");
    // The player's duration is the clip's: its last block's time and one frame (the
    // recording's mean spacing: 33 ms idle, more when a busy machine drops frames).
    let mut c = EbmlReader::new();
    c.feed(&clip_bytes).unwrap();
    let length = c.max_timecode().unwrap();
    assert!(
        duration * 1000.0 >= length as f64 && duration * 1000.0 < length as f64 + 250.0,
        "duration {duration} s for a clip whose last block is at {length} ms"
    );
    let (target, at) = (get_f64(&r, "target"), get_f64(&r, "at"));
    assert!((at - target).abs() < 0.1, "seeked to {at}, wanted {target}");

    // All that is held: within the ring's window, well short of the 12 s recorded.
    let all = settle(p.snapshot((&id).into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    let bytes = bytes_of(&all).await;
    starts_at_a_keyframe_at_zero(&bytes);
    assert!(
        (bytes.len() as f64) < 200_000.0 + 64_000.0,
        "{} bytes",
        bytes.len()
    );
    let r = seek_middle(&all).await.unwrap();
    let whole = get_f64(&r, "duration");
    assert!(whole >= duration - 0.05 && whole < 10.0, "window {whole} s");

    // Byte for byte: the Clusters joined while recording (and the last, cut at
    // snapshot time) are the recording's, against every frame delivered by now.
    sleep(500).await;
    let recording = concat(&frames.all());
    let j = bodies_match_the_recording(&clip_bytes, &recording);
    starts_at_the_latest_keyframe(&recording, j, length, 3000);
    bodies_match_the_recording(&bytes, &recording);
    p.destroy();
}

#[wasm_bindgen_test]
async fn snapshot_needs_replay_and_valid_options() {
    let p = producer("{}");
    let id = connect_and_start(&p, r#"{"width":320,"height":240}"#).await;
    let e = settle(p.snapshot((&id).into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    assert!(
        err_message(&e).contains("replay: true"),
        "{}",
        err_message(&e)
    );
    let e = settle(p.snapshot((&id).into(), js(r#"{"seconds":-1}"#)))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "RangeError");
    assert!(
        err_message(&e).contains("options.seconds"),
        "{}",
        err_message(&e)
    );
    let e = settle(p.snapshot(JsValue::from_f64(1.0), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    let e = settle(p.snapshot("nope".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "RangeError");
    p.destroy();
}

/// MP4 (Chromium; Firefox records none): a snapshot of a wrapped ring starts at a
/// fragment that begins with a keyframe, its times rebased to 0, and plays and seeks
/// with a finite duration; `retain: "all"` resolves stop with a seekable MP4.
#[wasm_bindgen_test]
async fn an_mp4_snapshot_starts_at_a_keyframe_fragment() {
    use media_recorder_producer::core::mp4::Mp4Index;
    if !web_sys::MediaRecorder::is_type_supported("video/mp4") {
        return;
    }
    let p = producer(r#"{"bufferMaxBytes":300000}"#);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(
        &p,
        r#"{"mimeType":"video/mp4","width":320,"height":240,"bitrate":250000,"audio":true,"replay":true}"#,
    )
    .await;
    sleep(10_000).await;
    let m = p.metrics();
    let held = get_f64(&m, "bytesHeld");
    assert!(held <= 300_000.0 + 64_000.0, "within its budget: {held}");
    let clip = settle(p.snapshot((&id).into(), js(r#"{"seconds":3}"#)))
        .await
        .unwrap();
    let bytes = bytes_of(&clip).await;
    let mut ix = Mp4Index::new();
    ix.feed(&bytes).unwrap();
    let f = ix.fragments();
    assert!(f.len() >= 2, "{} fragments", f.len());
    assert!(f[0].keyframe, "the clip starts with a keyframe");
    let video = ix.tracks().iter().find(|t| t.video).unwrap().id;
    let first: Vec<u64> = f[0].trafs.iter().map(|t| t.time).collect();
    assert_eq!(first.iter().min(), Some(&0), "times start at 0: {first:?}");
    let v0 = f[0].trafs.iter().find(|t| t.track == video).unwrap().time;
    assert!(v0 < 2_000, "video starts within a frame of 0: {v0}");
    // Well after the recording's start: the ring wrapped.
    let r = seek_middle(&clip).await.unwrap();
    let duration = get_f64(&r, "duration");
    assert!(
        duration.is_finite() && (2.9..4.6).contains(&duration),
        "3 s asked for, {duration} s given"
    );
    let (target, at) = (get_f64(&r, "target"), get_f64(&r, "at"));
    assert!((at - target).abs() < 0.1, "seeked to {at}, wanted {target}");
    // The fragments are the recording's bytes apart from each tfdt: the last fragment
    // of the clip is one of the recording's, byte for byte from its tfdt on.
    sleep(500).await;
    let recording = concat(&frames.all());
    let last = f.last().unwrap();
    let tail = &bytes[last.trafs.iter().map(|t| t.time_at).max().unwrap() as usize + 8..];
    assert!(
        recording.windows(tail.len()).any(|w| w == tail),
        "the last fragment's bytes are the recording's"
    );
    p.destroy();

    // retain: "all": stop resolves with the recording made seekable from the index.
    let q = producer(r#"{"retain":"all"}"#);
    let id = connect_and_start(
        &q,
        r#"{"mimeType":"video/mp4","width":320,"height":240,"audio":true}"#,
    )
    .await;
    let started = js_sys::Date::now();
    sleep(6_000).await;
    let stream = settle(q.stop_stream((&id).into())).await.unwrap();
    let recorded = (js_sys::Date::now() - started) / 1000.0;
    let recording = get(&stream, "recording");
    let r = seek_middle(&recording).await.unwrap();
    let duration = get_f64(&r, "duration");
    assert!(
        duration.is_finite() && duration > recorded * 0.8 && duration < recorded * 1.1,
        "duration {duration} s for about {recorded} s recorded"
    );
    let (target, at) = (get_f64(&r, "target"), get_f64(&r, "at"));
    assert!((at - target).abs() < 0.1, "seeked to {at}, wanted {target}");
    let bytes = bytes_of(&recording).await;
    assert!(bytes.windows(4).any(|w| w == b"sidx"), "a sidx");
    q.destroy();
}
