//! Serika — `/serika` (Bearer).
//!
//! Owns: `POST /jobs/images` (and the older `/jobs/image`), `GET /jobs/{id}`, `GET /jobs` (this
//! key's jobs, newest first), `GET /models` (the list is `discovery`'s), the job body (`created_at` in unix seconds, `result` with a real PNG
//! URL), the `error_object` variant (a failed job's `error` as `{message,type,code}`), and the
//! OpenAI-style error envelope `{"error":{"message","type","code"}}`. Must not touch: other
//! providers. Serika documents no cancel and no progress, so the mock has neither.

use crate::clock::unix_seconds;
use crate::distort::{self, Answer};
use crate::faults::Op;
use crate::http::{self, json, JsonBody};
use crate::jobs::{Job, Phase, Provider, Snapshot};
use crate::{discovery, files, ids, AppState};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

const PREFIX: &str = "/serika";
/// Largest width/height echoed back; anything else falls back to the default 1024.
const MAX_SIDE: u64 = 16_384;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, any(handle))
        .route("/serika/{*rest}", any(handle))
}

fn error(status: StatusCode, msg: &str, code: &str) -> Response {
    json(
        status,
        &json!({"error": {"message": msg, "type": "invalid_request_error", "code": code}}),
    )
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let key = http::bearer(&parts.headers);
    if !st.key_ok(key) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Invalid API key provided.",
            "invalid_api_key",
        );
    }
    let key = key.unwrap_or_default();
    let base = http::base_url(&parts, &st.config.fallback_host);
    let segs = http::segments(parts.uri.path(), PREFIX);
    let m = &parts.method;
    let answer = match segs.as_slice() {
        ["jobs", "images" | "image"] if m == Method::POST => {
            let idem = http::header(&parts.headers, "idempotency-key");
            create(&st, key, idem, http::read_json(body).await)
        }
        ["jobs"] if m == Method::GET => Answer::new(Op::List, None, list(&st, key)),
        ["models"] if m == Method::GET => {
            let res = json(StatusCode::OK, &discovery::serika_models());
            Answer::new(Op::List, None, res)
        }
        ["jobs", id] if m == Method::GET => get(&st, key, &base, id),
        _ => return error(StatusCode::NOT_FOUND, "Not found", "not_found"),
    };
    distort::respond(&st, Provider::Serika, &parts.headers, answer).await
}

fn create(st: &AppState, key: &str, idem: Option<&str>, body: JsonBody) -> Answer {
    let refuse =
        |msg: &str, code| Answer::new(Op::Submit, None, error(StatusCode::BAD_REQUEST, msg, code));
    let body = match body {
        JsonBody::Value(v @ Value::Object(_)) => v,
        JsonBody::Value(_) | JsonBody::Empty => {
            return refuse("Request body must be a JSON object.", "invalid_request")
        }
        JsonBody::Invalid => {
            return refuse(
                "Could not parse the JSON body of your request.",
                "invalid_json",
            )
        }
    };
    for field in ["model", "prompt"] {
        if http::nonempty_str(&body, field).is_none() {
            return refuse(
                &format!("Missing required parameter: '{field}'."),
                "missing_required_parameter",
            );
        }
    }
    let model = http::nonempty_str(&body, "model").unwrap_or_default();
    let job = Job::new(
        Provider::Serika,
        format!("job-{}", &ids::hex128()[..24]),
        key,
        model,
        &body,
        st.clock.now_ms(),
    );
    let id = st.admit(job, &body, idem).id;
    let res = json(StatusCode::OK, &json!({"id": id, "status": "QUEUED"}));
    Answer::new(Op::Submit, Some(&id), res)
}

fn get(st: &AppState, key: &str, base: &str, id: &str) -> Answer {
    let Some(job) = st.store.read_status(Provider::Serika, key, id) else {
        let res = error(StatusCode::NOT_FOUND, "Job not found", "not_found");
        return Answer::new(Op::Status, None, res);
    };
    let snap = job.snapshot(st.clock.now_ms());
    let res = json(StatusCode::OK, &job_body(&job, &snap, base));
    let regress = snap
        .phase
        .is_terminal()
        .then(|| job_body(&job, &job.timeline.still_processing(), base));
    Answer::new(Op::Status, Some(id), res).with_regress(regress)
}

fn list(st: &AppState, key: &str) -> Response {
    let now = st.clock.now_ms();
    let jobs: Vec<Value> = st
        .store
        .list(Provider::Serika, key)
        .iter()
        .map(|j| {
            json!({
                "id": j.id,
                "status": word(j.snapshot(now).phase),
                "created_at": unix_seconds(j.timeline.submitted_at_ms),
                "model": j.target,
            })
        })
        .collect();
    json(StatusCode::OK, &json!({ "jobs": jobs }))
}

fn word(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued { .. } => "QUEUED",
        Phase::Processing => "PROCESSING",
        Phase::Finished => "COMPLETED",
        Phase::Failed | Phase::TimedOut | Phase::Cancelled => "FAILED",
    }
}

/// An image side from the input (`width`/`height`), else 1024.
fn side(job: &Job, key: &str) -> u64 {
    job.input
        .get(key)
        .and_then(Value::as_u64)
        .filter(|v| (1..=MAX_SIDE).contains(v))
        .unwrap_or(1024)
}

/// The `GET /jobs/{id}` body of `job` at `snap`. `base` is `http://HOST`.
pub fn job_body(job: &Job, snap: &Snapshot, base: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(job.id));
    m.insert("status".into(), json!(word(snap.phase)));
    m.insert(
        "created_at".into(),
        json!(unix_seconds(job.timeline.submitted_at_ms)),
    );
    m.insert("model".into(), json!(job.target));
    match snap.phase {
        Phase::Finished => {
            let seed = job
                .input
                .get("seed")
                .and_then(Value::as_i64)
                .filter(|s| *s >= 0)
                .unwrap_or_else(|| (ids::fnv1a(&job.id) % 4_294_967_296) as i64);
            let result = job.options.result.clone().unwrap_or_else(|| {
                json!({
                    "url": files::url(base, &job.id),
                    "width": side(job, "width"),
                    "height": side(job, "height"),
                    "seed": seed,
                })
            });
            m.insert("result".into(), result);
        }
        Phase::Failed | Phase::TimedOut | Phase::Cancelled => {
            let msg = if snap.phase == Phase::Cancelled {
                "Job cancelled"
            } else {
                job.options.error.as_str()
            };
            let error = if job.options.variant_in(&["error_object"]).is_some() {
                json!({"message": msg, "type": "server_error", "code": job.options.error_code})
            } else {
                json!(msg)
            };
            m.insert("error".into(), error);
        }
        _ => {}
    }
    Value::Object(m)
}
