//! Applying faults: every provider route's answer passes through [`respond`].
//!
//! Owns: asking the job's rules and the client's `x-mock-faults` rules whether a fault fires on this
//! request, recording it (on the job, in the totals), and turning the normal answer into what the
//! client sees: the providers' 429 / 5xx / 503 / 404 bodies (a small table per provider), resets
//! (a body that makes hyper drop the connection), slow headers, broken or relabelled bodies and
//! rewritten status words and progress. Must not touch: which rule fires (`faults`), job timing,
//! the normal bodies (each provider renders its own).

use crate::clock::http_date;
use crate::faults::{Applicable, Fired, Kind, Op, Rule};
use crate::http::{self, json};
use crate::jobs::Provider;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The request header carrying per-client rules.
pub const HEADER: &str = "x-mock-faults";
/// The response header naming the fault that fired (absent on resets).
pub const FAULT_HEADER: &str = "x-mock-fault";
/// How long `reset_after` waits between sending half the body and dropping the connection, so the
/// half surely leaves the server first.
const RESET_AFTER_PAUSE: Duration = Duration::from_millis(20);

/// A provider route's normal answer and what the fault rules need to know about the request.
pub struct Answer {
    pub op: Op,
    /// The job the request is about (for a submit: the job it created).
    pub job: Option<String>,
    pub response: Response,
    /// For a status read of a terminal job: the body showing it still processing (`regress`).
    pub regress: Option<Value>,
    /// A streamed answer (direct SSE): passed through untouched, no rule counts it.
    pub passthrough: bool,
}

impl Answer {
    pub fn new(op: Op, job: Option<&str>, response: Response) -> Self {
        Answer {
            op,
            job: job.map(str::to_owned),
            response,
            regress: None,
            passthrough: false,
        }
    }

    pub fn with_regress(mut self, body: Option<Value>) -> Self {
        self.regress = body;
        self
    }

    /// Marks a streamed answer that faults must not buffer or replace.
    pub fn passthrough(mut self) -> Self {
        self.passthrough = true;
        self
    }
}

/// The answer the client gets: the normal one, or the one fault that fires on this request.
pub async fn respond(
    st: &AppState,
    provider: Provider,
    headers: &HeaderMap,
    a: Answer,
) -> Response {
    let client = http::header(headers, HEADER).filter(|h| !h.is_empty());
    let job_rules = a.job.as_deref().is_some_and(|id| st.store.has_faults(id));
    if a.passthrough || (client.is_none() && !job_rules) {
        return a.response;
    }
    let (mut parts, body) = a.response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let parsed = parts
        .status
        .is_success()
        .then(|| serde_json::from_slice::<Value>(&bytes).ok())
        .flatten();
    let app = Applicable {
        body_status: parsed.as_ref().is_some_and(has_status),
        terminal_status: a.regress.is_some(),
    };
    let mut rule = a
        .job
        .as_deref()
        .and_then(|id| st.store.check_faults(id, a.op, app));
    if let Some(h) = client {
        let from_client = st.faults.check_client(h, a.op, app, rule.is_some());
        rule = rule.or(from_client);
    }
    let Some(rule) = rule else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let now = st.clock.now_ms();
    st.faults.count(rule.kind);
    if let Some(id) = &a.job {
        let fired = Fired {
            kind: rule.kind,
            op: a.op,
            at_ms: now,
        };
        let reject = a.op == Op::Submit && rule.kind.status().is_some();
        st.store.record_fault(id, fired, reject);
    }
    let mut res = match rule.kind {
        Kind::TooManyRequests
        | Kind::InternalError
        | Kind::BadGateway
        | Kind::Unavailable
        | Kind::GatewayTimeout => error(provider, &rule, now),
        Kind::PayloadTooLarge => too_large(provider),
        Kind::Gone => not_found(provider, a.job.as_deref().unwrap_or_default()),
        Kind::ResetBefore => {
            parts.headers.remove(CONTENT_LENGTH);
            return Response::from_parts(parts, Body::new(Abort::before()));
        }
        Kind::ResetAfter => {
            let len = bytes.len();
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(len.max(1)));
            let half = bytes.slice(..len / 2);
            Response::from_parts(parts, Body::new(Abort::after(half, len as u64)))
        }
        Kind::SlowHeaders => {
            tokio::time::sleep(Duration::from_millis(rule.delay_ms)).await;
            Response::from_parts(parts, Body::from(bytes))
        }
        Kind::TruncatedJson => {
            let half = bytes.slice(..bytes.len() / 2);
            with_type(StatusCode::OK, "application/json", half)
        }
        Kind::Html200 => with_type(StatusCode::OK, "text/html; charset=utf-8", HTML_PAGE),
        Kind::EmptyBody => with_type(StatusCode::OK, "application/json", Bytes::new()),
        Kind::WrongContentType => {
            parts.headers.remove(CONTENT_LENGTH);
            parts.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Response::from_parts(parts, Body::from(bytes))
        }
        Kind::UnknownStatus | Kind::ProgressOutOfRange | Kind::ProgressString => {
            let mut v = parsed.unwrap_or(Value::Null);
            rewrite(&mut v, &mut |m| rewrite_job(m, rule.kind, provider));
            parts.headers.remove(CONTENT_LENGTH);
            let bytes = serde_json::to_vec(&v).unwrap_or_default();
            Response::from_parts(parts, Body::from(bytes))
        }
        Kind::Regress => json(StatusCode::OK, &a.regress.unwrap_or(Value::Null)),
        Kind::DuplicateTerminal => Response::from_parts(parts, Body::from(bytes)),
    };
    res.headers_mut()
        .insert(FAULT_HEADER, HeaderValue::from_static(rule.kind.as_str()));
    res
}

const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n\
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";

/// nginx's answer to a body over `client_max_body_size` (deAPI's 413).
pub const NGINX_413: &str = "<html><head><title>413 Request Entity Too Large</title></head>\n\
<body>\n<center><h1>413 Request Entity Too Large</h1></center>\n<hr><center>nginx</center>\n\
</body>\n</html>\n";

/// The provider's 413 (a body too large), for the `413` fault and the real size limits.
pub fn too_large(provider: Provider) -> Response {
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    match provider {
        Provider::Socaity => json(status, &json!({"detail": "Request Entity Too Large"})),
        Provider::Optexity => json(
            status,
            &json!({"success": false, "message": "Request Entity Too Large"}),
        ),
        Provider::Deapi => with_type(status, "text/html", NGINX_413),
        Provider::Serika => json(
            status,
            &json!({"error": {"message": "Request too large", "type": "invalid_request_error",
                              "code": "request_too_large"}}),
        ),
    }
}

fn with_type(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response()
}

/// A 429 / 5xx answer in the provider's error shape, with the rule's retry headers (429 / 503).
fn error(provider: Provider, rule: &Rule, now_ms: u64) -> Response {
    let code = rule.kind.status().unwrap_or(500);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = json(status, &error_body(provider, code));
    let h = res.headers_mut();
    if matches!(code, 429 | 503) {
        if rule.retry_after_date {
            let secs = rule.retry_after.unwrap_or(0);
            let at = now_ms.saturating_add(secs.saturating_mul(1000));
            if let Ok(v) = HeaderValue::from_str(&http_date(at)) {
                h.insert(RETRY_AFTER, v);
            }
        } else if let Some(s) = rule.retry_after {
            h.insert(RETRY_AFTER, HeaderValue::from(s));
        }
        if let Some(ms) = rule.retry_after_ms {
            h.insert("retry-after-ms", HeaderValue::from(ms));
        }
    }
    if code == 429 && provider == Provider::Deapi {
        h.insert("x-ratelimit-type", HeaderValue::from_static("rpm"));
    }
    res
}

/// The providers' bodies for 429, 500, 502, 503 and 504.
pub fn error_body(provider: Provider, code: u16) -> Value {
    let msg = match (provider, code) {
        (Provider::Socaity, 429) => "Rate limit exceeded. Please slow down.",
        (Provider::Socaity, 503) => "Service is starting (cold start). Please retry in 30 seconds.",
        (Provider::Socaity, 502) => "Bad Gateway",
        (Provider::Socaity, 504) => "Gateway Timeout",
        (Provider::Socaity, _) => "Internal server error. Please try again later.",
        (Provider::Optexity, 429) => "Too many requests",
        (Provider::Optexity, 503) => "No worker available, please retry later",
        (Provider::Optexity, 502) => "Bad gateway",
        (Provider::Optexity, 504) => "Gateway timeout",
        (Provider::Optexity, _) => "Internal server error",
        (Provider::Deapi, 429) => "Too Many Attempts.",
        (Provider::Deapi, 503) => "Service Unavailable",
        (Provider::Deapi, 502) => "Bad Gateway",
        (Provider::Deapi, 504) => "Gateway Timeout",
        (Provider::Deapi, _) => "Server Error",
        (Provider::Serika, 429) => "Rate limit reached for requests. Please try again later.",
        (Provider::Serika, 503) => "The server is overloaded or not ready yet.",
        (Provider::Serika, 502) => "Bad gateway.",
        (Provider::Serika, 504) => "Gateway timeout.",
        (Provider::Serika, _) => "The server had an error while processing your request.",
    };
    match provider {
        Provider::Socaity => json!({ "detail": msg }),
        Provider::Optexity => json!({"success": false, "message": msg}),
        Provider::Deapi => {
            json!({"data": null, "message": msg, "errors": [], "statusCode": code})
        }
        Provider::Serika => {
            let (kind, err_code) = match code {
                429 => ("rate_limit_error", "rate_limit_exceeded"),
                503 => ("server_error", "service_unavailable"),
                502 => ("server_error", "bad_gateway"),
                504 => ("server_error", "gateway_timeout"),
                _ => ("server_error", "internal_error"),
            };
            json!({"error": {"message": msg, "type": kind, "code": err_code}})
        }
    }
}

/// The provider's "no such job" answer (`gone`), exactly as its routes send it for an unknown id.
pub fn not_found(provider: Provider, id: &str) -> Response {
    let body = match provider {
        Provider::Socaity => json!({"detail": "Job not found."}),
        Provider::Optexity => json!({ "error": format!("Task not found with ID: {id}") }),
        Provider::Deapi => {
            json!({"data": null, "message": "Request not found.", "errors": [], "statusCode": 404})
        }
        Provider::Serika => {
            json!({"error": {"message": "Job not found", "type": "invalid_request_error", "code": "not_found"}})
        }
    };
    json(StatusCode::NOT_FOUND, &body)
}

/// Whether a JSON body has a string `status` member anywhere (a job body or a list of them).
fn has_status(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.get("status").is_some_and(Value::is_string) || m.values().any(has_status)
        }
        Value::Array(items) => items.iter().any(has_status),
        _ => false,
    }
}

/// Calls `f` on every object with a string `status` member.
fn rewrite(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            if m.get("status").is_some_and(Value::is_string) {
                f(m);
            }
            for child in m.values_mut() {
                rewrite(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rewrite(c, f)),
        _ => {}
    }
}

/// Rewrites one job object for `unknown_status`, `progress_out_of_range` or `progress_string`.
fn rewrite_job(m: &mut Map<String, Value>, kind: Kind, provider: Provider) {
    match kind {
        Kind::UnknownStatus => {
            m.insert("status".into(), json!("mystery_state"));
        }
        Kind::ProgressOutOfRange => {
            let v = match provider {
                Provider::Socaity => json!(2.5),
                Provider::Optexity => json!(250),
                Provider::Deapi | Provider::Serika => json!(250.0),
            };
            m.insert("progress".into(), v);
        }
        Kind::ProgressString => {
            let text = match m.get("progress") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => format!("{:.2}", n.as_f64().unwrap_or(0.0)),
                _ => "0.00".to_owned(),
            };
            m.insert("progress".into(), json!(text));
        }
        _ => {}
    }
}

/// A response body that makes hyper drop the connection: at once (`reset_before`: the status line
/// and headers are still in hyper's buffer, so no byte leaves), or after sending a first part
/// (`reset_after`: the part is flushed during a short pause, then the error comes).
#[derive(Debug)]
pub struct Abort {
    first: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    len: u64,
}

impl Abort {
    pub fn before() -> Self {
        Abort {
            first: None,
            pause: None,
            len: 1,
        }
    }

    /// Sends `first`, then drops the connection; `len` is the length announced in the headers.
    pub fn after(first: Bytes, len: u64) -> Self {
        Abort {
            first: Some(first),
            pause: Some(Box::pin(tokio::time::sleep(RESET_AFTER_PAUSE))),
            len: len.max(1),
        }
    }
}

impl http_body::Body for Abort {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(first) = self.first.take().filter(|b| !b.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "polyjob-mock: fault injection drops the connection",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_every_job_object() {
        let mut v = json!({"success": true, "requests": [{"status": "running", "progress": 40}, {"status": "queued"}]});
        assert!(has_status(&v));
        rewrite(&mut v, &mut |m| {
            rewrite_job(m, Kind::ProgressString, Provider::Optexity)
        });
        assert_eq!(v["requests"][0]["progress"], "40.00");
        assert_eq!(v["requests"][1]["progress"], "0.00");
        rewrite(&mut v, &mut |m| {
            rewrite_job(m, Kind::UnknownStatus, Provider::Optexity)
        });
        assert_eq!(v["requests"][1]["status"], "mystery_state");
        assert!(!has_status(&json!({"data": {"request_id": "x"}})));
        assert!(!has_status(&json!({"status": 3})));
    }
}
