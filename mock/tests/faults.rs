//! Fault injection, in process: every kind on every provider and operation it applies to, the
//! `after`/`times` counters, per-client header rules, the rate mode and the introspection fields.
//! Real sockets (resets, slow headers over TCP) are in `faults_net.rs`.

mod common;
use common::*;
use polyjob_mock::faults::{Kind, RateConfig};
use polyjob_mock::Config;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
enum P {
    Socaity,
    Optexity,
    Deapi,
    Serika,
}

const ALL: [P; 4] = [P::Socaity, P::Optexity, P::Deapi, P::Serika];

impl P {
    fn auth(self) -> (&'static str, &'static str) {
        if self == P::Optexity {
            XKEY
        } else {
            BEARER
        }
    }

    /// (uri, body) of a valid submit carrying `mock`.
    fn submit(self, mock: &Value) -> (&'static str, String) {
        let (uri, body) = match self {
            P::Socaity => ("/socaity/v1/m/generate", json!({"prompt": "p"})),
            P::Optexity => ("/optexity/api/v1/inference", json!({"endpoint_name": "e"})),
            P::Deapi => (
                "/deapi/api/v1/client/txt2img",
                json!({"prompt": "p", "model": "m"}),
            ),
            P::Serika => ("/serika/jobs/images", json!({"prompt": "p", "model": "m"})),
        };
        let mut body = body;
        body["mock"] = mock.clone();
        (uri, body.to_string())
    }

    /// (method, uri, body) of a status read.
    fn status(self, id: &str) -> (&'static str, String, String) {
        match self {
            P::Socaity => ("GET", format!("/socaity/v1/jobs/{id}"), String::new()),
            P::Optexity => (
                "POST",
                "/optexity/api/v1/inference/call".to_owned(),
                json!({ "task_id": id }).to_string(),
            ),
            P::Deapi => (
                "GET",
                format!("/deapi/api/v1/client/request-status/{id}"),
                String::new(),
            ),
            P::Serika => ("GET", format!("/serika/jobs/{id}"), String::new()),
        }
    }

    /// The job object inside a status body (deAPI wraps it in `data`).
    fn job(self, body: &Value) -> &Value {
        if self == P::Deapi {
            &body["data"]
        } else {
            body
        }
    }
}

/// Queued for 0 ms, processing for 1000 ms in 4 steps.
fn timing() -> Value {
    json!({"queue_ms": 0, "duration_ms": 1000, "steps": 4})
}

fn with_faults(faults: Value) -> Value {
    let mut m = timing();
    m["faults"] = faults;
    m
}

async fn submit(m: &Mock, p: P, mock: &Value, extra: &[(&str, &str)]) -> RawResp {
    let (uri, body) = p.submit(mock);
    let mut h = vec![p.auth(), ("content-type", "application/json")];
    h.extend_from_slice(extra);
    m.send_raw("POST", uri, &h, &body).await
}

async fn status(m: &Mock, p: P, id: &str, extra: &[(&str, &str)]) -> RawResp {
    let (method, uri, body) = p.status(id);
    let mut h = vec![p.auth(), ("content-type", "application/json")];
    h.extend_from_slice(extra);
    m.send_raw(method, &uri, &h, &body).await
}

async fn jobs(m: &Mock) -> Vec<Value> {
    let r = m.send("GET", "/__mock/jobs", &[], "").await;
    assert_eq!(r.status, 200);
    r.json().as_array().unwrap().clone()
}

/// Submits a job with `faults` (none firing on the submit) and returns its id.
async fn job_with(m: &Mock, p: P, faults: Value) -> String {
    let r = submit(m, p, &with_faults(faults), &[]).await;
    assert!(r.status < 300, "{p:?} submit: {}", r.status);
    jobs(m).await.last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn stats(m: &Mock) -> Value {
    m.send("GET", "/__mock/stats", &[], "").await.json()
}

#[tokio::test(start_paused = true)]
async fn status_code_faults_on_every_provider() {
    let m = Mock::new();
    for p in ALL {
        for code in [429u16, 500, 502, 503, 504] {
            let id = job_with(&m, p, json!([{ "kind": code.to_string() }])).await;
            let r = status(&m, p, &id, &[]).await;
            assert_eq!(r.status, code, "{p:?} {code}");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("x-mock-fault"), Some(code.to_string().as_str()));
            let b = r.json();
            match p {
                P::Socaity => assert!(b["detail"].is_string(), "{b}"),
                P::Optexity => {
                    assert_eq!(b["success"], false);
                    assert!(b["message"].is_string());
                }
                P::Deapi => {
                    assert_eq!(b["statusCode"], code);
                    assert_eq!(b["data"], Value::Null);
                    assert_eq!(b["errors"], json!([]));
                }
                P::Serika => {
                    assert!(b["error"]["message"].is_string());
                    assert!(b["error"]["code"].is_string());
                    let t = if code == 429 {
                        "rate_limit_error"
                    } else {
                        "server_error"
                    };
                    assert_eq!(b["error"]["type"], t);
                }
            }
            // No retry headers unless asked for; deAPI's 429 names its limit.
            assert_eq!(r.header("retry-after"), None);
            let rl = (p == P::Deapi && code == 429).then_some("rpm");
            assert_eq!(r.header("x-ratelimit-type"), rl);
            // times defaults to 1: the next read is normal.
            let again = status(&m, p, &id, &[]).await;
            assert_eq!(again.status, 200);
            assert_eq!(again.header("x-mock-fault"), None);
            let j = m.introspect(&id).await;
            assert_eq!(j["faults_fired"].as_array().unwrap().len(), 1);
            assert_eq!(j["faults_fired"][0]["kind"], code.to_string());
            assert_eq!(j["faults_fired"][0]["on"], "status");
            assert_eq!(j["faults_fired"][0]["at_ms"], T0_MS);
            assert_eq!(j["rejected"], false);
        }
    }
    let s = stats(&m).await;
    assert_eq!(
        s["faults_fired"],
        json!({"429": 4, "500": 4, "502": 4, "503": 4, "504": 4})
    );
}

#[tokio::test(start_paused = true)]
async fn socaity_503_is_a_cold_start() {
    let m = Mock::new();
    let id = job_with(&m, P::Socaity, json!([{"kind": 503, "retry_after": 30}])).await;
    let r = status(&m, P::Socaity, &id, &[]).await;
    assert_eq!(r.status, 503);
    assert!(r.json()["detail"].as_str().unwrap().contains("cold start"));
    assert_eq!(r.header("retry-after"), Some("30"));
}

#[tokio::test(start_paused = true)]
async fn retry_after_forms() {
    let m = Mock::new();
    let cases = [
        (json!({"kind": "429", "retry_after": 3}), Some("3"), None),
        (json!({"kind": "429", "retry_after": 0.2}), Some("1"), None),
        (
            json!({"kind": "429", "retry_after_ms": 1500}),
            None,
            Some("1500"),
        ),
        (
            json!({"kind": "429", "retry_after": 60, "retry_after_date": true, "retry_after_ms": 60000}),
            Some("Mon, 15 Jan 2024 10:31:00 GMT"),
            Some("60000"),
        ),
        (json!({"kind": "503", "retry_after": 2}), Some("2"), None),
        // Retry headers belong to 429 / 503 only.
        (json!({"kind": "500", "retry_after": 2}), None, None),
    ];
    for p in ALL {
        for (rule, ra, ms) in &cases {
            let id = job_with(&m, p, json!([rule])).await;
            let r = status(&m, p, &id, &[]).await;
            assert_eq!(r.header("retry-after"), *ra, "{p:?} {rule}");
            assert_eq!(r.header("retry-after-ms"), *ms, "{p:?} {rule}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn status_faults_on_submit_reject_the_job() {
    let m = Mock::new();
    for p in ALL {
        let mock = with_faults(json!([{"kind": 429, "on": "submit", "retry_after": 1}]));
        let r = submit(&m, p, &mock, &[]).await;
        assert_eq!(r.status, 429, "{p:?}");
        assert_eq!(r.header("retry-after"), Some("1"));
        let j = jobs(&m).await.last().unwrap().clone();
        assert_eq!(j["rejected"], true);
        assert_eq!(j["faults_fired"][0]["on"], "submit");
        // The provider never created it.
        let id = j["id"].as_str().unwrap();
        assert_eq!(status(&m, p, id, &[]).await.status, 404, "{p:?}");
    }
    let list = m.get("/serika/jobs", BEARER).await.json();
    assert_eq!(list, json!({"jobs": []}));
    let list = m
        .post("/optexity/api/v1/inference/all_calls", XKEY, &json!({}))
        .await
        .json();
    assert_eq!(list["total_requests"], 0);
}

#[tokio::test(start_paused = true)]
async fn body_faults_on_status_and_submit() {
    let m = Mock::new();
    for p in ALL {
        for on in ["status", "submit"] {
            for kind in [
                "truncated_json",
                "html_200",
                "empty_body",
                "wrong_content_type",
            ] {
                let mock = with_faults(json!([{"kind": kind, "on": on}]));
                let (normal, faulty) = if on == "submit" {
                    let faulty = submit(&m, p, &mock, &[]).await;
                    let normal = submit(&m, p, &with_faults(json!([])), &[]).await;
                    (normal, faulty)
                } else {
                    let id = job_with(&m, p, json!([{"kind": kind}])).await;
                    let faulty = status(&m, p, &id, &[]).await;
                    (status(&m, p, &id, &[]).await, faulty)
                };
                let what = format!("{p:?} {on} {kind}");
                let (nb, fb) = (normal.bytes(), faulty.bytes());
                assert_eq!(faulty.header("x-mock-fault"), Some(kind), "{what}");
                match kind {
                    "truncated_json" => {
                        assert_eq!(faulty.status, 200, "{what}");
                        if on == "status" {
                            assert_eq!(fb, &nb[..nb.len() / 2], "{what}");
                        } else {
                            assert_eq!(fb.len(), nb.len() / 2, "{what}");
                        }
                        assert!(serde_json::from_slice::<Value>(fb).is_err());
                        assert_eq!(faulty.header("content-type"), Some("application/json"));
                    }
                    "html_200" => {
                        assert_eq!(faulty.status, 200);
                        assert!(faulty
                            .header("content-type")
                            .unwrap()
                            .starts_with("text/html"));
                        assert!(fb.starts_with(b"<!DOCTYPE html>"), "{what}");
                    }
                    "empty_body" => {
                        assert_eq!(faulty.status, 200);
                        assert!(fb.is_empty(), "{what}");
                    }
                    _ => {
                        assert_eq!(faulty.status, normal.status);
                        assert_eq!(
                            faulty.header("content-type"),
                            Some("text/plain; charset=utf-8")
                        );
                        if on == "status" {
                            assert_eq!(fb, nb, "{what}");
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn unknown_status_rewrites_the_status_word() {
    let m = Mock::new();
    for p in ALL {
        let id = job_with(&m, p, json!([{"kind": "unknown_status"}])).await;
        let b = status(&m, p, &id, &[]).await.json();
        assert_eq!(p.job(&b)["status"], "mystery_state", "{p:?}");
        let b = status(&m, p, &id, &[]).await.json();
        assert_ne!(p.job(&b)["status"], "mystery_state");
    }
    // On a submit: only where the submit answer has a status word (Socaity, Serika).
    for p in ALL {
        let mock = with_faults(json!([{"kind": "unknown_status", "on": "submit"}]));
        let r = submit(&m, p, &mock, &[]).await;
        let fired = jobs(&m).await.last().unwrap()["faults_fired"].clone();
        if matches!(p, P::Socaity | P::Serika) {
            assert_eq!(r.json()["status"], "mystery_state", "{p:?}");
            assert_eq!(fired[0]["kind"], "unknown_status");
        } else {
            assert_eq!(r.header("x-mock-fault"), None, "{p:?}");
            assert_eq!(fired, json!([]), "nothing to rewrite, nothing fired");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn progress_faults() {
    let m = Mock::new();
    let out_of_range = [json!(2.5), json!(250), json!(250.0), json!(250.0)];
    for (p, expect) in ALL.into_iter().zip(out_of_range) {
        let id = job_with(
            &m,
            p,
            json!([{"kind": "progress_out_of_range", "times": 2}, {"kind": "progress_string", "after": 2}]),
        )
        .await;
        let b = status(&m, p, &id, &[]).await.json();
        assert_eq!(p.job(&b)["progress"], expect, "{p:?}");
        advance(500).await;
        let b = status(&m, p, &id, &[]).await.json();
        assert_eq!(p.job(&b)["progress"], expect, "{p:?}");
        // Processing at 50 %: the string form of the provider's own scale.
        let b = status(&m, p, &id, &[]).await.json();
        let text = match p {
            P::Socaity => "0.50",
            P::Serika => "0.00",
            _ => "50.00",
        };
        assert_eq!(p.job(&b)["progress"], text, "{p:?}");
        let fired: Vec<Value> = m.introspect(&id).await["faults_fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].clone())
            .collect();
        assert_eq!(
            fired,
            [
                "progress_out_of_range",
                "progress_out_of_range",
                "progress_string"
            ]
        );
        advance(600).await;
    }
}

#[tokio::test(start_paused = true)]
async fn gone_is_the_providers_404_from_then_on() {
    let m = Mock::new();
    for p in ALL {
        let id = job_with(&m, p, json!([{"kind": "gone", "after": 1}])).await;
        assert_eq!(status(&m, p, &id, &[]).await.status, 200);
        let gone = status(&m, p, &id, &[]).await;
        assert_eq!(gone.status, 404, "{p:?}");
        // Exactly what the provider answers for an id it never had.
        let unknown = status(&m, p, "nope", &[]).await;
        let expect = unknown.json().to_string().replace("nope", &id);
        assert_eq!(gone.json().to_string(), expect, "{p:?}");
        for _ in 0..3 {
            assert_eq!(status(&m, p, &id, &[]).await.status, 404);
        }
        let j = m.introspect(&id).await;
        assert_eq!(j["faults_fired"].as_array().unwrap().len(), 4);
        assert_eq!(j["faults"][0]["times"], -1);
    }
}

#[tokio::test(start_paused = true)]
async fn regress_shows_a_terminal_job_processing_again() {
    let m = Mock::new();
    for p in ALL {
        let id = job_with(&m, p, json!([{"kind": "regress"}])).await;
        // Not terminal yet: the rule does not count these.
        advance(500).await;
        let b = status(&m, p, &id, &[]).await.json();
        let processing = p.job(&b)["status"].clone();
        advance(600).await;
        let r = status(&m, p, &id, &[]).await;
        assert_eq!(r.header("x-mock-fault"), Some("regress"), "{p:?}");
        let b = r.json();
        assert_eq!(p.job(&b)["status"], processing, "{p:?}");
        let progress = match p {
            P::Socaity => json!(0.75),
            P::Optexity => json!(75),
            P::Deapi => json!(75.0),
            P::Serika => Value::Null,
        };
        assert_eq!(p.job(&b)["progress"], progress, "{p:?}");
        let b = status(&m, p, &id, &[]).await.json();
        assert_ne!(p.job(&b)["status"], processing, "terminal again");
        let j = m.introspect(&id).await;
        assert_eq!(j["faults"][0]["fired"], 1);
        assert_eq!(j["faults_fired"][0]["kind"], "regress");
    }
}

#[tokio::test(start_paused = true)]
async fn duplicate_terminal_does_not_touch_polling() {
    let m = Mock::new();
    for p in ALL {
        let id = job_with(&m, p, json!([{"kind": "duplicate_terminal", "on": "any"}])).await;
        advance(1100).await;
        for _ in 0..3 {
            let r = status(&m, p, &id, &[]).await;
            assert_eq!((r.status, r.header("x-mock-fault")), (200, None));
        }
        let j = m.introspect(&id).await;
        assert_eq!(
            j["faults"],
            json!([{"kind": "duplicate_terminal", "on": "any", "after": 0, "times": 1, "source": "job", "fired": 0}])
        );
        assert_eq!(j["faults_fired"], json!([]));
    }
}

#[tokio::test(start_paused = true)]
async fn slow_headers_waits_then_answers_normally() {
    let m = Mock::new();
    for p in ALL {
        let id = job_with(&m, p, json!([{"kind": "slow_headers", "delay_ms": 5000}])).await;
        let t = tokio::time::Instant::now();
        let r = status(&m, p, &id, &[]).await;
        assert!(t.elapsed() >= std::time::Duration::from_millis(5000));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-mock-fault"), Some("slow_headers"));
        let t = tokio::time::Instant::now();
        status(&m, p, &id, &[]).await;
        assert!(t.elapsed() < std::time::Duration::from_millis(5));
        assert_eq!(
            m.introspect(&id).await["faults"][0]["delay_ms"],
            json!(5000)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn resets_in_process_fail_the_body() {
    let m = Mock::new();
    for p in ALL {
        for kind in ["reset_before", "reset_after"] {
            let id = job_with(&m, p, json!([{ "kind": kind }])).await;
            let r = status(&m, p, &id, &[]).await;
            assert!(r.body.is_err(), "{p:?} {kind}");
            let normal = status(&m, p, &id, &[]).await;
            if kind == "reset_after" {
                assert_eq!(
                    r.header("content-length"),
                    Some(normal.bytes().len().to_string().as_str())
                );
            }
        }
        // A reset submit still creates the job.
        let mock = with_faults(json!([{"kind": "reset_before", "on": "submit"}]));
        assert!(submit(&m, p, &mock, &[]).await.body.is_err());
        let j = jobs(&m).await.last().unwrap().clone();
        assert_eq!(j["rejected"], false);
        assert_eq!(j["faults_fired"][0]["kind"], "reset_before");
        let id = j["id"].as_str().unwrap();
        assert_eq!(status(&m, p, id, &[]).await.status, 200, "{p:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn after_and_times_count_matching_requests() {
    let m = Mock::new();
    let id = job_with(
        &m,
        P::Deapi,
        json!([{"kind": 500, "after": 2, "times": 2}, {"kind": 502, "on": "any", "after": 6, "times": -1}]),
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..9 {
        got.push(status(&m, P::Deapi, &id, &[]).await.status);
    }
    // The 502 rule counted the submit too (on: any), so it is due from the 6th status read.
    assert_eq!(got, [200, 200, 500, 500, 200, 502, 502, 502, 502]);
    let j = m.introspect(&id).await;
    assert_eq!(j["faults"][0]["fired"], 2);
    assert_eq!(j["faults"][1]["fired"], 4);
    assert_eq!(j["faults_fired"].as_array().unwrap().len(), 6);

    // Two rules due at once: one fault per request, the other waits its turn.
    let id = job_with(&m, P::Serika, json!([{"kind": 429}, {"kind": 503}])).await;
    let got: Vec<u16> = [
        status(&m, P::Serika, &id, &[]).await.status,
        status(&m, P::Serika, &id, &[]).await.status,
        status(&m, P::Serika, &id, &[]).await.status,
    ]
    .into();
    assert_eq!(got, [429, 503, 200]);
    // times: 0 never fires.
    let id = job_with(&m, P::Serika, json!([{"kind": 500, "times": 0}])).await;
    assert_eq!(status(&m, P::Serika, &id, &[]).await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn cancel_faults_after_the_cancel_happened() {
    let m = Mock::new();
    let id = job_with(
        &m,
        P::Socaity,
        json!([{"kind": 502, "on": "cancel"}, {"kind": "unknown_status", "on": "cancel"}]),
    )
    .await;
    let h = [BEARER];
    let r = m
        .send_raw("DELETE", &format!("/socaity/v1/jobs/{id}"), &h, "")
        .await;
    assert_eq!(r.status, 502);
    assert_eq!(m.introspect(&id).await["cancelled_at_ms"], T0_MS);
    let r = m
        .send_raw("POST", &format!("/socaity/cancel/{id}"), &h, "")
        .await;
    // Already terminal: the unchanged job body, with its status word rewritten.
    assert_eq!(r.json()["status"], "mystery_state");
    assert_eq!(status(&m, P::Socaity, &id, &[]).await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn client_rules_from_the_header() {
    let m = Mock::new();
    let rules =
        r#"[{"kind":"503","on":"submit","times":2,"retry_after":1},{"kind":"500","on":"list"}]"#;
    let h = [("x-mock-faults", rules)];
    let mock = timing();
    let mut codes = Vec::new();
    for p in ALL {
        codes.push(submit(&m, p, &mock, &h).await.status);
    }
    assert_eq!(codes, [503, 503, 200, 200], "counters per header value");
    // Another value (even one that parses the same) has its own counters.
    let spaced = rules.replace(',', ", ");
    let h2 = [("x-mock-faults", spaced.as_str())];
    assert_eq!(submit(&m, P::Serika, &mock, &h2).await.status, 503);
    // Requests without the header are untouched (this one takes up the job the refused submit
    // left, as a retry would).
    assert_eq!(submit(&m, P::Serika, &mock, &[]).await.status, 200);
    // Lists: no job, but the client's rule applies.
    let list = m.send_raw("GET", "/serika/jobs", &[BEARER, h[0]], "").await;
    assert_eq!(list.status, 500);
    assert_eq!(list.json()["error"]["code"], "internal_error");
    assert_eq!(
        m.send_raw("GET", "/serika/jobs", &[BEARER, h[0]], "")
            .await
            .status,
        200
    );
    let all = m
        .send_raw(
            "POST",
            "/optexity/api/v1/inference/all_calls",
            &[XKEY, h2[0]],
            "",
        )
        .await;
    assert_eq!(all.status, 500);
    // A client rule firing on a job's request is recorded on that job.
    let jobs = jobs(&m).await;
    assert_eq!(jobs.len(), 5);
    assert_eq!(jobs[0]["faults_fired"][0]["kind"], "503");
    assert_eq!(
        jobs[0]["faults"],
        json!([]),
        "client rules are not the job's"
    );
    assert_eq!(jobs[0]["rejected"], true);
    assert_eq!(jobs[2]["faults_fired"], json!([]));
    assert_eq!(jobs[4]["faults_fired"][0]["kind"], "503");
    assert_eq!(jobs[4]["rejected"], false);
    let s = stats(&m).await;
    assert_eq!(s["faults_fired"], json!({"500": 2, "503": 3}));

    // Status reads with a header rule; the job's own rules come first.
    let id = job_with(&m, P::Optexity, json!([{"kind": 429}])).await;
    let h3 = [("x-mock-faults", r#"[{"kind":"gone","times":1}]"#)];
    assert_eq!(status(&m, P::Optexity, &id, &h3).await.status, 429);
    assert_eq!(status(&m, P::Optexity, &id, &h3).await.status, 404);
    assert_eq!(status(&m, P::Optexity, &id, &h3).await.status, 200);
    let fired = m.introspect(&id).await["faults_fired"].clone();
    assert_eq!(fired[0]["kind"], "429");
    assert_eq!(fired[1]["kind"], "gone");
}

#[tokio::test(start_paused = true)]
async fn invalid_rules_are_ignored() {
    let m = Mock::new();
    let bad = [
        json!("500"),
        json!({"kind": "500"}),
        json!([{"kind": "boom"}, {"kind": 500, "on": "never"}, {"kind": 500, "times": "x"}, 7, null, [], {"kind": 500, "after": -3}]),
        json!([{"kind": {"nested": 1}}, {"kind": 1e300}, {"kind": 500, "delay_ms": "slow"}]),
    ];
    for p in ALL {
        for faults in &bad {
            let id = job_with(&m, p, faults.clone()).await;
            assert_eq!(status(&m, p, &id, &[]).await.status, 200);
            let j = m.introspect(&id).await;
            assert_eq!(
                (j["faults"].clone(), j["faults_fired"].clone()),
                (json!([]), json!([]))
            );
        }
        for header in [
            "",
            "not json",
            "{\"kind\":500}",
            "[1,2]",
            "[{\"kind\":\"x\"}]",
        ] {
            let h = [("x-mock-faults", header)];
            let r = submit(&m, p, &timing(), &h).await;
            assert!(r.status < 300, "{p:?} {header:?}");
        }
    }
    assert_eq!(stats(&m).await["faults_fired"], json!({}));
}

#[tokio::test(start_paused = true)]
async fn introspection_lists_jobs_with_their_faults() {
    let m = Mock::new();
    let a = job_with(
        &m,
        P::Socaity,
        json!([{"kind": 429, "retry_after": 2, "retry_after_date": true}]),
    )
    .await;
    let b = job_with(
        &m,
        P::Serika,
        json!([{"kind": "slow_headers", "on": "any", "delay_ms": 10}]),
    )
    .await;
    status(&m, P::Socaity, &a, &[]).await;
    let all = jobs(&m).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], m.introspect(&a).await, "newest last, same shape");
    assert_eq!(all[1]["id"], b);
    assert_eq!(
        all[0]["faults"],
        json!([{"kind": "429", "on": "status", "after": 0, "times": 1, "retry_after": 2,
                "retry_after_date": true, "source": "job", "fired": 1}])
    );
    assert_eq!(
        all[0]["faults_fired"],
        // `b`'s slow_headers (on: any) held its own submit for 10 ms.
        json!([{"kind": "429", "on": "status", "at_ms": T0_MS + 10}])
    );
    assert_eq!(
        all[1]["faults"][0],
        json!({"kind": "slow_headers", "on": "any", "after": 0, "times": 1, "delay_ms": 10,
               "source": "job", "fired": 1})
    );
    assert_eq!(all[1]["faults_fired"][0]["on"], "submit");
    assert_eq!(
        stats(&m).await["faults_fired"],
        json!({"429": 1, "slow_headers": 1})
    );
    m.send("POST", "/__mock/reset", &[], "").await;
    assert_eq!(jobs(&m).await, Vec::<Value>::new());
    assert_eq!(stats(&m).await["faults_fired"], json!({}));
}

fn rate_mock(rate: f64, seed: u64, kinds: Vec<Kind>) -> Mock {
    Mock::with_config(Config {
        fault_rate: RateConfig { rate, seed, kinds },
        ..Config::default()
    })
}

/// Submits `n` distinct Serika jobs (never reading bodies that may be cut) and returns each job's
/// rate rule.
async fn rate_run(m: &Mock, n: usize) -> Vec<Option<Value>> {
    for i in 0..n {
        let mut mock = timing();
        mock["tag"] = json!(i);
        let _ = submit(m, P::Serika, &mock, &[]).await;
    }
    jobs(m)
        .await
        .iter()
        .map(|j| {
            let f = j["faults"].as_array().unwrap();
            assert!(f.len() <= 1);
            f.first().cloned()
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn rate_mode_is_deterministic_and_roughly_at_rate() {
    let m = rate_mock(0.3, 7, Kind::rate_default());
    let first = rate_run(&m, 1000).await;
    let chosen: Vec<&Value> = first.iter().flatten().collect();
    assert!(
        (250..=350).contains(&chosen.len()),
        "{} of 1000 at rate 0.3",
        chosen.len()
    );
    for r in &chosen {
        assert_eq!(r["source"], "rate");
        let t = r["times"].as_u64().unwrap();
        assert!((1..=3).contains(&t));
        assert!(!(r["kind"] == "reset_before" && r["on"] == "submit"));
        assert!(
            !["slow_headers", "gone", "duplicate_terminal"].contains(&r["kind"].as_str().unwrap())
        );
    }
    let kinds: std::collections::BTreeSet<&str> =
        chosen.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 15, "every default kind drawn: {kinds:?}");
    // Submit faults that fired are counted.
    let fired: u64 = stats(&m).await["faults_fired"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    // Nothing polls here, so exactly the submit rules fired.
    let on_submit = chosen.iter().filter(|r| r["on"] == "submit").count() as u64;
    assert!(on_submit > 0);
    assert_eq!(fired, on_submit);

    // Same seed, same order of submits: same decisions — on a fresh server and after a reset.
    let without_counters = |v: &[Option<Value>]| -> Vec<Option<Value>> {
        v.iter()
            .map(|r| {
                r.clone().map(|mut r| {
                    r["fired"] = json!(0);
                    r
                })
            })
            .collect()
    };
    let again = rate_run(&rate_mock(0.3, 7, Kind::rate_default()), 1000).await;
    assert_eq!(without_counters(&first), without_counters(&again));
    m.send("POST", "/__mock/reset", &[], "").await;
    let replay = rate_run(&m, 200).await;
    assert_eq!(without_counters(&first[..200]), without_counters(&replay));
    let other = rate_run(&rate_mock(0.3, 8, Kind::rate_default()), 200).await;
    assert_ne!(without_counters(&first[..200]), without_counters(&other));
}

#[tokio::test(start_paused = true)]
async fn rate_mode_kinds_and_extremes() {
    let m = rate_mock(1.0, 1, vec![Kind::TooManyRequests, Kind::ProgressString]);
    let rules = rate_run(&m, 200).await;
    assert!(rules.iter().all(Option::is_some));
    for r in rules.iter().flatten() {
        assert!(r["kind"] == "429" || r["kind"] == "progress_string");
        if r["kind"] == "progress_string" {
            assert_eq!(r["on"], "status");
        }
    }
    let none = rate_run(&rate_mock(0.0, 1, Kind::rate_default()), 100).await;
    assert!(none.iter().all(Option::is_none));
    // Status rules of the rate mode fire on polling like any other.
    let m = rate_mock(1.0, 3, vec![Kind::InternalError]);
    let mut hit = 0;
    for i in 0..20 {
        let mut mock = timing();
        mock["tag"] = json!(i);
        let r = submit(&m, P::Deapi, &mock, &[]).await;
        if r.status == 500 {
            continue;
        }
        let id = r.json()["data"]["request_id"].as_str().unwrap().to_owned();
        let times = m.introspect(&id).await["faults"][0]["times"]
            .as_u64()
            .unwrap();
        let codes: Vec<u16> = {
            let mut v = Vec::new();
            for _ in 0..4 {
                v.push(status(&m, P::Deapi, &id, &[]).await.status);
            }
            v
        };
        assert_eq!(codes.iter().filter(|c| **c == 500).count() as u64, times);
        hit += 1;
    }
    assert!(hit > 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_submit_retried_continues_the_same_job() {
    let m = Mock::new();
    let faults = json!([{"kind": "429", "on": "submit", "retry_after": 0},
                        {"kind": "503", "on": "submit", "after": 1}]);
    for p in ALL {
        let mock = with_faults(faults.clone());
        let before = jobs(&m).await.len();
        assert_eq!(submit(&m, p, &mock, &[]).await.status, 429, "{p:?}");
        advance(100).await;
        assert_eq!(submit(&m, p, &mock, &[]).await.status, 503, "{p:?}");
        advance(100).await;
        let ok = submit(&m, p, &mock, &[]).await;
        assert!(ok.status < 300, "{p:?}");
        let all = jobs(&m).await;
        assert_eq!(all.len(), before + 1, "one job for the three attempts");
        let j = all.last().unwrap();
        let id = j["id"].as_str().unwrap();
        assert!(ok.bytes().windows(id.len()).any(|w| w == id.as_bytes()));
        assert_eq!(j["rejected"], false);
        let kinds: Vec<&str> = j["faults_fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["429", "503"]);
        // Its life starts at the accepted submit.
        let now = m.state.clock.now_ms();
        assert_eq!(j["submitted_at_ms"], now);
        assert_eq!(status(&m, p, id, &[]).await.status, 200);
        // Once accepted, the same body again is a new job, with fresh counters.
        assert_eq!(submit(&m, p, &mock, &[]).await.status, 429);
        assert_eq!(jobs(&m).await.len(), before + 2);
    }
}

#[tokio::test(start_paused = true)]
async fn an_idempotency_key_names_the_same_job() {
    let m = Mock::new();
    for p in ALL {
        let mock = with_faults(json!([{"kind": "reset_after", "on": "submit"}]));
        let key = format!("idem-{p:?}");
        let h = [("idempotency-key", key.as_str())];
        let first = submit(&m, p, &mock, &h).await;
        assert!(first.body.is_err(), "{p:?}");
        let id = jobs(&m).await.last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let again = submit(&m, p, &mock, &h).await;
        assert!(again.status < 300);
        assert!(
            again.bytes().windows(id.len()).any(|w| w == id.as_bytes()),
            "{p:?}"
        );
        let all = jobs(&m).await;
        assert_eq!(all.last().unwrap()["id"], id.as_str(), "no new job");
        assert_eq!(all.last().unwrap()["faults"][0]["fired"], 1);
        // Without the key the same body is a new job (and its rule fires again).
        assert!(submit(&m, p, &mock, &[]).await.body.is_err());
        assert_ne!(jobs(&m).await.last().unwrap()["id"], id.as_str());
    }
}
