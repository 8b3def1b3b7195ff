//! Recordings users keep: a seekable WebM from any MediaRecorder recording.
//!
//! [`seekable_blob`] reads the recording once, in slices of [`SLICE_BYTES`], through the
//! core's streaming [`EbmlReader`], and returns `new Blob([newHeader, body])` where
//! `body` is a `Blob.slice()` of the input: the recording's bytes are never copied into
//! the result (see [`crate::core::ebml::seekable`]). Memory stays at one slice plus the
//! header and the cluster index, whatever the length.

use crate::core::ebml::{seekable, EbmlError, EbmlReader};
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop::{self, args, error::to_js, from_js};
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// How much of the recording is read at a time.
pub const SLICE_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// The `DataError` for bytes that are not a (complete enough) WebM recording.
fn data_error(what: &str, e: EbmlError) -> ProducerError {
    ProducerError::new(
        ErrorKind::Other("DataError".to_string()),
        [
            what,
            ": the recording cannot be made seekable: ",
            &e.to_string(),
        ]
        .concat(),
    )
}

/// `recording` as a seekable WebM (Duration, SeekHead and Cues before the first
/// Cluster), its body a slice of `recording`. `what` names the caller in errors.
pub async fn seekable_blob(recording: &Blob, what: &str) -> Result<Blob, ProducerError> {
    let size = recording.size();
    let mut reader = EbmlReader::new();
    // The header's bytes (the first Cluster starts within 1 MiB, or the reader fails):
    // kept until the header has ended, then cut to it.
    let mut head: Vec<u8> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut at = 0.0;
    while at < size {
        let end = (at + SLICE_BYTES).min(size);
        let part = recording
            .slice_with_f64_and_f64(at, end)
            .map_err(|e| from_js(&e))?;
        let bytes = JsFuture::from(part.array_buffer())
            .await
            .map_err(|e| from_js(&e))?;
        let view = Uint8Array::new(&bytes);
        buf.resize(view.length() as usize, 0);
        view.copy_to(&mut buf);
        let had_header = reader.header_end().is_some();
        if !had_header {
            head.extend_from_slice(&buf);
        }
        reader.feed(&buf).map_err(|e| data_error(what, e))?;
        if let Some(h) = reader.header_end() {
            head.truncate(h as usize);
        }
        at = end;
    }
    let made = seekable(&head, &reader).map_err(|e| data_error(what, e))?;
    let header = Uint8Array::from(made.header.as_slice());
    let body = recording
        .slice_with_f64_and_f64(made.body.start as f64, made.body.end as f64)
        .map_err(|e| from_js(&e))?;
    let mime = recording.type_();
    interop::blob(
        &Array::of2(&header, &body),
        if mime.is_empty() { "video/webm" } else { &mime },
    )
}

/// Makes a MediaRecorder WebM recording (ours or any other) seekable: the result has a
/// Duration, a SeekHead and Cues before the first Cluster, so players show its length
/// and seek without reading to the end. One streaming pass over `blob` in 4 MiB
/// slices; the recording's bytes are not copied into the result, which references
/// `blob` (`Blob.slice()`).
///
/// Rejects with a `TypeError` if `blob` is not a Blob, and a `DataError` naming the
/// byte at fault if it is not a WebM recording with at least one complete block.
#[wasm_bindgen(js_name = makeSeekable, unchecked_return_type = "Promise<Blob>")]
pub fn make_seekable(#[wasm_bindgen(unchecked_param_type = "Blob")] blob: JsValue) -> Promise {
    interop::install();
    let blob = blob
        .dyn_into::<Blob>()
        .map_err(|v| args::wrong_type("makeSeekable", "blob", "a Blob", &v));
    wasm_bindgen_futures::future_to_promise(async move {
        let blob = blob.map_err(|e| to_js(&e))?;
        seekable_blob(&blob, "makeSeekable")
            .await
            .map(JsValue::from)
            .map_err(|e| to_js(&e))
    })
}
