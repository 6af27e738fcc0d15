//! The HTTP requests each provider's pure translator builds: method, exact URL (documented base
//! and a custom base), the auth header exactly as each seed document says, body shape, and the
//! errors for what cannot be sent (CONFIG, UNSUPPORTED). Also Socaity's link following, which must
//! stay on the configured origin, and that the API key never appears anywhere but its header.

#![cfg(not(target_arch = "wasm32"))]

use polyjob::core::{ErrorCode, HttpRequest, HttpResponse, Job, Json, Method, Provider};
use polyjob::providers::{
    adapter, parse_status, parse_submit, ApiVersion, ClientConfig, SubmitRequest,
};

const KEY: &str = "sk_test_5f2a9c0d41";

fn cfg(p: Provider, base: Option<&str>) -> ClientConfig {
    ClientConfig::new(p, Some(KEY.to_string()), base, Vec::new()).expect("valid config")
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).expect("test JSON")
}

fn submit_req(model: Option<&str>, task: Option<&str>, input: &str) -> SubmitRequest {
    SubmitRequest {
        model: model.map(str::to_string),
        task: task.map(str::to_string),
        input: json(input),
        ..SubmitRequest::default()
    }
}

/// Member-order-insensitive equality (JSON objects are unordered on the wire).
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The key is only in the provider's auth header: never in the URL, the body, or another header.
fn assert_key_only_in_auth(p: Provider, req: &HttpRequest) {
    assert!(
        !req.url.contains(KEY),
        "{}: key in URL {}",
        p.as_str(),
        req.url
    );
    if let Some(body) = req.json_body() {
        let text = serde_json::to_string(body).unwrap();
        assert!(!text.contains(KEY), "{}: key in body", p.as_str());
    }
    let (auth_name, auth_value) = adapter(p).auth_header(KEY);
    for (name, value) in req.headers.iter() {
        if name.eq_ignore_ascii_case(auth_name) {
            assert_eq!(value, &auth_value, "{}: auth header value", p.as_str());
        } else {
            assert!(!value.contains(KEY), "{}: key in header {name}", p.as_str());
        }
    }
    assert_eq!(
        req.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(auth_name))
            .count(),
        1,
        "{}: exactly one auth header",
        p.as_str()
    );
}

fn assert_bearer(p: Provider, req: &HttpRequest) {
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str()),
        "{}",
        p.as_str()
    );
    assert_eq!(req.header("x-api-key"), None, "{}", p.as_str());
    assert_key_only_in_auth(p, req);
}

fn assert_x_api_key(req: &HttpRequest) {
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("authorization"), None);
    assert_key_only_in_auth(Provider::Optexity, req);
}

fn job_from(p: Provider, status: u16, body: &str) -> Job {
    parse_submit(p, &HttpResponse::json(status, json(body))).expect("job")
}

// ---------------------------------------------------------------------------------- Socaity

#[test]
fn socaity_submit_default_base() {
    let p = Provider::Socaity;
    let req = adapter(p)
        .submit(
            &cfg(p, None),
            &submit_req(Some("flux-schnell"), None, r#"{"prompt": "hello world"}"#),
        )
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.socaity.ai/v1/flux-schnell/generate");
    assert_bearer(p, &req);
    // Seed curl: -d '{"prompt": "hello world"}' — parameters at the top level, no wrapper.
    assert_eq!(
        req.json_body().cloned(),
        Some(json(r#"{"prompt": "hello world"}"#))
    );
}

#[test]
fn socaity_requests_custom_base() {
    let p = Provider::Socaity;
    let c = cfg(p, Some("http://127.0.0.1:9/socaity/"));
    assert_eq!(c.base_url, "http://127.0.0.1:9/socaity");
    let a = adapter(p);
    let req = a
        .submit(
            &c,
            &submit_req(Some("org/face-swap"), None, r#"{"prompt":"x","n":2}"#),
        )
        .unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/v1/org/face-swap/generate"
    );
    assert_eq!(
        req.json_body().cloned(),
        Some(json(r#"{"prompt":"x","n":2}"#))
    );
    assert_bearer(p, &req);

    let req = a.status(&c, "job_abc123", None);
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.url, "http://127.0.0.1:9/socaity/v1/jobs/job_abc123");
    assert_eq!(req.json_body().cloned(), None);
    assert_bearer(p, &req);

    let req = a.cancel(&c, "job_abc123", None).unwrap();
    assert_eq!(req.method, Method::Delete);
    assert_eq!(req.url, "http://127.0.0.1:9/socaity/v1/jobs/job_abc123");
    assert_eq!(req.json_body().cloned(), None);
    assert_bearer(p, &req);

    let err = a.list(&c).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unsupported);
    assert_eq!(err.provider, Some(p));
}

#[test]
fn socaity_default_status_and_cancel() {
    let p = Provider::Socaity;
    let c = cfg(p, None);
    let req = adapter(p).status(&c, "job_abc123", None);
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Get, "https://api.socaity.ai/v1/jobs/job_abc123")
    );
    let req = adapter(p).cancel(&c, "job_abc123", None).unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Delete, "https://api.socaity.ai/v1/jobs/job_abc123")
    );
}

#[test]
fn socaity_follows_same_origin_links() {
    let p = Provider::Socaity;
    let a = adapter(p);
    let c = cfg(p, Some("http://127.0.0.1:9/socaity"));
    // APIPod: links relative to the service base.
    let last = job_from(
        p,
        202,
        r#"{"job_id":"job_7f3a","status":"queued","links":{"status":"/status/job_7f3a","cancel":"/cancel/job_7f3a","stream":"/stream/job_7f3a"}}"#,
    );
    let req = a.status(&c, "job_7f3a", Some(&last));
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Get, "http://127.0.0.1:9/socaity/status/job_7f3a")
    );
    assert_bearer(p, &req);
    let req = a.cancel(&c, "job_7f3a", Some(&last)).unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "http://127.0.0.1:9/socaity/cancel/job_7f3a")
    );
    assert_bearer(p, &req);

    // REST reference: absolute refresh_job_url / cancel_job_url on the same origin.
    let last = job_from(
        p,
        202,
        r#"{"job_id":"job_abc123","status":"PENDING","refresh_job_url":"http://127.0.0.1:9/socaity/v1/jobs/job_abc123?poll=1","cancel_job_url":"http://127.0.0.1:9/socaity/v1/jobs/job_abc123"}"#,
    );
    let req = a.status(&c, "job_abc123", Some(&last));
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/v1/jobs/job_abc123?poll=1"
    );
    let req = a.cancel(&c, "job_abc123", Some(&last)).unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        (
            Method::Delete,
            "http://127.0.0.1:9/socaity/v1/jobs/job_abc123"
        )
    );

    // Default base: the documented refresh_job_url.
    let c = cfg(p, None);
    let last = job_from(
        p,
        202,
        r#"{"job_id":"job_abc123","status":"PENDING","refresh_job_url":"https://api.socaity.ai/v1/jobs/job_abc123/refresh"}"#,
    );
    let req = a.status(&c, "job_abc123", Some(&last));
    assert_eq!(req.url, "https://api.socaity.ai/v1/jobs/job_abc123/refresh");
}

#[test]
fn socaity_never_follows_links_to_another_origin() {
    let p = Provider::Socaity;
    let a = adapter(p);
    let c = cfg(p, Some("http://127.0.0.1:9/socaity"));
    let default_url = "http://127.0.0.1:9/socaity/v1/jobs/job_1";
    for link in [
        "https://evil.example/steal",
        "http://evil.example/socaity/v1/jobs/job_1",
        "//evil.example/status/job_1",
        "http://127.0.0.1:99/socaity/v1/jobs/job_1",
        "https://127.0.0.1:9/socaity/v1/jobs/job_1",
        "http://127.0.0.1:9@evil.example/status/job_1",
        "http://127.0.0.1:9.evil.example/status/job_1",
        "javascript:alert(1)",
        "status/job_1",
    ] {
        for body in [
            format!(
                r#"{{"job_id":"job_1","status":"queued","links":{{"status":"{link}","cancel":"{link}"}}}}"#
            ),
            format!(
                r#"{{"job_id":"job_1","status":"PENDING","refresh_job_url":"{link}","cancel_job_url":"{link}"}}"#
            ),
        ] {
            let last = job_from(p, 202, &body);
            let req = a.status(&c, "job_1", Some(&last));
            assert_eq!(req.url, default_url, "status followed {link}");
            assert_bearer(p, &req);
            let req = a.cancel(&c, "job_1", Some(&last)).unwrap();
            assert_eq!(
                (req.method, req.url.as_str()),
                (Method::Delete, default_url),
                "cancel followed {link}"
            );
        }
    }
}

#[test]
fn socaity_submit_errors() {
    let p = Provider::Socaity;
    let a = adapter(p);
    let c = cfg(p, None);
    let err = a
        .submit(&c, &submit_req(None, None, r#"{"prompt":"x"}"#))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config, "missing model");
    for model in ["", "../admin", "a//b", "a/./b"] {
        let err = a
            .submit(&c, &submit_req(Some(model), None, "{}"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "model {model:?}");
    }
    let err = a
        .submit(&c, &submit_req(Some("m"), None, "[1,2]"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config, "input must be an object");
    let mut req = submit_req(Some("m"), None, "{}");
    req.webhook_url = Some("https://example.com/hook".into());
    assert_eq!(
        a.submit(&c, &req).unwrap_err().code,
        ErrorCode::Unsupported,
        "Socaity has no webhooks"
    );
    let mut req = submit_req(Some("m"), None, "{}");
    req.webhook_secret = Some("k".into());
    assert_eq!(
        a.submit(&c, &req).unwrap_err().code,
        ErrorCode::Unsupported,
        "nor a webhook key"
    );
}

fn service_req(service: &str, endpoint: &str, input: &str) -> SubmitRequest {
    SubmitRequest {
        service: Some(service.into()),
        endpoint: Some(endpoint.into()),
        ..submit_req(None, None, input)
    }
}

#[test]
fn socaity_service_endpoints_take_forms() {
    use polyjob::core::{FilePath, PartValue, PathSeg, RequestBody};
    let p = Provider::Socaity;
    let a = adapter(p);
    let c = cfg(p, Some("http://127.0.0.1:9/socaity"));
    // No file: URL-encoded fields, nested values as JSON text, null left out.
    let req = polyjob::providers::submit(
        &c,
        &service_req(
            "speechcraft",
            "text2voice",
            r#"{"text":"hi & bye=1","voice":"en speaker","temp":0.7,"save":true,"opts":{"a":[1,2]},"skip":null}"#,
        ),
    )
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/services/v1/speechcraft/text2voice"
    );
    assert_bearer(p, &req);
    assert_eq!(
        req.body,
        Some(RequestBody::UrlEncoded(
            "text=hi%20%26%20bye%3D1&voice=en%20speaker&temp=0.7&save=true&opts=%7B%22a%22%3A%5B1%2C2%5D%7D".into()
        ))
    );
    // jsonBody: the input as JSON.
    let mut json_req = service_req("flux-schnell", "predictions", r#"{"prompt":"x","n":2}"#);
    json_req.json_body = true;
    let req = a.submit(&c, &json_req).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/services/v1/flux-schnell/predictions"
    );
    assert!(same_json(
        req.json_body().unwrap(),
        &json(r#"{"prompt":"x","n":2}"#)
    ));
    // Files: a multipart form, the file a part named after its key, text fields beside it.
    let mut file_req = service_req("face2face", "/swap", r#"{"faces":"me","media":null}"#);
    file_req.files = vec![FilePath::from(vec![PathSeg::Key("media".into())])];
    let req = a.submit(&c, &file_req).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/services/v1/face2face/swap"
    );
    let parts = req.form_parts().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].name.as_str(), &parts[0].value),
        ("faces", &PartValue::Text("me".into()))
    );
    assert_eq!(
        (parts[1].name.as_str(), &parts[1].value),
        ("media", &PartValue::File(0))
    );
    // The job lives under the service: its base is kept for its links.
    assert_eq!(
        a.service_url(&c, &file_req).as_deref(),
        Some("http://127.0.0.1:9/socaity/services/v1/face2face")
    );
    // Endpoint paths keep their slashes, segments encoded.
    let req = a
        .submit(&c, &service_req("llm", "v1/chat completions", "{}"))
        .unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/socaity/services/v1/llm/v1/chat%20completions"
    );
}

#[test]
fn socaity_service_jobs_follow_links_from_the_service_base() {
    let p = Provider::Socaity;
    let a = adapter(p);
    let c = cfg(p, Some("http://127.0.0.1:9/socaity"));
    let mut last = job_from(
        p,
        202,
        r#"{"job_id":"job_9","status":"queued","links":{"status":"/status/job_9","cancel":"/cancel/job_9","stream":"/stream/job_9"}}"#,
    );
    last.service_url = Some("http://127.0.0.1:9/socaity/services/v1/face2face".into());
    let base = "http://127.0.0.1:9/socaity/services/v1/face2face";
    let req = a.status(&c, "job_9", Some(&last));
    assert_eq!(
        (req.method, req.url.clone()),
        (Method::Get, format!("{base}/status/job_9"))
    );
    let req = a.cancel(&c, "job_9", Some(&last)).unwrap();
    assert_eq!(
        (req.method, req.url.clone()),
        (Method::Post, format!("{base}/cancel/job_9"))
    );
    let req = a.stream(&c, "job_9", Some(&last)).unwrap();
    assert_eq!(req.url, format!("{base}/stream/job_9"));
    // Without links, APIPod's routes under the service.
    let mut bare = job_from(p, 202, r#"{"job_id":"job_9","status":"queued"}"#);
    bare.service_url = last.service_url.clone();
    assert_eq!(
        a.status(&c, "job_9", Some(&bare)).url,
        format!("{base}/status/job_9")
    );
    let req = a.cancel(&c, "job_9", Some(&bare)).unwrap();
    assert_eq!(
        (req.method, req.url.clone()),
        (Method::Post, format!("{base}/cancel/job_9"))
    );
    // A link to another origin is still never followed.
    let mut evil = job_from(
        p,
        202,
        r#"{"job_id":"job_9","status":"queued","links":{"status":"http://evil.example/status/job_9"}}"#,
    );
    evil.service_url = last.service_url.clone();
    assert_eq!(
        a.status(&c, "job_9", Some(&evil)).url,
        format!("{base}/status/job_9")
    );
}

#[test]
fn socaity_service_request_errors() {
    let p = Provider::Socaity;
    let c = cfg(p, None);
    let submit = |r: &SubmitRequest| polyjob::providers::submit(&c, r).unwrap_err();
    let mut r = service_req("face2face", "swap", "{}");
    r.endpoint = None;
    let err = submit(&r);
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("endpoint"), "{}", err.message);
    let mut r = service_req("face2face", "swap", "{}");
    r.service = None;
    assert_eq!(
        submit(&r).code,
        ErrorCode::Config,
        "endpoint without service"
    );
    let mut r = service_req("face2face", "swap", "{}");
    r.model = Some("flux".into());
    let err = submit(&r);
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("not both"), "{}", err.message);
    let mut r = submit_req(Some("m"), None, "{}");
    r.json_body = true;
    assert_eq!(
        submit(&r).code,
        ErrorCode::Config,
        "jsonBody without a service"
    );
    for bad in ["", "../x", "a//b"] {
        assert_eq!(
            submit(&service_req(bad, "swap", "{}")).code,
            ErrorCode::Config,
            "{bad:?}"
        );
        assert_eq!(
            submit(&service_req("s", bad, "{}")).code,
            ErrorCode::Config,
            "{bad:?}"
        );
    }
    // The service fields belong to Socaity only.
    for other in [Provider::Optexity, Provider::Deapi, Provider::Serika] {
        let mut r = submit_req(Some("m"), Some("txt2img"), "{}");
        r.service = Some("face2face".into());
        let err = polyjob::providers::submit(&cfg(other, None), &r).unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{other:?}");
        assert!(err.message.contains("Socaity"), "{}", err.message);
    }
}

#[test]
fn socaity_model_is_percent_encoded() {
    let p = Provider::Socaity;
    let req = adapter(p)
        .submit(
            &cfg(p, None),
            &submit_req(Some("org/my model?x=1#f"), None, "{}"),
        )
        .unwrap();
    assert_eq!(
        req.url,
        "https://api.socaity.ai/v1/org/my%20model%3Fx%3D1%23f/generate"
    );
    // Null input is an empty object.
    let req = adapter(p)
        .submit(&cfg(p, None), &submit_req(Some("m"), None, "null"))
        .unwrap();
    assert_eq!(req.json_body().cloned(), Some(Json::Object(Vec::new())));
}

// --------------------------------------------------------------------------------- Optexity

#[test]
fn optexity_requests() {
    let p = Provider::Optexity;
    let a = adapter(p);
    for (base, root) in [
        (None, "https://api.optexity.com"),
        (
            Some("http://127.0.0.1:9/optexity"),
            "http://127.0.0.1:9/optexity",
        ),
    ] {
        let c = cfg(p, base);
        let req = a
            .submit(
                &c,
                &submit_req(
                    Some("extract-invoice"),
                    None,
                    r#"{"input_parameters":{"invoice_url":["https://example.com/i.pdf"]},"priority":1}"#,
                ),
            )
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, format!("{root}/api/v1/inference"));
        assert_x_api_key(&req);
        let body = req.json_body().unwrap();
        assert!(same_json(
            body,
            &json(
                r#"{"input_parameters":{"invoice_url":["https://example.com/i.pdf"]},"priority":1,"endpoint_name":"extract-invoice"}"#
            )
        ));

        // Seed 001: POST /api/v1/inference/call with {"task_id"}.
        let req = a.status(&c, "task_123456789", None);
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, format!("{root}/api/v1/inference/call"));
        assert_eq!(
            req.json_body().cloned(),
            Some(json(r#"{"task_id": "task_123456789"}"#))
        );
        assert_x_api_key(&req);

        let req = a.list(&c).unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, format!("{root}/api/v1/inference/all_calls"));
        assert_eq!(req.json_body().cloned(), None);
        assert_x_api_key(&req);

        let err = a.cancel(&c, "task_1", None).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.provider, Some(p));
    }
}

#[test]
fn optexity_submit_variants_and_errors() {
    let p = Provider::Optexity;
    let a = adapter(p);
    let c = cfg(p, None);
    let err = a
        .submit(&c, &submit_req(None, None, r#"{"input_parameters":{}}"#))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config, "missing model / endpoint_name");
    // The legacy body names the endpoint itself.
    let req = a
        .submit(
            &c,
            &submit_req(
                None,
                None,
                r#"{"end_point":"https://api.example.com/process","goal":"Analyze data","params":{}}"#,
            ),
        )
        .unwrap();
    assert!(same_json(
        req.json_body().unwrap(),
        &json(
            r#"{"end_point":"https://api.example.com/process","goal":"Analyze data","params":{}}"#
        )
    ));
    // The model wins over an endpoint_name in the input.
    let req = a
        .submit(
            &c,
            &submit_req(Some("new"), None, r#"{"endpoint_name":"old"}"#),
        )
        .unwrap();
    assert_eq!(
        req.json_body().unwrap().get_str("endpoint_name"),
        Some("new")
    );
    // webhook → the current API's task_callback_url.
    let mut r = submit_req(Some("m"), None, "{}");
    r.webhook_url = Some("https://example.com/hook".into());
    let req = a.submit(&c, &r).unwrap();
    assert_eq!(
        req.json_body().unwrap().get_str("task_callback_url"),
        Some("https://example.com/hook")
    );
    // Without a webhookSecret, no task_callback_api_key; with one, Optexity's field carries it.
    assert!(req
        .json_body()
        .unwrap()
        .get("task_callback_api_key")
        .is_none());
    r.webhook_secret = Some("optx-callback-key".into());
    let req = a.submit(&c, &r).unwrap();
    assert!(same_json(
        req.json_body().unwrap(),
        &json(
            r#"{"endpoint_name":"m","task_callback_url":"https://example.com/hook","task_callback_api_key":"optx-callback-key"}"#
        )
    ));
    // The key travels in the body only: never in the URL or a header.
    assert!(!req.url.contains("optx-callback-key"));
    assert!(req
        .headers
        .iter()
        .all(|(_, v)| !v.contains("optx-callback-key")));
    assert_eq!(
        a.submit(&c, &submit_req(Some("m"), None, r#""text""#))
            .unwrap_err()
            .code,
        ErrorCode::Config
    );
}

// ------------------------------------------------------------------------------------ deAPI

#[test]
fn deapi_requests() {
    let p = Provider::Deapi;
    let a = adapter(p);
    for (base, root) in [
        (None, "https://api.deapi.ai"),
        (Some("http://127.0.0.1:9/deapi"), "http://127.0.0.1:9/deapi"),
    ] {
        let c = cfg(p, base);
        // Seed 002's curl, step 1.
        let mut r = submit_req(
            Some("Flux1schnell"),
            Some("txt2img"),
            r#"{"prompt": "a beautiful sunset over mountains", "width": 1024, "height": 768, "guidance": 3.5, "steps": 4, "seed": -1}"#,
        );
        r.webhook_url = Some("https://your-server.com/webhooks/deapi".into());
        let req = a.submit(&c, &r).unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, format!("{root}/api/v1/client/txt2img"));
        assert_bearer(p, &req);
        assert!(same_json(
            req.json_body().unwrap(),
            &json(
                r#"{
"prompt": "a beautiful sunset over mountains",
"model": "Flux1schnell",
"width": 1024,
"height": 768,
"guidance": 3.5,
"steps": 4,
"seed": -1,
"webhook_url": "https://your-server.com/webhooks/deapi"
}"#
            )
        ));

        let req = a.status(&c, "abc123", None);
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.url,
            format!("{root}/api/v1/client/request-status/abc123")
        );
        assert_eq!(req.json_body().cloned(), None);
        assert_bearer(p, &req);

        assert_eq!(
            a.cancel(&c, "abc123", None).unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(a.list(&c).unwrap_err().code, ErrorCode::Unsupported);
    }
}

#[test]
fn deapi_tasks_and_errors() {
    let p = Provider::Deapi;
    let a = adapter(p);
    let c = cfg(p, None);
    // Nested task paths keep their slash.
    let req = a
        .submit(
            &c,
            &submit_req(None, Some("prompt/image"), r#"{"prompt":"cat"}"#),
        )
        .unwrap();
    assert_eq!(req.url, "https://api.deapi.ai/api/v1/client/prompt/image");
    assert_eq!(req.json_body().cloned(), Some(json(r#"{"prompt":"cat"}"#)));
    // Without a webhook, no webhook_url member (nor webhook_secret).
    assert!(req.json_body().unwrap().get("webhook_url").is_none());
    assert!(req.json_body().unwrap().get("webhook_secret").is_none());
    let mut r = submit_req(None, Some("txt2img"), r#"{"prompt":"cat"}"#);
    r.webhook_url = Some("https://example.com/hook".into());
    r.webhook_secret = Some("s".repeat(32));
    let req = a.submit(&c, &r).unwrap();
    assert_eq!(
        req.json_body().unwrap().get_str("webhook_secret"),
        Some("s".repeat(32).as_str()),
        "webhookSecret → deAPI's per-job webhook_secret"
    );
    let err = a
        .submit(
            &c,
            &submit_req(Some("Flux1schnell"), None, r#"{"prompt":"cat"}"#),
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config, "missing task");
    for task in ["", "../balance", "txt2img/"] {
        assert_eq!(
            a.submit(&c, &submit_req(None, Some(task), "{}"))
                .unwrap_err()
                .code,
            ErrorCode::Config,
            "task {task:?}"
        );
    }
}

// ----------------------------------------------------------------------------------- Serika

#[test]
fn serika_requests() {
    let p = Provider::Serika;
    let a = adapter(p);
    for (base, root) in [
        (None, "https://api.serika.dev/api/openai/v1"),
        (
            Some("http://127.0.0.1:9/serika"),
            "http://127.0.0.1:9/serika",
        ),
    ] {
        let c = cfg(p, base);
        let req = a
            .submit(
                &c,
                &submit_req(
                    Some("tensorart-illustrious-xl-v2-aesthetic"),
                    None,
                    r#"{"prompt": "A futuristic city with neon lights, cyberpunk style", "width": 1024, "height": 1024}"#,
                ),
            )
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, format!("{root}/jobs/images"));
        assert_bearer(p, &req);
        // Seed 003's `data` dict, model first, exactly.
        assert_eq!(
            req.json_body().cloned(),
            Some(json(
                r#"{
    "model": "tensorart-illustrious-xl-v2-aesthetic",
    "prompt": "A futuristic city with neon lights, cyberpunk style",
    "width": 1024,
    "height": 1024
}"#
            ))
        );

        let req = a.status(&c, "job-12345abcde", None);
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.url, format!("{root}/jobs/job-12345abcde"));
        assert_eq!(req.json_body().cloned(), None);
        assert_bearer(p, &req);

        let req = a.list(&c).unwrap();
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.url, format!("{root}/jobs"));
        assert_eq!(req.json_body().cloned(), None);
        assert_bearer(p, &req);

        assert_eq!(
            a.cancel(&c, "job-1", None).unwrap_err().code,
            ErrorCode::Unsupported
        );
    }
}

#[test]
fn serika_submit_errors_and_model_override() {
    let p = Provider::Serika;
    let a = adapter(p);
    let c = cfg(p, None);
    assert_eq!(
        a.submit(&c, &submit_req(None, None, r#"{"prompt":"x"}"#))
            .unwrap_err()
            .code,
        ErrorCode::Config
    );
    // A model inside the input is accepted; `model` from the request replaces it, once.
    let req = a
        .submit(
            &c,
            &submit_req(None, None, r#"{"prompt":"x","model":"m1"}"#),
        )
        .unwrap();
    assert_eq!(req.json_body().unwrap().get_str("model"), Some("m1"));
    let req = a
        .submit(
            &c,
            &submit_req(Some("m2"), None, r#"{"prompt":"x","model":"m1"}"#),
        )
        .unwrap();
    assert_eq!(
        req.json_body().cloned(),
        Some(json(r#"{"model":"m2","prompt":"x"}"#))
    );
    let mut r = submit_req(Some("m"), None, "{}");
    r.webhook_url = Some("https://example.com/hook".into());
    assert_eq!(a.submit(&c, &r).unwrap_err().code, ErrorCode::Unsupported);
    let mut r = submit_req(Some("m"), None, "{}");
    r.webhook_secret = Some("k".into());
    assert_eq!(a.submit(&c, &r).unwrap_err().code, ErrorCode::Unsupported);
}

// ----------------------------------------------------------------------------- all providers

fn any_submit(p: Provider) -> SubmitRequest {
    match p {
        Provider::Deapi => submit_req(Some("Flux1schnell"), Some("txt2img"), r#"{"prompt":"x"}"#),
        _ => submit_req(Some("some-model"), None, r#"{"prompt":"x"}"#),
    }
}

/// Every request of every provider, default and custom base, with and without a last job.
fn all_requests(p: Provider, c: &ClientConfig) -> Vec<HttpRequest> {
    let a = adapter(p);
    let last = parse_status(
        p,
        "job_1",
        &HttpResponse::json(
            200,
            json(
                r#"{"job_id":"job_1","task_id":"job_1","id":"job_1","status":"queued","data":{"status":"pending"},
                    "links":{"status":"/status/job_1","cancel":"/cancel/job_1"}}"#,
            ),
        ),
    )
    .unwrap();
    let mut out = vec![a.submit(c, &any_submit(p)).unwrap()];
    for l in [None, Some(&last)] {
        out.push(a.status(c, "job_1", l));
        out.extend(a.cancel(c, "job_1", l).ok());
    }
    out.extend(a.list(c).ok());
    out.extend(a.estimate(c, &any_submit(p)).ok());
    out.extend(a.balance(c).ok());
    out.extend(a.models(c, None, None).ok());
    out.extend(a.models(c, Some("txt2img"), Some("2")).ok());
    out
}

#[test]
fn api_key_appears_only_in_the_auth_header() {
    for p in Provider::ALL {
        for base in [None, Some("http://127.0.0.1:9/x")] {
            let c = cfg(p, base);
            for req in all_requests(p, &c) {
                assert_key_only_in_auth(p, &req);
                assert_eq!(req.header("accept"), Some("application/json"));
            }
        }
    }
}

#[test]
fn auth_header_names_match_the_seeds() {
    // Seed 000/002/003: `Authorization: Bearer <key>`; seed 001: `x-api-key: <key>`.
    for (p, name, value) in [
        (Provider::Socaity, "authorization", format!("Bearer {KEY}")),
        (Provider::Optexity, "x-api-key", KEY.to_string()),
        (Provider::Deapi, "authorization", format!("Bearer {KEY}")),
        (Provider::Serika, "authorization", format!("Bearer {KEY}")),
    ] {
        let (n, v) = adapter(p).auth_header(KEY);
        assert!(n.eq_ignore_ascii_case(name), "{}", p.as_str());
        assert_eq!(v, value, "{}", p.as_str());
        for req in all_requests(p, &cfg(p, None)) {
            assert_eq!(
                req.header(name),
                Some(value.as_str()),
                "{} {}",
                p.as_str(),
                req.url
            );
        }
    }
}

#[test]
fn no_key_no_auth_header_and_extra_headers_kept() {
    for p in Provider::ALL {
        let c = ClientConfig::new(p, None, None, Vec::new()).unwrap();
        for req in all_requests(p, &c) {
            assert_eq!(req.header("authorization"), None, "{}", p.as_str());
            assert_eq!(req.header("x-api-key"), None, "{}", p.as_str());
        }
        let c = ClientConfig::new(
            p,
            None,
            None,
            vec![
                ("X-Trace".into(), "t-1".into()),
                ("Authorization".into(), "Bearer not-the-key".into()),
                ("x-api-key".into(), "not-the-key".into()),
            ],
        )
        .unwrap();
        for req in all_requests(p, &c) {
            assert_eq!(req.header("x-trace"), Some("t-1"), "{}", p.as_str());
        }
        // With a key, the user's headers cannot replace the auth header.
        let c = ClientConfig::new(
            p,
            Some(KEY.into()),
            None,
            vec![
                ("Authorization".into(), "Bearer not-the-key".into()),
                ("X-API-KEY".into(), "not-the-key".into()),
            ],
        )
        .unwrap();
        let (name, value) = adapter(p).auth_header(KEY);
        for req in all_requests(p, &c) {
            assert_eq!(req.header(name), Some(value.as_str()), "{}", p.as_str());
            let n = req
                .headers
                .iter()
                .filter(|(h, _)| h.eq_ignore_ascii_case(name))
                .count();
            assert_eq!(n, 1, "{}: one {name} header", p.as_str());
        }
    }
}

#[test]
fn job_ids_are_percent_encoded_in_paths() {
    let id = "a/b?c#d e";
    for (p, want) in [
        (
            Provider::Socaity,
            "https://api.socaity.ai/v1/jobs/a%2Fb%3Fc%23d%20e",
        ),
        (
            Provider::Deapi,
            "https://api.deapi.ai/api/v1/client/request-status/a%2Fb%3Fc%23d%20e",
        ),
        (
            Provider::Serika,
            "https://api.serika.dev/api/openai/v1/jobs/a%2Fb%3Fc%23d%20e",
        ),
    ] {
        assert_eq!(adapter(p).status(&cfg(p, None), id, None).url, want);
    }
    let req = adapter(Provider::Socaity)
        .cancel(&cfg(Provider::Socaity, None), "../x", None)
        .unwrap();
    assert_eq!(req.url, "https://api.socaity.ai/v1/jobs/..%2Fx");
    // Optexity sends the id in the body, verbatim.
    let req = adapter(Provider::Optexity).status(&cfg(Provider::Optexity, None), id, None);
    assert_eq!(req.json_body().unwrap().get_str("task_id"), Some(id));
}

#[test]
fn capabilities_match_the_operations() {
    for p in Provider::ALL {
        let a = adapter(p);
        let c = cfg(p, None);
        let caps = a.capabilities();
        assert_eq!(a.provider(), p);
        assert_eq!(
            caps.cancel,
            a.cancel(&c, "j", None).is_ok(),
            "{} cancel",
            p.as_str()
        );
        assert_eq!(caps.list, a.list(&c).is_ok(), "{} list", p.as_str());
        let req = any_submit(p);
        assert_eq!(
            caps.estimate,
            a.estimate(&c, &req).is_ok(),
            "{} estimate",
            p.as_str()
        );
        assert_eq!(
            caps.balance,
            a.balance(&c).is_ok(),
            "{} balance",
            p.as_str()
        );
        assert_eq!(
            caps.models,
            a.models(&c, None, None).is_ok(),
            "{} models",
            p.as_str()
        );
        for r in [
            a.cancel(&c, "j", None).err(),
            a.list(&c).err(),
            a.estimate(&c, &req).err(),
            a.balance(&c).err(),
            a.models(&c, None, None).err(),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(r.code, ErrorCode::Unsupported);
            assert_eq!(r.provider, Some(p));
            assert_eq!(r.attempts, 0, "nothing was sent");
        }
    }
    // providers.md §6 capability table.
    let cap = |p| adapter(p).capabilities();
    assert!(cap(Provider::Socaity).cancel && !cap(Provider::Socaity).list);
    assert!(!cap(Provider::Optexity).cancel && cap(Provider::Optexity).list);
    assert!(!cap(Provider::Deapi).cancel && !cap(Provider::Deapi).list);
    assert!(!cap(Provider::Serika).cancel && cap(Provider::Serika).list);
    // Webhooks: deAPI's signed ones, Optexity's task callbacks; a submit's webhookUrl is refused
    // exactly where there are none.
    for p in Provider::ALL {
        let mut r = any_submit(p);
        r.webhook_url = Some("https://example.com/hook".into());
        assert_eq!(
            cap(p).webhooks,
            adapter(p).submit(&cfg(p, None), &r).is_ok(),
            "{} webhooks",
            p.as_str()
        );
    }
    assert!(cap(Provider::Deapi).webhooks && cap(Provider::Optexity).webhooks);
    // Issue 20 items 3-5: price and balance on deAPI, models on deAPI and Serika, file inputs on
    // deAPI and Socaity.
    for p in Provider::ALL {
        let c = cap(p);
        assert_eq!(c.estimate, p == Provider::Deapi, "{} estimate", p.as_str());
        assert_eq!(c.balance, p == Provider::Deapi, "{} balance", p.as_str());
        assert_eq!(
            c.models,
            matches!(p, Provider::Deapi | Provider::Serika),
            "{} models",
            p.as_str()
        );
        assert_eq!(
            c.files,
            matches!(p, Provider::Deapi | Provider::Socaity),
            "{} files",
            p.as_str()
        );
    }
}

#[test]
fn deapi_estimate_sends_the_submit_body_at_the_price_path() {
    let p = Provider::Deapi;
    let a = adapter(p);
    let c = cfg(p, None);
    let mut r = submit_req(
        Some("Flux1schnell"),
        Some("txt2img"),
        r#"{"prompt":"a fox","width":512,"height":512,"steps":4,"seed":-1}"#,
    );
    r.webhook_url = Some("https://example.com/hook".into());
    let submit = a.submit(&c, &r).unwrap();
    let price = a.estimate(&c, &r).unwrap();
    assert_eq!(price.method, Method::Post);
    assert_eq!(
        price.url,
        "https://api.deapi.ai/api/v1/client/txt2img/price-calculation"
    );
    assert_eq!(
        price.json_body(),
        submit.json_body(),
        "the very submit body"
    );
    assert_bearer(p, &price);
    // A task path keeps its slashes; videos/replace is priced at .../price.
    r.task = Some("prompt/image".into());
    assert_eq!(
        a.estimate(&c, &r).unwrap().url,
        "https://api.deapi.ai/api/v1/client/prompt/image/price-calculation"
    );
    r.task = Some("videos/replace".into());
    assert_eq!(
        a.estimate(&cfg(p, Some("http://127.0.0.1:9/deapi")), &r)
            .unwrap()
            .url,
        "http://127.0.0.1:9/deapi/api/v1/client/videos/replace/price"
    );
    // Files: the same Laravel form as the submit's.
    let f = file_req(
        Some("RealESRGAN_x4"),
        Some("img-upscale"),
        r#"{"image":null}"#,
        vec![vec![key("image")]],
    );
    let submit = a.submit(&c, &f).unwrap();
    let price = a.estimate(&c, &f).unwrap();
    assert_eq!(
        price.url,
        "https://api.deapi.ai/api/v1/client/img-upscale/price-calculation"
    );
    assert_eq!(form_pairs(&price), form_pairs(&submit));
    assert_eq!(
        form_pairs(&price),
        vec![
            ("image".to_string(), "<file 0>".to_string()),
            ("model".to_string(), "RealESRGAN_x4".to_string())
        ]
    );
    // No task: CONFIG, as for a submit.
    let err = a
        .estimate(&c, &submit_req(Some("m"), None, "{}"))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
}

#[test]
fn deapi_balance_and_models_requests() {
    let p = Provider::Deapi;
    let a = adapter(p);
    let c = cfg(p, None);
    let b = a.balance(&c).unwrap();
    assert_eq!(b.method, Method::Get);
    assert_eq!(b.url, "https://api.deapi.ai/api/v1/client/balance");
    assert!(b.body.is_none());
    assert_bearer(p, &b);
    for (task, cursor, url) in [
        (None, None, "https://api.deapi.ai/api/v1/client/models?limit=50&page=1"),
        (None, Some("3"), "https://api.deapi.ai/api/v1/client/models?limit=50&page=3"),
        (
            Some("txt2img"),
            None,
            "https://api.deapi.ai/api/v1/client/models?limit=50&page=1&filter%5Binference_types%5D=txt2img",
        ),
        // A submit task whose inference type is spelled otherwise.
        (
            Some("videos/replace"),
            Some("2"),
            "https://api.deapi.ai/api/v1/client/models?limit=50&page=2&filter%5Binference_types%5D=video-replace",
        ),
        (
            Some("aud2video"),
            None,
            "https://api.deapi.ai/api/v1/client/models?limit=50&page=1&filter%5Binference_types%5D=audio2video",
        ),
        // Several types, and characters that need encoding.
        (
            Some("txt2img,img2img"),
            None,
            "https://api.deapi.ai/api/v1/client/models?limit=50&page=1&filter%5Binference_types%5D=txt2img%2Cimg2img",
        ),
        (
            Some("a&b=c"),
            None,
            "https://api.deapi.ai/api/v1/client/models?limit=50&page=1&filter%5Binference_types%5D=a%26b%3Dc",
        ),
    ] {
        let m = a.models(&c, task, cursor).unwrap();
        assert_eq!(m.method, Method::Get);
        assert_eq!(m.url, url, "{task:?} {cursor:?}");
        assert!(m.body.is_none());
    }
}

#[test]
fn serika_models_requests() {
    let p = Provider::Serika;
    let a = adapter(p);
    let c = cfg(p, None);
    let m = a.models(&c, None, None).unwrap();
    assert_eq!(m.method, Method::Get);
    assert_eq!(m.url, "https://api.serika.dev/api/openai/v1/models");
    assert_bearer(p, &m);
    assert_eq!(
        a.models(&c, None, Some("gpt 4o")).unwrap().url,
        "https://api.serika.dev/api/openai/v1/models?after=gpt%204o"
    );
    // Entries name no task: a task filter is refused, nothing is built.
    let err = a.models(&c, Some("txt2img"), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("without task"), "{}", err.message);
    for op in [a.estimate(&c, &any_submit(p)).err(), a.balance(&c).err()] {
        assert_eq!(op.unwrap().code, ErrorCode::Unsupported);
    }
}

#[test]
fn default_base_urls() {
    for (p, url) in [
        (Provider::Socaity, "https://api.socaity.ai"),
        (Provider::Optexity, "https://api.optexity.com"),
        (Provider::Deapi, "https://api.deapi.ai"),
        (Provider::Serika, "https://api.serika.dev/api/openai/v1"),
    ] {
        assert_eq!(adapter(p).default_base_url(), url);
        assert_eq!(cfg(p, None).base_url, url);
    }
}

#[test]
fn config_validation() {
    let p = Provider::Socaity;
    for bad in [
        "ftp://api.socaity.ai",
        "api.socaity.ai",
        "http://",
        "https://user:pw@api.socaity.ai",
        "https://api.socaity.ai/?api_key=x",
        "https://api.socaity.ai/#x",
        "http://h/a b",
    ] {
        let err = ClientConfig::new(p, Some(KEY.into()), Some(bad), Vec::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{bad}");
        assert!(!err.message.contains(KEY));
    }
    for key in ["", "a\nb", "k\r"] {
        let err = ClientConfig::new(p, Some(key.into()), None, Vec::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{key:?}");
    }
    for (name, value) in [("", "v"), ("bad name", "v"), ("X-Ok", "a\r\nInjected: 1")] {
        let err = ClientConfig::new(p, None, None, vec![(name.into(), value.into())]).unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{name:?}");
    }
}

/// A submit request with files at `paths` (their places in `input` hold `null`).
fn file_req(
    model: Option<&str>,
    task: Option<&str>,
    input: &str,
    paths: Vec<Vec<polyjob::core::PathSeg>>,
) -> SubmitRequest {
    let mut req = submit_req(model, task, input);
    req.files = paths;
    req
}

fn key(k: &str) -> polyjob::core::PathSeg {
    polyjob::core::PathSeg::Key(k.into())
}

fn form_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    use polyjob::core::PartValue;
    req.form_parts()
        .expect("a form body")
        .iter()
        .map(|p| match &p.value {
            PartValue::Text(t) => (p.name.clone(), t.clone()),
            PartValue::File(i) => (p.name.clone(), format!("<file {i}>")),
        })
        .collect()
}

#[test]
fn deapi_file_submits_are_laravel_forms() {
    let p = Provider::Deapi;
    let mut r = file_req(
        Some("Flux_2_Klein_4B_BF16"),
        Some("img2img"),
        r#"{"image":null,"prompt":"oil painting","steps":4,"seed":-1,"enhance":false,
            "loras":[{"name":"style","weight":0.7}],"negative_prompt":null}"#,
        vec![vec![key("image")]],
    );
    r.webhook_url = Some("https://example.test/hook".into());
    let req = adapter(p).submit(&cfg(p, None), &r).unwrap();
    assert_eq!(req.url, "https://api.deapi.ai/api/v1/client/img2img");
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.json_body(), None);
    let mut pairs = form_pairs(&req);
    pairs.sort();
    let mut want: Vec<(String, String)> = [
        ("image", "<file 0>"),
        ("prompt", "oil painting"),
        ("steps", "4"),
        ("seed", "-1"),
        ("enhance", "0"),
        ("loras[0][name]", "style"),
        ("loras[0][weight]", "0.7"),
        ("model", "Flux_2_Klein_4B_BF16"),
        ("webhook_url", "https://example.test/hook"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    want.sort();
    assert_eq!(pairs, want);
    assert_key_only_in_auth(p, &req);
    // A list of files: `images[]` parts, in order.
    let req = adapter(p)
        .submit(
            &cfg(p, None),
            &file_req(
                None,
                Some("img2video"),
                r#"{"first_frame_image":null,"images":[null,null]}"#,
                vec![
                    vec![key("first_frame_image")],
                    vec![key("images"), polyjob::core::PathSeg::Index(0)],
                    vec![key("images"), polyjob::core::PathSeg::Index(1)],
                ],
            ),
        )
        .unwrap();
    assert_eq!(
        form_pairs(&req),
        vec![
            ("first_frame_image".to_string(), "<file 0>".to_string()),
            ("images[]".to_string(), "<file 1>".to_string()),
            ("images[]".to_string(), "<file 2>".to_string()),
        ]
    );
    // Without files the body stays JSON.
    let req = adapter(p)
        .submit(
            &cfg(p, None),
            &submit_req(None, Some("img2img"), r#"{"image":"https://x/y.png"}"#),
        )
        .unwrap();
    assert_eq!(req.form_parts(), None);
    assert!(req.json_body().is_some());
}

#[test]
fn socaity_file_submits_are_flat_forms() {
    let p = Provider::Socaity;
    let req = adapter(p)
        .submit(
            &cfg(p, None),
            &file_req(
                Some("face2face"),
                None,
                r#"{"source_img":null,"target_img":null,"enhance":true,"opts":{"k":1}}"#,
                vec![vec![key("source_img")], vec![key("target_img")]],
            ),
        )
        .unwrap();
    assert_eq!(req.url, "https://api.socaity.ai/v1/face2face/generate");
    assert_eq!(
        form_pairs(&req),
        vec![
            ("source_img".to_string(), "<file 0>".to_string()),
            ("target_img".to_string(), "<file 1>".to_string()),
            ("enhance".to_string(), "true".to_string()),
            ("opts".to_string(), r#"{"k":1}"#.to_string()),
        ]
    );
    // A file inside an object cannot be a form field: CONFIG naming it, nothing built.
    let err = adapter(p)
        .submit(
            &cfg(p, None),
            &file_req(
                Some("m"),
                None,
                r#"{"job":{"image":null}}"#,
                vec![vec![key("job"), key("image")]],
            ),
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("input.job.image"), "{}", err.message);
}

#[test]
fn optexity_and_serika_refuse_files_naming_the_field() {
    for (p, model, hint) in [
        (Provider::Optexity, "endpoint", "public URL"),
        (
            Provider::Serika,
            "tensorart-illustrious-xl-v2-aesthetic",
            "JSON",
        ),
    ] {
        let err = adapter(p)
            .submit(
                &cfg(p, None),
                &file_req(
                    Some(model),
                    None,
                    r#"{"prompt":"x","ref":[null]}"#,
                    vec![vec![key("ref"), polyjob::core::PathSeg::Index(0)]],
                ),
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{p:?}");
        assert!(err.message.contains("input.ref[0]"), "{}", err.message);
        assert!(err.message.contains(hint), "{}", err.message);
    }
}

// ------------------------------------------------------------------------------ deAPI v2

fn cfg_v2(base: Option<&str>) -> ClientConfig {
    cfg(Provider::Deapi, base)
        .with_api_version(ApiVersion::V2)
        .expect("deAPI has v2")
}

#[test]
fn api_version_is_deapi_only() {
    assert_eq!(cfg(Provider::Deapi, None).api_version, ApiVersion::V1);
    assert_eq!(ApiVersion::from_name("v2"), Some(ApiVersion::V2));
    assert_eq!(ApiVersion::from_name("v1"), Some(ApiVersion::V1));
    for bad in ["V2", "2", "v3", ""] {
        assert_eq!(ApiVersion::from_name(bad), None, "{bad:?}");
    }
    for p in [Provider::Socaity, Provider::Optexity, Provider::Serika] {
        for v in [ApiVersion::V1, ApiVersion::V2] {
            let e = cfg(p, None).with_api_version(v).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config);
            assert!(e.message.contains("apiVersion"), "{}", e.message);
            assert!(e.message.contains(p.as_str()), "{}", e.message);
        }
    }
}

#[test]
fn deapi_v2_paths() {
    let p = Provider::Deapi;
    let a = adapter(p);
    for (base, root) in [
        (None, "https://api.deapi.ai"),
        (Some("http://127.0.0.1:9/deapi"), "http://127.0.0.1:9/deapi"),
    ] {
        let c = cfg_v2(base);
        let mut r = submit_req(
            Some("Flux1schnell"),
            Some("images/generations"),
            r#"{"prompt":"a fox","width":512,"height":512,"guidance":3.5,"steps":4,"seed":-1}"#,
        );
        r.webhook_url = Some("https://example.com/hook".into());
        let submit = a.submit(&c, &r).unwrap();
        assert_eq!(submit.method, Method::Post);
        assert_eq!(submit.url, format!("{root}/api/v2/images/generations"));
        assert_bearer(p, &submit);
        // The v1 body, unchanged: input + model + webhook_url.
        let v1 = a.submit(&cfg(p, base), &r).unwrap();
        assert_eq!(submit.json_body(), v1.json_body());
        assert_eq!(
            submit.json_body().unwrap().get_str("model"),
            Some("Flux1schnell")
        );

        let status = a.status(&c, "c08a339c-73e5", None);
        assert_eq!(status.method, Method::Get);
        assert_eq!(status.url, format!("{root}/api/v2/jobs/c08a339c-73e5"));
        assert_bearer(p, &status);
        assert_eq!(
            a.status(&c, "a/b?c", None).url,
            format!("{root}/api/v2/jobs/a%2Fb%3Fc")
        );

        let price = a.estimate(&c, &r).unwrap();
        assert_eq!(price.url, format!("{root}/api/v2/images/generations/price"));
        assert_eq!(price.json_body(), submit.json_body(), "the submit's body");
        // v2 prices every resource at {resource}/price (no v1 exception).
        r.task = Some("videos/replacements".into());
        assert_eq!(
            a.estimate(&c, &r).unwrap().url,
            format!("{root}/api/v2/videos/replacements/price")
        );

        let b = a.balance(&c).unwrap();
        assert_eq!(
            (b.method, b.url.as_str()),
            (
                Method::Get,
                format!("{root}/api/v2/account/balance").as_str()
            )
        );
        assert_bearer(p, &b);
        assert_eq!(
            a.models(&c, None, None).unwrap().url,
            format!("{root}/api/v2/models?limit=50&page=1")
        );
        assert_eq!(
            a.models(&c, Some("images/edits"), Some("2")).unwrap().url,
            format!("{root}/api/v2/models?limit=50&page=2&filter%5Binference_types%5D=img2img")
        );
        assert_eq!(
            a.cancel(&c, "x", None).unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(a.list(&c).unwrap_err().code, ErrorCode::Unsupported);
    }
}

#[test]
fn deapi_v2_resources_filter_models_by_their_inference_type() {
    let a = adapter(Provider::Deapi);
    let c = cfg_v2(None);
    for (task, filter) in [
        ("images/generations", "txt2img"),
        ("images/edits", "img2img"),
        ("images/upscales", "img-upscale"),
        ("images/background-removals", "img-rmbg"),
        ("images/ocr", "img2txt"),
        ("videos/generations", "txt2video"),
        ("videos/animations", "img2video"),
        ("videos/audio-syncs", "audio2video"),
        ("videos/replacements", "video-replace"),
        ("videos/upscales", "vid-upscale"),
        ("videos/background-removals", "vid-rmbg"),
        ("audio/speech", "txt2audio"),
        ("audio/music", "txt2music"),
        ("embeddings", "txt2embedding"),
        (
            "audio/transcriptions",
            "audio2text%2Cvideo2text%2Caudio_file2text%2Cvideo_file2text",
        ),
        ("txt2img", "txt2img"),
    ] {
        let url = a.models(&c, Some(task), None).unwrap().url;
        assert!(
            url.ends_with(&format!("&filter%5Binference_types%5D={filter}")),
            "{task}: {url}"
        );
    }
}

#[test]
fn deapi_v2_file_task_is_a_laravel_form() {
    let p = Provider::Deapi;
    let a = adapter(p);
    let c = cfg_v2(None);
    let f = file_req(
        Some("Flux_2_Klein_4B_BF16"),
        Some("images/edits"),
        r#"{"image":null,"prompt":"oil painting","steps":4,"seed":-1}"#,
        vec![vec![key("image")]],
    );
    let submit = a.submit(&c, &f).unwrap();
    assert_eq!(submit.url, "https://api.deapi.ai/api/v2/images/edits");
    assert_eq!(submit.json_body(), None);
    let v1 = a.submit(&cfg(p, None), &f).unwrap();
    assert_eq!(form_pairs(&submit), form_pairs(&v1), "the v1 form");
    assert!(form_pairs(&submit).contains(&("image".to_string(), "<file 0>".to_string())));
    let price = a.estimate(&c, &f).unwrap();
    assert_eq!(price.url, "https://api.deapi.ai/api/v2/images/edits/price");
    assert_eq!(form_pairs(&price), form_pairs(&submit));
    assert_key_only_in_auth(p, &submit);
}

#[test]
fn deapi_v2_status_reads_cost_and_failure() {
    let body = |text: &str| HttpResponse {
        status: 200,
        headers: vec![],
        body: polyjob::core::Body::Json(json(text)),
        json_text: None,
    };
    let job = parse_status(
        Provider::Deapi,
        "r1",
        &body(r#"{"data":{"status":"done","progress":100,"result_url":"https://x/r1.png","price":{"amount":0.00136,"is_estimated":false}}}"#),
    )
    .unwrap();
    let cost = job.cost.expect("cost");
    assert_eq!(
        (cost.amount, cost.currency.as_deref(), cost.estimated),
        (0.00136, Some("USD"), false)
    );
    let job = parse_status(
        Provider::Deapi,
        "r1",
        &body(r#"{"data":{"status":"error","price":{"amount":0,"is_estimated":false},"error_code":"WORKER_ERROR","error_message":"age-restricted","error_reason":"SOURCE_RESTRICTED"}}"#),
    )
    .unwrap();
    let err = job.error.expect("error");
    assert_eq!(err.code.as_deref(), Some("WORKER_ERROR"));
    assert_eq!(err.message, "age-restricted (SOURCE_RESTRICTED)");
    assert_eq!(job.cost.map(|c| c.amount), Some(0.0));
    // Negative, infinite or missing amounts are no cost.
    for price in [
        r#"{"amount":-1}"#,
        r#"{"amount":"x"}"#,
        r#"{"is_estimated":true}"#,
        "null",
        "3",
    ] {
        let text = [r#"{"data":{"status":"done","price":"#, price, "}}"].concat();
        assert_eq!(
            parse_status(Provider::Deapi, "r", &body(&text))
                .unwrap()
                .cost,
            None,
            "{price}"
        );
    }
}
