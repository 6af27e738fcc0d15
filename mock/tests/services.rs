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
    // speechcraft answers with audio: a FileModel of a WAV served under /files.
    assert_eq!(
        r.json()["result"],
        json!({
            "file_name": format!("{id}.wav"),
            "content_type": "audio/wav",
            "content": format!("{BASE}/files/{id}.wav"),
        })
    );
    let wav = m.get(&format!("/files/{id}.wav"), ("x-none", "")).await;
    assert_eq!(wav.header("content-type"), Some("audio/wav"));
    assert!(wav.body.starts_with(b"RIFF"));
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
    // The gateway answers a cancel with the job's envelope.
    let b = r.json();
    assert_eq!(
        (&b["job_id"], &b["status"], &b["message"]),
        (&json!(id), &json!("cancelled"), &json!("Job cancelled."))
    );
    assert_eq!(b["links"]["cancel"], format!("/cancel/{id}"));
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

#[tokio::test(start_paused = true)]
async fn openapi_documents_are_public_and_describe_each_endpoint() {
    let m = Mock::new();
    let r = m
        .get(
            "/socaity/services/v1/face2face/openapi.json",
            ("x-none", ""),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["apipod"]["compute"], "serverless");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/add_face", "/swap", "/swap_img_to_img"]);
    let swap = &doc["paths"]["/swap"]["post"];
    let body = &swap["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/Body_swap_swap_post");
    assert_eq!(swap["parameters"][0]["name"], "mock");
    assert_eq!(swap["parameters"][0]["in"], "query");
    let tts = m
        .get(
            "/socaity/services/v1/speechcraft/openapi.json",
            ("x-none", ""),
        )
        .await
        .json();
    let content = &tts["paths"]["/text2voice"]["post"]["requestBody"]["content"];
    assert!(content["application/x-www-form-urlencoded"].is_object());
    let flux = m
        .get(
            "/socaity/services/v1/flux-schnell/openapi.json",
            ("x-none", ""),
        )
        .await
        .json();
    let content = &flux["paths"]["/predictions"]["post"]["requestBody"]["content"];
    assert!(content["application/json"].is_object());
    let r = m
        .get("/socaity/services/v1/nope/openapi.json", ("x-none", ""))
        .await;
    assert_eq!((r.status, r.json()), (404, json!({"detail": "Not Found"})));
    // The service's base itself is not a document (fastsdk GETs it first).
    let r = m
        .get("/socaity/services/v1/face2face", ("x-none", ""))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test(start_paused = true)]
async fn the_catalog_answers_a_service_by_slug_or_id_and_404_for_anything_else() {
    let m = Mock::new();
    let r = m
        .get(
            "/socaity/v1/catalog/services/speechcraft?expand=details.contract&expand=endpoints",
            BEARER,
        )
        .await;
    assert_eq!(r.status, 200);
    let rec = r.json();
    assert_eq!(rec["slug"], "speechcraft");
    assert_eq!(rec["kind"], "compute");
    assert_eq!(rec["endpoints"][0]["operation_key"], "text2voice");
    let details = &rec["details"][0];
    assert_eq!(details["deployment"]["provider"], "socaity");
    assert_eq!(details["deployment"]["address"], Value::Null);
    let ep = &details["contract"]["endpoints"][0];
    assert_eq!(ep["path"], "/text2voice");
    assert_eq!(
        ep["request_body_content_type"],
        "application/x-www-form-urlencoded"
    );
    let names: Vec<&str> = ep["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mock", "text", "voice"]);
    let id = rec["id"].as_str().unwrap();
    let r = m
        .get(&format!("/socaity/v1/catalog/services/{id}"), BEARER)
        .await;
    assert_eq!(r.json()["slug"], "speechcraft");
    // `client.run("speechcraft/text2voice")` first asks for the whole target: a miss.
    for uri in [
        "/socaity/v1/catalog/services/speechcraft/text2voice",
        "/socaity/v1/catalog/services/nope",
    ] {
        let r = m.get(uri, BEARER).await;
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"detail": "Service not found."}))
        );
    }
    let r = m
        .get("/socaity/v1/catalog/services/speechcraft", ("x-none", ""))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test(start_paused = true)]
async fn the_mock_query_parameter_chooses_the_scenario_and_cancel_takes_an_action() {
    let m = Mock::new();
    let r = post(
        &m,
        "/socaity/services/v1/speechcraft/text2voice?details_id=x&mock=%7B%22duration_ms%22%3A60000%7D",
        FORM,
        "text=hi",
    )
    .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    let job = m.introspect(&id).await;
    assert_eq!(job["input"], json!({"text": "hi"}));
    advance(10_000).await;
    // The gate's routes answer at the origin too (root-relative links resolved against the host).
    let r = m.get(&format!("/status/{id}"), BEARER).await;
    assert_eq!(r.json()["status"], "processing");
    let r = m
        .send("POST", &format!("/cancel/{id}?action=pause"), &[BEARER], "")
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "action"]));
    let r = m
        .send(
            "POST",
            &format!("/socaity/services/v1/speechcraft/cancel/{id}?action=interrupt"),
            &[BEARER],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["job_id"], json!(id));
    assert_eq!(r.json()["status"], "cancelled");
    let r = m.get(&format!("/socaity/status/{id}"), BEARER).await;
    assert_eq!(r.json()["status"], "cancelled");
    let r = m
        .send(
            "POST",
            &format!("/cancel/{id}?action=cancel"),
            &[BEARER],
            "",
        )
        .await;
    assert_eq!(r.json()["status"], "cancelled");
}
