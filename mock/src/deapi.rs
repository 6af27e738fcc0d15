//! deAPI — `/deapi` (Bearer).
//!
//! Owns: `POST /api/v1/client/{task...}` (submit; `txt2img` validated like Laravel: `prompt` and
//! `model` required), `GET /api/v1/client/request-status/{id}` (the polling body, `progress` as a
//! 0..100 float, or as a string in the `string_progress` variant), and deAPI's error envelope
//! `{"data":null,"message","errors","statusCode"}`, `webhook_secret` validation (32–255 chars), and
//! the channel-auth route `POST /broadcasting/auth` (answered by `realtime`). An accepted submit
//! starts the job's push task (`push`: webhooks and Pusher events). Must not touch: other
//! providers. deAPI has no cancel and no list, so neither does the mock.

use crate::distort::{self, Answer};
use crate::faults::Op;
use crate::http::{self, json, JsonBody};
use crate::jobs::{Job, Phase, Provider, Snapshot};
use crate::{files, ids, push, realtime, webhooks, AppState};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

const PREFIX: &str = "/deapi";

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

/// Laravel's validation failure: `errors` maps each field to its messages.
fn invalid(errors: Vec<(&str, String)>) -> Response {
    let first = errors.first().map(|(_, m)| m.clone()).unwrap_or_default();
    let message = match errors.len() {
        0 | 1 => first,
        2 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {} more errors)", n - 1),
    };
    let mut map = Map::new();
    for (field, msg) in errors {
        map.insert(field.to_owned(), json!([msg]));
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
        ["api", "v1", "client", task @ ..] if parts.method == Method::POST && !task.is_empty() => {
            let multipart = http::header(&parts.headers, CONTENT_TYPE.as_str())
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/"));
            let body = if multipart {
                // Upload tasks (img2img, …) send files; the mock only needs to accept them.
                JsonBody::Value(json!({}))
            } else {
                http::read_json(body).await
            };
            let idem = http::header(&parts.headers, "idempotency-key");
            submit(&st, key, idem, &task.join("/"), body)
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

fn submit(st: &AppState, key: &str, idem: Option<&str>, task: &str, body: JsonBody) -> Answer {
    let refuse = |res| Answer::new(Op::Submit, None, res);
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Empty => json!({}),
        JsonBody::Value(_) | JsonBody::Invalid => {
            let msg = "The request body must be a valid JSON object.".to_owned();
            return refuse(invalid(vec![("body", msg)]));
        }
    };
    let mut errors = Vec::new();
    if task == "txt2img" {
        for field in ["prompt", "model"] {
            match body.get(field) {
                None | Some(Value::Null) => {
                    errors.push((field, format!("The {field} field is required.")))
                }
                Some(Value::String(s)) if s.trim().is_empty() => {
                    errors.push((field, format!("The {field} field is required.")))
                }
                Some(Value::String(_)) => {}
                Some(_) => errors.push((field, format!("The {field} field must be a string."))),
            }
        }
    }
    match body.get("webhook_secret") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if webhooks::SECRET_LEN.contains(&s.chars().count()) => {}
        Some(Value::String(s)) if s.chars().count() < *webhooks::SECRET_LEN.start() => {
            errors.push((
                "webhook_secret",
                "The webhook secret field must be at least 32 characters.".to_owned(),
            ))
        }
        Some(Value::String(_)) => errors.push((
            "webhook_secret",
            "The webhook secret field must not be greater than 255 characters.".to_owned(),
        )),
        Some(_) => errors.push((
            "webhook_secret",
            "The webhook secret field must be a string.".to_owned(),
        )),
    }
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
    );
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
    let mut data = Map::new();
    data.insert("status".into(), json!(status));
    data.insert("preview".into(), Value::Null);
    data.insert(
        "result_url".into(),
        if done { json!(url) } else { Value::Null },
    );
    data.insert(
        "results_alt_formats".into(),
        if done {
            json!({"png": url})
        } else {
            Value::Null
        },
    );
    let result = if done {
        job.options.result.clone()
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
