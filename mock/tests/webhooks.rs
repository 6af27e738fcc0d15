//! deAPI webhooks over real sockets: signed deliveries to a receiver on 127.0.0.1, retries,
//! `duplicate_terminal`, refused URLs, per-job secrets.

mod net;
use net::*;
use polyjob_mock::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

const SECRET: &str = "whsec_polyjob_mock_secret_0123456789";

fn fast() -> Config {
    Config {
        webhook_retry_base_ms: 20,
        ..Config::default()
    }
}

async fn submit(addr: SocketAddr, extra: Value) -> String {
    let mut body = json!({"prompt": "a red fox", "model": "Flux1schnell", "width": 512, "height": 512,
                          "steps": 4, "seed": -1});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = post_json(addr, "/deapi/api/v1/client/txt2img", &body).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["data"]["request_id"].as_str().unwrap().to_owned()
}

/// Checks the headers and the signature of a delivery independently; its body.
fn verified(r: &Received, secret: &str, event: &str) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hooks/deapi?x=1");
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("user-agent"), "DeAPI-Webhook/1.0");
    assert_eq!(r.header("x-deapi-event"), event);
    let ts = r.header("x-deapi-timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        ts.parse::<u64>().unwrap().abs_diff(now) <= 5,
        "timestamp {ts}"
    );
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(&r.body);
    assert_eq!(
        r.header("x-deapi-signature"),
        format!("sha256={}", hmac_hex(secret.as_bytes(), &signed))
    );
    let body = r.json();
    assert_eq!(body["event"], event);
    assert_eq!(body["delivery_id"], r.header("x-deapi-delivery-id"));
    let stamp = body["timestamp"].as_str().unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.contains('T'),
        "{stamp}"
    );
    body
}

#[tokio::test]
async fn signed_events_follow_the_job() {
    let (hook, mut rx) = receiver(|_, _| 200).await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/deapi?x=1", hook.port());
    let id = submit(
        addr,
        json!({"webhook_url": url, "mock": {"queue_ms": 50, "duration_ms": 200, "steps": 2}}),
    )
    .await;
    let first = recv(&mut rx, 5).await;
    let b = verified(&first, SECRET, "job.processing");
    let data = b["data"].as_object().unwrap();
    assert_eq!(data["job_request_id"], id.as_str());
    assert_eq!(data["status"], "processing");
    assert_eq!(data["previous_status"], "pending");
    assert_eq!(data["job_type"], "txt2img");
    assert!(data["started_at"].is_string());
    assert!(!data.contains_key("completed_at") && !data.contains_key("result_url"));

    let done = recv(&mut rx, 5).await;
    let b = verified(&done, SECRET, "job.completed");
    assert_ne!(b["delivery_id"], first.json()["delivery_id"]);
    let data = b["data"].as_object().unwrap();
    assert_eq!(data["status"], "done");
    assert_eq!(data["previous_status"], "processing");
    assert_eq!(data["result_url"], format!("http://{addr}/files/{id}.png"));
    assert_eq!(data["processing_time_ms"], 200);
    assert!(data["completed_at"].is_string());
    assert!(!data.contains_key("error_code") && !data.contains_key("started_at"));

    let j = introspect_until(addr, &id, |j| j["webhooks"].as_array().unwrap().len() == 2).await;
    let w = &j["webhooks"];
    assert_eq!(w[0]["event"], "job.processing");
    assert_eq!(w[1]["event"], "job.completed");
    assert_eq!(w[1]["delivery_id"], b["delivery_id"]);
    assert_eq!(
        (w[1]["attempt"].clone(), w[1]["status"].clone()),
        (json!(1), json!(200))
    );
    assert!(w[1]["at_ms"].as_u64().unwrap() >= w[0]["at_ms"].as_u64().unwrap() + 150);
    assert_eq!(j["webhook_refused"], Value::Null);
}

#[tokio::test]
async fn failures_are_retried_with_the_same_delivery_id() {
    // The failure event gets two 500s before a 200.
    let (hook, mut rx) = receiver(|r, _| {
        static FAILS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        if r.headers["x-deapi-event"] == "job.failed"
            && FAILS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2
        {
            500
        } else {
            200
        }
    })
    .await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/deapi?x=1", hook.port());
    let id = submit(
        addr,
        json!({"webhook_url": url, "mock": {"queue_ms": 0, "duration_ms": 50, "outcome": "failed",
               "error": "GPU fell over", "error_code": "GPU_DOWN"}}),
    )
    .await;
    verified(&recv(&mut rx, 5).await, SECRET, "job.processing");
    let tries: Vec<Received> = vec![
        recv(&mut rx, 5).await,
        recv(&mut rx, 5).await,
        recv(&mut rx, 5).await,
    ];
    let ids: Vec<String> = tries
        .iter()
        .map(|r| {
            verified(r, SECRET, "job.failed")["delivery_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(ids.iter().all(|d| d == &ids[0]));
    let data = tries[0].json()["data"].clone();
    assert_eq!(data["status"], "error");
    assert_eq!(data["error_code"], "GPU_DOWN");
    assert_eq!(data["error_message"], "GPU fell over");
    assert!(data.get("result_url").is_none());
    let j = introspect_until(addr, &id, |j| j["webhooks"].as_array().unwrap().len() == 4).await;
    let failed: Vec<(Value, Value)> = j["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["event"] == "job.failed")
        .map(|w| (w["attempt"].clone(), w["status"].clone()))
        .collect();
    assert_eq!(
        failed,
        vec![
            (json!(1), json!(500)),
            (json!(2), json!(500)),
            (json!(3), json!(200))
        ]
    );
    // Backoff doubles from the base (20 ms, then 40 ms).
    let at: Vec<u64> = j["webhooks"].as_array().unwrap()[1..]
        .iter()
        .map(|w| w["at_ms"].as_u64().unwrap())
        .collect();
    assert!(at[1] - at[0] >= 20 && at[2] - at[1] >= 40, "{at:?}");
}

/// Virtual time (tokio's paused clock, which the mock reads): the sockets are real, the waits are
/// not. A refused loopback connection fails at once, so no I/O is pending while the clock jumps.
#[tokio::test(start_paused = true)]
async fn connection_errors_are_retried_ten_times() {
    let (addr, _) = serve(Config {
        webhook_retry_base_ms: 1,
        ..Config::default()
    })
    .await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://localhost:{}/gone", closed.port());
    let id = submit(
        addr,
        json!({"webhook_url": url, "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    let j = introspect_until(addr, &id, |j| {
        j["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["event"] == "job.completed")
            .count()
            == 10
    })
    .await;
    for w in j["webhooks"].as_array().unwrap() {
        assert_eq!(w["status"], Value::Null);
    }
    // Two virtual hours: past any backoff (capped at an hour), so an 11th attempt would be in.
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
        .await
        .json();
    assert_eq!(
        j["webhooks"].as_array().unwrap().len(),
        20,
        "10 attempts per delivery, no more"
    );
}

#[tokio::test]
async fn duplicate_terminal_delivers_the_completion_twice() {
    let (hook, mut rx) = receiver(|_, _| 200).await;
    let (addr, _) = serve(fast()).await;
    let url = format!("http://127.0.0.1:{}/hooks/deapi?x=1", hook.port());
    let id = submit(
        addr,
        json!({"webhook_url": url, "mock": {"queue_ms": 0, "duration_ms": 50,
               "faults": [{"kind": "duplicate_terminal"}]}}),
    )
    .await;
    verified(&recv(&mut rx, 5).await, SECRET, "job.processing");
    let a = recv(&mut rx, 5).await;
    let b = recv(&mut rx, 5).await;
    verified(&a, SECRET, "job.completed");
    verified(&b, SECRET, "job.completed");
    assert_eq!(
        a.header("x-deapi-delivery-id"),
        b.header("x-deapi-delivery-id")
    );
    assert_eq!(a.body, b.body);
    let j = introspect_until(addr, &id, |j| j["webhooks"].as_array().unwrap().len() == 3).await;
    assert_eq!(j["webhooks"][2]["attempt"], 2);
    assert_eq!(j["faults_fired"][0]["kind"], "duplicate_terminal");
    assert_eq!(j["faults_fired"][0]["on"], "push");
    assert_eq!(j["faults"][0]["fired"], 1);
    let stats = http(addr, "GET", "/__mock/stats", &[], "").await.json();
    assert_eq!(stats["faults_fired"]["duplicate_terminal"], 1);
}

/// Virtual time, as above: a delivery attempted anyway would be recorded (with its 10 s answer
/// timeout run out on the paused clock) before the virtual hour below is over.
#[tokio::test(start_paused = true)]
async fn non_loopback_urls_are_refused_and_never_contacted() {
    let (addr, _) = serve(fast()).await;
    for url in [
        "https://example.com/hook",
        "http://10.255.255.1/hook",
        "https://127.0.0.1/x",
    ] {
        let id = submit(
            addr,
            json!({"webhook_url": url, "mock": {"queue_ms": 0, "duration_ms": 0}}),
        )
        .await;
        introspect_until(addr, &id, |j| j["webhook_refused"].is_string()).await;
        // The job's push task has run its course (processing and completed, both due at once).
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
            .await
            .json();
        assert!(j["webhook_refused"].is_string(), "{url}: {j}");
        assert_eq!(j["webhooks"], json!([]));
    }
    // Without a webhook URL nothing is recorded either.
    let id = submit(addr, json!({"mock": {"queue_ms": 0, "duration_ms": 0}})).await;
    let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
        .await
        .json();
    assert_eq!(
        (j["webhooks"].clone(), j["webhook_refused"].clone()),
        (json!([]), Value::Null)
    );
}

#[tokio::test]
async fn a_job_secret_overrides_the_account_secret() {
    let (hook, mut rx) = receiver(|_, _| 204).await;
    let (addr, _) = serve(Config {
        webhook_secret: "account-secret-account-secret-account".into(),
        ..fast()
    })
    .await;
    let url = format!("http://127.0.0.1:{}/hooks/deapi?x=1", hook.port());
    let mine = "per-job-secret-per-job-secret-per-job-secret";
    submit(
        addr,
        json!({"webhook_url": url, "webhook_secret": mine, "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    verified(&recv(&mut rx, 5).await, mine, "job.processing");
    verified(&recv(&mut rx, 5).await, mine, "job.completed");
    submit(
        addr,
        json!({"webhook_url": url, "mock": {"queue_ms": 0, "duration_ms": 0}}),
    )
    .await;
    verified(
        &recv(&mut rx, 5).await,
        "account-secret-account-secret-account",
        "job.processing",
    );

    for (secret, msg) in [
        (
            json!("short"),
            "The webhook secret field must be at least 32 characters.",
        ),
        (
            json!("x".repeat(256)),
            "The webhook secret field must not be greater than 255 characters.",
        ),
        (json!(42), "The webhook secret field must be a string."),
    ] {
        let body = json!({"prompt": "p", "model": "m", "webhook_secret": secret});
        let r = post_json(addr, "/deapi/api/v1/client/txt2img", &body).await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.json(),
            json!({"data": null, "message": msg, "errors": {"webhook_secret": [msg]}, "statusCode": 422})
        );
    }
}
