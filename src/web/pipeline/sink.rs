//! The sink seam: consumers that take every chunk of a stream as a Blob, exactly once
//! and in order, beside the `onFrame` listeners (no bytes are read for them).
//!
//! A sink is told when a segment begins (a recorder restart starts a new container
//! header), gets each chunk with [`Sink::write`] and may return a Promise: the next
//! chunk waits for it (backpressure), and while it waits the chunks stay in the ring
//! under its bounds. At the end [`Sink::close`] flushes it. A sink that fails (its
//! Promise rejects, or `write` throws) is reported through `onError` and gets nothing
//! more; the others go on.
//!
//! [`WritableStreamSink`] writes to any `WritableStream` (an OPFS file's
//! `createWritable()`, a `fetch` upload body, a `TransformStream`'s writable side).

use std::cell::{Cell, RefCell};

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use std::rc::Rc;

use super::Chunk;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::ring::Taken;
use crate::web::interop::{self, from_js};
use crate::web::kept::KeptFile;

/// A chunk as a sink sees it.
pub struct SinkChunk<'a> {
    /// The bytes.
    pub blob: &'a Blob,
    /// Sequence number in the stream.
    pub seq: u64,
    /// The segment it belongs to.
    pub segment: u32,
    /// Whether it belongs to the segment's header run.
    pub is_header: bool,
}

/// Takes every chunk of a stream. See the module docs.
pub trait Sink {
    /// The stream `stream_id` starts; `report` takes the sink's progress (an object,
    /// shown as one of the stream's `uploads`); `recording` names the stream's OPFS
    /// recording, if it has one. Called once, before any chunk.
    fn attach(&self, _stream: &Attach) {}
    /// Segment `segment` of type `mime_type` begins: its header run comes next.
    fn begin_segment(&self, segment: u32, mime_type: &str);
    /// The next chunk; a returned Promise holds back the next one until it settles.
    fn write(&self, chunk: &SinkChunk) -> Result<Option<Promise>, ProducerError>;
    /// Whether nothing may be evicted before this sink has it (the ring then lets its
    /// bounds give way). `false` for a sink that can fall behind for long (a network
    /// upload): past the ring's bounds chunks are evicted, counted and reported.
    fn lossless(&self) -> bool {
        true
    }
    /// Whether the stream ends when this sink fails: the recording's own file (OPFS),
    /// where recording on with nowhere to keep it would lose everything after.
    fn essential(&self) -> bool {
        false
    }
    /// The stream ended: flush and close. `cut_short` when it ended by `destroy()`
    /// rather than a stop (what was written is kept either way). A returned Promise
    /// settles when done.
    fn close(&self, cut_short: bool) -> Option<Promise>;
}

/// A sink's `report` function.
type Reporter = Closure<dyn Fn(JsValue)>;

/// What a sink is told when its stream starts ([`Sink::attach`]).
pub struct Attach<'a> {
    /// The stream's id.
    pub stream_id: &'a str,
    /// The type it records.
    pub mime_type: &'a str,
    /// The name of its OPFS recording, if it has a file sink.
    pub recording: Option<&'a str>,
    /// Takes the sink's progress.
    pub report: &'a js_sys::Function,
}

/// A pipeline's sinks.
pub struct SinkSet {
    sinks: Vec<(Box<dyn Sink>, Cell<bool>)>,
    /// Why sinks failed, to report (taken by the pipeline).
    failures: RefCell<Vec<ProducerError>>,
    /// What each sink last reported of its progress (`undefined` if nothing).
    progress: Rc<RefCell<Vec<JsValue>>>,
    /// The sinks' `report` functions, owned here.
    reporters: RefCell<Vec<Reporter>>,
}

impl SinkSet {
    /// The set of `sinks`, all healthy.
    pub fn new(sinks: Vec<Box<dyn Sink>>) -> Self {
        SinkSet {
            progress: Rc::new(RefCell::new(vec![JsValue::UNDEFINED; sinks.len()])),
            sinks: sinks.into_iter().map(|s| (s, Cell::new(true))).collect(),
            failures: RefCell::new(Vec::new()),
            reporters: RefCell::new(Vec::new()),
        }
    }

    /// Attaches every sink to stream `stream_id`; `changed` runs when one reports
    /// progress.
    pub fn attach(
        &self,
        stream_id: &str,
        mime_type: &str,
        recording: Option<&str>,
        changed: Rc<dyn Fn()>,
    ) {
        for (i, (s, _)) in self.sinks.iter().enumerate() {
            let progress = self.progress.clone();
            let changed = changed.clone();
            let report = Reporter::new(move |v: JsValue| {
                if let Some(slot) = progress.borrow_mut().get_mut(i) {
                    *slot = v;
                }
                changed();
            });
            s.attach(&Attach {
                stream_id,
                mime_type,
                recording,
                report: report.as_ref().unchecked_ref(),
            });
            self.reporters.borrow_mut().push(report);
        }
    }

    /// What the sinks that report progress last said, in sink order.
    pub fn uploads(&self) -> Vec<JsValue> {
        let progress = self.progress.borrow();
        progress
            .iter()
            .filter(|v| !v.is_undefined())
            .cloned()
            .collect()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Tells every healthy sink that a segment begins.
    pub fn begin_segment(&self, segment: u32, mime_type: &str) {
        for (s, ok) in &self.sinks {
            if ok.get() {
                s.begin_segment(segment, mime_type);
            }
        }
    }

    /// Writes the chunk to every healthy sink; returns the Promises to wait for, each
    /// with its sink's index (for [`SinkSet::failed`]).
    pub fn write(&self, taken: &Taken<Chunk>) -> Vec<(usize, Promise)> {
        let chunk = SinkChunk {
            blob: &taken.item.blob,
            seq: taken.seq,
            segment: taken.item.segment,
            is_header: taken.pinned,
        };
        let mut out = Vec::new();
        for (i, (s, ok)) in self.sinks.iter().enumerate() {
            if !ok.get() {
                continue;
            }
            match s.write(&chunk) {
                Ok(Some(p)) => out.push((i, p)),
                Ok(None) => {}
                Err(e) => {
                    ok.set(false);
                    self.failures.borrow_mut().push(e);
                }
            }
        }
        out
    }

    /// Sink `index`'s write Promise rejected with `error`: it gets nothing more.
    /// Returns the error to report (once per sink), and whether it ends the stream
    /// ([`Sink::essential`]; then the error is the sink's own).
    pub fn failed(&self, index: usize, error: &JsValue) -> Option<(ProducerError, bool)> {
        let (s, ok) = self.sinks.get(index)?;
        if !ok.replace(false) {
            return None;
        }
        Some(if s.essential() {
            // The library's own error (the OPFS sink's): its name and message as they are.
            let text = |k: &'static str| interop::get(error, k).as_string().unwrap_or_default();
            let kind = ErrorKind::from_browser_name(&text("name"));
            (ProducerError::new(kind, text("message")), true)
        } else {
            (sink_error("failed and gets no more chunks", error), false)
        })
    }

    /// Closes every healthy sink (`cut_short`: see [`Sink::close`]); `report` gets each
    /// failure (now, or when a close Promise rejects). Returns a Promise that settles
    /// when every close has.
    pub fn close(
        &self,
        cut_short: bool,
        report: impl Fn(ProducerError) + Clone + 'static,
    ) -> Option<Promise> {
        for e in self.failures.borrow_mut().drain(..) {
            report(e);
        }
        let closes = js_sys::Array::new();
        for (s, ok) in &self.sinks {
            if !ok.replace(false) {
                continue;
            }
            if let Some(p) = s.close(cut_short) {
                closes.push(&p);
                let report = report.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = wasm_bindgen_futures::JsFuture::from(p).await {
                        report(sink_error("could not be closed", &e));
                    }
                });
            }
        }
        (closes.length() > 0).then(|| Promise::all_settled(&closes))
    }
}

/// A sink's failure: its own error name where it has one (`UploadError`, say), else
/// `DataLossError`.
fn sink_error(what: &str, e: &JsValue) -> ProducerError {
    let cause = from_js(e);
    let kind = match cause.kind {
        ErrorKind::Other(ref n) if n == "Error" => ErrorKind::DataLoss,
        k => k,
    };
    ProducerError::new(kind, format!("a sink {what}: {}", cause.message))
}

/// Writes every chunk to a `WritableStream` through one writer, in order, the next
/// chunk waiting for each write. The writer is taken at the first write (or at the
/// close, for a stream that recorded nothing), so a `startStream` that fails leaves the
/// app's stream as it was, unlocked.
pub struct WritableStreamSink {
    stream: JsValue,
    writer: RefCell<Option<JsValue>>,
}

impl WritableStreamSink {
    /// A sink for `stream`; `TypeError` if it is not a WritableStream or is locked (has
    /// a writer already).
    pub fn new(stream: &JsValue) -> Result<Self, ProducerError> {
        let writable = interop::get(stream, "getWriter").is_function();
        if !writable {
            return Err(ProducerError::new(
                ErrorKind::InvalidType,
                "sinks: each sink must be a WritableStream",
            ));
        }
        if interop::get(stream, "locked").as_bool() == Some(true) {
            return Err(ProducerError::new(
                ErrorKind::InvalidType,
                "sinks: a WritableStream is locked (it has a writer already)",
            ));
        }
        Ok(WritableStreamSink {
            stream: stream.clone(),
            writer: RefCell::new(None),
        })
    }

    /// The writer, taken at the first use.
    fn writer(&self) -> Result<JsValue, JsValue> {
        let held = self.writer.borrow().clone();
        if let Some(w) = held {
            return Ok(w);
        }
        let get_writer: js_sys::Function = interop::get(&self.stream, "getWriter").dyn_into()?;
        let w = get_writer.call0(&self.stream)?;
        *self.writer.borrow_mut() = Some(w.clone());
        Ok(w)
    }

    fn call(&self, method: &'static str, arg: Option<&JsValue>) -> Result<JsValue, JsValue> {
        let writer = self.writer()?;
        let f: js_sys::Function = interop::get(&writer, method).dyn_into()?;
        match arg {
            Some(a) => f.call1(&writer, a),
            None => f.call0(&writer),
        }
    }
}
impl Sink for WritableStreamSink {
    fn begin_segment(&self, _segment: u32, _mime_type: &str) {}

    fn write(&self, chunk: &SinkChunk) -> Result<Option<Promise>, ProducerError> {
        // The next chunk waits until this one is written: the stream's own queue then
        // never holds more than one chunk, and the rest wait in the ring, under its
        // bounds and its drop accounting.
        let write = self
            .call("write", Some(chunk.blob))
            .map_err(|e| sink_error("refused a chunk", &e))?;
        Ok(Some(Promise::from(write)))
    }

    fn close(&self, _cut_short: bool) -> Option<Promise> {
        // Closed, not aborted, even when cut short: an abort would discard what the
        // stream already holds (an OPFS writable's swap file, say).
        self.call("close", None).ok().map(Promise::from)
    }
}

/// A sink object (`tusSink()`, `webSocketSink()`, or the app's own):
/// `{ attach?(stream), write(blob, info), close(info), lossless? }`. `attach` gets
/// `{ id, mimeType, recording?, report }` once; `write` gets each chunk with
/// `{ sequence, segment, isHeader }` and may return a Promise (the next chunk waits for
/// it); `close` gets `{ cutShort }` (`true` when the producer was destroyed) and may
/// return a Promise that settles when the sink is done (an upload finished).
pub struct ObjectSink {
    object: JsValue,
}

impl ObjectSink {
    /// A sink for `object`; `TypeError` without a `write` and a `close` method.
    pub fn new(object: &JsValue) -> Result<Self, ProducerError> {
        for m in ["write", "close"] {
            if !interop::get(object, m).is_function() {
                return Err(ProducerError::new(
                    ErrorKind::InvalidType,
                    [
                        "startStream: videoConfig.sinks[] must be a WritableStream or a sink with write() and close() (it has no ",
                        m,
                        "())",
                    ]
                    .concat(),
                ));
            }
        }
        Ok(ObjectSink {
            object: object.clone(),
        })
    }

    fn call(&self, method: &'static str, arg: &JsValue) -> Result<JsValue, JsValue> {
        let f: js_sys::Function = interop::get(&self.object, method).dyn_into()?;
        f.call1(&self.object, arg)
    }
}

/// A returned value as a Promise to wait for (`None` for `undefined`; a thenable or
/// any other value is resolved).
fn promise_of(v: JsValue) -> Option<Promise> {
    (!v.is_undefined()).then(|| Promise::resolve(&v))
}

impl Sink for ObjectSink {
    fn lossless(&self) -> bool {
        interop::get(&self.object, "lossless").as_bool() != Some(false)
    }

    fn attach(&self, stream: &Attach) {
        if !interop::get(&self.object, "attach").is_function() {
            return;
        }
        let info = interop::object();
        interop::set(&info, "id", &JsValue::from_str(stream.stream_id));
        interop::set(&info, "mimeType", &JsValue::from_str(stream.mime_type));
        if let Some(name) = stream.recording {
            interop::set(&info, "recording", &JsValue::from_str(name));
        }
        interop::set(&info, "report", stream.report);
        // A throwing attach shows at the first write, which the sink then refuses.
        let _ = self.call("attach", &info);
    }

    fn begin_segment(&self, _segment: u32, _mime_type: &str) {}

    fn write(&self, chunk: &SinkChunk) -> Result<Option<Promise>, ProducerError> {
        let info = interop::object();
        interop::set(&info, "sequence", &JsValue::from_f64(chunk.seq as f64));
        interop::set(&info, "segment", &JsValue::from(chunk.segment));
        interop::set(&info, "isHeader", &JsValue::from_bool(chunk.is_header));
        let f: js_sys::Function = interop::get(&self.object, "write").unchecked_into();
        f.call2(&self.object, chunk.blob, &info)
            .map(promise_of)
            .map_err(|e| sink_error("refused a chunk", &e))
    }

    fn close(&self, cut_short: bool) -> Option<Promise> {
        let info = interop::object();
        interop::set(&info, "cutShort", &JsValue::from_bool(cut_short));
        match self.call("close", &info) {
            Ok(v) => promise_of(v),
            Err(e) => Some(Promise::reject(&e)),
        }
    }
}

/// The built-in OPFS file sink (`sink: { type: "opfs" }`): every chunk appended to the
/// recording's current part on disk (the `keep` module's, see [`crate::web::kept`]). Its operations run one
/// after another: the close waits for a write still in progress.
pub struct OpfsSink {
    file: Rc<KeptFile>,
    last: RefCell<Option<Promise>>,
}

impl OpfsSink {
    /// A sink writing to `file`.
    pub fn new(file: Rc<KeptFile>) -> Self {
        OpfsSink {
            file,
            last: RefCell::new(None),
        }
    }

    /// Runs `op` (a call on the file) after the previous operation has settled.
    fn chain<F>(&self, op: F) -> Promise
    where
        F: FnOnce(&KeptFile) -> Promise + 'static,
    {
        let previous = self.last.borrow_mut().take();
        let file = self.file.clone();
        let p = wasm_bindgen_futures::future_to_promise(async move {
            if let Some(previous) = previous {
                let _ = wasm_bindgen_futures::JsFuture::from(previous).await;
            }
            wasm_bindgen_futures::JsFuture::from(op(&file)).await
        });
        *self.last.borrow_mut() = Some(p.clone());
        p
    }
}

impl Sink for OpfsSink {
    fn begin_segment(&self, _segment: u32, _mime_type: &str) {}

    fn write(&self, chunk: &SinkChunk) -> Result<Option<Promise>, ProducerError> {
        let blob = chunk.blob.clone();
        Ok(Some(self.chain(move |f| f.write(&blob))))
    }

    fn close(&self, cut_short: bool) -> Option<Promise> {
        Some(self.chain(move |f| f.finish(!cut_short)))
    }

    fn essential(&self) -> bool {
        true
    }
}
