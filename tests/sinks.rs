//! Sinks (`videoConfig.sinks`): WritableStreams that take every chunk as a Blob.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A WritableStream that keeps what it is given; `delayMs` per write. Returns
/// `{ stream, chunks, closed() }`.
fn collecting_sink(delay_ms: u32, fail_at: i32) -> JsValue {
    Function::new_with_args(
        "delayMs, failAt",
        "const chunks = []; let closed = false;
         const stream = new WritableStream({
           write(chunk) {
             if (chunks.length === failAt) throw new Error('disk full');
             chunks.push(chunk);
             return delayMs ? new Promise((r) => setTimeout(r, delayMs)) : undefined;
           },
           close() { closed = true; },
         });
         return { stream, chunks, closed: () => closed };",
    )
    .call2(&JsValue::UNDEFINED, &delay_ms.into(), &fail_at.into())
    .unwrap()
}

fn chunks_of(sink: &JsValue) -> Vec<JsValue> {
    Array::from(&get(sink, "chunks")).to_vec()
}

fn closed(sink: &JsValue) -> bool {
    let f: Function = get(sink, "closed").dyn_into().unwrap();
    f.call0(&JsValue::UNDEFINED).unwrap().as_bool().unwrap()
}

async fn blob_bytes(blobs: &[JsValue]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in blobs {
        let blob: web_sys::Blob = b.clone().dyn_into().unwrap();
        let buf = settle(blob.array_buffer()).await.unwrap();
        out.extend(js_sys::Uint8Array::new(&buf).to_vec());
    }
    out
}

fn config_with(sinks: &[&JsValue]) -> JsValue {
    let cfg = js("{}");
    let list: Array = sinks.iter().map(|s| get(s, "stream")).collect();
    Reflect::set(&cfg, &"sinks".into(), &list).unwrap();
    cfg
}

#[wasm_bindgen_test]
async fn a_sink_gets_every_chunk_in_order_as_blobs_and_is_closed() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    let sink = collecting_sink(0, -1);
    settle(p.connect()).await.unwrap();
    // No onFrame listener: the sink alone is the consumer.
    let s = settle(p.start_stream(config_with(&[&sink]))).await.unwrap();
    let id = get_str(&s, "id");
    assert!(wait_until(10_000, || chunks_of(&sink).len() >= 8).await);
    settle(p.stop_stream((&id).into())).await.unwrap();
    assert!(
        wait_until(3000, || closed(&sink)).await,
        "closed at the end"
    );
    let chunks = chunks_of(&sink);
    assert!(chunks.iter().all(|c| c.is_instance_of::<web_sys::Blob>()));
    let m = p.metrics();
    // Exactly once: every recorded chunk reached the sink, none dropped.
    assert_eq!(chunks.len() as f64, get_f64(&m, "framesRecorded"));
    assert_eq!(get_f64(&m, "framesDropped"), 0.0);
    let bytes = blob_bytes(&chunks).await;
    assert_eq!(bytes.len() as f64, get_f64(&m, "bytesRecorded"));
    assert!(
        errors.all().is_empty(),
        "{:?}",
        errors.all().iter().map(err_message).collect::<Vec<_>>()
    );
    // In order: the bytes are one playable recording.
    let mime = get_str(&s, "mimeType");
    let played = play_to_end(&bytes, &mime).await.expect("plays");
    assert!(played > 0.5, "played {played}");
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_slow_sink_holds_back_chunks_and_listeners_get_the_same_ones() {
    let p = producer(r#"{"bufferCapacity":1000}"#);
    let frames = collect(&p, Event::Frame);
    // 150 ms per write, slower than the recorder's ~120 ms: chunks wait in the ring.
    let sink = collecting_sink(150, -1);
    settle(p.connect()).await.unwrap();
    let s = settle(p.start_stream(config_with(&[&sink]))).await.unwrap();
    let id = get_str(&s, "id");
    assert!(wait_until(10_000, || frames.len() >= 10).await);
    settle(p.stop_stream((&id).into())).await.unwrap();
    let chunks = chunks_of(&sink);
    let all = frames.all();
    assert_eq!(
        chunks.len(),
        all.len(),
        "the sink and the listener got the same chunks"
    );
    assert_eq!(sequences(&all), (0..all.len() as u64).collect::<Vec<_>>());
    assert_eq!(blob_bytes(&chunks).await, concat(&all));
    assert_eq!(get_f64(&p.metrics(), "framesDropped"), 0.0);
    p.destroy();
}

#[wasm_bindgen_test]
async fn nothing_is_evicted_from_under_a_slow_sink_and_its_backpressure_is_reported() {
    // A 16 kB budget and a sink three times slower than the recorder: a stream without
    // sinks would drop; this one holds every chunk for the sink and says so once.
    let p = producer(r#"{"bufferMaxBytes":16384,"bufferCapacity":4}"#);
    let errors = collect(&p, Event::Error);
    let sink = collecting_sink(350, -1);
    settle(p.connect()).await.unwrap();
    let cfg = config_with(&[&sink]);
    Reflect::set(&cfg, &"width".into(), &320.into()).unwrap();
    Reflect::set(&cfg, &"height".into(), &240.into()).unwrap();
    let s = settle(p.start_stream(cfg)).await.unwrap();
    let id = get_str(&s, "id");
    assert!(
        wait_until(15_000, || names(&errors.all())
            .contains(&"SinkBackpressure".to_string()))
        .await,
        "SinkBackpressure reported: {:?}",
        names(&errors.all())
    );
    // Record on behind the sink a while longer.
    sleep(2000).await;
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(get_f64(&done, "framesDropped"), 0.0, "nothing evicted");
    assert_eq!(get_f64(&p.metrics(), "framesDropped"), 0.0);
    let reports = names(&errors.all());
    assert!(
        !reports.contains(&"DataLossError".to_string()),
        "{reports:?}"
    );
    let backpressure = errors
        .all()
        .into_iter()
        .find(|e| err_name(e) == "SinkBackpressure")
        .unwrap();
    assert!(err_message(&backpressure).contains("nothing is dropped"));
    // Every chunk the recorder made reached the sink, in order: a playable file.
    let chunks = chunks_of(&sink);
    assert_eq!(chunks.len() as f64, get_f64(&p.metrics(), "framesRecorded"));
    let bytes = blob_bytes(&chunks).await;
    let played = play_to_end(&bytes, &get_str(&done, "mimeType"))
        .await
        .unwrap();
    assert!(played > 1.0, "played {played} s");
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_failing_sink_is_reported_and_the_others_go_on() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    let bad = collecting_sink(0, 3);
    let good = collecting_sink(0, -1);
    settle(p.connect()).await.unwrap();
    let s = settle(p.start_stream(config_with(&[&bad, &good])))
        .await
        .unwrap();
    let id = get_str(&s, "id");
    assert!(wait_until(10_000, || chunks_of(&good).len() >= 8).await);
    settle(p.stop_stream((&id).into())).await.unwrap();
    assert_eq!(chunks_of(&bad).len(), 3, "nothing more after its failure");
    assert_eq!(
        chunks_of(&good).len() as f64,
        get_f64(&p.metrics(), "framesRecorded")
    );
    let errs = errors.all();
    assert_eq!(names(&errs), vec!["DataLossError".to_string()]);
    assert!(
        err_message(&errs[0]).contains("disk full"),
        "{}",
        err_message(&errs[0])
    );
    p.destroy();
}

#[wasm_bindgen_test]
async fn sinks_that_are_not_writable_streams_are_a_type_error() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    for bad in [r#"{"sinks":{}}"#, r#"{"sinks":[{}]}"#, r#"{"sinks":[1]}"#] {
        let e = settle(p.start_stream(js(bad))).await.unwrap_err();
        assert_eq!(err_name(&e), "TypeError", "{bad}");
        assert!(
            err_message(&e).contains("sinks"),
            "{bad}: {}",
            err_message(&e)
        );
    }
    assert_eq!(p.get_active_streams().length(), 0, "nothing was started");
    p.destroy();
}

/// The README's example: straight to a file in the origin-private file system.
#[wasm_bindgen_test]
async fn a_recording_goes_straight_to_an_opfs_file() {
    let open = Function::new_no_args(
        "return navigator.storage.getDirectory()
           .then((d) => d.getFileHandle('sink-test.webm', { create: true }))
           .then(async (h) => ({ handle: h, writable: await h.createWritable() }));",
    );
    let opened = settle(open.call0(&JsValue::UNDEFINED).unwrap().into())
        .await
        .expect("OPFS opens");
    let p = producer("{}");
    let frames = collect(&p, Event::Frame);
    settle(p.connect()).await.unwrap();
    let cfg = js("{}");
    let sinks = Array::of1(&get(&opened, "writable"));
    Reflect::set(&cfg, &"sinks".into(), &sinks).unwrap();
    let s = settle(p.start_stream(cfg)).await.unwrap();
    let id = get_str(&s, "id");
    assert!(wait_until(10_000, || frames.len() >= 8).await);
    settle(p.stop_stream((&id).into())).await.unwrap();
    // stopStream resolved after the file was closed: it holds the whole recording.
    let read = Function::new_with_args("h", "return h.getFile().then((f) => f.arrayBuffer());");
    let buf = settle(
        read.call1(&JsValue::UNDEFINED, &get(&opened, "handle"))
            .unwrap()
            .into(),
    )
    .await
    .unwrap();
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    assert_eq!(bytes, concat(&frames.all()));
    let played = play_to_end(&bytes, &get_str(&s, "mimeType"))
        .await
        .expect("plays");
    assert!(played > 0.5, "played {played}");
    p.destroy();
}

/// A `startStream` that fails leaves the app's stream as it was (unlocked); a stream
/// that already has a writer is refused up front.
#[wasm_bindgen_test]
async fn a_failed_start_leaves_the_sink_unlocked_and_a_locked_one_is_refused() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    let sink = collecting_sink(0, -1);
    let stream = get(&sink, "stream");
    let cfg = config_with(&[&sink]);
    Reflect::set(&cfg, &"mimeType".into(), &"video/x-not-a-type".into()).unwrap();
    let e = settle(p.start_stream(cfg)).await.unwrap_err();
    assert_eq!(err_name(&e), "NotSupportedError", "{}", err_message(&e));
    assert_eq!(
        get(&stream, "locked").as_bool(),
        Some(false),
        "still unlocked"
    );
    // Locked by someone else: refused before anything starts.
    let get_writer: Function = get(&stream, "getWriter").dyn_into().unwrap();
    get_writer.call0(&stream).unwrap();
    let e = settle(p.start_stream(config_with(&[&sink])))
        .await
        .unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    assert!(err_message(&e).contains("locked"), "{}", err_message(&e));
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}

/// A sink object (the protocol of `tusSink` and `webSocketSink`): attached once with the
/// stream's id, type and a `report` function; every chunk in order with its info; its
/// reports on the stream as `uploads`; closed at stop (waited for) and cut short at
/// destroy.
#[wasm_bindgen_test]
async fn a_sink_object_is_attached_fed_in_order_reports_and_is_closed() {
    let make = Function::new_no_args(
        "const s = { attached: null, infos: [], sizes: [], closes: [], done: false,
           attach(stream) { this.attached = stream; },
           write(blob, info) {
             this.sizes.push(blob.size); this.infos.push(info);
             this.attached.report({ type: 'test', chunks: this.infos.length });
             return new Promise((r) => setTimeout(r, 5));
           },
           close(info) {
             this.closes.push(info.cutShort);
             return new Promise((r) => setTimeout(() => { this.done = true; r(); }, 300));
           } };
         return s;",
    );
    let sink = make.call0(&JsValue::UNDEFINED).unwrap();
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    let cfg = js("{}");
    Reflect::set(&cfg, &"sinks".into(), &Array::of1(&sink)).unwrap();
    let s = settle(p.start_stream(cfg)).await.unwrap();
    let id = get_str(&s, "id");
    let attached = get(&sink, "attached");
    assert_eq!(get_str(&attached, "id"), id);
    assert!(get_str(&attached, "mimeType").starts_with("video/webm"));
    assert!(get(&attached, "report").is_function());
    let infos = || Array::from(&get(&sink, "infos")).to_vec();
    assert!(wait_until(10_000, || infos().len() >= 5).await);
    let done = settle(p.stop_stream((&id).into())).await.unwrap();
    // stopStream waited for the close.
    assert_eq!(get(&sink, "done").as_bool(), Some(true));
    let closes = Array::from(&get(&sink, "closes")).to_vec();
    assert_eq!(closes, vec![JsValue::FALSE]);
    let infos = infos();
    // The header run: the first chunk or two (Chromium often splits the header).
    let header_run = infos
        .iter()
        .take_while(|i| get(i, "isHeader").as_bool() == Some(true))
        .count();
    assert!((1..=2).contains(&header_run), "header run {header_run}");
    for (i, info) in infos.iter().enumerate() {
        assert_eq!(get_f64(info, "sequence"), i as f64);
        assert_eq!(get_f64(info, "segment"), 0.0);
        assert_eq!(
            get(info, "isHeader").as_bool(),
            Some(i < header_run),
            "chunk {i}"
        );
    }
    let m = p.metrics();
    assert_eq!(infos.len() as f64, get_f64(&m, "framesRecorded"));
    // The last report is on the stream.
    let uploads = Array::from(&get(&done, "uploads")).to_vec();
    assert_eq!(uploads.len(), 1);
    assert_eq!(get_f64(&uploads[0], "chunks"), infos.len() as f64);

    // destroy() cuts a running stream's sink short, and does not wait.
    let sink2 = make.call0(&JsValue::UNDEFINED).unwrap();
    let cfg = js("{}");
    Reflect::set(&cfg, &"sinks".into(), &Array::of1(&sink2)).unwrap();
    settle(p.start_stream(cfg)).await.unwrap();
    p.destroy();
    let closes = Array::from(&get(&sink2, "closes")).to_vec();
    assert_eq!(closes, vec![JsValue::TRUE]);
}

/// A sink object without write() or close() is refused before anything starts.
#[wasm_bindgen_test]
async fn a_sink_object_without_write_or_close_is_a_type_error() {
    let p = producer("{}");
    settle(p.connect()).await.unwrap();
    for (bad, missing) in [
        ("({ close() {} })", "write()"),
        ("({ write() {} })", "close()"),
    ] {
        let sink = js_sys::eval(bad).unwrap();
        let cfg = js("{}");
        Reflect::set(&cfg, &"sinks".into(), &Array::of1(&sink)).unwrap();
        let e = settle(p.start_stream(cfg)).await.unwrap_err();
        assert_eq!(err_name(&e), "TypeError");
        let m = err_message(&e);
        assert!(
            m.contains("videoConfig.sinks[]") && m.contains(missing),
            "{m}"
        );
    }
    assert_eq!(p.get_active_streams().length(), 0);
    p.destroy();
}

/// Reads `readable` to its end in the background; the returned object gets `chunks`
/// (an array, filled as they come) and `done` (true at the end) or `error`.
fn read_all(readable: &JsValue) -> JsValue {
    let f = Function::new_with_args(
        "readable",
        r#"const out = { chunks: [], done: false, error: null };
(async () => {
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.chunks.push(value);
    }
    out.done = true;
  } catch (e) { out.error = e; }
})();
return out;"#,
    );
    f.call1(&JsValue::UNDEFINED, readable).unwrap()
}

#[wasm_bindgen_test]
async fn readable_hands_out_the_recording_as_a_stream_of_blobs_from_its_header() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(&p, r#"{"width":320,"height":240,"readable":true}"#).await;
    let readable = p.readable((&id).into()).unwrap();
    assert!(readable.is_instance_of::<web_sys::ReadableStream>());
    let out = read_all(&readable);
    // One per stream.
    let again = p.readable((&id).into()).unwrap_err();
    assert_eq!(err_name(&again), "InvalidStateError");
    assert!(
        err_message(&again).contains("already"),
        "{}",
        err_message(&again)
    );
    sleep(3000).await;
    let stopped = settle(p.stop_stream((&id).into())).await.unwrap();
    assert!(
        wait_until(3000, || get(&out, "done").as_bool() == Some(true)).await,
        "the readable ends with the stream (error: {:?})",
        get(&out, "error")
    );
    let chunks: Vec<JsValue> = get(&out, "chunks")
        .unchecked_into::<Array>()
        .iter()
        .collect();
    assert!(chunks.len() >= 10, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|c| c.is_instance_of::<web_sys::Blob>()));
    // Every chunk, in order, once: the same bytes the frames carried.
    let bytes = blob_bytes(&chunks).await;
    assert_eq!(chunks.len(), frames.len());
    assert!(
        bytes == concat(&frames.all()),
        "the readable's bytes are the frames'"
    );
    let mime = get_str(&stopped, "mimeType");
    let played = play_to_end(&bytes, &mime).await.expect("plays");
    assert!(played > 1.0, "played {played}");
    assert!(
        errors.all().is_empty(),
        "{:?}",
        errors.all().iter().map(err_message).collect::<Vec<_>>()
    );

    // Without readable: true, and for a stream that is not there: typed errors.
    let other = connect_and_start(&p, r#"{"width":320,"height":240}"#).await;
    let e = p.readable((&other).into()).unwrap_err();
    assert_eq!(err_name(&e), "InvalidStateError");
    assert!(
        err_message(&e).contains("readable: true"),
        "{}",
        err_message(&e)
    );
    let e = p.readable("nope".into()).unwrap_err();
    assert!(err_message(&e).contains("nope"), "{}", err_message(&e));
    let e = p.readable(JsValue::from(3)).unwrap_err();
    assert_eq!(err_name(&e), "TypeError");
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_cancelled_readable_is_left_out_and_reported_and_the_stream_goes_on() {
    let p = producer("{}");
    let errors = collect(&p, Event::Error);
    let frames = collect(&p, Event::Frame);
    let id = connect_and_start(&p, r#"{"width":320,"height":240,"readable":true}"#).await;
    let readable = p.readable((&id).into()).unwrap();
    let reason = js_sys::Error::new("not needed");
    let _ = call(&readable, "cancel", &[reason.into()]).unwrap();
    assert!(
        wait_until(10_000, || frames.len() >= 10).await,
        "frames go on: {}",
        frames.len()
    );
    assert!(
        wait_until(3000, || errors.all().iter().any(
            |e| err_message(e).contains("a sink failed and gets no more chunks")
        ))
        .await,
        "reported: {:?}",
        errors.all().iter().map(err_message).collect::<Vec<_>>()
    );
    // Nothing is held for it: the ring stays within its bounds and nothing is dropped.
    assert_eq!(get_f64(&p.metrics(), "framesDropped"), 0.0);
    settle(p.stop_stream((&id).into())).await.unwrap();
    p.destroy();
}
