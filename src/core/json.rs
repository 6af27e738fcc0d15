//! A small owned JSON value: what providers send and what a [`Job`](super::Job) carries as
//! `result` and `raw`.
//!
//! Every body polyjob reads — HTTP answers (their bytes decoded by `core::utf8`), SSE `data:`
//! lines, Pusher frames, webhook bodies, a submit's input as `input.js` serialized it — is read
//! by [`parse`], a strict RFC 8259 parser with no dependencies (fuzzed against serde_json), and
//! written back by [`Json::to_json_string`]. The serde impls below serve native tests and tools
//! only (they are not compiled into the wasm). Numbers are `f64`,
//! as in JavaScript. Objects keep their key order; a duplicate key keeps its first position and
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

/// serde support: how native code (tests, tools) reads and writes [`Json`] with serde_json.
/// Not compiled into the wasm, which parses and prints JSON with [`parse`] and
/// [`Json::to_json_string`].
#[cfg(not(target_arch = "wasm32"))]
mod serde_impls {
    use super::*;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
    use std::fmt;

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
}

/// Nesting deeper than this is refused, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Why [`parse`] refused its input: a fixed message and the byte offset where it noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// What was wrong, e.g. `"expected ',' or '}'"`. Never contains input text.
    pub message: &'static str,
    /// Byte offset into the input.
    pub offset: usize,
}

/// Parses one JSON text (RFC 8259, strict): surrounding whitespace allowed, anything else after
/// the value is an error. Nesting deeper than 128 arrays/objects is refused. Lone UTF-16
/// surrogates in `\u` escapes become U+FFFD. Duplicate keys: the last value wins. Numbers whose
/// magnitude overflows `f64` are refused ("number out of range", like serde_json; `JSON.parse`
/// would give `Infinity`); numbers below the smallest subnormal become 0.
///
/// Numbers are converted without core's float parser: a `u64` mantissa of the first 19
/// significant digits (later digits only shift the exponent) times a power of ten. That is exact
/// for integers below 2^53 and for decimals with at most 15 significant digits and a decimal
/// exponent within ±22, and at most 1 ulp off otherwise (see [`super::number`]).
pub fn parse(input: &str) -> Result<Json, JsonError> {
    let mut p = Parser {
        b: input.as_bytes(),
        s: input,
        i: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.i != p.b.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            message,
            offset: self.i,
        }
    }

    // Inlined by hand: at opt-level "z" these stay calls otherwise, once per byte of input.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &'static [u8], v: Json) -> Result<Json, JsonError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// One value at nesting `depth` (the number of enclosing arrays/objects).
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        self.i += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        self.i += 1; // '{'
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("expected a string key")),
            }
            let key = self.string()?;
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("expected ':'")),
            }
            self.skip_ws();
            let value = self.value(depth + 1)?;
            // Duplicate keys: the last one wins, as with JSON.parse.
            if let Some(slot) = members.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                members.push((key, value));
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Object(members));
                }
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    /// Four hex digits after `\u`.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                None => return Err(self.err("unexpected end of input")),
                Some(_) => return Err(self.err("invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    /// A string starting at the opening quote. The input is `&str`, so UTF-8 is already valid.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // '"'
        let mut out = String::new();
        loop {
            let start = self.i;
            let run = self.b[start..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(self.b.len() - start);
            self.i = start + run;
            // Stops only at ASCII bytes, so both ends are char boundaries.
            out.push_str(&self.s[start..self.i]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unexpected end of input"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    /// The code point of a `\uXXXX` escape (after the `u`), joining a surrogate pair written as
    /// two escapes. A lone surrogate becomes U+FFFD; what follows it is read normally.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.b[self.i..].starts_with(b"\\u") {
                let save = self.i;
                self.i += 2;
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
                }
                // Not a low surrogate: leave it to be read as its own escape.
                self.i = save;
            }
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        let int_end = self.i;
        let mut frac = (0, 0);
        if self.peek() == Some(b'.') {
            self.i += 1;
            let f_start = self.i;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
            frac = (f_start, self.i);
        }
        let mut exp: i64 = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            let exp_negative = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let e_start = self.i;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
            for &d in &self.b[e_start..self.i] {
                // Saturate: anything past a million is 0 or out of range anyway.
                exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        // Mantissa of the first 19 significant digits; dropped digits move the exponent.
        let mut mantissa: u64 = 0;
        let mut sig = 0u32;
        for &d in &self.b[int_start..int_end] {
            if sig < 19 {
                mantissa = mantissa * 10 + u64::from(d - b'0');
                if mantissa != 0 {
                    sig += 1;
                }
            } else {
                exp += 1;
            }
        }
        for &d in &self.b[frac.0..frac.1] {
            if sig < 19 {
                mantissa = mantissa * 10 + u64::from(d - b'0');
                if mantissa != 0 {
                    sig += 1;
                }
                exp -= 1;
            }
        }
        let exp = exp.clamp(-100_000, 100_000) as i32;
        match super::number::from_decimal_parts(mantissa, exp) {
            Some(v) => Ok(if negative { -v } else { v }),
            None => Err(JsonError {
                message: "number out of range",
                offset: start,
            }),
        }
    }
}

impl Json {
    /// Compact JSON text (no whitespace), members in their stored order. Strings escape `"`,
    /// `\` and control characters (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`); other
    /// characters are written as UTF-8. Numbers: integers exactly, others as the shortest
    /// digits that read back to the same `f64` (JavaScript's layout); NaN and ±∞ as `null`.
    pub fn to_json_string(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends the compact JSON text of this value to `out` (see [`Json::to_json_string`]).
    pub(crate) fn write_json(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Number(n) => super::number::push_f64(out, *n),
            Json::String(s) => push_json_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(out, k);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// Appends `s` as a quoted JSON string.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str("\\u00");
            super::encoding::push_hex(out, &[b]);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(all(test, not(target_arch = "wasm32")))]
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
    fn p(s: &str) -> Json {
        parse(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    #[test]
    fn parses_every_kind_of_value() {
        assert_eq!(p("null"), Json::Null);
        assert_eq!(p(" true "), Json::Bool(true));
        assert_eq!(p("\tfalse\r\n"), Json::Bool(false));
        assert_eq!(p("0"), Json::Number(0.0));
        assert_eq!(p("-12.5e1"), Json::Number(-125.0));
        assert_eq!(p(r#""a\"b""#), Json::from("a\"b"));
        assert_eq!(p("[]"), Json::Array(vec![]));
        assert_eq!(p("{}"), Json::Object(vec![]));
        assert_eq!(
            p(r#" { "a" : [1, {"b": null}], "c": "d" } "#),
            Json::object([
                (
                    "a",
                    Json::Array(vec![Json::Number(1.0), Json::object([("b", Json::Null)])])
                ),
                ("c", Json::from("d")),
            ])
        );
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            p(r#""\"\\\/\b\f\n\r\t""#),
            Json::from("\"\\/\u{8}\u{c}\n\r\t")
        );
        assert_eq!(p(r#""\u00e9\u4e2D""#), Json::from("é中"));
        assert_eq!(p(r#""\ud83d\ude00""#), Json::from("😀"));
        assert_eq!(p("\"😀 raw\""), Json::from("😀 raw"));
        // Lone surrogates become U+FFFD; what follows is kept.
        assert_eq!(p(r#""\ud83dx""#), Json::from("\u{FFFD}x"));
        assert_eq!(p(r#""\ude00""#), Json::from("\u{FFFD}"));
        assert_eq!(p(r#""\ud83d\u0041""#), Json::from("\u{FFFD}A"));
        assert_eq!(p(r#""\ud83d\ud83d\ude00""#), Json::from("\u{FFFD}😀"));
        assert_eq!(p(r#""\u0000""#), Json::from("\0"));
    }

    #[test]
    fn numbers() {
        let cases: &[(&str, f64)] = &[
            ("0", 0.0),
            ("-0", 0.0),
            ("1", 1.0),
            ("0.1", 0.1),
            ("45.50", 45.5),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("25e-1", 2.5),
            ("9007199254740991", 9_007_199_254_740_991.0),
            ("123456789.123456", 123_456_789.123_456),
            ("1.7976931348623157e308", f64::MAX),
            ("2.2250738585072014e-308", f64::MIN_POSITIVE),
            ("5e-324", 5e-324),
            ("1e-400", 0.0),
            ("0.000000000000000000000000000001", 1e-30),
            ("12345678901234567890123", 1.234_567_890_123_456_8e22),
            ("1.00000000000000000000000000000000000001", 1.0),
            ("0e99999999999999999999", 0.0),
        ];
        for &(s, want) in cases {
            assert_eq!(p(s), Json::Number(want), "{s}");
            assert_eq!(Ok(want), s.parse::<f64>().map_err(|_| ()), "{s}");
        }
        assert!(p("-0").as_f64().unwrap().is_sign_negative());
    }

    #[test]
    fn rejects_what_rfc8259_rejects() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "True",
            "NaN",
            "Infinity",
            "-",
            "+1",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "0x1",
            "1 2",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{a:1}",
            "{'a':1}",
            "{\"a\" 1}",
            "{\"a\":}",
            "[1",
            "{",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "\"\t\"",
            "[]]",
            "{}x",
            "1e400",
            "-1e400",
            "\u{feff}1",
            "//",
            "[1 2]",
            "\"\\",
            "\"\\u",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn errors_carry_an_offset() {
        let e = parse("[1, 2 x]").unwrap_err();
        assert_eq!(e.offset, 6);
        assert_eq!(e.message, "expected ',' or ']'");
        assert_eq!(parse("1 x").unwrap_err().offset, 2);
        assert_eq!(parse("[1e999]").unwrap_err().offset, 1);
    }

    #[test]
    fn duplicate_keys_last_wins_in_first_position() {
        assert_eq!(
            p(r#"{"a":1,"b":2,"a":3}"#),
            Json::object([("a", Json::Number(3.0)), ("b", Json::Number(2.0))])
        );
    }

    #[test]
    fn depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().message, "JSON nested too deeply");
        let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        assert!(parse(&objects).is_err());
        // Very deep input fails fast without exhausting the stack.
        assert!(parse(&"[".repeat(1_000_000)).is_err());
    }

    #[test]
    fn serializes_compactly_with_escapes() {
        let v = Json::object([
            ("s", Json::from("q\"b\\n\n\t\u{1}\u{1f}é😀</")),
            (
                "n",
                Json::Array(vec![
                    Json::Number(1.0),
                    Json::Number(-0.5),
                    Json::Number(1e21),
                    Json::Number(f64::NAN),
                ]),
            ),
            ("b", Json::Bool(false)),
            ("z", Json::Null),
        ]);
        assert_eq!(
            v.to_json_string(),
            r#"{"s":"q\"b\\n\n\t\u0001\u001fé😀</","n":[1,-0.5,1e+21,null],"b":false,"z":null}"#
        );
        assert_eq!(parse(&v.to_json_string()).unwrap().get("s"), v.get("s"));
    }

    #[test]
    fn round_trips() {
        for s in [
            r#"{"a":[1,2.5,-3e-7,"x"],"b":{"c":null,"d":true}}"#,
            r#""\u0000\u001f""#,
            "0.30000000000000004",
            "[1.7976931348623157e+308,5e-324]",
        ] {
            let v = p(s);
            assert_eq!(p(&v.to_json_string()), v, "{s}");
        }
    }
}
