//! The core's side of the `keep` module (`src/web/keep/`, loaded on first use by
//! [`features::keep`]): the exported functions that live there (`makeSeekable`,
//! `listRecordings`, `recoverRecording`, `deleteRecording`: their arguments are checked
//! here, at once, then the module does the work) and the owned handles a stream holds
//! on it, a [`KeptFile`] (an OPFS recording) and a [`KeptIndex`] (one segment's index),
//! each freed on `Drop`. Only JS values cross: see `keep/api.rs` for the other side.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Blob, File};

use crate::core::config::check_recording_name;
use crate::core::error::ProducerError;
use crate::web::features;
use crate::web::interop::{self, args, error::to_js, from_js};

#[wasm_bindgen]
extern "C" {
    /// The `keep` module's entry points (`keepApi()`'s object).
    #[derive(Clone)]
    pub type KeepModule;
    #[wasm_bindgen(method)]
    fn seekable(this: &KeepModule, blob: &Blob, what: &str) -> Promise;
    #[wasm_bindgen(method, js_name = listRecordings)]
    fn list_recordings(this: &KeepModule) -> Promise;
    #[wasm_bindgen(method, js_name = recoverRecording)]
    fn recover_recording(this: &KeepModule, name: &str) -> Promise;
    #[wasm_bindgen(method, js_name = deleteRecording)]
    fn delete_recording(this: &KeepModule, name: &str) -> Promise;
    #[wasm_bindgen(method, js_name = createFile)]
    fn create_file(this: &KeepModule, name: &str, mime: &str, start_time: f64) -> Promise;
    #[wasm_bindgen(method, js_name = newIndex)]
    fn new_index(this: &KeepModule, mime: &str) -> KeepIndexJs;

    type KeepFileJs;
    #[wasm_bindgen(method)]
    fn write(this: &KeepFileJs, blob: &Blob) -> Promise;
    #[wasm_bindgen(method)]
    fn finish(this: &KeepFileJs, finished: bool) -> Promise;
    #[wasm_bindgen(method)]
    fn file(this: &KeepFileJs) -> Promise;
    #[wasm_bindgen(method)]
    fn written(this: &KeepFileJs) -> Option<Blob>;
    #[wasm_bindgen(method, catch)]
    fn named(this: &KeepFileJs, blob: &Blob) -> Result<File, JsValue>;
    #[wasm_bindgen(method, js_name = setMimeType)]
    fn set_mime_type(this: &KeepFileJs, mime: &str);
    #[wasm_bindgen(method)]
    fn free(this: &KeepFileJs);

    type KeepIndexJs;
    #[wasm_bindgen(method)]
    fn feed(this: &KeepIndexJs, bytes: &Uint8Array);
    #[wasm_bindgen(method)]
    fn failure(this: &KeepIndexJs) -> Option<String>;
    #[wasm_bindgen(method, js_name = stableRanges)]
    fn stable_ranges(this: &KeepIndexJs, from: u32) -> Vec<f64>;
    #[wasm_bindgen(method, catch)]
    fn snapshot(
        this: &KeepIndexJs,
        start: f64,
        end: f64,
        last_ms: Option<f64>,
    ) -> Result<Array, JsValue>;
    #[wasm_bindgen(method, js_name = seekable, catch)]
    fn seekable_index(this: &KeepIndexJs) -> Result<Array, JsValue>;
    #[wasm_bindgen(method, js_name = free)]
    fn free_index(this: &KeepIndexJs);
}

async fn wait(p: Promise) -> Result<JsValue, ProducerError> {
    JsFuture::from(p).await.map_err(|e| from_js(&e))
}

/// `blob` made seekable by the `keep` module (loaded if need be); `what` names the
/// caller in errors.
pub async fn seekable_blob(blob: &Blob, what: &str) -> Result<Blob, ProducerError> {
    let keep = features::keep().await?;
    Ok(wait(keep.seekable(blob, what)).await?.unchecked_into())
}

/// Runs `call` on the loaded `keep` module with the checked arguments; the promise of
/// an exported function (it rejects with the arguments' error first).
fn with_keep<T, F>(checked: Result<T, ProducerError>, call: F) -> Promise
where
    T: 'static,
    F: FnOnce(&KeepModule, T) -> Promise + 'static,
{
    future_to_promise(async move {
        let args = checked.map_err(|e| to_js(&e))?;
        let keep = features::keep().await.map_err(|e| to_js(&e))?;
        // The module's own errors (DataError, NotFoundError, …) reach the app as made.
        JsFuture::from(call(&keep, args)).await
    })
}

/// Makes a MediaRecorder WebM recording (ours or any other) seekable: the result has a
/// Duration, a SeekHead and Cues before the first Cluster, so players show its length
/// and seek without reading to the end. A fragmented MP4 (Chromium's, Safari's) gets
/// its durations, a `mehd` and a `sidx` before the first `moof`. One streaming pass over
/// `blob` in 1 MiB slices; the recording's bytes are not copied into the result, which
/// references `blob` (`Blob.slice()`). The work is done by the package's `keep` module,
/// fetched on the first call.
///
/// Rejects with a `TypeError` if `blob` is not a Blob, and a `DataError` naming the
/// byte at fault if it is not a WebM recording with at least one complete block (or an
/// MP4 with at least one complete fragment).
#[wasm_bindgen(js_name = makeSeekable, unchecked_return_type = "Promise<Blob>")]
pub fn make_seekable(#[wasm_bindgen(unchecked_param_type = "Blob")] blob: JsValue) -> Promise {
    interop::install();
    let blob = blob
        .dyn_into::<Blob>()
        .map_err(|v| args::wrong_type("makeSeekable", "blob", "a Blob", &v));
    with_keep(blob, |k, b| k.seekable(&b, "makeSeekable"))
}

/// The recordings in OPFS, finished or not: `{ name, mimeType, startTime, finished,
/// bytes, parts }` each. An unfinished one was cut short (tab closed or crashed,
/// `destroy()` without `stopStream`); [`recover_recording`] makes it playable.
#[wasm_bindgen(js_name = listRecordings, unchecked_return_type = "Promise<RecordingInfo[]>")]
pub fn list_recordings() -> Promise {
    interop::install();
    with_keep(Ok(()), |k, ()| k.list_recordings())
}

fn name_arg(v: &JsValue, method: &str) -> Result<String, ProducerError> {
    let name = args::string(v, method, "name")?;
    check_recording_name(&[method, ": name"].concat(), &name)?;
    Ok(name)
}

/// Recording `name` from OPFS as one seekable `File` (its committed parts; an
/// unfinished recording loses at most its last, uncommitted part; one this page is
/// still writing gives what is committed so far). `NotFoundError` if there is no such
/// recording.
#[wasm_bindgen(js_name = recoverRecording, unchecked_return_type = "Promise<File>")]
pub fn recover_recording(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
) -> Promise {
    interop::install();
    with_keep(name_arg(&name, "recoverRecording"), |k, n| {
        k.recover_recording(&n)
    })
}

/// Deletes recording `name` from OPFS. `NotFoundError` if there is no such recording,
/// `InvalidStateError` while a stream of this page writes it.
#[wasm_bindgen(js_name = deleteRecording, unchecked_return_type = "Promise<void>")]
pub fn delete_recording(#[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> Promise {
    interop::install();
    with_keep(name_arg(&name, "deleteRecording"), |k, n| {
        k.delete_recording(&n)
    })
}

/// A recording being written to OPFS by the `keep` module; freed on `Drop` (a part
/// still open is then aborted, as in a crash, once its last write settled).
pub struct KeptFile {
    js: KeepFileJs,
    name: String,
}

impl KeptFile {
    /// Makes recording `name`'s directory and manifest (the module loaded by
    /// [`features::keep`] before). `NotSupportedError` without OPFS,
    /// `InvalidStateError` if a recording of that name exists.
    pub async fn create(name: &str, mime: &str, start_time: f64) -> Result<Self, ProducerError> {
        let keep = features::keep().await?;
        let js = wait(keep.create_file(name, mime, start_time)).await?;
        Ok(KeptFile {
            js: js.unchecked_into(),
            name: name.to_string(),
        })
    }

    /// The recording's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes a chunk; one at a time (the sink chains them).
    pub fn write(&self, blob: &Blob) -> Promise {
        self.js.write(blob)
    }

    /// Commits the open part; marks the recording finished if `finished`.
    pub fn finish(&self, finished: bool) -> Promise {
        self.js.finish(finished)
    }

    /// The recording as one seekable `File`, read back from disk.
    pub async fn file(&self) -> Result<File, ProducerError> {
        Ok(wait(self.js.file()).await?.unchecked_into())
    }

    /// Every byte written, as one Blob (after `finish`).
    pub fn written(&self) -> Option<Blob> {
        self.js.written()
    }

    /// `blob` as the recording's `File`.
    pub fn named(&self, blob: &Blob) -> Result<File, ProducerError> {
        self.js.named(blob).map_err(|e| from_js(&e))
    }

    /// The type the recorder really records.
    pub fn set_mime_type(&self, mime: &str) {
        self.js.set_mime_type(mime);
    }
}

impl Drop for KeptFile {
    fn drop(&mut self) {
        self.js.free();
    }
}

/// Why a [`KeptIndex`] cannot make a snapshot.
pub enum SnapshotFailure {
    /// Nothing held starts with a keyframe yet.
    NotReady,
    /// The recording cannot be read (why).
    Data(String),
}

/// A piece of a snapshot's body.
pub enum Piece {
    /// Bytes the index wrote.
    Bytes(Uint8Array),
    /// The recording's bytes at these offsets.
    Range(std::ops::Range<u64>),
}

/// One segment's index in the `keep` module; freed on `Drop`.
pub struct KeptIndex {
    js: KeepIndexJs,
}

impl KeptIndex {
    /// The index of a recording of `mime` (the module loaded before: `None` if not).
    pub fn new(mime: &str) -> Option<Self> {
        let keep = features::keep_loaded()?;
        Some(KeptIndex {
            js: keep.new_index(mime),
        })
    }

    /// The segment's next bytes, in order.
    pub fn feed(&self, bytes: &Uint8Array) {
        self.js.feed(bytes);
    }

    /// Why it cannot serve, if it cannot.
    pub fn failure(&self) -> Option<String> {
        self.js.failure()
    }

    /// The ranges a snapshot keeps as they are, of every unit completed since unit
    /// `from`; and the unit to go on from.
    pub fn stable_ranges(&self, from: usize) -> (Vec<std::ops::Range<u64>>, usize) {
        let flat = self
            .js
            .stable_ranges(u32::try_from(from).unwrap_or(u32::MAX));
        let next = flat.first().map_or(from, |n| *n as usize);
        let ranges = flat
            .get(1..)
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|r| r[0] as u64..r[1] as u64)
            .collect();
        (ranges, next)
    }

    /// The last `last_ms` of the bytes `held` as a file: its header and body pieces.
    pub fn snapshot(
        &self,
        held: std::ops::Range<u64>,
        last_ms: Option<f64>,
    ) -> Result<(Uint8Array, Vec<Piece>), SnapshotFailure> {
        let made = self
            .js
            .snapshot(held.start as f64, held.end as f64, last_ms)
            .map_err(|e| match e.as_string() {
                Some(why) => SnapshotFailure::Data(why),
                None => SnapshotFailure::NotReady,
            })?;
        let header: Uint8Array = made.get(0).unchecked_into();
        let pieces = made
            .iter()
            .skip(1)
            .map(|p| match p.dyn_into::<Uint8Array>() {
                Ok(bytes) => Piece::Bytes(bytes),
                Err(r) => {
                    let r: Array = r.unchecked_into();
                    let n = |i| r.get(i).as_f64().unwrap_or(0.0) as u64;
                    Piece::Range(n(0)..n(1))
                }
            })
            .collect();
        Ok((header, pieces))
    }

    /// The whole segment made seekable: its header and the body's offsets.
    pub fn seekable(&self) -> Result<(Uint8Array, std::ops::Range<u64>), String> {
        let made = self
            .js
            .seekable_index()
            .map_err(|e| e.as_string().unwrap_or_default())?;
        let n = |i| made.get(i).as_f64().unwrap_or(0.0) as u64;
        Ok((made.get(0).unchecked_into(), n(1)..n(2)))
    }
}

impl Drop for KeptIndex {
    fn drop(&mut self) {
        self.js.free_index();
    }
}
