//! A JSON-like value that keeps what a JS caller really passed.
//!
//! Config objects arrive from JS (through serde-wasm-bindgen in the shell) as a
//! [`Value`] and are validated field by field in [`crate::core::config`], so every
//! error names its field. Unlike `serde_json::Value` it keeps `NaN` and `Infinity`
//! (which must be rejected, not read as "absent"), and it serializes back (for the
//! pass-through `constraints` object).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A value as JS has it: `null`/`undefined`, booleans, numbers (f64), strings, arrays
/// and plain objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null` or `undefined`: treated as "not given".
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, exactly as JS holds it (f64; may be NaN or infinite).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// A plain object, keys sorted.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// What JS's `typeof` (roughly) would call this value, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The field `key` of an object, `None` if absent or `null`/`undefined`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => match map.get(key) {
                Some(Value::Null) | None => None,
                Some(v) => Some(v),
            },
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-like value (no functions, symbols or bigints)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

/// `n` as JavaScript's `String(n)` writes it, for messages a JS caller reads:
/// `Infinity`, `-Infinity`, `NaN`, `5` (not `5.0`), `0` for `-0`, `1e+21`, `1.5e-7`.
///
/// Rust's `{:e}` gives the shortest digits that read back as `n`, as JS does
/// (ECMA-262 `Number::toString`); this only places the decimal point and the exponent
/// the way that algorithm does.
///
/// ```
/// use media_recorder_producer::core::value::js_number;
/// assert_eq!(js_number(f64::INFINITY), "Infinity");
/// assert_eq!(js_number(5.0), "5");
/// assert_eq!(js_number(0.25), "0.25");
/// assert_eq!(js_number(1e21), "1e+21");
/// ```
pub fn js_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        // Integers (the usual case) below 2^53, which JS writes exactly: integer
        // formatting only.
        return if n == 0.0 {
            "0".to_string()
        } else {
            (n as i128).to_string()
        };
    }
    if let Some(js) = JS_NUMBER_TEXT.get() {
        return js(n);
    }
    float_text(n)
}

/// JS's own `String(n)`, installed by the browser shell ([`set_js_number_text`]).
static JS_NUMBER_TEXT: std::sync::OnceLock<fn(f64) -> String> = std::sync::OnceLock::new();

/// Installs JS's `String(n)` for [`js_number`]'s non-integers: in the browser the
/// numbers in messages are written by JS itself, and the wasm carries no float
/// formatting code (about 10 KB).
pub fn set_js_number_text(f: fn(f64) -> String) {
    let _ = JS_NUMBER_TEXT.set(f);
}

/// In the browser [`set_js_number_text`] is always installed first (by the exported
/// constructors), so this is never reached there.
#[cfg(target_arch = "wasm32")]
fn float_text(_n: f64) -> String {
    "a non-integer".to_string()
}

/// JS's `Number.prototype.toString()` rules, from Rust's shortest round-trip digits.
#[cfg(not(target_arch = "wasm32"))]
fn float_text(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if n == 0.0 {
        return "0".to_string(); // also -0, as in JS
    }
    let sci = format!("{:e}", n.abs()); // "1.5e-7", "1e21", "1.2345e4"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: Vec<char> = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    // JS's names: k digits, the decimal point after the first `point` of them.
    let k = digits.len() as i64;
    let point = exp + 1;
    let all = |d: &[char]| d.iter().collect::<String>();
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&all(&digits));
        out.extend(std::iter::repeat('0').take((point - k) as usize));
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(&all(int));
        out.push('.');
        out.push_str(&all(frac));
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat('0').take((-point) as usize));
        out.push_str(&all(&digits));
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(&all(first));
        if !rest.is_empty() {
            out.push('.');
            out.push_str(&all(rest));
        }
        out.push('e');
        out.push(if point - 1 < 0 { '-' } else { '+' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// Builds a [`Value::Object`] from pairs; handy in tests and doc examples.
///
/// ```
/// use media_recorder_producer::core::value::{obj, Value};
/// let v = obj([("recordingInterval", Value::Number(250.0))]);
/// assert_eq!(v.get("recordingInterval"), Some(&Value::Number(250.0)));
/// ```
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::js_number;

    #[test]
    fn numbers_read_as_in_js() {
        // Each pair as `String(x)` gives it in a browser.
        let cases: &[(f64, &str)] = &[
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (0.0, "0"),
            (-0.0, "0"),
            (5.0, "5"),
            (-5.0, "-5"),
            (240.0, "240"),
            (100_000_000.0, "100000000"),
            (0.5, "0.5"),
            (-0.25, "-0.25"),
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123.456, "123.456"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.000001, "0.000001"),
            (0.0000015, "0.0000015"),
            (1e-7, "1e-7"),
            (-1.5e-7, "-1.5e-7"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (9007199254740993.0, "9007199254740992"),
        ];
        for (x, js) in cases {
            assert_eq!(js_number(*x), *js, "{x:?}");
        }
    }

    #[test]
    fn finite_numbers_read_back_exactly() {
        let mut x = 1.0e-300_f64;
        while x < 1.0e300 {
            for v in [x, -x, x * 1.234_567_891_234_5, x / 3.0] {
                let text = js_number(v);
                assert_eq!(text.parse::<f64>().ok(), Some(v), "{text}");
            }
            x *= 7.77;
        }
    }
}
