//! [`Error`] → a real JS `Error` named `PolyjobError`, with `.code`, `.status`, `.provider`,
//! `.retryable`, `.attempts` and, for `JOB_FAILED`/`TIMEOUT`, `.job`. Messages come from the
//! core and never contain the API key.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::convert::job_to_js;
use crate::core::Error;

/// The JS error object for `err`.
pub(crate) fn to_js_error(err: &Error) -> JsValue {
    let js = js_sys::Error::new(&err.message);
    js.set_name("PolyjobError");
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&js, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(err.code.as_str()));
    set("status", err.status.map_or(JsValue::NULL, JsValue::from));
    set(
        "provider",
        err.provider
            .map_or(JsValue::NULL, |p| JsValue::from_str(p.as_str())),
    );
    set("retryable", JsValue::from_bool(err.retryable));
    set("attempts", JsValue::from(err.attempts));
    if let Some(ms) = err.retry_after_ms {
        set("retryAfterMs", JsValue::from_f64(ms));
    }
    if let Some(job) = &err.job {
        set("job", job_to_js(job));
    }
    js.into()
}
