//! Optexity — `/optexity` (`x-api-key`).
//!
//! Owns: `POST /api/v1/inference` (start a task), `POST /api/v1/inference/call` (the seed's status
//! shape), `POST /api/v1/inference/all_calls` (the list), and the status body in two variants:
//! `legacy` (default: queued → running with integer `progress` → completed | failed) and `current`
//! (queued → allocated → running → success | failed, no `progress`). Errors are the seed's
//! `{"error": …}`, except a bad start request, which gets the current API's
//! `{"success":false,"message":…}`. A completed task carries `downloads` (a CSV under `/files`) and
//! `final_screenshot` (a base64 PNG), as Optexity's task results do. A task submitted with a
//! `task_callback_url` gets the task callback ([`callback_body`]) POSTed there when it ends
//! (`push` schedules it, `webhooks` delivers it with `task_callback_api_key` in `x-api-key`).
//! Must not touch: other providers. The provider has no public cancel route, so neither does
//! the mock.

use crate::clock::iso8601;
use crate::distort::{self, Answer};
use crate::faults::Op;
use crate::http::{self, json, JsonBody};
use crate::jobs::{Job, Phase, Provider, Snapshot};
use crate::{files, ids, push, AppState};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

const PREFIX: &str = "/optexity";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, any(handle))
        .route("/optexity/{*rest}", any(handle))
}

fn error(status: StatusCode, msg: &str) -> Response {
    json(status, &json!({ "error": msg }))
}

fn bad_start(msg: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &json!({"success": false, "message": msg}),
    )
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let key = http::header(&parts.headers, "x-api-key");
    if !st.key_ok(key) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let key = key.unwrap_or_default();
    let base = http::base_url(&parts, &st.config.fallback_host);
    let segs = http::segments(parts.uri.path(), PREFIX);
    let post = parts.method == Method::POST;
    let answer = match segs.as_slice() {
        ["api", "v1", "inference"] if post => {
            let idem = http::header(&parts.headers, "idempotency-key");
            submit(&st, key, idem, http::read_json(body).await)
        }
        ["api", "v1", "inference", "call"] if post => {
            call(&st, key, &base, http::read_json(body).await)
        }
        ["api", "v1", "inference", "all_calls"] if post || parts.method == Method::GET => {
            Answer::new(Op::List, None, all_calls(&st, key, &base))
        }
        _ => return error(StatusCode::NOT_FOUND, "Not Found"),
    };
    let submitted = (answer.op == Op::Submit)
        .then(|| answer.job.clone())
        .flatten();
    let res = distort::respond(&st, Provider::Optexity, &parts.headers, answer).await;
    if let Some(id) = submitted {
        push::start(&st, &id, &base);
    }
    res
}

fn submit(st: &AppState, key: &str, idem: Option<&str>, body: JsonBody) -> Answer {
    let refuse = |msg| Answer::new(Op::Submit, None, bad_start(msg));
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Value(_) => return refuse("Request body must be a JSON object"),
        JsonBody::Empty => return refuse("Missing required field: endpoint_name"),
        JsonBody::Invalid => return refuse("Invalid JSON body"),
    };
    let Some(endpoint) = http::nonempty_str(&body, "endpoint_name")
        .or_else(|| http::nonempty_str(&body, "end_point"))
    else {
        return refuse("Missing required field: endpoint_name");
    };
    let job = Job::new(
        Provider::Optexity,
        ids::uuid_v4(),
        key,
        endpoint,
        &body,
        st.clock.now_ms(),
    );
    let task_id = st.admit(job, &body, idem).id;
    let res = json(
        StatusCode::ACCEPTED,
        &json!({"success": true, "message": "Task has been allocated to a worker", "task_id": task_id}),
    );
    Answer::new(Op::Submit, Some(&task_id), res)
}

fn call(st: &AppState, key: &str, base: &str, body: JsonBody) -> Answer {
    let task_id = match &body {
        JsonBody::Value(v) => http::nonempty_str(v, "task_id"),
        _ => None,
    };
    let Some(task_id) = task_id else {
        let res = error(StatusCode::BAD_REQUEST, "Missing required field: task_id");
        return Answer::new(Op::Status, None, res);
    };
    let Some(job) = st.store.read_status(Provider::Optexity, key, task_id) else {
        let res = error(
            StatusCode::NOT_FOUND,
            &format!("Task not found with ID: {task_id}"),
        );
        return Answer::new(Op::Status, None, res);
    };
    let snap = job.snapshot(st.clock.now_ms());
    let res = json(StatusCode::OK, &status_body(&job, &snap, base));
    let regress = snap
        .phase
        .is_terminal()
        .then(|| status_body(&job, &job.timeline.still_processing(), base));
    Answer::new(Op::Status, Some(task_id), res).with_regress(regress)
}

fn all_calls(st: &AppState, key: &str, base: &str) -> Response {
    let now = st.clock.now_ms();
    let requests: Vec<Value> = st
        .store
        .list(Provider::Optexity, key)
        .iter()
        .map(|j| status_body(j, &j.snapshot(now), base))
        .collect();
    json(
        StatusCode::OK,
        &json!({"success": true, "total_requests": requests.len(), "requests": requests}),
    )
}

/// The `/call` body of `job` at `snap`, in the job's variant. `base` is `http://HOST`.
pub fn status_body(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let current = job.options.variant_in(&["current", "legacy"]) == Some("current");
    let t = &job.timeline;
    let status = match (snap.phase, current) {
        (Phase::Queued { late: true }, true) => "allocated",
        (Phase::Queued { .. }, _) => "queued",
        (Phase::Processing, _) => "running",
        (Phase::Finished, false) => "completed",
        (Phase::Finished, true) => "success",
        (Phase::Failed | Phase::TimedOut, _) => "failed",
        (Phase::Cancelled, _) => "cancelled",
    };
    let mut m = Map::new();
    m.insert("success".into(), json!(true));
    m.insert("task_id".into(), json!(job.id));
    m.insert("status".into(), json!(status));
    m.insert("end_point".into(), json!(job.target));
    m.insert(
        "goal".into(),
        json!(job.input_str("goal").unwrap_or_default()),
    );
    m.insert("created_at".into(), json!(iso8601(t.submitted_at_ms)));
    match snap.phase {
        Phase::Queued { .. } => {}
        Phase::Processing => {
            if let Some(p) = snap.progress.filter(|_| !current) {
                m.insert("progress".into(), json!((p * 100.0).floor() as u64));
            }
            m.insert("estimated_completion".into(), json!(iso8601(t.eta_at_ms)));
        }
        Phase::Finished => {
            m.insert("completed_at".into(), json!(iso8601(t.completes_at_ms)));
            let result = job
                .options
                .result
                .clone()
                .unwrap_or_else(|| json!(format!("Completed {}", job.target)));
            m.insert("result".into(), result);
            m.insert(
                "execution_time".into(),
                json!(http::seconds_text(t.completes_at_ms - t.started_at_ms)),
            );
            let csv = files::url_of(base, &job.id, "csv");
            let filename = format!("{}.csv", job.target);
            m.insert(
                "downloads".into(),
                json!([{"url": csv, "filename": filename}]),
            );
            let shot = files::png_base64(&format!("{}-screenshot", job.id));
            m.insert("final_screenshot".into(), json!(shot));
        }
        Phase::Failed | Phase::TimedOut => {
            m.insert("failed_at".into(), json!(iso8601(t.completes_at_ms)));
            m.insert("error".into(), json!(job.options.error));
            m.insert("error_code".into(), json!(job.options.error_code));
        }
        Phase::Cancelled => {
            let at = snap.finished_at_ms.unwrap_or(t.completes_at_ms);
            m.insert("cancelled_at".into(), json!(iso8601(at)));
        }
    }
    Value::Object(m)
}

/// The task callback Optexity POSTs to `task_callback_url` when `job` has ended (at `snap`), and
/// its status word: Optexity's `CallbackResponse` (`schema/callback.py`) — `task_id`,
/// `recording_id`, `endpoint_name`, `status` in the current API's words (`success`, `failed`,
/// `cancelled`), `output_data` (a list: `mock.result` when it is one, else `[mock.result]`, else
/// `["Completed {endpoint}"]`; `null` on failure), `error`, `final_screenshot` and `downloads`
/// (the same file URL and screenshot as a polled task), and the submitted `input_parameters` /
/// `unique_parameter_names` when there were any.
pub fn callback_body(job: &Job, snap: &Snapshot, base: &str) -> (&'static str, Vec<u8>) {
    let word = match snap.phase {
        Phase::Finished => "success",
        Phase::Cancelled => "cancelled",
        _ => "failed",
    };
    let finished = word == "success";
    let mut m = Map::new();
    m.insert("task_id".into(), json!(job.id));
    m.insert("recording_id".into(), json!(format!("rec_{}", job.target)));
    m.insert("endpoint_name".into(), json!(job.target));
    m.insert("status".into(), json!(word));
    let output = finished.then(|| match job.options.result.clone() {
        Some(list @ Value::Array(_)) => list,
        Some(one) => json!([one]),
        None => json!([format!("Completed {}", job.target)]),
    });
    m.insert("output_data".into(), json!(output));
    let error = (word == "failed").then(|| job.options.error.clone());
    m.insert("error".into(), json!(error));
    let shot = files::png_base64(&format!("{}-screenshot", job.id));
    m.insert("final_screenshot".into(), json!(shot));
    let downloads = if finished {
        let csv = files::url_of(base, &job.id, "csv");
        json!([{"url": csv, "filename": format!("{}.csv", job.target)}])
    } else {
        json!([])
    };
    m.insert("downloads".into(), downloads);
    for key in ["input_parameters", "unique_parameter_names"] {
        if let Some(v) = job.input.get(key) {
            m.insert(key.into(), v.clone());
        }
    }
    (
        word,
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default(),
    )
}
