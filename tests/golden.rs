//! Golden-fixture tests: every response body in `tests/fixtures/<provider>/*.json` is replayed
//! through the provider's `parse_*` and the normalized [`Job`] (or amount, models page, [`Error`])
//! is compared with the fixture's expectations. Fixtures hold the seed documents' example bodies verbatim plus the real
//! API variants of `providers.md`; the format is described in `tests/fixtures/README.md`.
//!
//! Also: a status-mapping table per provider covering every documented status word.
//!
//! This file only reads; it never writes fixtures.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use polyjob::core::retry::advised_delay_ms;
use polyjob::core::{Body, Error, HttpResponse, Job, JobStatus, Json, Provider, Raw};
use polyjob::providers::{
    optexity_callback, parse_balance, parse_cancel, parse_estimate, parse_list, parse_models,
    parse_status, parse_submit,
};

const FIXTURE_KEYS: &[&str] = &[
    "description",
    "source",
    "operation",
    "id",
    "http_status",
    "headers",
    "body",
    "body_text",
    "expect",
    "expect_list",
    "expect_amount",
    "expect_models",
    "expect_error",
];
const OPERATIONS: &[&str] = &[
    "submit", "status", "cancel", "list", "estimate", "balance", "models", "callback",
];
const MODEL_KEYS: &[&str] = &["id", "name", "tasks"];
const JOB_KEYS: &[&str] = &[
    "id",
    "status",
    "progress",
    "result",
    "resultUrl",
    "files",
    "error",
    "createdAt",
    "completedAt",
    "estimatedCompletion",
    "cost",
];
const JOB_ERROR_KEYS: &[&str] = &["code", "message", "message_contains"];
const ERROR_KEYS: &[&str] = &[
    "code",
    "status",
    "message",
    "message_contains",
    "message_not_contains",
    "retryable",
    "advised_delay_ms",
];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every `*.json` under `dir`, recursively, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("json") {
            out.push(path);
        }
    }
}

/// All fixture files, grouped by provider (the first folder under `tests/fixtures`).
fn fixture_files() -> BTreeMap<&'static str, Vec<PathBuf>> {
    let root = fixtures_root();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut by_provider: BTreeMap<&'static str, Vec<PathBuf>> = BTreeMap::new();
    for p in Provider::ALL {
        by_provider.insert(p.as_str(), Vec::new());
    }
    for file in files {
        let rel = file.strip_prefix(&root).unwrap();
        let folder = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("");
        let provider = Provider::from_name(folder).unwrap_or_else(|| {
            panic!(
                "{}: fixtures must live in a provider folder (socaity, optexity, deapi, serika)",
                file.display()
            )
        });
        by_provider.get_mut(provider.as_str()).unwrap().push(file);
    }
    by_provider
}

struct Fixture {
    name: String,
    provider: Provider,
    operation: String,
    id: String,
    response: HttpResponse,
    spec: Json,
}

fn load(provider: Provider, path: &Path) -> Fixture {
    let name = path
        .strip_prefix(fixtures_root())
        .unwrap()
        .display()
        .to_string();
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Parsed straight into polyjob's own value type (via its serde impl), keeping member order.
    let spec: Json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not valid JSON: {e}"));
    let Json::Object(members) = &spec else {
        panic!("{name}: a fixture must be a JSON object");
    };
    for (k, _) in members {
        assert!(
            FIXTURE_KEYS.contains(&k.as_str()),
            "{name}: unknown fixture key {k:?}"
        );
    }
    for key in ["description", "source"] {
        assert!(
            spec.get_str(key).is_some_and(|s| !s.trim().is_empty()),
            "{name}: {key:?} must be a non-empty string"
        );
    }
    let operation = spec
        .get_str("operation")
        .unwrap_or_else(|| panic!("{name}: \"operation\" missing"))
        .to_string();
    assert!(
        OPERATIONS.contains(&operation.as_str()),
        "{name}: unknown operation {operation:?}"
    );
    assert!(
        operation != "callback" || provider == Provider::Optexity,
        "{name}: callback fixtures are Optexity's (deAPI webhooks are tested in src/providers/deapi.rs)"
    );
    let id = match spec.get("id") {
        Some(Json::String(s)) => s.clone(),
        None => {
            assert!(
                !matches!(operation.as_str(), "status" | "cancel"),
                "{name}: status/cancel fixtures need the requested \"id\""
            );
            String::new()
        }
        Some(other) => panic!("{name}: \"id\" must be a string, got {other:?}"),
    };
    let status = spec
        .get("http_status")
        .and_then(Json::as_f64)
        .unwrap_or_else(|| panic!("{name}: \"http_status\" must be a number"));
    assert!(
        status.fract() == 0.0 && (100.0..=599.0).contains(&status),
        "{name}: bad http_status {status}"
    );
    let headers = match spec.get("headers") {
        None => Vec::new(),
        Some(Json::Object(h)) => h
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: header {k:?} must be a string"));
                (k.to_ascii_lowercase(), v.to_string())
            })
            .collect(),
        Some(other) => panic!("{name}: \"headers\" must be an object, got {other:?}"),
    };
    // The body as text, decoded as the transport decodes what it receives.
    let text = match (spec.get("body"), spec.get("body_text")) {
        (Some(_), Some(_)) => panic!("{name}: both \"body\" and \"body_text\""),
        (Some(json), None) => serde_json::to_string(json).expect("a body serializes"),
        (None, Some(Json::String(text))) => {
            assert!(
                serde_json::from_str::<Json>(text).is_err(),
                "{name}: \"body_text\" parses as JSON; put it in \"body\""
            );
            text.clone()
        }
        (None, Some(other)) => panic!("{name}: \"body_text\" must be a string, got {other:?}"),
        (None, None) => String::new(),
    };
    let expectations = [
        "expect",
        "expect_list",
        "expect_amount",
        "expect_models",
        "expect_error",
    ]
    .iter()
    .filter(|k| spec.get(k).is_some())
    .count();
    assert_eq!(
        expectations, 1,
        "{name}: exactly one of expect / expect_list / expect_amount / expect_models / expect_error"
    );
    for (key, ops) in [
        ("expect_amount", &["estimate", "balance"][..]),
        ("expect_models", &["models"][..]),
    ] {
        if spec.get(key).is_some() {
            assert!(
                ops.contains(&operation.as_str()),
                "{name}: {key} is for {ops:?} fixtures"
            );
        }
    }
    if ["estimate", "balance", "models"].contains(&operation.as_str()) {
        assert!(
            spec.get("expect").is_none() && spec.get("expect_list").is_none(),
            "{name}: {operation} fixtures use expect_amount / expect_models / expect_error"
        );
    }
    if spec.get("expect_list").is_some() {
        assert_eq!(
            operation, "list",
            "{name}: expect_list is for list fixtures"
        );
    }
    if operation == "list" {
        assert!(
            spec.get("expect").is_none(),
            "{name}: list fixtures use expect_list"
        );
    }
    Fixture {
        name,
        provider,
        operation,
        id,
        response: HttpResponse::from_text(status as u16, headers, text),
        spec,
    }
}

fn opt_str_json(v: &Option<String>) -> Json {
    v.as_ref().map_or(Json::Null, |s| Json::String(s.clone()))
}

/// Compares a JSON value with tolerance for numbers.
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        (Json::Array(xs), Json::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y))
        }
        (Json::Object(xs), Json::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| json_eq(x, y)))
                && ys.iter().all(|(k, _)| a.get(k).is_some())
        }
        _ => a == b,
    }
}

fn check_job(ctx: &str, job: &Job, expect: &Json, provider: Provider) {
    let Json::Object(members) = expect else {
        panic!("{ctx}: expectation must be an object, got {expect:?}");
    };
    assert_eq!(job.provider, provider, "{ctx}: provider");
    if let Some(p) = job.progress {
        assert!(
            (0.0..=1.0).contains(&p),
            "{ctx}: progress {p} outside 0..=1"
        );
    }
    for (key, want) in members {
        let got = match key.as_str() {
            "id" => Json::String(job.id.to_string()),
            "status" => {
                let s = want
                    .as_str()
                    .unwrap_or_else(|| panic!("{ctx}: expect.status must be a string"));
                assert!(
                    JobStatus::from_normalized(s).is_some(),
                    "{ctx}: expect.status {s:?} is not a normalized status"
                );
                Json::String(job.status.as_str().to_string())
            }
            "progress" => job.progress.map_or(Json::Null, Json::Number),
            "result" => job.result.clone().unwrap_or(Json::Null),
            "resultUrl" => opt_str_json(&job.result_url),
            "files" => {
                let mut text = String::new();
                polyjob::core::files::write_files_json(&job.files, &mut text);
                polyjob::core::json::parse(&text).expect("files JSON")
            }
            "createdAt" => opt_str_json(&job.created_at),
            "completedAt" => opt_str_json(&job.completed_at),
            "estimatedCompletion" => opt_str_json(&job.estimated_completion),
            "cost" => job.cost.as_ref().map_or(Json::Null, |c| c.to_json()),
            "error" => {
                check_job_error(ctx, job, want);
                continue;
            }
            other => panic!("{ctx}: unknown expect key {other:?} (known: {JOB_KEYS:?})"),
        };
        assert!(
            json_eq(&got, want),
            "{ctx}: {key}: expected {want:?}, got {got:?}\n  job: {job:#?}"
        );
    }
}

fn check_job_error(ctx: &str, job: &Job, want: &Json) {
    match want {
        Json::Null => assert!(
            job.error.is_none(),
            "{ctx}: error: expected none, got {:?}",
            job.error
        ),
        Json::Object(members) => {
            let err = job
                .error
                .as_ref()
                .unwrap_or_else(|| panic!("{ctx}: error: expected {want:?}, got none"));
            assert!(!err.message.is_empty(), "{ctx}: job error message is empty");
            for (key, value) in members {
                match key.as_str() {
                    "code" => assert_eq!(
                        opt_str_json(&err.code),
                        *value,
                        "{ctx}: error.code ({err:?})"
                    ),
                    "message" => assert_eq!(
                        Json::String(err.message.clone()),
                        *value,
                        "{ctx}: error.message"
                    ),
                    "message_contains" => {
                        let s = value.as_str().expect("message_contains is a string");
                        assert!(
                            err.message.contains(s),
                            "{ctx}: error.message {:?} lacks {s:?}",
                            err.message
                        );
                    }
                    other => {
                        panic!("{ctx}: unknown error key {other:?} (known: {JOB_ERROR_KEYS:?})")
                    }
                }
            }
        }
        other => panic!("{ctx}: expect.error must be null or an object, got {other:?}"),
    }
}

fn check_error(ctx: &str, fx: &Fixture, err: &Error, want: &Json) {
    let Json::Object(members) = want else {
        panic!("{ctx}: expect_error must be an object");
    };
    assert!(
        want.get("code").is_some(),
        "{ctx}: expect_error needs a \"code\""
    );
    assert_eq!(err.provider, Some(fx.provider), "{ctx}: error.provider");
    for (key, value) in members {
        match key.as_str() {
            "code" => assert_eq!(
                Some(err.code.as_str()),
                value.as_str(),
                "{ctx}: error code ({err:?})"
            ),
            "status" => assert_eq!(
                err.status
                    .map_or(Json::Null, |s| Json::Number(f64::from(s))),
                *value,
                "{ctx}: error status ({err:?})"
            ),
            "message" => assert_eq!(Some(err.message.as_str()), value.as_str(), "{ctx}: message"),
            "message_contains" => {
                let s = value.as_str().expect("message_contains is a string");
                assert!(
                    err.message.contains(s),
                    "{ctx}: message {:?} lacks {s:?}",
                    err.message
                );
            }
            "message_not_contains" => {
                let s = value.as_str().expect("message_not_contains is a string");
                assert!(
                    !err.message.contains(s),
                    "{ctx}: message {:?} contains {s:?}",
                    err.message
                );
            }
            "retryable" => assert_eq!(
                Some(err.retryable),
                value.as_bool(),
                "{ctx}: retryable ({err:?})"
            ),
            "advised_delay_ms" => assert_eq!(
                advised_delay_ms(&fx.response, 0.0).map_or(Json::Null, Json::Number),
                *value,
                "{ctx}: advised delay"
            ),
            other => panic!("{ctx}: unknown expect_error key {other:?} (known: {ERROR_KEYS:?})"),
        }
    }
}

/// An Optexity task callback: the body's text through `optexity_callback`, as `verifyWebhook`
/// hands it over once the key is checked.
fn callback(resp: &HttpResponse) -> Result<Job, Error> {
    let text = match &resp.body {
        Body::Empty => String::new(),
        Body::Text(t) => t.clone(),
        Body::Json(_) => resp.json_text.as_deref().unwrap_or_default().to_string(),
    };
    optexity_callback(&text)
}

/// The body as a JSON value, for comparison with `job.raw`.
fn body_json(body: &Body) -> Json {
    match body {
        Body::Json(j) => j.clone(),
        Body::Text(t) => Json::String(t.clone()),
        Body::Empty => Json::Null,
    }
}

fn run(fx: &Fixture) {
    let ctx = fx.name.as_str();
    let resp = &fx.response;
    let p = fx.provider;
    if let Some(want) = fx.spec.get("expect_error") {
        let err = match fx.operation.as_str() {
            "callback" => callback(resp).map(|_| ()),
            "submit" => parse_submit(p, resp).map(|_| ()),
            "status" => parse_status(p, &fx.id, resp).map(|_| ()),
            "cancel" => parse_cancel(p, &fx.id, resp).map(|_| ()),
            "estimate" => parse_estimate(p, resp).map(|_| ()),
            "balance" => parse_balance(p, resp).map(|_| ()),
            "models" => parse_models(p, resp).map(|_| ()),
            _ => parse_list(p, resp).map(|_| ()),
        }
        .err()
        .unwrap_or_else(|| panic!("{ctx}: expected an error, got Ok"));
        check_error(ctx, fx, &err, want);
        return;
    }
    let body = body_json(&resp.body);
    if let Some(want) = fx.spec.get("expect_amount") {
        let got = match fx.operation.as_str() {
            "estimate" => parse_estimate(p, resp),
            _ => parse_balance(p, resp),
        }
        .unwrap_or_else(|e| panic!("{ctx}: expected an amount, got error {e:?}"));
        assert!(got.amount.is_finite(), "{ctx}: amount {}", got.amount);
        assert!(
            json_eq(&got.to_json(), want),
            "{ctx}: amount: expected {want:?}, got {got:?}"
        );
        return;
    }
    if let Some(want) = fx.spec.get("expect_models") {
        let page = parse_models(p, resp).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
        let models = want
            .get("models")
            .and_then(Json::as_array)
            .unwrap_or_else(|| panic!("{ctx}: expect_models.models must be an array"));
        let next = want.get("next").unwrap_or_else(|| {
            panic!("{ctx}: expect_models.next must be given (null or a cursor)")
        });
        assert_eq!(page.models.len(), models.len(), "{ctx}: number of models");
        assert_eq!(
            page.next.clone().map_or(Json::Null, Json::String),
            *next,
            "{ctx}: next page"
        );
        let arrays: Vec<&[Json]> = match &body {
            Json::Object(m) => m.iter().filter_map(|(_, v)| v.as_array()).collect(),
            Json::Array(items) => vec![items.as_slice()],
            _ => Vec::new(),
        };
        for (i, (model, w)) in page.models.iter().zip(models).enumerate() {
            let Json::Object(members) = w else {
                panic!("{ctx}[{i}]: a model expectation must be an object");
            };
            let got = model.clone().into_json(p.as_str());
            for (key, value) in members {
                assert!(
                    MODEL_KEYS.contains(&key.as_str()),
                    "{ctx}[{i}]: unknown model key {key:?} (known: {MODEL_KEYS:?})"
                );
                assert!(
                    got.get(key).is_some_and(|g| json_eq(g, value)),
                    "{ctx}[{i}]: {key}: expected {value:?}, got {:?}",
                    got.get(key)
                );
            }
            assert!(
                arrays
                    .iter()
                    .any(|a| a.get(i).is_some_and(|item| model.raw == *item)),
                "{ctx}[{i}]: raw is not item {i} of the body's list"
            );
        }
        return;
    }
    if fx.operation == "list" {
        let jobs = parse_list(p, resp).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
        let want = fx
            .spec
            .get("expect_list")
            .and_then(Json::as_array)
            .unwrap_or_else(|| panic!("{ctx}: expect_list must be an array"));
        assert_eq!(jobs.len(), want.len(), "{ctx}: number of jobs");
        // Each job's raw is its own item of the body's array.
        let arrays: Vec<&[Json]> = match &body {
            Json::Object(m) => m.iter().filter_map(|(_, v)| v.as_array()).collect(),
            _ => Vec::new(),
        };
        for (i, (job, w)) in jobs.iter().zip(want).enumerate() {
            let ctx = format!("{ctx}[{i}]");
            check_job(&ctx, job, w, p);
            assert!(
                arrays
                    .iter()
                    .any(|a| a.get(i).is_some_and(|item| job.raw == *item)),
                "{ctx}: raw is not item {i} of the body's list"
            );
        }
        return;
    }
    let job = match fx.operation.as_str() {
        "callback" => callback(resp),
        "submit" => parse_submit(p, resp),
        "status" => parse_status(p, &fx.id, resp),
        _ => parse_cancel(p, &fx.id, resp),
    }
    .unwrap_or_else(|e| panic!("{ctx}: expected a job, got error {e:?}"));
    let want = fx.spec.get("expect").expect("expect");
    assert!(
        want.get("status").is_some(),
        "{ctx}: a job expectation needs \"status\""
    );
    check_job(ctx, &job, want, p);
    assert_eq!(job.raw, body, "{ctx}: job.raw must be the body as received");
    if let Some(text) = &resp.json_text {
        // A JSON body is handed on as the very text received, not a copy written again.
        let mut written = String::new();
        job.raw.write_json(&mut written);
        assert_eq!(written, **text, "{ctx}: job.raw must be the received text");
        assert!(
            matches!(job.raw, Raw::Text(_)),
            "{ctx}: raw kept as a value"
        );
    }
}

#[test]
fn golden_fixtures() {
    let by_provider = fixture_files();
    let mut total = 0;
    let mut failures = Vec::new();
    for (name, files) in &by_provider {
        assert!(
            !files.is_empty(),
            "tests/fixtures/{name} has no fixtures: every provider needs golden bodies"
        );
        let provider = Provider::from_name(name).unwrap();
        for file in files {
            let fx = load(provider, file);
            // Collect every failure so one run reports them all.
            if let Err(panic) = std::panic::catch_unwind(|| run(&fx)) {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {msg}", fx.name));
            }
        }
        println!("golden: {name}: {} fixtures", files.len());
        total += files.len();
    }
    println!("golden: {total} fixtures in all");
    assert!(
        failures.is_empty(),
        "{} golden fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The fixture folder covers each provider's operations.
#[test]
fn fixtures_cover_every_operation() {
    let by_provider = fixture_files();
    for (name, files) in &by_provider {
        let ops: Vec<String> = files
            .iter()
            .map(|f| load(Provider::from_name(name).unwrap(), f).operation)
            .collect();
        for op in ["submit", "status"] {
            assert!(ops.iter().any(|o| o == op), "{name}: no {op} fixture");
        }
    }
    let has = |p: &str, op: &str| {
        by_provider[p]
            .iter()
            .any(|f| load(Provider::from_name(p).unwrap(), f).operation == op)
    };
    assert!(has("socaity", "cancel"));
    assert!(has("optexity", "list"));
    assert!(has("optexity", "callback"));
    assert!(has("serika", "list"));
    for op in ["estimate", "balance", "models"] {
        assert!(has("deapi", op), "deapi: no {op} fixture");
    }
    assert!(has("serika", "models"));
}

// ------------------------------------------------------------------------------------------
// Status-mapping tables: every documented word (seed + providers.md §6) → normalized status.
// ------------------------------------------------------------------------------------------

fn status_body(provider: Provider, word: &str) -> Json {
    let w = Json::String(word.to_string());
    match provider {
        Provider::Socaity => Json::object([("job_id", "job_1".into()), ("status", w)]),
        Provider::Optexity => Json::object([
            ("success", Json::Bool(true)),
            ("task_id", "job_1".into()),
            ("status", w),
        ]),
        Provider::Deapi => Json::object([("data", Json::object([("status", w)]))]),
        Provider::Serika => Json::object([("id", "job_1".into()), ("status", w)]),
    }
}

fn mapped(provider: Provider, word: &str) -> Result<JobStatus, Error> {
    let resp = HttpResponse::json(200, status_body(provider, word));
    parse_status(provider, "job_1", &resp).map(|j| j.status)
}

fn check_table(provider: Provider, table: &[(&str, JobStatus)]) {
    let mut bad = Vec::new();
    for &(word, want) in table {
        match mapped(provider, word) {
            Ok(got) if got == want => {}
            other => bad.push(format!(
                "{word:?}: expected {}, got {other:?}",
                want.as_str()
            )),
        }
    }
    // Words no document uses stay UNKNOWN (non-terminal: polling goes on).
    for word in ["", "bogus", "warming_up", "done!", "42"] {
        if !table.iter().any(|(w, _)| w.eq_ignore_ascii_case(word)) {
            match mapped(provider, word) {
                Ok(JobStatus::Unknown) => {}
                other => bad.push(format!("{word:?}: expected UNKNOWN, got {other:?}")),
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} status mapping:\n{}",
        provider.as_str(),
        bad.join("\n")
    );
}

#[test]
fn status_table_socaity() {
    use JobStatus::*;
    check_table(
        Provider::Socaity,
        &[
            // Seed 000 (REST reference), upper case.
            ("PENDING", Pending),
            ("QUEUED", Queued),
            ("PROCESSING", Processing),
            ("STREAMING", Streaming),
            ("FINISHED", Finished),
            ("FAILED", Failed),
            ("TIMEOUT", Timeout),
            ("CANCELLED", Cancelled),
            ("UNKNOWN", Unknown),
            // APIPod, lower case (providers.md §1).
            ("pending", Pending),
            ("queued", Queued),
            ("processing", Processing),
            ("streaming", Streaming),
            ("finished", Finished),
            ("failed", Failed),
            ("timeout", Timeout),
            ("cancelled", Cancelled),
            // RunPod / Replicate synonyms the SDK accepts.
            ("IN_QUEUE", Queued),
            ("IN_PROGRESS", Processing),
            ("COMPLETED", Finished),
            ("SUCCEEDED", Finished),
            ("TIMED_OUT", Timeout),
            ("CANCELED", Cancelled),
            ("ABORTED", Cancelled),
            ("in_queue", Queued),
            ("completed", Finished),
            // Mixed case and surrounding whitespace.
            ("Finished", Finished),
            (" processing ", Processing),
        ],
    );
    // `not_found` is an error, not a status (providers.md §1, §6).
    for word in ["not_found", "NOT_FOUND"] {
        let err = mapped(Provider::Socaity, word).expect_err(word);
        assert_eq!(err.code.as_str(), "NOT_FOUND", "{word}");
    }
}

#[test]
fn status_table_optexity() {
    use JobStatus::*;
    check_table(
        Provider::Optexity,
        &[
            // Seed 001 (legacy).
            ("running", Processing),
            ("completed", Finished),
            ("failed", Failed),
            // Legacy start answer.
            ("started", Queued),
            // Current API (schema/task.py).
            ("queued", Queued),
            ("allocated", Queued),
            ("success", Finished),
            ("cancelled", Cancelled),
            ("killed", Cancelled),
            ("RUNNING", Processing),
        ],
    );
}

#[test]
fn status_table_deapi() {
    use JobStatus::*;
    check_table(
        Provider::Deapi,
        &[
            // Seed 002 polling.
            ("pending", Pending),
            ("processing", Processing),
            ("done", Finished),
            ("error", Failed),
            // WebSocket word and the tester's defensive pending synonyms.
            ("in_progress", Processing),
            ("queued", Pending),
            ("in_queue", Pending),
            ("waiting", Pending),
            ("DONE", Finished),
        ],
    );
}

#[test]
fn status_table_serika() {
    use JobStatus::*;
    check_table(
        Provider::Serika,
        &[
            ("QUEUED", Queued),
            ("PROCESSING", Processing),
            ("COMPLETED", Finished),
            ("FAILED", Failed),
            ("completed", Finished),
        ],
    );
}

/// Terminal words give terminal jobs; UNKNOWN never does.
#[test]
fn terminal_words_are_terminal() {
    let cases: &[(Provider, &str, bool)] = &[
        (Provider::Socaity, "FINISHED", true),
        (Provider::Socaity, "UNKNOWN", false),
        (Provider::Socaity, "STREAMING", false),
        (Provider::Optexity, "killed", true),
        (Provider::Optexity, "running", false),
        (Provider::Deapi, "error", true),
        (Provider::Deapi, "pending", false),
        (Provider::Serika, "COMPLETED", true),
        (Provider::Serika, "QUEUED", false),
    ];
    for &(p, word, terminal) in cases {
        let status = mapped(p, word).unwrap();
        assert_eq!(status.is_terminal(), terminal, "{} {word}", p.as_str());
    }
}

// ------------------------------------------------------------------------------------------
// Regressions: parser bugs found by the fuzz/golden pass, fixed in src/.
// ------------------------------------------------------------------------------------------

fn job_of(r: Result<Job, Error>) -> Job {
    r.unwrap_or_else(|e| panic!("expected a job, got {e:?}"))
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

#[test]
fn optexity_submit_failed_carries_its_error() {
    let body = json(
        r#"{"success":true,"task_id":"task_555666777","status":"failed","error":"Invalid input data format","error_code":"INVALID_INPUT"}"#,
    );
    let job = job_of(parse_submit(
        Provider::Optexity,
        &HttpResponse::json(200, body),
    ));
    assert_eq!(job.status, JobStatus::Failed);
    let err = job.error.expect("a FAILED job carries its error");
    assert_eq!(err.code.as_deref(), Some("INVALID_INPUT"));
    assert_eq!(err.message, "Invalid input data format");
}

#[test]
fn socaity_progress_just_above_one_is_clamped() {
    for (p, want) in [(1.0000001, 1.0), (1.5, 1.0)] {
        let body = Json::object([
            ("job_id", "j".into()),
            ("status", "processing".into()),
            ("progress", Json::Number(p)),
        ]);
        let job = job_of(parse_status(
            Provider::Socaity,
            "j",
            &HttpResponse::json(200, body),
        ));
        let got = job.progress.unwrap();
        assert!(
            (got - want).abs() < 1e-6,
            "progress {p} → {got}, want {want}"
        );
    }
}

#[test]
fn socaity_sync_submit_truncated_json_is_bad_response() {
    let resp = HttpResponse::from_text(200, Vec::new(), r#"{"text": "echo: hel"#.into());
    assert!(matches!(resp.body, Body::Text(_)));
    let err = parse_submit(Provider::Socaity, &resp).expect_err("truncated JSON");
    assert_eq!(err.code.as_str(), "BAD_RESPONSE");
}

#[test]
fn null_timestamp_blocks_fallback() {
    let body = json(
        r#"{"data":{"status":"processing","created_at":null,"started_at":"2024-01-15T10:30:00Z"}}"#,
    );
    let job = job_of(parse_status(
        Provider::Deapi,
        "a",
        &HttpResponse::json(200, body),
    ));
    assert_eq!(job.created_at.as_deref(), Some("2024-01-15T10:30:00Z"));
    let body =
        json(r#"{"id":"x","status":"COMPLETED","completed_at":null,"finished_at":1677858300}"#);
    let job = job_of(parse_status(
        Provider::Serika,
        "x",
        &HttpResponse::json(200, body),
    ));
    assert_eq!(job.completed_at.as_deref(), Some("2023-03-03T15:45:00Z"));
}
