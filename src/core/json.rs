//! A small owned JSON value: what providers send and what a [`Job`](super::Job) carries as
//! `result` and `raw`.
//!
//! It exists so that the core and the providers stay free of any particular JSON parser: in
//! wasm the body is parsed by the host's `JSON.parse` and converted with serde-wasm-bindgen, in
//! native tests by serde_json. Both go through the serde impls below. Numbers are `f64`, as in
//! JavaScript. Objects keep their key order. It does not parse text itself.

use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

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
            Json::String(s) => super::number::parse_decimal(s.trim().trim_end_matches('%'))?,
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
                super::number::push_u64(&mut s, n.abs() as u64);
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

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => serializer.serialize_f64(*n),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Nesting deeper than this is refused, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

struct JsonVisitor {
    depth: usize,
}

struct Nested(Json);

struct NestedSeed {
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for NestedSeed {
    type Value = Nested;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Nested, D::Error> {
        d.deserialize_any(JsonVisitor { depth: self.depth })
            .map(Nested)
    }
}

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(serde::de::Error::custom("JSON nested too deeply"));
        }
        let mut items = Vec::new();
        while let Some(Nested(item)) = seq.next_element_seed(NestedSeed {
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(serde::de::Error::custom("JSON nested too deeply"));
        }
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let Nested(value) = map.next_value_seed(NestedSeed {
                depth: self.depth + 1,
            })?;
            // Duplicate keys: the last one wins, as with JSON.parse.
            if let Some(slot) = members.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                members.push((key, value));
            }
        }
        Ok(Json::Object(members))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor { depth: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_numbers() {
        assert_eq!(Json::from("45.50").as_number_lenient(), Some(45.5));
        assert_eq!(Json::from(" 7 % ").as_number_lenient(), Some(7.0));
        assert_eq!(Json::from("NaN").as_number_lenient(), None);
        assert_eq!(Json::from("abc").as_number_lenient(), None);
        assert_eq!(Json::Bool(true).as_number_lenient(), None);
    }

    #[test]
    fn text_of_ids() {
        assert_eq!(Json::Number(42.0).to_text().as_deref(), Some("42"));
        assert_eq!(Json::from("a").to_text().as_deref(), Some("a"));
        assert_eq!(Json::Null.to_text(), None);
    }

    #[test]
    fn set_replaces_or_appends() {
        let mut o = Json::object([("a", Json::Null)]);
        o.set("a", Json::Bool(true));
        o.set("b", Json::Number(1.0));
        assert_eq!(o.get("a"), Some(&Json::Bool(true)));
        assert_eq!(o.get("b"), Some(&Json::Number(1.0)));
    }
}
