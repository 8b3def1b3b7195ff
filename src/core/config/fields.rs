//! Typed, named field readers and the two error shapes every config check uses.

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
pub(super) struct Fields<'a> {
    prefix: String,
    map: Option<&'a Map>,
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
        })
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

    pub(super) fn number(
        &self,
        key: &str,
        min: f64,
        max: f64,
        min_inclusive: bool,
    ) -> Result<Option<f64>, ProducerError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Number(n) = v else {
            return Err(type_err(&self.name(key), "a number", v.type_name()));
        };
        let n = *n;
        let low_ok = if min_inclusive { n >= min } else { n > min };
        if !n.is_finite() || !low_ok || n > max {
            let low = if min_inclusive { "from" } else { "above" };
            return Err(range(
                &self.name(key),
                &format!(
                    "must be a finite number {low} {} up to {}, got {}",
                    js_number(min),
                    js_number(max),
                    js_number(n)
                ),
            ));
        }
        Ok(Some(n))
    }

    pub(super) fn integer(
        &self,
        key: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ProducerError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Number(n) = v else {
            return Err(type_err(&self.name(key), "an integer", v.type_name()));
        };
        let n = *n;
        if !n.is_finite() || n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return Err(range(
                &self.name(key),
                &format!(
                    "must be an integer from {min} to {max}, got {}",
                    js_number(n)
                ),
            ));
        }
        Ok(Some(n as u64))
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<String>, ProducerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(type_err(&self.name(key), "a string", other.type_name())),
        }
    }

    /// A string that must be one of `options`; its index there (one function for every
    /// such field, not one per enum). A `RangeError` names them all:
    /// `must be "a" or "b", got "x"`.
    pub(super) fn choice(
        &self,
        key: &str,
        options: &[&str],
    ) -> Result<Option<usize>, ProducerError> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        if let Some(i) = options.iter().position(|name| *name == s) {
            return Ok(Some(i));
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
        Err(range(
            &self.name(key),
            &format!("must be {names}, got \"{s}\""),
        ))
    }

    pub(super) fn non_empty_string(
        &self,
        key: &str,
        max_len: usize,
    ) -> Result<Option<String>, ProducerError> {
        match self.string(key)? {
            Some(s) if s.is_empty() || s.len() > max_len => Err(range(
                &self.name(key),
                &format!("must be a non-empty string of at most {max_len} characters"),
            )),
            other => Ok(other),
        }
    }

    pub(super) fn boolean(&self, key: &str) -> Result<Option<bool>, ProducerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(type_err(&self.name(key), "a boolean", other.type_name())),
        }
    }
}
