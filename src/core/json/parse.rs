//! [`parse`]: JSON text → [`Json`], strict RFC 8259, no dependencies.

use super::Json;

/// Nesting deeper than this is refused, so that hostile input cannot exhaust the stack.
pub(super) const MAX_DEPTH: usize = 128;

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
        match crate::core::number::from_decimal_parts(mantissa, exp) {
            Some(v) => Ok(if negative { -v } else { v }),
            None => Err(JsonError {
                message: "number out of range",
                offset: start,
            }),
        }
    }
}
