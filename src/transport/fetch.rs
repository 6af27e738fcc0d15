//! One HTTP exchange through a `fetch` function (the global one or the user's). The exchange
//! itself (request init, headers, capped body read, per-request timeout) runs in the small JS
//! helper `exchange.js`, called once per request, which reports the outcome to a completion
//! [`Slot`]; this module turns the report into an [`HttpResponse`] (the body's bytes decoded as
//! `text()` would, then by core's JSON parser). Streams open a request and read its body later ([`open`], [`finish`]). No
//! retries, no policy.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use super::completion::{kind, Report, Slot};
use super::host::{
    js_exchange, js_fetch_file, js_finish, js_header_object, js_open, js_read_bytes, js_read_chunk,
};
use crate::core::{json, Headers, HttpRequest, HttpResponse, Json, Method, PartValue, RequestBody};

/// The response headers the core reads, in the order exchange.js hands them over (redirect
/// target and retry advice, read for non-2xx answers only; type).
const READ_HEADERS: [&str; 4] = ["location", "retry-after", "retry-after-ms", "content-type"];

/// Response bodies larger than this are refused rather than read, unless the client sets
/// `maxResponseBytes` (a 1 GB body must not exhaust a page's memory; base64 results of a few MB
/// must pass).
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Why an exchange produced no response.
#[derive(Debug)]
pub(crate) enum FetchFailure {
    /// `fetch` rejected or threw (network error, bad request init): the host's message, which
    /// never contains the key (the key only travels in headers), and its error object.
    Network(String, JsValue),
    /// The per-request timeout elapsed first.
    Timeout,
    /// The caller's signal fired.
    Aborted,
    /// The response was larger than the cap (`maxResponseBytes`).
    TooLarge,
}

/// Sends `req` and returns the response as soon as its headers are in, body unread (for
/// streams). Fails with the host's error text.
pub(crate) async fn open(
    fetch_fn: &Function,
    req: &HttpRequest,
    files: Option<&Array>,
    signal: &AbortSignal,
) -> Result<Response, String> {
    let (headers, method, body) = request_parts(req, files);
    let slot = Slot::new();
    js_open(
        fetch_fn,
        &req.url,
        method,
        &headers,
        &body,
        signal,
        slot.id(),
    );
    let report = slot.await;
    match report.kind {
        kind::OK => Ok(report.payload.unchecked_into()),
        _ => Err(report.text().unwrap_or_else(|| "fetch failed".into())),
    }
}

/// How many distinct header lists keep their JS object (a client's requests repeat the same
/// auth headers; submits with an idempotency key add one-off lists).
const HEADER_OBJECTS: usize = 8;

/// Header lists and the JS objects built for them.
type HeaderCache = Vec<(Headers, JsValue)>;

thread_local! {
    /// Header lists and their JS objects, most recently used last: built once, then passed by
    /// reference (exchange.js copies the object per request, so a fetch that edits its init
    /// cannot leak into the next request).
    static HEADER_CACHE: RefCell<HeaderCache> = const { RefCell::new(Vec::new()) };
}

/// The JS headers object of `headers`, from the cache when it was built before: found by
/// pointer for a client's shared list, by content for a one-off list.
fn header_object(headers: &Headers) -> JsValue {
    HEADER_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(at) = cache
            .iter()
            .position(|(h, _)| Rc::ptr_eq(h, headers) || **h == **headers)
        {
            let hit = cache.remove(at);
            let object = hit.1.clone();
            cache.push(hit);
            return object;
        }
        let mut flat = Vec::with_capacity(headers.len() * 2);
        for (name, value) in headers.iter() {
            flat.push(name.clone());
            flat.push(value.clone());
        }
        let object = js_header_object(flat);
        if cache.len() >= HEADER_OBJECTS {
            cache.remove(0);
        }
        cache.push((headers.clone(), object.clone()));
        object
    })
}

/// The method's number in exchange.js (`METHODS`).
fn method_code(method: Method) -> u32 {
    match method {
        Method::Get => 0,
        Method::Post => 1,
        Method::Delete => 2,
    }
}

/// The headers object, method number and body exchange.js takes: the body is `undefined`, a
/// JSON text, a form as a flat `[name, value, ...]` array whose values are texts or the
/// request's files (`files[i]` for [`PartValue::File`]`(i)`; exchange.js builds the FormData), or
/// URL-encoded form text as `{ urlencoded: text }`.
fn request_parts(req: &HttpRequest, files: Option<&Array>) -> (JsValue, u32, JsValue) {
    let body = match &req.body {
        None => JsValue::UNDEFINED,
        Some(RequestBody::Json(json)) => JsValue::from_str(&json.to_json_string()),
        Some(RequestBody::Form(parts)) => {
            let form = Array::new();
            for part in parts {
                form.push(&JsValue::from_str(&part.name));
                form.push(&match &part.value {
                    PartValue::Text(text) => JsValue::from_str(text),
                    PartValue::File(i) => files.map_or(JsValue::UNDEFINED, |f| f.get(*i as u32)),
                });
            }
            form.into()
        }
        Some(RequestBody::UrlEncoded(text)) => {
            let body = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&body, &"urlencoded".into(), &JsValue::from_str(text));
            body.into()
        }
    };
    (header_object(&req.headers), method_code(req.method), body)
}

/// Sends `req` (a form body takes its files from `files`) through `fetch_fn` and reads the whole
/// body, refusing one over `cap` bytes ([`FetchFailure::TooLarge`]). The request is aborted
/// when `parent` fires ([`FetchFailure::Aborted`]) or after `timeout_ms`
/// ([`FetchFailure::Timeout`]; `f64::INFINITY` for none). exchange.js reports the outcome to a
/// [`Slot`]: no promise or closure is made per request.
pub(crate) async fn send(
    fetch_fn: &Function,
    req: &HttpRequest,
    files: Option<&Array>,
    parent: Option<&AbortSignal>,
    timeout_ms: f64,
    cap: f64,
) -> Result<HttpResponse, FetchFailure> {
    if parent.is_some_and(AbortSignal::aborted) {
        return Err(FetchFailure::Aborted);
    }
    let (headers, method, body) = request_parts(req, files);
    let slot = Slot::new();
    js_exchange(
        fetch_fn,
        &req.url,
        method,
        &headers,
        &body,
        parent.cloned(),
        timeout_ms,
        cap,
        slot.id(),
    );
    response_of(slot.await)
}

/// Reads status, the policy headers and the body (at most `cap` bytes) of an opened response.
pub(crate) async fn finish(response: &Response, cap: f64) -> Result<HttpResponse, FetchFailure> {
    let slot = Slot::new();
    js_finish(response, cap, slot.id());
    response_of(slot.await)
}

/// The next chunk of a body stream: `Some(bytes)`, `None` at its end; `Err` when reading failed
/// (the stream errored or was cancelled).
pub(crate) async fn read_chunk(
    reader: &ReadableStreamDefaultReader,
) -> Result<Option<Vec<u8>>, ()> {
    let slot = Slot::new();
    js_read_chunk(reader, slot.id());
    let report = slot.await;
    match report.kind {
        kind::OK if report.status == 1 => Ok(None),
        kind::OK => Ok(Some(report.bytes.unwrap_or_default())),
        _ => Err(()),
    }
}

/// The whole body of a `Request` (anything with `arrayBuffer()`), as bytes; `Err` when it
/// cannot be read (already read, not a body).
pub(crate) async fn read_bytes(source: &JsValue) -> Result<Vec<u8>, ()> {
    let slot = Slot::new();
    js_read_bytes(source, slot.id());
    let report = slot.await;
    match report.kind {
        kind::OK => report.bytes.ok_or(()),
        _ => Err(()),
    }
}

/// Downloads the file at `url` through `fetch_fn` without any header (no key ever goes to a
/// file URL), following redirects: `Ok(Ok(blob))` typed `content_type` when given,
/// `Ok(Err(status))` for a non-2xx answer, `Err` when the request failed or `signal` fired.
pub(crate) async fn fetch_file(
    fetch_fn: &Function,
    url: &str,
    content_type: Option<String>,
    signal: Option<&AbortSignal>,
) -> Result<Result<JsValue, u16>, FetchFailure> {
    let slot = Slot::new();
    js_fetch_file(fetch_fn, url, content_type, signal.cloned(), slot.id());
    let report = slot.await;
    match report.kind {
        kind::OK if report.payload.is_undefined() => Ok(Err(report.status)),
        kind::OK => Ok(Ok(report.payload)),
        kind::ABORTED => Err(FetchFailure::Aborted),
        _ => Err(FetchFailure::Network(
            report.text().unwrap_or_else(|| "fetch failed".into()),
            report.payload,
        )),
    }
}

/// The response or failure an exchange (or a finish) reported.
fn response_of(report: Report) -> Result<HttpResponse, FetchFailure> {
    match report.kind {
        kind::OK => {
            let mut headers = Vec::new();
            if let Some(joined) = &report.headers {
                for (name, value) in READ_HEADERS.iter().zip(joined.split('\n')) {
                    if !value.is_empty() {
                        headers.push((name.to_string(), value.to_string()));
                    }
                }
            }
            let bytes = report.bytes.unwrap_or_default();
            Ok(HttpResponse::from_bytes(report.status, headers, bytes))
        }
        kind::TIMEOUT => Err(FetchFailure::Timeout),
        kind::ABORTED => Err(FetchFailure::Aborted),
        kind::TOO_LARGE => Err(FetchFailure::TooLarge),
        kind::NETWORK => Err(FetchFailure::Network(
            report.text().unwrap_or_else(|| "fetch failed".into()),
            report.payload,
        )),
        _ => Err(FetchFailure::Network(
            "fetch failed".into(),
            JsValue::UNDEFINED,
        )),
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
