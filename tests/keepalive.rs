//! Who keeps a producer alive, with real garbage collections (README "Who keeps a
//! producer alive"). The app is JS: it gets the producer (and a pool) as the JS objects
//! wasm-bindgen makes, subscribes, starts, and keeps nothing but its listeners' state.
//! A forced collection then takes those objects (Chromium: `gc()`, from
//! `--js-flags=--expose-gc` in webdriver.json; Firefox: allocation pressure until the
//! `FinalizationRegistry` says so).
//! - While a stream is live, the recording goes on without them, as a `MediaRecorder`'s
//!   does: frames keep coming, the OPFS file keeps growing.
//! - Once nothing is live (the tracks ended, `stopStream`, `disconnect()`, `destroy()`,
//!   or never started), the producer's inside is freed with everything it held: its
//!   listeners are collected, the pool it used stops its idle streams.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Function, Promise};
use media_recorder_producer::web::kept::list_recordings;
use media_recorder_producer::web::producer::Watch;
use media_recorder_producer::web::{MediaRecorderProducer, StreamPool};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::MediaStreamTrack;

wasm_bindgen_test_configure!(run_in_browser);

/// The page's garbage-collection helper, made once: `watch(obj, tag)` notes when `obj`
/// is collected; `collect(tags, ms)` forces collections until every tag was collected
/// (true) or `ms` passed (false).
const KEEP_JS: &str = r#"
if (!globalThis.__keep) {
  const collected = new Set();
  const registry = new FinalizationRegistry((tag) => collected.add(tag));
  const tick = (ms) => new Promise((r) => setTimeout(r, ms));
  globalThis.__keep = {
    collected,
    watch(obj, tag) { registry.register(obj, tag); },
    // The app's listeners and what they keep, made here, where no producer is in
    // scope: a closure made beside one would keep it alive through their shared scope.
    listeners(tag) {
      const seen = { frames: 0, states: [], errors: [], tracks: [], streamId: null };
      const onFrame = () => { seen.frames++; };
      registry.register(onFrame, tag + ':listener');
      return {
        seen,
        onFrame,
        onStreamUpdate: (s) => seen.states.push(s.state),
        onError: (e) => seen.errors.push(e.name),
      };
    },
    async collect(tags, ms) {
      const end = performance.now() + ms;
      const done = () => tags.every((t) => collected.has(t));
      while (!done() && performance.now() < end) {
        if (typeof gc === 'function') {
          gc();
        } else {
          // No gc() (Firefox): objects that live past a turn of the event loop are
          // tenured, so dropping them grows the old generation until a full
          // collection runs; the ArrayBuffers push its malloc trigger too.
          let junk = [];
          for (let i = 0; i < 300000; i++) junk.push({ i, s: 'x' + i });
          for (let i = 0; i < 16; i++) junk.push(new ArrayBuffer(4 << 20));
          await tick(0);
          junk = null;
        }
        // Finalization callbacks run in a task of their own after the collection.
        await tick(30);
      }
      return done();
    },
  };
}
"#;

fn keep() -> JsValue {
    Function::new_no_args(KEEP_JS)
        .call0(&JsValue::UNDEFINED)
        .unwrap();
    get(&js_sys::global(), "__keep")
}

/// Forces collections until every one of `tags` was collected; false after 30 s.
async fn collected(tags: &[&str]) -> bool {
    let tags: Array = tags.iter().map(|t| JsValue::from_str(t)).collect();
    let p: Promise = call(&keep(), "collect", &[tags.into(), 30_000.into()])
        .unwrap()
        .unchecked_into();
    settle(p).await.unwrap().as_bool() == Some(true)
}

/// The app: subscribes, connects and (`stream` not null) starts a stream, then does
/// `then` (`"keep"`: nothing; or a method: `stopStream`, `disconnect`, `destroy`),
/// and returns what it keeps: `{ frames, states, errors, tracks, streamId }`. The
/// producer `p` and pool (if any) are watched as `<tag>:producer` and `<tag>:pool`,
/// the frame listener as `<tag>:listener`. Nothing it keeps refers to them.
const APP_JS: &str = r#"
const [p, pool, stream, then, tag] = arguments;
const keep = globalThis.__keep;
const { seen, onFrame, onStreamUpdate, onError } = keep.listeners(tag);
keep.watch(p, tag + ':producer');
if (pool) { keep.watch(pool, tag + ':pool'); p.usePool(pool); }
p.onFrame(onFrame);
p.onStreamUpdate(onStreamUpdate);
p.onError(onError);
return (async () => {
  if (then === 'never connected') return seen;
  await p.connect();
  if (stream) {
    const s = await p.startStream(stream);
    seen.streamId = s.id;
    seen.tracks = p.getMediaStream(s.id).getTracks();
    while (seen.frames < 2) await new Promise((r) => setTimeout(r, 20));
    if (then === 'stopStream') await p.stopStream(s.id);
  }
  if (then === 'disconnect') await p.disconnect();
  if (then === 'destroy') p.destroy();
  return seen;
})();
"#;

/// Runs the app with the producer (and pool) handed over as JS objects: after this,
/// only the app's JS holds them, and it keeps them for no longer than it runs.
async fn run_app(
    p: MediaRecorderProducer,
    pool: Option<StreamPool>,
    stream: Option<&str>,
    then: &str,
    tag: &str,
) -> JsValue {
    keep();
    let app = Function::new_no_args(APP_JS);
    let args: Array = [
        as_js(p),
        pool.map(JsValue::from).unwrap_or(JsValue::NULL),
        stream.map(js).unwrap_or(JsValue::NULL),
        then.into(),
        tag.into(),
    ]
    .into_iter()
    .collect();
    let running: Promise = app
        .apply(&JsValue::UNDEFINED, &args)
        .unwrap()
        .unchecked_into();
    drop(args);
    settle(running).await.expect("the app's setup")
}

fn frames(seen: &JsValue) -> f64 {
    get_f64(seen, "frames")
}

fn tracks(seen: &JsValue) -> Vec<MediaStreamTrack> {
    Array::from(&get(seen, "tracks"))
        .iter()
        .map(|t| t.unchecked_into())
        .collect()
}

fn strings(seen: &JsValue, key: &str) -> Vec<String> {
    Array::from(&get(seen, key))
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

fn live(tracks: &[MediaStreamTrack]) -> bool {
    !tracks.is_empty()
        && tracks
            .iter()
            .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live)
}

/// Frames still coming: at least `more` after now, within 15 s.
async fn frames_go_on(seen: &JsValue, more: f64) -> bool {
    let from = frames(seen);
    wait_until(15_000, || frames(seen) >= from + more).await
}

/// The end of a recording nobody can stop any more: the user ends the capture (as
/// "Stop sharing" does), and the producer sees its tracks ended.
async fn end_capture(seen: &JsValue, watch: &Watch) {
    for t in tracks(seen) {
        t.stop();
    }
    assert!(
        wait_until(15_000, || strings(seen, "states")
            .iter()
            .any(|s| s == "ended"))
        .await,
        "the stream ends with its tracks (states: {:?})",
        strings(seen, "states")
    );
    assert!(
        wait_until(5_000, || !watch.alive()).await,
        "the abandoned producer is freed once its last stream ended"
    );
}

#[wasm_bindgen_test]
async fn a_recording_goes_on_after_a_collection_takes_the_producer_and_ends_with_its_tracks() {
    let p = producer(r#"{"recordingInterval":100}"#);
    let watch = p.watch();
    let seen = run_app(
        p,
        None,
        Some(r#"{"width":320,"height":240}"#),
        "keep",
        "rec",
    )
    .await;
    assert!(
        collected(&["rec:producer"]).await,
        "a collection took the app's producer object"
    );
    assert!(
        watch.alive(),
        "a recording producer lives on without the app"
    );
    assert!(
        frames_go_on(&seen, 10.0).await,
        "frames go on after the collection ({} so far)",
        frames(&seen)
    );
    assert!(live(&tracks(&seen)), "its tracks stay live");
    assert_eq!(strings(&seen, "errors"), Vec::<String>::new());
    end_capture(&seen, &watch).await;
    assert!(
        collected(&["rec:listener"]).await,
        "the freed producer let go of its listener"
    );
}

#[wasm_bindgen_test]
async fn an_opfs_recording_from_a_pool_goes_on_after_both_are_collected() {
    let name = format!("keepalive-{}", js_sys::Date::now() as u64);
    let p = producer(r#"{"recordingInterval":100}"#);
    let watch = p.watch();
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let stream = [
        r#"{"width":320,"height":240,"sink":{"type":"opfs","name":""#,
        &name,
        r#""}}"#,
    ]
    .concat();
    let seen = run_app(p, Some(pool), Some(&stream), "keep", "opfs").await;
    assert!(
        collected(&["opfs:producer", "opfs:pool"]).await,
        "a collection took the producer and the pool objects"
    );
    let size = || async {
        let list: Array = settle(list_recordings()).await.unwrap().unchecked_into();
        list.iter()
            .find(|r| get_str(r, "name") == name)
            .map(|r| (get_f64(&r, "bytes"), get(&r, "finished").as_bool()))
    };
    let (at_collection, _) = size().await.expect("the recording is listed");
    assert!(frames_go_on(&seen, 10.0).await, "frames go on");
    assert!(live(&tracks(&seen)), "the pooled tracks stay live");
    // Parts are committed every few seconds: wait for the file to grow.
    let mut grew = false;
    for _ in 0..40 {
        if size().await.is_some_and(|(b, _)| b > at_collection) {
            grew = true;
            break;
        }
        sleep(250).await;
    }
    assert!(grew, "the OPFS recording grows after the collection");
    end_capture(&seen, &watch).await;
    let mut finished = None;
    for _ in 0..40 {
        finished = size().await.and_then(|(_, f)| f);
        if finished == Some(true) {
            break;
        }
        sleep(250).await;
    }
    assert_eq!(finished, Some(true), "the recording is closed as finished");
    let _ = settle(media_recorder_producer::web::kept::delete_recording(
        name.into(),
    ))
    .await;
}

#[wasm_bindgen_test]
async fn a_producer_with_nothing_live_is_collected_whole() {
    for then in [
        "never connected",
        "connected only",
        "stopStream",
        "disconnect",
        "destroy",
    ] {
        let p = producer(r#"{"recordingInterval":100}"#);
        let watch = p.watch();
        let stream = (then != "connected only" && then != "never connected")
            .then_some(r#"{"width":320,"height":240}"#);
        let tag = then.replace(' ', "-");
        let seen = run_app(p, None, stream, then, &tag).await;
        let (producer_tag, listener_tag) = (format!("{tag}:producer"), format!("{tag}:listener"));
        assert!(
            collected(&[&producer_tag, &listener_tag]).await,
            "{then}: the producer and its listener are collected"
        );
        assert!(
            wait_until(5_000, || !watch.alive()).await,
            "{then}: the producer's inside is freed"
        );
        assert!(
            tracks(&seen)
                .iter()
                .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended),
            "{then}: no track is live"
        );
    }
}

#[wasm_bindgen_test]
async fn a_stopped_producer_and_its_pool_are_collected_and_the_pool_stops_its_idle_stream() {
    let p = producer(r#"{"recordingInterval":100}"#);
    let watch = p.watch();
    let pool = StreamPool::new(JsValue::UNDEFINED).unwrap();
    let seen = run_app(
        p,
        Some(pool),
        Some(r#"{"width":320,"height":240}"#),
        "stopStream",
        "pooled",
    )
    .await;
    // Stopped: the stream went back to the pool, idle and live, for the next start.
    assert!(
        live(&tracks(&seen)),
        "the released stream waits in the pool"
    );
    assert!(
        collected(&["pooled:producer", "pooled:pool"]).await,
        "the producer and the pool are collected"
    );
    assert!(
        wait_until(5_000, || !watch.alive()).await,
        "the producer's inside is freed"
    );
    assert!(
        wait_until(5_000, || all_ended(&tracks(&seen))).await,
        "the freed pool stopped the stream it held"
    );
}

#[wasm_bindgen_test]
async fn free_and_using_stop_a_live_recording_as_destroy_does() {
    let dispose = Function::new_no_args("return Symbol.dispose")
        .call0(&JsValue::UNDEFINED)
        .unwrap();
    for how in ["free", "Symbol.dispose"] {
        let p = producer(r#"{"recordingInterval":100}"#);
        let watch = p.watch();
        let id = connect_and_start(&p, r#"{"width":320,"height":240}"#).await;
        let tracks = tracks_of(&p, &id);
        let obj = as_js(p);
        let method = if how == "free" {
            get(&obj, "free")
        } else {
            js_sys::Reflect::get(&obj, &dispose).unwrap()
        };
        let method: Function = method
            .dyn_into()
            .unwrap_or_else(|_| panic!("{how} is a method"));
        method.call0(&obj).unwrap();
        assert!(all_ended(&tracks), "{how}: every track stopped at once");
        assert_eq!(get(&obj, "destroyed"), JsValue::TRUE, "{how}: destroyed");
        let tag = format!("{how}:producer");
        call(&keep(), "watch", &[obj, tag.as_str().into()]).unwrap();
        assert!(collected(&[&tag]).await, "{how}: collected");
        assert!(
            wait_until(5_000, || !watch.alive()).await,
            "{how}: the producer's inside is freed"
        );
    }
}
