//! Cross-cutting behaviour: CORS, result images, introspection, static files, hostile input.

mod common;
use axum::body::Body;
use axum::http::Request;
use common::*;
use polyjob_mock::Config;
use serde_json::{json, Value};

#[tokio::test]
async fn preflights_are_204_for_any_path_and_need_no_key() {
    let m = Mock::new();
    for (path, method) in [
        ("/socaity/v1/jobs/x", "DELETE"),
        ("/optexity/api/v1/inference/call", "POST"),
        ("/deapi/api/v1/client/txt2img", "POST"),
        ("/serika/jobs", "GET"),
        ("/anything/else", "PUT"),
        ("/socaity/v1/jobs/x", "PURGE"),
    ] {
        let r = m
            .send(
                "OPTIONS",
                path,
                &[
                    ("origin", "http://127.0.0.1:9999"),
                    ("access-control-request-method", method),
                    (
                        "access-control-request-headers",
                        "authorization,content-type",
                    ),
                ],
                "",
            )
            .await;
        assert_eq!(r.status, 204, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(r
            .header("access-control-allow-methods")
            .unwrap()
            .contains(method));
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("authorization, x-api-key, content-type, idempotency-key, last-event-id, accept, x-mock-faults")
        );
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn every_response_carries_cors_headers() {
    let m = Mock::new();
    for (method, uri) in [
        ("GET", "/socaity/v1/jobs/x"),
        ("GET", "/files/a.png"),
        ("GET", "/__mock/stats"),
        ("GET", "/nowhere"),
    ] {
        let r = m.send(method, uri, &[], "").await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{uri}");
        assert_eq!(
            r.header("access-control-expose-headers"),
            Some("Retry-After, X-RateLimit-Type, retry-after-ms, x-mock-fault")
        );
    }
}

#[tokio::test]
async fn result_images_are_real_pngs() {
    let m = Mock::new();
    let r = m.send("GET", "/files/some-job.png", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert!(r.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    let decoder = png::Decoder::new(std::io::Cursor::new(r.body.clone()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (64, 64));
    let other = m.send("GET", "/files/other-job.png", &[], "").await;
    assert_ne!(r.body, other.body);
    assert_eq!(m.send("GET", "/files/x.gif", &[], "").await.status, 404);
    assert_eq!(m.send("GET", "/files/x", &[], "").await.status, 404);
    assert_eq!(m.send("GET", "/files/.png", &[], "").await.status, 404);
    let head = m.send("HEAD", "/files/some-job.png", &[], "").await;
    assert_eq!(head.status, 200);
}

#[tokio::test(start_paused = true)]
async fn introspection_log_stats_and_reset() {
    let m = Mock::new();
    let r = m
        .send(
            "POST",
            "/socaity/v1/m/generate?trace=1",
            &[BEARER, ("idempotency-key", "abc"), ("x-multi", "a")],
            r#"{"mock":{"queue_ms":5,"duration_ms":5,"outcome":"failed"}}"#,
        )
        .await;
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    m.get(&format!("/socaity/v1/jobs/{id}"), BEARER).await;
    advance(7).await;
    m.get(&format!("/socaity/v1/jobs/{id}"), BEARER).await;

    let log = m.send("GET", "/__mock/requests", &[], "").await.json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3, "introspection requests are not logged");
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["url"], "/socaity/v1/m/generate?trace=1");
    assert_eq!(log[0]["headers"]["authorization"], "Bearer test-key");
    assert_eq!(log[0]["headers"]["idempotency-key"], "abc");
    assert_eq!(log[0]["headers"]["host"], HOST);
    assert_eq!(log[0]["at_ms"], T0_MS);
    assert_eq!(log[2]["at_ms"], T0_MS + 7);

    assert_eq!(
        m.introspect(&id).await,
        json!({"id": id, "provider": "socaity", "target": "m", "input": {}, "submitted_at_ms": T0_MS, "completes_at_ms": T0_MS + 10,
               "outcome": "failed", "cancelled_at_ms": null, "status_requests": 2,
               "faults": [], "faults_fired": [], "rejected": false, "parts": []})
    );
    assert_eq!(
        m.send("GET", "/__mock/stats", &[], "").await.json(),
        json!({"requests": 3, "jobs": 1, "status_requests": 2, "faults_fired": {},
               "ws_connections": 0, "ws_events_sent": 0})
    );
    let missing = m.send("GET", "/__mock/jobs/nope", &[], "").await;
    assert_eq!(missing.status, 404);

    let r = m.send("POST", "/__mock/reset", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        m.send("GET", "/__mock/stats", &[], "").await.json(),
        json!({"requests": 0, "jobs": 0, "status_requests": 0, "faults_fired": {},
               "ws_connections": 0, "ws_events_sent": 0})
    );
    assert_eq!(
        m.send("GET", "/__mock/requests", &[], "").await.json(),
        json!([])
    );
    assert_eq!(
        m.get(&format!("/socaity/v1/jobs/{id}"), BEARER)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn links_fall_back_to_the_configured_host_without_a_host_header() {
    let m = Mock::with_config(Config {
        fallback_host: "127.0.0.1:4242".into(),
        ..Config::default()
    });
    let req = Request::builder()
        .method("POST")
        .uri("/socaity/v1/m/generate")
        .header("authorization", "Bearer test-key")
        .body(Body::from("{}"))
        .unwrap();
    let b = m.send_request(req).await.json();
    assert!(b["refresh_job_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:4242/socaity/v1/jobs/job_"));
}

#[tokio::test]
async fn api_key_is_configurable() {
    let m = Mock::with_config(Config {
        api_key: "sk-other".into(),
        ..Config::default()
    });
    assert_eq!(m.get("/serika/jobs", BEARER).await.status, 401);
    assert_eq!(
        m.get("/serika/jobs", ("authorization", "Bearer sk-other"))
            .await
            .status,
        200
    );
    assert_eq!(
        m.post(
            "/optexity/api/v1/inference/all_calls",
            ("x-api-key", "sk-other"),
            &json!({})
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn static_files_for_unmatched_paths() {
    let dir = std::env::temp_dir().join(format!("polyjob-mock-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(dir.join("sub/app.js"), "export {}").unwrap();
    std::fs::write(dir.join("sub/index.html"), "sub").unwrap();
    let m = Mock::with_config(Config {
        static_dir: Some(dir.clone()),
        ..Config::default()
    });
    let r = m.send("GET", "/", &[], "").await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"<h1>demo</h1>".as_slice())
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = m.send("GET", "/sub/app.js", &[], "").await;
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(m.send("GET", "/sub/", &[], "").await.body, b"sub");
    assert_eq!(m.send("GET", "/missing.js", &[], "").await.status, 404);
    assert_eq!(
        m.send("GET", "/sub/../../etc/passwd", &[], "").await.status,
        404
    );
    assert_eq!(
        m.send("GET", "/%2e%2e/etc/passwd", &[], "").await.status,
        404
    );
    assert_eq!(m.send("POST", "/", &[], "").await.status, 404);
    // Provider prefixes are never served from the directory.
    assert_eq!(m.send("GET", "/serika/jobs", &[], "").await.status, 401);
    std::fs::remove_dir_all(&dir).ok();
    let plain = Mock::new().send("GET", "/", &[], "").await;
    assert_eq!(
        (plain.status, plain.json()),
        (404, json!({"error": "Not Found"}))
    );
}

#[tokio::test(start_paused = true)]
async fn hostile_input_never_panics() {
    let m = Mock::new();
    let bodies: Vec<String> = vec![
        String::new(),
        "null".into(),
        "{".into(),
        "\u{0}\u{1}\u{2}".into(),
        "[".repeat(10_000),
        format!("{{\"prompt\":\"{}\"}}", "x".repeat(100_000)),
        r#"{"mock":{"queue_ms":1e308,"duration_ms":-1e308,"steps":1e99,"outcome":5,"variant":[],"result":{"a":1},"sync":"x"},"endpoint_name":"e","model":"m","prompt":"p"}"#.into(),
        r#"{"mock":{"queue_ms":18446744073709551615,"duration_ms":18446744073709551615,"steps":-3},"task_id":"x","endpoint_name":"e","model":"m","prompt":"p","width":-1,"seed":1e300}"#.into(),
        r#"{"task_id":{"nested":true},"endpoint_name":[],"model":{},"prompt":null,"mock":null}"#.into(),
    ];
    let routes = [
        ("POST", "/socaity/v1/m/generate"),
        ("POST", "/optexity/api/v1/inference"),
        ("POST", "/optexity/api/v1/inference/call"),
        ("POST", "/deapi/api/v1/client/txt2img"),
        ("POST", "/deapi/api/v1/client/txt2audio"),
        ("POST", "/serika/jobs/images"),
    ];
    for (method, uri) in routes {
        for body in &bodies {
            for auth in [BEARER, XKEY] {
                let r = m.send(method, uri, &[auth], body).await;
                assert!(r.status < 500, "{method} {uri} -> {}", r.status);
                let _: Value = r.json();
            }
        }
    }
    // Jobs with absurd timelines still answer sane bodies.
    let ids: Vec<String> = m
        .state
        .store
        .list(polyjob_mock::jobs::Provider::Serika, "test-key")
        .iter()
        .map(|j| j.id.clone())
        .collect();
    assert!(!ids.is_empty());
    advance(1000).await;
    for id in ids {
        let b = m.get(&format!("/serika/jobs/{id}"), BEARER).await.json();
        assert!(b["status"].is_string());
    }
    let weird = m
        .send("GET", "/socaity/v1/jobs/%00%ff", &[BEARER], "")
        .await;
    assert_eq!(weird.status, 404);
}

#[tokio::test]
async fn oversized_bodies_are_a_provider_4xx() {
    let m = Mock::new();
    let big = format!("{{\"prompt\":\"{}\"}}", "x".repeat(17 * 1024 * 1024));
    let r = m
        .send("POST", "/socaity/v1/m/generate", &[BEARER], &big)
        .await;
    assert_eq!(r.status, 422);
    let r = m.send("POST", "/serika/jobs/images", &[BEARER], &big).await;
    assert_eq!(r.status, 400);
}
