//! deAPI — `/deapi` (Bearer).
//!
//! Owns: `POST /api/v1/client/{task...}` (submit, JSON or a multipart form in Laravel's bracket
//! notation, at most 64 MiB, else nginx's 413 page; validated by `validate`), `GET
//! /api/v1/client/request-status/{id}` (the polling body, `progress` as a 0..100 float, or as a
//! string in the `string_progress` variant; a preview URL on odd steps; the received files echoed
//! in `result`), and deAPI's error envelope `{"data":null,"message","errors","statusCode"}` (with
//! Laravel's summary message), the channel-auth route `POST /broadcasting/auth` (answered by
//! `realtime`), and the routes of `POST /api/v1/client/{task}/price-calculation` (the submit's
//! body, JSON or multipart, read and validated alike but no job made), `GET
//! /api/v1/client/balance` and `GET /api/v1/client/models` (their bodies are `discovery`'s). An accepted submit starts the job's push task (`push`: webhooks and Pusher events).
//!
//! v2 (`wt-v2-spec.md`: deapi-tester and deAPI's v2 docs) under `/api/v2/`: `POST {resource...}`
//! (`images/generations`, `images/edits`, ...: [`validate::V2_RESOURCES`]) submits, validated,
//! priced and run as the resource's v1 task (the job's `target`), JSON or multipart, with the same
//! `{"data":{"request_id"}}`; `POST {resource...}/price`; `GET jobs/{id}` ([`status_body_v2`]);
//! `GET account/balance`; `GET models` (`inference_types` keyed by type). v2 errors are a bare
//! `{"message"}` (+ `errors` on a 422): 401 `Unauthenticated.`, 404 `No query results for the
//! requested resource.` (unknown job), 404 `The route api/v2/… could not be found.` (no such
//! resource), 405 for another method on a resource. Webhooks and realtime events are v1's.
//!
//! Must not touch: other providers. deAPI has no cancel and no list, so neither does the mock.
//! Faults: the price, balance and models routes count as operation `list` (client rules only).

use crate::distort::{self, Answer};
use crate::faults::Op;
use crate::http::{self, json, JsonBody};
use crate::jobs::{self, Job, Phase, Provider, Snapshot};
use crate::reqlog::LogId;
use crate::upload::{self, FormError, PartInfo};
use crate::{discovery, files, ids, push, realtime, validate, AppState};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

const PREFIX: &str = "/deapi";
/// Largest multipart submit body (nginx `client_max_body_size`); more gets nginx's 413 page.
pub const FORM_LIMIT: u64 = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, any(handle))
        .route("/deapi/{*rest}", any(handle))
}

/// Which API a request came by: v1's error envelope is `{"data":null,"message","errors",
/// "statusCode"}`, v2's a bare `{"message"}` (+ `errors` on a 422; api/v2/errors.mdx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

/// deAPI's error envelope with an empty `errors` list (v2: only the message).
fn error(api: Api, status: StatusCode, msg: &str) -> Response {
    match api {
        Api::V1 => json(
            status,
            &json!({"data": null, "message": msg, "errors": [], "statusCode": status.as_u16()}),
        ),
        Api::V2 => json(status, &json!({ "message": msg })),
    }
}

/// Laravel's validation failure: `errors` maps each field to its messages; `message` is the first
/// one and, when there are more, `(and N more error(s))` counting every message.
fn invalid(api: Api, errors: Vec<(String, String)>) -> Response {
    let first = errors.first().map(|(_, m)| m.clone()).unwrap_or_default();
    let message = match errors.len() {
        0 | 1 => first,
        2 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {} more errors)", n - 1),
    };
    let mut map = Map::new();
    for (field, msg) in errors {
        match map.get_mut(&field) {
            Some(Value::Array(list)) => list.push(json!(msg)),
            _ => {
                map.insert(field, json!([msg]));
            }
        }
    }
    let body = match api {
        Api::V1 => json!({"data": null, "message": message, "errors": map, "statusCode": 422}),
        Api::V2 => json!({"message": message, "errors": map}),
    };
    json(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let segs = http::segments(parts.uri.path(), PREFIX);
    let api = match segs.as_slice() {
        ["api", "v2", ..] => Api::V2,
        _ => Api::V1,
    };
    let key = http::bearer(&parts.headers);
    if !st.key_ok(key) {
        let msg = match api {
            Api::V1 => "Unauthorized user.",
            Api::V2 => "Unauthenticated.",
        };
        return error(api, StatusCode::UNAUTHORIZED, msg);
    }
    let key = key.unwrap_or_default();
    let base = http::base_url(&parts, &st.config.fallback_host);
    let answer = match segs.as_slice() {
        ["api", "v1", "client", "request-status", id] if parts.method == Method::GET => {
            status(&st, key, &base, id, Api::V1)
        }
        ["broadcasting", "auth"] if parts.method == Method::POST => {
            let bytes = axum::body::to_bytes(body, http::BODY_LIMIT)
                .await
                .unwrap_or_default();
            return realtime::auth_answer(&st, &bytes);
        }
        ["api", "v1", "client", "balance"] | ["api", "v2", "account", "balance"]
            if parts.method == Method::GET =>
        {
            let res = json(StatusCode::OK, &discovery::balance_body());
            Answer::new(Op::List, None, res)
        }
        ["api", "v1", "client", "models"] | ["api", "v2", "models"]
            if parts.method == Method::GET =>
        {
            let query = parts.uri.query().unwrap_or_default();
            let v2 = api == Api::V2;
            let page = discovery::models_page(query, &base, parts.uri.path(), v2);
            Answer::new(Op::List, None, json(StatusCode::OK, &page))
        }
        ["api", "v1", "client", rest @ ..] if parts.method == Method::POST && !rest.is_empty() => {
            let price_task = discovery::price_task(rest);
            let task = price_task.clone().unwrap_or_else(|| rest.join("/"));
            if !validate::V1_TASKS.contains(&task.as_str()) {
                // Laravel's answer for a route it does not have, in deAPI's v1 envelope.
                let msg = format!(
                    "The route {} could not be found.",
                    parts
                        .uri
                        .path()
                        .trim_start_matches(PREFIX)
                        .trim_start_matches('/')
                );
                return error(Api::V1, StatusCode::NOT_FOUND, &msg);
            }
            let idem = http::header(&parts.headers, "idempotency-key");
            let op = if price_task.is_some() {
                Op::List
            } else {
                Op::Submit
            };
            match read_body(&st, &parts, body, op, Api::V1).await {
                Err(refused) => refused,
                Ok((body, form)) if price_task.is_some() => {
                    estimate(&task, body, form.is_some(), Api::V1)
                }
                Ok((body, form)) => submit(&st, key, idem, &task, body, form, Api::V1),
            }
        }
        ["api", "v2", "jobs", id] if parts.method == Method::GET => {
            status(&st, key, &base, id, Api::V2)
        }
        ["api", "v2", rest @ ..] => {
            // A job resource (`images/edits`) or its price (`images/edits/price`), run as the
            // resource's v1 task; anything else is Laravel's unknown route.
            let (resource, priced) = match rest {
                [r @ .., "price"] => (r.join("/"), true),
                r => (r.join("/"), false),
            };
            let path = ["api/v2/", &rest.join("/")].concat();
            let Some(task) = validate::v1_task(&resource) else {
                let msg = format!("The route {path} could not be found.");
                return error(api, StatusCode::NOT_FOUND, &msg);
            };
            if parts.method != Method::POST {
                let msg = format!(
                    "The {} method is not supported for route {path}. Supported methods: POST.",
                    parts.method
                );
                return error(api, StatusCode::METHOD_NOT_ALLOWED, &msg);
            }
            let idem = http::header(&parts.headers, "idempotency-key");
            let op = if priced { Op::List } else { Op::Submit };
            match read_body(&st, &parts, body, op, Api::V2).await {
                Err(refused) => refused,
                Ok((body, form)) if priced => estimate(task, body, form.is_some(), Api::V2),
                Ok((body, form)) => submit(&st, key, idem, task, body, form, Api::V2),
            }
        }
        _ => return error(api, StatusCode::NOT_FOUND, "Not found."),
    };
    let submitted = (answer.op == Op::Submit)
        .then(|| answer.job.clone())
        .flatten();
    let res = distort::respond(&st, Provider::Deapi, &parts.headers, answer).await;
    if let Some(id) = submitted {
        push::start(&st, &id, &base);
    }
    res
}

/// A submit's (or a price calculation's) body: JSON, or a multipart form decoded in Laravel's
/// conventions (its parts recorded in the request log). A form that cannot be read gets deAPI's
/// answer as `Err` (nginx's 413 page, or Laravel's 422), counted as operation `op`.
async fn read_body(
    st: &AppState,
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
    op: Op,
    api: Api,
) -> Result<(JsonBody, Option<Vec<PartInfo>>), Answer> {
    if !upload::is_multipart(&parts.headers) {
        return Ok((http::read_json(body).await, None));
    }
    let log_id = parts.extensions.get::<LogId>().copied();
    let (read, infos) = upload::read_logged(
        body,
        &parts.headers,
        st.config.deapi_form_limit,
        &st.log,
        log_id,
    )
    .await;
    match read {
        Ok(form) => {
            let mut body = upload::laravel_body(&form);
            if let Some(mock) = body.get_mut("mock") {
                jobs::coerce_form(mock);
            }
            Ok((JsonBody::Value(body), Some(infos)))
        }
        Err(FormError::TooLarge(_)) => {
            Err(Answer::new(op, None, distort::too_large(Provider::Deapi)))
        }
        Err(FormError::Malformed(_)) => {
            let msg = "The request body must be valid multipart/form-data.".to_owned();
            Err(Answer::new(
                op,
                None,
                invalid(api, vec![("body".to_owned(), msg)]),
            ))
        }
    }
}

/// A submit's body as the JSON object it must be (none is `{}`), else Laravel's 422.
fn object_of(body: JsonBody, api: Api) -> Result<Value, Response> {
    match body {
        JsonBody::Value(v @ Value::Object(_)) => Ok(v),
        JsonBody::Empty => Ok(json!({})),
        JsonBody::Value(_) | JsonBody::Invalid => {
            let msg = "The request body must be a valid JSON object.".to_owned();
            Err(invalid(api, vec![("body".to_owned(), msg)]))
        }
    }
}

/// A price calculation (no job is created): the submit's validation, except that no file field
/// is required (deAPI prices an upload task from its parameters, or from the file when sent).
fn estimate(task: &str, body: JsonBody, form: bool, api: Api) -> Answer {
    let refuse = |res| Answer::new(Op::List, None, res);
    let body = match object_of(body, api) {
        Ok(body) => body,
        Err(res) => return refuse(res),
    };
    let errors = validate::check_price(task, &body, form);
    if !errors.is_empty() {
        return refuse(invalid(api, errors));
    }
    let res = json(StatusCode::OK, &discovery::price_body(task, &body));
    Answer::new(Op::List, None, res)
}

/// A submit. `form`: the parts of a multipart body (then `body` is the form decoded, with file
/// markers), `None` for JSON.
fn submit(
    st: &AppState,
    key: &str,
    idem: Option<&str>,
    task: &str,
    body: JsonBody,
    form: Option<Vec<PartInfo>>,
    api: Api,
) -> Answer {
    let refuse = |res| Answer::new(Op::Submit, None, res);
    let body = match object_of(body, api) {
        Ok(body) => body,
        Err(res) => return refuse(res),
    };
    let errors = validate::check(task, &body, form.is_some());
    if !errors.is_empty() {
        return refuse(invalid(api, errors));
    }
    let job = Job::new(
        Provider::Deapi,
        ids::uuid_v4(),
        key,
        task,
        &body,
        st.clock.now_ms(),
    )
    .with_parts(form.unwrap_or_default());
    let id = st.admit(job, &body, idem).id;
    let res = json(StatusCode::OK, &json!({"data": {"request_id": id}}));
    Answer::new(Op::Submit, Some(&id), res)
}

fn status(st: &AppState, key: &str, base: &str, id: &str, api: Api) -> Answer {
    let Some(job) = st.store.read_status(Provider::Deapi, key, id) else {
        let msg = match api {
            Api::V1 => "Request not found.",
            Api::V2 => "No query results for the requested resource.",
        };
        let res = error(api, StatusCode::NOT_FOUND, msg);
        return Answer::new(Op::Status, None, res);
    };
    let body = |snap: &Snapshot| match api {
        Api::V1 => status_body(&job, snap, base),
        Api::V2 => status_body_v2(&job, snap, base),
    };
    let snap = job.snapshot(st.clock.now_ms());
    let res = json(StatusCode::OK, &body(&snap));
    let regress = snap
        .phase
        .is_terminal()
        .then(|| body(&job.timeline.still_processing()));
    Answer::new(Op::Status, Some(id), res).with_regress(regress)
}

/// The v2 job body (`GET /api/v2/jobs/{id}`) of `job` at `snap`: v1's fields, then `price`
/// (`null` until terminal, then `{amount, is_estimated: false}`: the job's price as
/// `discovery::price` quotes its v1 task, `0` for a failed job), `prompt_boosted: false`,
/// `prompt_boost: null`, and for a failed job `error_code`, `error_message` (the job's
/// `mock.error_code` and `mock.error`), `error_reason` (`TIMEOUT` for a timed-out job, else
/// `PROCESSING_FAILED`), `retryable`, `refunded: true`, `failed_at` instead of v1's `error`.
pub fn status_body_v2(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let mut body = status_body(job, snap, base);
    let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) else {
        return body;
    };
    data.remove("error");
    let price = match snap.phase {
        Phase::Finished => json!({
            "amount": discovery::price(&job.target, &job.input),
            "is_estimated": false
        }),
        Phase::Failed | Phase::TimedOut | Phase::Cancelled => {
            json!({"amount": 0, "is_estimated": false})
        }
        _ => Value::Null,
    };
    data.insert("price".into(), price);
    data.insert("prompt_boosted".into(), json!(false));
    data.insert("prompt_boost".into(), Value::Null);
    if matches!(
        snap.phase,
        Phase::Failed | Phase::TimedOut | Phase::Cancelled
    ) {
        let timed_out = snap.phase == Phase::TimedOut;
        data.insert("error_code".into(), json!(job.options.error_code));
        data.insert("error_message".into(), json!(job.options.error));
        let reason = if timed_out {
            "TIMEOUT"
        } else {
            "PROCESSING_FAILED"
        };
        data.insert("error_reason".into(), json!(reason));
        data.insert("retryable".into(), json!(timed_out));
        data.insert("refunded".into(), json!(true));
        let failed_at = snap.finished_at_ms.map(crate::clock::iso8601);
        data.insert("failed_at".into(), json!(failed_at));
    }
    body
}

/// The request-status body of `job` at `snap`: `progress` 0–100 (0 while pending, left out when
/// there is none, never null). `base` is `http://HOST`.
pub fn status_body(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let string_progress = job.options.variant_in(&["string_progress"]).is_some();
    let status = match snap.phase {
        Phase::Queued { .. } => "pending",
        Phase::Processing => "processing",
        Phase::Finished => "done",
        Phase::Failed | Phase::TimedOut | Phase::Cancelled => "error",
    };
    let done = snap.phase == Phase::Finished;
    // A number (0 while pending) or absent, never null: deAPI's SDK models refuse a null.
    let progress = match snap.phase {
        Phase::Queued { .. } => Some(0.0),
        Phase::Processing | Phase::Finished => snap.progress.map(|p| http::round(p * 100.0, 2)),
        _ => None,
    };
    let progress = match progress {
        Some(p) if string_progress => Some(json!(format!("{p:.2}"))),
        Some(p) => Some(json!(p)),
        None => None,
    };
    let url = files::url(base, &job.id);
    // A preview on odd progress steps, as real polls show one now and then.
    let step = snap
        .progress
        .map_or(0, |p| (p * f64::from(job.timeline.steps)).round() as u64);
    let preview = (snap.phase == Phase::Processing && step % 2 == 1)
        .then(|| files::url_of(base, &format!("{}-preview", job.id), "jpg"));
    let mut data = Map::new();
    data.insert("status".into(), json!(status));
    data.insert("preview".into(), json!(preview));
    data.insert(
        "result_url".into(),
        if done { json!(url) } else { Value::Null },
    );
    data.insert(
        "results_alt_formats".into(),
        if done {
            json!({"jpg": files::url_of(base, &job.id, "jpg"),
                   "webp": files::url_of(base, &job.id, "webp")})
        } else {
            Value::Null
        },
    );
    let result = if done {
        job.options
            .result
            .clone()
            .or_else(|| upload::received(&job.parts))
    } else {
        None
    };
    data.insert("result".into(), result.unwrap_or(Value::Null));
    if let Some(progress) = progress {
        data.insert("progress".into(), progress);
    }
    match snap.phase {
        Phase::Failed | Phase::TimedOut => {
            data.insert("error".into(), json!(job.options.error));
        }
        Phase::Cancelled => {
            data.insert("error".into(), json!("Request cancelled."));
        }
        _ => {}
    }
    json!({ "data": data })
}
