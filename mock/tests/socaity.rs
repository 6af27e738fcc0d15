//! Socaity routes: submit → status over time → terminal body, variants, cancel, sync, errors.

mod common;
use common::*;
use serde_json::{json, Value};

async fn submit(m: &Mock, body: Value) -> (String, Value) {
    let r = m
        .post("/socaity/v1/acme/text-model/generate", BEARER, &body)
        .await;
    assert_eq!(r.status, 202, "{:?}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    (b["job_id"].as_str().unwrap().to_owned(), b)
}

async fn status(m: &Mock, id: &str) -> Value {
    let r = m.get(&format!("/socaity/v1/jobs/{id}"), BEARER).await;
    assert_eq!(r.status, 200);
    r.json()
}

fn seed_body(id: &str, status: &str, progress: Value, result: Value, error: Value) -> Value {
    let url = format!("{BASE}/socaity/v1/jobs/{id}");
    json!({"job_id": id, "status": status, "progress": progress, "result": result, "error": error,
           "refresh_job_url": url, "cancel_job_url": url})
}

#[tokio::test(start_paused = true)]
async fn seed_timeline_from_submit_to_finished() {
    let m = Mock::new();
    let (id, b) = submit(
        &m,
        json!({"prompt": "hello", "mock": {"queue_ms": 100, "duration_ms": 1000, "steps": 10}}),
    )
    .await;
    assert!(id.starts_with("job_"));
    let url = format!("{BASE}/socaity/v1/jobs/{id}");
    assert_eq!(
        b,
        json!({"job_id": id, "status": "PENDING", "refresh_job_url": url, "cancel_job_url": url})
    );
    assert_eq!(
        status(&m, &id).await,
        seed_body(&id, "PENDING", Value::Null, Value::Null, Value::Null)
    );
    advance(60).await;
    assert_eq!(status(&m, &id).await["status"], "QUEUED");
    advance(40).await;
    assert_eq!(
        status(&m, &id).await,
        seed_body(&id, "PROCESSING", json!(0.0), Value::Null, Value::Null)
    );
    advance(450).await;
    assert_eq!(status(&m, &id).await["progress"], json!(0.4));
    advance(550).await;
    assert_eq!(
        status(&m, &id).await,
        seed_body(
            &id,
            "FINISHED",
            json!(1.0),
            json!({"text": "echo: hello"}),
            Value::Null
        )
    );
    let i = m.introspect(&id).await;
    assert_eq!(i["status_requests"], 5);
    assert_eq!(i["provider"], "socaity");
    assert_eq!(i["submitted_at_ms"], T0_MS);
    assert_eq!(i["completes_at_ms"], T0_MS + 1100);
    assert_eq!(i["outcome"], "finished");
    assert_eq!(i["cancelled_at_ms"], Value::Null);
}

#[tokio::test(start_paused = true)]
async fn default_timing_and_custom_result() {
    let m = Mock::new();
    let (id, _) = submit(&m, json!({"mock": {"result": [1, "two"]}})).await;
    advance(199).await;
    assert_eq!(status(&m, &id).await["status"], "QUEUED");
    advance(1).await;
    assert_eq!(status(&m, &id).await["status"], "PROCESSING");
    advance(1500).await;
    let b = status(&m, &id).await;
    assert_eq!(
        (b["status"].clone(), b["result"].clone()),
        (json!("FINISHED"), json!([1, "two"]))
    );
}

#[tokio::test(start_paused = true)]
async fn failure_and_timeout_outcomes() {
    let m = Mock::new();
    let (f, _) = submit(
        &m,
        json!({"mock": {"queue_ms": 0, "duration_ms": 10, "outcome": "failed", "error": "boom"}}),
    )
    .await;
    let (t, _) = submit(
        &m,
        json!({"mock": {"queue_ms": 0, "duration_ms": 10, "outcome": "timeout"}}),
    )
    .await;
    advance(10).await;
    assert_eq!(
        status(&m, &f).await,
        seed_body(&f, "FAILED", Value::Null, Value::Null, json!("boom"))
    );
    assert_eq!(
        status(&m, &t).await,
        seed_body(
            &t,
            "TIMEOUT",
            Value::Null,
            Value::Null,
            json!("Mock failure")
        )
    );
}

#[tokio::test(start_paused = true)]
async fn apipod_variant_omits_nulls_and_links_relatively() {
    let m = Mock::new();
    let (id, b) = submit(
        &m,
        json!({"mock": {"variant": "apipod", "queue_ms": 1000, "duration_ms": 2000, "steps": 4}}),
    )
    .await;
    let links = json!({"status": format!("/status/{id}"), "cancel": format!("/cancel/{id}"), "stream": format!("/stream/{id}")});
    assert_eq!(
        b,
        json!({"job_id": id, "status": "queued", "message": "Job queued.",
               "metrics": {"created_at": "2024-01-15T10:30:00Z", "queued_at": "2024-01-15T10:30:00Z"},
               "links": links})
    );
    let s = m.get(&format!("/socaity/status/{id}"), BEARER).await.json();
    assert_eq!(
        s,
        json!({"job_id": id, "status": "queued", "message": "Job queued.",
               "metrics": {"created_at": "2024-01-15T10:30:00Z", "queued_at": "2024-01-15T10:30:00Z"},
               "links": links})
    );
    advance(2000).await;
    let s = m
        .send("POST", &format!("/socaity/status/{id}"), &[BEARER], "")
        .await
        .json();
    assert_eq!(
        s,
        json!({"job_id": id, "status": "processing", "progress": 0.5, "message": "Job processing.",
               "metrics": {"created_at": "2024-01-15T10:30:00Z", "queued_at": "2024-01-15T10:30:00Z",
                           "started_at": "2024-01-15T10:30:01Z"},
               "links": links})
    );
    advance(1000).await;
    let s = status(&m, &id).await;
    assert_eq!(
        s,
        json!({"job_id": id, "status": "finished", "result": {"text": "echo: "}, "progress": 1.0,
               "message": "Job finished.",
               "metrics": {"created_at": "2024-01-15T10:30:00Z", "queued_at": "2024-01-15T10:30:00Z",
                           "started_at": "2024-01-15T10:30:01Z", "finished_at": "2024-01-15T10:30:03Z",
                           "execution_time_s": 2.0},
               "links": links})
    );
    // The relative links resolve against the service base.
    let via_link = m
        .get(
            &format!("/socaity{}", s["links"]["status"].as_str().unwrap()),
            BEARER,
        )
        .await;
    assert_eq!(via_link.json()["status"], "finished");
}

#[tokio::test(start_paused = true)]
async fn apipod_failure_has_error_and_no_result() {
    let m = Mock::new();
    let (id, _) = submit(&m, json!({"mock": {"variant": "APIPOD", "queue_ms": 0, "duration_ms": 0, "outcome": "failed", "error": "bad"}})).await;
    let s = status(&m, &id).await;
    assert_eq!(s["status"], "failed");
    assert_eq!(s["error"], "bad");
    assert_eq!(s["message"], "Job failed.");
    assert!(s.get("result").is_none() && s.get("progress").is_none());
    assert_eq!(s["metrics"]["execution_time_s"], 0.0);
}

#[tokio::test(start_paused = true)]
async fn runpod_variant_words() {
    let m = Mock::new();
    let mock = |outcome: &str| json!({"mock": {"variant": "runpod", "queue_ms": 100, "duration_ms": 100, "outcome": outcome}});
    let (ok, b) = submit(&m, mock("finished")).await;
    assert_eq!(b["status"], "IN_QUEUE");
    let (fail, _) = submit(&m, mock("failed")).await;
    let (tout, _) = submit(&m, mock("timeout")).await;
    let (canc, _) = submit(&m, mock("finished")).await;
    assert_eq!(status(&m, &ok).await["status"], "IN_QUEUE");
    advance(60).await;
    assert_eq!(status(&m, &ok).await["status"], "IN_QUEUE");
    advance(50).await;
    assert_eq!(status(&m, &ok).await["status"], "IN_PROGRESS");
    let c = m
        .send("DELETE", &format!("/socaity/v1/jobs/{canc}"), &[BEARER], "")
        .await;
    assert_eq!(c.json(), json!({"job_id": canc, "status": "CANCELED"}));
    advance(100).await;
    assert_eq!(status(&m, &ok).await["status"], "COMPLETED");
    assert_eq!(status(&m, &fail).await["status"], "FAILED");
    assert_eq!(status(&m, &tout).await["status"], "TIMED_OUT");
    assert_eq!(status(&m, &canc).await["status"], "CANCELED");
}

#[tokio::test(start_paused = true)]
async fn unknown_variant_falls_back_to_seed() {
    let m = Mock::new();
    let (id, _) = submit(&m, json!({"mock": {"variant": "nope"}})).await;
    assert_eq!(status(&m, &id).await["status"], "PENDING");
}

#[tokio::test(start_paused = true)]
async fn cancel_with_delete_freezes_the_job() {
    let m = Mock::new();
    let (id, _) = submit(
        &m,
        json!({"mock": {"queue_ms": 0, "duration_ms": 1000, "steps": 10}}),
    )
    .await;
    advance(350).await;
    let r = m
        .send("DELETE", &format!("/socaity/v1/jobs/{id}"), &[BEARER], "")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"job_id": id, "status": "CANCELLED"}));
    advance(5000).await;
    assert_eq!(
        status(&m, &id).await,
        seed_body(&id, "CANCELLED", json!(0.3), Value::Null, Value::Null)
    );
    assert_eq!(m.introspect(&id).await["cancelled_at_ms"], T0_MS + 350);
    // A second cancel: the job is terminal, its body comes back unchanged.
    let again = m
        .send("DELETE", &format!("/socaity/v1/jobs/{id}"), &[BEARER], "")
        .await;
    assert_eq!(again.json()["status"], "CANCELLED");
    assert_eq!(again.json()["progress"], json!(0.3));
}

#[tokio::test(start_paused = true)]
async fn cancel_on_a_finished_job_returns_it_unchanged() {
    let m = Mock::new();
    let (id, _) = submit(
        &m,
        json!({"prompt": "p", "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    let r = m
        .send("DELETE", &format!("/socaity/v1/jobs/{id}"), &[BEARER], "")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        seed_body(
            &id,
            "FINISHED",
            json!(1.0),
            json!({"text": "echo: p"}),
            Value::Null
        )
    );
    let r = m
        .send("POST", &format!("/socaity/cancel/{id}"), &[BEARER], "")
        .await;
    assert_eq!(r.json()["status"], "FINISHED");
    assert_eq!(m.introspect(&id).await["cancelled_at_ms"], Value::Null);
}

#[tokio::test(start_paused = true)]
async fn cancel_with_the_apipod_route() {
    let m = Mock::new();
    let (id, _) = submit(&m, json!({"mock": {"variant": "apipod"}})).await;
    let r = m
        .send("POST", &format!("/socaity/cancel/{id}"), &[BEARER], "")
        .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(
        (&b["job_id"], &b["status"], &b["message"]),
        (&json!(id), &json!("cancelled"), &json!("Job cancelled."))
    );
    advance(10_000).await;
    let s = m.get(&format!("/socaity/status/{id}"), BEARER).await.json();
    assert_eq!(s["status"], "cancelled");
    assert_eq!(s["message"], "Job cancelled.");
    assert_eq!(s["metrics"]["finished_at"], "2024-01-15T10:30:00Z");
    assert!(s["metrics"].get("started_at").is_none());
    let r = m
        .send("POST", "/socaity/cancel/job_missing", &[BEARER], "")
        .await;
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"detail": "Job not found."}))
    );
}

#[tokio::test(start_paused = true)]
async fn sync_answers_with_the_result_after_the_duration() {
    let m = Mock::new();
    let start = tokio::time::Instant::now();
    let r = m
        .post(
            "/socaity/v1/m/generate",
            BEARER,
            &json!({"prompt": "now", "mock": {"sync": true, "queue_ms": 0, "duration_ms": 500}}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"text": "echo: now"}));
    assert!(start.elapsed() >= std::time::Duration::from_millis(500));
    let id = r.header("x-mock-job-id").unwrap().to_owned();
    assert_eq!(m.introspect(&id).await["provider"], "socaity");

    let r = m
        .post("/socaity/v1/m/generate", BEARER, &json!({"mock": {"sync": true, "queue_ms": 0, "duration_ms": 0, "outcome": "failed", "error": "nope"}}))
        .await;
    assert_eq!((r.status, r.json()), (500, json!({"detail": "nope"})));
    let r = m
        .post(
            "/socaity/v1/m/generate",
            BEARER,
            &json!({"mock": {"sync": true, "queue_ms": 0, "duration_ms": 0, "outcome": "timeout"}}),
        )
        .await;
    assert_eq!(r.status, 504);
}

#[tokio::test]
async fn auth_comes_before_everything() {
    let m = Mock::new();
    let unauthorized = json!({"detail": "Invalid API key."});
    for (method, uri) in [
        ("POST", "/socaity/v1/m/generate"),
        ("GET", "/socaity/v1/jobs/nope"),
        ("DELETE", "/socaity/v1/jobs/nope"),
        ("GET", "/socaity/status/nope"),
        ("POST", "/socaity/cancel/nope"),
        ("GET", "/socaity/unknown/route"),
    ] {
        for headers in [
            vec![],
            vec![("authorization", "Bearer wrong")],
            vec![("x-api-key", "test-key")],
            vec![("authorization", "test-key")],
        ] {
            let r = m.send(method, uri, &headers, "{}").await;
            assert_eq!(
                (r.status, r.json()),
                (401, unauthorized.clone()),
                "{method} {uri} {headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn not_found_bodies() {
    let m = Mock::new();
    for (method, uri) in [
        ("GET", "/socaity/v1/jobs/job_x"),
        ("DELETE", "/socaity/v1/jobs/job_x"),
        ("GET", "/socaity/status/job_x"),
    ] {
        let r = m.send(method, uri, &[BEARER], "").await;
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"detail": "Job not found."}))
        );
    }
    let r = m.send("GET", "/socaity/v2/whatever", &[BEARER], "").await;
    assert_eq!((r.status, r.json()), (404, json!({"detail": "Not Found"})));
    let r = m
        .send("POST", "/socaity/v1/generate", &[BEARER], "{}")
        .await;
    assert_eq!(r.status, 404);
    // A job of another provider is not a Socaity job.
    let d = m
        .post("/deapi/api/v1/client/txt2audio", BEARER, &json!({}))
        .await
        .json();
    let rid = d["data"]["request_id"].as_str().unwrap();
    assert_eq!(
        m.get(&format!("/socaity/v1/jobs/{rid}"), BEARER)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn validation_errors_are_422() {
    let m = Mock::new();
    for (body, msg, kind) in [
        ("{not json", "JSON decode error", "json_invalid"),
        ("[1,2]", "Input should be a valid dictionary", "dict_type"),
        (
            "\"text\"",
            "Input should be a valid dictionary",
            "dict_type",
        ),
        ("", "Field required", "missing"),
    ] {
        let r = m
            .send("POST", "/socaity/v1/m/generate", &[BEARER], body)
            .await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(
            r.json(),
            json!({"detail": [{"loc": ["body"], "msg": msg, "type": kind}]})
        );
    }
    assert_eq!(m.state.store.stats().0, 0);
}

#[tokio::test(start_paused = true)]
async fn model_paths_may_contain_slashes_and_status_reads_are_counted() {
    let m = Mock::new();
    let r = m
        .post(
            "/socaity/v1/org/family/model-7b/generate",
            BEARER,
            &json!({"prompt": "x"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(
        m.state.store.find(&id).unwrap().target,
        "org/family/model-7b"
    );
    for _ in 0..3 {
        status(&m, &id).await;
    }
    m.send("POST", &format!("/socaity/status/{id}"), &[BEARER], "")
        .await;
    m.send("DELETE", &format!("/socaity/v1/jobs/{id}"), &[BEARER], "")
        .await;
    assert_eq!(m.introspect(&id).await["status_requests"], 4);
}
