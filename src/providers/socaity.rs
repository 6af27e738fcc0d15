//! Socaity: `POST {base}/v1/{model}/generate` (Bearer) → `202 {"job_id","status"}`, or `200`
//! with the result itself on SYNC endpoints; `GET`/`DELETE {base}/v1/jobs/{id}`.
//!
//! Also reads what the SDK/APIPod servers send (providers.md §1): lowercase statuses, RunPod
//! words (IN_QUEUE, COMPLETED...), `links{status,cancel}` relative to the service base,
//! `refresh_job_url`/`cancel_job_url`, progress as an object, `metrics` timestamps, and the
//! `not_found` status. Links are followed only on the base URL's origin.
//!
//! Files: a submit whose input holds a file is sent as `multipart/form-data` (APIPod's file
//! parameters take uploads): flat fields, [`crate::core::form::flat_form`]. Out: every FileModel
//! (`{file_name, content_type, content}`, content a URL, base64 or a `data:` URI) found in the
//! result, at any depth, is a `result` file.
//!
//! Streaming (`GET /stream/{id}`, `text/event-stream`): the SSE framing is
//! [`crate::core::sse`]'s; what each APIPod `data:` payload means is [`classify_stream_data`].
//! Socaity's gateway multiplexes the job's status on that stream as named `event: job` records,
//! each a job envelope ([`parse_stream_record`]); a job offers it with `links.stream`
//! ([`offers_stream`]).

use super::common::{
    encode_path, ensure_failure_error, first_timestamp, input_object, object_body, progress,
    request, resolve_link, result_url_from_files, status_word,
};
use super::{Adapter, ClientConfig, SubmitRequest};
use crate::core::form::{display_path, flat_form, url_encoded};
use crate::core::{
    Body, Error, ErrorCode, FileRole, HttpRequest, HttpResponse, Job, JobError, JobFile, JobStatus,
    Json, Method, Provider, Raw, RequestBody,
};

pub(super) struct Socaity;

/// Socaity's status words (any case), with the SDK's RunPod/Replicate synonyms.
pub(crate) fn map_status(word: &str) -> JobStatus {
    match word.to_ascii_lowercase().as_str() {
        "pending" => JobStatus::Pending,
        "queued" | "in_queue" => JobStatus::Queued,
        "processing" | "in_progress" => JobStatus::Processing,
        "streaming" => JobStatus::Streaming,
        "finished" | "completed" | "succeeded" => JobStatus::Finished,
        "failed" => JobStatus::Failed,
        "timeout" | "timed_out" => JobStatus::Timeout,
        "cancelled" | "canceled" | "aborted" => JobStatus::Cancelled,
        _ => JobStatus::Unknown,
    }
}

impl Adapter for Socaity {
    fn provider(&self) -> Provider {
        Provider::Socaity
    }

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        if req.webhook_url.is_some() || req.webhook_secret.is_some() {
            return Err(Error::unsupported(Provider::Socaity, "webhook"));
        }
        if req.service.is_some() || req.endpoint.is_some() {
            return service_submit(cfg, req);
        }
        if req.json_body {
            return Err(Error::config(
                "socaity: jsonBody applies to a service endpoint ({ service, endpoint })",
            ));
        }
        let model = req.model.as_deref().ok_or_else(|| {
            Error::config("socaity: submit needs a model, or a service and its endpoint")
        })?;
        let mut path = String::from("/v1/");
        path.push_str(&encode_path(model, "model")?);
        path.push_str("/generate");
        // Parameters go at the top level of the body (seed curl; SDK spreads a sole object).
        let body = input_object(Provider::Socaity, &req.input)?;
        let url = super::join_url(&cfg.base_url, &path);
        if req.files.is_empty() {
            return Ok(request(cfg, Method::Post, url, Some(body)));
        }
        multipart(cfg, url, &body, req)
    }

    fn service_url(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Option<String> {
        let service = req.service.as_deref()?;
        encode_path(service, "service")
            .ok()
            .map(|s| service_base(cfg, &s))
    }

    fn parse_submit(&self, resp: &HttpResponse) -> Result<Job, Error> {
        // A SYNC endpoint answers 200 with the result itself, or with a job envelope (a status
        // word plus `result`, `job_id`, `id` or `error`); an async one 202 with a job.
        let looks_like_job = resp.body.json().is_some_and(|b| {
            b.get("job_id").is_some()
                || (b
                    .get_str("status")
                    .is_some_and(|w| map_status(w) != JobStatus::Unknown)
                    && (b.get("id").is_some()
                        || b.get("result").is_some()
                        || b.get("error").is_some()))
        });
        if resp.status == 202 || looks_like_job {
            let body = object_body(Provider::Socaity, resp)?;
            // A 200 envelope need not name a job (the work is done): its id is then "".
            let requested = (resp.status != 202).then_some("");
            return parse_job(body, resp.raw(), requested);
        }
        let declared_json = resp
            .header("content-type")
            .is_some_and(|t| crate::core::header_contains(t, "json"));
        let looks_like_broken_json = matches!(&resp.body, Body::Text(t)
            if t.trim_start().starts_with(['{', '[']));
        if matches!(resp.body, Body::Text(_)) && (declared_json || looks_like_broken_json) {
            return Err(Error::bad_response(
                Provider::Socaity,
                "socaity: response declared JSON but did not parse",
            )
            .with_status(resp.status));
        }
        let result = match &resp.body {
            Body::Json(j) => j.clone(),
            Body::Text(t) => Json::String(t.clone()),
            Body::Empty => Json::Null,
        };
        let mut job = Job::new(Provider::Socaity, "", JobStatus::Finished);
        job.progress = Some(1.0);
        job.raw = resp.raw();
        file_models(&result, 0, &mut job.files);
        result_url_from_files(&mut job);
        job.result = Some(result);
        Ok(job)
    }

    fn status(&self, cfg: &ClientConfig, id: &str, last: Option<&Job>) -> HttpRequest {
        let base = links_base(cfg, last);
        let link = last.and_then(|j| {
            let raw = j.raw.value();
            raw.get("links")
                .and_then(|l| l.get_str("status"))
                .or_else(|| raw.get_str("refresh_job_url"))
                .and_then(|l| resolve_link(base, l))
        });
        let url = link.unwrap_or_else(|| match last.and_then(|j| j.service_url.as_deref()) {
            // APIPod's own route under the service.
            Some(service) => apipod_url(service, "/status/", id),
            None => jobs_url(cfg, id),
        });
        request(cfg, Method::Get, url, None)
    }

    fn parse_status(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        parse_job(object_body(Provider::Socaity, resp)?, resp.raw(), Some(id))
    }

    fn cancel(
        &self,
        cfg: &ClientConfig,
        id: &str,
        last: Option<&Job>,
    ) -> Result<HttpRequest, Error> {
        // APIPod: POST links.cancel; REST reference: DELETE /v1/jobs/{id} (or cancel_job_url).
        let base = links_base(cfg, last);
        let raw = last.map(|j| j.raw.value());
        if let Some(url) = raw
            .as_deref()
            .and_then(|r| r.get("links"))
            .and_then(|l| l.get_str("cancel"))
            .and_then(|l| resolve_link(base, l))
        {
            return Ok(request(cfg, Method::Post, url, None));
        }
        if let Some(service) = last.and_then(|j| j.service_url.as_deref()) {
            let url = apipod_url(service, "/cancel/", id);
            return Ok(request(cfg, Method::Post, url, None));
        }
        let url = raw
            .as_deref()
            .and_then(|r| r.get_str("cancel_job_url"))
            .and_then(|l| resolve_link(base, l))
            .unwrap_or_else(|| jobs_url(cfg, id));
        Ok(request(cfg, Method::Delete, url, None))
    }

    fn stream(
        &self,
        cfg: &ClientConfig,
        id: &str,
        last: Option<&Job>,
    ) -> Result<HttpRequest, Error> {
        // APIPod: GET links.stream, i.e. `/stream/{id}` under the service base.
        let base = links_base(cfg, last);
        let raw = last.map(|j| j.raw.value());
        let url = raw
            .as_deref()
            .and_then(|r| r.get("links"))
            .and_then(|l| l.get_str("stream"))
            .and_then(|l| resolve_link(base, l))
            .unwrap_or_else(|| apipod_url(base, "/stream/", id));
        let mut req = request(cfg, Method::Get, url, None);
        req.set_header("accept", "text/event-stream".into());
        Ok(req)
    }

    fn parse_cancel(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        // `{"status":"CANCELLED"}` or `{"id","status":"cancelled","message":"Job cancelled."}`.
        match &resp.body {
            Body::Empty => Ok(Job::new(Provider::Socaity, id, JobStatus::Cancelled)),
            _ => parse_job(object_body(Provider::Socaity, resp)?, resp.raw(), Some(id)),
        }
    }
}

/// `{base}/services/v1/{service}`, `service` already encoded.
fn service_base(cfg: &ClientConfig, service: &str) -> String {
    let mut path = String::from("/services/v1/");
    path.push_str(service);
    super::join_url(&cfg.base_url, &path)
}

/// What a job's relative links resolve against: its service's base, else the client's.
fn links_base<'a>(cfg: &'a ClientConfig, last: Option<&'a Job>) -> &'a str {
    last.and_then(|j| j.service_url.as_deref())
        .unwrap_or(&cfg.base_url)
}

/// `{base}{route}{id}` (APIPod's `/status/`, `/cancel/`, `/stream/` routes).
fn apipod_url(base: &str, route: &str, id: &str) -> String {
    let mut path = String::from(route);
    path.push_str(&super::common::encode_segment(id));
    super::join_url(base, &path)
}

/// A submit to a service endpoint: `POST {base}/services/v1/{service}/{endpoint}`, the input as
/// a multipart form when it holds files, as JSON with `jsonBody`, else URL-encoded form fields
/// (APIPod reads an endpoint's non-file parameters as form fields unless it declares a JSON
/// schema); nested values go as their JSON text.
fn service_submit(cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
    let (Some(service), Some(endpoint)) = (req.service.as_deref(), req.endpoint.as_deref()) else {
        return Err(Error::config(if req.service.is_some() {
            "socaity: a service needs its endpoint ({ service, endpoint }, e.g. endpoint: \"swap\")"
        } else {
            "socaity: an endpoint needs its service ({ service, endpoint })"
        }));
    };
    if req.model.is_some() {
        return Err(Error::config(
            "socaity: give either a model (/v1/{model}/generate) or a service and endpoint, not both",
        ));
    }
    let mut url = service_base(cfg, &encode_path(service, "service")?);
    url.push('/');
    url.push_str(&encode_path(endpoint.trim_start_matches('/'), "endpoint")?);
    let body = input_object(Provider::Socaity, &req.input)?;
    if !req.files.is_empty() {
        if req.json_body {
            return Err(Error::config(
                "socaity: jsonBody cannot carry files; send them without jsonBody (as a multipart form)",
            ));
        }
        return multipart(cfg, url, &body, req);
    }
    if req.json_body {
        return Ok(request(cfg, Method::Post, url, Some(body)));
    }
    let fields = flat_form(&body, &[]).unwrap_or_default();
    let mut http = request(cfg, Method::Post, url, None);
    http.body = Some(RequestBody::UrlEncoded(url_encoded(&fields)));
    Ok(http)
}

/// The multipart submit of `body` (flat fields: [`flat_form`]) to `url`.
fn multipart(
    cfg: &ClientConfig,
    url: String,
    body: &Json,
    req: &SubmitRequest,
) -> Result<HttpRequest, Error> {
    let parts = flat_form(body, &req.files).map_err(|nested| {
        let mut msg = String::from("socaity: ");
        msg.push_str(&display_path(&nested));
        msg.push_str(
            " is a file inside an object or a mixed list; Socaity takes files as top-level fields or lists of files only",
        );
        Error::config(msg)
    })?;
    let mut http = request(cfg, Method::Post, url, None);
    http.body = Some(RequestBody::Form(parts));
    Ok(http)
}

fn jobs_url(cfg: &ClientConfig, id: &str) -> String {
    let mut path = String::from("/v1/jobs/");
    path.push_str(&super::common::encode_segment(id));
    super::join_url(&cfg.base_url, &path)
}

/// A Socaity job body (REST reference or APIPod `JobResult`) → Job; `raw` is that body as
/// received.
fn parse_job(body: &Json, raw: Raw, requested_id: Option<&str>) -> Result<Job, Error> {
    let id = body
        .get("job_id")
        .or_else(|| body.get("id"))
        .and_then(Json::to_text)
        .filter(|s| !s.is_empty())
        .or_else(|| requested_id.map(str::to_string))
        .ok_or_else(|| Error::bad_response(Provider::Socaity, "socaity: response has no job_id"))?;
    let word = status_word(body, "status");
    if word.as_deref() == Some("not_found") {
        let mut msg = String::from("socaity: ");
        msg.push_str(body.get_str("error").unwrap_or("Job not found."));
        let mut err = Error::new(ErrorCode::NotFound, msg).with_provider(Provider::Socaity);
        err.status = Some(404);
        return Err(err);
    }
    let status = match word.as_deref() {
        Some(w) => map_status(w),
        None => {
            return Err(Error::bad_response(
                Provider::Socaity,
                "socaity: job body has no status",
            ))
        }
    };
    let mut job = Job::new(Provider::Socaity, id, status);
    job.progress = progress(body.get_non_null("progress"), 1.0);
    if status == JobStatus::Finished {
        job.progress = Some(1.0);
    }
    job.result = body.get_non_null("result").cloned();
    job.result_url = job
        .result
        .as_ref()
        .and_then(|r| r.get_str("url"))
        .map(str::to_string);
    if let Some(result) = &job.result {
        file_models(result, 0, &mut job.files);
    }
    result_url_from_files(&mut job);
    if matches!(
        status,
        JobStatus::Failed | JobStatus::Timeout | JobStatus::Cancelled | JobStatus::Unknown
    ) {
        job.error = match body.get_non_null("error") {
            Some(Json::String(s)) => Some(Box::new(JobError {
                code: None,
                message: s.clone(),
            })),
            Some(Json::Object(_)) => super::common::job_error(body, &[], &[]),
            _ => None,
        };
    }
    ensure_failure_error(&mut job);
    let metrics = body.get("metrics");
    let metric = |k: &str| metrics.and_then(|m| m.get(k));
    job.created_at = first_timestamp(&[body.get("created_at"), metric("created_at")]);
    job.completed_at = first_timestamp(&[
        body.get("finished_at"),
        body.get("completed_at"),
        metric("finished_at"),
    ]);
    job.raw = raw;
    Ok(job)
}

/// One `event: job` record of the job's status stream (the gateway's `links.stream`): a job
/// envelope, read as a polled body is (`raw` is the record's text). `id` is the job's id (a
/// record naming no job is this one's).
pub fn parse_stream_record(id: &str, data: &str) -> Result<Job, Error> {
    let body = crate::core::json::parse(data).map_err(|_| {
        Error::bad_response(Provider::Socaity, "socaity: a status record is not JSON")
    })?;
    if !body.is_object() {
        return Err(Error::bad_response(
            Provider::Socaity,
            "socaity: a status record is not a job",
        ));
    }
    parse_job(&body, Raw::Text(data.into()), Some(id))
}

/// Whether a job's state offers a status stream (`links.stream`, APIPod's envelope as the
/// gateway sends it).
pub fn offers_stream(job: &Job) -> bool {
    job.raw
        .value()
        .get("links")
        .and_then(|l| l.get_str("stream"))
        .is_some()
}

/// How deep [`file_models`] looks into a result.
const MAX_FILE_DEPTH: usize = 32;

/// Collects the FileModels (`{file_name, content_type, content}`: a string `content` and a
/// `file_name` or `content_type` member) in `value`, in document order: the value itself, in
/// lists, nested in objects at any depth (up to [`MAX_FILE_DEPTH`]).
fn file_models(value: &Json, depth: usize, out: &mut Vec<JobFile>) {
    if depth > MAX_FILE_DEPTH {
        return;
    }
    match value {
        Json::Object(members) => {
            let is_model = value.get("file_name").is_some() || value.get("content_type").is_some();
            if let (true, Some(content)) = (is_model, value.get_str("content")) {
                if let Some(file) = JobFile::from_content(FileRole::Result, content) {
                    out.push(
                        file.named(value.get_str("file_name"))
                            .typed(value.get_str("content_type")),
                    );
                }
                return;
            }
            for (_, member) in members {
                file_models(member, depth + 1, out);
            }
        }
        Json::Array(items) => {
            for item in items {
                file_models(item, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// One `data:` payload of a Socaity/APIPod stream, classified. APIPod frames carry only
/// `data:` lines (no `event:` names), so the payload alone decides.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    /// A JSON object or array, e.g. an OpenAI `ChatCompletionChunk`.
    Chunk(Json),
    /// Anything else, verbatim: raw text tokens, or base64 for binary endpoints (the two cannot
    /// be told apart from the payload; the endpoint's content type decides).
    Text(String),
    /// `[DONE]`: the stream is complete.
    Done,
    /// `{"error": ...}`: the server gave up; the message is the error string (or, for a
    /// structured error, its `message`, else its JSON text).
    Error(String),
}

/// Classifies one SSE `data` payload from Socaity's stream endpoint (providers.md §1):
/// `[DONE]` ends the stream; a JSON object with a non-null `error` member is an error; other
/// JSON objects and arrays are chunks; everything else (including JSON scalars such as `42`,
/// which are far more likely text tokens) is text, returned unchanged.
pub fn classify_stream_data(data: &str) -> StreamItem {
    let trimmed = data.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed == "[DONE]" {
        return StreamItem::Done;
    }
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return StreamItem::Text(data.to_string());
    }
    match crate::core::json::parse(trimmed) {
        Ok(v @ Json::Object(_)) => match v.get_non_null("error") {
            Some(Json::String(msg)) => StreamItem::Error(msg.clone()),
            Some(e) => StreamItem::Error(
                e.get_str("message")
                    .map_or_else(|| e.to_json_string(), str::to_string),
            ),
            None => StreamItem::Chunk(v),
        },
        Ok(v @ Json::Array(_)) => StreamItem::Chunk(v),
        _ => StreamItem::Text(data.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_error_chunk_and_text() {
        assert_eq!(classify_stream_data("[DONE]"), StreamItem::Done);
        assert_eq!(classify_stream_data(" [DONE] "), StreamItem::Done);
        assert_eq!(
            classify_stream_data(r#"{"error": "Internal stream error"}"#),
            StreamItem::Error("Internal stream error".into())
        );
        assert_eq!(
            classify_stream_data(r#"{"error": {"message": "boom", "code": 1}}"#),
            StreamItem::Error("boom".into())
        );
        assert_eq!(
            classify_stream_data(r#"{"error": 500}"#),
            StreamItem::Error("500".into())
        );
        let chunk = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"error":null}"#;
        match classify_stream_data(chunk) {
            StreamItem::Chunk(v) => assert_eq!(v.get_str("object"), Some("chat.completion.chunk")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify_stream_data("[1,2]"),
            StreamItem::Chunk(_)
        ));
        for text in [
            "Hello",
            " world",
            "42",
            "true",
            "\"quoted\"",
            "aGVsbG8=",
            "{not json",
            "[DONE",
            "",
        ] {
            assert_eq!(
                classify_stream_data(text),
                StreamItem::Text(text.into()),
                "{text:?}"
            );
        }
    }
}
