//! Recordings users keep: a seekable WebM or MP4 from any MediaRecorder recording.
//!
//! [`seekable_blob`] reads the recording once, in slices of [`SLICE_BYTES`], through the
//! core's streaming [`ContainerIndex`] (WebM, or fragmented MP4 when the first box is
//! `ftyp`), and returns `new Blob([newHeader, body])` where
//! `body` is a `Blob.slice()` of the input: the recording's bytes are never copied into
//! the result (see [`crate::core::ebml::seekable`]). Memory stays at one slice plus the
//! header and the cluster index, whatever the length.

use crate::core::container::ContainerIndex;
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop::{self, from_js};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// How much of the recording is read at a time, at most.
pub const SLICE_BYTES: f64 = 1024.0 * 1024.0;

/// The `DataError` for bytes that are not a (complete enough) WebM or MP4 recording.
fn data_error(what: &str, why: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::Other("DataError".to_string()),
        [what, ": the recording cannot be made seekable: ", why].concat(),
    )
}

/// `recording` as a seekable WebM (Duration, SeekHead and Cues before the first
/// Cluster), its body a slice of `recording`. `what` names the caller in errors.
pub async fn seekable_blob(recording: &Blob, what: &str) -> Result<Blob, ProducerError> {
    let mut index: Option<ContainerIndex> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut feed = |bytes: &Uint8Array| -> Result<(), ProducerError> {
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buf);
        let index = index.get_or_insert_with(|| ContainerIndex::for_bytes(&buf));
        index.feed(&buf);
        match index.failure() {
            Some(why) => Err(data_error(what, &why)),
            None => Ok(()),
        }
    };
    match byob_reader(recording) {
        // One JS buffer, handed back and forth: the JS heap stays flat (a fresh
        // ArrayBuffer per slice piled up ~80 MiB of garbage on a 191 MB file).
        Some(byob) => {
            let mut buffer = js_sys::ArrayBuffer::new(SLICE_BYTES as u32);
            loop {
                let view = Uint8Array::new(&buffer);
                let step = JsFuture::from(byob.read_with_array_buffer_view(&view))
                    .await
                    .map_err(|e| from_js(&e))?;
                if interop::get(&step, "done").as_bool() == Some(true) {
                    break;
                }
                let filled: Uint8Array = interop::get(&step, "value").unchecked_into();
                feed(&filled)?;
                buffer = filled.buffer();
            }
        }
        None => {
            let size = recording.size();
            let mut at = 0.0;
            while at < size {
                let end = (at + SLICE_BYTES).min(size);
                let part = recording
                    .slice_with_f64_and_f64(at, end)
                    .map_err(|e| from_js(&e))?;
                let bytes = JsFuture::from(part.array_buffer())
                    .await
                    .map_err(|e| from_js(&e))?;
                feed(&Uint8Array::new(&bytes))?;
                at = end;
            }
        }
    }
    let index = index.unwrap_or_default();
    let made = index.seekable().map_err(|why| data_error(what, &why))?;
    let header = Uint8Array::from(made.header.as_slice());
    let body = recording
        .slice_with_f64_and_f64(made.body.start as f64, made.body.end as f64)
        .map_err(|e| from_js(&e))?;
    let mime = recording.type_();
    let fallback = if index.is_mp4() {
        "video/mp4"
    } else {
        "video/webm"
    };
    interop::blob(
        &Array::of2(&header, &body),
        if mime.is_empty() { fallback } else { &mime },
    )
}

/// A BYOB reader of `blob`'s byte stream, where the browser has one.
fn byob_reader(blob: &Blob) -> Option<web_sys::ReadableStreamByobReader> {
    let stream = interop::get(blob, "stream");
    if !stream.is_function() {
        return None;
    }
    let options = web_sys::ReadableStreamGetReaderOptions::new();
    options.set_mode(web_sys::ReadableStreamReaderMode::Byob);
    let stream = blob.stream();
    let reader = js_sys::Reflect::get(&stream, &"getReader".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call1(&stream, &options)
        .ok()?;
    reader.dyn_into().ok()
}
