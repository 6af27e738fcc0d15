//! Socaity streaming: the `text/event-stream` bodies of `GET /socaity/stream/{id}` and of a direct-SSE
//! submit.
//!
//! Owns: the chunks of a `mock.stream` job (the given list, or 8 OpenAI `chat.completion.chunk`
//! objects), their timing (chunk k at processing start + k × `interval_ms`, so a stream opened while
//! the job is queued waits for the first one), the frames (`data: …\n\n` only, `id: <n>` lines with
//! `ids: true`, `data: [DONE]` at the end, `data: {"error": "Internal stream error"}` on failure),
//! `: keep-alive` comments on idle streams, `drop_after` (the connection dropped once per job) and
//! resuming after `Last-Event-ID`, and the result a finished stream job shows when polled. A job
//! without `mock.stream` streams its result as one frame when it ends. As Socaity's gateway does on
//! `links.stream`, a job's stream also carries its status: a named `event: job` record (the job
//! body, rendered by `socaity`) when the stream opens and at each change (`Timeline::change_times`),
//! the terminal one after the output's last frame, then the stream closes; a cancel is sent as its
//! record at the next change. Must not touch: the routes' 404/409 answers and status words
//! (`socaity`), job timing rules (`jobs`).

use crate::clock::unix_seconds;
use crate::jobs::{Job, Phase, StreamOptions};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde_json::{json, Value};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// The frame that ends a successful stream.
pub const DONE: &str = "data: [DONE]\n\n";
/// The frame that ends a failed stream (APIPod's fixed message).
pub const ERROR_FRAME: &str = "data: {\"error\": \"Internal stream error\"}\n\n";
/// The comment sent on an idle stream.
pub const KEEPALIVE: &str = ": keep-alive\n\n";
/// Keep-alive period of a job without `mock.stream`.
const DEFAULT_KEEPALIVE_MS: u64 = 5000;
/// Pause between the last chunk and dropping the connection (`drop_after`).
const DROP_PAUSE: Duration = Duration::from_millis(20);
/// Words of the default chunks.
const WORDS: [&str; 8] = [
    "This",
    " is",
    " a",
    " streamed",
    " answer",
    " from",
    " polyjob-mock",
    ".",
];

/// The chunks a stream job sends: `mock.stream.chunks`, else 8 OpenAI chunk objects.
pub fn chunks(job: &Job, plan: &StreamOptions) -> Vec<Value> {
    if let Some(c) = &plan.chunks {
        return c.clone();
    }
    let created = unix_seconds(job.timeline.submitted_at_ms);
    let tail = job.id.strip_prefix("job_").unwrap_or(&job.id);
    WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let delta = if i == 0 {
                json!({"role": "assistant", "content": w})
            } else {
                json!({ "content": w })
            };
            let finish = (i + 1 == WORDS.len()).then_some("stop");
            json!({"id": format!("chatcmpl-{tail}"), "object": "chat.completion.chunk", "created": created,
                   "model": job.target, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        })
        .collect()
}

/// What a finished stream job returns: the concatenated text when every chunk is text (a string,
/// or an OpenAI chunk's `choices[0].delta.content`), else the chunk list.
pub fn result(job: &Job, plan: &StreamOptions) -> Value {
    let list = chunks(job, plan);
    let text: Option<String> = list
        .iter()
        .map(|c| match c {
            Value::String(s) => Some(s.as_str()),
            other => other
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str),
        })
        .collect();
    match text {
        Some(t) => Value::String(t),
        None => Value::Array(list),
    }
}

/// One chunk as an SSE frame (1-based `id` line when asked).
pub fn frame(k: usize, chunk: &Value, ids: bool) -> String {
    let text = match chunk {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    if ids {
        out.push_str(&format!("id: {}\n", k + 1));
    }
    for line in text.split('\n') {
        out.push_str("data: ");
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Renders a job's status record: the job body at a time (ms).
pub type Render = Box<dyn Fn(&Job, u64) -> Value + Send + Sync>;

/// A `200 text/event-stream` response streaming `job` from after chunk `skip` (a `Last-Event-ID`).
/// `result` is the frame body a job without `mock.stream` sends when it finishes; `status`, when
/// given, renders the `event: job` records.
pub fn response(
    st: &AppState,
    job: Job,
    skip: u64,
    result: Value,
    status: Option<Render>,
) -> Response {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(pump(st.clone(), job, skip, result, status, tx));
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::new(ChannelBody { rx }),
    )
        .into_response()
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

async fn send(tx: &Tx, s: impl Into<Bytes>) -> bool {
    tx.send(Ok(s.into())).await.is_ok()
}

/// Sleeps until `at_ms`, sending a keep-alive comment every `keepalive_ms`; false when the client
/// went away.
async fn wait(st: &AppState, tx: &Tx, at_ms: u64, keepalive_ms: u64) -> bool {
    let period = Duration::from_millis(keepalive_ms);
    loop {
        let left = st.clock.until(at_ms);
        if left.is_zero() {
            return true;
        }
        let nap = left.min(period);
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = tx.closed() => return false,
        }
        if nap == period && !st.clock.until(at_ms).is_zero() && !send(tx, KEEPALIVE).await {
            return false;
        }
    }
}

/// One `event: job` record.
fn status_frame(body: &Value) -> String {
    format!("event: job\ndata: {body}\n\n")
}

/// What a stream sends at a moment: an output chunk, or the job's status.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// Before a chunk due at the same moment: the status says `processing` first.
    Status,
    Chunk(usize),
}

async fn pump(st: AppState, job: Job, skip: u64, result: Value, status: Option<Render>, tx: Tx) {
    let id = job.id.clone();
    let cancelled = |at: u64| {
        st.store
            .find(&id)
            .is_none_or(|j| j.cancelled_at_ms.is_some_and(|c| c <= at))
    };
    // The job's status record at `at`, when it differs from the last one sent.
    let mut last_status: Option<Value> = None;
    let mut status_at = |at: u64| -> Option<String> {
        let render = status.as_ref()?;
        let now = st.store.find(&id).unwrap_or_else(|| job.clone());
        let body = render(&now, at);
        if last_status.as_ref() == Some(&body) {
            return None;
        }
        let frame = status_frame(&body);
        last_status = Some(body);
        Some(frame)
    };
    let keepalive = job
        .options
        .stream
        .as_ref()
        .map_or(DEFAULT_KEEPALIVE_MS, |p| p.keepalive_ms);
    let end = job.timeline.completes_at_ms;
    let opened = st.clock.now_ms().min(end);
    if let Some(frame) = status_at(opened) {
        if !send(&tx, frame).await {
            return;
        }
    }
    // Every moment something is sent before the end, in order.
    let mut steps: Vec<(u64, Step)> = Vec::new();
    if status.is_some() {
        for at in job.timeline.change_times() {
            if at > opened && at < end {
                steps.push((at, Step::Status));
            }
        }
    }
    let list = job
        .options
        .stream
        .as_ref()
        .map(|plan| (chunks(&job, plan), plan.sent()));
    if let (Some(plan), Some((_, sent))) = (&job.options.stream, &list) {
        let from = usize::try_from(skip).unwrap_or(usize::MAX).min(*sent);
        for k in from..=*sent {
            let at = job
                .timeline
                .started_at_ms
                .saturating_add((k as u64).saturating_mul(plan.interval_ms));
            steps.push((at, Step::Chunk(k)));
        }
    }
    steps.sort();
    for (at, step) in steps {
        if !wait(&st, &tx, at, keepalive).await {
            return;
        }
        if cancelled(at) {
            if let Some(frame) = status_at(at) {
                let _ = send(&tx, frame).await;
            }
            return;
        }
        let frame = match step {
            Step::Status => status_at(at),
            Step::Chunk(k) => {
                let (Some(plan), Some((list, sent))) = (&job.options.stream, &list) else {
                    continue;
                };
                if plan.drop_after == Some(k as u64) && st.store.take_stream_drop(&id) {
                    // Let the chunks already sent leave the server first (as `reset_after` does).
                    tokio::time::sleep(DROP_PAUSE).await;
                    let _ = tx
                        .send(Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "polyjob-mock: mock.stream.drop_after drops the connection",
                        )))
                        .await;
                    return;
                }
                list.get(k)
                    .filter(|_| k < *sent)
                    .map(|chunk| frame(k, chunk, plan.ids))
            }
        };
        if let Some(frame) = frame {
            if !send(&tx, frame).await {
                return;
            }
        }
    }
    if !wait(&st, &tx, end, keepalive).await {
        return;
    }
    if cancelled(end) {
        if let Some(frame) = status_at(end) {
            let _ = send(&tx, frame).await;
        }
        return;
    }
    let mut last = match job.timeline.at(end, None).phase {
        Phase::Finished if job.options.stream.is_some() => DONE.to_owned(),
        Phase::Finished => format!("{}{DONE}", frame(0, &result, false)),
        _ => ERROR_FRAME.to_owned(),
    };
    // The output's end first, then the terminal status (what the SDK stops reading at).
    if let Some(frame) = status_at(end) {
        last.push_str(&frame);
    }
    let _ = send(&tx, last).await;
}

/// A response body fed by a channel; an `Err` item makes hyper drop the connection.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Provider;

    #[test]
    fn default_chunks_and_results() {
        let body = json!({"mock": {"stream": {}}});
        let job = Job::new(Provider::Socaity, "job_ab".into(), "k", "m", &body, 0);
        let plan = job.options.stream.clone().unwrap();
        let c = chunks(&job, &plan);
        assert_eq!(c.len(), 8);
        assert_eq!(c[0]["object"], "chat.completion.chunk");
        assert_eq!(c[7]["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            result(&job, &plan),
            json!("This is a streamed answer from polyjob-mock.")
        );
        assert_eq!(
            frame(2, &json!("a\nb"), true),
            "id: 3\ndata: a\ndata: b\n\n"
        );
        assert_eq!(frame(0, &json!({"x": 1}), false), "data: {\"x\":1}\n\n");
        let mixed = json!({"mock": {"stream": {"chunks": ["a", 1]}}});
        let job = Job::new(Provider::Socaity, "job_ab".into(), "k", "m", &mixed, 0);
        let plan = job.options.stream.clone().unwrap();
        assert_eq!(result(&job, &plan), json!(["a", 1]));
        // One interval and one step per chunk sent; `fail_after` makes the job fail.
        assert_eq!((job.options.duration_ms, job.options.steps), (200, 2));
        let failing = json!({"mock": {"stream": {"fail_after": 3, "interval_ms": 10}}});
        let o = crate::jobs::MockOptions::from_body(&failing);
        assert_eq!((o.duration_ms, o.steps), (30, 3));
        assert_eq!(o.outcome, crate::jobs::Outcome::Failed);
        assert_eq!(o.error, "Internal stream error");
    }
}
