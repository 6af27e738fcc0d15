//! [`Error`] → an instance of the package's `PolyjobError` class (error.js), with `.code`,
//! `.status`, `.provider`, `.retryable`, `.attempts`, `.retryAfterMs` when advised, `.job` for
//! `JOB_FAILED`/`TIMEOUT`, and `.cause` when a host error or an abort reason caused it. Messages
//! come from the core and never contain the API key.

use wasm_bindgen::prelude::*;

use web_sys::AbortSignal;

use super::convert::job_to_js;
use crate::core::{Error, ErrorCode};

#[wasm_bindgen(module = "/src/js/error.js")]
extern "C" {
    /// A `PolyjobError` of its fields (see error.js).
    #[wasm_bindgen(js_name = makeError)]
    #[allow(clippy::too_many_arguments)]
    fn js_make_error(
        message: &str,
        code: &str,
        status: Option<u16>,
        provider: Option<&str>,
        retryable: bool,
        attempts: u32,
        retry_after_ms: Option<f64>,
        job: JsValue,
        cause: JsValue,
    ) -> JsValue;
}

/// The JS error object for `err`; its `.cause` is the host error the core carried, if any.
pub(crate) fn to_js_error(err: &Error) -> JsValue {
    let cause = err
        .cause
        .as_ref()
        .and_then(|c| c.0.downcast_ref::<JsValue>())
        .cloned()
        .unwrap_or(JsValue::UNDEFINED);
    to_js_error_with_cause(err, cause)
}

/// The JS error object for `err` of a call made with `signal`: an `ABORTED` error's `.cause`
/// is the signal's `reason` (what the caller passed to `abort()`).
pub(crate) fn to_js_error_for(err: &Error, signal: Option<&AbortSignal>) -> JsValue {
    match signal.filter(|s| err.code == ErrorCode::Aborted && s.aborted()) {
        Some(signal) => to_js_error_with_cause(
            err,
            js_sys::Reflect::get(signal, &JsValue::from_str("reason")).unwrap_or_default(),
        ),
        None => to_js_error(err),
    }
}

/// The JS error object for `err`, with `cause` (a host error, an abort reason) as its `.cause`
/// (`undefined` for none).
fn to_js_error_with_cause(err: &Error, cause: JsValue) -> JsValue {
    js_make_error(
        &err.message,
        err.code.as_str(),
        err.status,
        err.provider.map(|p| p.as_str()),
        err.retryable,
        err.attempts,
        err.retry_after_ms,
        err.job.as_deref().map_or(JsValue::UNDEFINED, job_to_js),
        cause,
    )
}
