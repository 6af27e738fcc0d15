//! Plain values for one HTTP exchange: what a provider translator asks to send
//! ([`HttpRequest`]) and what came back ([`HttpResponse`]). No I/O happens here.

use std::rc::Rc;

use super::form::FormPart;
use super::json::{self, Json};
use super::raw::Raw;

/// The HTTP methods the providers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A header list, shared: a client builds its usual list once and every request it sends
/// points at it (no per-request copies of the key and the other headers).
pub type Headers = Rc<[(String, String)]>;

/// A request body, as a translator describes it; the transport encodes it.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestBody {
    /// Serialized as JSON text (`content-type: application/json`).
    Json(Json),
    /// `multipart/form-data`, built by the host from these parts and the request's files
    /// (the host sets the `content-type` with its boundary).
    Form(Vec<FormPart>),
    /// `application/x-www-form-urlencoded` text, sent as it is (see [`super::form::url_encoded`]).
    UrlEncoded(String),
}

/// A request a provider translator wants sent. `headers` include the auth header; the transport
/// adds nothing but the body's `content-type`.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Headers,
    pub body: Option<RequestBody>,
}

impl HttpRequest {
    /// The JSON body, when the body is JSON.
    pub fn json_body(&self) -> Option<&Json> {
        match &self.body {
            Some(RequestBody::Json(j)) => Some(j),
            _ => None,
        }
    }

    /// The form parts, when the body is a form.
    pub fn form_parts(&self) -> Option<&[FormPart]> {
        match &self.body {
            Some(RequestBody::Form(parts)) => Some(parts),
            _ => None,
        }
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Sets header `name` (replacing one of any case) on this request only: the shared list
    /// is copied first.
    pub fn set_header(&mut self, name: &str, value: String) {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
            .cloned()
            .collect();
        headers.push((name.to_string(), value));
        self.headers = headers.into();
    }
}

/// A response body as decoded by the transport: JSON when it parsed as JSON, else the text.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Empty,
    Json(Json),
    /// Not JSON (an HTML error page, a truncated body...). Kept for error messages.
    Text(String),
}

impl Body {
    /// The JSON value, when the body was JSON.
    pub fn json(&self) -> Option<&Json> {
        match self {
            Body::Json(j) => Some(j),
            _ => None,
        }
    }
}

/// A response as received: status, the headers the policies read (lower-case names), and body.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The body's text when it was received as text and parsed as JSON: a job's `raw` shares
    /// it instead of copying the parsed tree. `None` for a response built from a value.
    pub json_text: Option<Rc<str>>,
}

impl HttpResponse {
    /// A response with a JSON body and no headers (handy in tests).
    pub fn json(status: u16, body: Json) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: Body::Json(body),
            json_text: None,
        }
    }

    /// A response from its body text as received: blank → `Empty`, JSON → `Json` (core's
    /// strict parser; the text is kept for `raw`), anything else → `Text`.
    #[inline(never)] // one copy in the wasm, not one per caller (the fetch and stream paths)
    pub fn from_text(status: u16, headers: Vec<(String, String)>, text: String) -> HttpResponse {
        let (body, json_text) = if text.trim().is_empty() {
            (Body::Empty, None)
        } else {
            match json::parse(&text) {
                Ok(value) => (Body::Json(value), Some(Rc::from(text))),
                Err(_) => (Body::Text(text), None),
            }
        };
        HttpResponse {
            status,
            headers,
            body,
            json_text,
        }
    }

    /// [`HttpResponse::from_text`] of the body's bytes, decoded as `Response.text()` would
    /// (see [`super::utf8::decode`]).
    pub fn from_bytes(status: u16, headers: Vec<(String, String)>, bytes: Vec<u8>) -> HttpResponse {
        HttpResponse::from_text(status, headers, super::utf8::decode(bytes))
    }

    /// The whole body as a job's `raw`: the received text when there is one, else the value
    /// (a non-JSON body as a string, an empty one as `null`).
    pub fn raw(&self) -> Raw {
        match (&self.json_text, &self.body) {
            (Some(text), Body::Json(_)) => Raw::Text(text.clone()),
            (_, Body::Json(value)) => Raw::Value(value.clone()),
            (_, Body::Text(text)) => Raw::Value(Json::String(text.clone())),
            (_, Body::Empty) => Raw::Value(Json::Null),
        }
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// True when header value `value` contains `needle`, ASCII case-insensitively (a `content-type`
/// naming `json`). A plain byte scan: the values are short, and core's substring searcher would
/// add ~2 KB to the wasm.
pub fn header_contains(value: &str, needle: &str) -> bool {
    let (hay, needle) = (value.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_contains_is_ascii_case_insensitive() {
        assert!(header_contains("Application/JSON; charset=utf-8", "json"));
        assert!(header_contains("text/event-stream", "text/event-stream"));
        assert!(header_contains("x", ""));
        assert!(!header_contains("js", "json"));
        assert!(!header_contains("text/html", "json"));
        assert!(!header_contains("ünï/jsön", "json"));
    }
}
