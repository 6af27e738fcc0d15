//! [`Raw`]: a job's `raw` — the provider's body as received. A body that arrived as JSON text is
//! kept as that text, shared and verbatim: handing it to JS needs no copy of the parsed tree and
//! no second serialization, and its numbers reach `JSON.parse` exactly as the provider wrote
//! them. Values built here (a list item, a pushed event) are kept as [`Json`].

use std::borrow::Cow;
use std::rc::Rc;

use super::json::{self, Json};

/// A provider body as received. Compares by JSON value, whichever form it is in.
#[derive(Clone, Debug)]
pub enum Raw {
    /// A value (a part of a larger body, an event, a body built from JS).
    Value(Json),
    /// A whole body's JSON text, exactly as received. Only ever built from text that parsed as
    /// JSON ([`HttpResponse::from_text`](super::HttpResponse::from_text)).
    Text(Rc<str>),
}

impl Default for Raw {
    fn default() -> Raw {
        Raw::Value(Json::Null)
    }
}

impl From<Json> for Raw {
    fn from(value: Json) -> Raw {
        Raw::Value(value)
    }
}

impl Raw {
    /// The value, parsed from the text when it is held as text (a cost: for the occasional
    /// lookup, not for every update).
    pub fn value(&self) -> Cow<'_, Json> {
        match self {
            Raw::Value(v) => Cow::Borrowed(v),
            // Text is only built from text that parsed, so this cannot fail; Null if it did.
            Raw::Text(text) => Cow::Owned(json::parse(text).unwrap_or_default()),
        }
    }

    /// True for a `null` value.
    pub fn is_null(&self) -> bool {
        matches!(self, Raw::Value(Json::Null))
    }

    /// Appends the JSON text: the received text as is, or the value serialized.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Raw::Value(v) => v.write_json(out),
            Raw::Text(text) => out.push_str(text),
        }
    }
}

impl PartialEq for Raw {
    fn eq(&self, other: &Raw) -> bool {
        match (self, other) {
            (Raw::Text(a), Raw::Text(b)) if a == b => true,
            _ => *self.value() == *other.value(),
        }
    }
}

impl PartialEq<Json> for Raw {
    fn eq(&self, other: &Json) -> bool {
        *self.value() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_written_verbatim_and_compares_by_value() {
        let text = "{ \"a\": 1.10, \"b\": [true, null] }";
        let raw = Raw::Text(Rc::from(text));
        let mut out = String::new();
        raw.write_json(&mut out);
        assert_eq!(out, text);
        let value = json::parse(text).unwrap();
        assert_eq!(raw, value);
        assert_eq!(raw, Raw::Value(value.clone()));
        assert_eq!(*raw.value(), value);
        assert_ne!(raw, Raw::Value(Json::Null));
    }

    #[test]
    fn value_is_serialized() {
        let raw = Raw::from(Json::object([("k", Json::from("v"))]));
        let mut out = String::new();
        raw.write_json(&mut out);
        assert_eq!(out, r#"{"k":"v"}"#);
        assert!(Raw::default().is_null());
    }
}
