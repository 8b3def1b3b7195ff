//! The arguments of the exported methods, read at the door.
//!
//! Typed parameters (`&str`, `&StreamPool`) let wasm-bindgen's glue convert them, and
//! the glue fails with its own errors before our code runs: `stopStream(undefined)`
//! threw "Cannot read properties of undefined (reading 'length')". So every exported
//! method takes its arguments as `JsValue` (the TypeScript type kept with
//! `unchecked_param_type`) and reads them with one of these functions: a wrong
//! argument is a `TypeError` that names the method and the argument, e.g.
//! `stopStream: streamId must be a string (got undefined)`. Fields inside an options
//! object are then checked by the core's config validation, which names the field.
//!
//! As WebIDL does for the platform's own methods, arguments are checked before
//! anything else (also before the `destroy()` check), and a method that returns a
//! Promise rejects with the error instead of throwing it.

use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};

/// What JS's `typeof` says of `v`, except that `null` and arrays are named as such
/// (the same words the config messages use).
pub fn type_name(v: &JsValue) -> String {
    if v.is_null() {
        "null".to_string()
    } else if js_sys::Array::is_array(v) {
        "array".to_string()
    } else {
        v.js_typeof()
            .as_string()
            .unwrap_or_else(|| "unknown".to_string())
    }
}

/// The `TypeError` for argument `arg` of `method` that is not what it must be.
pub fn wrong_type(method: &str, arg: &str, expected: &str, got: &JsValue) -> ProducerError {
    ProducerError::new(
        ErrorKind::InvalidType,
        format!(
            "{method}: {arg} must be {expected} (got {})",
            type_name(got)
        ),
    )
}

/// A string argument (`streamId`).
pub fn string(v: &JsValue, method: &str, arg: &str) -> Result<String, ProducerError> {
    v.as_string()
        .ok_or_else(|| wrong_type(method, arg, "a string", v))
}

/// A callback argument.
pub fn function(v: JsValue, method: &str, arg: &str) -> Result<js_sys::Function, ProducerError> {
    v.dyn_into::<js_sys::Function>()
        .map_err(|v| wrong_type(method, arg, "a function", &v))
}

/// An optional options object: `undefined`/`null` give `None`; a function or a
/// primitive is a `TypeError`.
pub fn optional_object<'a>(
    v: &'a JsValue,
    method: &str,
    arg: &str,
) -> Result<Option<&'a js_sys::Object>, ProducerError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if v.is_function() || !v.is_object() {
        return Err(wrong_type(method, arg, "an object", v));
    }
    Ok(Some(v.unchecked_ref()))
}

/// An optional options object read into a core [`Value`] for the config validation
/// (`undefined`/`null`: [`Value::Null`], the defaults).
pub fn options(v: &JsValue, method: &str, arg: &str) -> Result<Value, ProducerError> {
    if optional_object(v, method, arg)?.is_none() {
        return Ok(Value::Null);
    }
    let mut path = arg.to_string();
    read_value(v, &mut path, 0).map_err(|what| {
        ProducerError::new(
            ErrorKind::InvalidType,
            format!("{method}: {path} {what}; options hold plain data only"),
        )
    })
}

/// How deep an options object may nest (config objects nest two or three levels; a
/// cycle would otherwise recurse until the stack runs out).
const MAX_DEPTH: u32 = 16;

/// Reads a plain JS value (what JSON can hold, plus `undefined`, `NaN` and
/// `Infinity`) into a [`Value`]. On failure `path` names the member that failed
/// (`options.video.width`) and the error says what it is.
///
/// A few lines of `js_sys` do what serde-wasm-bindgen's `Deserializer` did here for
/// about 25 KB of wasm (its error path formats floats).
fn read_value(v: &JsValue, path: &mut String, depth: u32) -> Result<Value, &'static str> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Ok(Value::Number(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if v.is_function() {
        return Err("is a function");
    }
    if !v.is_object() {
        // symbol, bigint
        return Err("is a symbol or a bigint");
    }
    if depth >= MAX_DEPTH {
        return Err("nests too deeply (or holds a cycle)");
    }
    let len = path.len();
    let out = if js_sys::Array::is_array(v) {
        let items: &js_sys::Array = v.unchecked_ref();
        let mut out = Vec::with_capacity(items.length() as usize);
        for i in 0..items.length() {
            path.push('[');
            path.push_str(&i.to_string());
            path.push(']');
            out.push(read_value(&items.get(i), path, depth + 1)?);
            path.truncate(len);
        }
        Value::Array(out)
    } else {
        let entries = js_sys::Object::entries(v.unchecked_ref());
        let mut out = Map::new();
        for entry in entries.iter() {
            let pair: &js_sys::Array = entry.unchecked_ref();
            let key = pair.get(0).as_string().unwrap_or_default();
            path.push('.');
            path.push_str(&key);
            let value = read_value(&pair.get(1), path, depth + 1)?;
            path.truncate(len);
            out.insert(key, value);
        }
        Value::Object(out)
    };
    Ok(out)
}

/// The bytes of a chunk as a caller may give them.
pub enum ChunkData {
    /// A `Blob`, used as it is.
    Blob(web_sys::Blob),
    /// An `ArrayBuffer` or an `ArrayBufferView` (typed array, `DataView`).
    Buffer(JsValue),
}

/// A chunk argument: a `Blob`, an `ArrayBuffer` or an `ArrayBufferView`.
pub fn chunk_data(v: &JsValue, method: &str, arg: &str) -> Result<ChunkData, ProducerError> {
    if let Some(b) = v.dyn_ref::<web_sys::Blob>() {
        return Ok(ChunkData::Blob(b.clone()));
    }
    if v.is_instance_of::<js_sys::ArrayBuffer>() || js_sys::ArrayBuffer::is_view(v) {
        return Ok(ChunkData::Buffer(v.clone()));
    }
    Err(wrong_type(
        method,
        arg,
        "a Blob, an ArrayBuffer or an ArrayBufferView",
        v,
    ))
}

/// A `MediaStream` argument.
pub fn media_stream(
    v: &JsValue,
    method: &str,
    arg: &str,
) -> Result<web_sys::MediaStream, ProducerError> {
    // `cloned()` is `Clone::clone` (another handle), not MediaStream's inherent `clone()`.
    v.dyn_ref::<web_sys::MediaStream>()
        .cloned()
        .ok_or_else(|| wrong_type(method, arg, "a MediaStream", v))
}
