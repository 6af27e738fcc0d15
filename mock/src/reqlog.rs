//! The request log behind `GET /__mock/requests`.
//!
//! Owns: a ring of the last 20,000 requests (method, path+query, all headers, epoch ms, and the
//! parts of a multipart body, which the route that read it adds through [`LogId`]) and the
//! middleware that fills it. Requests to `/__mock/*` themselves are not logged, so a test reading the
//! log or the stats does not change them. Must not touch: responses.

use crate::upload::{self, PartInfo};
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
    /// The parts of a multipart body, as read by its route (`None` for other requests).
    pub parts: Option<Vec<PartInfo>>,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            headers.insert(k.clone(), Value::String(v.clone()));
        }
        let mut v = json!({"method": self.method, "url": self.url, "headers": headers, "at_ms": self.at_ms});
        if let Some(parts) = &self.parts {
            v["parts"] = upload::parts_json(parts);
        }
        v
    }
}

/// A request extension naming the request's log entry (routes attach what they read to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogId(pub u64);

#[derive(Debug, Default)]
struct Inner {
    /// Entries with their sequence numbers (consecutive, oldest first).
    ring: VecDeque<(u64, Entry)>,
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

    /// Logs `e`; its id, for [`RequestLog::set_parts`].
    pub fn push(&self, e: Entry) -> LogId {
        let mut s = self.lock();
        if s.ring.len() == CAPACITY {
            s.ring.pop_front();
        }
        let seq = s.total;
        s.ring.push_back((seq, e));
        s.total += 1;
        LogId(seq)
    }

    /// Records the parts of entry `id`'s multipart body (nothing if it left the ring or the log
    /// was reset since).
    pub fn set_parts(&self, id: LogId, parts: Vec<PartInfo>) {
        let mut s = self.lock();
        let Some(&(first, _)) = s.ring.front() else {
            return;
        };
        let Some(i) = id.0.checked_sub(first) else {
            return;
        };
        if let Some((seq, e)) = s.ring.get_mut(i as usize) {
            if *seq == id.0 {
                e.parts = Some(parts);
            }
        }
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().ring.iter().map(|(_, e)| e.clone()).collect()
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
pub async fn record(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
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
        let id = st.log.push(Entry {
            method: req.method().as_str().to_owned(),
            url: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| path.to_owned()),
            headers,
            at_ms: st.clock.now_ms(),
            parts: None,
        });
        req.extensions_mut().insert(id);
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
                parts: None,
            });
        }
        let e = log.entries();
        assert_eq!(e.len(), CAPACITY);
        assert_eq!(e[0].url, "/5");
        log.set_parts(LogId(3), vec![]);
        log.set_parts(LogId(7), vec![]);
        let e = log.entries();
        assert_eq!(
            (e[0].parts.as_ref(), e[2].parts.as_ref()),
            (None, Some(&vec![]))
        );
        assert_eq!(log.total(), CAPACITY as u64 + 5);
        log.reset();
        assert_eq!((log.entries().len(), log.total()), (0, 0));
    }
}
