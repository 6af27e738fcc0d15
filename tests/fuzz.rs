//! Property tests over everything the network hands the pure layers: arbitrary JSON trees,
//! arbitrary bytes (decoded as JSON when they parse, else kept as text), arbitrary HTTP statuses
//! and headers, and mutations of the golden fixture bodies. Every `parse_*` of every provider
//! (and Optexity's callback parser and key check), `advised_delay_ms`, the time parsers and `timestamp_to_iso` must never panic, and every job
//! they return must be well formed (progress within 0..=1, failed jobs carry an error, ...).
//!
//! Cases per property: `POLYJOB_FUZZ_CASES` (default 2,000 so the normal test run stays fast;
//! the dedicated long run sets 10,000,000).

#![cfg(not(target_arch = "wasm32"))]

mod fuzz_config;
use fuzz_config::config;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use polyjob::core::retry::advised_delay_ms;
use polyjob::core::time::{http_date_to_unix_ms, iso_to_unix_ms, unix_ms_to_iso};
use polyjob::core::{Body, Error, ErrorCode, HttpResponse, Job, JobStatus, Json, Provider};
use polyjob::providers::{
    optexity_callback, parse_balance, parse_cancel, parse_estimate, parse_list, parse_models,
    parse_status, parse_submit, timestamp_to_iso,
};

// ------------------------------------------------------------------------------ strategies

/// Member names the providers read, so random objects often look like real bodies.
const KEYS: &[&str] = &[
    "job_id",
    "id",
    "task_id",
    "request_id",
    "job_request_id",
    "status",
    "progress",
    "result",
    "output_data",
    "error",
    "error_code",
    "error_message",
    "message",
    "detail",
    "errors",
    "data",
    "links",
    "metrics",
    "refresh_job_url",
    "cancel_job_url",
    "created_at",
    "started_at",
    "completed_at",
    "finished_at",
    "failed_at",
    "estimated_completion",
    "result_url",
    "url",
    "file_name",
    "content",
    "downloads",
    "success",
    "requests",
    "tasks",
    "jobs",
    "code",
    "msg",
    "statusCode",
    "results_alt_formats",
    "preview",
    "price",
    "balance",
    "amount",
    "is_estimated",
    "error_reason",
    "slug",
    "name",
    "inference_types",
    "meta",
    "current_page",
    "last_page",
    "has_more",
];

/// Every status word any provider documents, plus near misses.
const WORDS: &[&str] = &[
    "PENDING",
    "QUEUED",
    "PROCESSING",
    "STREAMING",
    "FINISHED",
    "FAILED",
    "TIMEOUT",
    "CANCELLED",
    "UNKNOWN",
    "pending",
    "queued",
    "processing",
    "streaming",
    "finished",
    "failed",
    "timeout",
    "cancelled",
    "IN_QUEUE",
    "IN_PROGRESS",
    "COMPLETED",
    "TIMED_OUT",
    "CANCELED",
    "SUCCEEDED",
    "ABORTED",
    "not_found",
    "allocated",
    "started",
    "running",
    "success",
    "killed",
    "completed",
    "done",
    "error",
    "in_progress",
    "waiting",
    "in_queue",
    "",
    " ",
    "45.50",
    "1e400",
    "-5",
    "NaN",
    "http://127.0.0.1:9/socaity/status/x",
    "/status/x",
    "//evil.example/x",
    "2024-01-15T10:30:00Z",
    "2023-11-07T05:31:56.123+01:00",
    "1677858242",
    "9999-12-31T23:59:60Z",
    "0000-01-01T00:00:00-23:59",
];

fn arb_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -200.0..200.0f64,
        any::<i64>().prop_map(|n| n as f64),
        select(vec![
            0.0,
            -0.0,
            1.0,
            100.0,
            45.5,
            1e11,
            1e11 + 1.0,
            1_677_858_242.0,
            1_677_858_242_000.0,
            253_402_300_799_999.0,
            -1.0,
            1e308,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            9.0e15,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        select(WORDS).prop_map(str::to_string),
        "\\PC{0,16}",
        "-?[0-9]{0,14}(\\.[0-9]{0,6})?(e[+-]?[0-9]{1,3})?%?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,9})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?",
        "(https?:)?//?[a-z0-9.:@/\\\\?#]{0,24}",
    ]
}

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        arb_number().prop_map(Json::Number),
        arb_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(5, 96, 6, |inner| {
        let key = prop_oneof![4 => select(KEYS).prop_map(str::to_string), 1 => "\\PC{0,6}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((key, inner.clone()), 0..8).prop_map(Json::Object),
            // The deAPI / list envelopes.
            inner.clone().prop_map(|v| Json::object([("data", v)])),
            prop::collection::vec(inner, 0..4).prop_map(|v| Json::object([
                ("success", Json::Bool(true)),
                ("requests", Json::Array(v))
            ])),
        ]
    })
}

/// Bytes as a transport would see them: JSON when they parse (via serde, like the native side
/// of the crate), else the text.
fn decode(bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    match serde_json::from_slice::<Json>(bytes) {
        Ok(j) => Body::Json(j),
        Err(_) => Body::Text(String::from_utf8_lossy(bytes).into_owned()),
    }
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        // A JSON-ish alphabet makes valid documents far more likely.
        prop::collection::vec(
            select(b"{}[]\":,0123456789.-+eE truefalsn\\ustatusprogres".to_vec()),
            0..96
        ),
    ]
}

fn arb_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        4 => arb_json().prop_map(Body::Json),
        2 => arb_bytes().prop_map(|b| decode(&b)),
        1 => Just(Body::Empty),
        1 => "\\PC{0,64}".prop_map(Body::Text),
    ]
}

fn arb_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => select(vec![200u16, 201, 202, 204, 206, 299, 400, 401, 403, 404, 408, 409, 410, 422, 425, 429, 500, 501, 502, 503, 504]),
        1 => 100u16..600,
        1 => any::<u16>(),
    ]
}

fn arb_header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{0,20}(\\.[0-9]{0,5})?(e[+-]?[0-9]{1,3})?",
        "(Mon|Sun|Xyz|), ?[0-9]{0,3} (Jan|Feb|Nov|Dec|Foo|jan) [0-9]{0,5} [0-9]{0,3}:[0-9]{0,3}:[0-9]{0,3} (GMT|UTC|PST|)",
        select(vec!["inf", "-inf", "NaN", "-0", "1e309", "", " 7 ", "0x10", "+5", "1_000"]).prop_map(str::to_string),
        "\\PC{0,40}",
    ]
}

fn arb_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        select(vec![
            "retry-after",
            "retry-after-ms",
            "Retry-After",
            "RETRY-AFTER-MS",
            "x-ratelimit-type"
        ])
        .prop_map(str::to_string),
        "[a-zA-Z-]{1,12}",
    ];
    prop::collection::vec((name, arb_header_value()), 0..4)
}

fn arb_id() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z0-9_-]{1,12}", "\\PC{0,8}"]
}

fn arb_now() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0..4.0e12f64, arb_number(),]
}

// ------------------------------------------------------------------------------ invariants

fn ok(cond: bool, msg: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if cond {
        Ok(())
    } else {
        Err(TestCaseError::fail(msg()))
    }
}

/// Structural equality where NaN equals NaN (the generated trees may hold NaN; real JSON cannot).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Json::Array(xs), Json::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Json::Object(xs), Json::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((k, x), (l, y))| k == l && same(x, y))
        }
        _ => a == b,
    }
}

fn check_job(p: Provider, _op: &str, job: &Job, what: &str) -> Result<(), TestCaseError> {
    ok(job.provider == p, || {
        format!("{what}: provider {:?}", job.provider)
    })?;
    if let Some(progress) = job.progress {
        ok((0.0..=1.0).contains(&progress), || {
            format!("{what}: progress {progress} outside 0..=1 in {job:?}")
        })?;
    }
    if matches!(job.status, JobStatus::Failed | JobStatus::Timeout) {
        ok(job.error.is_some(), || {
            format!("{what}: {:?} job without an error", job.status)
        })?;
    }
    if let Some(cost) = &job.cost {
        ok(cost.amount.is_finite() && cost.amount >= 0.0, || {
            format!("{what}: cost {cost:?} is not a finite amount >= 0")
        })?;
    }
    for (name, ts) in [
        ("createdAt", &job.created_at),
        ("completedAt", &job.completed_at),
        ("estimatedCompletion", &job.estimated_completion),
    ] {
        if let Some(ts) = ts {
            ok(iso_to_unix_ms(ts).is_some(), || {
                format!("{what}: {name} {ts:?} is not a readable ISO timestamp")
            })?;
        }
    }
    Ok(())
}

fn check_error(
    p: Provider,
    resp: &HttpResponse,
    err: &Error,
    what: &str,
) -> Result<(), TestCaseError> {
    ok(err.provider == Some(p), || {
        format!("{what}: error provider {:?}", err.provider)
    })?;
    ok(!err.message.is_empty(), || {
        format!("{what}: empty error message")
    })?;
    if resp.is_success() {
        ok(
            matches!(
                err.code,
                ErrorCode::BadResponse | ErrorCode::NotFound | ErrorCode::Unsupported
            ),
            || format!("{what}: 2xx gave {:?}", err.code),
        )?;
    } else {
        ok(err.status == Some(resp.status), || {
            format!("{what}: status {:?}", err.status)
        })?;
        ok(err.code == ErrorCode::from_http_status(resp.status), || {
            format!("{what}: HTTP {} gave {:?}", resp.status, err.code)
        })?;
    }
    Ok(())
}

/// Every parser of every provider on `resp`, plus the advised delay.
fn check_response(resp: &HttpResponse, id: &str, now: f64) -> Result<(), TestCaseError> {
    for p in Provider::ALL {
        let name = p.as_str();
        let results = [
            ("submit", parse_submit(p, resp)),
            ("status", parse_status(p, id, resp)),
            ("cancel", parse_cancel(p, id, resp)),
        ];
        for (op, r) in results {
            let what = format!("{name} {op}");
            match r {
                Ok(job) => {
                    ok(resp.is_success(), || {
                        format!("{what}: job from HTTP {}", resp.status)
                    })?;
                    check_job(p, op, &job, &what)?;
                    if op == "status" {
                        if let Body::Json(body) = &resp.body {
                            ok(same(&job.raw.value(), body), || {
                                format!("{what}: raw is not the body")
                            })?;
                        }
                    }
                }
                Err(e) => check_error(p, resp, &e, &what)?,
            }
        }
        match parse_list(p, resp) {
            Ok(jobs) => {
                ok(resp.is_success(), || {
                    format!("{name} list: jobs from HTTP {}", resp.status)
                })?;
                for job in &jobs {
                    check_job(p, "list", job, &format!("{name} list"))?;
                }
            }
            Err(e) => check_error(p, resp, &e, &format!("{name} list"))?,
        }
        for (op, r) in [
            ("estimate", parse_estimate(p, resp)),
            ("balance", parse_balance(p, resp)),
        ] {
            match r {
                Ok(a) => ok(resp.is_success() && a.amount.is_finite(), || {
                    format!("{name} {op}: {a:?} from HTTP {}", resp.status)
                })?,
                Err(e) => check_error(p, resp, &e, &format!("{name} {op}"))?,
            }
        }
        match parse_models(p, resp) {
            Ok(page) => {
                ok(resp.is_success(), || {
                    format!("{name} models: a page from HTTP {}", resp.status)
                })?;
                for m in &page.models {
                    ok(!m.id.trim().is_empty(), || {
                        format!("{name} models: empty id")
                    })?;
                }
                ok(page.next.as_ref().map_or(true, |n| !n.is_empty()), || {
                    format!("{name} models: empty next cursor")
                })?;
            }
            Err(e) => check_error(p, resp, &e, &format!("{name} models"))?,
        }
    }
    // The same body as an Optexity task callback (a POST to the receiver: no HTTP status).
    let text = match &resp.body {
        Body::Json(v) => v.to_json_string(),
        Body::Text(t) => t.clone(),
        Body::Empty => String::new(),
    };
    match optexity_callback(&text) {
        Ok(job) => check_job(Provider::Optexity, "callback", &job, "optexity callback")?,
        Err(e) => ok(
            e.code == ErrorCode::BadResponse && e.provider == Some(Provider::Optexity),
            || format!("optexity callback: {e:?}"),
        )?,
    }
    if let Some(d) = advised_delay_ms(resp, now) {
        ok(!d.is_nan() && d >= 0.0, || {
            format!("advised delay {d} for {:?}", resp.headers)
        })?;
    }
    Ok(())
}

// ------------------------------------------------------------------------ fixture corpus

struct Sample {
    status: u16,
    id: String,
    body: Json,
}

/// Every JSON body of the golden fixtures.
fn corpus() -> &'static [Sample] {
    static CORPUS: OnceLock<Vec<Sample>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("tests/fixtures") {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
            &mut files,
        );
        files.sort();
        let samples: Vec<Sample> = files
            .iter()
            .filter_map(|f| {
                let spec: Json = serde_json::from_str(&std::fs::read_to_string(f).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                let body = spec.get("body")?.clone();
                Some(Sample {
                    status: spec
                        .get("http_status")
                        .and_then(Json::as_f64)
                        .unwrap_or(200.0) as u16,
                    id: spec.get_str("id").unwrap_or("job_1").to_string(),
                    body,
                })
            })
            .collect();
        assert!(
            samples.len() >= 40,
            "the fixture corpus is too small: {}",
            samples.len()
        );
        samples
    })
}

fn node_count(j: &Json) -> usize {
    1 + match j {
        Json::Array(items) => items.iter().map(node_count).sum(),
        Json::Object(members) => members.iter().map(|(_, v)| node_count(v)).sum(),
        _ => 0,
    }
}

/// The `idx`-th node in pre-order (`idx < node_count(j)`).
fn node_at(j: &mut Json, idx: usize) -> &mut Json {
    if idx == 0 {
        return j;
    }
    let mut idx = idx - 1;
    match j {
        Json::Array(items) => {
            for item in items.iter_mut() {
                let c = node_count(item);
                if idx < c {
                    return node_at(item, idx);
                }
                idx -= c;
            }
        }
        Json::Object(members) => {
            for (_, v) in members.iter_mut() {
                let c = node_count(v);
                if idx < c {
                    return node_at(v, idx);
                }
                idx -= c;
            }
        }
        _ => {}
    }
    unreachable!("node index out of range")
}

#[derive(Clone, Debug)]
struct Mutation {
    at: usize,
    op: u8,
    pick: usize,
    key: String,
    value: Json,
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<usize>(),
        0u8..9,
        any::<usize>(),
        prop_oneof![select(KEYS).prop_map(str::to_string), "\\PC{0,4}"],
        arb_json(),
    )
        .prop_map(|(at, op, pick, key, value)| Mutation {
            at,
            op,
            pick,
            key,
            value,
        })
}

fn mutate(body: &mut Json, m: &Mutation) {
    let n = node_count(body);
    let node = node_at(body, m.at % n);
    match m.op {
        // Delete a member / an element.
        0 => match node {
            Json::Object(members) if !members.is_empty() => {
                let i = m.pick % members.len();
                members.remove(i);
            }
            Json::Array(items) if !items.is_empty() => {
                let i = m.pick % items.len();
                items.remove(i);
            }
            _ => *node = Json::Null,
        },
        // Replace with an arbitrary value.
        1 => *node = m.value.clone(),
        // Change the type, keeping the content where possible.
        2 => {
            *node = match std::mem::take(node) {
                Json::String(s) => match s.trim().parse::<f64>() {
                    Ok(n) => Json::Number(n),
                    Err(_) => Json::Array(vec![Json::String(s)]),
                },
                Json::Number(n) => Json::String(n.to_string()),
                Json::Bool(b) => Json::String(b.to_string()),
                Json::Null => Json::Bool(false),
                Json::Array(items) => Json::Object(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (i.to_string(), v))
                        .collect(),
                ),
                Json::Object(members) => Json::Array(members.into_iter().map(|(_, v)| v).collect()),
            }
        }
        // Add (or overwrite) a member / push an element.
        3 => match node {
            Json::Object(_) => node.set(&m.key, m.value.clone()),
            Json::Array(items) => items.push(m.value.clone()),
            _ => *node = Json::object([(m.key.as_str(), m.value.clone())]),
        },
        4 => *node = Json::Null,
        // Wrap in the deAPI envelope.
        5 => *node = Json::object([("data", std::mem::take(node))]),
        // String edits: case, truncation, junk.
        6 => {
            if let Json::String(s) = node {
                let t: String = match m.pick % 4 {
                    0 => s.to_uppercase(),
                    1 => s.to_lowercase(),
                    2 => s.chars().take(m.pick % (s.chars().count() + 1)).collect(),
                    _ => format!("{s}{}", m.key),
                };
                *s = t;
            } else {
                *node = Json::String(m.key.clone());
            }
        }
        // Duplicate a member under another name.
        7 => {
            if let Json::Object(members) = node {
                if let Some((_, v)) = members.get(m.pick % members.len().max(1)).cloned() {
                    members.push((m.key.clone(), v));
                }
            }
        }
        // Extreme numbers.
        _ => {
            *node = Json::Number(
                [f64::MAX, -1.0, 1e11, 150.0, f64::NAN, f64::INFINITY, -0.0][m.pick % 7],
            )
        }
    }
}

fn arb_corpus_sample() -> impl Strategy<Value = usize> {
    any::<usize>()
}

// ------------------------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config())]

    /// Arbitrary JSON trees with arbitrary statuses and headers.
    #[test]
    fn parsers_survive_arbitrary_json(
        body in arb_json(),
        status in arb_status(),
        headers in arb_headers(),
        id in arb_id(),
        now in arb_now(),
    ) {
        let resp = HttpResponse { status, headers, body: Body::Json(body), json_text: None };
        check_response(&resp, &id, now)?;
    }

    /// Arbitrary bytes, decoded as JSON when they parse, else text; empty bodies too.
    #[test]
    fn parsers_survive_arbitrary_bytes(
        bytes in arb_bytes(),
        status in arb_status(),
        headers in arb_headers(),
        id in arb_id(),
        now in arb_now(),
    ) {
        let resp = HttpResponse::from_text(status, headers, String::from_utf8_lossy(&bytes).into_owned());
        check_response(&resp, &id, now)?;
    }

    /// Any body shape (JSON, text, empty) with any status.
    #[test]
    fn parsers_survive_arbitrary_bodies(
        body in arb_body(),
        status in arb_status(),
        headers in arb_headers(),
        id in arb_id(),
    ) {
        let resp = HttpResponse { status, headers, body, json_text: None };
        check_response(&resp, &id, 1.0e12)?;
    }

    /// The golden bodies with members deleted, replaced, retyped, added, wrapped.
    #[test]
    fn parsers_survive_mutated_fixtures(
        pick in arb_corpus_sample(),
        mutations in prop::collection::vec(arb_mutation(), 1..5),
        other_status in arb_status(),
        use_other_status in any::<bool>(),
        headers in arb_headers(),
    ) {
        let corpus = corpus();
        let sample = &corpus[pick % corpus.len()];
        let mut body = sample.body.clone();
        for m in &mutations {
            mutate(&mut body, m);
        }
        let status = if use_other_status { other_status } else { sample.status };
        let resp = HttpResponse { status, headers, body: Body::Json(body), json_text: None };
        check_response(&resp, &sample.id, 0.0)?;
    }

    /// The golden bodies as bytes, cut, spliced and flipped (truncated JSON and worse).
    #[test]
    fn parsers_survive_mutated_fixture_bytes(
        pick in arb_corpus_sample(),
        cut in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        status in arb_status(),
    ) {
        let corpus = corpus();
        let sample = &corpus[pick % corpus.len()];
        let mut bytes = serde_json::to_vec(&sample.body).unwrap();
        for (at, b) in edits {
            let i = at % (bytes.len() + 1);
            if b % 2 == 0 && i < bytes.len() {
                bytes[i] = b;
            } else {
                bytes.insert(i, b);
            }
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let resp = HttpResponse::from_text(status, Vec::new(), String::from_utf8_lossy(&bytes).into_owned());
        check_response(&resp, &sample.id, 0.0)?;
    }

    /// Optexity's callback key check on arbitrary `x-api-key` / `Authorization` values: never a
    /// panic, only `WEBHOOK_SIGNATURE`, and a key it accepts is one the headers hold.
    #[test]
    fn optexity_callback_key_check_never_panics(
        values in prop::collection::vec((
            select(vec!["x-api-key", "X-Api-Key", "authorization", "Authorization", "other"]),
            prop_oneof![
                "Basic [A-Za-z0-9+/=]{0,24}",
                "(Basic|basic|Bearer) ?\\PC{0,16}",
                arb_header_value(),
            ],
        ), 0..3),
        key in "[ -~]{0,12}",
    ) {
        let headers: Vec<(String, String)> =
            values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        match polyjob::core::webhook::verify_optexity(key.as_bytes(), &headers) {
            Ok(()) => ok(!key.is_empty(), || format!("{headers:?} accepted an empty key"))?,
            Err(e) => ok(e.code == ErrorCode::WebhookSignature && !e.retryable, || format!("{e:?}"))?,
        }
    }

    /// `advised_delay_ms` on arbitrary Retry-After / retry-after-ms headers and clocks.
    #[test]
    fn advised_delay_never_panics(headers in arb_headers(), status in arb_status(), now in arb_now()) {
        let resp = HttpResponse { status, headers, body: Body::Empty, json_text: None };
        if let Some(d) = advised_delay_ms(&resp, now) {
            prop_assert!(!d.is_nan() && d >= 0.0, "delay {d} for {:?} at {now}", resp.headers);
        }
    }

    /// The time parsers on arbitrary and date-shaped text.
    #[test]
    fn time_parsers_never_panic(s in prop_oneof![arb_string(), arb_header_value(), "\\PC{0,40}"]) {
        if let Some(ms) = iso_to_unix_ms(&s) {
            prop_assert!(ms.is_finite());
            // What parses formats back (within year 0..=9999) and re-parses to the same instant.
            if let Some(iso) = unix_ms_to_iso(ms) {
                let again = iso_to_unix_ms(&iso);
                prop_assert!(again.is_some_and(|a| (a - ms).abs() <= 0.5), "{s:?} → {iso:?} → {again:?}");
            }
        }
        if let Some(ms) = http_date_to_unix_ms(&s) {
            prop_assert!(ms.is_finite());
        }
    }

    /// `timestamp_to_iso` on any JSON value gives a readable ISO string or nothing.
    #[test]
    fn timestamp_to_iso_never_panics(v in arb_json(), n in arb_number()) {
        for value in [&v, &Json::Number(n), &Json::String(n.to_string())] {
            if let Some(iso) = timestamp_to_iso(Some(value)) {
                prop_assert!(iso_to_unix_ms(&iso).is_some(), "{value:?} → {iso:?}");
                prop_assert!(iso.ends_with('Z'), "{value:?} → {iso:?}");
            }
        }
        prop_assert_eq!(timestamp_to_iso(None), None);
    }

    /// `unix_ms_to_iso` on any number.
    #[test]
    fn unix_ms_to_iso_never_panics(n in arb_number()) {
        if let Some(iso) = unix_ms_to_iso(n) {
            prop_assert!(iso_to_unix_ms(&iso).is_some(), "{n} → {iso:?}");
        }
    }
}

// --------------------------------------------------------------------- fixed hard inputs

/// Nesting right at and beyond the JSON depth limit: decoded or refused, never a crash.
#[test]
fn deep_nesting() {
    for depth in [1usize, 100, 126, 127, 128, 129, 500, 100_000] {
        for (open, close) in [("[", "]"), ("{\"data\":", "}")] {
            let text = format!("{}{}{}", open.repeat(depth), "1", close.repeat(depth));
            let resp = HttpResponse::from_text(200, Vec::new(), text);
            check_response(&resp, "job_1", 0.0).unwrap();
        }
    }
}

/// Bodies that are valid JSON but not objects, at every status class.
#[test]
fn scalar_bodies() {
    for body in [
        "null",
        "true",
        "0",
        "-1.5e300",
        "\"\"",
        "\"<html>\"",
        "[]",
        "[{}]",
        "{}",
    ] {
        for status in [200u16, 202, 204, 404, 500] {
            let resp = HttpResponse::from_text(
                status,
                vec![("retry-after".into(), "1e308".into())],
                body.to_string(),
            );
            check_response(&resp, "job_1", 0.0).unwrap();
        }
    }
}

/// The corpus itself passes the invariants unmutated.
#[test]
fn corpus_bodies_pass_the_invariants() {
    for sample in corpus() {
        let resp = HttpResponse::json(sample.status, sample.body.clone());
        check_response(&resp, &sample.id, 0.0).unwrap();
    }
}
