//! [`Error`] → an instance of the package's `PolyjobError` class (error.js), with `.code`,
//! `.status`, `.provider`, `.retryable`, `.attempts`, `.retryAfterMs` when advised, `.job` for
//! `JOB_FAILED`/`TIMEOUT`, and `.cause` when a host error or an abort reason caused it. Messages
//! come from the core and never contain the API key.

use wasm_bindgen::prelude::*;

use super::convert::job_to_js;
use crate::core::Error;

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

/// The JS error object for `err`.
pub(crate) fn to_js_error(err: &Error) -> JsValue {
    to_js_error_with_cause(err, JsValue::UNDEFINED)
}

/// The JS error object for `err`, with `cause` (a host error, an abort reason) as its `.cause`
/// (`undefined` for none).
pub(crate) fn to_js_error_with_cause(err: &Error, cause: JsValue) -> JsValue {
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
