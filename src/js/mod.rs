//! The only `#[wasm_bindgen]` export surface: the `JobClient` class, the `JobWatch` and
//! `JobStream` async iterators, `isTerminal`, `loadFile`, the webhook checks, and the
//! conversions between JS values and the core types (a submit's input, files included). It holds no
//! policy and no provider knowledge; it converts, then delegates to `transport`.

mod client;
mod convert;
mod error;
mod files;
mod stream;
mod watch;
mod webhook;

pub use client::JobClient;
pub use files::load_file;
pub use stream::JobStream;
pub use watch::JobWatch;
pub use webhook::WebhookDeduper;

use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use crate::core::JobStatus;

/// True for the terminal statuses FINISHED, FAILED, TIMEOUT and CANCELLED; false for every
/// other value, including unknown strings.
#[wasm_bindgen(js_name = isTerminal, unchecked_return_type = "status is TerminalStatus")]
pub fn is_terminal(status: &str) -> bool {
    JobStatus::from_normalized(status).is_some_and(JobStatus::is_terminal)
}

#[wasm_bindgen(module = "/src/js/promise.js")]
extern "C" {
    /// A pending promise and its resolve function, as `[promise, resolve]`; with `call_site`,
    /// the caller's stack is captured for a rejection (see promise.js).
    fn deferred(call_site: bool) -> Array;
}

/// Runs an exported async operation as a JS promise: resolved with the `Ok` value, rejected
/// with the `Err` one. The running future holds the promise's resolve function only (a
/// rejection resolves it with a rejected promise, which the promise adopts a microtask later).
/// Every export goes through this one boxed type, so the spawn is compiled once instead of once
/// per method (wasm size). For the waits (`run`, `wait`, a watch's or a stream's `next`), which
/// may stay pending for hours by the thousand, and `get`.
pub(crate) fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    settle_with(Box::pin(f), false)
}

/// [`promise`] for a short call (`submit`, `cancel`, `list`, `estimate`, `balance`, `models`,
/// `loadFile`, `verifyWebhook`): its rejection's `stack` is the caller's (promise.js captures it
/// when the call is made), not the wasm frames the error is built in. Not for the waits (the
/// captured stack would be kept for as long as each one is pending), nor for `get`, the status
/// read a polling loop repeats: the capture costs ~8 µs there (bench/cpu.mjs drives `get`: 2.0–2.3×
/// plain JS without it, 2.9× with it, against a 2.5× guardrail).
pub(crate) fn promise_at_call(
    f: impl Future<Output = Result<JsValue, JsValue>> + 'static,
) -> Promise {
    settle_with(Box::pin(f), true)
}

/// The body of [`promise`], compiled once.
#[inline(never)]
fn settle_with(
    operation: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>,
    call_site: bool,
) -> Promise {
    let made = deferred(call_site);
    let promise: Promise = made.get(0).unchecked_into();
    let resolve: Function = made.get(1).unchecked_into();
    // Not through `transport::spawn`: boxing this block there would add a third allocation
    // to every pending call (spawn_local boxes what it is given).
    wasm_bindgen_futures::spawn_local(async move {
        let _ = match operation.await {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => {
                let rejected: JsValue = Promise::reject(&error).into();
                resolve.call2(&JsValue::UNDEFINED, &rejected, &error)
            }
        };
    });
    promise
}

/// An iterator result `{ value, done }`.
pub(crate) fn iter_step(value: &JsValue, done: bool) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &JsValue::from_str("value"), value);
    let _ = js_sys::Reflect::set(&o, &JsValue::from_str("done"), &JsValue::from_bool(done));
    o.into()
}

/// Makes `iterator` (an object with `next()`) usable with `for await`: its
/// `[Symbol.asyncIterator]` is `Object.prototype.valueOf`, which returns `this` — exactly what
/// that method must do, without evaluating code (Workers forbid eval / new Function).
pub(crate) fn make_async_iterable(iterator: &JsValue) {
    let proto = js_sys::Object::get_prototype_of(&js_sys::Object::new());
    if let Ok(value_of) = js_sys::Reflect::get(&proto, &JsValue::from_str("valueOf")) {
        let _ = js_sys::Reflect::set(iterator, &js_sys::Symbol::async_iterator(), &value_of);
    }
}
