//! deAPI v2 routes: `/api/v2/{resource}` submits (JSON and multipart, validated as their v1
//! task), `/api/v2/jobs/{id}` with `price` and the v2 failure fields, `{resource}/price`,
//! `account/balance`, `models` (inference types keyed by type), and v2's bare error bodies.

mod common;
use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{json, Value};

async fn submit(m: &Mock, resource: &str, body: Value) -> String {
    let r = m
        .post(&format!("/deapi/api/v2/{resource}"), BEARER, &body)
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();
    assert!(is_uuid(&id));
    assert_eq!(r.json(), json!({"data": {"request_id": id}}));
    id
}

async fn job(m: &Mock, id: &str) -> Value {
    let r = m.get(&format!("/deapi/api/v2/jobs/{id}"), BEARER).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["data"].clone()
}

#[tokio::test(start_paused = true)]
async fn generation_runs_to_done_with_its_price() {
    let m = Mock::new();
    let body = json!({"prompt": "a fox", "model": "Flux1schnell", "width": 1024, "height": 1024,
                      "guidance": 3.5, "steps": 4, "seed": -1,
                      "mock": {"queue_ms": 100, "duration_ms": 1000, "steps": 4}});
    let id = submit(&m, "images/generations", body).await;
    let pending = job(&m, &id).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["price"], Value::Null, "no price while it runs");
    assert_eq!(pending["prompt_boosted"], json!(false));
    assert!(pending.get("error_code").is_none());
    advance(600).await;
    let running = job(&m, &id).await;
    assert_eq!(running["status"], "processing");
    assert_eq!(running["price"], Value::Null);
    advance(600).await;
    let done = job(&m, &id).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["progress"], json!(100.0));
    assert_eq!(done["result_url"], json!(format!("{BASE}/files/{id}.png")));
    // 1024×1024 at 4 steps, deAPI's txt2img rate: the same as its price quote.
    assert_eq!(
        done["price"],
        json!({"amount": 0.00544, "is_estimated": false})
    );
    assert!(done.get("error").is_none() && done.get("error_code").is_none());
    // The job runs as its v1 task (webhooks' job_type, introspection).
    assert_eq!(m.introspect(&id).await["target"], "txt2img");
    // v1's status route sees the same job, in v1's shape.
    let r = m
        .get(&format!("/deapi/api/v1/client/request-status/{id}"), BEARER)
        .await;
    assert_eq!(r.json()["data"]["status"], "done");
    assert!(r.json()["data"].get("price").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_carries_the_v2_failure_fields() {
    let m = Mock::new();
    let body = json!({"prompt": "a fox", "model": "Flux1schnell",
                      "mock": {"queue_ms": 10, "duration_ms": 100, "outcome": "failed",
                               "error_code": "WORKER_ERROR", "error": "worker-error"}});
    let id = submit(&m, "images/generations", body).await;
    advance(200).await;
    let failed = job(&m, &id).await;
    assert_eq!(failed["status"], "error");
    assert_eq!(failed["error_code"], "WORKER_ERROR");
    assert_eq!(failed["error_message"], "worker-error");
    assert_eq!(failed["error_reason"], "PROCESSING_FAILED");
    assert_eq!(failed["retryable"], json!(false));
    assert_eq!(failed["refunded"], json!(true));
    assert!(failed["failed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(failed["price"], json!({"amount": 0, "is_estimated": false}));
    assert!(
        failed.get("error").is_none(),
        "v1's error member is not sent"
    );
}

#[tokio::test(start_paused = true)]
async fn file_resource_as_multipart() {
    const B: &str = "----v2Boundary";
    let png: &[u8] = b"\x89PNG\r\n\x1a\n0000";
    let form = |ct: &str| {
        let mut body = format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nRealESRGAN_x4\r\n"
        )
        .into_bytes();
        body.extend(format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: {ct}\r\n\r\n"
        ).into_bytes());
        body.extend_from_slice(png);
        body.extend(format!("\r\n--{B}--\r\n").into_bytes());
        body
    };
    let send = |uri: &str, body: Vec<u8>| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header("host", HOST)
            .header(BEARER.0, BEARER.1)
            .header("content-type", format!("multipart/form-data; boundary={B}"))
            .body(Body::from(body))
            .unwrap()
    };
    let m = Mock::new();
    let r = m
        .send_request(send("/deapi/api/v2/images/upscales", form("image/png")))
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(m.introspect(&id).await["target"], "img-upscale");
    let parts = m.introspect(&id).await["parts"].clone();
    assert!(parts
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "image" && p["size"] == png.len()));
    // Its price, with the same form; then v1's image rule, in v2's error shape.
    let r = m
        .send_request(send(
            "/deapi/api/v2/images/upscales/price",
            form("image/png"),
        ))
        .await;
    assert_eq!(r.json(), json!({"data": {"price": 0.01}}));
    let r = m
        .send_request(send("/deapi/api/v2/images/upscales", form("text/plain")))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"message": "The image field must be an image.",
               "errors": {"image": ["The image field must be an image."]}})
    );
    // JSON to a file resource: Laravel's "must be a file"/"is required".
    let r = m
        .post(
            "/deapi/api/v2/images/edits",
            BEARER,
            &json!({"prompt": "p", "model": "m", "image": "x"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"]["image"],
        json!(["The image field must be a file."])
    );
}

#[tokio::test(start_paused = true)]
async fn price_balance_models() {
    let m = Mock::new();
    let body = json!({"prompt": "a fox", "model": "Flux1schnell", "width": 512, "height": 512, "steps": 4});
    let r = m
        .post("/deapi/api/v2/images/generations/price", BEARER, &body)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"price": 0.00136}}));
    let r = m
        .post(
            "/deapi/api/v2/images/generations/price",
            BEARER,
            &json!({"model": "m"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["message"], "The prompt field is required.");
    assert!(r.json().get("statusCode").is_none() && r.json().get("data").is_none());

    let r = m.get("/deapi/api/v2/account/balance", BEARER).await;
    assert_eq!(r.json(), json!({"data": {"balance": 19.72}}));

    let r = m
        .get(
            "/deapi/api/v2/models?limit=50&filter%5Binference_types%5D=img-upscale",
            BEARER,
        )
        .await;
    let page = r.json();
    assert_eq!(page["meta"]["total"], json!(1));
    assert_eq!(page["data"][0]["slug"], "RealESRGAN_x4");
    assert_eq!(
        page["data"][0]["inference_types"],
        json!({"img-upscale": {}})
    );
    let r = m.get("/deapi/api/v2/models?limit=50&page=2", BEARER).await;
    assert_eq!(r.json()["meta"]["current_page"], json!(2));
    assert!(r.json()["links"]["first"]
        .as_str()
        .unwrap()
        .ends_with("/deapi/api/v2/models?page=1"));
}

#[tokio::test(start_paused = true)]
async fn v2_errors() {
    let m = Mock::new();
    let r = m.get("/deapi/api/v2/jobs/nope", BEARER).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"message": "No query results for the requested resource."})
    );
    let r = m.post("/deapi/api/v2/txt2img", BEARER, &json!({})).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"message": "The route api/v2/txt2img could not be found."})
    );
    let r = m
        .post("/deapi/api/v2/images/nothing/price", BEARER, &json!({}))
        .await;
    assert_eq!(
        r.json(),
        json!({"message": "The route api/v2/images/nothing/price could not be found."})
    );
    let r = m.get("/deapi/api/v2/images/generations", BEARER).await;
    assert_eq!(r.status, 405);
    let r = m
        .get(
            "/deapi/api/v2/account/balance",
            ("authorization", "Bearer wrong"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"message": "Unauthenticated."}));
    // v1 keeps its envelope.
    let r = m
        .get("/deapi/api/v1/client/request-status/nope", BEARER)
        .await;
    assert_eq!(r.json()["message"], "Request not found.");
    assert_eq!(r.json()["statusCode"], json!(404));
}
