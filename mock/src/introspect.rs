//! Introspection for tests and benchmarks: `/__mock/*`.
//!
//! Owns: reading a job's plan and counters, the request log, the totals, and resetting the server.
//! These routes need no key and are not themselves logged. Must not touch: provider wire formats.

use crate::http::json;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__mock/jobs/{id}", get(job))
        .route("/__mock/requests", get(requests))
        .route("/__mock/stats", get(stats))
        .route("/__mock/reset", post(reset))
}

async fn job(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.store.find(&id) {
        Some(j) => json(
            StatusCode::OK,
            &json!({
                "id": j.id,
                "provider": j.provider.as_str(),
                "submitted_at_ms": j.timeline.submitted_at_ms,
                "completes_at_ms": j.timeline.completes_at_ms,
                "outcome": j.options.outcome.as_str(),
                "cancelled_at_ms": j.cancelled_at_ms,
                "status_requests": j.counters.status_requests,
            }),
        ),
        None => json(StatusCode::NOT_FOUND, &json!({"error": "Job not found"})),
    }
}

async fn requests(State(st): State<AppState>) -> Response {
    let list: Vec<Value> = st.log.entries().iter().map(|e| e.to_json()).collect();
    json(StatusCode::OK, &Value::Array(list))
}

async fn stats(State(st): State<AppState>) -> Response {
    let (jobs, status_requests) = st.store.stats();
    json(
        StatusCode::OK,
        &json!({"requests": st.log.total(), "jobs": jobs, "status_requests": status_requests}),
    )
}

async fn reset(State(st): State<AppState>) -> Response {
    st.store.reset();
    st.log.reset();
    json(StatusCode::OK, &json!({"ok": true}))
}
