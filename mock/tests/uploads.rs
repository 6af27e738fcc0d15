//! Uploads and result files: multipart submits on deAPI (Laravel bracket notation, file-task
//! validation, size limits) and Socaity (flat forms, JSON parts), what introspection and the
//! request log record of each part, the received files echoed in results, the `413` fault, and
//! the result files (`.png`, `.jpg`, `.webp`, `.txt`, `.csv`, Socaity FileModels, Optexity
//! downloads and screenshots).

mod common;
use axum::body::{Body, Bytes};
use axum::http::Request;
use common::*;
use polyjob_mock::Config;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "----polyjobBoundary7MA4YWxk";
const CT: &str = "multipart/form-data; boundary=----polyjobBoundary7MA4YWxk";

/// One part of a test form.
enum P<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, Option<&'a str>, &'a [u8]),
}

fn part_head(p: &P) -> Vec<u8> {
    let head = match p {
        P::Text(name, _) => {
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
        }
        P::File(name, file, ct, _) => {
            let mut h = format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n"
            );
            if let Some(ct) = ct {
                h.push_str(&format!("Content-Type: {ct}\r\n"));
            }
            h.push_str("\r\n");
            h
        }
    };
    head.into_bytes()
}

fn form(parts: &[P]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend(part_head(p));
        match p {
            P::Text(_, v) => out.extend_from_slice(v.as_bytes()),
            P::File(_, _, _, bytes) => out.extend_from_slice(bytes),
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    out
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn post_form(m: &Mock, uri: &str, body: impl Into<Body>) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", HOST)
        .header(BEARER.0, BEARER.1)
        .header("content-type", CT)
        .body(body.into())
        .unwrap();
    m.send_request(req).await
}

/// A streamed form: `before` parts, then one file part of `mib` MiB (a byte pattern, sent in
/// 1 MiB chunks), closing boundary. Returns the body and the file's SHA-256.
fn big_form(before: &[P], name: &str, content_type: &str, mib: usize) -> (Body, String) {
    let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut hasher = Sha256::new();
    for _ in 0..mib {
        hasher.update(&chunk);
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut head = form(before);
    head.truncate(head.len() - format!("--{BOUNDARY}--\r\n").len());
    head.extend(part_head(&P::File(
        name,
        "big.bin",
        Some(content_type),
        &[],
    )));
    let chunk = Bytes::from(chunk);
    let tail = Bytes::from(format!("\r\n--{BOUNDARY}--\r\n"));
    let stream = futures_util::stream::iter(
        std::iter::once(Bytes::from(head))
            .chain(std::iter::repeat_n(chunk, mib))
            .chain(std::iter::once(tail))
            .map(Ok::<_, std::io::Error>),
    );
    (Body::from_stream(stream), digest)
}

fn info(name: &str, file_name: Option<&str>, ct: Option<&str>, bytes: &[u8]) -> Value {
    json!({"name": name, "file_name": file_name, "content_type": ct, "size": bytes.len(),
           "sha256": sha(bytes)})
}

async fn log(m: &Mock) -> Vec<Value> {
    m.send("GET", "/__mock/requests", &[], "")
        .await
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn deapi_status(m: &Mock, id: &str) -> Value {
    m.get(&format!("/deapi/api/v1/client/request-status/{id}"), BEARER)
        .await
        .json()
}

const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\nnot-really-a-png-but-bytes";

#[tokio::test(start_paused = true)]
async fn deapi_img2img_form_is_decoded_recorded_and_echoed() {
    let m = Mock::new();
    let body = form(&[
        P::Text("prompt", "oil painting"),
        P::Text("model", "Flux_2_Klein_4B_BF16"),
        P::Text("steps", "4"),
        P::Text("enhance", "0"),
        P::Text("loras[0][name]", "style"),
        P::Text("loras[0][weight]", "0.7"),
        P::Text("mock[queue_ms]", "0"),
        P::Text("mock[duration_ms]", "100"),
        P::Text("mock[steps]", "2"),
        P::File("image", "cat.png", Some("image/png"), PNG_BYTES),
    ]);
    let r = post_form(&m, "/deapi/api/v1/client/img2img", body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();

    let job = m.state.store.find(&id).unwrap();
    assert_eq!(
        (
            job.options.queue_ms,
            job.options.duration_ms,
            job.options.steps
        ),
        (0, 100, 2)
    );
    assert_eq!(
        job.input["loras"],
        json!([{"name": "style", "weight": "0.7"}])
    );
    assert_eq!(job.input["steps"], "4");
    assert_eq!(job.input["image"]["$file"]["sha256"], sha(PNG_BYTES));

    let parts = json!([
        info("prompt", None, None, b"oil painting"),
        info("model", None, None, b"Flux_2_Klein_4B_BF16"),
        info("steps", None, None, b"4"),
        info("enhance", None, None, b"0"),
        info("loras[0][name]", None, None, b"style"),
        info("loras[0][weight]", None, None, b"0.7"),
        info("mock[queue_ms]", None, None, b"0"),
        info("mock[duration_ms]", None, None, b"100"),
        info("mock[steps]", None, None, b"2"),
        info("image", Some("cat.png"), Some("image/png"), PNG_BYTES),
    ]);
    assert_eq!(m.introspect(&id).await["parts"], parts);
    let all = m.send("GET", "/__mock/jobs", &[], "").await.json();
    assert_eq!(all[0]["parts"], parts);
    let entries = log(&m).await;
    assert_eq!(entries[0]["parts"], parts);

    // Processing at step 1 of 2: a preview URL; done: the file echoed, alternative formats.
    advance(50).await;
    let s = deapi_status(&m, &id).await;
    assert_eq!(
        s["data"]["preview"],
        format!("{BASE}/files/{id}-preview.jpg")
    );
    advance(50).await;
    let s = deapi_status(&m, &id).await;
    assert_eq!(s["data"]["status"], "done");
    assert_eq!(
        s["data"]["result"],
        json!({"received": [info("image", Some("cat.png"), Some("image/png"), PNG_BYTES)]})
    );
    assert!(entries_without_parts(&log(&m).await[1..]));
    let preview = m
        .send("GET", &format!("/files/{id}-preview.jpg"), &[], "")
        .await;
    assert_eq!(
        (preview.status, preview.header("content-type")),
        (200, Some("image/jpeg"))
    );
}

fn entries_without_parts(entries: &[Value]) -> bool {
    entries.iter().all(|e| e.get("parts").is_none())
}

#[tokio::test]
async fn deapi_repeated_images_and_mock_result_wins() {
    let m = Mock::new();
    let body = form(&[
        P::Text("prompt", "p"),
        P::Text("model", "m"),
        P::File("images[]", "a.png", Some("image/png"), b"aa"),
        P::File("images[]", "b.jpg", Some("image/jpeg"), b"bbb"),
        P::Text("mock[queue_ms]", "0"),
        P::Text("mock[duration_ms]", "0"),
        P::Text("mock[result][text]", "mine"),
    ]);
    let r = post_form(&m, "/deapi/api/v1/client/img2img", body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();
    let job = m.state.store.find(&id).unwrap();
    assert_eq!(job.input["images"].as_array().unwrap().len(), 2);
    assert_eq!(
        deapi_status(&m, &id).await["data"]["result"],
        json!({"text": "mine"})
    );
    // Without mock.result: both files, in order.
    let body = form(&[
        P::Text("prompt", "p"),
        P::Text("model", "m"),
        P::File("images[]", "a.png", Some("image/png"), b"aa"),
        P::File("images[]", "b.jpg", Some("image/jpeg"), b"bbb"),
        P::Text("mock[queue_ms]", "0"),
        P::Text("mock[duration_ms]", "0"),
    ]);
    let id = post_form(&m, "/deapi/api/v1/client/img2img", body)
        .await
        .json()["data"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        deapi_status(&m, &id).await["data"]["result"],
        json!({"received": [info("images[]", Some("a.png"), Some("image/png"), b"aa"),
                            info("images[]", Some("b.jpg"), Some("image/jpeg"), b"bbb")]})
    );
}

fn laravel(field: &str, msg: &str) -> Value {
    json!({"data": null, "message": msg, "errors": {field: [msg]}, "statusCode": 422})
}

#[tokio::test]
async fn deapi_file_fields_are_validated_like_laravel() {
    let m = Mock::new();
    let url = "/deapi/api/v1/client/img2img";
    // One wrong field at a time, beside a valid prompt and model: missing, a text part where a
    // file belongs, a file that is not an image (declared text/plain), one with no type.
    let cases: [(P, &str); 4] = [
        (P::Text("other", "x"), "The image field is required."),
        (
            P::Text("image", "https://x/y.png"),
            "The image field must be a file.",
        ),
        (
            P::File("image", "a.txt", Some("text/plain"), b"hello"),
            "The image field must be an image.",
        ),
        (
            P::File("image", "a.png", None, b"hello"),
            "The image field must be an image.",
        ),
    ];
    for (part, message) in cases {
        let r = post_form(
            &m,
            url,
            form(&[P::Text("prompt", "p"), P::Text("model", "m"), part]),
        )
        .await;
        assert_eq!(
            (r.status, r.json()),
            (422, laravel("image", message)),
            "{message}"
        );
    }
    // A JSON string where a file belongs.
    let r = m
        .post(
            url,
            BEARER,
            &json!({"image": "https://x/y.png", "prompt": "p", "model": "m"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (422, laravel("image", "The image field must be a file."))
    );
    // Several errors: Laravel's summary counts every message.
    let r = post_form(&m, url, form(&[P::Text("x", "y")])).await;
    assert_eq!(
        r.json(),
        json!({"data": null, "message": "The image field is required. (and 2 more errors)",
               "errors": {"image": ["The image field is required."],
                          "prompt": ["The prompt field is required."],
                          "model": ["The model field is required."]},
               "statusCode": 422})
    );
    // img2video: the SDK's field names.
    let r = post_form(
        &m,
        "/deapi/api/v1/client/img2video",
        form(&[
            P::Text("prompt", "p"),
            P::Text("model", "m"),
            P::File("last_frame_image", "l.png", Some("image/png"), b"l"),
        ]),
    )
    .await;
    assert_eq!(
        r.json(),
        laravel(
            "first_frame_image",
            "The first frame image field is required."
        )
    );
    let r = post_form(
        &m,
        "/deapi/api/v1/client/img2video",
        form(&[
            P::Text("prompt", "p"),
            P::Text("model", "m"),
            P::File("first_frame_image", "f.png", Some("image/png"), b"f"),
        ]),
    )
    .await;
    assert_eq!(r.status, 200);
    // Audio and video fields need a file of any type.
    for (task, field) in [
        ("audiofile2txt", "audio"),
        ("videofile2txt", "video"),
        ("vid-upscale", "video"),
        ("vid-rmbg", "video"),
        ("aud2video", "audio"),
        ("transcribe", "source_file"),
    ] {
        let uri = format!("/deapi/api/v1/client/{task}");
        let r = post_form(&m, &uri, form(&[P::Text("model", "m")])).await;
        assert_eq!(r.status, 422, "{task}");
        assert!(r.json()["errors"][field].is_array(), "{task}");
        let ok = form(&[P::File(
            field,
            "clip.bin",
            Some("application/octet-stream"),
            b"x",
        )]);
        assert_eq!(post_form(&m, &uri, ok).await.status, 200, "{task}");
    }
    // URL tasks take their URL instead.
    let r = m
        .post(
            "/deapi/api/v1/client/vid2txt",
            BEARER,
            &json!({"include_ts": true}),
        )
        .await;
    assert_eq!(
        r.json(),
        laravel("video_url", "The video url field is required.")
    );
    // 422s create no job, and the log keeps their parts.
    let entries = log(&m).await;
    assert_eq!(
        entries[0]["parts"],
        json!([
            info("prompt", None, None, b"p"),
            info("model", None, None, b"m"),
            info("other", None, None, b"x")
        ])
    );
    assert!(entries.last().unwrap().get("parts").is_none());
}

#[tokio::test]
async fn deapi_image_size_limit_and_body_limit() {
    let m = Mock::new();
    let (body, digest) = big_form(&[P::Text("model", "m")], "image", "image/png", 11);
    let r = post_form(&m, "/deapi/api/v1/client/img-upscale", body).await;
    assert_eq!(
        r.json(),
        laravel(
            "image",
            "The image field must not be greater than 10240 kilobytes."
        )
    );
    assert_eq!(log(&m).await[0]["parts"][1]["sha256"], digest);
    assert_eq!(log(&m).await[0]["parts"][1]["size"], 11 * 1024 * 1024);

    // Over the body limit (lowered here): nginx's page, no job; the parts before the limit are
    // logged.
    let m = Mock::with_config(Config {
        deapi_form_limit: 4 * 1024 * 1024,
        ..Config::default()
    });
    let (body, _) = big_form(&[P::Text("model", "m")], "image", "image/png", 5);
    let r = post_form(&m, "/deapi/api/v1/client/img-upscale", body).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&r.body)
        .starts_with("<html><head><title>413 Request Entity Too Large</title>"));
    assert_eq!(
        log(&m).await[0]["parts"],
        json!([info("model", None, None, b"m")])
    );
    assert_eq!(m.state.store.stats().0, 0);
}

#[tokio::test]
async fn deapi_scenario_and_faults_from_bracket_notation() {
    let m = Mock::new();
    let body = form(&[
        P::Text("prompt", "p"),
        P::Text("model", "m"),
        P::File("image", "a.png", Some("image/png"), b"a"),
        P::Text("mock[faults][0][kind]", "500"),
        P::Text("mock[faults][0][on]", "submit"),
        P::Text("mock[faults][0][times]", "1"),
        P::Text("mock[faults][0][after]", "0"),
        P::Text("mock[faults][1][kind]", "429"),
        P::Text("mock[faults][1][retry_after]", "2"),
        P::Text("mock[faults][1][retry_after_date]", "0"),
        P::Text("mock[realtime][drop_events]", "1"),
        P::Text("mock[outcome]", "failed"),
    ]);
    let r = post_form(&m, "/deapi/api/v1/client/img2img", body.clone()).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-mock-fault"), Some("500"));
    let jobs = m.send("GET", "/__mock/jobs", &[], "").await.json();
    let job = &jobs[0];
    assert_eq!(job["rejected"], true);
    assert_eq!(
        job["faults"],
        json!([{"kind": "500", "on": "submit", "after": 0, "times": 1, "source": "job", "fired": 1},
               {"kind": "429", "on": "status", "after": 0, "times": 1, "retry_after": 2,
                "source": "job", "fired": 0}])
    );
    // The retry (same form) takes the refused job up again.
    let r = post_form(&m, "/deapi/api/v1/client/img2img", body).await;
    assert_eq!(r.status, 200);
    let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(id, job["id"]);
    let j = m.state.store.find(&id).unwrap();
    assert!(j.options.realtime.drop_events);
    assert_eq!(j.options.outcome.as_str(), "failed");
    let r = m
        .get(&format!("/deapi/api/v1/client/request-status/{id}"), BEARER)
        .await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
}

#[tokio::test(start_paused = true)]
async fn socaity_form_with_json_parts_and_repeated_files() {
    let m = Mock::new();
    let body = form(&[
        P::Text("prompt", "hello"),
        P::Text("mock", r#"{"queue_ms":0,"duration_ms":300}"#),
        P::Text("options", "[1,2]"),
        P::Text("count", "3"),
        P::File("faces", "a.png", Some("image/png"), b"face-a"),
        P::File("faces", "b.png", Some("image/png"), b"face-b"),
        P::File("target", "t.mp4", Some("video/mp4"), b"video"),
    ]);
    let r = post_form(&m, "/socaity/v1/face2face/swap/generate", body).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    let job = m.state.store.find(&id).unwrap();
    assert_eq!(job.options.duration_ms, 300);
    assert_eq!(job.input["options"], json!([1, 2]));
    assert_eq!(job.input["count"], "3");
    assert_eq!(job.input["faces"].as_array().unwrap().len(), 2);
    assert_eq!(
        m.introspect(&id).await["parts"].as_array().unwrap().len(),
        7
    );
    advance(300).await;
    let s = m
        .get(&format!("/socaity/v1/jobs/{id}"), BEARER)
        .await
        .json();
    assert_eq!(s["status"], "FINISHED");
    assert_eq!(
        s["result"],
        json!({"received": [info("faces", Some("a.png"), Some("image/png"), b"face-a"),
                            info("faces", Some("b.png"), Some("image/png"), b"face-b"),
                            info("target", Some("t.mp4"), Some("video/mp4"), b"video")]})
    );
    // A broken form: FastAPI's 400.
    let r = post_form(&m, "/socaity/v1/m/generate", "--nope").await;
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"detail": "There was an error parsing the body"})
        )
    );
}

#[tokio::test]
async fn socaity_streams_big_uploads_and_refuses_oversized_ones() {
    // 24 MiB: more than a JSON body may have, hashed as it streams.
    let m = Mock::new();
    let (body, digest) = big_form(
        &[P::Text("mock", r#"{"queue_ms":0,"duration_ms":0}"#)],
        "file",
        "application/octet-stream",
        24,
    );
    let r = post_form(&m, "/socaity/v1/upload/generate", body).await;
    assert_eq!(r.status, 202);
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    let parts = m.introspect(&id).await["parts"].clone();
    assert_eq!(parts[1]["size"], 24 * 1024 * 1024);
    assert_eq!(parts[1]["sha256"], digest);

    let m = Mock::with_config(Config {
        socaity_form_limit: 2 * 1024 * 1024,
        ..Config::default()
    });
    let (body, _) = big_form(&[], "file", "application/octet-stream", 3);
    let r = post_form(&m, "/socaity/v1/upload/generate", body).await;
    assert_eq!(
        (r.status, r.json()),
        (413, json!({"detail": "Request Entity Too Large"}))
    );
    assert_eq!(log(&m).await[0]["parts"], json!([]));
    assert_eq!(m.state.store.stats().0, 0);
}

#[tokio::test(start_paused = true)]
async fn socaity_file_results() {
    let m = Mock::new();
    let mut results = Vec::new();
    for kind in ["url", "base64", "data_uri", "nested", "list"] {
        let r = m
            .post(
                "/socaity/v1/m/generate",
                BEARER,
                &json!({"mock": {"queue_ms": 0, "duration_ms": 0, "file_result": kind}}),
            )
            .await;
        let id = r.json()["job_id"].as_str().unwrap().to_owned();
        let s = m
            .get(&format!("/socaity/v1/jobs/{id}"), BEARER)
            .await
            .json();
        results.push((id, s["result"].clone()));
    }
    let b64 =
        |stem: &str| data_encoding::BASE64.encode(&polyjob_mock::files::render(stem).unwrap());
    let (id, r) = &results[0];
    let url_model = |id: &str| {
        json!({"file_name": format!("{id}.png"), "content_type": "image/png",
               "content": format!("{BASE}/files/{id}.png")})
    };
    let second = |id: &str| {
        json!({"file_name": format!("{id}-2.png"), "content_type": "image/png",
               "content": b64(&format!("{id}-2"))})
    };
    assert_eq!(*r, url_model(id));
    let (id, r) = &results[1];
    assert_eq!(
        *r,
        json!({"file_name": format!("{id}.png"), "content_type": "image/png", "content": b64(id)})
    );
    let (id, r) = &results[2];
    assert_eq!(r["content"], format!("data:image/png;base64,{}", b64(id)));
    let (id, r) = &results[3];
    assert_eq!(
        *r,
        json!({"images": [url_model(id), second(id)], "seed": 42})
    );
    let (id, r) = &results[4];
    assert_eq!(*r, json!([url_model(id), second(id)]));
    // The base64 really is the PNG served under /files.
    let png = m.send("GET", &format!("/files/{id}-2.png"), &[], "").await;
    assert_eq!(
        data_encoding::BASE64.encode(&png.body),
        b64(&format!("{id}-2"))
    );
    // mock.result wins; sync answers carry FileModels too.
    let r = m
        .post(
            "/socaity/v1/m/generate",
            BEARER,
            &json!({"mock": {"queue_ms": 0, "duration_ms": 0, "file_result": "url", "result": 7}}),
        )
        .await;
    let id = r.json()["job_id"].as_str().unwrap().to_owned();
    let s = m
        .get(&format!("/socaity/v1/jobs/{id}"), BEARER)
        .await
        .json();
    assert_eq!(s["result"], 7);
    let r = m
        .post(
            "/socaity/v1/m/generate",
            BEARER,
            &json!({"mock": {"queue_ms": 0, "duration_ms": 0, "file_result": "url", "sync": true}}),
        )
        .await;
    let id = r.header("x-mock-job-id").unwrap().to_owned();
    assert_eq!((r.status, r.json()), (200, url_model(&id)));
}

#[tokio::test(start_paused = true)]
async fn optexity_completed_jobs_carry_downloads_and_a_screenshot() {
    let m = Mock::new();
    let r = m
        .post(
            "/optexity/api/v1/inference",
            XKEY,
            &json!({"endpoint_name": "shop-search", "mock": {"queue_ms": 0, "duration_ms": 10}}),
        )
        .await;
    let id = r.json()["task_id"].as_str().unwrap().to_owned();
    advance(10).await;
    for variant_body in [
        m.post(
            "/optexity/api/v1/inference/call",
            XKEY,
            &json!({"task_id": id}),
        )
        .await
        .json(),
        m.post("/optexity/api/v1/inference/all_calls", XKEY, &json!({}))
            .await
            .json()["requests"][0]
            .clone(),
    ] {
        assert_eq!(
            variant_body["downloads"],
            json!([{"url": format!("{BASE}/files/{id}.csv"), "filename": "shop-search.csv"}])
        );
        let shot = data_encoding::BASE64
            .decode(
                variant_body["final_screenshot"]
                    .as_str()
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        assert_eq!(
            shot,
            polyjob_mock::files::render(&format!("{id}-screenshot")).unwrap()
        );
    }
    let csv = m.send("GET", &format!("/files/{id}.csv"), &[], "").await;
    assert_eq!(
        (csv.status, csv.header("content-type")),
        (200, Some("text/csv"))
    );
    assert!(String::from_utf8(csv.body)
        .unwrap()
        .starts_with("row,name,value\n"));
}

#[tokio::test]
async fn fault_413_refuses_submits_in_each_providers_shape() {
    let m = Mock::new();
    let rule = r#"[{"kind":"413","on":"submit"}]"#;
    let cases = [
        (
            "/socaity/v1/m/generate",
            BEARER,
            json!({"prompt": "x"}),
            Some(json!({"detail": "Request Entity Too Large"})),
        ),
        (
            "/optexity/api/v1/inference",
            XKEY,
            json!({"endpoint_name": "e"}),
            Some(json!({"success": false, "message": "Request Entity Too Large"})),
        ),
        (
            "/serika/jobs/images",
            BEARER,
            json!({"model": "m", "prompt": "p"}),
            Some(
                json!({"error": {"message": "Request too large", "type": "invalid_request_error",
                                  "code": "request_too_large"}}),
            ),
        ),
        (
            "/deapi/api/v1/client/txt2img",
            BEARER,
            json!({"model": "m", "prompt": "p"}),
            None,
        ),
    ];
    for (uri, auth, mut body, want) in cases {
        body["mock"] = json!({"faults": serde_json::from_str::<Value>(rule).unwrap()});
        let r = m.post(uri, auth, &body).await;
        assert_eq!(r.status, 413, "{uri}");
        assert_eq!(r.header("x-mock-fault"), Some("413"));
        match want {
            Some(w) => assert_eq!(r.json(), w, "{uri}"),
            None => {
                assert_eq!(r.header("content-type"), Some("text/html"));
                assert!(String::from_utf8_lossy(&r.body).contains("<center>nginx</center>"));
            }
        }
    }
    let jobs = m.send("GET", "/__mock/jobs", &[], "").await.json();
    assert_eq!(jobs.as_array().unwrap().len(), 4);
    assert!(jobs
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["rejected"] == true));
    // Also as a client rule.
    let r = m
        .send(
            "POST",
            "/socaity/v1/m/generate",
            &[BEARER, ("x-mock-faults", rule)],
            r#"{"prompt":"x"}"#,
        )
        .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn result_files_in_every_format() {
    let m = Mock::new();
    let png = m.send("GET", "/files/pic.png", &[], "").await;
    let jpg = m.send("GET", "/files/pic.jpg", &[], "").await;
    assert_eq!(
        (jpg.status, jpg.header("content-type")),
        (200, Some("image/jpeg"))
    );
    assert!(jpg.body.starts_with(&[0xff, 0xd8, 0xff]) && jpg.body.ends_with(&[0xff, 0xd9]));
    // The frame header says 64×64, 3 components.
    let sof = jpg.body.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    assert_eq!(&jpg.body[sof + 5..sof + 10], &[0, 64, 0, 64, 3]);

    let webp = m.send("GET", "/files/pic.webp", &[], "").await;
    assert_eq!(
        (webp.status, webp.header("content-type")),
        (200, Some("image/webp"))
    );
    // Lossless: the same pixels as the PNG.
    let mut dec = image_webp::WebPDecoder::new(std::io::Cursor::new(webp.body.clone())).unwrap();
    assert_eq!(dec.dimensions(), (64, 64));
    let mut rgb = vec![0; dec.output_buffer_size().unwrap()];
    dec.read_image(&mut rgb).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png.body))
        .read_info()
        .unwrap();
    let mut want = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut want).unwrap();
    assert_eq!(rgb, want);

    let txt = m.send("GET", "/files/notes.txt", &[], "").await;
    assert_eq!(
        (txt.status, txt.header("content-type")),
        (200, Some("text/plain"))
    );
    assert_eq!(txt.body, b"polyjob-mock result file notes\n");
    for bad in ["/files/pic.gif", "/files/pic", "/files/.jpg"] {
        assert_eq!(m.send("GET", bad, &[], "").await.status, 404, "{bad}");
    }
}
