//! Plain values out: what `getActiveStreams()`, `getMetrics()`, the stream and pool
//! events and the like hand to JS.
//!
//! A type writes its fields to an [`Out`], one call per field; the browser shell's
//! `Out` makes a JS object of them, and [`ValueOut`] makes a [`Value`] (for the host
//! tests). One non-generic call per field is far smaller in wasm than serde's derive
//! through `serde_wasm_bindgen` (measured in the commit that brought this in), and the
//! JS shape is spelled out here, next to each type.

use crate::core::value::{Map, Value};

/// Where [`Emit`] writes. Keys are the JS property names; inside an array they are
/// ignored (pass `""`).
pub trait Out {
    /// A number.
    fn num(&mut self, key: &str, v: f64);
    /// A string.
    fn text(&mut self, key: &str, v: &str);
    /// A boolean.
    fn flag(&mut self, key: &str, v: bool);
    /// `null`.
    fn null(&mut self, key: &str);
    /// Opens an object (`array: false`) or an array under `key`; what follows goes
    /// into it until [`Out::close`]. The outermost value is opened with any key.
    fn open(&mut self, key: &str, array: bool);
    /// Closes what the last [`Out::open`] opened.
    fn close(&mut self);
}

/// A value that writes itself to an [`Out`] as a JS object.
pub trait Emit {
    /// Writes its fields into the object open in `out`.
    fn fields(&self, out: &mut dyn Out);
}

/// `value` as an object under `key`.
pub fn object(out: &mut dyn Out, key: &str, value: &dyn Emit) {
    out.open(key, false);
    value.fields(out);
    out.close();
}

/// `v` under `key` if it is there (left out if not).
pub fn opt_num(out: &mut dyn Out, key: &str, v: Option<f64>) {
    if let Some(v) = v {
        out.num(key, v);
    }
}

/// `v` under `key`, or `null`.
pub fn num_or_null(out: &mut dyn Out, key: &str, v: Option<f64>) {
    match v {
        Some(v) => out.num(key, v),
        None => out.null(key),
    }
}

/// `v` under `key` if it is there (left out if not).
pub fn opt_text(out: &mut dyn Out, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        out.text(key, v);
    }
}

/// A whole [`Value`] under `key`.
pub fn value(out: &mut dyn Out, key: &str, v: &Value) {
    match v {
        Value::Null => out.null(key),
        Value::Bool(b) => out.flag(key, *b),
        Value::Number(n) => out.num(key, *n),
        Value::String(s) => out.text(key, s),
        Value::Array(items) => {
            out.open(key, true);
            for item in items {
                value(out, "", item);
            }
            out.close();
        }
        Value::Object(map) => {
            out.open(key, false);
            for (k, item) in map.iter() {
                value(out, k, item);
            }
            out.close();
        }
    }
}

impl Emit for Value {
    /// A [`Value::Object`]'s entries (nothing for other values).
    fn fields(&self, out: &mut dyn Out) {
        if let Value::Object(map) = self {
            for (k, item) in map.iter() {
                value(out, k, item);
            }
        }
    }
}

/// An [`Out`] that builds a [`Value`]: what JS would get, on the host.
#[derive(Debug, Default)]
pub struct ValueOut {
    /// Open containers: each with the key it goes under in its parent.
    stack: Vec<(String, Value)>,
    root: Option<Value>,
}

impl ValueOut {
    /// What `e` writes as an object.
    pub fn of(e: &dyn Emit) -> Value {
        let mut out = ValueOut::default();
        object(&mut out, "", e);
        out.finish()
    }

    /// The outermost value written.
    pub fn finish(self) -> Value {
        self.root.unwrap_or(Value::Null)
    }

    fn put(&mut self, key: &str, v: Value) {
        match self.stack.last_mut() {
            Some((_, Value::Array(items))) => items.push(v),
            Some((_, Value::Object(map))) => map.insert(key.to_string(), v),
            _ => self.root = Some(v),
        }
    }
}

impl Out for ValueOut {
    fn num(&mut self, key: &str, v: f64) {
        self.put(key, Value::Number(v));
    }

    fn text(&mut self, key: &str, v: &str) {
        self.put(key, Value::String(v.to_string()));
    }

    fn flag(&mut self, key: &str, v: bool) {
        self.put(key, Value::Bool(v));
    }

    fn null(&mut self, key: &str) {
        self.put(key, Value::Null);
    }

    fn open(&mut self, key: &str, array: bool) {
        let v = if array {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::default())
        };
        self.stack.push((key.to_string(), v));
    }

    fn close(&mut self) {
        if let Some((key, v)) = self.stack.pop() {
            self.put(&key, v);
        }
    }
}
