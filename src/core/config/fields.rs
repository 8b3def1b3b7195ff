//! Typed, named field readers and the two error shapes every config check uses.

use std::cell::RefCell;

use crate::core::error::{ErrorKind, ProducerError};
use crate::core::value::{js_number, Map, Value};

pub(super) fn range(field: &str, what: &str) -> ProducerError {
    ProducerError::new(ErrorKind::OutOfRange, format!("{field} {what}"))
}

pub(super) fn type_err(field: &str, expected: &str, got: &str) -> ProducerError {
    ProducerError::new(
        ErrorKind::InvalidType,
        format!("{field} must be {expected}, got {got}"),
    )
}

/// Typed, named access to the fields of one config object.
///
/// A reader that finds a field wrong keeps the first such error and answers `None`;
/// [`Fields::check`] returns it. (One `?` per object, not one per field: each `?` on a
/// `Result` carrying a `ProducerError` cost its own copy-and-return code in the wasm.)
pub(super) struct Fields<'a> {
    prefix: String,
    map: Option<&'a Map>,
    error: RefCell<Option<ProducerError>>,
}

impl Drop for Fields<'_> {
    fn drop(&mut self) {
        // Every parser calls `check()` before it returns: an error left here was lost.
        debug_assert!(
            self.error.get_mut().is_none(),
            "a config error was never checked"
        );
    }
}

impl<'a> Fields<'a> {
    pub(super) fn new(prefix: &str, v: &'a Value, allowed: &[&str]) -> Result<Self, ProducerError> {
        let map = match v {
            Value::Null => None,
            Value::Object(map) => Some(map),
            other => return Err(type_err(prefix, "an object", other.type_name())),
        };
        if let Some(map) = map {
            for key in map.keys() {
                if !allowed.contains(&key.as_str()) {
                    return Err(ProducerError::new(
                        ErrorKind::InvalidType,
                        format!(
                            "{prefix}.{key} is not a known option (known: {})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Fields {
            prefix: prefix.to_string(),
            map,
            error: RefCell::new(None),
        })
    }

    /// The first wrong field's error, if a reader found one.
    pub(super) fn check(&self) -> Result<(), ProducerError> {
        match self.error.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Keeps `e` if it is the first error; `None` for the reader to answer.
    fn fail<T>(&self, e: ProducerError) -> Option<T> {
        let mut error = self.error.borrow_mut();
        if error.is_none() {
            *error = Some(e);
        }
        None
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map?.get(key) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    pub(super) fn number(&self, key: &str, min: f64, max: f64, min_inclusive: bool) -> Option<f64> {
        let v = self.get(key)?;
        let Value::Number(n) = v else {
            return self.fail(type_err(&self.name(key), "a number", v.type_name()));
        };
        let n = *n;
        let low_ok = if min_inclusive { n >= min } else { n > min };
        if !n.is_finite() || !low_ok || n > max {
            let low = if min_inclusive { "from" } else { "above" };
            return self.fail(range(
                &self.name(key),
                &format!(
                    "must be a finite number {low} {} up to {}, got {}",
                    js_number(min),
                    js_number(max),
                    js_number(n)
                ),
            ));
        }
        Some(n)
    }

    pub(super) fn integer(&self, key: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.get(key)?;
        let Value::Number(n) = v else {
            return self.fail(type_err(&self.name(key), "an integer", v.type_name()));
        };
        let n = *n;
        if !n.is_finite() || n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return self.fail(range(
                &self.name(key),
                &format!(
                    "must be an integer from {min} to {max}, got {}",
                    js_number(n)
                ),
            ));
        }
        Some(n as u64)
    }

    pub(super) fn string(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => self.fail(type_err(&self.name(key), "a string", other.type_name())),
        }
    }

    /// [`Fields::choice`] mapped onto `values` (the same order as `names`).
    pub(super) fn pick<T: Copy>(&self, key: &str, names: &[&str], values: &[T]) -> Option<T> {
        self.choice(key, names).and_then(|i| values.get(i).copied())
    }

    /// A string that must be one of `options`; its index there (one function for every
    /// such field, not one per enum). A `RangeError` names them all:
    /// `must be "a" or "b", got "x"`.
    pub(super) fn choice(&self, key: &str, options: &[&str]) -> Option<usize> {
        let s = self.string(key)?;
        if let Some(i) = options.iter().position(|name| *name == s) {
            return Some(i);
        }
        let mut names = String::new();
        for (i, name) in options.iter().enumerate() {
            if i > 0 {
                names.push_str(if i + 1 == options.len() { " or " } else { ", " });
            }
            names.push('"');
            names.push_str(name);
            names.push('"');
        }
        self.fail(range(
            &self.name(key),
            &format!("must be {names}, got \"{s}\""),
        ))
    }

    pub(super) fn non_empty_string(&self, key: &str, max_len: usize) -> Option<String> {
        match self.string(key)? {
            s if s.is_empty() || s.len() > max_len => self.fail(range(
                &self.name(key),
                &format!("must be a non-empty string of at most {max_len} characters"),
            )),
            s => Some(s),
        }
    }

    pub(super) fn boolean(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => self.fail(type_err(&self.name(key), "a boolean", other.type_name())),
        }
    }
}
