//! The wasm test suite, shared by `wasm_node.rs` (Node) and `wasm_browser.rs` (headless
//! Chromium): it drives the exported `JobClient` exactly as JS would, against the mock providers
//! server whose URL is baked in at compile time from `POLYJOB_MOCK_URL` (set by scripts/test.sh).

use js_sys::{Array, Function, Promise, Reflect, JSON};
use polyjob::js::JobClient;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub fn mock_url() -> &'static str {
    option_env!("POLYJOB_MOCK_URL")
        .expect("POLYJOB_MOCK_URL must be set when building the wasm tests (scripts/test.sh does)")
}

pub fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON")
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

pub fn get_str(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

pub fn client(provider: &str, key: &str) -> JobClient {
    let opts = json(&format!(
        r#"{{"provider":"{provider}","apiKey":"{key}","baseUrl":"{}/{provider}","pollIntervalMs":40,"maxPollIntervalMs":400}}"#,
        mock_url()
    ));
    JobClient::new(opts).unwrap_or_else(|e| panic!("client: {:?}", e))
}

pub async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

pub fn request_for(provider: &str, mock: &str) -> JsValue {
    let body = match provider {
        "socaity" => {
            format!(r#"{{"model":"flux-schnell","input":{{"prompt":"hi","mock":{mock}}}}}"#)
        }
        "optexity" => format!(
            r#"{{"model":"ep1","input":{{"input_parameters":{{"q":["a"]}},"mock":{mock}}}}}"#
        ),
        "deapi" => format!(
            r#"{{"task":"txt2img","input":{{"prompt":"p","model":"Flux1schnell","width":512,"height":512,"seed":1,"mock":{mock}}}}}"#
        ),
        "serika" => format!(
            r#"{{"model":"tensorart-illustrious-xl-v2-aesthetic","input":{{"prompt":"p","mock":{mock}}}}}"#
        ),
        other => panic!("unknown provider {other}"),
    };
    json(&body)
}

/// A JS function recording every job it is called with.
pub fn recorder() -> (Function, Rc<RefCell<Vec<JsValue>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |job: JsValue| sink.borrow_mut().push(job));
    let func: Function = f.as_ref().unchecked_ref::<Function>().clone();
    f.forget();
    (func, seen)
}

pub fn wait_opts(
    on_update: Option<&Function>,
    timeout_ms: Option<f64>,
    signal: Option<&JsValue>,
) -> JsValue {
    let o = js_sys::Object::new();
    if let Some(f) = on_update {
        Reflect::set(&o, &"onUpdate".into(), f).unwrap();
    }
    if let Some(t) = timeout_ms {
        Reflect::set(&o, &"timeoutMs".into(), &t.into()).unwrap();
    }
    if let Some(s) = signal {
        Reflect::set(&o, &"signal".into(), s).unwrap();
    }
    o.into()
}

fn rank(status: &str) -> u8 {
    match status {
        "PENDING" => 0,
        "QUEUED" => 1,
        "PROCESSING" => 2,
        "STREAMING" => 3,
        _ => 4,
    }
}

pub async fn run_to_finished(provider: &str) {
    let c = client(provider, "test-key");
    let (f, seen) = recorder();
    let job = settle(c.run(
        request_for(provider, r#"{"queue_ms":60,"duration_ms":400}"#),
        wait_opts(Some(&f), Some(20_000.0), None),
    ))
    .await
    .unwrap_or_else(|e| panic!("{provider} run failed: {:?}", get_str(&e, "message")));
    assert_eq!(get_str(&job, "status").as_deref(), Some("FINISHED"));
    assert_eq!(get_str(&job, "provider").as_deref(), Some(provider));
    assert!(!get(&job, "result").is_null(), "{provider}: result");
    assert_eq!(get(&job, "progress").as_f64(), Some(1.0));
    let seen = seen.borrow();
    assert!(
        seen.len() >= 2,
        "{provider}: onUpdate called {} times",
        seen.len()
    );
    let mut last: Option<(String, Option<f64>)> = None;
    for j in seen.iter() {
        let status = get_str(j, "status").unwrap();
        let progress = get(j, "progress").as_f64();
        if let Some(p) = progress {
            assert!((0.0..=1.0).contains(&p), "{provider}: progress {p}");
        }
        if let Some((ls, lp)) = &last {
            assert!(
                rank(&status) >= rank(ls),
                "{provider}: status went back {ls} -> {status}"
            );
            assert!(
                !(ls == &status && lp == &progress),
                "{provider}: duplicate update"
            );
        }
        last = Some((status, progress));
    }
    assert_eq!(last.unwrap().0, "FINISHED");
    if provider == "deapi" || provider == "serika" {
        let url = get_str(&job, "resultUrl").expect("resultUrl");
        assert!(
            url.starts_with(mock_url()) && url.ends_with(".png"),
            "{url}"
        );
    }
}

pub async fn failing_job(provider: &str) {
    let c = client(provider, "test-key");
    let err = settle(c.run(
        request_for(
            provider,
            r#"{"queue_ms":20,"duration_ms":100,"outcome":"failed","error":"boom"}"#,
        ),
        JsValue::UNDEFINED,
    ))
    .await
    .expect_err("a failed job rejects run()");
    assert_eq!(get_str(&err, "name").as_deref(), Some("PolyjobError"));
    assert_eq!(get_str(&err, "code").as_deref(), Some("JOB_FAILED"));
    let job = get(&err, "job");
    assert_eq!(get_str(&job, "status").as_deref(), Some("FAILED"));
    let message = get_str(&get(&job, "error"), "message").unwrap();
    assert!(message.contains("boom"), "{provider}: {message}");
}

pub async fn socaity_cancel() {
    let c = client("socaity", "test-key");
    let job = settle(c.submit(
        request_for("socaity", r#"{"queue_ms":50,"duration_ms":5000}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_str(&job, "id").unwrap();
    let cancelled = settle(c.cancel(id.clone().into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get_str(&cancelled, "status").as_deref(), Some("CANCELLED"));
    let after = settle(c.wait(id.into(), wait_opts(None, Some(5000.0), None)))
        .await
        .unwrap();
    assert_eq!(get_str(&after, "status").as_deref(), Some("CANCELLED"));
}

pub async fn lists(provider: &str) {
    let c = client(provider, "test-key");
    let job = settle(c.submit(
        request_for(provider, r#"{"duration_ms":100}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_str(&job, "id").unwrap();
    let list: Array = settle(c.list(JsValue::UNDEFINED))
        .await
        .unwrap()
        .unchecked_into();
    assert!(
        list.iter()
            .any(|j| get_str(&j, "id").as_deref() == Some(id.as_str())),
        "{provider}: submitted id in list"
    );
}

pub async fn unsupported(provider: &str, op: &str) {
    let c = client(provider, "test-key");
    let p = match op {
        "cancel" => c.cancel("x".into(), JsValue::UNDEFINED),
        _ => c.list(JsValue::UNDEFINED),
    };
    let err = settle(p).await.expect_err("unsupported");
    assert_eq!(get_str(&err, "code").as_deref(), Some("UNSUPPORTED"));
    assert_eq!(get(&err, "attempts").as_f64(), Some(0.0));
}

pub async fn http_errors(provider: &str) {
    let bad = client(provider, "wrong-key-123");
    let err = settle(bad.get("some-id".into(), JsValue::UNDEFINED))
        .await
        .expect_err("401");
    assert_eq!(get_str(&err, "code").as_deref(), Some("UNAUTHORIZED"));
    assert_eq!(get(&err, "status").as_f64(), Some(401.0));
    assert_eq!(get_str(&err, "provider").as_deref(), Some(provider));
    assert_eq!(get(&err, "retryable").as_bool(), Some(false));
    assert!(!get_str(&err, "message").unwrap().contains("wrong-key-123"));
    let good = client(provider, "test-key");
    let err = settle(good.get("does-not-exist".into(), JsValue::UNDEFINED))
        .await
        .expect_err("404");
    assert_eq!(
        get_str(&err, "code").as_deref(),
        Some("NOT_FOUND"),
        "{provider}: {:?}",
        get_str(&err, "message")
    );
}

pub async fn deapi_validation() {
    let c = client("deapi", "test-key");
    let err = settle(c.submit(
        json(r#"{"task":"txt2img","input":{"model":"Flux1schnell"}}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .expect_err("422");
    assert_eq!(get_str(&err, "code").as_deref(), Some("VALIDATION"));
    assert_eq!(get(&err, "status").as_f64(), Some(422.0));
    assert!(get_str(&err, "message").unwrap().contains("prompt"));
}

pub async fn wait_timeout_and_abort() {
    let c = client("serika", "test-key");
    let job = settle(c.submit(
        request_for("serika", r#"{"duration_ms":10000}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_str(&job, "id").unwrap();
    let err = settle(c.wait(id.clone().into(), wait_opts(None, Some(200.0), None)))
        .await
        .expect_err("timeout");
    assert_eq!(get_str(&err, "code").as_deref(), Some("TIMEOUT"));
    let controller = web_sys::AbortController::new().unwrap();
    let signal: JsValue = controller.signal().into();
    let pending = c.wait(id.into(), wait_opts(None, None, Some(&signal)));
    controller.abort();
    let err = settle(pending).await.expect_err("abort");
    assert_eq!(get_str(&err, "code").as_deref(), Some("ABORTED"));
}

pub async fn watch_iterates() {
    let c = client("deapi", "test-key");
    let job = settle(c.submit(
        request_for("deapi", r#"{"queue_ms":30,"duration_ms":300}"#),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_str(&job, "id").unwrap();
    let watch = c.watch(id.into(), JsValue::UNDEFINED).unwrap();
    let next: Function = get(&watch, "next").unchecked_into();
    let mut statuses = Vec::new();
    loop {
        let step: Promise = next.call0(&watch).unwrap().unchecked_into();
        let step = settle(step).await.unwrap();
        if get(&step, "done").as_bool() == Some(true) {
            break;
        }
        statuses.push(get_str(&get(&step, "value"), "status").unwrap());
        assert!(statuses.len() < 100);
    }
    assert_eq!(statuses.last().map(String::as_str), Some("FINISHED"));
}

pub async fn config_errors() {
    for bad in [
        r#"{"provider":"nope"}"#,
        r#"{"provider":"deapi","baseUrl":"ftp://x"}"#,
        r#"{"provider":"deapi","pollIntervalMs":-1}"#,
        r#"{"provider":"deapi","headers":{"a":1}}"#,
    ] {
        let err = JobClient::new(json(bad)).err().expect(bad);
        assert_eq!(get_str(&err, "code").as_deref(), Some("CONFIG"), "{bad}");
    }
}

/// GET a mock introspection route as JSON, through the host's global fetch.
pub async fn mock_json(path: &str) -> JsValue {
    let fetch: Function = get(&js_sys::global(), "fetch").unchecked_into();
    let url = format!("{}{path}", mock_url());
    let resp = settle(
        fetch
            .call1(&JsValue::UNDEFINED, &url.into())
            .unwrap()
            .unchecked_into(),
    )
    .await
    .unwrap();
    let json: Function = get(&resp, "json").unchecked_into();
    settle(json.call0(&resp).unwrap().unchecked_into())
        .await
        .unwrap()
}

pub async fn realtime_job() {
    if get(&js_sys::global(), "WebSocket").is_undefined() {
        panic!("this runtime has no global WebSocket (Node 20 needs --experimental-websocket)");
    }
    let ws = mock_url().replacen("http", "ws", 1);
    let opts = json(&format!(
        r#"{{"provider":"deapi","apiKey":"test-key","baseUrl":"{}/deapi","pollIntervalMs":50,"realtime":{{"clientId":"1001","wsUrl":"{ws}/deapi-ws"}}}}"#,
        mock_url()
    ));
    let c = JobClient::new(opts).unwrap_or_else(|e| panic!("client: {:?}", e));
    let (f, seen) = recorder();
    let job = settle(c.run(
        request_for("deapi", r#"{"queue_ms":50,"duration_ms":1200,"steps":8}"#),
        wait_opts(Some(&f), Some(20_000.0), None),
    ))
    .await
    .unwrap_or_else(|e| panic!("realtime run failed: {:?}", get_str(&e, "message")));
    assert_eq!(get_str(&job, "status").as_deref(), Some("FINISHED"));
    let id = get_str(&job, "id").unwrap();
    let state = mock_json(&format!("/__mock/jobs/{id}")).await;
    assert_eq!(
        get(&state, "status_requests").as_f64(),
        Some(1.0),
        "one status request"
    );
    assert!(seen.borrow().len() >= 3, "live updates over the socket");
}

pub async fn stream_chunks() {
    let c = client("socaity", "test-key");
    let job = settle(c.submit(
        request_for(
            "socaity",
            r#"{"queue_ms":0,"stream":{"chunks":["a","b","c","d"],"interval_ms":20}}"#,
        ),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_str(&job, "id").unwrap();
    let stream = c.stream(id.into(), JsValue::UNDEFINED).unwrap();
    let next: Function = get(&stream, "next").unchecked_into();
    let mut got = Vec::new();
    loop {
        let step = settle(next.call0(&stream).unwrap().unchecked_into())
            .await
            .unwrap();
        if get(&step, "done").as_bool() == Some(true) {
            break;
        }
        got.push(get(&step, "value").as_string().unwrap());
        assert!(got.len() < 100);
    }
    assert_eq!(got, ["a", "b", "c", "d"]);
}

/// Declares one `#[wasm_bindgen_test]` per scenario.
#[macro_export]
macro_rules! wasm_suite_tests {
    () => {
        use wasm_bindgen_test::wasm_bindgen_test;
        #[wasm_bindgen_test]
        async fn socaity_runs_to_finished() {
            wasm_suite::run_to_finished("socaity").await
        }
        #[wasm_bindgen_test]
        async fn optexity_runs_to_finished() {
            wasm_suite::run_to_finished("optexity").await
        }
        #[wasm_bindgen_test]
        async fn deapi_runs_to_finished() {
            wasm_suite::run_to_finished("deapi").await
        }
        #[wasm_bindgen_test]
        async fn serika_runs_to_finished() {
            wasm_suite::run_to_finished("serika").await
        }
        #[wasm_bindgen_test]
        async fn failed_jobs_reject_run() {
            for p in ["socaity", "optexity", "deapi", "serika"] {
                wasm_suite::failing_job(p).await
            }
        }
        #[wasm_bindgen_test]
        async fn socaity_cancel() {
            wasm_suite::socaity_cancel().await
        }
        #[wasm_bindgen_test]
        async fn lists_on_serika_and_optexity() {
            wasm_suite::lists("serika").await;
            wasm_suite::lists("optexity").await;
        }
        #[wasm_bindgen_test]
        async fn unsupported_sends_nothing() {
            for p in ["optexity", "deapi", "serika"] {
                wasm_suite::unsupported(p, "cancel").await
            }
            for p in ["socaity", "deapi"] {
                wasm_suite::unsupported(p, "list").await
            }
        }
        #[wasm_bindgen_test]
        async fn http_errors_map_to_codes() {
            for p in ["socaity", "optexity", "deapi", "serika"] {
                wasm_suite::http_errors(p).await
            }
            wasm_suite::deapi_validation().await;
        }
        #[wasm_bindgen_test]
        async fn wait_timeout_and_abort() {
            wasm_suite::wait_timeout_and_abort().await
        }
        #[wasm_bindgen_test]
        async fn watch_iterates_to_terminal() {
            wasm_suite::watch_iterates().await
        }
        #[wasm_bindgen_test]
        async fn deapi_realtime_completes_with_one_status_request() {
            wasm_suite::realtime_job().await
        }
        #[wasm_bindgen_test]
        async fn socaity_stream_yields_every_chunk() {
            wasm_suite::stream_chunks().await
        }
        #[wasm_bindgen_test]
        async fn bad_options_throw_config() {
            wasm_suite::config_errors().await
        }
    };
}
