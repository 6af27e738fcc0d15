//! Optexity task callbacks over real sockets: one POST to a receiver on 127.0.0.1 when the task
//! ends, Optexity's callback body, the `task_callback_api_key` in `x-api-key`, retries,
//! `duplicate_terminal`, refused URLs, and no header without a key.

mod net;
use net::*;
use polyjob_mock::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

const CALLBACK_KEY: &str = "optx-callback-key-0123";

fn fast() -> Config {
    Config {
        webhook_retry_base_ms: 20,
        ..Config::default()
    }
}

fn x_api_key() -> (&'static str, &'static str) {
    ("x-api-key", KEY)
}

async fn submit(addr: SocketAddr, extra: Value) -> String {
    let mut body = json!({"endpoint_name": "extract-invoice",
                          "input_parameters": {"query": ["shoes"]}, "unique_parameter_names": ["query"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = http(
        addr,
        "POST",
        "/optexity/api/v1/inference",
        &[x_api_key()],
        &body.to_string(),
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["task_id"].as_str().unwrap().to_owned()
}

async fn polled(addr: SocketAddr, id: &str) -> Value {
    let body = json!({ "task_id": id }).to_string();
    let r = http(
        addr,
        "POST",
        "/optexity/api/v1/inference/call",
        &[x_api_key()],
        &body,
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()
}

/// The headers every callback carries; its body.
fn checked(r: &Received, key: Option<&str>) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hooks/optexity?x=1");
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(
        r.header("user-agent"),
        "polyjob-mock (Optexity task callback)"
    );
    assert_eq!(r.headers.get("x-api-key").map(String::as_str), key);
    assert!(!r.headers.contains_key("authorization"));
    assert!(!r.headers.keys().any(|k| k.starts_with("x-deapi")));
    r.json()
}

#[tokio::test]
async fn a_finished_task_calls_back_once_with_its_key_and_its_results() {
    let (hook, mut rx) = receiver(|_, _| 200).await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/optexity?x=1", hook.port());
    let id = submit(
        addr,
        json!({"task_callback_url": url, "task_callback_api_key": CALLBACK_KEY,
               "mock": {"queue_ms": 50, "duration_ms": 200, "steps": 2,
                        "result": {"invoice_total": "123.45"}}}),
    )
    .await;
    let r = recv(&mut rx, 5).await;
    let b = checked(&r, Some(CALLBACK_KEY));
    assert_eq!(b["task_id"], id.as_str());
    assert_eq!(b["status"], "success");
    assert_eq!(b["endpoint_name"], "extract-invoice");
    assert_eq!(b["recording_id"], "rec_extract-invoice");
    assert_eq!(b["output_data"], json!([{"invoice_total": "123.45"}]));
    assert_eq!(b["error"], Value::Null);
    assert_eq!(b["input_parameters"], json!({"query": ["shoes"]}));
    assert_eq!(b["unique_parameter_names"], json!(["query"]));
    // The same files a poll of the finished task shows.
    let p = polled(addr, &id).await;
    assert_eq!(p["status"], "completed");
    assert_eq!(b["downloads"], p["downloads"]);
    assert_eq!(b["final_screenshot"], p["final_screenshot"]);
    assert_eq!(
        b["downloads"][0]["url"],
        format!("http://{addr}/files/{id}.csv")
    );
    // Only the callback fields: no status-body members, no key in the body.
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "downloads",
            "endpoint_name",
            "error",
            "final_screenshot",
            "input_parameters",
            "output_data",
            "recording_id",
            "status",
            "task_id",
            "unique_parameter_names"
        ]
    );
    assert!(!String::from_utf8_lossy(&r.body).contains(CALLBACK_KEY));

    let j = introspect_until(addr, &id, |j| !j["webhooks"].as_array().unwrap().is_empty()).await;
    let w = &j["webhooks"][0];
    assert_eq!(
        (
            w["event"].clone(),
            w["attempt"].clone(),
            w["status"].clone()
        ),
        (json!("success"), json!(1), json!(200))
    );
    assert!(w["at_ms"].as_u64().unwrap() >= j["completes_at_ms"].as_u64().unwrap());
    assert_eq!(j["webhook_refused"], Value::Null);
}

#[tokio::test]
async fn a_failed_task_calls_back_with_its_error_and_is_retried_until_answered() {
    let (hook, mut rx) = receiver(|_, n| if n < 2 { 503 } else { 200 }).await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/optexity?x=1", hook.port());
    let id = submit(
        addr,
        json!({"task_callback_url": url, "task_callback_api_key": CALLBACK_KEY,
               "mock": {"queue_ms": 0, "duration_ms": 50, "outcome": "failed",
                        "error": "Element not found: #login"}}),
    )
    .await;
    let tries = [
        recv(&mut rx, 5).await,
        recv(&mut rx, 5).await,
        recv(&mut rx, 5).await,
    ];
    for r in &tries {
        assert_eq!(r.body, tries[0].body, "the same body on every attempt");
    }
    let b = checked(&tries[0], Some(CALLBACK_KEY));
    assert_eq!(b["status"], "failed");
    assert_eq!(b["error"], "Element not found: #login");
    assert_eq!(b["output_data"], Value::Null);
    assert_eq!(b["downloads"], json!([]));
    assert!(b["final_screenshot"]
        .as_str()
        .unwrap()
        .starts_with("iVBORw0KGgo"));
    let j = introspect_until(addr, &id, |j| j["webhooks"].as_array().unwrap().len() == 3).await;
    let seen: Vec<(Value, Value, Value)> = j["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["event"].clone(),
                w["attempt"].clone(),
                w["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (json!("failed"), json!(1), json!(503)),
            (json!("failed"), json!(2), json!(503)),
            (json!("failed"), json!(3), json!(200)),
        ]
    );
}

#[tokio::test]
async fn without_a_key_no_key_header_and_duplicate_terminal_calls_back_twice() {
    let (hook, mut rx) = receiver(|_, _| 204).await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/optexity?x=1", hook.port());
    let id = submit(
        addr,
        json!({"task_callback_url": url,
               "mock": {"queue_ms": 0, "duration_ms": 20, "faults": [{"kind": "duplicate_terminal"}]}}),
    )
    .await;
    let a = recv(&mut rx, 5).await;
    let b = recv(&mut rx, 5).await;
    assert_eq!(
        checked(&a, None)["output_data"],
        json!(["Completed extract-invoice"])
    );
    checked(&b, None);
    assert_eq!(a.body, b.body);
    let j = introspect_until(addr, &id, |j| j["webhooks"].as_array().unwrap().len() == 2).await;
    assert_eq!(j["faults_fired"][0]["kind"], "duplicate_terminal");
    assert_eq!(j["faults_fired"][0]["on"], "push");
}

/// Virtual time (tokio's paused clock, which the mock reads): a callback attempted anyway would
/// be recorded before the virtual hour is over.
#[tokio::test(start_paused = true)]
async fn refused_urls_and_keys_are_never_called_and_tasks_without_a_url_push_nothing() {
    let (addr, _) = serve(fast()).await;
    for (url, key) in [
        ("https://example.com/hook", CALLBACK_KEY),
        ("http://10.255.255.1/hook", CALLBACK_KEY),
        ("http://127.0.0.1:9/hook", "bad\r\nx-injected: 1"),
    ] {
        let id = submit(
            addr,
            json!({"task_callback_url": url, "task_callback_api_key": key,
                   "mock": {"queue_ms": 0, "duration_ms": 0}}),
        )
        .await;
        introspect_until(addr, &id, |j| j["webhook_refused"].is_string()).await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
            .await
            .json();
        assert_eq!(j["webhooks"], json!([]), "{url}: {j}");
    }
    let id = submit(addr, json!({"mock": {"queue_ms": 0, "duration_ms": 0}})).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
        .await
        .json();
    assert_eq!(
        (j["webhooks"].clone(), j["webhook_refused"].clone()),
        (json!([]), Value::Null)
    );
}
