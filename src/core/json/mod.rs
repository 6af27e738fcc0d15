//! A small owned JSON value: what providers send and what a [`Job`](super::Job) carries as
//! `result` and `raw`.
//!
//! Every body polyjob reads — HTTP answers (their bytes decoded by `core::utf8`), SSE `data:`
//! lines, Pusher frames, webhook bodies, a submit's input as `input.js` serialized it — is read
//! by [`parse`], a strict RFC 8259 parser with no dependencies (fuzzed against serde_json), and
//! written back by [`Json::to_json_string`]. This module is the value; `parse.rs` the parser,
//! `write.rs` the writer, `serde.rs` the serde impls (native tests and tools only, not compiled
//! into the wasm). Numbers are `f64`, as in JavaScript. Objects keep their key order; a duplicate key keeps its first position and
//! its last value, as with `JSON.parse`. Neither path uses core's float parser or `core::fmt`
//! (see [`super::number`] for how numbers are converted and how exact that is).

/// An owned JSON value. Object members keep the order they arrived in.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object; `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Like [`Json::get`] but treats an explicit `null` as missing.
    pub fn get_non_null(&self, key: &str) -> Option<&Json> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// The string member `key`, if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A number, or a string holding a number (`"45.50"`), as `f64`. Non-finite values are `None`.
    pub fn as_number_lenient(&self) -> Option<f64> {
        let n = match self {
            Json::Number(n) => *n,
            Json::String(s) => crate::core::number::parse_decimal(s.trim().trim_end_matches('%'))?,
            _ => return None,
        };
        n.is_finite().then_some(n)
    }

    /// A string, or an integer rendered as text (ids sometimes arrive as numbers).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                let mut s = String::new();
                if *n < 0.0 {
                    s.push('-');
                }
                crate::core::number::push_u64(&mut s, n.abs() as u64);
                Some(s)
            }
            _ => None,
        }
    }

    /// Builds an object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Sets `key` on an object (replacing an existing member); no effect on non-objects.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(members) = self {
            if let Some(slot) = members.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                members.push((key.to_string(), value));
            }
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

impl From<f64> for Json {
    fn from(n: f64) -> Self {
        Json::Number(n)
    }
}

mod parse;
#[cfg(not(target_arch = "wasm32"))]
mod serde;
mod write;

pub use parse::{parse, JsonError};
pub(crate) use write::push_json_string;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
