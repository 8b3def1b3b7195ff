//! Ends of life: a track that ends, destroy/stop/unsubscribe from inside a listener,
//! throwing listeners, destroy and disconnect leaving nothing running.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_track_that_ends_ends_the_stream_with_everything_delivered() {
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    let errors = collect(&p, Event::Error);
    let updates = collect(&p, Event::StreamUpdate);
    let statuses = collect(&p, Event::Status);
    let id = connect_and_start(&p, "{}").await;
    let tracks = tracks_of(&p, &id);
    assert_eq!(tracks.len(), 2);
    // At least 8 frames first (about 1 s on an idle machine; the browser's encoder is
    // slower when every core is busy, so wait for the frames rather than a fixed time).
    assert!(wait_until(10_000, || frames.len() >= 8).await);
    // Unplugging the camera: `track.stop()` fires no `ended`, so dispatch one as the
    // browser does when a device goes away. (Firefox does not deliver the dispatched
    // event — see the expectation test below — and the library sees the ended track on
    // its next tick instead.)
    let video = tracks.iter().find(|t| t.kind() == "video").unwrap();
    video.stop();
    video
        .dispatch_event(&web_sys::Event::new("ended").unwrap())
        .unwrap();
    assert!(
        wait_until(5000, || updates
            .all()
            .iter()
            .any(|u| get_str(u, "state") == "ended"))
        .await,
        "the stream update says the stream ended; updates {:?}, errors {:?}",
        updates
            .all()
            .iter()
            .map(|u| get_str(u, "state"))
            .collect::<Vec<_>>(),
        errors.all().iter().map(err_message).collect::<Vec<_>>()
    );
    let errs = errors.all();
    assert_eq!(names(&errs), vec!["DeviceLostError".to_string()]);
    assert!(
        err_message(&errs[0]).contains("stopped delivering media"),
        "{}",
        err_message(&errs[0])
    );
    let status = p.status();
    assert!(get_str(&status, "error").contains("stopped delivering media"));
    assert!(statuses
        .all()
        .iter()
        .any(|s| !get(s, "error").is_undefined()));
    // Every chunk until then was delivered, in order, none dropped.
    let all = frames.all();
    assert!(all.len() >= 8, "{} frames", all.len());
    assert_eq!(sequences(&all), (0..all.len() as u64).collect::<Vec<_>>());
    let m = p.metrics();
    assert_eq!(get_f64(&m, "framesDropped"), 0.0);
    assert_eq!(
        get_f64(&m, "framesDelivered"),
        get_f64(&m, "framesRecorded")
    );
    // The other track was released too, and stopStream still resolves.
    assert!(all_ended(&tracks));
    let done = settle(p.stop_stream((&id).into()))
        .await
        .expect("stopStream after the end");
    assert_eq!(get_str(&done, "state"), "ended");
    assert!(get_str(&done, "endReason").contains("stopped delivering media"));
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}

/// Expectation, pinning today's browsers: an `ended` event dispatched on a live camera
/// track reaches the track's listeners in Chromium 156 but not in Firefox ESR 153. The
/// plain-JS snippet below reproduces it; the library does not rely on the event alone.
#[wasm_bindgen_test]
async fn expectation_dispatched_ended_event_reaches_track_listeners_in_chromium_only() {
    let snippet = js_sys::Function::new_no_args(
        "return navigator.mediaDevices.getUserMedia({ video: true }).then((s) => {
           const [t] = s.getVideoTracks();
           let fired = 0;
           t.addEventListener('ended', () => { fired += 1; });
           t.dispatchEvent(new Event('ended'));
           t.stop();
           return fired;
         });",
    );
    let fired = settle(snippet.call0(&JsValue::UNDEFINED).unwrap().into())
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    let ua = web_sys::window().unwrap().navigator().user_agent().unwrap();
    if ua.contains("Firefox") {
        assert_eq!(
            fired, 0.0,
            "Firefox now delivers dispatched track events: {ua}"
        );
    } else {
        assert_eq!(fired, 1.0, "{ua}");
    }
}

#[wasm_bindgen_test]
async fn a_track_stopped_behind_the_producer_s_back_ends_the_stream() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(&p, r#"{"audio":false}"#).await;
    sleep(500).await;
    // The app stops the preview's track itself: no `ended` event in any browser.
    for t in tracks_of(&p, &id) {
        t.stop();
    }
    assert!(
        wait_until(3000, || p.get_active_streams().length() == 0).await,
        "the producer noticed the ended track"
    );
    assert_eq!(names(&errors.all()), vec!["DeviceLostError".to_string()]);
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(get_str(&done, "state"), "ended");
    assert!(!get(&done, "active").as_bool().unwrap());
    assert_eq!(get_f64(&done, "totalFrames") as usize, frames.len());
    p.destroy();
}

#[wasm_bindgen_test]
async fn destroy_from_inside_a_listener() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    let pj = as_js(p);
    let s = call(&pj, "startStream", &[js("{}")]).unwrap();
    let s = settle(s.into()).await.unwrap();
    let id = get_str(&s, "id");
    let m = call(&pj, "getMediaStream", &[id.clone().into()]).unwrap();
    let tracks: Vec<web_sys::MediaStreamTrack> =
        js_sys::Array::from(&call(&m, "getTracks", &[]).unwrap())
            .iter()
            .map(|t| t.unchecked_into())
            .collect();
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let target = pj.clone();
    let listener = js_fn(move |_frame| {
        *c.borrow_mut() += 1;
        if *c.borrow() == 3 {
            call(&target, "destroy", &[]).unwrap();
        }
        JsValue::UNDEFINED
    });
    // A second listener, after the destroying one: it must not get the 3rd frame.
    let second = Rc::new(RefCell::new(0));
    let c2 = second.clone();
    let listener2 = js_fn(move |_frame| {
        *c2.borrow_mut() += 1;
        JsValue::UNDEFINED
    });
    call(&pj, "onFrame", &[listener.as_ref().clone()]).unwrap();
    call(&pj, "onFrame", &[listener2.as_ref().clone()]).unwrap();
    assert!(wait_until(5000, || *count.borrow() >= 3).await);
    sleep(800).await;
    assert_eq!(*count.borrow(), 3, "no frame after destroy");
    assert_eq!(*second.borrow(), 2);
    assert!(all_ended(&tracks), "every acquired track is ended");
    assert_eq!(get(&pj, "destroyed").as_bool(), Some(true));
    // Any call afterwards fails with InvalidStateError.
    let e = settle(call(&pj, "connect", &[]).unwrap().into())
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    let e = call(&pj, "onFrame", &[listener.as_ref().clone()]).unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    let e = settle(call(&pj, "stopStream", &[id.into()]).unwrap().into())
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    // free() after destroy() is fine, like destroy() twice.
    call(&pj, "destroy", &[]).unwrap();
    call(&pj, "free", &[]).unwrap();
}

#[wasm_bindgen_test]
async fn stop_stream_from_inside_a_listener_that_returns_its_promise() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    let pj = as_js(p);
    let s = settle(call(&pj, "startStream", &[js("{}")]).unwrap().into())
        .await
        .unwrap();
    let id = get_str(&s, "id");
    let seen: Rc<RefCell<Vec<JsValue>>> = Default::default();
    let stopped: Rc<RefCell<Option<js_sys::Promise>>> = Default::default();
    let (sink, st, target, sid) = (seen.clone(), stopped.clone(), pj.clone(), id.clone());
    // `frame => producer.stopStream(id)`: the listener returns the stop Promise, which
    // waits for the delivery that waits for the listener. It must not deadlock.
    let listener = js_fn(move |frame| {
        sink.borrow_mut().push(frame);
        if sink.borrow().len() == 5 {
            let p: js_sys::Promise = call(&target, "stopStream", &[sid.clone().into()])
                .unwrap()
                .into();
            *st.borrow_mut() = Some(p.clone());
            return p.into();
        }
        JsValue::UNDEFINED
    });
    call(&pj, "onFrame", &[listener.as_ref().clone()]).unwrap();
    assert!(wait_until(5000, || stopped.borrow().is_some()).await);
    let p = stopped.borrow().clone().unwrap();
    let done = settle(p).await.expect("stopStream resolves");
    assert_eq!(get_str(&done, "state"), "stopped");
    let seqs = sequences(&seen.borrow());
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    call(&pj, "destroy", &[]).unwrap();
}

#[wasm_bindgen_test]
async fn unsubscribe_inside_a_listener_and_a_throwing_listener() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    // A: unsubscribes itself at its first frame.
    let a_count = Rc::new(RefCell::new(0));
    let unsub: Rc<RefCell<Option<js_sys::Function>>> = Default::default();
    let (ac, u) = (a_count.clone(), unsub.clone());
    let a = js_fn(move |_| {
        *ac.borrow_mut() += 1;
        if let Some(f) = u.borrow().as_ref() {
            f.call0(&JsValue::UNDEFINED).unwrap();
            // Calling it twice does nothing.
            f.call0(&JsValue::UNDEFINED).unwrap();
        }
        JsValue::UNDEFINED
    });
    *unsub.borrow_mut() = Some(p.on_frame(a.as_ref().clone()).unwrap());
    // B: throws every time.
    let b = js_fn(move |_| {
        wasm_bindgen::throw_str("listener B is broken");
    });
    p.on_frame(b.as_ref().clone()).unwrap();
    // C: counts.
    let c = collect(&p, Event::Frame);
    let id = connect_and_start(&p, "{}").await;
    // At least 8 frames (about 1 s idle; longer when the encoder is starved of CPU).
    assert!(wait_until(10_000, || c.len() >= 8).await);
    settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(*a_count.borrow(), 1);
    let all = c.all();
    assert!(all.len() >= 8);
    assert_eq!(sequences(&all), (0..all.len() as u64).collect::<Vec<_>>());
    let errs = errors.all();
    assert_eq!(errs.len(), all.len(), "one ListenerError per throw");
    assert!(names(&errs).iter().all(|n| n == "ListenerError"));
    assert!(
        err_message(&errs[0]).contains("listener B is broken"),
        "{}",
        err_message(&errs[0])
    );
    p.destroy();
}

#[wasm_bindgen_test]
async fn destroy_releases_every_track_and_no_frame_arrives() {
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    settle(p.connect()).await.unwrap();
    let a = get_str(&settle(p.start_stream(js("{}"))).await.unwrap(), "id");
    let b = get_str(
        &settle(p.start_stream(js(r#"{"source":"microphone"}"#)))
            .await
            .unwrap(),
        "id",
    );
    let mut tracks = tracks_of(&p, &a);
    tracks.extend(tracks_of(&p, &b));
    assert_eq!(tracks.len(), 3);
    sleep(600).await;
    p.destroy();
    assert!(all_ended(&tracks));
    let at_destroy = frames.len();
    sleep(700).await;
    assert_eq!(frames.len(), at_destroy, "no frame after destroy");
    assert!(p.get_media_stream((&a).into()).is_err());
    let e = settle(p.start_stream(js("{}"))).await.unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    assert!(err_message(&e).contains("destroy"));
}

#[wasm_bindgen_test]
async fn disconnect_stops_streams_and_connect_works_again() {
    let p = producer("{}");
    let statuses = collect(&p, Event::Status);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(&p, "{}").await;
    let tracks = tracks_of(&p, &id);
    assert_eq!(get(&p.status(), "isConnected").as_bool(), Some(true));
    assert!(get(&p.status(), "lastConnected").is_instance_of::<js_sys::Date>());
    // Until frames flow (not a fixed time: Firefox's first chunks can take most of a
    // second to come, and one npm test saw fewer than 3 in 600 ms).
    assert!(
        wait_until(10_000, || frames.len() >= 3).await,
        "frames flow"
    );
    settle(p.disconnect()).await.unwrap();
    assert!(all_ended(&tracks));
    assert_eq!(get(&p.status(), "isConnected").as_bool(), Some(false));
    let flags: Vec<bool> = statuses
        .all()
        .iter()
        .map(|s| get(s, "isConnected").as_bool().unwrap())
        .collect();
    assert_eq!(flags, vec![true, false]);
    assert_eq!(p.get_active_streams().length(), 0);
    let before = frames.len();
    assert!(before >= 3);
    // Listeners stay; the producer can connect and record again.
    let id2 = connect_and_start(&p, "{}").await;
    assert_ne!(id, id2);
    assert!(wait_until(3000, || frames.len() > before + 2).await);
    p.destroy();
}
