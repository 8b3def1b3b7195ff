//! A JSON-like value that keeps what a JS caller really passed.
//!
//! Config objects arrive from JS (read by a small walker in the shell,
//! `web::interop::args::read_value`) as a [`Value`] and are validated field by field in
//! [`crate::core::config`], so every error names its field. Unlike `serde_json::Value`
//! it keeps `NaN` and `Infinity` (which must be rejected, not read as "absent"), and it
//! serializes back (for the pass-through `constraints` object).
//!
//! Objects are a [`Map`]: a vector of pairs in the caller's key order, not a
//! `BTreeMap` (config objects have a handful of keys; the B-tree and the sort behind
//! it cost about 20 KB of wasm).

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
    /// A plain object, in the caller's key order.
    Object(Map),
}

/// An object's members: unique keys in insertion order (the order JS gives them).
/// Equality ignores the order, as it does for a JS object's meaning.
#[derive(Debug, Clone, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map(Vec::new())
    }
    /// The value of `key`, if present (also when it is `Null`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Sets `key` to `value`, in place if present, else at the end.
    pub fn insert(&mut self, key: String, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }
    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    /// The members sorted by key (an insertion sort: maps here are small, and
    /// `slice::sort` costs kilobytes of wasm).
    pub fn sorted(&self) -> Vec<(&String, &Value)> {
        let mut out: Vec<(&String, &Value)> = Vec::with_capacity(self.0.len());
        for (k, v) in &self.0 {
            let at = out.iter().position(|(o, _)| *o > k).unwrap_or(out.len());
            out.insert(at, (k, v));
        }
        out
    }
    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
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
            // |n| < 2^53: an i64 holds it (i128 formatting costs 2 KB of wasm).
            (n as i64).to_string()
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

/// Where `needle` first occurs in `hay`: a byte-wise search that replaces `str::find`
/// with a `&str` pattern in wasm code (its two-way searcher costs about 2 KB; the
/// strings searched here are a few dozen bytes).
///
/// ```
/// use media_recorder_producer::core::value::find;
/// assert_eq!(find("video/webm;codecs=vp9", "codecs="), Some(11));
/// assert_eq!(find("abc", "d"), None);
/// assert_eq!(find("abc", ""), Some(0));
/// ```
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| &h[i..i + n.len()] == n)
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
