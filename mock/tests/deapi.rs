//! deAPI routes: submit → request-status over time → done/error, string progress, errors.

mod common;
use common::*;
use serde_json::{json, Value};

async fn submit(m: &Mock, task: &str, body: Value) -> String {
    let r = m
        .post(&format!("/deapi/api/v1/client/{task}"), BEARER, &body)
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    let id = b["data"]["request_id"].as_str().unwrap().to_owned();
    assert!(is_uuid(&id));
    assert_eq!(b, json!({"data": {"request_id": id}}));
    id
}

async fn status(m: &Mock, id: &str) -> Value {
    let r = m
        .get(&format!("/deapi/api/v1/client/request-status/{id}"), BEARER)
        .await;
    assert_eq!(r.status, 200);
    r.json()
}

fn txt2img(mock: Value) -> Value {
    json!({"prompt": "a beautiful sunset", "model": "Flux1schnell", "width": 512, "height": 512,
           "guidance": 3.5, "steps": 4, "seed": -1, "mock": mock})
}

#[tokio::test(start_paused = true)]
async fn txt2img_timeline_to_done_with_a_real_picture() {
    let m = Mock::new();
    let id = submit(
        &m,
        "txt2img",
        txt2img(json!({"queue_ms": 100, "duration_ms": 1000, "steps": 8})),
    )
    .await;
    let nulls = json!({"status": "pending", "preview": null, "result_url": null, "results_alt_formats": null,
                       "result": null, "progress": 0.0});
    assert_eq!(status(&m, &id).await, json!({"data": nulls}));
    advance(100 + 375).await;
    let mut processing = nulls.clone();
    processing["status"] = json!("processing");
    processing["progress"] = json!(37.5);
    // Step 3 of 8 is odd: a preview URL.
    processing["preview"] = json!(format!("{BASE}/files/{id}-preview.jpg"));
    assert_eq!(status(&m, &id).await, json!({"data": processing}));
    advance(125).await;
    let even = status(&m, &id).await;
    assert_eq!(
        (&even["data"]["progress"], &even["data"]["preview"]),
        (&json!(50.0), &Value::Null)
    );
    advance(500).await;
    let url = format!("{BASE}/files/{id}.png");
    assert_eq!(
        status(&m, &id).await,
        json!({"data": {"status": "done", "preview": null, "result_url": url,
                        "results_alt_formats": {"jpg": format!("{BASE}/files/{id}.jpg"),
                                                "webp": format!("{BASE}/files/{id}.webp")},
                        "result": null, "progress": 100.0}})
    );
    let png = m.get(&format!("/files/{id}.png"), ("x", "y")).await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(m.introspect(&id).await["status_requests"], 4);
    assert_eq!(m.introspect(&id).await["parts"], json!([]));
}

#[tokio::test(start_paused = true)]
async fn string_progress_variant() {
    let m = Mock::new();
    let id = submit(
        &m,
        "txt2img",
        txt2img(
            json!({"variant": "string_progress", "queue_ms": 0, "duration_ms": 1000, "steps": 200}),
        ),
    )
    .await;
    advance(455).await;
    assert_eq!(status(&m, &id).await["data"]["progress"], "45.50");
    advance(545).await;
    assert_eq!(status(&m, &id).await["data"]["progress"], "100.00");
}

#[tokio::test(start_paused = true)]
async fn error_outcome() {
    let m = Mock::new();
    let id = submit(&m, "txt2video", json!({"mock": {"queue_ms": 0, "duration_ms": 10, "outcome": "failed", "error": "GPU fell over"}})).await;
    advance(10).await;
    assert_eq!(
        status(&m, &id).await,
        json!({"data": {"status": "error", "preview": null, "result_url": null, "results_alt_formats": null,
                        "result": null, "error": "GPU fell over"}})
    );
    let t = submit(
        &m,
        "txt2audio",
        json!({"mock": {"queue_ms": 0, "duration_ms": 0, "outcome": "timeout"}}),
    )
    .await;
    assert_eq!(status(&m, &t).await["data"]["status"], "error");
}

#[tokio::test(start_paused = true)]
async fn custom_result_and_webhook_url_are_kept() {
    let m = Mock::new();
    let id = submit(
        &m,
        "transcribe",
        json!({"source_url": "https://example.com/a.mp3", "webhook_url": "https://example.com/hook",
               "mock": {"queue_ms": 0, "duration_ms": 0, "result": "hello world"}}),
    )
    .await;
    assert_eq!(status(&m, &id).await["data"]["result"], "hello world");
    let job = m.state.store.find(&id).unwrap();
    assert_eq!(job.webhook_url.as_deref(), Some("https://example.com/hook"));
    assert_eq!(job.target, "transcribe");
    assert!(job.input.get("mock").is_none());
    assert_eq!(
        job.options.raw,
        Some(json!({"queue_ms": 0, "duration_ms": 0, "result": "hello world"}))
    );
}

#[tokio::test]
async fn nested_tasks_multipart_and_empty_bodies_are_accepted() {
    let m = Mock::new();
    let id = submit(&m, "prompt/image", json!({"prompt": "x"})).await;
    assert_eq!(m.state.store.find(&id).unwrap().target, "prompt/image");
    let empty_form = [BEARER, ("content-type", "multipart/form-data; boundary=x")];
    let r = m
        .send(
            "POST",
            "/deapi/api/v1/client/txt2music",
            &empty_form,
            "--x--",
        )
        .await;
    assert_eq!(r.status, 200);
    // A file task needs its file.
    let r = m
        .send("POST", "/deapi/api/v1/client/img2img", &empty_form, "--x--")
        .await;
    assert_eq!(r.status, 422);
    let r = m
        .send("POST", "/deapi/api/v1/client/txt2embedding", &[BEARER], "")
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn validation_errors_are_laravel_422() {
    let m = Mock::new();
    let r = m
        .post(
            "/deapi/api/v1/client/txt2img",
            BEARER,
            &json!({"model": "Flux1schnell"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"data": null, "message": "The prompt field is required.",
               "errors": {"prompt": ["The prompt field is required."]}, "statusCode": 422})
    );
    let r = m
        .post(
            "/deapi/api/v1/client/txt2img",
            BEARER,
            &json!({"prompt": "", "model": 7}),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"data": null, "message": "The prompt field is required. (and 1 more error)",
               "errors": {"prompt": ["The prompt field is required."], "model": ["The model field must be a string."]},
               "statusCode": 422})
    );
    for body in ["{bad", "[]", "12"] {
        let r = m
            .send("POST", "/deapi/api/v1/client/txt2audio", &[BEARER], body)
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["statusCode"], 422);
        assert!(r.json()["errors"]["body"].is_array());
    }
    let r = m
        .send("POST", "/deapi/api/v1/client/txt2img", &[BEARER], "")
        .await;
    assert_eq!(r.json()["errors"].as_object().unwrap().len(), 2);
    assert_eq!(m.state.store.stats().0, 0);
}

#[tokio::test]
async fn unauthorized_and_not_found() {
    let m = Mock::new();
    let unauthorized =
        json!({"data": null, "message": "Unauthorized user.", "errors": [], "statusCode": 401});
    for (method, uri) in [
        ("POST", "/deapi/api/v1/client/txt2img"),
        ("GET", "/deapi/api/v1/client/request-status/nope"),
        ("GET", "/deapi/elsewhere"),
    ] {
        for headers in [vec![], vec![("authorization", "Bearer nope")], vec![XKEY]] {
            let r = m.send(method, uri, &headers, "").await;
            assert_eq!(
                (r.status, r.json()),
                (401, unauthorized.clone()),
                "{method} {uri}"
            );
        }
    }
    let r = m
        .get(
            "/deapi/api/v1/client/request-status/123e4567-e89b-12d3-a456-426614174000",
            BEARER,
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (
            404,
            json!({"data": null, "message": "Request not found.", "errors": [], "statusCode": 404})
        )
    );
    let r = m.get("/deapi/api/v1/client/txt2img", BEARER).await;
    assert_eq!(
        (r.status, r.json()["statusCode"].clone()),
        (404, json!(404))
    );
    // No cancel.
    let r = m
        .send(
            "DELETE",
            "/deapi/api/v1/client/request-status/x",
            &[BEARER],
            "",
        )
        .await;
    assert_eq!(r.status, 404);
}

/// What deAPI's SDK models require (issue 24): `progress` is a number — 0 while pending — or
/// absent, never null; a task path deAPI does not have is Laravel's route 404, not a job.
#[tokio::test(start_paused = true)]
async fn progress_is_never_null_and_unknown_tasks_are_404() {
    let m = Mock::new();
    let id = submit(
        &m,
        "txt2img",
        txt2img(json!({"queue_ms": 100, "duration_ms": 100, "outcome": "failed"})),
    )
    .await;
    let pending = status(&m, &id).await;
    assert_eq!(pending["data"]["status"], "pending");
    assert_eq!(pending["data"]["progress"], json!(0.0));
    advance(300).await;
    let failed = status(&m, &id).await;
    assert_eq!(failed["data"]["status"], "error");
    assert!(failed["data"].get("progress").is_none(), "{failed}");
    for path in ["not-a-task", "txt2img/extra", "videos/delete"] {
        let r = m
            .post(
                &format!("/deapi/api/v1/client/{path}"),
                BEARER,
                &json!({"prompt": "x"}),
            )
            .await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.json()["message"],
            format!("The route api/v1/client/{path} could not be found.")
        );
    }
    // Every task of deAPI's SDK is a route.
    let r = m
        .post(
            "/deapi/api/v1/client/txt2embedding",
            BEARER,
            &json!({"input": "x", "model": "m"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// deAPI's Python SDK (deapi-ai/deapi-python-sdk `types/common.py`) reads every answer into
/// pydantic models; each answer the mock gives must fit them: `JobResult` {status: JobStatus,
/// preview/result_url/result: str|None, results_alt_formats: dict[str,str]|None, progress: float
/// (no null)}, `PriceResult` {price: float}, `Balance` {balance: float}, `ModelsResponse` {data:
/// [{name, slug: str, inference_types: list[str], info: dict|[]|None}], links {first, last, prev,
/// next: str|None}, meta {current_page, last_page, per_page, total: int}}.
#[tokio::test(start_paused = true)]
async fn every_answer_fits_the_sdk_models() {
    fn opt_str(v: &Value) -> bool {
        v.is_null() || v.is_string()
    }
    fn job_result(body: &Value) {
        let d = &body["data"];
        assert!(
            ["pending", "processing", "done", "error"].contains(&d["status"].as_str().unwrap()),
            "{d}"
        );
        for k in ["preview", "result_url", "result"] {
            assert!(opt_str(&d[k]), "{k}: {d}");
        }
        let alt = &d["results_alt_formats"];
        assert!(
            alt.is_null() || alt.as_object().unwrap().values().all(Value::is_string),
            "{d}"
        );
        assert!(
            d.get("progress").is_none_or(Value::is_number),
            "progress: {d}"
        );
    }
    let m = Mock::new();
    for outcome in ["finished", "failed"] {
        let id = submit(
            &m,
            "txt2img",
            txt2img(json!({"queue_ms": 100, "duration_ms": 400, "steps": 4, "outcome": outcome})),
        )
        .await;
        for _ in 0..8 {
            job_result(&status(&m, &id).await);
            advance(100).await;
        }
    }
    let price = m
        .post(
            "/deapi/api/v1/client/txt2img/price-calculation",
            BEARER,
            &txt2img(json!({})),
        )
        .await
        .json();
    assert!(price["data"]["price"].is_number(), "{price}");
    let balance = m.get("/deapi/api/v1/client/balance", BEARER).await.json();
    assert!(balance["data"]["balance"].is_number(), "{balance}");
    let models = m
        .get("/deapi/api/v1/client/models?limit=50&page=2", BEARER)
        .await
        .json();
    for k in ["current_page", "last_page", "per_page", "total"] {
        assert!(models["meta"][k].is_u64(), "{k}: {}", models["meta"]);
    }
    for k in ["first", "last", "prev", "next"] {
        assert!(opt_str(&models["links"][k]), "{k}");
    }
    for model in models["data"].as_array().unwrap() {
        assert!(
            model["name"].is_string() && model["slug"].is_string(),
            "{model}"
        );
        assert!(
            model["inference_types"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_string),
            "{model}"
        );
        let info = &model["info"];
        assert!(
            info.is_null() || info.is_object() || info == &json!([]),
            "{model}"
        );
    }
}
