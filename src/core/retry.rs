//! When to retry a failed HTTP call, and after how long. Pure: the caller passes the time and a
//! random number, and sleeps on the answer.
//!
//! Rules: retry only errors marked retryable (network failures, timeouts, 408/425/429/5xx);
//! never retry a call that is not idempotent once it may have reached the server (network
//! failure or timeout after sending a submit); honour `retry-after-ms` / `Retry-After` (seconds
//! or HTTP date), capped; else exponential backoff with full jitter. Socaity documents "503 →
//! cold start, retry in 30 s", which applies when the server gives no `Retry-After`.

use super::error::{Error, ErrorCode};
use super::http::HttpResponse;
use super::job::Provider;
use super::time::http_date_to_unix_ms;

/// Socaity's documented advice for a 503 (cold start).
pub const SOCAITY_COLD_START_MS: f64 = 30_000.0;

/// Retry limits for one call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff ceiling; doubles per retry.
    pub base_delay_ms: f64,
    /// No delay (advised or computed) exceeds this.
    pub max_delay_ms: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay_ms: 500.0,
            max_delay_ms: 60_000.0,
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retrying after `error`, or `None` to give up.
    ///
    /// `retries_done` counts retries already made for this call; `idempotent` is false for a
    /// submit without an idempotency key; `rand01` is uniform in `[0, 1)`.
    pub fn delay_for(
        &self,
        error: &Error,
        retries_done: u32,
        idempotent: bool,
        rand01: f64,
    ) -> Option<f64> {
        if retries_done >= self.max_retries || !error.retryable {
            return None;
        }
        let may_have_been_processed = matches!(error.code, ErrorCode::Network | ErrorCode::Timeout)
            || matches!(error.status, Some(500 | 502 | 504));
        if !idempotent && may_have_been_processed {
            return None;
        }
        if let Some(advised) = error.retry_after_ms {
            return Some(advised.clamp(0.0, self.max_delay_ms));
        }
        if error.provider == Some(Provider::Socaity) && error.status == Some(503) {
            return Some(SOCAITY_COLD_START_MS.min(self.max_delay_ms));
        }
        let exp = self.base_delay_ms * 2f64.powi(retries_done.min(30) as i32);
        let ceiling = exp.min(self.max_delay_ms);
        Some(ceiling * rand01.clamp(0.0, 1.0))
    }
}

/// The server's advised delay from `retry-after-ms` (milliseconds) or `Retry-After` (seconds or
/// an HTTP date, measured from `now_ms`). Negative or unreadable values give `None`.
pub fn advised_delay_ms(response: &HttpResponse, now_ms: f64) -> Option<f64> {
    if let Some(ms) = response
        .header("retry-after-ms")
        .and_then(super::number::parse_decimal)
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(ms);
    }
    let value = response.header("retry-after")?.trim();
    if let Some(secs) = super::number::parse_decimal(value) {
        return (secs.is_finite() && secs >= 0.0).then_some(secs * 1000.0);
    }
    let at = http_date_to_unix_ms(value)?;
    Some((at - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_error(provider: Provider, status: u16, headers: &[(&str, &str)]) -> Error {
        let resp = HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: crate::core::Body::Empty,
        };
        let mut err = Error::from_response(provider, &resp);
        err.retry_after_ms = advised_delay_ms(&resp, 1_000_000.0);
        err
    }

    #[test]
    fn honours_retry_after_seconds_and_ms() {
        let p = RetryPolicy::default();
        let e = http_error(Provider::Deapi, 429, &[("Retry-After", "7")]);
        assert_eq!(p.delay_for(&e, 0, true, 0.5), Some(7000.0));
        let e = http_error(Provider::Deapi, 429, &[("retry-after-ms", "250")]);
        assert_eq!(p.delay_for(&e, 0, true, 0.5), Some(250.0));
        let e = http_error(Provider::Deapi, 429, &[("Retry-After", "100000")]);
        assert_eq!(p.delay_for(&e, 0, true, 0.5), Some(60_000.0));
    }

    #[test]
    fn retry_after_http_date() {
        let resp = HttpResponse {
            status: 429,
            headers: vec![("retry-after".into(), "Sun, 06 Nov 1994 08:49:37 GMT".into())],
            body: crate::core::Body::Empty,
        };
        assert_eq!(advised_delay_ms(&resp, 784_111_770_000.0), Some(7000.0));
        assert_eq!(advised_delay_ms(&resp, 784_111_790_000.0), Some(0.0));
    }

    #[test]
    fn exponential_full_jitter() {
        let p = RetryPolicy::default();
        let e = http_error(Provider::Serika, 502, &[]);
        assert_eq!(p.delay_for(&e, 0, true, 1.0), Some(500.0));
        assert_eq!(p.delay_for(&e, 1, true, 1.0), Some(1000.0));
        assert_eq!(p.delay_for(&e, 2, true, 0.5), Some(1000.0));
        assert_eq!(p.delay_for(&e, 3, true, 0.5), None, "max_retries reached");
        assert_eq!(p.delay_for(&e, 0, true, 0.0), Some(0.0));
    }

    #[test]
    fn socaity_cold_start() {
        let p = RetryPolicy::default();
        let e = http_error(Provider::Socaity, 503, &[]);
        assert_eq!(p.delay_for(&e, 0, true, 0.3), Some(30_000.0));
        let e = http_error(Provider::Socaity, 503, &[("Retry-After", "2")]);
        assert_eq!(p.delay_for(&e, 0, true, 0.3), Some(2000.0));
    }

    #[test]
    fn never_blindly_retries_a_submit_that_may_have_landed() {
        let p = RetryPolicy::default();
        let net = Error::new(ErrorCode::Network, "reset").with_retryable(true);
        assert_eq!(p.delay_for(&net, 0, false, 0.5), None);
        assert!(p.delay_for(&net, 0, true, 0.5).is_some());
        // A 429 was refused by the server: safe to retry even a submit.
        let e = http_error(Provider::Deapi, 429, &[]);
        assert!(p.delay_for(&e, 0, false, 0.5).is_some());
        let e = http_error(Provider::Deapi, 500, &[]);
        assert_eq!(p.delay_for(&e, 0, false, 0.5), None);
    }

    #[test]
    fn client_errors_are_final() {
        let p = RetryPolicy::default();
        for status in [400, 401, 403, 404, 422] {
            let e = http_error(Provider::Deapi, status, &[]);
            assert_eq!(p.delay_for(&e, 0, true, 0.5), None, "{status}");
        }
    }
}
