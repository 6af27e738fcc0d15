//! Serika routes: create → get over time → COMPLETED/FAILED, error_object variant, list, errors.

mod common;
use common::*;
use serde_json::{json, Value};

async fn create(m: &Mock, body: Value) -> String {
    let r = m.post("/serika/jobs/images", BEARER, &body).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("job-") && id.len() > 10);
    assert_eq!(b, json!({"id": id, "status": "QUEUED"}));
    id
}

async fn get(m: &Mock, id: &str) -> Value {
    let r = m.get(&format!("/serika/jobs/{id}"), BEARER).await;
    assert_eq!(r.status, 200);
    r.json()
}

#[tokio::test(start_paused = true)]
async fn job_timeline_to_completed() {
    let m = Mock::new();
    let id = create(
        &m,
        json!({"model": "tensorart-illustrious-xl-v2-aesthetic", "prompt": "A futuristic city",
               "width": 768, "height": 512, "seed": 123456789, "mock": {"queue_ms": 100, "duration_ms": 2000}}),
    )
    .await;
    let head = json!({"id": id, "created_at": 1_705_314_600u64, "model": "tensorart-illustrious-xl-v2-aesthetic"});
    let with = |extra: Value| {
        let mut v = head.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    assert_eq!(get(&m, &id).await, with(json!({"status": "QUEUED"})));
    advance(100).await;
    assert_eq!(get(&m, &id).await, with(json!({"status": "PROCESSING"})));
    advance(2000).await;
    let url = format!("{BASE}/files/{id}.png");
    assert_eq!(
        get(&m, &id).await,
        with(
            json!({"status": "COMPLETED", "result": {"url": url, "width": 768, "height": 512, "seed": 123456789}})
        )
    );
    let png = m.get(&format!("/files/{id}.png"), BEARER).await;
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(m.introspect(&id).await["status_requests"], 3);
}

#[tokio::test(start_paused = true)]
async fn defaults_and_the_older_path() {
    let m = Mock::new();
    let r = m.post("/serika/jobs/image", BEARER, &json!({"model": "m", "prompt": "p", "width": 1e12, "mock": {"queue_ms": 0, "duration_ms": 0}})).await;
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let b = get(&m, &id).await;
    assert_eq!(b["status"], "COMPLETED");
    assert_eq!(
        (b["result"]["width"].clone(), b["result"]["height"].clone()),
        (json!(1024), json!(1024))
    );
    assert!(b["result"]["seed"].as_u64().is_some());
}

#[tokio::test(start_paused = true)]
async fn failures_as_string_and_as_object() {
    let m = Mock::new();
    let plain = create(&m, json!({"model": "m", "prompt": "p", "mock": {"queue_ms": 0, "duration_ms": 5, "outcome": "failed", "error": "NSFW"}})).await;
    let object = create(
        &m,
        json!({"model": "m", "prompt": "p", "mock": {"variant": "error_object", "queue_ms": 0, "duration_ms": 5,
               "outcome": "timeout", "error": "Worker lost", "error_code": "worker_lost"}}),
    )
    .await;
    advance(5).await;
    let b = get(&m, &plain).await;
    assert_eq!(
        (b["status"].clone(), b["error"].clone()),
        (json!("FAILED"), json!("NSFW"))
    );
    assert!(b.get("result").is_none());
    let b = get(&m, &object).await;
    assert_eq!(b["status"], "FAILED");
    assert_eq!(
        b["error"],
        json!({"message": "Worker lost", "type": "server_error", "code": "worker_lost"})
    );
}

#[tokio::test(start_paused = true)]
async fn list_is_newest_first_and_only_serika_jobs() {
    let m = Mock::new();
    let a = create(
        &m,
        json!({"model": "first", "prompt": "p", "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    advance(2000).await;
    let b = create(&m, json!({"model": "second", "prompt": "p"})).await;
    m.post("/socaity/v1/x/generate", BEARER, &json!({})).await;
    let r = m.get("/serika/jobs", BEARER).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"jobs": [
            {"id": b, "status": "QUEUED", "created_at": 1_705_314_602u64, "model": "second"},
            {"id": a, "status": "COMPLETED", "created_at": 1_705_314_600u64, "model": "first"},
        ]})
    );
    assert_eq!(
        Mock::new().get("/serika/jobs/", BEARER).await.json(),
        json!({"jobs": []})
    );
}

#[tokio::test]
async fn errors_are_openai_shaped() {
    let m = Mock::new();
    let unauthorized = json!({"error": {"message": "Invalid API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}});
    for (method, uri) in [
        ("POST", "/serika/jobs/images"),
        ("GET", "/serika/jobs/job-x"),
        ("GET", "/serika/jobs"),
        ("GET", "/serika/x/y/z"),
    ] {
        for headers in [
            vec![],
            vec![("authorization", "Bearer sk-wrong")],
            vec![XKEY],
        ] {
            let r = m.send(method, uri, &headers, "").await;
            assert_eq!(
                (r.status, r.json()),
                (401, unauthorized.clone()),
                "{method} {uri}"
            );
        }
    }
    let r = m.get("/serika/jobs/job-12345abcde", BEARER).await;
    assert_eq!(
        (r.status, r.json()),
        (
            404,
            json!({"error": {"message": "Job not found", "type": "invalid_request_error", "code": "not_found"}})
        )
    );
    let r = m
        .post("/serika/jobs/images", BEARER, &json!({"prompt": "p"}))
        .await;
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": {"message": "Missing required parameter: 'model'.", "type": "invalid_request_error", "code": "missing_required_parameter"}})
        )
    );
    let r = m
        .post(
            "/serika/jobs/images",
            BEARER,
            &json!({"model": "m", "prompt": 1}),
        )
        .await;
    assert_eq!(
        r.json()["error"]["message"],
        "Missing required parameter: 'prompt'."
    );
    for body in ["{x", "[]", ""] {
        let r = m.send("POST", "/serika/jobs/images", &[BEARER], body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    }
    let r = m.send("DELETE", "/serika/jobs/job-x", &[BEARER], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(m.state.store.stats().0, 0);
}
