//! Every conversion between Rust and JS values, in one place: plain objects (with the
//! property names made once as JS strings), core values written out as JS objects
//! ([`emit`], [`value`]), Blobs,
//! the arguments of exported methods ([`args`]) and the one error conversion
//! ([`error`]). Nothing here knows about producers, streams or pools.

pub mod args;
pub mod error;

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::Blob;

use crate::core::emit::{Emit, Out};
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::Value;

pub use error::{from_js, to_js};

thread_local! {
    /// Property names as JS strings, made once: a frame sets about 15 properties, and
    /// decoding each name from UTF-8 on every frame showed in the per-chunk cost. The
    /// first 256 names seen are kept (the library's own, and a constraint object's).
    static KEYS: RefCell<Vec<(Box<str>, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// The JS string for `key`, made once per name.
pub fn key(key: &str) -> JsValue {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some((_, k)) = keys.iter().find(|(k, _)| &**k == key) {
            return k.clone();
        }
        let k = JsValue::from_str(key);
        if keys.len() < 256 {
            keys.push((key.into(), k.clone()));
        }
        k
    })
}

/// Sets `target[key] = value` (a plain object we made: it cannot throw).
pub fn set(target: &JsValue, name: &'static str, value: &JsValue) {
    let _ = Reflect::set(target, &key(name), value);
}

/// Reads `target[name]` (`undefined` if it throws).
pub fn get(target: &JsValue, name: &'static str) -> JsValue {
    Reflect::get(target, &key(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A new empty object.
pub fn object() -> JsValue {
    Object::new().into()
}

/// A finite, non-negative number property, else `None`.
pub fn number(target: &JsValue, name: &'static str) -> Option<f64> {
    get(target, name)
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// A JS `Date` for epoch milliseconds.
pub fn date(ms: f64) -> JsValue {
    js_sys::Date::new(&ms.into()).into()
}

/// What `e` writes ([`crate::core::emit`]) as a plain JS object.
pub fn emit(e: &dyn Emit) -> JsValue {
    let mut out = JsOut::default();
    crate::core::emit::object(&mut out, "", e);
    out.root.unwrap_or(JsValue::NULL)
}

/// A [`Value`] as JS (objects, arrays, numbers, strings, booleans, `null`).
pub fn value(v: &Value) -> JsValue {
    let mut out = JsOut::default();
    crate::core::emit::value(&mut out, "", v);
    out.root.unwrap_or(JsValue::NULL)
}

/// The browser's [`Out`]: JS objects and arrays, one `Reflect.set` or `push` per value.
#[derive(Default)]
struct JsOut {
    /// Open containers (and whether each is an array).
    stack: Vec<(JsValue, bool)>,
    root: Option<JsValue>,
}

impl JsOut {
    fn put(&mut self, name: &str, v: JsValue) {
        match self.stack.last() {
            Some((a, true)) => {
                wasm_bindgen::JsCast::unchecked_ref::<Array>(a).push(&v);
            }
            Some((o, false)) => {
                let _ = Reflect::set(o, &key(name), &v);
            }
            None => self.root = Some(v),
        }
    }
}

impl Out for JsOut {
    fn num(&mut self, key: &str, v: f64) {
        self.put(key, JsValue::from_f64(v));
    }

    fn text(&mut self, key: &str, v: &str) {
        self.put(key, JsValue::from_str(v));
    }

    fn flag(&mut self, key: &str, v: bool) {
        self.put(key, JsValue::from_bool(v));
    }

    fn null(&mut self, key: &str) {
        self.put(key, JsValue::NULL);
    }

    fn open(&mut self, key: &str, array: bool) {
        let v: JsValue = if array {
            Array::new().into()
        } else {
            Object::new().into()
        };
        self.put(key, v.clone());
        self.stack.push((v, array));
    }

    fn close(&mut self) {
        self.stack.pop();
    }
}

/// One Blob of `mime` from `parts` (Blobs, buffers or views), without copying Blob bytes.
pub fn blob(parts: &Array, mime: &str) -> Result<Blob, ProducerError> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(parts, &options).map_err(|e| from_js(&e))
}

/// An identity `TransformStream`: (its writable side, its readable side). The readable
/// side queues up to 8 chunks before the writable side waits for a read.
pub fn pipe() -> Result<(JsValue, JsValue), ProducerError> {
    let ctor = get(&js_sys::global(), "TransformStream");
    let ctor = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&ctor).ok_or_else(|| {
        ProducerError::new(
            ErrorKind::NotSupported,
            "readable: true needs the Streams API (TransformStream), which this browser lacks",
        )
    })?;
    let strategy = Object::new();
    set(&strategy, "highWaterMark", &JsValue::from(8));
    let args = Array::of3(&JsValue::UNDEFINED, &JsValue::UNDEFINED, &strategy);
    let ts = Reflect::construct(ctor, &args).map_err(|e| from_js(&e))?;
    Ok((get(&ts, "writable"), get(&ts, "readable")))
}

/// A chunk argument as a Blob of type `mime()` (a Blob is used as it is: the type is
/// only asked for bytes).
pub fn chunk_blob(
    data: args::ChunkData,
    mime: impl FnOnce() -> String,
) -> Result<Blob, ProducerError> {
    match data {
        args::ChunkData::Blob(b) => Ok(b),
        args::ChunkData::Buffer(bytes) => blob(&Array::of1(&bytes), &mime()),
    }
}

/// JS's `String(n)`: how numbers are written in the library's messages (installed into
/// the core by [`install`]).
fn js_number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// What the core needs from JS before any of it runs (each exported constructor calls
/// it): numbers in messages are written by JS.
pub fn install() {
    crate::core::value::set_js_number_text(js_number_text);
}
