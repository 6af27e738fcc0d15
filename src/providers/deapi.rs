//! deAPI (Bearer), two APIs chosen by the client's `apiVersion` ([`ApiVersion`]):
//!
//! - **v1** (the default): submit `POST {base}/api/v1/client/{task}` (body = input + `model` +
//!   `webhook_url` + `webhook_secret`) → `{"data":{"request_id"}}`; poll
//!   `GET {base}/api/v1/client/request-status/{id}` → `{"data":{status, progress 0..100,
//!   result_url, result, preview, ...}}`.
//! - **v2** (deapi-ai/deapi-tester, deapi-ai/mintlify-docs `openapi-v2.json`; `wt-v2-spec.md`):
//!   the task is a resource path (`images/generations`, `images/edits`, `audio/speech`, ...);
//!   submit `POST {base}/api/v2/{task}` with the same body → `{"data":{"request_id"}}`; poll
//!   `GET {base}/api/v2/jobs/{id}` → the v1 body plus `price` (`null` until terminal, then
//!   `{amount, is_estimated}`; 0 for a failed job) and, on failure, `error_code` (`WORKER_TIMEOUT`
//!   ...), `error_message` (a slug such as `worker-error`), `error_reason` (`TIMEOUT`, ...).
//!   An unknown job is 404 `{"message":"No query results for the requested resource."}`
//!   (→ `NOT_FOUND` by its status, as every non-2xx). Webhooks, realtime and
//!   `{base}/broadcasting/auth` are shared by both versions.
//!
//! No cancel, no list, in either version.
//!
//! Discovery (the OpenAPI documents of deapi-ai/mintlify-docs, deapi-python-sdk), one [`Paths`]
//! table per version: estimate `POST {task}/price-calculation` in v1 (`videos/replace/price`
//! for that task), `POST {task}/price` in v2, each with the submit's very body →
//! `{"data":{"price"}}`; balance `GET /api/v1/client/balance` or `/api/v2/account/balance` →
//! `{"data":{"balance"}}` (a bare `{"balance"}` is read too: deAPI's v2 page shows it so);
//! models `GET /api/v1/client/models` or `/api/v2/models` `?limit=50&page=N` (optionally
//! `filter[inference_types]=...`) → Laravel's page `{data:[{name, slug, inference_types (a list,
//! or in v2 an object keyed by type), info, ...}], links, meta:{current_page, last_page, ...}}`.
//!
//! Money is in USD: the balance schema says so and the pricing page quotes USD. A job's v2
//! `price` names no currency; it is read as USD too ([`Job::cost`]), because it is drawn from
//! that same USD balance and quoted by the same `/price` routes.
//!
//! Reads the `data` envelope or a bare object, progress as a number or a string (`"45.50"`),
//! and the error fields of either version (v1's `error`; `error_code`, `error_message`,
//! `error_reason`).
//!
//! Files: a submit whose input holds a file is sent as `multipart/form-data` to the same URL,
//! in Laravel's conventions ([`crate::core::form::laravel_form`]); without files it is JSON.
//! Out: `result_url` → a `result` file, each `results_alt_formats` entry → an `alternate` one,
//! `preview` (a URL when polled, base64 over realtime) → a `preview` one.
//!
//! Push channels (providers.md §3), translated here but received elsewhere: webhook payloads
//! ([`parse_webhook`], [`webhook_info`]; verify the signature first with
//! `core::webhook::verify_deapi`) and the Pusher `request.status.updated` event
//! ([`parse_realtime_event`]; the Pusher protocol itself is `core::pusher`'s).

use super::common::{
    amount, encode_path, encode_segment, ensure_failure_error, input_object, job_error, models,
    object_body, progress, request, required_id, status_word, timestamp_to_iso, url_file,
};
use super::{Adapter, ApiVersion, ClientConfig, SubmitRequest};
use crate::core::files::content_type_of_extension;
use crate::core::form::laravel_form;
use crate::core::{
    Amount, Cost, Error, FileRole, HttpRequest, HttpResponse, Job, JobFile, JobStatus, Json,
    Method, ModelPage, Provider, RequestBody,
};

pub(super) struct Deapi;

/// Where one version of deAPI's API keeps its calls.
struct Paths {
    /// Submit and price paths are this + the task.
    client: &'static str,
    /// Appended to a task's path for its price (v1's `videos/replace` aside: `.../price`).
    price: &'static str,
    /// A job's status is this + its id.
    status: &'static str,
    balance: &'static str,
    models: &'static str,
}

const V1: Paths = Paths {
    client: "/api/v1/client/",
    price: "/price-calculation",
    status: "/api/v1/client/request-status/",
    balance: "/api/v1/client/balance",
    models: "/api/v1/client/models",
};

const V2: Paths = Paths {
    client: "/api/v2/",
    price: "/price",
    status: "/api/v2/jobs/",
    balance: "/api/v2/account/balance",
    models: "/api/v2/models",
};

/// The paths of the client's API version.
fn paths(cfg: &ClientConfig) -> &'static Paths {
    match cfg.api_version {
        ApiVersion::V1 => &V1,
        ApiVersion::V2 => &V2,
    }
}

/// The currency deAPI states amounts in.
const CURRENCY: Option<&str> = Some("USD");

/// The `inference_types` name of a submit task (a v1 task or a v2 resource), where the two
/// differ (docs.deapi.ai/models, "Supported tasks"; v2: the tester's endpoint registry); other
/// names are the same in both. `transcribe` (v2 `audio/transcriptions`) takes a URL or a file of
/// either kind, so it stands for all four transcription types.
fn inference_type(task: &str) -> &str {
    match task {
        "images/generations" => "txt2img",
        "images/edits" => "img2img",
        "images/upscales" => "img-upscale",
        "images/background-removals" => "img-rmbg",
        "images/ocr" => "img2txt",
        "videos/generations" => "txt2video",
        "videos/animations" => "img2video",
        "videos/upscales" => "vid-upscale",
        "videos/background-removals" => "vid-rmbg",
        "audio/speech" => "txt2audio",
        "audio/music" => "txt2music",
        "embeddings" => "txt2embedding",
        "aud2video" | "videos/audio-syncs" => "audio2video",
        "videos/replace" | "videos/replacements" => "video-replace",
        "aud2txt" => "audio2text",
        "vid2txt" => "video2text",
        "audiofile2txt" => "audio_file2text",
        "videofile2txt" => "video_file2text",
        "transcribe" | "audio/transcriptions" => {
            "audio2text,video2text,audio_file2text,video_file2text"
        }
        other => other,
    }
}

/// The request of `req` at the task's path + `suffix`: its input with `model` and
/// `webhook_url`, as JSON, or as a Laravel form when the input holds files.
fn task_request(
    cfg: &ClientConfig,
    req: &SubmitRequest,
    suffix: &str,
) -> Result<HttpRequest, Error> {
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
    if let Some(secret) = &req.webhook_secret {
        // The job's own signing secret (32–255 characters), overriding the account's.
        body.set("webhook_secret", Json::String(secret.clone()));
    }
    let mut path = String::from(paths(cfg).client);
    path.push_str(&encode_path(task, "task")?);
    path.push_str(suffix);
    let url = super::join_url(&cfg.base_url, &path);
    if req.files.is_empty() {
        return Ok(request(cfg, Method::Post, url, Some(body)));
    }
    let mut http = request(cfg, Method::Post, url, None);
    http.body = Some(RequestBody::Form(laravel_form(&body, &req.files)));
    Ok(http)
}

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

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        task_request(cfg, req, "")
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
        job.raw = resp.raw();
        Ok(job)
    }

    fn status(&self, cfg: &ClientConfig, id: &str, _last: Option<&Job>) -> HttpRequest {
        let mut path = String::from(paths(cfg).status);
        path.push_str(&encode_segment(id));
        let url = super::join_url(&cfg.base_url, &path);
        request(cfg, Method::Get, url, None)
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
        job.preview = text_of(data, "preview");
        fill_from_data(&mut job, data);
        job.raw = resp.raw();
        Ok(job)
    }

    fn estimate(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
        let suffix = match (cfg.api_version, req.task.as_deref()) {
            (ApiVersion::V1, Some("videos/replace")) => "/price",
            _ => paths(cfg).price,
        };
        task_request(cfg, req, suffix)
    }

    /// `{"data":{"price": 0.25}}` (a number or numeric text); a `price: {amount,
    /// is_estimated}` object is read too, and a bare `{"price"}` (v2's prompt-enhancement
    /// quote).
    fn parse_estimate(&self, resp: &HttpResponse) -> Result<Amount, Error> {
        let data = envelope(object_body(Provider::Deapi, resp)?);
        let price = data.get("price");
        let price = price.and_then(|p| p.get("amount")).or(price);
        amount(Provider::Deapi, price, CURRENCY, "price")
    }

    fn balance(&self, cfg: &ClientConfig) -> Result<HttpRequest, Error> {
        let url = super::join_url(&cfg.base_url, paths(cfg).balance);
        Ok(request(cfg, Method::Get, url, None))
    }

    /// `{"data":{"balance"}}`, or a bare `{"balance"}`.
    fn parse_balance(&self, resp: &HttpResponse) -> Result<Amount, Error> {
        let data = envelope(object_body(Provider::Deapi, resp)?);
        amount(Provider::Deapi, data.get("balance"), CURRENCY, "balance")
    }

    /// `?limit=50` (the largest page; without it deAPI sends 25 and no sign of the rest) and
    /// `page` (the cursor; 1 first), and `filter[inference_types]` for `task` (a submit task or
    /// an inference type). The page URLs are built here, not taken from `links.next`: Laravel
    /// writes those without the other parameters.
    fn models(
        &self,
        cfg: &ClientConfig,
        task: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<HttpRequest, Error> {
        let mut path = String::from(paths(cfg).models);
        path.push_str("?limit=50&page=");
        path.push_str(&encode_segment(cursor.unwrap_or("1")));
        if let Some(task) = task {
            path.push_str("&filter%5Binference_types%5D=");
            path.push_str(&encode_segment(inference_type(task)));
        }
        let url = super::join_url(&cfg.base_url, &path);
        Ok(request(cfg, Method::Get, url, None))
    }

    /// Each `data` entry (id from `slug`); the next page while `meta.current_page` is before
    /// `meta.last_page`.
    fn parse_models(&self, resp: &HttpResponse) -> Result<ModelPage, Error> {
        let models = models(Provider::Deapi, resp, &["data"], &["slug", "id"])?;
        let meta = json_of(resp).and_then(|b| b.get("meta"));
        let page = |key| {
            meta.and_then(|m| m.get(key))
                .and_then(Json::as_number_lenient)
        };
        let next = match (page("current_page"), page("last_page")) {
            (Some(current), Some(last)) if current >= 1.0 && current < last && current < 1e9 => {
                let mut n = String::new();
                crate::core::number::push_u64(&mut n, current as u64 + 1);
                Some(n)
            }
            _ => None,
        };
        Ok(ModelPage { models, next })
    }
}

/// The job's result: `result` when present, else (once finished) `{result_url,
/// results_alt_formats}`, the same shape for polling, webhooks and realtime events.
fn result_of(data: &Json, status: JobStatus, result_url: Option<&str>) -> Option<Json> {
    if let Some(r) = data.get_non_null("result") {
        return Some(r.clone());
    }
    match (status, result_url) {
        (JobStatus::Finished, Some(url)) => Some(Json::object([
            ("result_url", Json::String(url.to_string())),
            (
                "results_alt_formats",
                data.get("results_alt_formats").cloned().unwrap_or_default(),
            ),
        ])),
        _ => None,
    }
}

/// The files of a `data` object (or a realtime event): `result_url`, each
/// `results_alt_formats` entry (`{"jpg": url, ...}`, or a list of URLs), and the preview.
fn files_of(data: &Json, preview: Option<&str>) -> Vec<JobFile> {
    let mut files: Vec<JobFile> = url_file(data, "result_url", FileRole::Result)
        .into_iter()
        .collect();
    match data.get("results_alt_formats") {
        Some(Json::Object(formats)) => {
            for (format, url) in formats {
                if let Some(url) = url.as_str().map(str::trim).filter(|u| !u.is_empty()) {
                    let mut file = JobFile::from_url(FileRole::Alternate, url);
                    if let Some(t) = content_type_of_extension(format) {
                        file.content_type = Some(t.to_string());
                    }
                    files.push(file);
                }
            }
        }
        Some(Json::Array(urls)) => files.extend(
            urls.iter()
                .filter_map(Json::as_str)
                .filter_map(|u| JobFile::from_content(FileRole::Alternate, u)),
        ),
        _ => {}
    }
    // A preview without a type (bare base64) is a PNG or a JPEG; deAPI does not say which.
    files.extend(preview.and_then(|p| JobFile::from_content(FileRole::Preview, p)));
    files
}

/// The status a webhook event name implies.
fn event_status(event: &str) -> JobStatus {
    match event.trim().to_ascii_lowercase().as_str() {
        "job.processing" => JobStatus::Processing,
        "job.completed" => JobStatus::Finished,
        "job.failed" => JobStatus::Failed,
        _ => JobStatus::Unknown,
    }
}

/// The first of `keys` that holds a string or integer id.
fn id_of(data: &Json, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| data.get(k).and_then(Json::to_text))
        .filter(|id| !id.trim().is_empty())
}

/// A non-empty string member.
fn text_of(data: &Json, key: &str) -> Option<String> {
    data.get_str(key)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// Translates a deAPI webhook payload (already signature-checked, parsed from the raw body):
/// `{"event":"job.processing|job.completed|job.failed", "delivery_id", "timestamp",
/// "data":{"job_request_id", "status", "previous_status", "job_type", "started_at" |
/// "completed_at", "result_url", "processing_time_ms", "error_code", "error_message"}}`.
/// `event`, `delivery_id` and `timestamp` may be missing (seed 002's example has neither of the
/// last two).
///
/// Status: `data.status` through the polling status words when it is one, else the event
/// name, else `UNKNOWN`. A finished job has progress 1 and, without a `result`, the result
/// `{result_url, results_alt_formats}` as in polling; a failed one carries
/// `error_code`/`error_message` (or a generic message). `created_at` comes from
/// `created_at`/`started_at`, `completed_at` from `completed_at` (the delivery `timestamp` is
/// not used for either: see [`webhook_info`]). `raw` is the whole payload.
///
/// Errors: `BAD_RESPONSE` when the payload is not an object, has no `data` object, or no job id.
pub fn parse_webhook(payload: &Json) -> Result<Job, Error> {
    let Some(data) = payload.get("data").filter(|d| d.is_object()) else {
        return Err(Error::bad_response(
            Provider::Deapi,
            "deapi: webhook payload has no data object",
        ));
    };
    let id = id_of(data, &["job_request_id", "request_id", "id"]).ok_or_else(|| {
        Error::bad_response(Provider::Deapi, "deapi: webhook payload has no job id")
    })?;
    let mut status = status_word(data, "status").map_or(JobStatus::Unknown, |w| map_status(&w));
    if status == JobStatus::Unknown {
        status = payload
            .get_str("event")
            .map_or(JobStatus::Unknown, event_status);
    }
    let mut job = Job::new(Provider::Deapi, id, status);
    fill_from_data(&mut job, data);
    job.raw = payload.clone().into();
    Ok(job)
}

/// The fields a polled `data` object and a webhook's `data` share: result, error, timestamps
/// (the status is already set on `job`).
fn fill_from_data(job: &mut Job, data: &Json) {
    if job.status == JobStatus::Finished {
        job.progress = Some(1.0);
    }
    job.result_url = text_of(data, "result_url");
    job.result = result_of(data, job.status, job.result_url.as_deref());
    job.files = files_of(data, job.preview.as_deref());
    if matches!(job.status, JobStatus::Failed | JobStatus::Unknown) {
        job.error = failure(data);
    }
    ensure_failure_error(job);
    job.cost = cost_of(data.get("price"));
    job.created_at =
        super::common::first_timestamp(&[data.get("created_at"), data.get("started_at")]);
    job.completed_at = timestamp_to_iso(data.get("completed_at"));
}

/// A failure's error: `error_code` and `error_message` (v1's `error` text when there is no
/// message), with v2's `error_reason` after the message: `worker-error (TIMEOUT)`.
fn failure(data: &Json) -> Option<Box<crate::core::JobError>> {
    let mut error = job_error(data, &["error_code"], &["error_message"]);
    if let (Some(e), Some(reason)) = (error.as_mut(), data.get_str("error_reason")) {
        let reason = reason.trim();
        if !reason.is_empty() && reason != e.message {
            e.message.push_str(" (");
            e.message.push_str(reason);
            e.message.push(')');
        }
    }
    error.or_else(|| {
        text_of(data, "error_reason").map(|message| {
            Box::new(crate::core::JobError {
                code: None,
                message,
            })
        })
    })
}

/// A job's v2 `price`: `{"amount": n, "is_estimated": bool}` (the amount a number or numeric
/// text, at least 0) → a USD [`Cost`]; `null`, a bare number or anything else → `None` (v1
/// reports no price on the job).
fn cost_of(price: Option<&Json>) -> Option<Box<Cost>> {
    let amount = price?
        .get("amount")?
        .as_number_lenient()
        .filter(|n| n.is_finite() && *n >= 0.0)?;
    Some(Box::new(Cost {
        amount,
        currency: CURRENCY.map(str::to_string),
        estimated: price?.get("is_estimated").and_then(Json::as_bool) == Some(true),
    }))
}

/// The delivery metadata of a deAPI webhook payload, for logging and de-duplication.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct WebhookInfo {
    /// `job.processing`, `job.completed`, `job.failed` (or whatever was sent).
    pub event: Option<String>,
    /// The delivery id; the same on every retry of one delivery (feed it to
    /// `core::webhook::WebhookDeduper`). The `X-DeAPI-Delivery-Id` header carries it too.
    pub delivery_id: Option<String>,
    /// When deAPI sent the event, unix milliseconds, from an ISO 8601 string or integer unix
    /// seconds (both forms are seen).
    pub timestamp_ms: Option<f64>,
}

/// Reads [`WebhookInfo`] from a webhook payload; missing or unreadable members are `None`.
pub fn webhook_info(payload: &Json) -> WebhookInfo {
    let timestamp_ms = match payload.get("timestamp") {
        Some(Json::Number(n)) if n.is_finite() && *n >= 0.0 => Some(n.trunc() * 1000.0),
        Some(Json::String(s)) => match crate::core::number::parse_decimal(s) {
            Some(n) if n >= 0.0 => Some(n.trunc() * 1000.0),
            Some(_) => None,
            None => crate::core::time::iso_to_unix_ms(s.trim()),
        },
        _ => None,
    };
    WebhookInfo {
        event: text_of(payload, "event"),
        delivery_id: id_of(payload, &["delivery_id"]),
        timestamp_ms,
    }
}

/// Translates a Pusher `request.status.updated` event from deAPI's realtime channel:
/// top-level `{request_id, status, progress, preview, result_url}` (not wrapped in `data`;
/// a `data` object envelope and a JSON-encoded string, as Pusher frames carry event data, are
/// also accepted).
///
/// `status` uses the polling words (`processing`, `in_progress`, `done`, `error`, and the
/// pending synonyms); when it is absent the job is `PROCESSING` if the event carries progress
/// or a preview, else `UNKNOWN`. `progress` (0..100, a number or a string such as `"45.50"`)
/// is scaled to 0..1; `preview` (a base64 image or a URL) becomes `job.preview`; `result_url`
/// and the result are as in polling. `raw` is the event data as given.
///
/// Errors: `BAD_RESPONSE` when the data is not an object (or a string holding one) or has no
/// request id.
pub fn parse_realtime_event(data: &Json) -> Result<Job, Error> {
    let decoded;
    let obj = match data {
        Json::String(text) => {
            decoded = crate::core::json::parse(text).map_err(|_| {
                Error::bad_response(Provider::Deapi, "deapi: realtime event data is not JSON")
            })?;
            &decoded
        }
        other => other,
    };
    let obj = envelope(obj);
    if !obj.is_object() {
        return Err(Error::bad_response(
            Provider::Deapi,
            "deapi: realtime event data is not an object",
        ));
    }
    let id = id_of(obj, &["request_id", "job_request_id", "id"]).ok_or_else(|| {
        Error::bad_response(Provider::Deapi, "deapi: realtime event has no request_id")
    })?;
    let progress_value = progress(obj.get_non_null("progress"), 100.0);
    let preview = text_of(obj, "preview");
    let status = match status_word(obj, "status") {
        Some(w) => map_status(&w),
        None if progress_value.is_some() || preview.is_some() => JobStatus::Processing,
        None => JobStatus::Unknown,
    };
    let mut job = Job::new(Provider::Deapi, id, status);
    job.progress = if status == JobStatus::Finished {
        Some(1.0)
    } else {
        progress_value
    };
    job.preview = preview;
    job.result_url = text_of(obj, "result_url");
    job.result = result_of(obj, status, job.result_url.as_deref());
    job.files = files_of(obj, job.preview.as_deref());
    if matches!(status, JobStatus::Failed | JobStatus::Unknown) {
        job.error = failure(obj);
    }
    ensure_failure_error(&mut job);
    job.raw = data.clone().into();
    Ok(job)
}

/// The response's JSON body, if any.
fn json_of(resp: &HttpResponse) -> Option<&Json> {
    match &resp.body {
        crate::core::Body::Json(j) => Some(j),
        _ => None,
    }
}

/// `body.data` when it is an object, else the body itself.
fn envelope(body: &Json) -> &Json {
    match body.get("data") {
        Some(d @ Json::Object(_)) => d,
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;
    use crate::core::ErrorCode;

    fn j(text: &str) -> Json {
        parse(text).unwrap()
    }

    #[test]
    fn webhook_completed_seed_002() {
        // Seed 002's example, verbatim: no timestamp, no delivery_id.
        let payload = j(r#"{
            "event" : "job.completed" ,
            "data" : {
                "job_request_id" : "123e4567-e89b-12d3-a456-426614174000" ,
                "status" : "done" ,
                "job_type" : "txt2img" ,
                "result_url" : "https://storage.deapi.ai/results/.../output.png" ,
                "processing_time_ms" : 45000
            }
        }"#);
        let job = parse_webhook(&payload).unwrap();
        assert_eq!(&*job.id, "123e4567-e89b-12d3-a456-426614174000");
        assert_eq!(job.provider, Provider::Deapi);
        assert_eq!(job.status, JobStatus::Finished);
        assert_eq!(job.progress, Some(1.0));
        assert_eq!(
            job.result_url.as_deref(),
            Some("https://storage.deapi.ai/results/.../output.png")
        );
        assert_eq!(
            job.result.as_ref().and_then(|r| r.get_str("result_url")),
            job.result_url.as_deref()
        );
        assert_eq!(job.error, None);
        assert_eq!(job.raw, payload);
        let info = webhook_info(&payload);
        assert_eq!(info.event.as_deref(), Some("job.completed"));
        assert_eq!(info.delivery_id, None);
        assert_eq!(info.timestamp_ms, None);
    }

    #[test]
    fn webhook_result_matches_polling_shape() {
        let data = r#"{"job_request_id":"r1","status":"done","result_url":"https://x/y.png"}"#;
        let hook = parse_webhook(&j(
            &["{\"event\":\"job.completed\",\"data\":", data, "}"].concat()
        ))
        .unwrap();
        let poll = Deapi
            .parse_status(
                "r1",
                &HttpResponse {
                    status: 200,
                    headers: vec![],
                    body: crate::core::Body::Json(j(&["{\"data\":", data, "}"].concat())),
                    json_text: None,
                },
            )
            .unwrap();
        assert_eq!(hook.result, poll.result);
        assert_eq!(hook.status, poll.status);
    }

    #[test]
    fn webhook_processing_and_failed() {
        let processing = j(r#"{"event":"job.processing","delivery_id":"dlv_1",
            "timestamp":"2024-01-15T10:30:00Z",
            "data":{"job_request_id":"r1","status":"processing","previous_status":"pending",
                    "job_type":"txt2img","started_at":"2024-01-15T10:29:58Z"}}"#);
        let job = parse_webhook(&processing).unwrap();
        assert_eq!(job.status, JobStatus::Processing);
        assert_eq!(job.progress, None);
        assert_eq!(job.created_at.as_deref(), Some("2024-01-15T10:29:58Z"));
        assert_eq!(job.error, None);
        let info = webhook_info(&processing);
        assert_eq!(info.delivery_id.as_deref(), Some("dlv_1"));
        assert_eq!(info.timestamp_ms, Some(1_705_314_600_000.0));

        let failed = j(
            r#"{"event":"job.failed","delivery_id":"dlv_2","timestamp":1705314600,
            "data":{"job_request_id":"r1","status":"error","previous_status":"processing",
                    "completed_at":"2024-01-15T10:31:00Z","error_code":"GPU_OOM",
                    "error_message":"Out of memory"}}"#,
        );
        let job = parse_webhook(&failed).unwrap();
        assert_eq!(job.status, JobStatus::Failed);
        let err = job.error.unwrap();
        assert_eq!(err.code.as_deref(), Some("GPU_OOM"));
        assert_eq!(err.message, "Out of memory");
        assert_eq!(job.completed_at.as_deref(), Some("2024-01-15T10:31:00Z"));
        assert_eq!(
            webhook_info(&failed).timestamp_ms,
            Some(1_705_314_600_000.0)
        );
        assert_eq!(
            webhook_info(&j(r#"{"timestamp":"1705314600"}"#)).timestamp_ms,
            Some(1_705_314_600_000.0)
        );
    }

    #[test]
    fn webhook_status_falls_back_to_the_event() {
        for (event, want) in [
            ("job.processing", JobStatus::Processing),
            ("job.completed", JobStatus::Finished),
            ("job.failed", JobStatus::Failed),
            ("job.something", JobStatus::Unknown),
        ] {
            let mut p = j(r#"{"data":{"job_request_id":"r1"}}"#);
            p.set("event", event.into());
            let job = parse_webhook(&p).unwrap();
            assert_eq!(job.status, want, "{event}");
            if want == JobStatus::Failed {
                assert_eq!(job.error.unwrap().message, "The job failed");
            }
        }
        // An unrecognised data.status defers to the event; a known one wins over it.
        let p = j(r#"{"event":"job.failed","data":{"job_request_id":"r1","status":"exploded"}}"#);
        assert_eq!(parse_webhook(&p).unwrap().status, JobStatus::Failed);
        let p = j(r#"{"event":"job.failed","data":{"job_request_id":"r1","status":"done"}}"#);
        assert_eq!(parse_webhook(&p).unwrap().status, JobStatus::Finished);
        // Numeric ids are read as text.
        let p = j(r#"{"event":"job.completed","data":{"job_request_id":42}}"#);
        assert_eq!(&*parse_webhook(&p).unwrap().id, "42");
    }

    #[test]
    fn webhook_rejects_unusable_payloads() {
        for bad in [
            "null",
            "[]",
            r#""job.completed""#,
            r#"{"event":"job.completed"}"#,
            r#"{"event":"job.completed","data":null}"#,
            r#"{"event":"job.completed","data":"r1"}"#,
            r#"{"event":"job.completed","data":{}}"#,
            r#"{"event":"job.completed","data":{"job_request_id":""}}"#,
            r#"{"event":"job.completed","data":{"job_request_id":{"x":1}}}"#,
        ] {
            let e = parse_webhook(&j(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadResponse, "{bad}");
            assert_eq!(e.provider, Some(Provider::Deapi));
        }
        let info = webhook_info(&j(r#"{"event":7,"delivery_id":9,"timestamp":"yesterday"}"#));
        assert_eq!(info.event, None);
        assert_eq!(info.delivery_id.as_deref(), Some("9"));
        assert_eq!(info.timestamp_ms, None);
        assert_eq!(webhook_info(&Json::Null), WebhookInfo::default());
    }

    #[test]
    fn realtime_progress_preview_and_done() {
        let ev = j(
            r#"{"request_id":"r1","status":"processing","progress":"45.50",
                       "preview":"data:image/png;base64,iVBORw0KGgo=","result_url":null}"#,
        );
        let job = parse_realtime_event(&ev).unwrap();
        assert_eq!(&*job.id, "r1");
        assert_eq!(job.status, JobStatus::Processing);
        assert_eq!(job.progress, Some(0.455));
        assert_eq!(
            job.preview.as_deref(),
            Some("data:image/png;base64,iVBORw0KGgo=")
        );
        assert_eq!(job.result_url, None);
        assert_eq!(job.raw, ev);

        let ev = j(
            r#"{"request_id":"r1","status":"in_progress","progress":12,"preview":"https://p/1.jpg"}"#,
        );
        let job = parse_realtime_event(&ev).unwrap();
        assert_eq!(job.status, JobStatus::Processing);
        assert_eq!(job.progress, Some(0.12));
        assert_eq!(job.preview.as_deref(), Some("https://p/1.jpg"));

        let ev = j(
            r#"{"request_id":"r1","status":"done","progress":99,"preview":null,
                       "result_url":"https://storage.deapi.ai/r1.png"}"#,
        );
        let job = parse_realtime_event(&ev).unwrap();
        assert_eq!(job.status, JobStatus::Finished);
        assert_eq!(job.progress, Some(1.0));
        assert_eq!(job.preview, None);
        assert_eq!(
            job.result.as_ref().and_then(|r| r.get_str("result_url")),
            Some("https://storage.deapi.ai/r1.png")
        );
    }

    #[test]
    fn realtime_edge_forms() {
        // Out-of-range progress is clamped; junk progress is ignored.
        for (p, want) in [
            ("150", Some(1.0)),
            ("-3", Some(0.0)),
            ("\"100.00\"", Some(1.0)),
            ("\"abc\"", None),
            ("null", None),
            ("true", None),
        ] {
            let ev = j(&[
                r#"{"request_id":"r1","status":"processing","progress":"#,
                p,
                "}",
            ]
            .concat());
            assert_eq!(parse_realtime_event(&ev).unwrap().progress, want, "{p}");
        }
        // Pusher carries event data as a JSON string; a data envelope is tolerated.
        let s = Json::from(r#"{"request_id":"r2","status":"pending"}"#);
        let job = parse_realtime_event(&s).unwrap();
        assert_eq!((&*job.id, job.status), ("r2", JobStatus::Pending));
        assert_eq!(job.raw, s);
        let wrapped = j(r#"{"data":{"request_id":"r3","status":"queued"}}"#);
        assert_eq!(&*parse_realtime_event(&wrapped).unwrap().id, "r3");
        // No status: progress or a preview means processing.
        let ev = j(r#"{"request_id":"r4","progress":"5"}"#);
        assert_eq!(
            parse_realtime_event(&ev).unwrap().status,
            JobStatus::Processing
        );
        let ev = j(r#"{"request_id":"r4"}"#);
        assert_eq!(
            parse_realtime_event(&ev).unwrap().status,
            JobStatus::Unknown
        );
        // An error status, should one ever arrive, carries an error.
        let ev = j(r#"{"request_id":"r5","status":"error","error_message":"boom"}"#);
        let job = parse_realtime_event(&ev).unwrap();
        assert_eq!(job.status, JobStatus::Failed);
        assert_eq!(job.error.unwrap().message, "boom");
    }

    #[test]
    fn realtime_rejects_unusable_data() {
        for bad in [
            Json::Null,
            Json::Number(1.0),
            Json::from("not json"),
            Json::from("[1]"),
            j("[]"),
            j(r#"{"status":"done"}"#),
            j(r#"{"request_id":null}"#),
        ] {
            let e = parse_realtime_event(&bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadResponse, "{bad:?}");
        }
    }

    #[test]
    fn push_parsers_never_panic_on_arbitrary_json() {
        let mut x: u64 = 7;
        let atoms = [
            "null",
            "1",
            "-1e400",
            "\"\"",
            "\"done\"",
            "\"45.50\"",
            "{}",
            "[]",
            "\"job.failed\"",
            "\"error\"",
            "1e308",
            "\"2024-01-15T10:30:00Z\"",
            "{\"amount\":0.5,\"is_estimated\":true}",
            "{\"amount\":\"-1\"}",
        ];
        let keys = [
            "event",
            "data",
            "status",
            "progress",
            "preview",
            "result_url",
            "request_id",
            "job_request_id",
            "timestamp",
            "delivery_id",
            "error_code",
            "error_message",
            "completed_at",
            "started_at",
            "result",
            "price",
            "error_reason",
        ];
        for _ in 0..3000 {
            let mut next = |n: usize| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % n as u64) as usize
            };
            let mut inner = String::from("{");
            for i in 0..next(6) {
                if i > 0 {
                    inner.push(',');
                }
                inner.push('"');
                inner.push_str(keys[next(keys.len())]);
                inner.push_str("\":");
                inner.push_str(atoms[next(atoms.len())]);
            }
            inner.push('}');
            let outer = ["{\"event\":\"job.completed\",\"data\":", &inner, "}"].concat();
            for text in [&inner, &outer] {
                if let Ok(v) = parse(text) {
                    for job in [parse_webhook(&v), parse_realtime_event(&v)]
                        .into_iter()
                        .flatten()
                    {
                        assert!(job.progress.map_or(true, |p| (0.0..=1.0).contains(&p)));
                        assert!(job.cost.as_ref().map_or(true, |c| c.amount >= 0.0));
                        if job.status == JobStatus::Failed {
                            assert!(job.error.is_some());
                        }
                    }
                    let _ = webhook_info(&v);
                }
            }
        }
    }
}
