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
        // A failure after the request was sent may mean the server acted on it.
        let may_have_been_processed = matches!(
            error.code,
            ErrorCode::Network | ErrorCode::Timeout | ErrorCode::BadResponse
        ) || matches!(error.status, Some(500 | 502 | 504));
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

/// A per-client token bucket that caps retries as a share of traffic, so that a 429 storm
/// does not multiply the load (the Finagle/gRPC "retry budget" idea). Every first attempt
/// deposits `ratio` tokens, every retry withdraws one; the bucket starts full with `burst`
/// tokens and never holds more. Once the burst is spent, retries add at most `ratio` (e.g. 20 %)
/// to the requests sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudget {
    balance: f64,
    burst: f64,
    ratio: f64,
}

impl Default for RetryBudget {
    /// 20 % of requests, with a burst of 100 retries.
    fn default() -> Self {
        RetryBudget::new(0.2, 100.0)
    }
}

impl RetryBudget {
    /// A full bucket of `burst` tokens refilled by `ratio` per first attempt.
    pub fn new(ratio: f64, burst: f64) -> RetryBudget {
        let burst = burst.max(0.0);
        RetryBudget {
            balance: burst,
            burst,
            ratio: ratio.max(0.0),
        }
    }

    /// Records a first attempt (not a retry).
    pub fn on_first_attempt(&mut self) {
        self.balance = (self.balance + self.ratio).min(self.burst);
    }

    /// Takes one token for a retry; false when the budget is spent (do not retry).
    pub fn try_retry(&mut self) -> bool {
        if self.balance >= 1.0 {
            self.balance -= 1.0;
            true
        } else {
            false
        }
    }

    /// Tokens left.
    pub fn balance(&self) -> f64 {
        self.balance
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
            json_text: None,
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
            json_text: None,
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

    #[test]
    fn budget_caps_retries_once_the_burst_is_spent() {
        let mut b = RetryBudget::new(0.2, 20.0);
        // A storm: every request fails and wants a retry.
        let (mut requests, mut retries) = (0u32, 0u32);
        for _ in 0..10_000 {
            b.on_first_attempt();
            requests += 1;
            if b.try_retry() {
                retries += 1;
                requests += 1;
            }
        }
        // Burst (20) plus 20 % of the first attempts.
        assert!(retries <= 20 + 2000, "{retries}");
        assert!(retries >= 1990, "{retries}");
        let extra = f64::from(retries) / f64::from(requests - retries);
        assert!(extra <= 0.21, "{extra}");
    }

    #[test]
    fn budget_refills_but_never_beyond_the_burst() {
        let mut b = RetryBudget::new(0.5, 2.0);
        assert!(b.try_retry() && b.try_retry());
        assert!(!b.try_retry());
        b.on_first_attempt();
        assert!(!b.try_retry());
        b.on_first_attempt();
        assert!(b.try_retry());
        for _ in 0..100 {
            b.on_first_attempt();
        }
        assert_eq!(b.balance(), 2.0);
    }

    #[test]
    fn bad_responses_are_retried_only_when_idempotent() {
        let p = RetryPolicy::default();
        let e = Error::bad_response(Provider::Deapi, "truncated").with_retryable(true);
        assert!(p.delay_for(&e, 0, true, 0.5).is_some());
        assert_eq!(p.delay_for(&e, 0, false, 0.5), None);
    }
}
