//! Introspection for tests and benchmarks: `/__mock/*`.
//!
//! Owns: reading a job's plan, counters, faults and webhook deliveries (one job or all), the
//! request log, the totals (with the Pusher socket counters), and resetting the server.
//! These routes need no key and are not themselves logged. Must not touch: provider wire formats.

use crate::http::json;
use crate::jobs::{Job, Provider};
use crate::{upload, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__mock/jobs", get(jobs))
        .route("/__mock/jobs/{id}", get(job))
        .route("/__mock/requests", get(requests))
        .route("/__mock/stats", get(stats))
        .route("/__mock/reset", post(reset))
}

/// A job's introspection summary (deAPI and Optexity jobs add `webhooks` and `webhook_refused`:
/// the webhook / task callback deliveries): `target` is what it runs (model, task, endpoint,
/// `service/endpoint`), `input` its submit body as read (without `mock`), `parts` the parts of a
/// multipart submit (`[]` for JSON).
pub fn summary(j: &Job) -> Value {
    let mut v = json!({
        "id": j.id,
        "provider": j.provider.as_str(),
        "target": j.target,
        "input": j.input,
        "submitted_at_ms": j.timeline.submitted_at_ms,
        "completes_at_ms": j.timeline.completes_at_ms,
        "outcome": j.options.outcome.as_str(),
        "cancelled_at_ms": j.cancelled_at_ms,
        "status_requests": j.counters.status_requests,
        "faults": j.faults.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        "faults_fired": j.faults_fired.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
        "rejected": j.rejected,
        "parts": upload::parts_json(&j.parts),
    });
    if matches!(j.provider, Provider::Deapi | Provider::Optexity) {
        v["webhooks"] = j.webhooks.iter().map(|w| w.to_json()).collect();
        v["webhook_refused"] = json!(j.webhook_refused);
    }
    v
}

async fn job(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.store.find(&id) {
        Some(j) => json(StatusCode::OK, &summary(&j)),
        None => json(StatusCode::NOT_FOUND, &json!({"error": "Job not found"})),
    }
}

async fn jobs(State(st): State<AppState>) -> Response {
    let list: Vec<Value> = st.store.all().iter().map(summary).collect();
    json(StatusCode::OK, &Value::Array(list))
}

async fn requests(State(st): State<AppState>) -> Response {
    let list: Vec<Value> = st.log.entries().iter().map(|e| e.to_json()).collect();
    json(StatusCode::OK, &Value::Array(list))
}

async fn stats(State(st): State<AppState>) -> Response {
    let (jobs, status_requests) = st.store.stats();
    let (ws_connections, ws_events_sent) = st.hub.stats();
    json(
        StatusCode::OK,
        &json!({"requests": st.log.total(), "jobs": jobs, "status_requests": status_requests,
                "faults_fired": st.faults.fired_by_kind(), "ws_connections": ws_connections,
                "ws_events_sent": ws_events_sent}),
    )
}

async fn reset(State(st): State<AppState>) -> Response {
    st.store.reset();
    st.log.reset();
    st.faults.reset();
    st.hub.reset();
    st.push.reset();
    json(StatusCode::OK, &json!({"ok": true}))
}
