//! Helpers shared by the browser test files (real getUserMedia/MediaRecorder, no mocks).
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use media_recorder_producer::web::MediaRecorderProducer;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A JS object from JSON text.
pub fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

/// Reads a property.
pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

pub fn get_f64(v: &JsValue, key: &str) -> f64 {
    get(v, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

pub fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

pub fn meta(frame: &JsValue, key: &str) -> JsValue {
    get(&get(frame, "metadata"), key)
}

pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Awaits a Promise; Ok(value) or Err(rejection).
pub async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// The `name` of an error value.
pub fn err_name(e: &JsValue) -> String {
    get(e, "name").as_string().unwrap_or_default()
}

pub fn err_message(e: &JsValue) -> String {
    get(e, "message").as_string().unwrap_or_default()
}

/// A producer from JSON config text.
pub fn producer(config_json: &str) -> MediaRecorderProducer {
    MediaRecorderProducer::new(js(config_json)).unwrap()
}

/// Connects and starts a stream; returns the stream id.
pub async fn connect_and_start(p: &MediaRecorderProducer, stream_json: &str) -> String {
    settle(p.connect()).await.expect("connect");
    let s = settle(p.start_stream(js(stream_json)))
        .await
        .expect("startStream");
    get_str(&s, "id")
}

/// Collects whatever a listener receives; keeps the closure alive.
pub struct Collector {
    pub items: Rc<RefCell<Vec<JsValue>>>,
    pub unsubscribe: Function,
    _closure: Closure<dyn FnMut(JsValue)>,
}

impl Collector {
    pub fn len(&self) -> usize {
        self.items.borrow().len()
    }
    pub fn all(&self) -> Vec<JsValue> {
        self.items.borrow().clone()
    }
    pub fn unsubscribe(&self) {
        self.unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
    }
}

pub enum Event {
    Frame,
    StreamUpdate,
    Status,
    Error,
}

pub fn collect(p: &MediaRecorderProducer, event: Event) -> Collector {
    let items: Rc<RefCell<Vec<JsValue>>> = Rc::default();
    let sink = items.clone();
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| sink.borrow_mut().push(v));
    let f: JsValue = closure.as_ref().clone();
    let unsubscribe = match event {
        Event::Frame => p.on_frame(f),
        Event::StreamUpdate => p.on_stream_update(f),
        Event::Status => p.on_status_change(f),
        Event::Error => p.on_error(f),
    }
    .unwrap();
    Collector {
        items,
        unsubscribe,
        _closure: closure,
    }
}

/// Waits until `cond` holds, polling every 20 ms, at most `timeout_ms`.
pub async fn wait_until(timeout_ms: u32, mut cond: impl FnMut() -> bool) -> bool {
    let mut waited = 0;
    while !cond() {
        if waited >= timeout_ms {
            return false;
        }
        sleep(20).await;
        waited += 20;
    }
    true
}

/// The frames' bytes, concatenated.
pub fn concat(frames: &[JsValue]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.extend(Uint8Array::new(&get(f, "data")).to_vec());
    }
    out
}

/// Plays `bytes` (of `mime`) in a muted `<video>` to its end; returns the media time
/// reached (seconds), or an error text.
pub async fn play_to_end(bytes: &[u8], mime: &str) -> Result<f64, String> {
    let document = web_sys::window().unwrap().document().unwrap();
    let parts = Array::of1(&Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let video: web_sys::HtmlVideoElement = document
        .create_element("video")
        .unwrap()
        .dyn_into()
        .unwrap();
    video.set_muted(true);
    video.set_src(&url);
    document.body().unwrap().append_child(&video).unwrap();
    let ended = Promise::new(&mut |resolve, reject| {
        let v2 = video.clone();
        let on_end = Closure::once_into_js(move || {
            resolve
                .call1(&JsValue::UNDEFINED, &v2.current_time().into())
                .unwrap();
        });
        let on_err = Closure::once_into_js(move || {
            reject
                .call1(&JsValue::UNDEFINED, &"media error".into())
                .unwrap();
        });
        video
            .add_event_listener_with_callback("ended", on_end.unchecked_ref())
            .unwrap();
        video
            .add_event_listener_with_callback("error", on_err.unchecked_ref())
            .unwrap();
    });
    // Faster than real time, so the test stays short.
    video.set_playback_rate(4.0);
    let _ = JsFuture::from(video.play().map_err(|e| format!("{e:?}"))?).await;
    let result = JsFuture::from(ended).await;
    video.remove();
    web_sys::Url::revoke_object_url(&url).unwrap();
    result
        .map(|v| v.as_f64().unwrap_or(0.0))
        .map_err(|e| format!("{e:?}"))
}

/// The tracks of a stream's MediaStream.
pub fn tracks_of(p: &MediaRecorderProducer, stream_id: &str) -> Vec<web_sys::MediaStreamTrack> {
    match p.get_media_stream(stream_id.into()).unwrap() {
        Some(m) => m
            .get_tracks()
            .iter()
            .map(|t| t.dyn_into().unwrap())
            .collect(),
        None => vec![],
    }
}

pub fn all_ended(tracks: &[web_sys::MediaStreamTrack]) -> bool {
    tracks
        .iter()
        .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended)
}

/// Calls a method of a JS object (e.g. the producer seen from JS).
pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(target, method).dyn_into().unwrap();
    f.apply(target, &args.iter().collect::<Array>())
}

/// A JS function from a Rust closure; keep the returned Closure alive.
pub fn js_fn(
    f: impl FnMut(JsValue) -> JsValue + 'static,
) -> Closure<dyn FnMut(JsValue) -> JsValue> {
    Closure::<dyn FnMut(JsValue) -> JsValue>::new(f)
}

/// The producer as JS sees it (wasm-bindgen's wrapper object).
pub fn as_js(p: MediaRecorderProducer) -> JsValue {
    p.into()
}

/// Sequence numbers of frames.
pub fn sequences(frames: &[JsValue]) -> Vec<u64> {
    frames
        .iter()
        .map(|f| meta(f, "sequence").as_f64().unwrap() as u64)
        .collect()
}

pub fn names(errors: &[JsValue]) -> Vec<String> {
    errors.iter().map(err_name).collect()
}

/// Where the header run of these frames (one recording, in order) ends, by an
/// independent scan of their bytes: the sequence index of its last chunk.
pub fn header_run_end(frames: &[JsValue]) -> u64 {
    use media_recorder_producer::core::webm::{HeaderScanner, ScanResult};
    let mut scanner = HeaderScanner::new();
    for (i, f) in frames.iter().enumerate() {
        match scanner.feed(i as u64, &concat(std::slice::from_ref(f))) {
            ScanResult::NeedMore => continue,
            ScanResult::HeaderEnd { last_seq, .. } => return last_seq,
            other => panic!("no WebM header in these frames: {other:?}"),
        }
    }
    panic!("the frames end before the header does");
}

/// Asserts that exactly the frames of the header run are flagged `isHeader`.
pub fn assert_header_flags(frames: &[JsValue]) {
    let last = header_run_end(frames);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(
            meta(f, "isHeader").as_bool(),
            Some(i as u64 <= last),
            "frame {i}"
        );
    }
}

/// Every byte of a Blob (a rejected read fails the test).
pub async fn bytes_of(blob: &JsValue) -> Vec<u8> {
    let blob: &web_sys::Blob = blob.unchecked_ref();
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .expect("the Blob reads whole");
    Uint8Array::new(&buf).to_vec()
}

/// Loads `blob` in a muted `<video>`, reads its `duration`, seeks to the middle and
/// waits for `seeked`. Returns `{ duration, target, at }` (seconds), or the error.
pub async fn seek_middle(blob: &JsValue) -> Result<JsValue, JsValue> {
    let f = Function::new_with_args(
        "blob",
        r#"return (async () => {
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'metadata';
  const url = URL.createObjectURL(blob);
  try {
    await new Promise((resolve, reject) => {
      v.onloadedmetadata = resolve;
      v.onerror = () => reject(new Error('media error: ' + (v.error && v.error.message)));
      v.src = url;
      document.body.append(v);
    });
    const duration = v.duration;
    const target = duration / 2;
    await new Promise((resolve, reject) => {
      v.onseeked = resolve;
      v.onerror = () => reject(new Error('media error while seeking: ' + (v.error && v.error.message)));
      setTimeout(() => reject(new Error('no seeked event within 20 s (readyState ' + v.readyState
        + ', networkState ' + v.networkState + ', seeking ' + v.seeking + ', at ' + v.currentTime
        + ' of ' + duration + ', buffered ' + v.buffered.length + ')')), 20000);
      v.currentTime = target;
    });
    return { duration, target, at: v.currentTime };
  } finally {
    v.remove();
    URL.revokeObjectURL(url);
  }
})();"#,
    );
    let p: Promise = f.call1(&JsValue::UNDEFINED, blob)?.unchecked_into();
    JsFuture::from(p).await
}
