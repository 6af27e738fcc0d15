//! Discovery routes: deAPI price calculation (JSON and multipart, validation, no job made),
//! balance, the paginated and filtered model catalogue; Serika's model list; auth on each.

mod common;
use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{json, Value};

async fn jobs(m: &Mock) -> usize {
    let all = m.send("GET", "/__mock/jobs", &[], "").await.json();
    all.as_array()
        .or_else(|| all["jobs"].as_array())
        .map_or(0, Vec::len)
}

#[tokio::test(start_paused = true)]
async fn deapi_price_calculation_json() {
    let m = Mock::new();
    let body = json!({"prompt": "a fox", "model": "Flux1schnell", "width": 1024, "height": 1024,
                      "steps": 4, "seed": -1, "webhook_url": "https://example.com/hook"});
    let r = m
        .post(
            "/deapi/api/v1/client/txt2img/price-calculation",
            BEARER,
            &body,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), json!({"data": {"price": 0.00544}}));
    assert_eq!(jobs(&m).await, 0, "a price calculation makes no job");
    // The submit's validation: txt2img needs prompt and model.
    let r = m
        .post(
            "/deapi/api/v1/client/txt2img/price-calculation",
            BEARER,
            &json!({"model": "Flux1schnell"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"]["prompt"],
        json!(["The prompt field is required."])
    );
    // An upload task is priced without its file (deAPI prices it from the parameters)...
    let r = m
        .post(
            "/deapi/api/v1/client/img-upscale/price-calculation",
            BEARER,
            &json!({"model": "RealESRGAN_x4", "width": 512, "height": 512}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"price": 0.01}}));
    // ...and videos/replace is priced at .../price.
    let r = m
        .post(
            "/deapi/api/v1/client/videos/replace/price",
            BEARER,
            &json!({"model": "Wan2_2_Animate_14B_INT8", "duration": 5}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["data"]["price"].as_f64().unwrap() > 0.0);
    // The key is checked.
    let r = m
        .post(
            "/deapi/api/v1/client/txt2img/price-calculation",
            ("authorization", "Bearer wrong"),
            &body,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test(start_paused = true)]
async fn deapi_price_calculation_multipart() {
    const B: &str = "----discoveryBoundary";
    let png: &[u8] = b"\x89PNG\r\n\x1a\n0000";
    let mut body = Vec::new();
    body.extend(
        format!("--{B}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nRealESRGAN_x4\r\n")
            .into_bytes(),
    );
    body.extend(
        format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes(),
    );
    body.extend_from_slice(png);
    body.extend(format!("\r\n--{B}--\r\n").into_bytes());
    let send = |body: Vec<u8>, ct: &str| {
        Request::builder()
            .method("POST")
            .uri("/deapi/api/v1/client/img-upscale/price-calculation")
            .header("host", HOST)
            .header(BEARER.0, BEARER.1)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={ct}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let m = Mock::new();
    let r = m.send_request(send(body.clone(), B)).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), json!({"data": {"price": 0.01}}));
    assert_eq!(jobs(&m).await, 0);
    // The parts are in the request log, as for a submit.
    let log = m.send("GET", "/__mock/requests", &[], "").await.json();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| {
            e["url"]
                .as_str()
                .is_some_and(|p| p.ends_with("/price-calculation"))
        })
        .expect("the price request is logged");
    let parts = entry["parts"].as_array().expect("its parts");
    assert!(parts
        .iter()
        .any(|p| p["name"] == "image" && p["size"] == png.len()));
    // A file sent is still checked: not an image → 422.
    let bad = String::from_utf8_lossy(&body).replace("image/png", "text/plain");
    let r = m.send_request(send(bad.into_bytes(), B)).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"]["image"],
        json!(["The image field must be an image."])
    );
    // A broken form: Laravel's 422.
    let r = m.send_request(send(b"garbage".to_vec(), B)).await;
    assert_eq!(r.status, 422);
}

#[tokio::test(start_paused = true)]
async fn deapi_balance() {
    let m = Mock::new();
    let r = m.get("/deapi/api/v1/client/balance", BEARER).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": {"balance": 19.72}}));
    let r = m
        .get(
            "/deapi/api/v1/client/balance",
            ("authorization", "Bearer x"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Unauthorized user.");
}

fn slugs(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn deapi_models_pages_and_filters() {
    let m = Mock::new();
    let get = |q: &'static str| {
        let m = &m;
        async move {
            let r = m
                .get(&format!("/deapi/api/v1/client/models{q}"), BEARER)
                .await;
            assert_eq!(r.status, 200, "{q}");
            r.json()
        }
    };
    // Default 25 a page; per_page ignored.
    let d = get("?per_page=100").await;
    assert_eq!(d["data"].as_array().unwrap().len(), 25);
    assert_eq!(d["meta"]["per_page"], 25);
    // limit=50: two pages; links carry only ?page=N (Laravel without withQueryString).
    let p1 = get("?limit=50&page=1").await;
    let p2 = get("?limit=50&page=2").await;
    let total = p1["meta"]["total"].as_u64().unwrap();
    assert!(total > 50);
    assert_eq!(p1["meta"]["last_page"], 2);
    assert_eq!(
        p1["links"]["next"],
        json!(format!("{BASE}/deapi/api/v1/client/models?page=2"))
    );
    assert_eq!(p2["links"]["next"], Value::Null);
    assert_eq!(p2["meta"]["current_page"], 2);
    let mut all = slugs(&p1);
    all.extend(slugs(&p2));
    assert_eq!(all.len() as u64, total);
    all.sort();
    all.dedup();
    assert_eq!(all.len() as u64, total, "no model on two pages");
    // Entries: name, slug, inference_types, info (Laravel's [] when empty).
    let flux = &p1["data"][0];
    assert_eq!(flux["slug"], "Flux1schnell");
    assert_eq!(flux["inference_types"], json!(["txt2img"]));
    let whisper = p1["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["slug"] == "WhisperLargeV3")
        .unwrap();
    assert_eq!(whisper["info"], json!([]));
    // Filters, encoded or not; a model matching any type of the list.
    let f = get("?limit=50&filter%5Binference_types%5D=video-replace").await;
    assert_eq!(slugs(&f), ["Wan2_2_Animate_14B_INT8"]);
    let f = get("?limit=50&filter[inference_types]=img-upscale%2Cimg-rmbg").await;
    assert_eq!(slugs(&f), ["RealESRGAN_x4", "Ben2"]);
    let f = get("?limit=50&filter[inference_types]=img2img").await;
    for model in f["data"].as_array().unwrap() {
        assert!(model["inference_types"]
            .as_array()
            .unwrap()
            .contains(&json!("img2img")));
    }
    // The txt2img filter still spans two pages of 50... of 25 at the default size.
    let f = get("?filter[inference_types]=txt2img").await;
    assert!(f["meta"]["last_page"].as_u64().unwrap() >= 2);
    // Unknown type: empty, one page.
    let f = get("?limit=50&filter[inference_types]=nope").await;
    assert_eq!(f["data"], json!([]));
    assert_eq!(f["meta"]["total"], 0);
    let r = m
        .get("/deapi/api/v1/client/models", ("authorization", "Bearer x"))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test(start_paused = true)]
async fn serika_models() {
    let m = Mock::new();
    let r = m.get("/serika/models", BEARER).await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(b["object"], "list");
    let data = b["data"].as_array().unwrap();
    assert!(data.len() >= 18);
    assert!(data
        .iter()
        .any(|m| m["id"] == "tensorart-illustrious-xl-v2-aesthetic" && m["object"] == "model"));
    let r = m.get("/serika/models", ("authorization", "Bearer x")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "invalid_api_key");
}
