//! Optexity (browser-automation "inference"), `x-api-key` auth:
//! start `POST {base}/api/v1/inference` (body = input, `model` → `endpoint_name`),
//! status `POST {base}/api/v1/inference/call` with `{"task_id"}`,
//! list `POST {base}/api/v1/inference/all_calls`. No cancel endpoint is public.
//!
//! Reads both the seed (legacy) shape — `running` + `progress` 0..100, `completed`, `failed` with
//! `error_code` — and the current API's words (`allocated`, `success`, `killed`, `output_data`).
//! `{"success": true, "status": "failed"}` is a FAILED job, not a transport error;
//! `{"success": false}` is an error.
//!
//! Files: no file inputs (a file in `input` is `CONFIG`: pass a public URL string in
//! `input_parameters`). Out: `downloads[{url, filename}]` → `download` files,
//! `final_screenshot` (base64) → a `screenshot` file (image/png).
//!
//! Callbacks: a submit's `webhook_url` / `webhook_secret` go out as `task_callback_url` /
//! `task_callback_api_key`; the task callback Optexity POSTs there ([`parse_callback`], after
//! `core::webhook::verify_optexity` checked its key) is read like a status body.

use super::common::{
    ensure_failure_error, input_object, job_error, object_body, progress, refuse_files, request,
    required_id, status_word, timestamp_to_iso,
};
use super::{Adapter, ClientConfig, SubmitRequest};
use crate::core::{
    Error, ErrorCode, FileRole, HttpRequest, HttpResponse, Job, JobFile, JobStatus, Json, Method,
    Provider, Raw,
};

pub(super) struct Optexity;

/// Optexity's status words, legacy and current.
pub(crate) fn map_status(word: &str) -> JobStatus {
    match word.to_ascii_lowercase().as_str() {
        "queued" | "allocated" | "started" => JobStatus::Queued,
        "running" => JobStatus::Processing,
        "completed" | "success" => JobStatus::Finished,
        "failed" => JobStatus::Failed,
        "cancelled" | "killed" => JobStatus::Cancelled,
        _ => JobStatus::Unknown,
    }
}

impl Adapter for Optexity {
    fn provider(&self) -> Provider {
        Provider::Optexity
    }

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        refuse_files(
            Provider::Optexity,
            req,
            "pass a public URL string in input_parameters instead",
        )?;
        let mut body = input_object(Provider::Optexity, &req.input)?;
        if let Some(model) = &req.model {
            body.set("endpoint_name", Json::String(model.clone()));
        }
        if body.get("endpoint_name").is_none() && body.get("end_point").is_none() {
            return Err(Error::config(
                "optexity: submit needs a model (sent as endpoint_name)",
            ));
        }
        if let Some(url) = &req.webhook_url {
            // The current API's per-task callback (no signature; see providers.md §2).
            body.set("task_callback_url", Json::String(url.clone()));
        }
        if let Some(key) = &req.webhook_secret {
            // Sent back by Optexity with the callback (core::webhook::verify_optexity).
            body.set("task_callback_api_key", Json::String(key.clone()));
        }
        let url = super::join_url(&cfg.base_url, "/api/v1/inference");
        Ok(request(cfg, Method::Post, url, Some(body)))
    }

    fn parse_submit(&self, resp: &HttpResponse) -> Result<Job, Error> {
        let body = success_body(resp)?;
        required_id(Provider::Optexity, body, &["task_id", "id"])?;
        // `202 {"success","message","task_id"}`, legacy `{..., "status":"started"}`; a start
        // answer may already carry a full task (e.g. failed at once): read it like a status.
        let mut job = parse_task(body, resp.raw(), None)?;
        if body.get("status").is_none() {
            job.status = JobStatus::Queued;
        }
        Ok(job)
    }

    fn status(&self, cfg: &ClientConfig, id: &str, _last: Option<&Job>) -> HttpRequest {
        let url = super::join_url(&cfg.base_url, "/api/v1/inference/call");
        let body = Json::object([("task_id", Json::String(id.to_string()))]);
        request(cfg, Method::Post, url, Some(body))
    }

    fn parse_status(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        parse_task(success_body(resp)?, resp.raw(), Some(id))
    }

    fn list(&self, cfg: &ClientConfig) -> Result<HttpRequest, Error> {
        let url = super::join_url(&cfg.base_url, "/api/v1/inference/all_calls");
        Ok(request(cfg, Method::Post, url, None))
    }

    fn parse_list(&self, resp: &HttpResponse) -> Result<Vec<Job>, Error> {
        let body = success_body(resp)?;
        let items = body
            .get("requests")
            .or_else(|| body.get("tasks"))
            .and_then(Json::as_array)
            .ok_or_else(|| {
                Error::bad_response(Provider::Optexity, "optexity: list has no requests array")
            })?;
        items
            .iter()
            .map(|item| parse_task(item, item.clone().into(), None))
            .collect()
    }
}

/// Translates an Optexity task callback, the raw body as received (already key-checked):
/// `{task_id, recording_id, endpoint_name, status, output_data, error, final_screenshot,
/// downloads[{url, filename}], downloads_with_metadata?, input_parameters?,
/// unique_parameter_names?}` (Optexity/optexity `schema/callback.py` `CallbackResponse`). Read
/// as a status body is: the same status words (`success` → FINISHED, `failed`, `cancelled` /
/// `killed`, …), `output_data` → `result`, `downloads` and `final_screenshot` → `files`,
/// `error` on a failed job. `raw` is the body's text.
///
/// Errors: `BAD_RESPONSE` when the body is not a JSON object or has no `task_id`.
pub fn parse_callback(body: &str) -> Result<Job, Error> {
    let resp = HttpResponse::from_text(200, Vec::new(), body.to_string());
    let payload = match &resp.body {
        crate::core::Body::Json(v) if v.is_object() => v,
        _ => {
            return Err(Error::bad_response(
                Provider::Optexity,
                "optexity: callback body is not a JSON object",
            ))
        }
    };
    parse_task(payload, resp.raw(), None)
}

/// The object body of a 2xx answer, unless it says `"success": false`.
fn success_body(resp: &HttpResponse) -> Result<&Json, Error> {
    let body = object_body(Provider::Optexity, resp)?;
    if body.get("success").and_then(Json::as_bool) == Some(false) {
        let mut err = Error::from_response(
            Provider::Optexity,
            &HttpResponse {
                status: resp.status,
                headers: Vec::new(),
                body: resp.body.clone(),
                json_text: None,
            },
        );
        err.code = ErrorCode::BadResponse;
        err.retryable = false;
        return Err(err);
    }
    Ok(body)
}

/// A task's files: each `downloads[{url, filename}]` entry, then `final_screenshot`.
fn files_of(body: &Json) -> Vec<JobFile> {
    let mut files: Vec<JobFile> = body
        .get("downloads")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let url = d.get_str("url")?.trim();
            (!url.is_empty())
                .then(|| JobFile::from_url(FileRole::Download, url).named(d.get_str("filename")))
        })
        .collect();
    if let Some(shot) = body
        .get_str("final_screenshot")
        .and_then(|s| JobFile::from_content(FileRole::Screenshot, s))
    {
        files.push(if shot.content_type.is_none() {
            shot.typed(Some("image/png"))
        } else {
            shot
        });
    }
    files
}

/// A task status body (seed or current shape) → Job; `raw` is that body as received.
fn parse_task(body: &Json, raw: Raw, requested_id: Option<&str>) -> Result<Job, Error> {
    if !body.is_object() {
        return Err(Error::bad_response(
            Provider::Optexity,
            "optexity: task is not a JSON object",
        ));
    }
    let id = match required_id(Provider::Optexity, body, &["task_id", "id"]) {
        Ok(id) => id,
        Err(e) => match requested_id {
            Some(id) => id.to_string(),
            None => return Err(e),
        },
    };
    let status = status_word(body, "status").map_or(JobStatus::Unknown, |w| map_status(&w));
    let mut job = Job::new(Provider::Optexity, id, status);
    job.progress = progress(body.get_non_null("progress"), 100.0);
    if status == JobStatus::Finished {
        job.progress = Some(1.0);
    }
    job.result = body
        .get_non_null("result")
        .or_else(|| body.get_non_null("output_data"))
        .cloned();
    job.files = files_of(body);
    job.result_url = job.files.first().and_then(|f| f.url.clone());
    if matches!(
        status,
        JobStatus::Failed | JobStatus::Cancelled | JobStatus::Unknown
    ) {
        job.error = job_error(body, &["error_code"], &[]);
    }
    ensure_failure_error(&mut job);
    job.created_at = timestamp_to_iso(body.get("created_at"));
    job.completed_at =
        super::common::first_timestamp(&[body.get("completed_at"), body.get("failed_at")]);
    job.estimated_completion = timestamp_to_iso(body.get("estimated_completion"));
    job.raw = raw;
    Ok(job)
}
