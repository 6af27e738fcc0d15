//! Optexity routes: start → /call over time → terminal body, both variants, list, errors.

mod common;
use common::*;
use serde_json::{json, Value};

async fn start(m: &Mock, body: Value) -> String {
    let r = m.post("/optexity/api/v1/inference", XKEY, &body).await;
    assert_eq!(r.status, 202, "{:?}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    let id = b["task_id"].as_str().unwrap().to_owned();
    assert!(is_uuid(&id), "{id}");
    assert_eq!(
        b,
        json!({"success": true, "message": "Task has been allocated to a worker", "task_id": id})
    );
    id
}

async fn call(m: &Mock, id: &str) -> Value {
    let r = m
        .post(
            "/optexity/api/v1/inference/call",
            XKEY,
            &json!({"task_id": id}),
        )
        .await;
    assert_eq!(r.status, 200);
    r.json()
}

#[tokio::test(start_paused = true)]
async fn legacy_timeline_matches_the_seed_shapes() {
    let m = Mock::new();
    let id = start(
        &m,
        json!({"endpoint_name": "scrape", "goal": "Analyze customer feedback sentiment",
               "input_parameters": {"url": ["https://example.com"]},
               "mock": {"queue_ms": 1000, "duration_ms": 2250, "steps": 4, "result": "Positive"}}),
    )
    .await;
    let head = json!({"success": true, "task_id": id, "end_point": "scrape",
                      "goal": "Analyze customer feedback sentiment", "created_at": "2024-01-15T10:30:00Z"});
    let with = |extra: Value| {
        let mut v = head.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    assert_eq!(call(&m, &id).await, with(json!({"status": "queued"})));
    advance(600).await;
    assert_eq!(call(&m, &id).await, with(json!({"status": "queued"})));
    advance(400 + 1200).await;
    assert_eq!(
        call(&m, &id).await,
        with(
            json!({"status": "running", "progress": 50, "estimated_completion": "2024-01-15T10:30:03Z"})
        )
    );
    advance(1050).await;
    let done = call(&m, &id).await;
    let shot = done["final_screenshot"].as_str().unwrap().to_owned();
    assert_eq!(
        done,
        with(
            json!({"status": "completed", "completed_at": "2024-01-15T10:30:03Z",
                    "result": "Positive", "execution_time": "2.25 seconds",
                    "downloads": [{"url": format!("{BASE}/files/{id}.csv"), "filename": "scrape.csv"}],
                    "final_screenshot": shot})
        )
    );
    assert_eq!(m.introspect(&id).await["status_requests"], 4);
}

#[tokio::test(start_paused = true)]
async fn current_variant_has_allocated_and_success_without_progress() {
    let m = Mock::new();
    let id = start(&m, json!({"endpoint_name": "e", "mock": {"variant": "current", "queue_ms": 100, "duration_ms": 100}})).await;
    assert_eq!(call(&m, &id).await["status"], "queued");
    advance(50).await;
    assert_eq!(call(&m, &id).await["status"], "allocated");
    advance(60).await;
    let running = call(&m, &id).await;
    assert_eq!(running["status"], "running");
    assert!(running.get("progress").is_none());
    assert_eq!(running["estimated_completion"], "2024-01-15T10:30:00Z");
    advance(100).await;
    let done = call(&m, &id).await;
    assert_eq!(done["status"], "success");
    assert_eq!(done["result"], "Completed e");
    assert_eq!(done["execution_time"], "0.10 seconds");
    assert_eq!(done["goal"], "");
}

#[tokio::test(start_paused = true)]
async fn failure_carries_error_and_code() {
    let m = Mock::new();
    let id = start(
        &m,
        json!({"end_point": "https://api.example.com/process", "goal": "Analyze data",
               "mock": {"queue_ms": 0, "duration_ms": 90_000, "outcome": "failed",
                        "error": "Invalid input data format", "error_code": "INVALID_INPUT"}}),
    )
    .await;
    advance(90_000).await;
    assert_eq!(
        call(&m, &id).await,
        json!({"success": true, "task_id": id, "status": "failed", "end_point": "https://api.example.com/process",
               "goal": "Analyze data", "created_at": "2024-01-15T10:30:00Z", "failed_at": "2024-01-15T10:31:30Z",
               "error": "Invalid input data format", "error_code": "INVALID_INPUT"})
    );
    // "timeout" is a failure here.
    let t = start(&m, json!({"endpoint_name": "e", "mock": {"queue_ms": 0, "duration_ms": 0, "outcome": "timeout"}})).await;
    let b = call(&m, &t).await;
    assert_eq!(
        (b["status"].clone(), b["error_code"].clone()),
        (json!("failed"), json!("MOCK_FAILURE"))
    );
}

#[tokio::test(start_paused = true)]
async fn trailing_slash_and_legacy_field_are_accepted() {
    let m = Mock::new();
    let r = m
        .post(
            "/optexity/api/v1/inference/",
            XKEY,
            &json!({"end_point": "legacy", "goal": "g", "params": {}}),
        )
        .await;
    assert_eq!(r.status, 202);
    let id = r.json()["task_id"].as_str().unwrap().to_owned();
    assert_eq!(call(&m, &id).await["end_point"], "legacy");
}

#[tokio::test(start_paused = true)]
async fn all_calls_lists_newest_first() {
    let m = Mock::new();
    let a = start(
        &m,
        json!({"endpoint_name": "a", "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    advance(1000).await;
    let b = start(&m, json!({"endpoint_name": "b"})).await;
    m.post(
        "/serika/jobs/images",
        BEARER,
        &json!({"model": "m", "prompt": "p"}),
    )
    .await;
    let r = m
        .send("POST", "/optexity/api/v1/inference/all_calls", &[XKEY], "")
        .await;
    assert_eq!(r.status, 200);
    let l = r.json();
    assert_eq!(l["success"], true);
    assert_eq!(l["total_requests"], 2);
    assert_eq!(l["requests"][0]["task_id"], b.as_str());
    assert_eq!(l["requests"][0]["status"], "queued");
    assert_eq!(l["requests"][1]["task_id"], a.as_str());
    assert_eq!(l["requests"][1]["status"], "completed");
    assert_eq!(l["requests"][1]["created_at"], "2024-01-15T10:30:00Z");
    // Listing is not a status read.
    assert_eq!(m.introspect(&a).await["status_requests"], 0);
    let empty = Mock::new();
    let l = empty
        .send("POST", "/optexity/api/v1/inference/all_calls", &[XKEY], "")
        .await
        .json();
    assert_eq!(
        l,
        json!({"success": true, "total_requests": 0, "requests": []})
    );
}

#[tokio::test]
async fn errors_follow_the_seed() {
    let m = Mock::new();
    let unauthorized = json!({"error": "Invalid API key"});
    for uri in [
        "/optexity/api/v1/inference",
        "/optexity/api/v1/inference/call",
        "/optexity/api/v1/inference/all_calls",
        "/optexity/nope",
    ] {
        for headers in [vec![], vec![("x-api-key", "wrong")], vec![BEARER]] {
            let r = m.send("POST", uri, &headers, r#"{"task_id":"t"}"#).await;
            assert_eq!(
                (r.status, r.json()),
                (401, unauthorized.clone()),
                "{uri} {headers:?}"
            );
        }
    }
    for body in [
        "{}",
        r#"{"task_id": 5}"#,
        r#"{"task_id": ""}"#,
        "[]",
        "{oops",
        "",
    ] {
        let r = m
            .send("POST", "/optexity/api/v1/inference/call", &[XKEY], body)
            .await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"error": "Missing required field: task_id"})),
            "{body}"
        );
    }
    let r = m
        .post(
            "/optexity/api/v1/inference/call",
            XKEY,
            &json!({"task_id": "task_123456789"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (
            404,
            json!({"error": "Task not found with ID: task_123456789"})
        )
    );
    for body in [
        "{}",
        r#"{"endpoint_name": ""}"#,
        r#"{"endpoint_name": 3}"#,
        "[1]",
        "{bad",
        "",
    ] {
        let r = m
            .send("POST", "/optexity/api/v1/inference", &[XKEY], body)
            .await;
        assert_eq!(r.status, 400, "{body}");
        let b = r.json();
        assert_eq!(b["success"], false);
        assert!(b["message"].as_str().is_some_and(|s| !s.is_empty()));
    }
    // There is no cancel route.
    let r = m
        .send("DELETE", "/optexity/api/v1/inference/x", &[XKEY], "")
        .await;
    assert_eq!((r.status, r.json()), (404, json!({"error": "Not Found"})));
    assert_eq!(m.state.store.stats().0, 0);
}
