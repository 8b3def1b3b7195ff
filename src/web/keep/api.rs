//! The `keep` module's face to the core: `keepApi()` gives one object whose methods the
//! core calls through JS (`src/web/features.rs`), and the handles they make: a
//! [`KeepIndex`] per indexed segment, a [`KeepFile`] per OPFS recording. Only plain
//! values, bytes and Blobs cross: offsets as numbers (below 2^53), errors as JS errors
//! with their `name` (the core reads them back with `from_js`).

use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{Blob, File};

use super::opfs::OpfsFile;
use super::recording::seekable_blob;
use super::recordings;
use crate::core::container::{ContainerIndex, Part, SnapshotError};
use crate::core::error::ProducerError;
use crate::web::interop::{self, error::to_js};

fn promise<F, T>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<T, ProducerError>> + 'static,
    T: Into<JsValue>,
{
    future_to_promise(async move { f.await.map(Into::into).map_err(|e| to_js(&e)) })
}

/// The `keep` module's entry points (see the module docs).
#[wasm_bindgen(skip_typescript)]
pub struct KeepApi {
    _private: (),
}

/// The `keep` module's entry points, once per page.
#[wasm_bindgen(js_name = keepApi, skip_typescript)]
pub fn keep_api() -> KeepApi {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
    interop::install();
    KeepApi { _private: () }
}

#[wasm_bindgen]
impl KeepApi {
    /// `blob` made seekable (see `makeSeekable`); `what` names the caller in errors.
    pub fn seekable(&self, blob: Blob, what: String) -> Promise {
        promise(async move { seekable_blob(&blob, &what).await })
    }

    /// `listRecordings()`.
    #[wasm_bindgen(js_name = listRecordings)]
    pub fn list_recordings(&self) -> Promise {
        promise(recordings::list())
    }

    /// `recoverRecording(name)` (the core checked the name).
    #[wasm_bindgen(js_name = recoverRecording)]
    pub fn recover_recording(&self, name: String) -> Promise {
        promise(async move { recordings::recover(&name).await })
    }

    /// `deleteRecording(name)` (the core checked the name).
    #[wasm_bindgen(js_name = deleteRecording)]
    pub fn delete_recording(&self, name: String) -> Promise {
        promise(async move { recordings::delete(&name).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Makes recording `name`'s directory and manifest: a [`KeepFile`].
    #[wasm_bindgen(js_name = createFile)]
    pub fn create_file(&self, name: String, mime: String, start_time: f64) -> Promise {
        promise(async move {
            OpfsFile::create(&name, &mime, start_time)
                .await
                .map(|file| KeepFile { file })
        })
    }

    /// The index of a recording of `mime` (WebM or MP4).
    #[wasm_bindgen(js_name = newIndex)]
    pub fn new_index(&self, mime: String) -> KeepIndex {
        KeepIndex {
            index: ContainerIndex::for_mime(&mime),
        }
    }
}

/// One recording being written to OPFS ([`OpfsFile`]). Freed by the core when its stream
/// lets go of it (a part still open is then aborted, as in a crash).
#[wasm_bindgen(skip_typescript)]
pub struct KeepFile {
    file: Rc<OpfsFile>,
}

#[wasm_bindgen]
impl KeepFile {
    /// Writes a chunk (one call at a time: the core chains them).
    pub fn write(&self, blob: Blob) -> Promise {
        let file = self.file.clone();
        promise(async move { file.write(blob).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Commits the open part; marks the recording finished if `finished`.
    pub fn finish(&self, finished: bool) -> Promise {
        let file = self.file.clone();
        promise(async move { file.finish(finished).await.map(|()| JsValue::UNDEFINED) })
    }

    /// The recording as one seekable `File`, read back from disk.
    pub fn file(&self) -> Promise {
        let file = self.file.clone();
        promise(async move { file.file().await })
    }

    /// Every byte written, as one Blob (after `finish`), if every part's File was kept.
    pub fn written(&self) -> Option<Blob> {
        self.file.written()
    }

    /// `blob` as the recording's `File` (`<name>.webm` or `.mp4`).
    pub fn named(&self, blob: &Blob) -> Result<File, JsValue> {
        self.file.named(blob).map_err(|e| to_js(&e))
    }

    /// The type the recorder really records (saved with the next part).
    #[wasm_bindgen(js_name = setMimeType)]
    pub fn set_mime_type(&self, mime: &str) {
        self.file.set_mime_type(mime);
    }
}

/// The index of one segment of a recording ([`ContainerIndex`]).
#[wasm_bindgen(skip_typescript)]
pub struct KeepIndex {
    index: ContainerIndex,
}

#[wasm_bindgen]
impl KeepIndex {
    /// The segment's next bytes, in order.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.index.feed(bytes);
    }

    /// Why it cannot serve, if it cannot.
    pub fn failure(&self) -> Option<String> {
        self.index.failure()
    }

    /// The ranges a snapshot keeps as they are, of the units completed since unit
    /// `from`: `[next, start, end, start, end, …]`.
    #[wasm_bindgen(js_name = stableRanges)]
    pub fn stable_ranges(&self, from: u32) -> Vec<f64> {
        let (ranges, next) = self.index.stable_ranges(from as usize);
        let mut out = Vec::with_capacity(1 + ranges.len() * 2);
        out.push(next as f64);
        for r in ranges {
            out.push(r.start as f64);
            out.push(r.end as f64);
        }
        out
    }

    /// The last `last_ms` (all if undefined) of the bytes `start..end` as a file of its
    /// own: `[header, ...parts]`, each part a `Uint8Array` (bytes written) or an array
    /// `[start, end]` (the recording's bytes). Throws `null` when nothing held starts
    /// with a keyframe yet, a string (why) when the recording cannot be read.
    pub fn snapshot(&self, start: f64, end: f64, last_ms: Option<f64>) -> Result<Array, JsValue> {
        let made = self
            .index
            .snapshot(start as u64..end as u64, last_ms)
            .map_err(|e| match e {
                SnapshotError::NotReady => JsValue::NULL,
                SnapshotError::Data(why) => JsValue::from(why),
            })?;
        let out = Array::of1(&Uint8Array::from(made.header.as_slice()));
        for part in &made.parts {
            match part {
                Part::Bytes(b) => out.push(&Uint8Array::from(b.as_slice())),
                Part::Range(r) => out.push(&Array::of2(
                    &JsValue::from_f64(r.start as f64),
                    &JsValue::from_f64(r.end as f64),
                )),
            };
        }
        Ok(out)
    }

    /// The whole segment made seekable: `[header, bodyStart, bodyEnd]`; throws why
    /// (a string) where it cannot be.
    pub fn seekable(&self) -> Result<Array, JsValue> {
        let made = self.index.seekable().map_err(JsValue::from)?;
        Ok(Array::of3(
            &Uint8Array::from(made.header.as_slice()),
            &JsValue::from_f64(made.body.start as f64),
            &JsValue::from_f64(made.body.end as f64),
        ))
    }
}
