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

/// deAPI's error envelope with an empty `errors` list.
fn error(status: StatusCode, msg: &str) -> Response {
    json(
        status,
        &json!({"data": null, "message": msg, "errors": [], "statusCode": status.as_u16()}),
    )
}

/// Laravel's validation failure: `errors` maps each field to its messages; `message` is the first
/// one and, when there are more, `(and N more error(s))` counting every message.
fn invalid(errors: Vec<(String, String)>) -> Response {
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
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"data": null, "message": message, "errors": map, "statusCode": 422}),
    )
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let key = http::bearer(&parts.headers);
    if !st.key_ok(key) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized user.");
    }
    let key = key.unwrap_or_default();
    let base = http::base_url(&parts, &st.config.fallback_host);
    let segs = http::segments(parts.uri.path(), PREFIX);
    let answer = match segs.as_slice() {
        ["api", "v1", "client", "request-status", id] if parts.method == Method::GET => {
            status(&st, key, &base, id)
        }
        ["broadcasting", "auth"] if parts.method == Method::POST => {
            let bytes = axum::body::to_bytes(body, http::BODY_LIMIT)
                .await
                .unwrap_or_default();
            return realtime::auth_answer(&st, &bytes);
        }
        ["api", "v1", "client", "balance"] if parts.method == Method::GET => {
            let res = json(StatusCode::OK, &discovery::balance_body());
            Answer::new(Op::List, None, res)
        }
        ["api", "v1", "client", "models"] if parts.method == Method::GET => {
            let query = parts.uri.query().unwrap_or_default();
            let page = discovery::models_page(query, &base, parts.uri.path());
            Answer::new(Op::List, None, json(StatusCode::OK, &page))
        }
        ["api", "v1", "client", rest @ ..] if parts.method == Method::POST && !rest.is_empty() => {
            let price_task = discovery::price_task(rest);
            let task = price_task.clone().unwrap_or_else(|| rest.join("/"));
            let idem = http::header(&parts.headers, "idempotency-key");
            let op = if price_task.is_some() {
                Op::List
            } else {
                Op::Submit
            };
            match read_body(&st, &parts, body, op).await {
                Err(refused) => refused,
                Ok((body, form)) if price_task.is_some() => estimate(&task, body, form.is_some()),
                Ok((body, form)) => submit(&st, key, idem, &task, body, form),
            }
        }
        _ => return error(StatusCode::NOT_FOUND, "Not found."),
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
                invalid(vec![("body".to_owned(), msg)]),
            ))
        }
    }
}

/// A price calculation (no job is created): the submit's validation, except that no file field
/// is required (deAPI prices an upload task from its parameters, or from the file when sent).
fn estimate(task: &str, body: JsonBody, form: bool) -> Answer {
    let refuse = |res| Answer::new(Op::List, None, res);
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Empty => json!({}),
        JsonBody::Value(_) | JsonBody::Invalid => {
            let msg = "The request body must be a valid JSON object.".to_owned();
            return refuse(invalid(vec![("body".to_owned(), msg)]));
        }
    };
    let errors = validate::check_price(task, &body, form);
    if !errors.is_empty() {
        return refuse(invalid(errors));
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
) -> Answer {
    let refuse = |res| Answer::new(Op::Submit, None, res);
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Empty => json!({}),
        JsonBody::Value(_) | JsonBody::Invalid => {
            let msg = "The request body must be a valid JSON object.".to_owned();
            return refuse(invalid(vec![("body".to_owned(), msg)]));
        }
    };
    let errors = validate::check(task, &body, form.is_some());
    if !errors.is_empty() {
        return refuse(invalid(errors));
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

fn status(st: &AppState, key: &str, base: &str, id: &str) -> Answer {
    let Some(job) = st.store.read_status(Provider::Deapi, key, id) else {
        let res = error(StatusCode::NOT_FOUND, "Request not found.");
        return Answer::new(Op::Status, None, res);
    };
    let snap = job.snapshot(st.clock.now_ms());
    let res = json(StatusCode::OK, &status_body(&job, &snap, base));
    let regress = snap
        .phase
        .is_terminal()
        .then(|| status_body(&job, &job.timeline.still_processing(), base));
    Answer::new(Op::Status, Some(id), res).with_regress(regress)
}

/// The request-status body of `job` at `snap`. `base` is `http://HOST`.
pub fn status_body(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let string_progress = job.options.variant_in(&["string_progress"]).is_some();
    let status = match snap.phase {
        Phase::Queued { .. } => "pending",
        Phase::Processing => "processing",
        Phase::Finished => "done",
        Phase::Failed | Phase::TimedOut | Phase::Cancelled => "error",
    };
    let done = snap.phase == Phase::Finished;
    let progress = match snap.phase {
        Phase::Processing | Phase::Finished => snap.progress.map(|p| http::round(p * 100.0, 2)),
        _ => None,
    };
    let progress = match progress {
        Some(p) if string_progress => json!(format!("{p:.2}")),
        Some(p) => json!(p),
        None => Value::Null,
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
    data.insert("progress".into(), progress);
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
