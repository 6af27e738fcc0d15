//! Serika Jobs API (Bearer): create `POST {base}/jobs/images` with `{model, ...input}` →
//! `{"id","status":"QUEUED"}`; get `GET {base}/jobs/{id}`; list `GET {base}/jobs`.
//! Statuses QUEUED, PROCESSING, COMPLETED, FAILED; `created_at` in unix seconds; the result is
//! `{url, width, height, seed}`; a failed job's `error` is a string or an object. No progress,
//! no cancel.
//!
//! Files: no file inputs (a file in `input` is `CONFIG`). Out: `result.url` → a `result` file.
//!
//! Models: `GET {base}/models` (docs/api/overview.md), an OpenAI-style list `{"object":"list",
//! "data":[{id, object, created, owned_by}]}`; entries say no task, so a `task` filter is
//! `CONFIG`. No pagination is documented; OpenAI's list convention (`has_more`, then `?after=`
//! the last id) is followed should it appear [I].

use super::common::{
    encode_segment, ensure_failure_error, input_object, job_error, models, object_body,
    refuse_files, request, required_id, status_word, timestamp_to_iso, url_file,
};
use super::{Adapter, ClientConfig, SubmitRequest};
use crate::core::{
    Body, Error, FileRole, HttpRequest, HttpResponse, Job, JobStatus, Json, Method, ModelPage,
    Provider, Raw,
};

pub(super) struct Serika;

/// Serika's status words.
pub(crate) fn map_status(word: &str) -> JobStatus {
    match word.to_ascii_lowercase().as_str() {
        "queued" => JobStatus::Queued,
        "processing" => JobStatus::Processing,
        "completed" => JobStatus::Finished,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Unknown,
    }
}

impl Adapter for Serika {
    fn provider(&self) -> Provider {
        Provider::Serika
    }

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        if req.webhook_url.is_some() || req.webhook_secret.is_some() {
            return Err(Error::unsupported(Provider::Serika, "webhook"));
        }
        refuse_files(
            Provider::Serika,
            req,
            "its image jobs take JSON parameters only (model, prompt, width, height, ...)",
        )?;
        let mut body = input_object(Provider::Serika, &req.input)?;
        match &req.model {
            Some(model) => {
                // `model` first, as in the documented example.
                if let Json::Object(members) = &mut body {
                    members.retain(|(k, _)| k != "model");
                    members.insert(0, ("model".into(), Json::String(model.clone())));
                }
            }
            None if body.get("model").is_none() => {
                return Err(Error::config("serika: submit needs a model"));
            }
            None => {}
        }
        let url = super::join_url(&cfg.base_url, "/jobs/images");
        Ok(request(cfg, Method::Post, url, Some(body)))
    }

    fn parse_submit(&self, resp: &HttpResponse) -> Result<Job, Error> {
        parse_job(object_body(Provider::Serika, resp)?, resp.raw(), None)
    }

    fn status(&self, cfg: &ClientConfig, id: &str, _last: Option<&Job>) -> HttpRequest {
        let mut path = String::from("/jobs/");
        path.push_str(&super::common::encode_segment(id));
        let url = super::join_url(&cfg.base_url, &path);
        request(cfg, Method::Get, url, None)
    }

    fn parse_status(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        parse_job(object_body(Provider::Serika, resp)?, resp.raw(), Some(id))
    }

    fn list(&self, cfg: &ClientConfig) -> Result<HttpRequest, Error> {
        let url = super::join_url(&cfg.base_url, "/jobs");
        Ok(request(cfg, Method::Get, url, None))
    }

    fn parse_list(&self, resp: &HttpResponse) -> Result<Vec<Job>, Error> {
        let body = object_body(Provider::Serika, resp)?;
        let items = body
            .get("jobs")
            .or_else(|| body.get("data"))
            .and_then(Json::as_array)
            .ok_or_else(|| {
                Error::bad_response(Provider::Serika, "serika: list has no jobs array")
            })?;
        items
            .iter()
            .map(|item| parse_job(item, item.clone().into(), None))
            .collect()
    }

    fn models(
        &self,
        cfg: &ClientConfig,
        task: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<HttpRequest, Error> {
        if task.is_some() {
            return Err(Error::config(
                "serika: its model list does not say which task a model runs; call models() without task",
            ));
        }
        let mut path = String::from("/models");
        if let Some(after) = cursor {
            path.push_str("?after=");
            path.push_str(&encode_segment(after));
        }
        let url = super::join_url(&cfg.base_url, &path);
        Ok(request(cfg, Method::Get, url, None))
    }

    fn parse_models(&self, resp: &HttpResponse) -> Result<ModelPage, Error> {
        let models = models(Provider::Serika, resp, &["data", "models"], &["id", "slug"])?;
        let more = match &resp.body {
            Body::Json(body) => body.get("has_more").and_then(Json::as_bool) == Some(true),
            _ => false,
        };
        let next = models.last().filter(|_| more).map(|m| m.id.clone());
        Ok(ModelPage { models, next })
    }
}

/// A Serika job body → Job; `raw` is that body as received.
fn parse_job(body: &Json, raw: Raw, requested_id: Option<&str>) -> Result<Job, Error> {
    if !body.is_object() {
        return Err(Error::bad_response(
            Provider::Serika,
            "serika: job is not a JSON object",
        ));
    }
    let id = match required_id(Provider::Serika, body, &["id", "job_id"]) {
        Ok(id) => id,
        Err(e) => match requested_id {
            Some(id) => id.to_string(),
            None => return Err(e),
        },
    };
    let status = status_word(body, "status").map_or(JobStatus::Unknown, |w| map_status(&w));
    let mut job = Job::new(Provider::Serika, id, status);
    if status == JobStatus::Finished {
        job.progress = Some(1.0);
    }
    job.result = body.get_non_null("result").cloned();
    job.result_url = job
        .result
        .as_ref()
        .and_then(|r| r.get_str("url"))
        .map(str::to_string);
    job.files = job
        .result
        .as_ref()
        .and_then(|r| url_file(r, "url", FileRole::Result))
        .into_iter()
        .collect();
    if matches!(status, JobStatus::Failed | JobStatus::Unknown) {
        job.error = job_error(body, &[], &[]);
    }
    ensure_failure_error(&mut job);
    job.created_at = timestamp_to_iso(body.get("created_at"));
    job.completed_at =
        super::common::first_timestamp(&[body.get("completed_at"), body.get("finished_at")]);
    job.raw = raw;
    Ok(job)
}
