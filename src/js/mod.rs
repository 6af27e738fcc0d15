//! The only `#[wasm_bindgen]` export surface: the `JobClient` class, the `JobWatch` async
//! iterator, `isTerminal`, and the conversions between JS values and the core types. It holds no
//! policy and no provider knowledge; it converts, then delegates to `transport`.

mod client;
mod convert;
mod error;
mod stream;
mod watch;
mod webhook;

pub use client::JobClient;
pub use stream::JobStream;
pub use watch::JobWatch;
pub use webhook::WebhookDeduper;

use std::future::Future;
use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::core::JobStatus;

/// True for the terminal statuses FINISHED, FAILED, TIMEOUT and CANCELLED; false for every
/// other value, including unknown strings.
#[wasm_bindgen(js_name = isTerminal, unchecked_return_type = "status is TerminalStatus")]
pub fn is_terminal(status: &str) -> bool {
    JobStatus::from_normalized(status).is_some_and(JobStatus::is_terminal)
}

/// Runs an exported async operation as a JS promise. Every export goes through this one boxed
/// type, so `future_to_promise` is instantiated once instead of once per method (wasm size).
pub(crate) fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(f);
    wasm_bindgen_futures::future_to_promise(boxed)
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
