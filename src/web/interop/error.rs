//! The one place where errors cross the JS boundary.
//!
//! [`to_js`] turns a core [`ProducerError`] into what a JS caller expects: a real
//! `TypeError`/`RangeError` for bad arguments, and a `DOMException` with the spec name
//! (`NotAllowedError`, `OverconstrainedError` with `.constraint`, …) for everything else,
//! as the platform's own media APIs do. [`from_js`] reads a browser failure back.

use crate::core::error::{ErrorKind, ProducerError};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// The JS error for `err`.
pub fn to_js(err: &ProducerError) -> JsValue {
    let value: JsValue = match &err.kind {
        ErrorKind::InvalidType => js_sys::TypeError::new(&err.message).into(),
        ErrorKind::OutOfRange => js_sys::RangeError::new(&err.message).into(),
        kind => {
            match web_sys::DomException::new_with_message_and_name(&err.message, kind.js_name()) {
                Ok(e) => e.into(),
                Err(_) => {
                    let e = js_sys::Error::new(&err.message);
                    e.set_name(kind.js_name());
                    e.into()
                }
            }
        }
    };
    if let ErrorKind::Overconstrained {
        constraint: Some(c),
    } = &err.kind
    {
        let _ = Reflect::set(&value, &"constraint".into(), &c.into());
    }
    value
}

/// A core error from whatever a browser API rejected or threw with.
pub fn from_js(value: &JsValue) -> ProducerError {
    let get = |key: &str| -> Option<String> {
        Reflect::get(value, &key.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    if value.is_instance_of::<js_sys::Error>() || value.is_instance_of::<web_sys::DomException>() {
        let name = get("name").unwrap_or_else(|| "Error".to_string());
        let message = get("message").unwrap_or_default();
        let constraint = get("constraint").filter(|c| !c.is_empty());
        return ProducerError::from_browser(&name, &message, constraint);
    }
    // Some browsers reject with a plain object ({ name, message, constraintName }).
    if value.is_object() {
        if let Some(name) = get("name") {
            let message = get("message").unwrap_or_default();
            let constraint = get("constraint").or_else(|| get("constraintName"));
            return ProducerError::from_browser(&name, &message, constraint);
        }
    }
    let text = value
        .as_string()
        .unwrap_or_else(|| "unknown failure".to_string());
    ProducerError::new(ErrorKind::Other("Error".to_string()), text)
}
