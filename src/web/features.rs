//! Feature modules, loaded on first use.
//!
//! The package's core module (this wasm) holds what every recording needs. A feature
//! only some apps use lives in a module of its own, fetched with `import()` the first
//! time a stream asks for it:
//! - `codecs`: the WebCodecs engine's encoding loop (`js/codecs.js`: its Worker, the
//!   encoders) and the WebM muxer it runs (`codecs.wasm`, built from `src/mux_abi.rs`);
//! - `keep`: recordings users keep (`src/web/keep/`, a wasm-bindgen build of its own:
//!   the indexes behind replay snapshots and seekable output, `makeSeekable`, OPFS),
//!   reached through [`crate::web::kept`].
//!
//! The package's entry registers each module's loader (`__setFeatureLoader(name, () =>
//! import(...))`, in `js/index.js`), so a bundler sees a static `import()` and emits the
//! module as a chunk of its own. Modules exchange plain values, Blobs and bytes with
//! this one, never Rust objects. A loader's promise is kept: one fetch per page; a failed
//! load is forgotten, so the next stream tries again.
//!
//! The browser tests build one wasm (`wasm-pack test`): there, the features
//! `linked-codecs` (the loop's source as a snippet, the muxer's exports) and
//! `linked-keep` (the `keep` module's code) link them into it and stand in for the
//! loaders, so the calls still cross as JS values.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::MediaStreamTrack;

use crate::core::error::{ErrorKind, ProducerError};
use crate::web::interop;
use crate::web::kept::KeepModule;

#[wasm_bindgen]
extern "C" {
    /// The `codecs` module's namespace (`js/codecs.js`).
    pub type CodecsModule;
    /// `startEncoder(init, videoTrack, audioTrack, onMessage, mainThread)`.
    #[wasm_bindgen(method, js_name = startEncoder, catch)]
    pub fn start_encoder(
        this: &CodecsModule,
        init: &JsValue,
        video: Option<MediaStreamTrack>,
        audio: Option<MediaStreamTrack>,
        on_message: &Function,
        main_thread: bool,
    ) -> Result<EncoderLoop, JsValue>;
    /// `probeEncoders(videoConfig, audio, preferHardware)`.
    #[wasm_bindgen(method, js_name = probeEncoders)]
    pub fn probe_encoders(
        this: &CodecsModule,
        video: &JsValue,
        audio: bool,
        prefer_hardware: bool,
    ) -> Promise;
    /// `muxModule()`: the compiled muxer (`WebAssembly.Module`), fetched once.
    #[wasm_bindgen(method, js_name = muxModule)]
    fn mux_module(this: &CodecsModule) -> Promise;

    /// A running encoding loop (`startEncoder`'s result).
    pub type EncoderLoop;
    /// `"worker"` or `"main-thread"`.
    #[wasm_bindgen(method, getter)]
    pub fn mode(this: &EncoderLoop) -> String;
    /// A message to the loop.
    #[wasm_bindgen(method)]
    pub fn post(this: &EncoderLoop, message: &JsValue);
    /// Ends the loop, its Worker and its processors.
    #[wasm_bindgen(method)]
    pub fn close(this: &EncoderLoop);
}

#[cfg(feature = "linked-codecs")]
#[wasm_bindgen(module = "/js/codecs.js")]
extern "C" {
    /// The linked loop (`linked-codecs`): its namespace, with `muxModule` giving `module`.
    #[wasm_bindgen(js_name = linked)]
    fn linked_codecs(module: &JsValue) -> JsValue;
}

/// The `codecs` module, loaded: its namespace and the compiled muxer it runs.
pub struct Codecs {
    /// The namespace.
    pub module: CodecsModule,
    /// The muxer's `WebAssembly.Module`, for the loop's own instance.
    pub mux: JsValue,
}

thread_local! {
    /// Registered loaders, by module name.
    static LOADERS: RefCell<Vec<(String, Function)>> = const { RefCell::new(Vec::new()) };
    /// The codecs module: its load under way (a promise of `[namespace, muxer]`), then
    /// kept.
    static CODECS: RefCell<Option<Promise>> = const { RefCell::new(None) };
    static CODECS_READY: RefCell<Option<std::rc::Rc<Codecs>>> = const { RefCell::new(None) };
    /// The keep module: its load under way (a promise of `keepApi()`'s object), then kept.
    static KEEP: RefCell<Option<Promise>> = const { RefCell::new(None) };
    static KEEP_READY: RefCell<Option<KeepModule>> = const { RefCell::new(None) };
}

/// Registers the loader of feature module `name` (the package's entry does this once,
/// on import). Not part of the documented API.
#[wasm_bindgen(js_name = __setFeatureLoader, skip_typescript)]
pub fn set_feature_loader(name: String, loader: Function) {
    LOADERS.with(|l| {
        let mut l = l.borrow_mut();
        l.retain(|(n, _)| *n != name);
        l.push((name, loader));
    });
}

fn loader(name: &str) -> Option<Function> {
    LOADERS.with(|l| {
        l.borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
    })
}

#[cold]
fn unavailable(why: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::NotSupported,
        [
            "the WebCodecs engine's module (codecs) could not be loaded: ",
            why,
        ]
        .concat(),
    )
}

#[cold]
fn keep_unavailable(why: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::NotSupported,
        [
            "the module for recordings users keep (keep: replay, seekable output, OPFS) could not be loaded: ",
            why,
        ]
        .concat(),
    )
}

/// The promise of registered loader `name`, if one is registered; a loader that throws
/// or returns no promise is `unavailable`'s error.
fn call_loader(
    name: &str,
    unavailable: fn(&str) -> ProducerError,
) -> Option<Result<Promise, ProducerError>> {
    let f = loader(name)?;
    Some(
        f.call0(&JsValue::UNDEFINED)
            .map_err(|e| unavailable(&interop::from_js(&e).message))
            .and_then(|p| {
                p.dyn_into::<Promise>()
                    .map_err(|_| unavailable("its loader did not return a promise"))
            }),
    )
}

/// The load under way in `cell`, or a new one from `import` (kept in `cell`).
fn pending(
    cell: &'static std::thread::LocalKey<RefCell<Option<Promise>>>,
    import: fn() -> Result<Promise, ProducerError>,
) -> Result<Promise, ProducerError> {
    if let Some(p) = cell.with(|c| c.borrow().clone()) {
        return Ok(p);
    }
    let p = import()?;
    cell.with(|c| *c.borrow_mut() = Some(p.clone()));
    Ok(p)
}

/// The `keep` module's `keepApi()` object, as a promise.
fn import_keep() -> Result<Promise, ProducerError> {
    if let Some(p) = call_loader("keep", keep_unavailable) {
        return p;
    }
    #[cfg(feature = "linked-keep")]
    {
        Ok(Promise::resolve(&JsValue::from(
            crate::web::keep::api::keep_api(),
        )))
    }
    #[cfg(not(feature = "linked-keep"))]
    Err(keep_unavailable(
        "no loader is registered (import the package's main entry, or \"media-recorder-producer/web\"'s default export)",
    ))
}

/// The `keep` module, loaded on the first call (one load per page; a failed load is
/// tried again by the next call).
pub async fn keep() -> Result<KeepModule, ProducerError> {
    if let Some(k) = keep_loaded() {
        return Ok(k);
    }
    let pending = pending(&KEEP, import_keep)?;
    match JsFuture::from(pending).await {
        Ok(api) => {
            let api = api.unchecked_into::<KeepModule>();
            KEEP_READY.with(|r| *r.borrow_mut() = Some(api.clone()));
            Ok(api)
        }
        Err(e) => {
            KEEP.with(|c| *c.borrow_mut() = None);
            Err(keep_unavailable(&interop::from_js(&e).message))
        }
    }
}

/// The `keep` module if [`keep`] loaded it.
pub fn keep_loaded() -> Option<KeepModule> {
    KEEP_READY.with(|c| c.borrow().clone())
}

/// The namespace `import()` gives, as a promise.
fn import_codecs() -> Result<Promise, ProducerError> {
    if let Some(p) = call_loader("codecs", unavailable) {
        return p;
    }
    #[cfg(feature = "linked-codecs")]
    {
        Ok(Promise::resolve(&linked_codecs(&wasm_bindgen::module())))
    }
    #[cfg(not(feature = "linked-codecs"))]
    Err(unavailable(
        "no loader is registered (import the package's main entry, or \"media-recorder-producer/web\"'s default export)",
    ))
}

/// The `codecs` module, loaded on the first call (one load per page; a failed load is
/// tried again by the next call).
pub async fn codecs() -> Result<std::rc::Rc<Codecs>, ProducerError> {
    if let Some(c) = CODECS_READY.with(|c| c.borrow().clone()) {
        return Ok(c);
    }
    let pending = pending(&CODECS, import_codecs)?;
    let loaded = async {
        let ns = JsFuture::from(pending).await?;
        let module: CodecsModule = ns.unchecked_into();
        let mux = JsFuture::from(module.mux_module()).await?;
        Ok::<_, JsValue>(Codecs { module, mux })
    }
    .await;
    match loaded {
        Ok(c) => {
            let c = std::rc::Rc::new(c);
            CODECS_READY.with(|r| *r.borrow_mut() = Some(c.clone()));
            Ok(c)
        }
        Err(e) => {
            CODECS.with(|c| *c.borrow_mut() = None);
            Err(unavailable(&interop::from_js(&e).message))
        }
    }
}

/// The `codecs` module if [`codecs`] loaded it.
pub fn codecs_loaded() -> Option<std::rc::Rc<Codecs>> {
    CODECS_READY.with(|c| c.borrow().clone())
}
