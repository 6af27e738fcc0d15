//! `loadFile(file, { signal?, fetch? })`: a [`JobFile`](crate::core::JobFile) of a job's `files`
//! as a `Blob` — its `url` downloaded (with no API key: the function has none), or its inline
//! base64 `data` decoded — typed with the file's `contentType`. Errors are `PolyjobError`s:
//! `CONFIG` (not a file, or neither url nor data), the HTTP status's code for a refused
//! download, `NETWORK`, `ABORTED`, `BAD_RESPONSE` (data that is not base64).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{call_options, opt_function, opt_string};
use super::error::to_js_error_for;
use crate::core::{Error, ErrorCode};
use crate::transport::{fetch_file, FetchFailure};

#[wasm_bindgen(module = "/src/js/files.js")]
extern "C" {
    /// A Blob of base64 data, or undefined when it is not base64.
    #[wasm_bindgen(js_name = blobOfBase64)]
    fn js_blob_of_base64(data: &str, content_type: Option<String>) -> JsValue;
}

/// The URL without its query and fragment, for messages (signed URLs carry tokens there).
fn url_for_message(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Downloads or decodes a job's file: resolves a `Blob` typed with its `contentType`.
#[wasm_bindgen(js_name = loadFile, unchecked_return_type = "Promise<Blob>")]
pub fn load_file(
    #[wasm_bindgen(unchecked_param_type = "JobFile")] file: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LoadFileOptions")] options: JsValue,
) -> Promise {
    let signal = super::convert::call_options(&options)
        .ok()
        .and_then(|o| o.signal);
    super::promise_at_call(async move {
        load(&file, &options)
            .await
            .map_err(|e| to_js_error_for(&e, signal.as_ref()))
    })
}

async fn load(file: &JsValue, options: &JsValue) -> Result<JsValue, Error> {
    if !file.is_object() {
        return Err(Error::config(
            "loadFile: file must be a JobFile (an entry of job.files)",
        ));
    }
    let content_type = opt_string(file, "contentType")?.filter(|t| !t.is_empty());
    let opts = call_options(options)?;
    if let Some(data) = opt_string(file, "data")?.filter(|d| !d.is_empty()) {
        let blob = js_blob_of_base64(&data, content_type);
        return if blob.is_undefined() {
            Err(Error::new(
                ErrorCode::BadResponse,
                "loadFile: the file's data is not base64",
            ))
        } else {
            Ok(blob)
        };
    }
    let url = opt_string(file, "url")?
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::config("loadFile: the file has neither url nor data"))?;
    if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("data:")) {
        return Err(Error::config(
            "loadFile: file.url must be an http(s) or data: URL",
        ));
    }
    let fetch_fn = match opt_function(options, "fetch")? {
        Some(f) => f,
        None => Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| Error::config("this runtime has no global fetch; pass options.fetch"))?,
    };
    let message = |what: &str| {
        let mut m = String::from("loadFile: ");
        m.push_str(what);
        m.push_str(url_for_message(&url));
        m
    };
    match fetch_file(&fetch_fn, &url, content_type, opts.signal.as_ref()).await {
        Ok(Ok(blob)) => Ok(blob),
        Ok(Err(status)) => {
            let mut what = String::from("HTTP ");
            crate::core::number::push_u64(&mut what, u64::from(status));
            what.push_str(" from ");
            let mut err = Error::new(ErrorCode::from_http_status(status), message(&what))
                .with_status(status)
                .with_retryable(matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504));
            err.attempts = 1;
            Err(err)
        }
        Err(FetchFailure::Aborted) => {
            Err(Error::new(ErrorCode::Aborted, "the operation was aborted"))
        }
        Err(FetchFailure::Network(text, host_error)) => {
            let mut what = String::from("network error (");
            what.push_str(&text);
            what.push_str(") fetching ");
            let mut err = Error::new(ErrorCode::Network, message(&what)).with_retryable(true);
            err.attempts = 1;
            err.cause = Some(crate::core::HostValue(std::rc::Rc::new(host_error)));
            Err(err)
        }
        Err(_) => Err(Error::new(ErrorCode::Network, message("could not fetch "))),
    }
}
