//! Recordings on disk: the Origin Private File System (OPFS) file sink, and finding,
//! recovering and deleting what it wrote.
//!
//! A recording is a directory `media-recorder-producer/<name>/` holding the chunks in
//! parts (`000000.webm`, `000001.webm`, …; `.mp4` for an MP4 recording) and a `manifest.json` (`name`, `mimeType`,
//! `startTime`, `finished`; once finished, `parts` and `bytes`, which recovering checks
//! the directory against). A part is written through `createWritable()` and committed
//! by closing it, which happens every [`PART_MS`] or [`PART_BYTES`]: OPFS writables
//! write to a swap file until they close, so a tab that crashes or reloads loses at
//! most the open part, never what was committed before it. The recording is the parts
//! in order; [`recording_file`] reads it back as one seekable `File` (see
//! [`super::recording`]), without copying the parts.
//!
//! The shell's handles own what they open: an [`OpfsFile`] dropped with a part still
//! open aborts that writable (its swap file is discarded, as in a crash).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemWritableFileStream,
};

use super::recording::seekable_blob;
use crate::core::config::{is_indexable, is_mp4, is_webm};
use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop::{self, from_js, set};

/// The library's directory in the origin's OPFS root.
pub const ROOT: &str = "media-recorder-producer";
/// The committed parts' Files are joined into one Blob whenever this many are kept.
const JOIN_PARTS: usize = 8;

/// A part is committed (closed) after this long open…
pub const PART_MS: f64 = 2000.0;
/// …or once it holds this many bytes.
pub const PART_BYTES: f64 = 4.0 * 1024.0 * 1024.0;
const MANIFEST: &str = "manifest.json";

pub(super) fn not_supported(why: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::NotSupported,
        [
            "the Origin Private File System is not available here (",
            why,
            "); a file sink needs navigator.storage.getDirectory()",
        ]
        .concat(),
    )
}

pub(super) async fn wait(p: Promise) -> Result<JsValue, ProducerError> {
    JsFuture::from(p).await.map_err(|e| from_js(&e))
}

/// The library's OPFS directory (made if `create`); `None` if it does not exist.
pub(super) async fn root(create: bool) -> Result<Option<FileSystemDirectoryHandle>, ProducerError> {
    let window = web_sys::window().ok_or_else(|| not_supported("no window"))?;
    let navigator = window.navigator();
    let storage = interop::get(&navigator, "storage");
    if storage.is_undefined() || !interop::get(&storage, "getDirectory").is_function() {
        return Err(not_supported("no navigator.storage.getDirectory"));
    }
    let top = JsFuture::from(navigator.storage().get_directory())
        .await
        .map_err(|e| not_supported(&from_js(&e).message))?;
    let top: FileSystemDirectoryHandle = top.unchecked_into();
    let options = FileSystemGetDirectoryOptions::new();
    options.set_create(create);
    match JsFuture::from(top.get_directory_handle_with_options(ROOT, &options)).await {
        Ok(dir) => Ok(Some(dir.unchecked_into())),
        Err(e) if !create && from_js(&e).kind.js_name() == "NotFoundError" => Ok(None),
        Err(e) => Err(from_js(&e)),
    }
}

/// Recording `name`'s directory, or a `NotFoundError` naming it.
pub(super) async fn recording_dir(
    name: &str,
    what: &str,
) -> Result<FileSystemDirectoryHandle, ProducerError> {
    let missing = || {
        ProducerError::new(
            ErrorKind::NoDevice, // its browser name is NotFoundError
            [what, ": no recording named \"", name, "\""].concat(),
        )
    };
    let root = root(false).await?.ok_or_else(missing)?;
    JsFuture::from(root.get_directory_handle(name))
        .await
        .map(JsCast::unchecked_into)
        .map_err(|_| missing())
}

/// Part `n`'s file name: six digits, zero-padded, and the container's extension
/// (`.webm`, `.mp4`; `.bin` for another type), so no tool takes an MP4 part for WebM.
pub(super) fn part_name(n: u32, mime: &str) -> String {
    let digits = n.to_string();
    let mut out = "0".repeat(6usize.saturating_sub(digits.len()));
    out.push_str(&digits);
    out.push_str(if is_webm(mime) {
        ".webm"
    } else if is_mp4(mime) {
        ".mp4"
    } else {
        ".bin"
    });
    out
}

/// The index of a part named by [`part_name`], `None` for any other name.
fn part_index(name: &str) -> Option<u32> {
    let (digits, ext) = name.split_at_checked(6)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![".webm", ".mp4", ".bin"].contains(&ext) {
        return None;
    }
    digits.parse().ok()
}

#[wasm_bindgen(inline_js = r#"
export async function rewrite_part(dir, name, blobs) {
  const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
  try {
    for (const b of blobs) await w.write(b);
    await w.close();
    return true;
  } catch {
    w.abort().catch(() => {});
    return false;
  }
}"#)]
extern "C" {
    /// Writes `blobs` to part `name` of `dir` from its start and commits it; resolves
    /// whether that worked.
    fn rewrite_part(dir: &FileSystemDirectoryHandle, name: &str, blobs: &Array) -> Promise;
}

/// Appends `blob` to `w`.
async fn put(w: &FileSystemWritableFileStream, blob: &Blob) -> Result<(), ProducerError> {
    wait(w.write_with_blob(blob).map_err(|e| from_js(&e))?)
        .await
        .map(drop)
}

/// The entries of `dir`: (name, handle), in no particular order.
pub(super) async fn entries(
    dir: &FileSystemDirectoryHandle,
) -> Result<Vec<(String, JsValue)>, ProducerError> {
    let it = dir.entries();
    let mut out = Vec::new();
    loop {
        let next = wait(it.next().map_err(|e| from_js(&e))?).await?;
        if interop::get(&next, "done").as_bool() == Some(true) {
            return Ok(out);
        }
        let pair: Array = interop::get(&next, "value").unchecked_into();
        out.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1)));
    }
}

thread_local! {
    /// The recordings this page is writing, by name. Their committed parts (those
    /// below the part being written) never change again; the open one is left out of
    /// everything read from them, since a `File` of it goes stale when it commits.
    static WRITING: RefCell<Vec<(String, std::rc::Weak<OpfsFile>)>> = const { RefCell::new(Vec::new()) };
}

/// How many parts of recording `name` are committed, if this page is writing it (a
/// recording whose stream has ended and committed its last part is not).
pub(super) fn committed_parts(name: &str) -> Option<u32> {
    WRITING.with(|w| {
        let mut w = w.borrow_mut();
        w.retain(|(_, f)| f.strong_count() > 0);
        w.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, f)| f.upgrade())
            .filter(|f| !f.state.borrow().closed)
            .map(|f| f.state.borrow().index)
    })
}

/// The recording's parts, in order, as Files: all of them, or the first `limit`.
pub(super) async fn parts(
    dir: &FileSystemDirectoryHandle,
    limit: Option<u32>,
) -> Result<Vec<File>, ProducerError> {
    Ok(numbered_parts(dir, limit)
        .await?
        .into_iter()
        .map(|(_, f)| f)
        .collect())
}

/// [`parts`] with each part's number.
pub(super) async fn numbered_parts(
    dir: &FileSystemDirectoryHandle,
    limit: Option<u32>,
) -> Result<Vec<(u32, File)>, ProducerError> {
    let mut named: Vec<(u32, FileSystemFileHandle)> = entries(dir)
        .await?
        .into_iter()
        .filter(|(_, h)| interop::get(h, "kind").as_string().as_deref() == Some("file"))
        .filter_map(|(n, h)| part_index(&n).map(|i| (i, h.unchecked_into())))
        .filter(|(i, _)| limit.map_or(true, |end| *i < end))
        .collect();
    // Insertion sort by index (a few hundred parts).
    for i in 1..named.len() {
        let mut j = i;
        while j > 0 && named[j - 1].0 > named[j].0 {
            named.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut files = Vec::with_capacity(named.len());
    for (i, h) in named {
        files.push((i, wait(h.get_file()).await?.unchecked_into()));
    }
    Ok(files)
}

/// The manifest of the recording in `dir`, as a JS object (`null` if unreadable).
pub(super) async fn manifest(dir: &FileSystemDirectoryHandle) -> JsValue {
    let read = async {
        let h: FileSystemFileHandle = wait(dir.get_file_handle(MANIFEST)).await?.unchecked_into();
        let file: File = wait(h.get_file()).await?.unchecked_into();
        let text = wait(file.text()).await?;
        js_sys::JSON::parse(&text.as_string().unwrap_or_default()).map_err(|e| from_js(&e))
    };
    read.await.unwrap_or(JsValue::NULL)
}

async fn write_manifest(
    dir: &FileSystemDirectoryHandle,
    manifest: &JsValue,
) -> Result<(), ProducerError> {
    let options = FileSystemGetFileOptions::new();
    options.set_create(true);
    let h: FileSystemFileHandle = wait(dir.get_file_handle_with_options(MANIFEST, &options))
        .await?
        .unchecked_into();
    let w: FileSystemWritableFileStream = wait(h.create_writable()).await?.unchecked_into();
    let text = js_sys::JSON::stringify(manifest).map_err(|e| from_js(&e))?;
    wait(
        w.write_with_str(&String::from(text))
            .map_err(|e| from_js(&e))?,
    )
    .await?;
    wait(w.close()).await?;
    Ok(())
}

/// The recording in `dir` as one `File` named `<name>.webm`: its parts in order, made
/// seekable where it is WebM or MP4 (parts referenced, not copied).
pub async fn recording_file(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    mime: &str,
    what: &str,
) -> Result<File, ProducerError> {
    let files: Array = parts(dir, committed_parts(name))
        .await?
        .into_iter()
        .collect();
    let raw = interop::blob(&files, mime)?;
    let made = if is_indexable(mime) {
        seekable_blob(&raw, what).await?
    } else {
        raw
    };
    named_file(&made, name, mime)
}

/// `blob` as a `File` named `<name>.webm` (or `.mp4`) of type `mime`.
fn named_file(made: &Blob, name: &str, mime: &str) -> Result<File, ProducerError> {
    let options = web_sys::FilePropertyBag::new();
    options.set_type(mime);
    let extension = if is_webm(mime) { ".webm" } else { ".mp4" };
    File::new_with_blob_sequence_and_options(
        &Array::of1(made),
        &[name, extension].concat(),
        &options,
    )
    .map_err(|e| from_js(&e))
}

/// One recording being written to OPFS (see the module docs).
pub struct OpfsFile {
    dir: FileSystemDirectoryHandle,
    name: String,
    mime: RefCell<String>,
    /// The manifest names another type than `mime` (saved with the next part).
    mime_unsaved: std::cell::Cell<bool>,
    start_time: f64,
    state: RefCell<Part>,
}

#[derive(Default)]
struct Part {
    index: u32,
    open: Option<FileSystemWritableFileStream>,
    /// The open part's file handle.
    handle: Option<FileSystemFileHandle>,
    /// A `File` of each committed part, in order (they never change again), so the
    /// recording is at hand at stop without listing the directory; `None` once one
    /// could not be had. Joined into one Blob every [`JOIN_PARTS`] parts.
    files: Option<Vec<Blob>>,
    bytes: f64,
    opened_ms: f64,
    /// The chunks written to the open part (references, not copies: at most a part's
    /// worth). A write that fails errors the writable and its swap file is lost; these
    /// are written again to commit what was recorded up to the failure.
    pending: Vec<Blob>,
    /// Bytes in committed parts.
    committed: f64,
    /// The last part is committed: nothing more is written.
    closed: bool,
}

impl OpfsFile {
    /// Makes recording `name`'s directory and manifest. `NotSupportedError` without
    /// OPFS; `InvalidStateError` if a recording of that name exists.
    pub async fn create(
        name: &str,
        mime: &str,
        start_time: f64,
    ) -> Result<Rc<OpfsFile>, ProducerError> {
        let root = root(true)
            .await?
            .ok_or_else(|| not_supported("no directory"))?;
        if JsFuture::from(root.get_directory_handle(name))
            .await
            .is_ok()
        {
            return Err(ProducerError::new(
                ErrorKind::InvalidState,
                [
                    "videoConfig.sink.name: a recording named \"",
                    name,
                    "\" exists already (recoverRecording() or deleteRecording() it, or choose another name)",
                ]
                .concat(),
            ));
        }
        let options = FileSystemGetDirectoryOptions::new();
        options.set_create(true);
        let dir: FileSystemDirectoryHandle =
            wait(root.get_directory_handle_with_options(name, &options))
                .await?
                .unchecked_into();
        let file = OpfsFile {
            dir,
            name: name.to_string(),
            mime: RefCell::new(mime.to_string()),
            mime_unsaved: std::cell::Cell::new(false),
            start_time,
            state: RefCell::new(Part {
                files: Some(Vec::new()),
                ..Part::default()
            }),
        };
        file.save_manifest(false).await?;
        let file = Rc::new(file);
        WRITING.with(|w| {
            w.borrow_mut()
                .push((name.to_string(), Rc::downgrade(&file)))
        });
        Ok(file)
    }

    async fn save_manifest(&self, finished: bool) -> Result<(), ProducerError> {
        let m = interop::object();
        set(&m, "name", &JsValue::from_str(&self.name));
        let mime = self.mime.borrow().clone();
        set(&m, "mimeType", &JsValue::from_str(&mime));
        set(&m, "startTime", &JsValue::from_f64(self.start_time));
        set(&m, "finished", &JsValue::from_bool(finished));
        if finished {
            // What recoverRecording checks the directory against.
            let st = self.state.borrow();
            set(&m, "parts", &JsValue::from(st.index));
            set(&m, "bytes", &JsValue::from_f64(st.committed));
        }
        self.mime_unsaved.set(false);
        write_manifest(&self.dir, &m).await
    }

    /// The recording's name (its directory under the library's OPFS directory).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type the recorder really records (it may name other codecs than the type
    /// asked for: Firefox records VP8 when asked for VP9); saved in the manifest with
    /// the next committed part, so a recording cut short is recovered with it.
    pub fn set_mime_type(&self, mime: &str) {
        if *self.mime.borrow() != mime {
            *self.mime.borrow_mut() = mime.to_string();
            self.mime_unsaved.set(true);
        }
    }

    /// Appends a chunk to the open part (opening one if needed), and commits the part
    /// once it is old or large enough.
    pub async fn write(self: Rc<Self>, blob: Blob) -> Result<(), ProducerError> {
        // Taken out while awaiting: no RefCell borrow is held across a JS call.
        let open = self.state.borrow_mut().open.take();
        let writable = match open {
            Some(w) => w,
            None => {
                let name = part_name(self.state.borrow().index, &self.mime.borrow());
                let options = FileSystemGetFileOptions::new();
                options.set_create(true);
                let h: FileSystemFileHandle =
                    wait(self.dir.get_file_handle_with_options(&name, &options))
                        .await?
                        .unchecked_into();
                let w: FileSystemWritableFileStream =
                    wait(h.create_writable()).await?.unchecked_into();
                let mut st = self.state.borrow_mut();
                st.handle = Some(h);
                st.bytes = 0.0;
                st.opened_ms = js_sys::Date::now();
                w
            }
        };
        let size = blob.size();
        if let Err(e) = put(&writable, &blob).await {
            // The writable is errored (a full disk: QuotaExceededError). Its swap file
            // goes; what this part held is written again and committed, and the
            // recording ends there, recoverable.
            let _ = JsFuture::from(writable.abort()).await;
            return Err(self.salvage(e).await);
        }
        let commit = {
            let mut st = self.state.borrow_mut();
            st.bytes += size;
            st.pending.push(blob);
            st.bytes >= PART_BYTES || js_sys::Date::now() - st.opened_ms >= PART_MS
        };
        if commit {
            // Committing can fail the same way (the swap file moves into place).
            if let Err(e) = wait(writable.close()).await {
                return Err(self.salvage(e).await);
            }
            {
                let mut st = self.state.borrow_mut();
                st.index += 1;
                st.committed += st.bytes;
                st.pending.clear();
            }
            self.keep_committed_file().await;
            if self.mime_unsaved.get() {
                self.save_manifest(false).await?;
            }
        } else {
            self.state.borrow_mut().open = Some(writable);
        }
        Ok(())
    }

    /// After a failed write: commits the open part's chunks written before it in a
    /// fresh writable, and closes the recording. Returns the error to end the stream
    /// with, saying what is kept.
    async fn salvage(&self, cause: ProducerError) -> ProducerError {
        let (index, pending) = {
            let mut st = self.state.borrow_mut();
            st.closed = true;
            st.bytes = 0.0;
            (st.index, std::mem::take(&mut st.pending))
        };
        let mut kept = self.state.borrow().committed;
        if !pending.is_empty() {
            self.state.borrow_mut().files = None;
            let blobs: Array = pending.iter().collect();
            let name = part_name(index, &self.mime.borrow());
            let rewritten = JsFuture::from(rewrite_part(&self.dir, &name, &blobs)).await;
            if rewritten.ok().and_then(|v| v.as_bool()) == Some(true) {
                kept += pending.iter().map(Blob::size).sum::<f64>();
                let mut st = self.state.borrow_mut();
                st.index += 1;
                st.committed = kept;
            }
        }
        let name = self.name.as_str();
        let kept = crate::core::value::js_number(kept);
        ProducerError::new(
            cause.kind,
            [
                "the OPFS recording \"",
                name,
                "\" could not be written (",
                cause.message.as_str(),
                "); the recording was ended, and the ",
                kept.as_str(),
                " bytes written before are kept (recoverRecording(\"",
                name,
                "\"))",
            ]
            .concat(),
        )
    }

    /// Commits the open part; marks the recording finished if `finished` (a stream
    /// that was stopped). One cut short by `destroy()` keeps every chunk it wrote but
    /// stays listed unfinished, as after a crash.
    pub async fn finish(self: Rc<Self>, finished: bool) -> Result<(), ProducerError> {
        let open = self.state.borrow_mut().open.take();
        // Closed even if the commit fails: nothing more is written either way.
        let committed = match open {
            Some(w) => wait(w.close()).await.map(|_| 1),
            None => Ok(0),
        };
        {
            let mut st = self.state.borrow_mut();
            if committed == Ok(1) {
                st.index += 1;
                st.committed += st.bytes;
            }
            st.closed = true;
            st.pending.clear();
        }
        if committed == Ok(1) {
            self.keep_committed_file().await;
        }
        committed?;
        if finished {
            self.save_manifest(true).await?;
        }
        Ok(())
    }

    /// The recording as one seekable `File` (after [`finish`](Self::finish)).
    pub async fn file(&self) -> Result<File, ProducerError> {
        let mime = self.mime.borrow().clone();
        recording_file(&self.dir, &self.name, &mime, "recording").await
    }

    /// Keeps a `File` of the part just committed (its handle taken).
    async fn keep_committed_file(&self) {
        let handle = self.state.borrow_mut().handle.take();
        let file = match handle {
            Some(h) => wait(h.get_file()).await.ok(),
            None => None,
        };
        let mut st = self.state.borrow_mut();
        match (file, st.files.as_mut()) {
            (Some(f), Some(files)) => {
                files.push(f.unchecked_into());
                // Chromium's cost for a Blob grows with its parts (about 0.1 ms each):
                // joined as it goes, the Blob made at stop stays small however long
                // the recording (600 s: 249 parts, 50 ms at stop before).
                if files.len() >= JOIN_PARTS {
                    let all: Array = files.iter().collect();
                    if let Ok(joined) = interop::blob(&all, &self.mime.borrow()) {
                        *files = vec![joined];
                    }
                }
            }
            _ => st.files = None,
        }
    }

    /// Every byte written, as one Blob of the committed parts' Files (after
    /// [`finish`](Self::finish)); `None` if a part's File could not be kept.
    pub fn written(&self) -> Option<Blob> {
        let st = self.state.borrow();
        let files: Array = st.files.as_ref()?.iter().collect();
        interop::blob(&files, &self.mime.borrow()).ok()
    }

    /// `blob` as the recording's `File` (`<name>.webm` or `.mp4`).
    pub fn named(&self, blob: &Blob) -> Result<File, ProducerError> {
        named_file(blob, &self.name, &self.mime.borrow())
    }
}

impl Drop for OpfsFile {
    fn drop(&mut self) {
        if let Some(w) = self.state.get_mut().open.take() {
            // Not closed: its swap file is discarded, as a crash would.
            let _ = w.abort();
        }
    }
}
