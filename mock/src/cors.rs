//! CORS for pages served from another origin (the wasm test page, the demo).
//!
//! Owns: answering every `OPTIONS` preflight with 204, and adding `Access-Control-Allow-Origin: *`
//! and the exposed headers to every other response. Must not touch: routing, auth (a preflight
//! never carries credentials, so it is answered before any provider sees it).

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Request headers a page may send.
pub const ALLOW_HEADERS: &str =
    "authorization, x-api-key, content-type, idempotency-key, last-event-id, accept, x-mock-faults";
/// Response headers a page may read.
pub const EXPOSE_HEADERS: &str = "Retry-After, X-RateLimit-Type, retry-after-ms, x-mock-fault";
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

/// Middleware: preflights end here; everything else gets the CORS headers added.
pub async fn layer(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        let methods = req
            .headers()
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .filter(|m| m.to_str().is_ok_and(|s| !s.is_empty()))
            .and_then(|m| {
                // A method outside the usual list is allowed too: name it first.
                let m = m.to_str().unwrap_or_default().trim();
                let listed = ALLOW_METHODS.split(", ").any(|k| k.eq_ignore_ascii_case(m));
                (!listed)
                    .then(|| HeaderValue::from_str(&format!("{m}, {ALLOW_METHODS}")).ok())
                    .flatten()
            })
            .unwrap_or(HeaderValue::from_static(ALLOW_METHODS));
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        h.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        add_headers(&mut res);
        return res;
    }
    let mut res = next.run(req).await;
    add_headers(&mut res);
    res
}

fn add_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}
