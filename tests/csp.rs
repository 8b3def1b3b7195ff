//! A page whose Content-Security-Policy refuses `blob:` Workers (`worker-src 'self'`,
//! as a strict policy has it). The WebCodecs engine's Worker is made from a Blob URL;
//! the browser makes it and refuses its script only afterwards, with an `error` event.
//! The engine must then run on the main thread, say so in `engineMode`, and record a
//! file that plays. (Its own test file: the policy stays on this page once set.)
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Puts the policy in force (a `<meta>` policy applies from its insertion on), then
/// says what a `blob:` Worker gets under it: "ran", "refused" (an error event) or
/// "threw <name>".
const POLICY_JS: &str = r#"
const meta = document.createElement('meta');
meta.httpEquiv = 'Content-Security-Policy';
meta.content = "worker-src 'self'";
document.head.appendChild(meta);
return new Promise((resolve) => {
  const url = URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' }));
  let w;
  try { w = new Worker(url); } catch (e) { resolve('threw ' + e.name); return; }
  w.onmessage = () => { w.terminate(); resolve('ran'); };
  w.onerror = (e) => { e.preventDefault(); w.terminate(); resolve('refused'); };
});
"#;

fn has_processor() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"MediaStreamTrackProcessor".into()).unwrap_or(false)
}

#[wasm_bindgen_test]
async fn a_csp_that_refuses_blob_workers_gets_the_main_thread_engine_and_a_file_that_plays() {
    let premise: Promise = Function::new_no_args(POLICY_JS)
        .call0(&JsValue::UNDEFINED)
        .unwrap()
        .unchecked_into();
    let blob_worker = settle(premise).await.unwrap().as_string().unwrap();
    assert_ne!(blob_worker, "ran", "the policy refuses blob: Workers here");
    // Firefox has no MediaStreamTrackProcessor, so no WebCodecs engine to test (its
    // expectation is pinned in tests/webcodecs.rs); the policy's premise is checked.
    if !has_processor() {
        return;
    }
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    let id = connect_and_start(&p, r#"{"engine":"webcodecs","width":320,"height":240}"#).await;
    let mode = || {
        let s = p.get_active_streams().get(0);
        match s.is_undefined() {
            true => format!("nothing: the stream ended (errors: {:?})", errors.all()),
            false => get(&s, "engineMode").as_string().unwrap_or_default(),
        }
    };
    assert!(
        wait_until(5_000, || mode() == "main-thread").await,
        "engineMode says the main thread runs the encoder (it says {:?})",
        mode()
    );
    let started = js_sys::Date::now();
    sleep(3000).await;
    let recorded_s = (js_sys::Date::now() - started) / 1000.0;
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(get_str(&done, "state"), "stopped");
    assert_eq!(get_str(&done, "engineMode"), "main-thread");
    assert_eq!(errors.len(), 0, "errors: {:?}", errors.all());
    let all = frames.all();
    assert!(all.len() >= 10, "only {} frames", all.len());
    assert_header_flags(&all);
    let played = play_to_end(&concat(&all), "video/webm;codecs=vp9,opus")
        .await
        .expect("plays");
    assert!(
        played >= recorded_s * 0.8,
        "played {played:.2} s of a recording of at least {recorded_s:.2} s"
    );
    p.destroy();
}
