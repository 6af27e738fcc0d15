//! Fault injection over real sockets: what a raw TCP client sees for `reset_before`,
//! `reset_after` and `slow_headers` (the in-process tests cannot see a dropped connection).

use polyjob_mock::{app, AppState, Config};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(Config {
        fallback_host: addr.to_string(),
        ..Config::default()
    });
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    addr
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
enum End {
    /// The server closed it (FIN).
    Eof,
    /// The server reset it.
    Reset,
    /// Still open when we stopped waiting.
    Open,
}

struct Exchange {
    bytes: Vec<u8>,
    end: End,
    first_byte: Option<Duration>,
}

impl Exchange {
    fn head(&self) -> String {
        let at = find(&self.bytes, b"\r\n\r\n").expect("a complete head");
        String::from_utf8_lossy(&self.bytes[..at]).into_owned()
    }

    fn body(&self) -> &[u8] {
        let at = find(&self.bytes, b"\r\n\r\n").expect("a complete head");
        &self.bytes[at + 4..]
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head().lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    fn status(&self) -> u16 {
        self.head()[9..12].parse().unwrap()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

/// Sends `req` on a fresh keep-alive connection and reads until the server ends the connection,
/// or until `wait` passes, or (when `stop_when_complete`) a whole response has arrived.
async fn exchange(
    addr: SocketAddr,
    req: &str,
    wait: Duration,
    stop_when_complete: bool,
) -> Exchange {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let mut first_byte = None;
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    let end = loop {
        if stop_when_complete && complete(&bytes) {
            break End::Open;
        }
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => break End::Open,
            Ok(Ok(0)) => break End::Eof,
            Ok(Ok(n)) => {
                first_byte.get_or_insert_with(|| started.elapsed());
                bytes.extend_from_slice(&buf[..n]);
            }
            Ok(Err(e)) => {
                assert!(
                    matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                    ),
                    "{e}"
                );
                break End::Reset;
            }
        }
    };
    Exchange {
        bytes,
        end,
        first_byte,
    }
}

/// Whether `bytes` hold a head and a body as long as its Content-Length.
fn complete(bytes: &[u8]) -> bool {
    let Some(at) = find(bytes, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..at]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    bytes.len() - at - 4 >= len
}

/// A whole answer on its own connection.
async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Exchange {
    let x = exchange(
        addr,
        &request(method, path, headers, body),
        Duration::from_secs(10),
        true,
    )
    .await;
    assert!(
        complete(&x.bytes),
        "incomplete: {:?}",
        String::from_utf8_lossy(&x.bytes)
    );
    x
}

const BEARER: (&str, &str) = ("Authorization", "Bearer test-key");
const XKEY: (&str, &str) = ("x-api-key", "test-key");

/// (submit path, auth, submit body without `mock`, status request for an id).
struct Provider {
    submit: &'static str,
    auth: (&'static str, &'static str),
    body: Value,
    status: fn(&str) -> (&'static str, String, String),
}

fn providers() -> Vec<Provider> {
    vec![
        Provider {
            submit: "/socaity/v1/m/generate",
            auth: BEARER,
            body: json!({"prompt": "p"}),
            status: |id| ("GET", format!("/socaity/v1/jobs/{id}"), String::new()),
        },
        Provider {
            submit: "/optexity/api/v1/inference",
            auth: XKEY,
            body: json!({"endpoint_name": "e"}),
            status: |id| {
                (
                    "POST",
                    "/optexity/api/v1/inference/call".to_owned(),
                    json!({ "task_id": id }).to_string(),
                )
            },
        },
        Provider {
            submit: "/deapi/api/v1/client/txt2img",
            auth: BEARER,
            body: json!({"prompt": "p", "model": "m"}),
            status: |id| {
                (
                    "GET",
                    format!("/deapi/api/v1/client/request-status/{id}"),
                    String::new(),
                )
            },
        },
        Provider {
            submit: "/serika/jobs/images",
            auth: BEARER,
            body: json!({"prompt": "p", "model": "m"}),
            status: |id| ("GET", format!("/serika/jobs/{id}"), String::new()),
        },
    ]
}

impl Provider {
    fn submit_request(&self, faults: Value) -> String {
        let mut body = self.body.clone();
        body["mock"] = json!({"queue_ms": 0, "duration_ms": 60000, "faults": faults});
        request(
            "POST",
            self.submit,
            &[self.auth, ("Content-Type", "application/json")],
            &body.to_string(),
        )
    }

    fn status_request(&self, id: &str) -> String {
        let (method, path, body) = (self.status)(id);
        request(
            method,
            &path,
            &[self.auth, ("Content-Type", "application/json")],
            &body,
        )
    }
}

async fn last_job(addr: SocketAddr) -> Value {
    let x = call(addr, "GET", "/__mock/jobs", &[], "").await;
    let list: Value = serde_json::from_slice(x.body()).unwrap();
    list.as_array().unwrap().last().unwrap().clone()
}

/// Submits (no fault on the submit) and returns the new job's id.
async fn job_with(addr: SocketAddr, p: &Provider, faults: Value) -> String {
    let x = exchange(
        addr,
        &p.submit_request(faults),
        Duration::from_secs(10),
        true,
    )
    .await;
    assert!(x.status() < 300, "{}", x.head());
    last_job(addr).await["id"].as_str().unwrap().to_owned()
}

const WAIT: Duration = Duration::from_secs(5);

/// Polls `/__mock/jobs/{id}` until `pred` holds for its `faults_fired` (10 s bound a hang only).
async fn fired_until(addr: SocketAddr, id: &str, pred: impl Fn(&[Value]) -> bool) {
    let start = Instant::now();
    loop {
        let x = call(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "").await;
        let j: Value = serde_json::from_slice(x.body()).unwrap();
        if pred(
            j["faults_fired"]
                .as_array()
                .map_or(&[][..], |v| v.as_slice()),
        ) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never matched: {j}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_before_drops_the_connection_without_a_byte() {
    let addr = serve().await;
    for p in providers() {
        let id = job_with(addr, &p, json!([{"kind": "reset_before"}])).await;
        let x = exchange(addr, &p.status_request(&id), WAIT, false).await;
        assert!(
            x.bytes.is_empty(),
            "{:?}",
            String::from_utf8_lossy(&x.bytes)
        );
        assert_ne!(x.end, End::Open, "the connection must be dropped");
        // The server is fine, and the next read is normal (times: 1).
        let again = exchange(addr, &p.status_request(&id), WAIT, true).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.end, End::Open, "a normal answer keeps the connection");

        // On a submit: nothing comes back, yet the job exists.
        let x = exchange(
            addr,
            &p.submit_request(json!([{"kind": "reset_before", "on": "submit"}])),
            WAIT,
            false,
        )
        .await;
        assert!(x.bytes.is_empty());
        assert_ne!(x.end, End::Open);
        let j = last_job(addr).await;
        assert_eq!(j["rejected"], false);
        assert_eq!(j["faults_fired"][0]["kind"], "reset_before");
        let x = exchange(
            addr,
            &p.status_request(j["id"].as_str().unwrap()),
            WAIT,
            true,
        )
        .await;
        assert_eq!(x.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_after_sends_the_head_and_half_the_body() {
    let addr = serve().await;
    for p in providers() {
        let id = job_with(addr, &p, json!([{"kind": "reset_after", "after": 1}])).await;
        let normal = exchange(addr, &p.status_request(&id), WAIT, true).await;
        let x = exchange(addr, &p.status_request(&id), WAIT, false).await;
        assert_ne!(x.end, End::Open, "the connection must be dropped");
        assert_eq!(x.status(), 200);
        assert_eq!(x.header("x-mock-fault").as_deref(), Some("reset_after"));
        let full: usize = x.header("content-length").unwrap().parse().unwrap();
        assert_eq!(full, normal.body().len());
        assert_eq!(
            x.body().len(),
            full / 2,
            "{:?}",
            String::from_utf8_lossy(&x.bytes)
        );
        assert_eq!(x.body(), &normal.body()[..full / 2]);
        assert!(!complete(&x.bytes));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_delays_only_its_own_request() {
    let addr = serve().await;
    let p = &providers()[3];
    let id = job_with(addr, p, json!([{"kind": "slow_headers", "delay_ms": 2000}])).await;
    let slow_req = p.status_request(&id);
    let t0 = Instant::now();
    let slow = tokio::spawn(async move { exchange(addr, &slow_req, WAIT, true).await });
    // The slow request has reached the mock and its fault fired: it is sleeping now.
    fired_until(addr, &id, |fired| {
        fired.iter().any(|f| f["kind"] == "slow_headers")
    })
    .await;
    let mut answered = Duration::ZERO;
    for _ in 0..5 {
        let x = call(addr, "GET", "/serika/jobs", &[BEARER], "").await;
        assert_eq!(x.status(), 200);
        answered = t0.elapsed();
    }
    let x = slow.await.unwrap();
    // An answer (within WAIT), not before its delay.
    let first = x.first_byte.expect("an answer");
    assert!(first >= Duration::from_millis(2000), "{first:?}");
    // The others were not held behind it: all five were answered before its head arrived
    // (`first` counts from its connect, after `t0`, so this errs on the strict side).
    assert!(
        answered < first,
        "the other requests ended at {answered:?}, the slow head came at {first:?}"
    );
    assert_eq!(x.status(), 200);
    let b: Value = serde_json::from_slice(x.body()).unwrap();
    assert_eq!(b["id"], id);
    // Per-client rules travel the same path over the wire.
    let h = (
        "x-mock-faults",
        r#"[{"kind":"429","on":"list","retry_after":2}]"#,
    );
    let x = call(addr, "GET", "/serika/jobs", &[BEARER, h], "").await;
    assert_eq!(x.status(), 429);
    assert_eq!(x.header("retry-after").as_deref(), Some("2"));
}
