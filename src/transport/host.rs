//! The JS side of the transport, `exchange.js`, as Rust sees it: every function of it that wasm
//! calls, declared in this one block (one import module in the glue: bundlers see each import
//! once, and warn about no duplicate key). What each does is documented in exchange.js; the
//! numbers they report with are `completion::kind`'s.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

#[wasm_bindgen(module = "/src/transport/exchange.js")]
extern "C" {
    /// Gives exchange.js the shared settle function (once per instance).
    #[wasm_bindgen(js_name = install)]
    pub(crate) fn js_install(settle: &JsValue);

    /// Reports `slot` (kind SIGNAL) when `signal` fires; one listener per signal.
    #[wasm_bindgen(js_name = watchAbort)]
    pub(crate) fn js_watch_abort(signal: &AbortSignal, slot: u32);
    /// Stops reporting `slot` for `signal`.
    #[wasm_bindgen(js_name = unwatchAbort)]
    pub(crate) fn js_unwatch_abort(signal: &AbortSignal, slot: u32);

    /// Sends one request and reads its answer; reports the outcome to `slot` (see exchange.js).
    #[wasm_bindgen(js_name = exchange)]
    pub(crate) fn js_exchange(
        fetch_fn: &Function,
        url: &str,
        method: u32,
        headers: &JsValue,
        body: &JsValue,
        parent: Option<AbortSignal>,
        timeout_ms: f64,
        cap: f64,
        slot: u32,
    );

    /// Sends one request; reports the Response (body unread) or the error text to `slot`.
    #[wasm_bindgen(js_name = open)]
    pub(crate) fn js_open(
        fetch_fn: &Function,
        url: &str,
        method: u32,
        headers: &JsValue,
        body: &JsValue,
        signal: &AbortSignal,
        slot: u32,
    );

    /// A `{ name: value }` object of a flat `[name, value, ...]` list.
    #[wasm_bindgen(js_name = headerObject)]
    pub(crate) fn js_header_object(flat: Vec<String>) -> JsValue;

    /// Reads an opened response's status, headers and capped body; reports them to `slot` as
    /// `exchange` does.
    #[wasm_bindgen(js_name = finish)]
    pub(crate) fn js_finish(response: &Response, cap: f64, slot: u32);

    /// Reads one chunk of a body stream; reports it (or the end, or the error) to `slot`.
    #[wasm_bindgen(js_name = readChunk)]
    pub(crate) fn js_read_chunk(reader: &ReadableStreamDefaultReader, slot: u32);

    /// Downloads a result file; reports the Blob (or the status of a refusal) to `slot`.
    #[wasm_bindgen(js_name = fetchFile)]
    pub(crate) fn js_fetch_file(
        fetch_fn: &Function,
        url: &str,
        content_type: Option<String>,
        signal: Option<AbortSignal>,
        slot: u32,
    );

    /// Reads a Request's (or Response's) whole body; reports its bytes to `slot`.
    #[wasm_bindgen(js_name = readBytes)]
    pub(crate) fn js_read_bytes(source: &JsValue, slot: u32);
}
