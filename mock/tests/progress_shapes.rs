//! `mock.progress_shape` and `mock.eta_error`: the poll fleet's progress shapes (issue 21) on the
//! wire of each provider, and Optexity's ETA off by a factor.

mod common;
use common::*;
use serde_json::{json, Value};

async fn socaity(m: &Mock, mock: Value) -> String {
    let r = m
        .post(
            "/socaity/v1/acme/text-model/generate",
            BEARER,
            &json!({"prompt": "p", "mock": mock}),
        )
        .await;
    assert_eq!(r.status, 202);
    r.json()["job_id"].as_str().unwrap().to_owned()
}

async fn socaity_progress(m: &Mock, id: &str) -> Value {
    m.get(&format!("/socaity/v1/jobs/{id}"), BEARER)
        .await
        .json()["progress"]
        .clone()
}

async fn deapi(m: &Mock, mock: Value) -> String {
    let body = json!({"prompt": "p", "model": "Flux1schnell", "width": 512, "height": 512,
                      "seed": 1, "mock": mock});
    let r = m.post("/deapi/api/v1/client/txt2img", BEARER, &body).await;
    assert_eq!(r.status, 200);
    r.json()["data"]["request_id"].as_str().unwrap().to_owned()
}

async fn deapi_progress(m: &Mock, id: &str) -> Value {
    let r = m
        .get(&format!("/deapi/api/v1/client/request-status/{id}"), BEARER)
        .await;
    r.json()["data"]["progress"].clone()
}

async fn optexity(m: &Mock, mock: Value) -> String {
    let body = json!({"endpoint_name": "e", "input_parameters": {"q": ["x"]}, "mock": mock});
    let r = m.post("/optexity/api/v1/inference", XKEY, &body).await;
    assert_eq!(r.status, 202);
    r.json()["task_id"].as_str().unwrap().to_owned()
}

async fn optexity_call(m: &Mock, id: &str) -> Value {
    m.post(
        "/optexity/api/v1/inference/call",
        XKEY,
        &json!({"task_id": id}),
    )
    .await
    .json()
}

/// Each shape at the start of steps 0, 5, 10, 15 and 19 of 20 (1 s of processing after 200 ms of
/// queue), on Socaity (0..1 as computed), deAPI (percent, two decimals), Optexity (whole percent).
#[tokio::test(start_paused = true)]
async fn every_shape_follows_the_fleets_curve() {
    let cases: [(&str, [Option<f64>; 5]); 6] = [
        (
            "linear",
            [Some(0.0), Some(0.25), Some(0.5), Some(0.75), Some(0.95)],
        ),
        (
            "front",
            [
                Some(0.0),
                Some(0.4375),
                Some(0.75),
                Some(0.9375),
                Some(0.9975),
            ],
        ),
        (
            "back",
            [
                Some(0.0),
                Some(0.0625),
                Some(0.25),
                Some(0.5625),
                Some(0.9025),
            ],
        ),
        // Four stages of five steps: the first half of each stalls, the second rises.
        (
            "stalls",
            [Some(0.0), Some(0.25), Some(0.5), Some(0.75), Some(0.9)],
        ),
        (
            "jump",
            [Some(0.0), Some(0.125), Some(0.25), Some(0.375), Some(0.475)],
        ),
        ("none", [None; 5]),
    ];
    for (shape, want) in cases {
        let m = Mock::new();
        let mock =
            json!({"queue_ms": 200, "duration_ms": 1000, "steps": 20, "progress_shape": shape});
        let s = socaity(&m, mock.clone()).await;
        let d = deapi(&m, mock.clone()).await;
        let o = optexity(&m, mock).await;
        let mut at = 0;
        for (step, want) in [0u64, 5, 10, 15, 19].into_iter().zip(want) {
            advance(200 + step * 50 - at).await;
            at = 200 + step * 50;
            let round = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
            let raw = socaity_progress(&m, &s).await.as_f64();
            assert_eq!(
                raw.map(|x| round(x, 9)),
                want,
                "socaity {shape} step {step}"
            );
            let got = deapi_progress(&m, &d).await.as_f64();
            assert_eq!(
                got,
                want.map(|p| round(p * 100.0, 2)),
                "deapi {shape} step {step}"
            );
            let body = optexity_call(&m, &o).await;
            assert_eq!(body["status"], "running");
            let got = body.get("progress").and_then(Value::as_u64);
            // Whole percent rounded down from the curve's own value (stalls at 0.95: 0.8999… → 89),
            // as the fleet floors it.
            let pct = raw.map(|p| (p * 100.0).floor() as u64);
            assert_eq!(got, pct, "optexity {shape} step {step}");
            assert_eq!(body["estimated_completion"], "2024-01-15T10:30:01Z");
        }
        // The end is the same for every shape: 1.0 / 100.0, however far the curve had come.
        advance(1200 - at).await;
        assert_eq!(socaity_progress(&m, &s).await, json!(1.0), "{shape}");
        assert_eq!(deapi_progress(&m, &d).await, json!(100.0), "{shape}");
        assert_eq!(optexity_call(&m, &o).await["status"], "completed");
    }
}

#[tokio::test(start_paused = true)]
async fn stalls_hold_through_the_first_half_of_each_stage() {
    let m = Mock::new();
    let id = socaity(
        &m,
        json!({"queue_ms": 0, "duration_ms": 2000, "steps": 20, "progress_shape": "stalls"}),
    )
    .await;
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.push(socaity_progress(&m, &id).await.as_f64().unwrap());
        advance(100).await;
    }
    let want = [0.0, 0.0, 0.0, 0.05, 0.15, 0.25, 0.25, 0.25, 0.3, 0.4];
    for (k, w) in want.iter().enumerate() {
        assert!((seen[k] - w).abs() < 1e-9, "step {k}: {} vs {w}", seen[k]);
    }
}

#[tokio::test(start_paused = true)]
async fn eta_error_moves_optexitys_estimated_completion_only() {
    let m = Mock::new();
    // 200 ms queue + 10 s: the job ends at 10:30:10.2; the ETA says 5 s or 15 s of processing.
    let early = optexity(
        &m,
        json!({"queue_ms": 200, "duration_ms": 10_000, "eta_error": 0.5}),
    )
    .await;
    let late = optexity(
        &m,
        json!({"queue_ms": 200, "duration_ms": 10_000, "eta_error": "1.5"}),
    )
    .await;
    let exact = optexity(&m, json!({"queue_ms": 200, "duration_ms": 10_000})).await;
    advance(1000).await;
    assert_eq!(
        optexity_call(&m, &early).await["estimated_completion"],
        "2024-01-15T10:30:05Z"
    );
    // A string is the wrong type in JSON: exact.
    assert_eq!(
        optexity_call(&m, &late).await["estimated_completion"],
        "2024-01-15T10:30:10Z"
    );
    assert_eq!(
        optexity_call(&m, &exact).await["estimated_completion"],
        "2024-01-15T10:30:10Z"
    );
    // Submitted 1 s later: starts at 10:30:01.2, ETA 15 s later.
    let late = optexity(
        &m,
        json!({"queue_ms": 200, "duration_ms": 10_000, "eta_error": 1.5}),
    )
    .await;
    advance(1000).await;
    assert_eq!(
        optexity_call(&m, &late).await["estimated_completion"],
        "2024-01-15T10:30:16Z"
    );
    // The job itself still ends on time, whatever its ETA said.
    advance(8200).await;
    assert_eq!(optexity_call(&m, &early).await["status"], "completed");
    assert_eq!(
        m.introspect(&early).await["completes_at_ms"],
        T0_MS + 10_200
    );
}
