//! Socaity SSE over real sockets: chunks in order, ids and resuming after a drop, [DONE], the error
//! frame, keep-alive comments, 404/409, direct SSE; the `event: job` status records the gateway
//! multiplexes with the output (the output tests look at the unnamed records only).

mod net;
use net::*;
use polyjob_mock::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;

async fn submit(addr: SocketAddr, mock: Value) -> String {
    let r = post_json(
        addr,
        "/socaity/v1/chat/generate",
        &json!({"prompt": "hi", "mock": mock}),
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["job_id"].as_str().unwrap().to_owned()
}

async fn stream(addr: SocketAddr, id: &str, last: Option<&str>) -> Sse {
    let mut h = vec![bearer()];
    if let Some(l) = last {
        h.push(("Last-Event-ID", l));
    }
    Sse::open(addr, "GET", &format!("/socaity/stream/{id}"), &h, "").await
}

/// The output records of `blocks` (the `event: job` status records left out).
fn output(blocks: Vec<String>) -> Vec<String> {
    blocks
        .into_iter()
        .filter(|b| !b.starts_with("event: job"))
        .collect()
}

/// The job bodies of the `event: job` records of `blocks`, in order.
fn statuses(blocks: &[String]) -> Vec<Value> {
    blocks
        .iter()
        .filter_map(|b| b.strip_prefix("event: job\ndata: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// The next block that is not a status record.
async fn next_output(s: &mut Sse) -> Option<String> {
    loop {
        let b = s.next().await?;
        if !b.starts_with("event: job") {
            return Some(b);
        }
    }
}

fn data(block: &str) -> String {
    block
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn default_chunks_in_order_then_done_and_the_result() {
    let (addr, _) = serve(Config::default()).await;
    let id = submit(
        addr,
        json!({"queue_ms": 100, "stream": {"interval_ms": 30}}),
    )
    .await;
    // Opened while queued: it waits for the first chunk.
    let mut s = stream(addr, &id, None).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.headers["content-type"], "text/event-stream");
    assert_eq!(s.headers["cache-control"], "no-cache");
    assert_eq!(s.headers["x-accel-buffering"], "no");
    let first = next_output(&mut s).await.unwrap();
    assert!(!first.contains("id:"), "no ids unless asked: {first}");
    let c: Value = serde_json::from_str(&data(&first)).unwrap();
    assert_eq!(c["object"], "chat.completion.chunk");
    assert_eq!(
        c["choices"][0]["delta"],
        json!({"role": "assistant", "content": "This"})
    );
    let polled = get(addr, &format!("/socaity/v1/jobs/{id}")).await.json();
    assert_eq!(polled["status"], "STREAMING");
    let (rest, end) = s.rest().await;
    let rest = output(rest);
    assert_eq!(end, End::Clean);
    assert_eq!(rest.len(), 8, "{rest:?}");
    assert_eq!(rest[7], "data: [DONE]");
    let words: String = std::iter::once(first)
        .chain(rest[..7].iter().cloned())
        .map(|b| {
            let v: Value = serde_json::from_str(&data(&b)).unwrap();
            v["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(words, "This is a streamed answer from polyjob-mock.");
    let done = get(addr, &format!("/socaity/v1/jobs/{id}")).await.json();
    assert_eq!(done["status"], "FINISHED");
    assert_eq!(
        done["result"],
        "This is a streamed answer from polyjob-mock."
    );
    // Finished: replayed at once after the last event id.
    let mut s = stream(addr, &id, Some("6")).await;
    let (got, end) = s.rest().await;
    let got = output(got);
    assert_eq!(end, End::Clean);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2], "data: [DONE]");
    // A finished job that does not stream: 409.
    let plain = submit(addr, json!({"queue_ms": 0, "duration_ms": 0})).await;
    let r = get(addr, &format!("/socaity/stream/{plain}")).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        json!({"detail": "Job is not streaming (status: FINISHED)."})
    );
}

#[tokio::test]
async fn ids_drop_once_and_resume_after_last_event_id() {
    let (addr, _) = serve(Config::default()).await;
    let id = submit(
        addr,
        json!({"queue_ms": 0, "variant": "apipod",
               "stream": {"chunks": ["a", "b", {"k": "c"}, "d"], "interval_ms": 40, "ids": true, "drop_after": 2}}),
    )
    .await;
    let mut s = stream(addr, &id, None).await;
    let (got, end) = s.rest().await;
    let got = output(got);
    assert_eq!(got, vec!["id: 1\ndata: a", "id: 2\ndata: b"]);
    assert_eq!(end, End::Abrupt);
    let polled = get(addr, &format!("/socaity/status/{id}")).await.json();
    assert_eq!(polled["status"], "streaming");
    let mut s = stream(addr, &id, Some("2")).await;
    let (got, end) = s.rest().await;
    let got = output(got);
    assert_eq!(
        got,
        vec![
            "id: 3\ndata: {\"k\":\"c\"}",
            "id: 4\ndata: d",
            "data: [DONE]"
        ]
    );
    assert_eq!(end, End::Clean);
    let done = get(addr, &format!("/socaity/status/{id}")).await.json();
    assert_eq!(done["result"], json!(["a", "b", {"k": "c"}, "d"]));
}

#[tokio::test]
async fn fail_after_ends_with_the_error_frame() {
    let (addr, _) = serve(Config::default()).await;
    let id = submit(
        addr,
        json!({"queue_ms": 0, "stream": {"chunks": ["x", "y", "z"], "interval_ms": 20, "fail_after": 2}}),
    )
    .await;
    let (got, end) = stream(addr, &id, None).await.rest().await;
    let got = output(got);
    assert_eq!(
        got,
        vec![
            "data: x",
            "data: y",
            "data: {\"error\": \"Internal stream error\"}"
        ]
    );
    assert_eq!(end, End::Clean);
    let polled = get(addr, &format!("/socaity/v1/jobs/{id}")).await.json();
    assert_eq!(polled["status"], "FAILED");
    assert_eq!(polled["error"], "Internal stream error");
    // Replayed after the failure, error frame included.
    let (got, _) = stream(addr, &id, Some("1")).await.rest().await;
    assert_eq!(
        output(got),
        vec!["data: y", "data: {\"error\": \"Internal stream error\"}"]
    );
}

#[tokio::test]
async fn keep_alive_comments_and_a_plain_job() {
    let (addr, _) = serve(Config::default()).await;
    let id = submit(
        addr,
        json!({"queue_ms": 200, "stream": {"chunks": ["only"], "interval_ms": 10, "keepalive_ms": 50}}),
    )
    .await;
    let mut s = stream(addr, &id, None).await;
    assert!(
        s.next().await.unwrap().starts_with("event: job"),
        "the status first"
    );
    assert_eq!(s.next().await.unwrap(), ": keep-alive");
    let (got, _) = s.rest().await;
    assert_eq!(output(got), vec!["data: only", "data: [DONE]"]);
    // A job without mock.stream streams its result once it ends.
    let id = submit(
        addr,
        json!({"queue_ms": 0, "duration_ms": 100, "result": {"text": "hey"}}),
    )
    .await;
    let (got, end) = stream(addr, &id, None).await.rest().await;
    assert_eq!(
        output(got),
        vec!["data: {\"text\":\"hey\"}", "data: [DONE]"]
    );
    assert_eq!(end, End::Clean);
}

#[tokio::test]
async fn status_records_at_every_change_and_the_terminal_one_last() {
    let (addr, _) = serve(Config::default()).await;
    // A plain job (no output stream): queued, processing in 4 steps, finished.
    let id = submit(
        addr,
        json!({"variant": "apipod", "queue_ms": 40, "duration_ms": 120, "steps": 4, "result": {"text": "ok"}}),
    )
    .await;
    let (got, end) = stream(addr, &id, None).await.rest().await;
    assert_eq!(end, End::Clean);
    let jobs = statuses(&got);
    let words: Vec<&str> = jobs.iter().map(|j| j["status"].as_str().unwrap()).collect();
    assert_eq!(
        words,
        [
            "queued",
            "processing",
            "processing",
            "processing",
            "processing",
            "finished"
        ],
        "{got:?}"
    );
    let progress: Vec<Value> = jobs[1..5].iter().map(|j| j["progress"].clone()).collect();
    assert_eq!(progress, [json!(0.0), json!(0.25), json!(0.5), json!(0.75)]);
    assert!(jobs.iter().all(|j| j["job_id"] == json!(id)));
    assert_eq!(
        jobs[5]["result"],
        json!({"text": "ok"}),
        "the terminal record carries the result"
    );
    // The output's end comes before the terminal record, which is the last block.
    let done = got.iter().position(|b| b == "data: [DONE]").unwrap();
    assert_eq!(done, got.len() - 2, "{got:?}");
    assert!(got.last().unwrap().starts_with("event: job"));

    // A cancel is sent as its record, then the stream closes.
    let id = submit(
        addr,
        json!({"variant": "apipod", "queue_ms": 0, "duration_ms": 400, "steps": 4}),
    )
    .await;
    let mut s = stream(addr, &id, None).await;
    let first = s.next().await.unwrap();
    assert!(first.starts_with("event: job"), "{first}");
    let r = post_json(addr, &format!("/socaity/cancel/{id}"), &json!({})).await;
    assert_eq!(r.status, 200);
    let (got, _) = s.rest().await;
    let last = statuses(&got).pop().unwrap();
    assert_eq!(last["status"], "cancelled");
}

#[tokio::test]
async fn unknown_jobs_404_and_direct_sse() {
    let (addr, _) = serve(Config::default()).await;
    let r = get(addr, "/socaity/stream/job_nope").await;
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"detail": "Job not found."}))
    );
    let r = http(
        addr,
        "GET",
        "/socaity/stream/job_nope",
        &[("Authorization", "Bearer bad")],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
    let id = submit(
        addr,
        json!({"queue_ms": 0, "duration_ms": 0, "outcome": "failed"}),
    )
    .await;
    let r = get(addr, &format!("/socaity/stream/{id}")).await;
    assert_eq!(r.status, 409);

    let body = json!({"prompt": "hi", "mock": {"queue_ms": 0, "direct_sse": true,
                      "stream": {"chunks": ["x", "y"], "interval_ms": 10}}});
    let mut s = Sse::open(
        addr,
        "POST",
        "/socaity/v1/chat/generate",
        &[bearer()],
        &body.to_string(),
    )
    .await;
    assert_eq!(s.status, 200);
    assert_eq!(s.headers["content-type"], "text/event-stream");
    let id = s.headers["x-job-id"].clone();
    let (got, end) = s.rest().await;
    assert_eq!(
        (got, end),
        (
            vec![
                "data: x".to_owned(),
                "data: y".into(),
                "data: [DONE]".into()
            ],
            End::Clean
        )
    );
    let polled = get(addr, &format!("/socaity/v1/jobs/{id}")).await.json();
    assert_eq!(
        (polled["status"].clone(), polled["result"].clone()),
        (json!("FINISHED"), json!("xy"))
    );
}
