//! One HTTP exchange through a `fetch` function (the global one or the user's): builds the
//! request from an [`HttpRequest`], reads status, the headers the policies need, and the body,
//! and decodes the body with the host's `JSON.parse`. No retries, no policy.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use crate::core::{json, Body, HttpRequest, HttpResponse, Json};

/// Response headers the core reads (redirect target, retry advice, rate-limit class, type).
const READ_HEADERS: [&str; 6] = [
    "location",
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-type",
    "content-type",
    "content-length",
];

/// Bodies larger than this are refused rather than read (a 100 MB body must not OOM a page).
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why an exchange produced no response.
#[derive(Debug)]
pub(crate) enum FetchFailure {
    /// `fetch` rejected or threw (network error, abort, bad request init). The message is the
    /// host's, which never contains the key (the key only travels in headers).
    Network(String),
    /// The response was larger than [`MAX_BODY_BYTES`].
    TooLarge,
}

/// Sends `req` and returns the response as soon as its headers are in, body unread (for
/// streams). Fails with the host's error text.
pub(crate) async fn open(
    fetch_fn: &Function,
    req: &HttpRequest,
    signal: &AbortSignal,
) -> Result<Response, String> {
    let init = Object::new();
    let headers = Object::new();
    for (name, value) in &req.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    set(&init, "method", &JsValue::from_str(req.method.as_str()));
    if let Some(body) = &req.body {
        set(
            &headers,
            "content-type",
            &JsValue::from_str("application/json"),
        );
        let text =
            to_json_text(body).map_err(|_| String::from("could not encode the request body"))?;
        set(&init, "body", &text);
    }
    set(&init, "headers", &headers);
    set(&init, "signal", signal);
    // Never follow a redirect silently: the key is in a header, and x-api-key is not stripped
    // on cross-origin redirects. The engine follows same-origin ones itself.
    set(&init, "redirect", &JsValue::from_str("manual"));

    let promise = fetch_fn
        .call2(&js_sys::global(), &JsValue::from_str(&req.url), &init)
        .map_err(|e| error_text(&e))?;
    let promise: Promise = promise.unchecked_into();
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| error_text(&e))?
        .unchecked_into();
    Ok(response)
}

/// Sends `req` through `fetch_fn` with `signal` and reads the whole (capped) body.
pub(crate) async fn send(
    fetch_fn: &Function,
    req: &HttpRequest,
    signal: &AbortSignal,
) -> Result<HttpResponse, FetchFailure> {
    let response = open(fetch_fn, req, signal)
        .await
        .map_err(FetchFailure::Network)?;
    finish(&response).await
}

/// Reads status, the policy headers and the capped body of an opened response.
pub(crate) async fn finish(response: &Response) -> Result<HttpResponse, FetchFailure> {
    let status = response.status();
    let mut read_headers = Vec::new();
    let response_headers = response.headers();
    for name in READ_HEADERS {
        if let Ok(Some(value)) = response_headers.get(name) {
            read_headers.push((name.to_string(), value));
        }
    }
    let declared_len = read_headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| crate::core::number::parse_decimal(v));
    if declared_len.is_some_and(|n| n > MAX_BODY_BYTES as f64) {
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Err(FetchFailure::TooLarge);
    }
    // With a declared length under the cap (the common case) one `text()` is cheapest: the
    // runtime enforces Content-Length. Without one, read chunk by chunk and stop at the cap.
    let text = if declared_len.is_some() {
        let promise = response
            .text()
            .map_err(|e| FetchFailure::Network(error_text(&e)))?;
        JsFuture::from(promise)
            .await
            .map_err(|e| FetchFailure::Network(error_text(&e)))?
            .as_string()
            .unwrap_or_default()
    } else {
        read_capped(response).await?
    };
    Ok(HttpResponse {
        status: status as u16,
        headers: read_headers,
        body: decode_body(text),
    })
}

/// Reads the body as UTF-8 text, chunk by chunk, refusing it as soon as it passes
/// [`MAX_BODY_BYTES`] (the stream is cancelled, so the rest is never downloaded).
async fn read_capped(response: &Response) -> Result<String, FetchFailure> {
    let Some(stream) = response.body() else {
        return Ok(String::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|e| FetchFailure::Network(error_text(&e)))?;
        if Reflect::get(&step, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let chunk = Reflect::get(&step, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
        let Some(chunk) = chunk.dyn_ref::<Uint8Array>() else {
            return Err(FetchFailure::Network(
                "the response body is not a byte stream".into(),
            ));
        };
        if bytes.len() + chunk.length() as usize > MAX_BODY_BYTES {
            let _ = reader.cancel();
            return Err(FetchFailure::TooLarge);
        }
        let start = bytes.len();
        bytes.resize(start + chunk.length() as usize, 0);
        chunk.copy_to(&mut bytes[start..]);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Decodes a body: empty → `Empty`, JSON → `Json` (core's parser), else `Text`.
pub(crate) fn decode_body(text: String) -> Body {
    if text.trim().is_empty() {
        return Body::Empty;
    }
    match json::parse(&text) {
        Ok(value) => Body::Json(value),
        Err(_) => Body::Text(text),
    }
}

/// Converts a [`Json`] to a plain JS value: scalars directly, containers with one `JSON.parse`
/// of the serialized text (a single boundary crossing).
pub(crate) fn to_js(value: &Json) -> JsValue {
    match value {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(*n),
        Json::String(s) => JsValue::from_str(s),
        _ => JSON::parse(&value.to_json_string()).unwrap_or(JsValue::NULL),
    }
}

/// A JS value (as given by the user) to [`Json`] through `JSON.stringify`; `None` when it has
/// no JSON form (a function, a BigInt, a cycle).
pub(crate) fn from_js(value: &JsValue) -> Option<Json> {
    if value.is_undefined() {
        return Some(Json::Null);
    }
    let text = JSON::stringify(value).ok()?.as_string()?;
    json::parse(&text).ok()
}

fn to_json_text(value: &Json) -> Result<JsValue, JsValue> {
    Ok(JsValue::from_str(&value.to_json_string()))
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The message of a thrown JS value (an `Error`'s `.message`, a string, or a generic text).
pub(crate) fn error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let mut msg: String = err.message().into();
        // Node's undici puts the useful part ("ECONNREFUSED") in `cause`.
        if let Ok(cause) = Reflect::get(err, &JsValue::from_str("cause")) {
            if let Some(code) = Reflect::get(&cause, &JsValue::from_str("code"))
                .ok()
                .and_then(|c| c.as_string())
            {
                msg.push_str(" (");
                msg.push_str(&code);
                msg.push(')');
            }
        }
        return msg;
    }
    e.as_string().unwrap_or_else(|| "fetch failed".into())
}
