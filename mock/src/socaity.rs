//! Socaity — `/socaity` (Bearer).
//!
//! Owns: the documented REST routes (`POST /v1/{model...}/generate`, `GET`/`DELETE /v1/jobs/{id}`),
//! the APIPod routes the SDK uses (`GET|POST /status/{id}`, `POST /cancel/{id}`), the services
//! layout (`POST /services/v1/{service}/{endpoint...}` with the endpoint's parameters read and
//! checked by `services`, the job's `status`/`cancel`/`stream` routes under its service), sync
//! answers, and
//! the job body in its three wire variants: `seed` (the REST reference, default), `apipod`
//! (lowercase, nulls omitted, `message`/`metrics`/`links`) and `runpod` (RunPod status words).
//! Errors are FastAPI's `{"detail": …}`. SSE: `GET /stream/{id}` (404 / 409 here, the stream
//! itself in `sse`), direct-SSE submits (`mock.direct_sse`), and the `STREAMING` word while a
//! `mock.stream` job streams. Uploads: a submit may be a multipart form (at most 512 MiB, streamed
//! and hashed by `upload`); a finished job echoes the files it received, or returns FileModels
//! (`mock.file_result`); a speechcraft job returns an audio FileModel. For the Socaity SDKs: each
//! service's public OpenAPI document (`services/v1/{service}/openapi.json`) and the backend's
//! catalog read (`GET /v1/catalog/services/{slug or id}`), both written by `service_spec`; the
//! `mock` query parameter of a service submit; cancel answering the job's envelope and taking
//! `?action=cancel|interrupt`; the gate's job routes also at the origin. Must not touch: other
//! providers, job timing rules.

use crate::clock::iso8601;
use crate::distort::{self, Answer};
use crate::faults::Op;
use crate::http::{self, json, JsonBody};
use crate::jobs::{Cancel, FileResult, Job, Phase, Provider, Snapshot};
use crate::reqlog::LogId;
use crate::upload::{self, FormError, PartInfo};
use crate::{files, ids, service_spec, services, sse, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

const PREFIX: &str = "/socaity";
/// Largest multipart submit body; more gets `413 {"detail":"Request Entity Too Large"}`.
pub const FORM_LIMIT: u64 = 512 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, any(handle))
        .route("/socaity/{*rest}", any(handle))
        // The gate's job routes at the origin too: a root-relative link (`/status/{id}`) that a
        // client resolves against the host, as fastsdk does for a service URL (its base is
        // `scheme://host`), reaches them as it does on api.socaity.ai, where the gate is the origin.
        .route("/status/{id}", any(handle))
        .route("/cancel/{id}", any(handle))
        .route("/stream/{id}", any(handle))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Seed,
    Apipod,
    Runpod,
}

fn variant(job: &Job) -> Variant {
    match job.options.variant_in(&["apipod", "runpod"]) {
        Some("apipod") => Variant::Apipod,
        Some("runpod") => Variant::Runpod,
        _ => Variant::Seed,
    }
}

fn detail(status: StatusCode, msg: &str) -> Response {
    json(status, &json!({ "detail": msg }))
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Job not found.")
}

/// FastAPI's request-validation body.
fn unprocessable(msg: &str, kind: &str) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"detail": [{"loc": ["body"], "msg": msg, "type": kind}]}),
    )
}

/// The value of query parameter `name`, percent-decoded.
fn query_param(parts: &axum::http::request::Parts, name: &str) -> Option<String> {
    let q = parts.uri.query()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let segs = http::segments(parts.uri.path(), PREFIX);
    // A service's OpenAPI document is public, as APIPod serves it (fastsdk fetches it without
    // credentials).
    if let ["services", "v1", service, "openapi.json"] = segs.as_slice() {
        if parts.method == Method::GET {
            return match service_spec::openapi(service) {
                Some(doc) => json(StatusCode::OK, &doc),
                None => detail(StatusCode::NOT_FOUND, "Not Found"),
            };
        }
    }
    let key = http::bearer(&parts.headers);
    if !st.key_ok(key) {
        return detail(StatusCode::UNAUTHORIZED, "Invalid API key.");
    }
    let key = key.unwrap_or_default();
    let base = format!(
        "{}{PREFIX}",
        http::base_url(&parts, &st.config.fallback_host)
    );
    let m = &parts.method;
    let answer = match segs.as_slice() {
        ["v1", "catalog", "services", ident @ ..] if m == Method::GET && !ident.is_empty() => {
            // The backend's catalog read (`socaity` SDK `get_service`); `expand`, `fields` and
            // `filter` are accepted and ignored: the record always embeds `details.contract`
            // and `endpoints`.
            return match service_spec::catalog_record(&ident.join("/")) {
                Some(rec) => json(StatusCode::OK, &rec),
                None => detail(StatusCode::NOT_FOUND, "Service not found."),
            };
        }
        ["v1", model @ .., "generate"] if m == Method::POST && !model.is_empty() => {
            let idem = http::header(&parts.headers, "idempotency-key");
            let model = model.join("/");
            if !upload::is_multipart(&parts.headers) {
                let body = http::read_json(body).await;
                submit(&st, key, idem, &base, &model, body, None).await
            } else {
                let log_id = parts.extensions.get::<LogId>().copied();
                let (read, infos) = upload::read_logged(
                    body,
                    &parts.headers,
                    st.config.socaity_form_limit,
                    &st.log,
                    log_id,
                )
                .await;
                match read {
                    Ok(form) => {
                        let body = JsonBody::Value(upload::socaity_body(&form));
                        submit(&st, key, idem, &base, &model, body, Some(infos)).await
                    }
                    Err(FormError::TooLarge(_)) => {
                        Answer::new(Op::Submit, None, distort::too_large(Provider::Socaity))
                    }
                    Err(FormError::Malformed(_)) => Answer::new(
                        Op::Submit,
                        None,
                        detail(
                            StatusCode::BAD_REQUEST,
                            "There was an error parsing the body",
                        ),
                    ),
                }
            }
        }
        ["services", "v1", service, route @ ("status" | "cancel" | "stream"), id]
            if st
                .store
                .get(Provider::Socaity, key, id)
                .is_some_and(|j| !j.target.starts_with(&format!("{service}/"))) =>
        {
            // Another service's job is not found under this one.
            let op = if *route == "cancel" {
                Op::Cancel
            } else {
                Op::Status
            };
            Answer::new(op, None, not_found())
        }
        ["services", "v1", _, "status", id] if m == Method::GET || m == Method::POST => {
            status(&st, key, &base, id)
        }
        ["services", "v1", _, "cancel", id] if m == Method::POST => match refused_action(&parts) {
            None => cancel(&st, key, &base, id, true),
            Some(res) => Answer::new(Op::Cancel, None, res),
        },
        ["services", "v1", _, "stream", id] if m == Method::GET => {
            let last = http::header(&parts.headers, "last-event-id");
            return stream(&st, key, &base, id, last);
        }
        ["services", "v1", service, endpoint @ ..] if m == Method::POST && !endpoint.is_empty() => {
            let log_id = parts.extensions.get::<LogId>().copied();
            let mock = query_param(&parts, "mock");
            service_submit(
                &st,
                key,
                &base,
                &parts.headers,
                log_id,
                (service, endpoint),
                mock.as_deref(),
                body,
            )
            .await
        }
        ["v1", "jobs", id] if m == Method::GET => status(&st, key, &base, id),
        ["v1", "jobs", id] if m == Method::DELETE => cancel(&st, key, &base, id, false),
        ["status", id] if m == Method::GET || m == Method::POST => status(&st, key, &base, id),
        ["cancel", id] if m == Method::POST => match refused_action(&parts) {
            None => cancel(&st, key, &base, id, true),
            Some(res) => Answer::new(Op::Cancel, None, res),
        },
        ["stream", id] if m == Method::GET => {
            let last = http::header(&parts.headers, "last-event-id");
            return stream(&st, key, &base, id, last);
        }
        _ => return detail(StatusCode::NOT_FOUND, "Not Found"),
    };
    distort::respond(&st, Provider::Socaity, &parts.headers, answer).await
}

/// FastAPI's 422 (a `Literal` query parameter) for a bad `?action=` of an APIPod cancel, which
/// takes `cancel` (a user stop), `interrupt` (the gateway's resumable stop; for a service job the
/// same as cancel) or none.
fn refused_action(parts: &axum::http::request::Parts) -> Option<Response> {
    match query_param(parts, "action").as_deref() {
        None | Some("cancel" | "interrupt") => None,
        Some(other) => Some(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"detail": [{
                "type": "literal_error",
                "loc": ["query", "action"],
                "msg": "Input should be 'cancel' or 'interrupt'",
                "input": other,
                "ctx": {"expected": "'cancel' or 'interrupt'"},
            }]}),
        )),
    }
}

/// A submit to a service endpoint (`services`): the body read as the endpoint declares (form
/// fields, URL-encoded or multipart, or JSON), FastAPI's 422 for what does not fit, then a job in
/// APIPod's wire format (relative `links`, under the service). 404 for an unknown service or
/// endpoint. `mock_query`: the `mock` query parameter (the scenario as JSON text, which the
/// service documents declare so that an SDK sends it); its members override the body's `mock`.
#[allow(clippy::too_many_arguments)]
async fn service_submit(
    st: &AppState,
    key: &str,
    base: &str,
    headers: &axum::http::HeaderMap,
    log_id: Option<LogId>,
    (service, endpoint): (&str, &[&str]),
    mock_query: Option<&str>,
    body: axum::body::Body,
) -> Answer {
    let refuse = |res| Answer::new(Op::Submit, None, res);
    let path = endpoint.join("/");
    let Some(ep) = services::find(service, &path) else {
        return refuse(detail(StatusCode::NOT_FOUND, "Not Found"));
    };
    let idem = http::header(headers, "idempotency-key");
    let content_type = http::header(headers, "content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (value, infos, form) = if upload::is_multipart(headers) {
        let (read, infos) =
            upload::read_logged(body, headers, st.config.socaity_form_limit, &st.log, log_id).await;
        match read {
            Ok(form) => (upload::socaity_body(&form), Some(infos), true),
            Err(FormError::TooLarge(_)) => {
                return refuse(distort::too_large(Provider::Socaity));
            }
            Err(FormError::Malformed(_)) => {
                return refuse(detail(
                    StatusCode::BAD_REQUEST,
                    "There was an error parsing the body",
                ))
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        match axum::body::to_bytes(body, http::BODY_LIMIT).await {
            Ok(bytes) => (services::url_encoded_body(&bytes), None, true),
            Err(_) => return refuse(distort::too_large(Provider::Socaity)),
        }
    } else {
        match http::read_json(body).await {
            JsonBody::Value(v) => (v, None, false),
            JsonBody::Empty => (Value::Object(Map::new()), None, false),
            JsonBody::Invalid => {
                return refuse(unprocessable("JSON decode error", "json_invalid"));
            }
        }
    };
    let errors = services::validate(ep, &value, form);
    if !errors.is_empty() {
        return refuse(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": errors }),
        ));
    }
    // A service job speaks APIPod's format unless the test asks for another.
    let mut value = value;
    if let Value::Object(m) = &mut value {
        let mock = m.entry("mock").or_insert_with(|| Value::Object(Map::new()));
        if !mock.is_object() {
            *mock = Value::Object(Map::new());
        }
        if let Value::Object(o) = mock {
            if let Some(Ok(Value::Object(q))) = mock_query.map(serde_json::from_str::<Value>) {
                o.extend(q);
            }
            o.entry("variant").or_insert_with(|| json!("apipod"));
        }
    }
    let target = format!("{service}/{path}");
    submit(st, key, idem, base, &target, JsonBody::Value(value), infos).await
}

/// A submit. `form`: the parts of a multipart body (then `body` is the form decoded), `None` for
/// JSON.
async fn submit(
    st: &AppState,
    key: &str,
    idem: Option<&str>,
    base: &str,
    model: &str,
    body: JsonBody,
    form: Option<Vec<PartInfo>>,
) -> Answer {
    let refuse = |res| Answer::new(Op::Submit, None, res);
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Value(_) => {
            return refuse(unprocessable(
                "Input should be a valid dictionary",
                "dict_type",
            ))
        }
        JsonBody::Empty => return refuse(unprocessable("Field required", "missing")),
        JsonBody::Invalid => return refuse(unprocessable("JSON decode error", "json_invalid")),
    };
    let now = st.clock.now_ms();
    let job = Job::new(
        Provider::Socaity,
        format!("job_{}", ids::hex128()),
        key,
        model,
        &body,
        now,
    )
    .with_parts(form.unwrap_or_default());
    let job = st.admit(job, &body, idem);
    if job.options.direct_sse && job.options.stream.is_some() {
        let id = job.id.clone();
        let mut res = sse::response(st, job, 0, Value::Null, None);
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut().insert("x-job-id", v);
        }
        return Answer::new(Op::Submit, Some(&id), res).passthrough();
    }
    if job.options.sync {
        let id = job.id.clone();
        return Answer::new(Op::Submit, Some(&id), sync_answer(st, job, base).await);
    }
    let id = job.id.as_str();
    let body = match variant(&job) {
        Variant::Seed | Variant::Runpod => json!({
            "job_id": id,
            "status": word(variant(&job), Phase::Queued { late: false }),
            "refresh_job_url": format!("{base}/v1/jobs/{id}"),
            "cancel_job_url": format!("{base}/v1/jobs/{id}"),
        }),
        Variant::Apipod => json!({
            "job_id": id,
            "status": "queued",
            "message": "Job queued.",
            "metrics": {"created_at": iso8601(now), "queued_at": iso8601(now)},
            "links": links(id),
        }),
    };
    Answer::new(Op::Submit, Some(id), json(StatusCode::ACCEPTED, &body))
}

/// `mock.sync`: block until the job ends, then answer with its result (or its failure).
async fn sync_answer(st: &AppState, job: Job, base: &str) -> Response {
    tokio::time::sleep(st.clock.until(job.timeline.completes_at_ms)).await;
    let job = st.store.find(&job.id).unwrap_or(job);
    let snap = job.snapshot(st.clock.now_ms());
    let mut res = match snap.phase {
        Phase::Cancelled => detail(StatusCode::CONFLICT, "Job cancelled."),
        Phase::Failed => detail(StatusCode::INTERNAL_SERVER_ERROR, &job.options.error),
        Phase::TimedOut => detail(StatusCode::GATEWAY_TIMEOUT, &job.options.error),
        _ => json(StatusCode::OK, &result(&job, base)),
    };
    if let Ok(v) = HeaderValue::from_str(&job.id) {
        res.headers_mut().insert("x-mock-job-id", v);
    }
    res
}

/// `GET /stream/{id}`: the job's SSE stream — its output and, as Socaity's gateway sends them,
/// its `event: job` status records (see `sse`) — resuming after `Last-Event-ID`; 404 for an
/// unknown job, 409 when it is neither queued nor processing/streaming — except a `mock.stream`
/// job that finished or failed, whose stream is replayed at once (so a late reader or a resume
/// after a drop still gets the chunks and the end).
fn stream(st: &AppState, key: &str, base: &str, id: &str, last_event_id: Option<&str>) -> Response {
    let Some(job) = st.store.get(Provider::Socaity, key, id) else {
        return not_found();
    };
    let phase = job.snapshot(st.clock.now_ms()).phase;
    let replay = job.options.stream.is_some()
        && matches!(phase, Phase::Finished | Phase::Failed | Phase::TimedOut);
    if !replay && !matches!(phase, Phase::Queued { .. } | Phase::Processing) {
        let msg = format!("Job is not streaming (status: {}).", word_of(&job, phase));
        return detail(StatusCode::CONFLICT, &msg);
    }
    let skip = last_event_id
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let result = result(&job, base);
    let base = base.to_owned();
    let status: sse::Render =
        Box::new(move |job: &Job, at: u64| job_body(job, &job.snapshot(at), &base));
    sse::response(st, job, skip, result, Some(status))
}

fn status(st: &AppState, key: &str, base: &str, id: &str) -> Answer {
    let Some(job) = st.store.read_status(Provider::Socaity, key, id) else {
        return Answer::new(Op::Status, None, not_found());
    };
    let snap = job.snapshot(st.clock.now_ms());
    let res = json(StatusCode::OK, &job_body(&job, &snap, base));
    let regress = snap
        .phase
        .is_terminal()
        .then(|| job_body(&job, &job.timeline.still_processing(), base));
    Answer::new(Op::Status, Some(id), res).with_regress(regress)
}

fn cancel(st: &AppState, key: &str, base: &str, id: &str, apipod_route: bool) -> Answer {
    let now = st.clock.now_ms();
    let found = st.store.get(Provider::Socaity, key, id).is_some();
    let res = cancel_answer(st, key, base, id, apipod_route, now);
    Answer::new(Op::Cancel, found.then_some(id), res)
}

fn cancel_answer(
    st: &AppState,
    key: &str,
    base: &str,
    id: &str,
    apipod_route: bool,
    now: u64,
) -> Response {
    match st.store.cancel(Provider::Socaity, key, id, now) {
        None => not_found(),
        Some(Cancel::AlreadyTerminal(job)) => {
            json(StatusCode::OK, &job_body(&job, &job.snapshot(now), base))
        }
        // The gateway answers its cancel routes with the job's envelope (`job_id`, the
        // cancelled status, `links`), which is what the SDK needs to take the job as cancelled.
        Some(Cancel::Cancelled(job)) if apipod_route => {
            json(StatusCode::OK, &job_body(&job, &job.snapshot(now), base))
        }
        Some(Cancel::Cancelled(job)) => json(
            StatusCode::OK,
            &json!({"job_id": job.id, "status": word_of(&job, Phase::Cancelled)}),
        ),
    }
}

/// The result a finished job returns: `mock.result`, else the FileModels of `mock.file_result`,
/// else `{"received": [...]}` when it received files, else a stream job's text (or chunk list),
/// else the endpoint's own output (speechcraft: an audio FileModel of `/files/<id>.wav`), else
/// `{"text":"echo: <prompt>"}`. `base` is `http://HOST/socaity`.
fn result(job: &Job, base: &str) -> Value {
    if let Some(r) = &job.options.result {
        return r.clone();
    }
    if let Some(kind) = job.options.file_result {
        return file_result(job, kind, base.strip_suffix(PREFIX).unwrap_or(base));
    }
    if let Some(r) = upload::received(&job.parts) {
        return r;
    }
    if let Some(plan) = &job.options.stream {
        return sse::result(job, plan);
    }
    let root = base.strip_suffix(PREFIX).unwrap_or(base);
    match services::find_target(&job.target).map(|e| e.output) {
        Some(services::Output::Audio) => json!({
            "file_name": format!("{}.wav", job.id),
            "content_type": "audio/wav",
            "content": files::url_of(root, &job.id, "wav"),
        }),
        _ => json!({"text": format!("echo: {}", http::text_of(&job.input, "prompt"))}),
    }
}

/// A FileModel of a PNG (`{"file_name","content_type","content"}`).
fn file_model(file_name: String, content: String) -> Value {
    json!({"file_name": file_name, "content_type": "image/png", "content": content})
}

/// `mock.file_result`: the job's picture as FileModels. `root` is `http://HOST`.
fn file_result(job: &Job, kind: FileResult, root: &str) -> Value {
    let id = job.id.as_str();
    let url = || file_model(format!("{id}.png"), files::url(root, id));
    let second = || {
        let stem = format!("{id}-2");
        file_model(format!("{stem}.png"), files::png_base64(&stem))
    };
    match kind {
        FileResult::Url => url(),
        FileResult::Base64 => file_model(format!("{id}.png"), files::png_base64(id)),
        FileResult::DataUri => file_model(
            format!("{id}.png"),
            format!("data:image/png;base64,{}", files::png_base64(id)),
        ),
        FileResult::Nested => json!({"images": [url(), second()], "seed": 42}),
        FileResult::List => json!([url(), second()]),
    }
}

fn links(id: &str) -> Value {
    json!({"status": format!("/status/{id}"), "cancel": format!("/cancel/{id}"), "stream": format!("/stream/{id}")})
}

/// The status word of `job` in `phase`: its variant's word, `STREAMING` / `streaming` while a
/// `mock.stream` job processes (RunPod has no such word: `IN_PROGRESS`).
fn word_of(job: &Job, phase: Phase) -> &'static str {
    let v = variant(job);
    match (v, phase) {
        (Variant::Seed, Phase::Processing) if job.options.stream.is_some() => "STREAMING",
        (Variant::Apipod, Phase::Processing) if job.options.stream.is_some() => "streaming",
        _ => word(v, phase),
    }
}

/// The status word of `phase` in `v`.
fn word(v: Variant, phase: Phase) -> &'static str {
    match (v, phase) {
        (Variant::Seed, Phase::Queued { late: false }) => "PENDING",
        (Variant::Seed, Phase::Queued { late: true }) => "QUEUED",
        (Variant::Seed, Phase::Processing) => "PROCESSING",
        (Variant::Seed, Phase::Finished) => "FINISHED",
        (Variant::Seed, Phase::Failed) => "FAILED",
        (Variant::Seed, Phase::TimedOut) => "TIMEOUT",
        (Variant::Seed, Phase::Cancelled) => "CANCELLED",
        (Variant::Runpod, Phase::Queued { .. }) => "IN_QUEUE",
        (Variant::Runpod, Phase::Processing) => "IN_PROGRESS",
        (Variant::Runpod, Phase::Finished) => "COMPLETED",
        (Variant::Runpod, Phase::Failed) => "FAILED",
        (Variant::Runpod, Phase::TimedOut) => "TIMED_OUT",
        (Variant::Runpod, Phase::Cancelled) => "CANCELED",
        (Variant::Apipod, Phase::Queued { .. }) => "queued",
        (Variant::Apipod, Phase::Processing) => "processing",
        (Variant::Apipod, Phase::Finished) => "finished",
        (Variant::Apipod, Phase::Failed) => "failed",
        (Variant::Apipod, Phase::TimedOut) => "timeout",
        (Variant::Apipod, Phase::Cancelled) => "cancelled",
    }
}

/// The job body at `snap`, in the job's variant. `base` is `http://HOST/socaity`.
pub fn job_body(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let v = variant(job);
    let id = job.id.as_str();
    let result = (snap.phase == Phase::Finished).then(|| result(job, base));
    let error =
        matches!(snap.phase, Phase::Failed | Phase::TimedOut).then(|| job.options.error.clone());
    if v != Variant::Apipod {
        return json!({
            "job_id": id,
            "status": word_of(job, snap.phase),
            "progress": snap.progress,
            "result": result,
            "error": error,
            "refresh_job_url": format!("{base}/v1/jobs/{id}"),
            "cancel_job_url": format!("{base}/v1/jobs/{id}"),
        });
    }
    let mut m = Map::new();
    m.insert("job_id".into(), json!(id));
    m.insert("status".into(), json!(word_of(job, snap.phase)));
    if let Some(r) = result {
        m.insert("result".into(), r);
    }
    if let Some(e) = error {
        m.insert("error".into(), json!(e));
    }
    if let Some(p) = snap.progress {
        m.insert("progress".into(), json!(p));
    }
    let message = match snap.phase {
        Phase::Queued { .. } => "Job queued.",
        Phase::Processing if job.options.stream.is_some() => "Job streaming.",
        Phase::Processing => "Job processing.",
        Phase::Finished => "Job finished.",
        Phase::Failed => "Job failed.",
        Phase::TimedOut => "Job timed out.",
        Phase::Cancelled => "Job cancelled.",
    };
    m.insert("message".into(), json!(message));
    let submitted = job.timeline.submitted_at_ms;
    let mut metrics = Map::new();
    metrics.insert("created_at".into(), json!(iso8601(submitted)));
    metrics.insert("queued_at".into(), json!(iso8601(submitted)));
    if let Some(s) = snap.started_at_ms {
        metrics.insert("started_at".into(), json!(iso8601(s)));
    }
    if let Some(f) = snap.finished_at_ms {
        metrics.insert("finished_at".into(), json!(iso8601(f)));
        if let Some(s) = snap.started_at_ms {
            let secs = f.saturating_sub(s) as f64 / 1000.0;
            metrics.insert("execution_time_s".into(), json!(http::round(secs, 3)));
        }
    }
    m.insert("metrics".into(), Value::Object(metrics));
    m.insert("links".into(), links(id));
    Value::Object(m)
}
