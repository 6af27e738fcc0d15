//! Socaity services: `POST /socaity/services/v1/{service}/{endpoint}` read as the endpoint declares
//! (URL-encoded or multipart form fields, or JSON), FastAPI's 422 items, and the job's APIPod
//! routes under its service (status, cancel, stream), not found under another service.

mod common;
use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";
const BOUNDARY: &str = "svcBoundary42";

async fn post(m: &Mock, uri: &str, content_type: &str, body: impl Into<Body>) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", HOST)
        .header(BEARER.0, BEARER.1)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap();
    m.send_request(req).await
}

/// A multipart body of text fields and one PNG-named file part.
fn multipart(texts: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let mut out = Vec::new();
    for (name, value) in texts {
        out.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .into_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .into_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), out)
}

#[tokio::test(start_paused = true)]
async fn url_encoded_form_runs_as_an_apipod_job_under_its_service() {
    let m = Mock::new();
    let r = post(
        &m,
        "/socaity/services/v1/speechcraft/text2voice",
        FORM,
        "text=hello%20world&voice=en&mock=%7B%22queue_ms%22%3A0%2C%22duration_ms%22%3A500%7D",
    )
    .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    let id = b["job_id"].as_str().unwrap().to_owned();
    assert_eq!(b["status"], "queued");
    assert_eq!(b["links"]["status"], format!("/status/{id}"));
    let job = m.introspect(&id).await;
    assert_eq!(job["target"], "speechcraft/text2voice");
    assert_eq!(job["input"], json!({"text": "hello world", "voice": "en"}));

    let base = "/socaity/services/v1/speechcraft";
    advance(600).await;
    let r = m.get(&format!("{base}/status/{id}"), BEARER).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "finished");
    assert_eq!(r.json()["result"], json!({"text": "echo: "}));
    // Under another service the job does not exist.
    let r = m
        .get(
            &format!("/socaity/services/v1/face2face/status/{id}"),
            BEARER,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test(start_paused = true)]
async fn multipart_with_a_file_and_cancel_under_the_service() {
    let m = Mock::new();
    let (ct, body) = multipart(
        &[("faces", "me"), ("mock", r#"{"duration_ms": 5000}"#)],
        Some(("media", b"\x89PNG\r\n\x1a\nfake")),
    );
    let r = post(&m, "/socaity/services/v1/face2face/swap", &ct, body).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    let job = m.introspect(&id).await;
    assert_eq!(job["input"]["faces"], "me");
    assert_eq!(job["parts"][2]["name"], "media");
    let r = m
        .send(
            "POST",
            &format!("/socaity/services/v1/face2face/cancel/{id}"),
            &[BEARER],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"id": id, "status": "cancelled", "message": "Job cancelled."})
    );
}

#[tokio::test(start_paused = true)]
async fn fastapi_422_for_missing_and_mistyped_fields() {
    let m = Mock::new();
    // swap needs `faces` (text) and `media` (a file): a text `media` and no `faces`.
    let r = post(
        &m,
        "/socaity/services/v1/face2face/swap",
        FORM,
        "media=not-a-file",
    )
    .await;
    assert_eq!(r.status, 422);
    let d = r.json()["detail"].clone();
    assert_eq!(
        d[0],
        json!({"type": "missing", "loc": ["body", "faces"], "msg": "Field required", "input": null})
    );
    assert_eq!(d[1]["loc"], json!(["body", "media"]));
    assert_eq!(d[1]["type"], "value_error");
    // JSON sent to a form endpoint reads no fields at all.
    let r = m
        .post(
            "/socaity/services/v1/speechcraft/text2voice",
            BEARER,
            &json!({"text": "hi"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "text"]));
    // A JSON endpoint takes JSON, and refuses a form.
    let r = m
        .post(
            "/socaity/services/v1/flux-schnell/predictions",
            BEARER,
            &json!({"prompt": "a fox"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let r = post(
        &m,
        "/socaity/services/v1/flux-schnell/predictions",
        FORM,
        "prompt=a%20fox",
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["type"], "model_attributes_type");
}

#[tokio::test(start_paused = true)]
async fn unknown_services_and_endpoints_are_404_and_auth_comes_first() {
    let m = Mock::new();
    for uri in [
        "/socaity/services/v1/nope/swap",
        "/socaity/services/v1/face2face/nope",
    ] {
        let r = post(&m, uri, FORM, "a=1").await;
        assert_eq!(r.status, 404, "{uri}");
        assert_eq!(r.json(), json!({"detail": "Not Found"}));
    }
    let r = m
        .send(
            "POST",
            "/socaity/services/v1/speechcraft/text2voice",
            &[],
            "",
        )
        .await;
    assert_eq!(r.status, 401);
    let _: Value = r.json();
}
