//! The one error type. Every failure a user sees — bad options, HTTP errors, network failures,
//! timeouts, aborts, undecodable bodies, failed jobs — is an [`Error`] with a stable
//! [`ErrorCode`]. Messages carry the provider's own message and never the API key: nothing in
//! this module ever sees the key.

use std::any::Any;
use std::rc::Rc;

use super::http::{Body, HttpResponse, Method};
use super::job::{Job, Provider};
use super::json::Json;

/// The stable, machine-readable class of an [`Error`]; exposed to JS as `.code`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Bad client options or arguments. Nothing was sent; retrying cannot help.
    Config,
    /// 401: the key is missing or wrong.
    Unauthorized,
    /// 403: the key lacks a permission (deAPI: account suspended).
    Forbidden,
    /// 404: the job (or endpoint) does not exist.
    NotFound,
    /// 400 / 422: the provider rejected the request body.
    Validation,
    /// 429: rate limited. Retrying after the advised delay is safe.
    RateLimited,
    /// 503: cold start or no capacity. Retrying later is safe.
    Unavailable,
    /// Any other 5xx.
    Server,
    /// The request failed below HTTP (connection refused, reset, DNS). It may have been sent.
    Network,
    /// A request or a wait ran out of time.
    Timeout,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The provider has no such operation (cancel, list). Nothing was sent.
    Unsupported,
    /// The provider answered something polyjob cannot read.
    BadResponse,
    /// `run()` reached a terminal status other than FINISHED; the job is attached.
    JobFailed,
    /// 409: the job is not in a state for this operation (e.g. a stream of a job that does not
    /// stream).
    Conflict,
    /// A webhook's signature is missing or does not match the secret.
    WebhookSignature,
    /// A webhook's timestamp is outside the tolerance window (a replay, or a clock far off).
    WebhookExpired,
    /// 413: the provider refused the request as too large (an upload), or a response was
    /// larger than the client's `maxResponseBytes`.
    TooLarge,
}

impl ErrorCode {
    /// `"CONFIG"`, `"UNAUTHORIZED"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Config => "CONFIG",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Server => "SERVER",
            ErrorCode::Network => "NETWORK",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::BadResponse => "BAD_RESPONSE",
            ErrorCode::JobFailed => "JOB_FAILED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::WebhookSignature => "WEBHOOK_SIGNATURE",
            ErrorCode::WebhookExpired => "WEBHOOK_EXPIRED",
            ErrorCode::TooLarge => "TOO_LARGE",
        }
    }

    /// The code for an HTTP error status (>= 400).
    pub fn from_http_status(status: u16) -> ErrorCode {
        match status {
            400 | 422 => ErrorCode::Validation,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 | 410 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::TooLarge,
            408 => ErrorCode::Timeout,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            500..=599 => ErrorCode::Server,
            _ => ErrorCode::BadResponse,
        }
    }
}

/// A polyjob failure. See [`ErrorCode`] for what each code means and whether a retry is safe.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub code: ErrorCode,
    /// Human-readable; includes the provider's message when it sent one. Never the API key.
    pub message: String,
    /// The HTTP status, when the failure was an HTTP answer.
    pub status: Option<u16>,
    pub provider: Option<Provider>,
    /// Whether the same call may succeed if made again.
    pub retryable: bool,
    /// How many HTTP attempts were made for the failing call (0 when nothing was sent).
    pub attempts: u32,
    /// The provider's advised delay before a retry (`Retry-After`), in milliseconds.
    pub retry_after_ms: Option<f64>,
    /// The job, for `JOB_FAILED` (and when a wait ends with a known job state).
    pub job: Option<Box<Job>>,
    /// What the host reported as the cause (its network error object), opaque here; the JS
    /// surface hands it to the user as `.cause`.
    pub cause: Option<HostValue>,
}

/// A value of the host's (a JS error object), carried opaquely through the core. Two are equal
/// when they are the same value.
#[derive(Clone)]
pub struct HostValue(pub Rc<dyn Any>);

impl PartialEq for HostValue {
    fn eq(&self, other: &HostValue) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for HostValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostValue")
    }
}

impl Error {
    /// A new error with `code` and `message`; other fields empty.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            status: None,
            provider: None,
            retryable: false,
            attempts: 0,
            retry_after_ms: None,
            job: None,
            cause: None,
        }
    }

    /// A `CONFIG` error.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Config, message)
    }

    /// A `BAD_RESPONSE` error for `provider`.
    pub fn bad_response(provider: Provider, message: impl Into<String>) -> Error {
        Error::new(ErrorCode::BadResponse, message).with_provider(provider)
    }

    /// An `UNSUPPORTED` error: `provider` has no `operation`.
    pub fn unsupported(provider: Provider, operation: &str) -> Error {
        let mut msg = String::from(provider.as_str());
        msg.push_str(" has no ");
        msg.push_str(operation);
        msg.push_str(" operation");
        Error::new(ErrorCode::Unsupported, msg).with_provider(provider)
    }

    /// Sets the provider.
    pub fn with_provider(mut self, provider: Provider) -> Error {
        self.provider = Some(provider);
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    /// Names the request an HTTP answer came to: `deapi: HTTP 404: …` becomes `deapi: HTTP 404
    /// from GET https://…/request-status/x: …`, so a wrong `baseUrl` shows in the message (the key
    /// never travels in URLs). Other messages get `(METHOD url)` appended.
    pub fn with_request(mut self, method: Method, url: &str) -> Error {
        let mut at = String::from(" from ");
        at.push_str(method.as_str());
        at.push(' ');
        at.push_str(url);
        // `from_response`'s messages start `{provider}: HTTP {status}`.
        let status_end = self
            .status
            .zip(self.provider)
            .and_then(|(status, provider)| {
                let mut head = String::from(provider.as_str());
                head.push_str(": HTTP ");
                super::number::push_u64(&mut head, u64::from(status));
                self.message.starts_with(&head).then_some(head.len())
            });
        match status_end {
            Some(end) => self.message.insert_str(end, &at),
            None => {
                self.message.push_str(" (");
                self.message.push_str(&at[6..]);
                self.message.push(')');
            }
        }
        self
    }

    /// Appends `hint` (what to check) to a `NOT_FOUND` error's message.
    pub fn with_not_found_hint(mut self, hint: &str) -> Error {
        if self.code == ErrorCode::NotFound {
            self.message.push_str(" — ");
            self.message.push_str(hint);
        }
        self
    }

    /// Sets whether a retry is safe.
    pub fn with_retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    /// The error for a non-2xx HTTP answer: code from the status, message from the body
    /// (`{"error"}`, `{"error":{"message"}}`, `{"detail"}`, `{"message"}`, deAPI `{"message","errors"}`),
    /// retryable for 408/429/5xx.
    pub fn from_response(provider: Provider, response: &HttpResponse) -> Error {
        let status = response.status;
        let code = ErrorCode::from_http_status(status);
        let mut message = String::from(provider.as_str());
        message.push_str(": HTTP ");
        super::number::push_u64(&mut message, u64::from(status));
        if let Some(provider_msg) = provider_message(&response.body) {
            message.push_str(": ");
            message.push_str(&provider_msg);
        }
        Error {
            code,
            message,
            status: Some(status),
            provider: Some(provider),
            retryable: matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504),
            attempts: 1,
            retry_after_ms: None,
            job: None,
            cause: None,
        }
    }
}

/// Bodies are cut to this many characters inside messages.
const MAX_MESSAGE_CHARS: usize = 300;

/// The provider's error message from an error body, if it has one.
pub(crate) fn provider_message(body: &Body) -> Option<String> {
    let text = match body {
        Body::Empty => return None,
        Body::Json(json) => json_message(json)?,
        Body::Text(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('<') {
                // An HTML error page says nothing useful in a message.
                return None;
            }
            trimmed.to_string()
        }
    };
    Some(truncate_chars(&text, MAX_MESSAGE_CHARS))
}

fn json_message(json: &Json) -> Option<String> {
    // A bare JSON string body (APIPod's 422 for input errors).
    if let Some(s) = json.as_str() {
        return Some(s.to_string());
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = json.get_str("message") {
        parts.push(m.to_string());
    }
    match json.get_non_null("error") {
        Some(Json::String(s)) => parts.push(s.clone()),
        Some(obj @ Json::Object(_)) => {
            if let Some(m) = obj.get_str("message") {
                parts.push(m.to_string());
            }
        }
        _ => {}
    }
    if let Some(m) = json.get_str("error_message") {
        parts.push(m.to_string());
    }
    match json.get_non_null("detail") {
        Some(Json::String(s)) => parts.push(s.clone()),
        Some(Json::Array(items)) => {
            // FastAPI validation: [{"loc":["body","faces"],"msg":"Field required"}] →
            // "faces: Field required" (the field named, its section left out).
            for item in items.iter().take(3) {
                if let Some(m) = item.get_str("msg") {
                    let mut part = String::new();
                    if let Some(Json::Array(loc)) = item.get("loc") {
                        for seg in loc.iter().skip(1).filter_map(Json::to_text) {
                            if !part.is_empty() {
                                part.push('.');
                            }
                            part.push_str(&seg);
                        }
                    }
                    if !part.is_empty() {
                        part.push_str(": ");
                    }
                    part.push_str(m);
                    parts.push(part);
                }
            }
        }
        _ => {}
    }
    // deAPI / Laravel: {"errors": {"field": ["msg", ...]}} adds detail the message may lack.
    if let Some(Json::Object(fields)) = json.get_non_null("errors") {
        for (_, msgs) in fields.iter().take(3) {
            let first = match msgs {
                Json::Array(items) => items.first().and_then(Json::as_str),
                Json::String(s) => Some(s.as_str()),
                _ => None,
            };
            if let Some(m) = first {
                if !parts.iter().any(|p| p == m) {
                    parts.push(m.to_string());
                }
            }
        }
    }
    parts.dedup();
    let mut parts = parts.into_iter();
    let mut joined = parts.next()?;
    for part in parts {
        joined.push_str("; ");
        joined.push_str(&part);
    }
    Some(joined)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => {
            let mut out = s[..idx].to_string();
            out.push('…');
            out
        }
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Json)]) -> Json {
        Json::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }

    #[test]
    fn request_context_in_messages() {
        let resp = HttpResponse::json(
            404,
            Json::object([("message", Json::from("Request not found."))]),
        );
        let err = Error::from_response(Provider::Deapi, &resp)
            .with_request(Method::Get, "https://h/api/v1/client/request-status/x")
            .with_not_found_hint("check the id and baseUrl");
        assert_eq!(
            err.message,
            "deapi: HTTP 404 from GET https://h/api/v1/client/request-status/x: Request not found. — check the id and baseUrl"
        );
        let err = Error::new(ErrorCode::Timeout, "deapi: the request timed out")
            .with_provider(Provider::Deapi)
            .with_request(Method::Post, "https://h/x")
            .with_not_found_hint("ignored unless NOT_FOUND");
        assert_eq!(
            err.message,
            "deapi: the request timed out (POST https://h/x)"
        );
    }

    #[test]
    fn codes_by_status() {
        let cases = [
            (400, "VALIDATION"),
            (401, "UNAUTHORIZED"),
            (403, "FORBIDDEN"),
            (404, "NOT_FOUND"),
            (413, "TOO_LARGE"),
            (422, "VALIDATION"),
            (429, "RATE_LIMITED"),
            (500, "SERVER"),
            (502, "SERVER"),
            (503, "UNAVAILABLE"),
            (504, "SERVER"),
            (418, "BAD_RESPONSE"),
        ];
        for (status, code) in cases {
            assert_eq!(
                ErrorCode::from_http_status(status).as_str(),
                code,
                "{status}"
            );
        }
    }

    #[test]
    fn messages_from_each_shape() {
        let shapes = [
            (
                obj(&[("error", "Invalid API key".into())]),
                "Invalid API key",
            ),
            (
                obj(&[(
                    "error",
                    obj(&[("message", "Invalid API key provided.".into())]),
                )]),
                "Invalid API key provided.",
            ),
            (
                obj(&[("detail", "Job not found.".into())]),
                "Job not found.",
            ),
            (
                obj(&[(
                    "detail",
                    Json::Array(vec![obj(&[("msg", "field required".into())])]),
                )]),
                "field required",
            ),
            (
                obj(&[(
                    "detail",
                    Json::Array(vec![
                        obj(&[
                            ("loc", Json::Array(vec!["body".into(), "faces".into()])),
                            ("msg", "Field required".into()),
                        ]),
                        obj(&[
                            (
                                "loc",
                                Json::Array(vec!["body".into(), "opts".into(), Json::Number(0.0)]),
                            ),
                            ("msg", "Input should be a valid string".into()),
                        ]),
                    ]),
                )]),
                "faces: Field required; opts.0: Input should be a valid string",
            ),
            (
                obj(&[
                    ("data", Json::Null),
                    ("message", "Unauthorized user.".into()),
                    ("errors", Json::Array(vec![])),
                    ("statusCode", Json::Number(401.0)),
                ]),
                "Unauthorized user.",
            ),
            (Json::from("bad input"), "bad input"),
        ];
        for (body, want) in shapes {
            assert_eq!(provider_message(&Body::Json(body)).as_deref(), Some(want));
        }
    }

    #[test]
    fn laravel_errors_add_field_messages() {
        let body = obj(&[
            ("message", "The given data was invalid.".into()),
            (
                "errors",
                obj(&[(
                    "prompt",
                    Json::Array(vec!["The prompt field is required.".into()]),
                )]),
            ),
        ]);
        assert_eq!(
            provider_message(&Body::Json(body)).as_deref(),
            Some("The given data was invalid.; The prompt field is required.")
        );
    }

    #[test]
    fn html_pages_and_empty_bodies_have_no_message() {
        assert_eq!(
            provider_message(&Body::Text("<html>502</html>".into())),
            None
        );
        assert_eq!(provider_message(&Body::Empty), None);
        let long = "x".repeat(1000);
        let cut = provider_message(&Body::Text(long)).unwrap();
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn from_response_fills_fields() {
        let resp = HttpResponse::json(429, obj(&[("message", "Too many".into())]));
        let err = Error::from_response(Provider::Deapi, &resp);
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.status, Some(429));
        assert!(err.retryable);
        assert_eq!(err.message, "deapi: HTTP 429: Too many");
        let resp = HttpResponse::json(401, Json::Null);
        let err = Error::from_response(Provider::Serika, &resp);
        assert!(!err.retryable);
        assert_eq!(err.message, "serika: HTTP 401");
    }
}
