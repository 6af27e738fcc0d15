//! In-process harness: drives the Router with `tower::ServiceExt::oneshot` (no network) on a
//! paused tokio clock anchored at 2024-01-15T10:30:00Z.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use axum::Router;
use polyjob_mock::clock::Clock;
use polyjob_mock::{app, AppState, Config};
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

/// 2024-01-15T10:30:00Z.
pub const T0_MS: u64 = 1_705_314_600_000;
pub const HOST: &str = "mock.test:8080";
pub const BASE: &str = "http://mock.test:8080";
pub const BEARER: (&str, &str) = ("authorization", "Bearer test-key");
pub const XKEY: (&str, &str) = ("x-api-key", "test-key");

pub struct Mock {
    pub state: AppState,
    app: Router,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response whose body may have failed mid-stream.
pub struct RawResp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Result<Vec<u8>, String>,
}

impl RawResp {
    pub fn bytes(&self) -> &[u8] {
        self.body
            .as_deref()
            .unwrap_or_else(|e| panic!("body failed: {e}"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(self.bytes()).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(self.bytes())
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Mock {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        let mut state = AppState::new(config);
        state.clock = Clock::anchored_at(T0_MS);
        Mock {
            app: app(state.clone()),
            state,
        }
    }

    /// Sends one request with `Host: mock.test:8080` plus `headers`.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", HOST);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if !body.is_empty() {
            b = b.header("content-type", "application/json");
        }
        self.send_request(b.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    pub async fn send_request(&self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Like `send`, but a body that fails to stream (a fault's reset) is an `Err`, not a panic.
    pub async fn send_raw(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> RawResp {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", HOST);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Body::from(body.to_owned())).unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string());
        RawResp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str, auth: (&str, &str)) -> Resp {
        self.send("GET", uri, &[auth], "").await
    }

    pub async fn post(&self, uri: &str, auth: (&str, &str), body: &Value) -> Resp {
        self.send("POST", uri, &[auth], &body.to_string()).await
    }

    /// The introspection body of a job.
    pub async fn introspect(&self, id: &str) -> Value {
        self.send("GET", &format!("/__mock/jobs/{id}"), &[], "")
            .await
            .json()
    }
}

/// Moves the paused tokio clock forward.
pub async fn advance(ms: u64) {
    tokio::time::advance(Duration::from_millis(ms)).await;
}

/// Whether `s` is a lowercase UUID v4.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && parts[2].starts_with('4')
}
