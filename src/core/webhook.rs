//! Webhook authenticity: deAPI's HMAC-SHA256 signatures with a replay window, Optexity's
//! callback key, and a bounded de-duplicator for redelivered events.
//!
//! It owns the checks on what arrives (headers, the raw body bytes, the caller's clock value)
//! and the signing used by tests (the mock signs with its own copy: it is a separate crate). It
//! does not parse the payload (that is `providers::deapi::parse_webhook` /
//! `providers::optexity_callback`, to be called only after [`verify_deapi`] /
//! [`verify_optexity`] succeeds), does not read a clock, and never puts a secret, a key or a
//! signature into an error message.
//!
//! Optexity signs nothing (providers.md §2): its callback carries a key, checked by
//! [`verify_optexity`]. Which header: the sender runs on Optexity's servers and is not in the
//! open repository (Optexity/optexity@dcdaf7c); what it shows is a per-task
//! `task_callback_api_key` (`schema/inference.py`), a dashboard callback of `api_key` *or*
//! `username` + `password` (`schema/task.py` `CallbackUrl`, the two refused together), and
//! `x-api-key` as the header of every key Optexity sends or takes (inference, stream, its own
//! server calls in `inference/core/logging.py`). So the key is read from `x-api-key`, and the
//! username/password form as `Authorization: Basic base64(username:password)`, where the
//! **password** is the key: Optexity treats the password as the secret (it redacts `api_key` and
//! `password` from its logs, never `username`), so the username is not checked. The key is
//! compared through SHA-256 digests of both sides with `subtle`, so neither its content nor its
//! length shows in the timing. There is no timestamp to bound a replay: a captured callback
//! verifies again (the job's terminal state only repeats itself).
//!
//! Order of checks in [`verify_deapi`]: the signature first, the timestamp window second. An
//! unauthenticated sender therefore learns only "signature invalid", never whether its
//! timestamp would have been inside the window; the window only has to stop replays of
//! authentic deliveries, whose timestamp the signature already covers.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::job::Provider;
use super::{Error, ErrorCode};

/// deAPI's documented replay window, in seconds.
pub const DEAPI_TOLERANCE_SEC: f64 = 300.0;

const SIGNATURE_HEADER: &str = "x-deapi-signature";
const TIMESTAMP_HEADER: &str = "x-deapi-timestamp";

/// Verifies a deAPI webhook delivery.
///
/// `headers` are `(name, value)` pairs, names matched case-insensitively (the first match
/// counts); `body` must be the raw bytes as received, before any JSON parsing. `now_ms` is the
/// caller's clock (unix milliseconds); `tolerance_sec` the allowed distance between it and
/// `X-DeAPI-Timestamp` in either direction ([`DEAPI_TOLERANCE_SEC`] is deAPI's 300 s). A
/// NaN `now_ms` or tolerance fails closed (expired); an infinite tolerance disables the window.
///
/// Errors: `WEBHOOK_SIGNATURE` when `X-DeAPI-Signature` is missing, is not `sha256=` + 64 hex
/// digits, or does not equal `hex(HMAC_SHA256(secret, "{X-DeAPI-Timestamp}." + body))`
/// (compared in constant time), and when `X-DeAPI-Timestamp` is missing or not integer unix
/// seconds; `WEBHOOK_EXPIRED` when the signature is valid but the timestamp is outside the
/// window. Neither is retryable.
pub fn verify_deapi(
    secret: &[u8],
    headers: &[(String, String)],
    body: &[u8],
    now_ms: f64,
    tolerance_sec: f64,
) -> Result<(), Error> {
    let signature = header(headers, SIGNATURE_HEADER)
        .ok_or_else(|| signature_error("missing X-DeAPI-Signature header"))?;
    let given = signature
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("sha256="))
        .and_then(|_| decode_hex32(&signature[7..]))
        .ok_or_else(|| signature_error("X-DeAPI-Signature is not sha256=<64 hex digits>"))?;
    let timestamp = header(headers, TIMESTAMP_HEADER)
        .ok_or_else(|| signature_error("missing X-DeAPI-Timestamp header"))?;
    let seconds = parse_unix_seconds(timestamp)
        .ok_or_else(|| signature_error("X-DeAPI-Timestamp is not integer unix seconds"))?;
    let expected = mac(secret, timestamp, body);
    if !bool::from(expected.as_slice().ct_eq(&given)) {
        return Err(signature_error("signature does not match"));
    }
    let distance_ms = (now_ms - seconds * 1000.0).abs();
    // NaN anywhere fails closed: a NaN comparison is not `Less`/`Equal`.
    let inside = matches!(
        distance_ms.partial_cmp(&(tolerance_sec * 1000.0)),
        Some(core::cmp::Ordering::Less | core::cmp::Ordering::Equal)
    );
    if !inside {
        // Says by how much, and the usual cause of a huge skew: milliseconds sent as seconds.
        let mut m = String::from("deapi webhook: X-DeAPI-Timestamp is ");
        let skew_sec = (now_ms / 1000.0 - seconds).trunc();
        if skew_sec.is_finite() {
            super::number::push_u64(&mut m, skew_sec.abs() as u64);
            m.push_str(if skew_sec >= 0.0 {
                " s in the past"
            } else {
                " s in the future"
            });
        } else {
            m.push_str("unreadable");
        }
        m.push_str(", outside the tolerance of ");
        super::number::push_u64(&mut m, tolerance_sec.max(0.0) as u64);
        m.push_str(" s (a replay, or a clock that is off)");
        if seconds > 1e11 {
            m.push_str("; it looks like milliseconds: the header holds unix seconds");
        }
        return Err(Error::new(ErrorCode::WebhookExpired, m).with_provider(Provider::Deapi));
    }
    Ok(())
}

/// The `X-DeAPI-Signature` value deAPI would send: `"sha256=" + hex(HMAC_SHA256(secret,
/// "{timestamp}." + body))`, lowercase hex.
pub fn sign_deapi(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    super::encoding::push_hex(&mut out, &digest);
    out
}

/// The header Optexity's callback carries its key in (see the module header).
pub const OPTEXITY_KEY_HEADER: &str = "x-api-key";

/// Verifies an Optexity task callback: `x-api-key` equal to `key` (the `task_callback_api_key`
/// sent at submit, or the dashboard callback's API key), or, without `x-api-key`,
/// `Authorization: Basic base64(username:password)` whose password equals `key` (the
/// dashboard's username/password callback; any username). Compared in constant time. `headers`
/// as for [`verify_deapi`].
///
/// Errors (`WEBHOOK_SIGNATURE`, not retryable, the message saying which): neither header;
/// `x-api-key` not equal to the key; `Authorization` not `Basic`, its credentials not base64
/// of `username:password`, or the password not equal to the key.
pub fn verify_optexity(key: &[u8], headers: &[(String, String)]) -> Result<(), Error> {
    let fail = |message: &str| {
        let mut msg = String::from("optexity callback: ");
        msg.push_str(message);
        Err(Error::new(ErrorCode::WebhookSignature, msg).with_provider(Provider::Optexity))
    };
    if let Some(given) = header(headers, OPTEXITY_KEY_HEADER) {
        if !same_key(given.as_bytes(), key) {
            return fail("x-api-key does not match the callback key");
        }
        return Ok(());
    }
    let Some(auth) = header(headers, "authorization") else {
        return fail("missing x-api-key header (or Authorization: Basic)");
    };
    let credentials = auth
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim_start_matches(' '));
    let Some(credentials) = credentials else {
        return fail("Authorization is not Basic credentials");
    };
    let decoded = super::encoding::decode_base64(credentials);
    let password = decoded
        .as_deref()
        .and_then(|d| d.iter().position(|&b| b == b':').map(|at| &d[at + 1..]));
    match password {
        None => fail("Authorization Basic credentials are not base64 of username:password"),
        Some(p) if !same_key(p, key) => {
            fail("the Basic auth password does not match the callback key")
        }
        Some(_) => Ok(()),
    }
}

/// Whether `given` equals `key`, in time independent of both (their SHA-256 digests compared
/// with `subtle`). An empty key never matches.
fn same_key(given: &[u8], key: &[u8]) -> bool {
    use sha2::Digest;
    let equal: bool = Sha256::digest(given).ct_eq(&Sha256::digest(key)).into();
    equal && !key.is_empty()
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; stay panic-free regardless.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return [0; 32];
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn signature_error(message: &str) -> Error {
    let mut msg = String::from("deapi webhook: ");
    msg.push_str(message);
    Error::new(ErrorCode::WebhookSignature, msg).with_provider(Provider::Deapi)
}

/// The first header named `name` (lowercase), its value trimmed of HTTP whitespace.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim_matches([' ', '\t']))
}

/// Exactly 64 hex digits (either case) → 32 bytes.
fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = (hex_val(pair[0])? << 4) | hex_val(pair[1])?;
    }
    Some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Unix seconds as 1–15 ASCII digits (no sign, no fraction).
fn parse_unix_seconds(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n as f64)
}

/// Remembers the last `capacity` delivery ids (FIFO eviction, in a ring) so that a redelivered
/// webhook is handled once. Memory is bounded by `capacity` ids; lookups scan them
/// (O(capacity), meant for capacities up to a few thousand). Use it after [`verify_deapi`] so
/// that unauthenticated requests cannot evict real ids.
#[derive(Clone, Debug, Default)]
pub struct WebhookDeduper {
    ids: Vec<String>,
    capacity: usize,
    /// Once full: the slot of the oldest id, overwritten next.
    oldest: usize,
}

impl WebhookDeduper {
    /// A de-duplicator remembering up to `capacity` ids; `0` disables it (every delivery is
    /// reported as a first delivery).
    pub fn new(capacity: usize) -> WebhookDeduper {
        WebhookDeduper {
            ids: Vec::with_capacity(capacity.min(1024)),
            capacity,
            oldest: 0,
        }
    }

    /// `true` the first time `delivery_id` is seen (and remembers it), `false` for a repeat
    /// still within memory. An empty id cannot be de-duplicated: always `true`, never stored.
    pub fn first_delivery(&mut self, delivery_id: &str) -> bool {
        if self.capacity == 0 || delivery_id.is_empty() {
            return true;
        }
        if self.ids.iter().any(|id| id == delivery_id) {
            return false;
        }
        if self.ids.len() < self.capacity {
            self.ids.push(delivery_id.to_string());
        } else {
            self.ids[self.oldest] = delivery_id.to_string();
            self.oldest = (self.oldest + 1) % self.capacity;
        }
        true
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"event":"job.completed","data":{"job_request_id":"123e4567-e89b-12d3-a456-426614174000","status":"done"}}"#;
    // Pinned with Python: hmac.new(secret, (ts + ".").encode() + body, hashlib.sha256).hexdigest()
    const SIG: &str = "sha256=6aa614594914428d01c8acc70bdf7857d1bf8d2cf7b8988b63621a7eb070e889";
    const TS: &str = "1700000000";
    const NOW: f64 = 1_700_000_000_000.0;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn good() -> Vec<(String, String)> {
        h(&[
            ("X-DeAPI-Signature", SIG),
            ("X-DeAPI-Timestamp", TS),
            ("X-DeAPI-Event", "job.completed"),
        ])
    }

    fn code(r: Result<(), Error>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn signing_matches_an_independent_implementation() {
        assert_eq!(sign_deapi(SECRET, TS, BODY), SIG);
        assert_eq!(
            sign_deapi(b"k", "0", b""),
            "sha256=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7"
        );
        let secret: Vec<u8> = (0..=255).collect();
        assert_eq!(
            sign_deapi(&secret, "1717171717", "héllo\n".as_bytes()),
            "sha256=fd96383a24cc1c24cd869b4e73b7cbf017092d11474fde6dcb7efff2dcb53364"
        );
    }

    #[test]
    fn accepts_a_valid_delivery_with_any_header_case() {
        assert_eq!(verify_deapi(SECRET, &good(), BODY, NOW, 300.0), Ok(()));
        let lower = h(&[("x-deapi-timestamp", TS), ("x-deapi-signature", SIG)]);
        assert_eq!(verify_deapi(SECRET, &lower, BODY, NOW, 300.0), Ok(()));
        let upper_hex = SIG.to_ascii_uppercase().replacen("SHA256=", "sha256=", 1);
        let mixed = h(&[
            ("X-DEAPI-SIGNATURE", &upper_hex),
            ("X-Deapi-Timestamp", " 1700000000 "),
        ]);
        assert_eq!(verify_deapi(SECRET, &mixed, BODY, NOW, 300.0), Ok(()));
        // Edges of the window, both directions.
        assert_eq!(
            verify_deapi(SECRET, &good(), BODY, NOW + 300_000.0, 300.0),
            Ok(())
        );
        assert_eq!(
            verify_deapi(SECRET, &good(), BODY, NOW - 300_000.0, 300.0),
            Ok(())
        );
    }

    #[test]
    fn signature_failures() {
        let sig_err = Some(ErrorCode::WebhookSignature);
        // Wrong secret, tampered body, tampered timestamp.
        assert_eq!(
            code(verify_deapi(b"other", &good(), BODY, NOW, 300.0)),
            sig_err
        );
        let mut body = BODY.to_vec();
        body[10] ^= 1;
        assert_eq!(
            code(verify_deapi(SECRET, &good(), &body, NOW, 300.0)),
            sig_err
        );
        let ts = h(&[
            ("X-DeAPI-Signature", SIG),
            ("X-DeAPI-Timestamp", "1700000001"),
        ]);
        assert_eq!(code(verify_deapi(SECRET, &ts, BODY, NOW, 300.0)), sig_err);
        // Missing or malformed headers.
        let hex = &SIG[7..];
        for headers in [
            h(&[("X-DeAPI-Timestamp", TS)]),
            h(&[("X-DeAPI-Signature", SIG)]),
            h(&[("X-DeAPI-Signature", hex), ("X-DeAPI-Timestamp", TS)]),
            h(&[
                ("X-DeAPI-Signature", &["sha1=", hex].concat()),
                ("X-DeAPI-Timestamp", TS),
            ]),
            h(&[("X-DeAPI-Signature", &SIG[..70]), ("X-DeAPI-Timestamp", TS)]),
            h(&[
                ("X-DeAPI-Signature", &[SIG, "00"].concat()),
                ("X-DeAPI-Timestamp", TS),
            ]),
            h(&[
                ("X-DeAPI-Signature", &SIG.replace('e', "g")),
                ("X-DeAPI-Timestamp", TS),
            ]),
            h(&[("X-DeAPI-Signature", "sha256=é"), ("X-DeAPI-Timestamp", TS)]),
            h(&[("X-DeAPI-Signature", ""), ("X-DeAPI-Timestamp", TS)]),
            h(&[("X-DeAPI-Signature", SIG), ("X-DeAPI-Timestamp", "")]),
            h(&[
                ("X-DeAPI-Signature", SIG),
                ("X-DeAPI-Timestamp", "1700000000.5"),
            ]),
            h(&[
                ("X-DeAPI-Signature", SIG),
                ("X-DeAPI-Timestamp", "-1700000000"),
            ]),
            h(&[
                ("X-DeAPI-Signature", SIG),
                ("X-DeAPI-Timestamp", "2023-11-14T22:13:20Z"),
            ]),
            h(&[
                ("X-DeAPI-Signature", SIG),
                ("X-DeAPI-Timestamp", "99999999999999999999"),
            ]),
            h(&[]),
        ] {
            assert_eq!(
                code(verify_deapi(SECRET, &headers, BODY, NOW, 300.0)),
                sig_err,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn expired_only_after_a_valid_signature() {
        let expired = Some(ErrorCode::WebhookExpired);
        assert_eq!(
            code(verify_deapi(SECRET, &good(), BODY, NOW + 300_001.0, 300.0)),
            expired
        );
        assert_eq!(
            code(verify_deapi(SECRET, &good(), BODY, NOW - 301_000.0, 300.0)),
            expired
        );
        assert_eq!(
            code(verify_deapi(SECRET, &good(), BODY, f64::NAN, 300.0)),
            expired
        );
        assert_eq!(
            code(verify_deapi(SECRET, &good(), BODY, NOW, f64::NAN)),
            expired
        );
        assert_eq!(
            code(verify_deapi(SECRET, &good(), BODY, NOW + 1.0, 0.0)),
            expired
        );
        assert_eq!(
            verify_deapi(SECRET, &good(), BODY, 0.0, f64::INFINITY),
            Ok(())
        );
        // A stale timestamp with a bad signature reports the signature.
        assert_eq!(
            code(verify_deapi(b"wrong", &good(), BODY, NOW + 1e9, 300.0)),
            Some(ErrorCode::WebhookSignature)
        );
    }

    #[test]
    fn messages_never_leak_the_secret_or_signature() {
        let secret = b"super-secret-value";
        let sig = sign_deapi(secret, TS, BODY);
        let headers = h(&[("X-DeAPI-Signature", &sig), ("X-DeAPI-Timestamp", TS)]);
        for (s, now) in [(&b"nope"[..], NOW), (&secret[..], NOW + 1e9)] {
            let e = verify_deapi(s, &headers, BODY, now, 300.0).unwrap_err();
            assert!(!e.message.contains("super-secret"), "{}", e.message);
            assert!(!e.message.contains(&sig[7..]), "{}", e.message);
            assert!(!e.message.contains(&sig[7..20]), "{}", e.message);
            assert_eq!(e.provider, Some(Provider::Deapi));
            assert!(!e.retryable);
        }
    }

    const OPTEXITY_KEY: &[u8] = b"optx-callback-key-42";

    fn basic(user_pass: &str) -> String {
        // base64 by hand-picked vectors would hide mistakes: encode with the standard alphabet.
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::from("Basic ");
        for chunk in user_pass.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..4 {
                out.push(if i <= chunk.len() {
                    A[((n >> (18 - 6 * i)) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }

    #[test]
    fn optexity_key_in_x_api_key_or_basic_password() {
        assert_eq!(
            basic("Aladdin:open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let ok = |headers: Vec<(String, String)>| verify_optexity(OPTEXITY_KEY, &headers);
        assert_eq!(ok(h(&[("x-api-key", "optx-callback-key-42")])), Ok(()));
        assert_eq!(ok(h(&[("X-API-Key", " optx-callback-key-42 ")])), Ok(()));
        let auth = basic("optexity:optx-callback-key-42");
        assert_eq!(ok(h(&[("Authorization", &auth)])), Ok(()));
        // Any username, an empty one too; a password holding a colon is split at the first one.
        assert_eq!(
            ok(h(&[("authorization", &basic(":optx-callback-key-42"))])),
            Ok(())
        );
        let colon = b"a:b:c";
        let auth = basic("user:a:b:c");
        assert_eq!(
            verify_optexity(colon, &h(&[("authorization", &auth)])),
            Ok(())
        );
        let lower = auth.replacen("Basic", "basic", 1);
        assert_eq!(
            verify_optexity(colon, &h(&[("authorization", &lower)])),
            Ok(())
        );
        // x-api-key, when present, decides: an Authorization added on the way is not consulted.
        let both = h(&[
            ("authorization", "Bearer gateway-token"),
            ("x-api-key", "optx-callback-key-42"),
        ]);
        assert_eq!(ok(both), Ok(()));
    }

    #[test]
    fn optexity_refusals_say_what_is_wrong_and_never_echo_the_key() {
        let cases: [(Vec<(String, String)>, &str); 9] = [
            (h(&[]), "missing x-api-key"),
            (
                h(&[("content-type", "application/json")]),
                "missing x-api-key",
            ),
            (
                h(&[("x-api-key", "optx-callback-key-4")]),
                "x-api-key does not match",
            ),
            (h(&[("x-api-key", "")]), "x-api-key does not match"),
            (
                h(&[
                    ("x-api-key", "wrong"),
                    ("authorization", &basic("u:optx-callback-key-42")),
                ]),
                "x-api-key does not match",
            ),
            (
                h(&[("authorization", "Bearer optx-callback-key-42")]),
                "not Basic",
            ),
            (
                h(&[("authorization", "Basic optx-callback-key-42")]),
                "not base64",
            ),
            (
                h(&[("authorization", &basic("no-colon-here"))]),
                "not base64 of username:password",
            ),
            (
                h(&[("authorization", &basic("optx-callback-key-42:u"))]),
                "password does not match",
            ),
        ];
        for (headers, says) in cases {
            let e = verify_optexity(OPTEXITY_KEY, &headers).unwrap_err();
            assert_eq!(e.code, ErrorCode::WebhookSignature, "{headers:?}");
            assert!(e.message.contains(says), "{headers:?}: {}", e.message);
            assert!(!e.message.contains("optx-callback"), "{}", e.message);
            assert_eq!(e.provider, Some(Provider::Optexity));
            assert!(!e.retryable);
        }
        // An empty key matches nothing, not even an empty header.
        assert!(verify_optexity(b"", &h(&[("x-api-key", "")])).is_err());
        assert!(verify_optexity(b"", &h(&[("authorization", &basic("u:"))])).is_err());
    }

    #[test]
    fn dedupes_with_fifo_eviction() {
        let mut d = WebhookDeduper::new(2);
        assert!(d.first_delivery("a"));
        assert!(!d.first_delivery("a"));
        assert!(d.first_delivery("b"));
        assert!(d.first_delivery("c")); // evicts "a"
        assert_eq!(d.len(), 2);
        assert!(!d.first_delivery("b"));
        assert!(!d.first_delivery("c"));
        assert!(d.first_delivery("a"));
        assert!(d.first_delivery(""));
        assert!(d.first_delivery(""));
        let mut off = WebhookDeduper::new(0);
        assert!(off.first_delivery("x") && off.first_delivery("x"));
        assert!(off.is_empty());
    }

    #[test]
    fn eviction_stays_oldest_first_around_the_ring() {
        let mut d = WebhookDeduper::new(3);
        for id in ["a", "b", "c", "d", "e"] {
            assert!(d.first_delivery(id));
        }
        // Remembered: c, d, e. The next new id evicts c, then d.
        assert!(!d.first_delivery("c") && !d.first_delivery("d") && !d.first_delivery("e"));
        assert!(d.first_delivery("f"));
        assert!(!d.first_delivery("d") && !d.first_delivery("e") && !d.first_delivery("f"));
        assert!(d.first_delivery("c"));
        assert!(!d.first_delivery("e") && !d.first_delivery("f") && !d.first_delivery("c"));
        assert!(d.first_delivery("d"));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn dedupe_memory_stays_bounded() {
        let mut d = WebhookDeduper::new(100);
        let mut id = String::new();
        for i in 0..10_000u64 {
            id.clear();
            super::super::number::push_u64(&mut id, i);
            assert!(d.first_delivery(&id));
        }
        assert_eq!(d.len(), 100);
        assert!(!d.first_delivery("9999"));
        assert!(d.first_delivery("0"));
    }

    #[test]
    fn arbitrary_headers_never_panic() {
        let values = [
            "",
            "sha256=",
            "sha256=zz",
            "é",
            "sha256=éé",
            "1",
            "x".repeat(200).leak(),
        ];
        for a in values {
            for b in values {
                let headers = h(&[("x-deapi-signature", a), ("x-deapi-timestamp", b)]);
                assert!(verify_deapi(b"", &headers, b"", 0.0, 300.0).is_err());
            }
        }
    }
}
