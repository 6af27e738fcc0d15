//! deAPI (Bearer): submit `POST {base}/api/v1/client/{task}` (body = input + `model` +
//! `webhook_url`) → `{"data":{"request_id"}}`; poll `GET {base}/api/v1/client/request-status/{id}`
//! → `{"data":{status, progress 0..100, result_url, result, preview, ...}}`. No cancel, no list.
//!
//! Reads the `data` envelope or a bare object, progress as a number or a string (`"45.50"`),
//! and the v2 error fields (`error_code`, `error_message`).

use super::common::{
    encode_path, ensure_failure_error, input_object, job_error, object_body, progress, request,
    required_id, status_word, timestamp_to_iso,
};
use super::{Adapter, Capabilities, ClientConfig, SubmitRequest};
use crate::core::{Error, HttpRequest, HttpResponse, Job, JobStatus, Json, Method, Provider};

pub(super) struct Deapi;

/// deAPI's status words (polling, websocket, and the defensive pending synonyms).
pub(crate) fn map_status(word: &str) -> JobStatus {
    match word.to_ascii_lowercase().as_str() {
        "pending" | "queued" | "in_queue" | "waiting" => JobStatus::Pending,
        "processing" | "in_progress" => JobStatus::Processing,
        "done" => JobStatus::Finished,
        "error" => JobStatus::Failed,
        _ => JobStatus::Unknown,
    }
}

impl Adapter for Deapi {
    fn provider(&self) -> Provider {
        Provider::Deapi
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.deapi.ai"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            cancel: false,
            list: false,
            webhooks: true,
            realtime: true,
            streaming: false,
        }
    }

    fn auth_header(&self, key: &str) -> (&'static str, String) {
        ("authorization", bearer(key))
    }

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        let task = req
            .task
            .as_deref()
            .ok_or_else(|| Error::config("deapi: submit needs a task (e.g. \"txt2img\")"))?;
        let mut body = input_object(Provider::Deapi, &req.input)?;
        if let Some(model) = &req.model {
            body.set("model", Json::String(model.clone()));
        }
        if let Some(url) = &req.webhook_url {
            body.set("webhook_url", Json::String(url.clone()));
        }
        let mut path = String::from("/api/v1/client/");
        path.push_str(&encode_path(task, "task")?);
        let url = super::join_url(&cfg.base_url, &path);
        Ok(request(cfg, auth(cfg), Method::Post, url, Some(body)))
    }

    fn parse_submit(&self, resp: &HttpResponse) -> Result<Job, Error> {
        let body = object_body(Provider::Deapi, resp)?;
        let data = envelope(body);
        let id = required_id(
            Provider::Deapi,
            data,
            &["request_id", "job_request_id", "id"],
        )?;
        let mut job = Job::new(Provider::Deapi, id, JobStatus::Pending);
        job.raw = body.clone();
        Ok(job)
    }

    fn status(&self, cfg: &ClientConfig, id: &str, _last: Option<&Job>) -> HttpRequest {
        let mut path = String::from("/api/v1/client/request-status/");
        path.push_str(&super::common::encode_segment(id));
        let url = super::join_url(&cfg.base_url, &path);
        request(cfg, auth(cfg), Method::Get, url, None)
    }

    fn parse_status(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        let body = object_body(Provider::Deapi, resp)?;
        if body.get("data").is_some_and(Json::is_null) {
            // The error envelope with a 2xx status: `{"data":null,"message":...}`.
            let mut msg = String::from("deapi: no job data");
            if let Some(m) = body.get_str("message") {
                msg.push_str(": ");
                msg.push_str(m);
            }
            return Err(Error::bad_response(Provider::Deapi, msg).with_status(resp.status));
        }
        let data = envelope(body);
        if !data.is_object() {
            return Err(Error::bad_response(
                Provider::Deapi,
                "deapi: status body has no data object",
            ));
        }
        let id = data
            .get("request_id")
            .or_else(|| data.get("job_request_id"))
            .and_then(Json::to_text)
            .unwrap_or_else(|| id.to_string());
        let status = status_word(data, "status").map_or(JobStatus::Unknown, |w| map_status(&w));
        let mut job = Job::new(Provider::Deapi, id, status);
        job.progress = progress(data.get_non_null("progress"), 100.0);
        if status == JobStatus::Finished {
            job.progress = Some(1.0);
        }
        job.result_url = data.get_str("result_url").map(str::to_string);
        job.preview = data.get_str("preview").map(str::to_string);
        job.result = data.get_non_null("result").cloned();
        if job.result.is_none() && status == JobStatus::Finished {
            if let Some(url) = &job.result_url {
                job.result = Some(Json::object([
                    ("result_url", Json::String(url.clone())),
                    (
                        "results_alt_formats",
                        data.get("results_alt_formats").cloned().unwrap_or_default(),
                    ),
                ]));
            }
        }
        if matches!(status, JobStatus::Failed | JobStatus::Unknown) {
            job.error = job_error(data, &["error_code"], &["error_message"]);
        }
        ensure_failure_error(&mut job);
        job.created_at =
            super::common::first_timestamp(&[data.get("created_at"), data.get("started_at")]);
        job.completed_at = timestamp_to_iso(data.get("completed_at"));
        job.raw = body.clone();
        Ok(job)
    }
}

/// `body.data` when it is an object, else the body itself.
fn envelope(body: &Json) -> &Json {
    match body.get("data") {
        Some(d @ Json::Object(_)) => d,
        _ => body,
    }
}

fn bearer(key: &str) -> String {
    let mut v = String::from("Bearer ");
    v.push_str(key);
    v
}

fn auth(cfg: &ClientConfig) -> Option<(&'static str, String)> {
    cfg.api_key.as_deref().map(|k| ("authorization", bearer(k)))
}
