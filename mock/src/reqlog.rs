//! The request log behind `GET /__mock/requests`.
//!
//! Owns: a ring of the last 20,000 requests (method, path+query, all headers, epoch ms) and the
//! middleware that fills it. Requests to `/__mock/*` themselves are not logged, so a test reading the
//! log or the stats does not change them. Must not touch: responses.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// How many requests the ring keeps.
pub const CAPACITY: usize = 20_000;

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    /// Header names (lowercase) and values; repeated headers are joined with ", ".
    pub headers: Vec<(String, String)>,
    pub at_ms: u64,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            headers.insert(k.clone(), Value::String(v.clone()));
        }
        json!({"method": self.method, "url": self.url, "headers": headers, "at_ms": self.at_ms})
    }
}

#[derive(Debug, Default)]
struct Inner {
    ring: VecDeque<Entry>,
    total: u64,
}

/// The ring of recent requests and the count since the last reset.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, e: Entry) {
        let mut s = self.lock();
        if s.ring.len() == CAPACITY {
            s.ring.pop_front();
        }
        s.ring.push_back(e);
        s.total += 1;
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().ring.iter().cloned().collect()
    }

    /// Requests logged since the last reset (including those that fell off the ring).
    pub fn total(&self) -> u64 {
        self.lock().total
    }

    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }
}

/// Middleware: logs the request, then passes it on.
pub async fn record(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/__mock" && !path.starts_with("/__mock/") {
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in req.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match headers.iter_mut().find(|(n, _)| n == name.as_str()) {
                Some((_, v)) => {
                    v.push_str(", ");
                    v.push_str(&value);
                }
                None => headers.push((name.as_str().to_owned(), value)),
            }
        }
        st.log.push(Entry {
            method: req.method().as_str().to_owned(),
            url: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| path.to_owned()),
            headers,
            at_ms: st.clock.now_ms(),
        });
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest() {
        let log = RequestLog::default();
        for i in 0..(CAPACITY as u64 + 5) {
            log.push(Entry {
                method: "GET".into(),
                url: format!("/{i}"),
                headers: vec![],
                at_ms: i,
            });
        }
        let e = log.entries();
        assert_eq!(e.len(), CAPACITY);
        assert_eq!(e[0].url, "/5");
        assert_eq!(log.total(), CAPACITY as u64 + 5);
        log.reset();
        assert_eq!((log.entries().len(), log.total()), (0, 0));
    }
}
