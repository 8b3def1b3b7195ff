//! Recordings on disk, read back: listing, recovering (after checking the directory
//! against its manifest) and deleting what [`super::opfs`] wrote.

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, FileSystemDirectoryHandle, FileSystemRemoveOptions};

use super::opfs::{
    committed_parts, entries, manifest, not_supported, numbered_parts, part_name, parts,
    recording_dir, recording_file, root, wait,
};
use crate::core::config::{is_mp4, is_webm};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::js_number;
use crate::web::interop::{self, from_js, set};

#[cold]
fn disk_error(name: &str, why: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::Other("DataError".to_string()),
        [
            "recoverRecording: recording \"",
            name,
            "\" on disk does not match its manifest.json: ",
            why,
        ]
        .concat(),
    )
}

/// Before recovering `name`: its parts are numbered from 0 without a hole; a finished
/// recording's manifest says how many parts of how many bytes it wrote, and the
/// directory holds exactly those; the first part starts as the manifest's type does
/// (WebM: an EBML header; MP4: `ftyp`). A `DataError` saying what does not match:
/// a directory edited or damaged on disk gives no file rather than a wrong one.
async fn verify(
    name: &str,
    manifest: &JsValue,
    mime: &str,
    parts: &[(u32, File)],
) -> Result<(), ProducerError> {
    for (k, (i, _)) in parts.iter().enumerate() {
        if *i as usize != k {
            return Err(disk_error(
                name,
                &["part ", &part_name(k as u32, mime), " is missing"].concat(),
            ));
        }
    }
    let written: Vec<&File> = parts
        .iter()
        .map(|(_, f)| f)
        .filter(|f| f.size() > 0.0)
        .collect();
    if interop::get(manifest, "finished").as_bool() == Some(true) {
        let said = (
            interop::get(manifest, "parts").as_f64(),
            interop::get(manifest, "bytes").as_f64(),
        );
        let held = (
            written.len() as f64,
            written.iter().map(|f| f.size()).sum::<f64>(),
        );
        if let (Some(n), Some(b)) = said {
            if (n, b) != held {
                return Err(disk_error(
                    name,
                    // (No format!: its float formatting is 11 KB of this module.)
                    &[
                        "it says ",
                        &js_number(n),
                        " parts of ",
                        &js_number(b),
                        " bytes, the directory holds ",
                        &js_number(held.0),
                        " of ",
                        &js_number(held.1),
                    ]
                    .concat(),
                ));
            }
        }
    }
    let Some(first) = written.first() else {
        return Ok(());
    };
    let head = first
        .slice_with_f64_and_f64(0.0, 8.0)
        .map_err(|e| from_js(&e))?;
    let head = js_sys::Uint8Array::new(&wait(head.array_buffer()).await?).to_vec();
    let starts_right = if is_webm(mime) {
        head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3])
    } else if is_mp4(mime) {
        head.get(4..8) == Some(b"ftyp".as_slice())
    } else {
        true
    };
    if !starts_right {
        return Err(disk_error(
            name,
            &[
                "it says ",
                mime,
                ", and its first part does not start as one",
            ]
            .concat(),
        ));
    }
    Ok(())
}

/// The recordings in OPFS, finished or not: `{ name, mimeType, startTime, finished,
/// bytes, parts }` each. An unfinished one was cut short (tab closed or crashed,
/// `destroy()` without `stopStream`); [`recover`] makes it playable.
pub async fn list() -> Result<Array, ProducerError> {
    let out = Array::new();
    let Some(root) = root(false).await? else {
        return Ok(out);
    };
    for (name, handle) in entries(&root).await? {
        if interop::get(&handle, "kind").as_string().as_deref() != Some("directory") {
            continue;
        }
        let dir: FileSystemDirectoryHandle = handle.unchecked_into();
        let m = manifest(&dir).await;
        let files = parts(&dir, committed_parts(&name)).await?;
        let bytes: f64 = files.iter().map(|f| f.size()).sum();
        let info = interop::object();
        set(&info, "name", &JsValue::from_str(&name));
        set(&info, "mimeType", &interop::get(&m, "mimeType"));
        let start = interop::get(&m, "startTime").as_f64();
        set(
            &info,
            "startTime",
            &start.map_or(JsValue::NULL, interop::date),
        );
        let finished = interop::get(&m, "finished").as_bool() == Some(true);
        set(&info, "finished", &JsValue::from_bool(finished));
        set(&info, "bytes", &JsValue::from_f64(bytes));
        // (A part that was open at a crash is an empty file: not a part.)
        let parts = files.iter().filter(|f| f.size() > 0.0).count();
        set(&info, "parts", &JsValue::from_f64(parts as f64));
        out.push(&info);
    }
    Ok(out)
}

/// Recording `name` (a valid name: the core checks it) from OPFS as one seekable
/// `File` (its committed parts; an unfinished recording loses at most its last,
/// uncommitted part; one this page is still writing gives what is committed so far).
/// `NotFoundError` if there is no such recording.
pub async fn recover(name: &str) -> Result<File, ProducerError> {
    let dir = recording_dir(name, "recoverRecording").await?;
    let m = manifest(&dir).await;
    let mime = interop::get(&m, "mimeType")
        .as_string()
        .unwrap_or_else(|| "video/webm".to_string());
    verify(
        name,
        &m,
        &mime,
        &numbered_parts(&dir, committed_parts(name)).await?,
    )
    .await?;
    recording_file(&dir, name, &mime, "recoverRecording").await
}

/// Deletes recording `name` from OPFS. `NotFoundError` if there is no such recording,
/// `InvalidStateError` while a stream of this page writes it.
pub async fn delete(name: &str) -> Result<(), ProducerError> {
    if committed_parts(name).is_some() {
        return Err(ProducerError::new(
            ErrorKind::InvalidState,
            [
                "deleteRecording: recording \"",
                name,
                "\" is being written by a stream of this page (stop it first)",
            ]
            .concat(),
        ));
    }
    recording_dir(name, "deleteRecording").await?;
    let root = root(false)
        .await?
        .ok_or_else(|| not_supported("no directory"))?;
    let options = FileSystemRemoveOptions::new();
    options.set_recursive(true);
    wait(root.remove_entry_with_options(name, &options)).await?;
    Ok(())
}
