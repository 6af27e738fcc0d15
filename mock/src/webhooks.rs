//! Webhook delivery: deAPI's signed POSTs and Optexity's task callbacks to a loopback receiver,
//! with retries.
//!
//! Owns: deciding whether a `webhook_url` / `task_callback_url` may be used (plain `http` to
//! 127.0.0.1, `::1` or `localhost` only — anything else is refused and never connected to), the
//! deAPI event payloads (`job.processing`, `job.completed`, `job.failed`), the signature
//! (`sha256=hex(HMAC_SHA256(secret, "{timestamp}." + body))`), the headers each provider sends
//! ([`Auth`]: deAPI's `X-DeAPI-*`; Optexity's callback key in `x-api-key`, the header Optexity
//! uses for every key — its sender is not public, see `polyjob`'s `core::webhook`), and the
//! delivery loop: up to [`ATTEMPTS`] attempts per delivery, each answered within
//! [`ANSWER_TIMEOUT`] or counted as failed, with exponential backoff from
//! `--webhook-retry-base-ms` (deAPI documents its retries; Optexity does not, and the mock
//! retries its callbacks the same way). The HTTP client is a minimal HTTP/1.1 exchange over a
//! tokio `TcpStream` (`Connection: close`; only the status line is read). Every attempt is
//! recorded on the job. Must not touch: when events happen (`push` decides), the Optexity
//! callback body (`optexity`), other channels.

use crate::clock::{iso8601, unix_seconds};
use crate::jobs::WebhookAttempt;
use crate::AppState;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The account secret when `--webhook-secret` is not given.
pub const DEFAULT_SECRET: &str = "whsec_polyjob_mock_secret_0123456789";
/// Attempts per delivery (deAPI: "up to 10 retries").
pub const ATTEMPTS: u32 = 10;
/// How long a receiver has to answer an attempt (deAPI: "respond 2xx within 10 s").
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest pause between two attempts.
const MAX_BACKOFF_MS: u64 = 3_600_000;
pub const USER_AGENT: &str = "DeAPI-Webhook/1.0";
/// Shortest and longest per-job `webhook_secret` deAPI accepts.
pub const SECRET_LEN: std::ops::RangeInclusive<usize> = 32..=255;

/// Where a webhook goes: a loopback address, the `Host` header and the request target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub addrs: Vec<SocketAddr>,
    pub path: String,
}

impl Target {
    /// Parses `url`; `Err` says why it is refused (only `http://` to a loopback host is used).
    pub fn parse(url: &str) -> Result<Target, String> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "scheme {scheme} is not delivered by the mock (loopback http only)"
                ))
            }
            None => return Err("not an absolute URL".to_owned()),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err("URLs with credentials are not delivered".to_owned());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| "bad IPv6 host".to_owned())?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port: u16 = match port {
            None | Some("") => 80,
            Some(p) => p.parse().map_err(|_| format!("bad port: {p}"))?,
        };
        let ips: Vec<IpAddr> = match host.to_ascii_lowercase().as_str() {
            "127.0.0.1" => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            "::1" => vec![IpAddr::V6(Ipv6Addr::LOCALHOST)],
            "localhost" => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            other => {
                return Err(format!(
                    "host {other} is not loopback (127.0.0.1, ::1, localhost)"
                ))
            }
        };
        let tail = tail.split('#').next().unwrap_or_default();
        let path = if tail.starts_with('/') {
            tail.to_owned()
        } else {
            format!("/{tail}")
        };
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err("bad characters in the path".to_owned());
        }
        Ok(Target {
            host: authority.to_owned(),
            addrs: ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
            path,
        })
    }
}

/// `sha256=<hex(HMAC_SHA256(secret, "{timestamp}." + body))>`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hmac_hex(
            secret.as_bytes(),
            &[format!("{timestamp}.").as_bytes(), body]
        )
    )
}

/// Lowercase hex of HMAC-SHA256 over the concatenated `parts`.
pub fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The body of one delivery: `{"event","delivery_id","timestamp","data"}`.
pub fn payload(event: &str, delivery_id: &str, at_ms: u64, data: Value) -> Vec<u8> {
    let v = json!({"event": event, "delivery_id": delivery_id, "timestamp": iso8601(at_ms), "data": data});
    serde_json::to_vec(&v).unwrap_or_default()
}

/// How a delivery proves where it comes from.
#[derive(Clone, Debug)]
pub enum Auth {
    /// deAPI: `X-DeAPI-Signature` with this secret, plus `X-DeAPI-Timestamp`, `-Event`,
    /// `-Delivery-Id` and its `User-Agent`.
    Deapi { secret: String },
    /// Optexity: the task's `task_callback_api_key` in `x-api-key`, or no key header at all
    /// (a task submitted without one).
    Optexity { key: Option<String> },
}

/// The `User-Agent` of Optexity's callbacks (its sender is not public: the mock names itself).
pub const OPTEXITY_USER_AGENT: &str = "polyjob-mock (Optexity task callback)";

/// One event to deliver.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub job_id: String,
    /// deAPI's event name; for Optexity (which names none) the task's status word, recorded only.
    pub event: &'static str,
    /// deAPI's `X-DeAPI-Delivery-Id`; for Optexity a mock-made id, recorded only.
    pub delivery_id: String,
    pub body: Vec<u8>,
    pub auth: Auth,
    /// `duplicate_terminal`: deliver it a second time once the first delivery ended.
    pub twice: bool,
}

/// The request head of one attempt at `now` (deAPI signs each attempt with its own timestamp).
fn head(target: &Target, d: &Delivery, now_ms: u64) -> String {
    let mut h = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        target.path,
        target.host,
        d.body.len(),
    );
    match &d.auth {
        Auth::Deapi { secret } => {
            let ts = unix_seconds(now_ms);
            h.push_str(&format!(
                "User-Agent: {USER_AGENT}\r\nX-DeAPI-Signature: {}\r\nX-DeAPI-Timestamp: {ts}\r\n\
X-DeAPI-Event: {}\r\nX-DeAPI-Delivery-Id: {}\r\n",
                signature(secret, ts, &d.body),
                d.event,
                d.delivery_id,
            ));
        }
        Auth::Optexity { key } => {
            h.push_str(&format!("User-Agent: {OPTEXITY_USER_AGENT}\r\n"));
            if let Some(key) = key {
                h.push_str(&format!("x-api-key: {key}\r\n"));
            }
        }
    }
    h.push_str("Connection: close\r\n\r\n");
    h
}

/// Delivers `d` to `target`: attempts until a 2xx (at most [`ATTEMPTS`] per round), recording each
/// on the job; stops early when the job is gone (a reset).
pub async fn deliver(st: AppState, target: Target, d: Delivery) {
    let mut attempt = 0u32;
    for _round in 0..if d.twice { 2 } else { 1 } {
        for n in 0..ATTEMPTS {
            if st.store.find(&d.job_id).is_none() {
                return;
            }
            attempt += 1;
            let now = st.clock.now_ms();
            let status = post(&target, head(&target, &d, now).as_bytes(), &d.body).await;
            st.store.record_webhook(
                &d.job_id,
                WebhookAttempt {
                    event: d.event.to_owned(),
                    delivery_id: d.delivery_id.clone(),
                    attempt,
                    status,
                    at_ms: now,
                },
            );
            if status.is_some_and(|s| (200..300).contains(&s)) || n + 1 == ATTEMPTS {
                break;
            }
            tokio::time::sleep(backoff(st.config.webhook_retry_base_ms, n)).await;
        }
    }
}

/// The pause after the `n`th failed attempt (0-based): `base × 2^n`, capped at an hour.
pub fn backoff(base_ms: u64, n: u32) -> Duration {
    let ms = base_ms
        .saturating_mul(1u64 << n.min(40))
        .min(MAX_BACKOFF_MS);
    Duration::from_millis(ms)
}

/// One HTTP/1.1 exchange; the answer's status, or `None` (no connection, no answer in time).
async fn post(target: &Target, head: &[u8], body: &[u8]) -> Option<u16> {
    let exchange = async {
        let mut stream = None;
        for a in &target.addrs {
            if let Ok(s) = TcpStream::connect(a).await {
                stream = Some(s);
                break;
            }
        }
        let mut stream = stream?;
        stream.write_all(head).await.ok()?;
        stream.write_all(body).await.ok()?;
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 512];
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 8192 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        status_of(&buf)
    };
    tokio::time::timeout(ANSWER_TIMEOUT, exchange)
        .await
        .ok()
        .flatten()
}

/// The status code of an HTTP/1.x status line.
fn status_of(buf: &[u8]) -> Option<u16> {
    let line = buf.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut it = line.split(' ');
    it.next().filter(|v| v.starts_with("HTTP/1."))?;
    it.next()?.parse().ok().filter(|s| (100..600).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_used() {
        let t = Target::parse("http://127.0.0.1:8123/hooks/deapi?x=1#frag").unwrap();
        assert_eq!(t.host, "127.0.0.1:8123");
        assert_eq!(t.path, "/hooks/deapi?x=1");
        assert_eq!(t.addrs, vec!["127.0.0.1:8123".parse().unwrap()]);
        let t = Target::parse("HTTP://[::1]:9/").unwrap();
        assert_eq!(t.addrs, vec!["[::1]:9".parse().unwrap()]);
        let t = Target::parse("http://LocalHost").unwrap();
        assert_eq!((t.path.as_str(), t.addrs.len()), ("/", 2));
        assert_eq!(t.addrs[0].port(), 80);
        for bad in [
            "https://127.0.0.1/x",
            "http://example.com/hook",
            "http://127.0.0.2/",
            "http://user@127.0.0.1/",
            "http://127.0.0.1:99999/",
            "127.0.0.1/x",
            "http://127.0.0.1.example.com/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signs_like_deapi() {
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        assert_eq!(
            hmac_hex(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("Jefe", 1, b"x"),
            format!("sha256={}", hmac_hex(b"Jefe", &[b"1.x"]))
        );
        assert_eq!(status_of(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(status_of(b"garbage"), None);
        assert_eq!(backoff(500, 0), Duration::from_millis(500));
        assert_eq!(backoff(500, 3), Duration::from_millis(4000));
        assert_eq!(backoff(u64::MAX, 60), Duration::from_millis(MAX_BACKOFF_MS));
    }
}
