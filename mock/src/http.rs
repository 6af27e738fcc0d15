//! Small HTTP helpers shared by the provider modules.
//!
//! Owns: JSON responses, reading a request body (bounded), classifying a JSON body, the absolute
//! base URL from the `Host` header, bearer-token extraction and path splitting. Must not touch:
//! provider wire formats or job state.

use axum::body::{Body, Bytes};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Largest request body the mock reads (bigger ones get the provider's 4xx).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A JSON response with `status`.
pub fn json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bytes,
    )
        .into_response()
}

/// What a request body turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonBody {
    /// No bytes (or only whitespace).
    Empty,
    /// Not JSON (or larger than `BODY_LIMIT`).
    Invalid,
    /// Any JSON value (object or not).
    Value(Value),
}

/// Reads and classifies a request body. Never fails: oversized or broken bodies are `Invalid`.
pub async fn read_json(body: Body) -> JsonBody {
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => classify(&bytes),
        Err(_) => JsonBody::Invalid,
    }
}

/// Classifies already-read bytes.
pub fn classify(bytes: &Bytes) -> JsonBody {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return JsonBody::Empty;
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => JsonBody::Value(v),
        Err(_) => JsonBody::Invalid,
    }
}

/// `http://HOST` for absolute links: the `Host` header, else the URI's authority, else `fallback`.
pub fn base_url(parts: &Parts, fallback: &str) -> String {
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| fallback.to_owned());
    format!("http://{host}")
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A header's value as text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// The non-empty path segments after `prefix` (`/serika/jobs/x/` → `["jobs", "x"]`).
pub fn segments<'a>(path: &'a str, prefix: &str) -> Vec<&'a str> {
    path.strip_prefix(prefix)
        .unwrap_or(path)
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// The body's string member `key`, or its JSON text when it is another non-null value.
pub fn text_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A non-empty string member `key`.
pub fn nonempty_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Seconds with two decimals and a unit, as Optexity writes them: `"2.25 seconds"`.
pub fn seconds_text(ms: u64) -> String {
    format!("{:.2} seconds", ms as f64 / 1000.0)
}

/// Rounds to `places` decimals.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer  k1 "));
        assert_eq!(bearer(&h), Some("k1"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic k1"));
        assert_eq!(bearer(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn classify_bodies() {
        assert_eq!(classify(&Bytes::from_static(b" \n")), JsonBody::Empty);
        assert_eq!(classify(&Bytes::from_static(b"{")), JsonBody::Invalid);
        assert_eq!(
            classify(&Bytes::from_static(b"[1]")),
            JsonBody::Value(serde_json::json!([1]))
        );
        assert_eq!(segments("/serika/jobs/x/", "/serika"), vec!["jobs", "x"]);
        assert_eq!(seconds_text(2250), "2.25 seconds");
    }
}
