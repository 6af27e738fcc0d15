//! The job store and each job's timeline.
//!
//! Owns: the job record (provider, id, api key, the parsed `mock` control options with the raw
//! object kept, the submitted input, timestamps, counters), the store that holds every job, and the
//! timeline that says what a job is doing at a given instant. Nothing is scheduled: a job's state is
//! computed from the clock at each read (submitted → queued for `queue_ms` → processing for
//! `duration_ms`, progress rising in `steps` → outcome), and a cancel freezes it.
//!
//! Each job also carries its fault rules with their counters and the faults fired on it (the rules
//! themselves live in `faults`), and what the push channels recorded (webhook deliveries, the
//! one-time stream drop). Push channels (`push`, `sse`) compute when to speak from the timeline
//! (`Timeline::transitions`). A `mock.stream` plan shapes the timeline: processing lasts one
//! `interval_ms` per chunk, in one progress step per chunk. Must not touch: wire formats (each
//! provider module renders its own bodies), HTTP.

use crate::faults::{self, Applicable, Armed, Fired, Kind, Op, Rule, Source};
use crate::upload::PartInfo;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Longest queue or processing time a job may ask for (10 years): keeps all arithmetic and dates sane.
pub const MAX_SPAN_MS: u64 = 10 * 365 * 86_400_000;
/// Most progress steps a job may ask for.
pub const MAX_STEPS: u32 = 1_000_000;
/// Chunks of the default `mock.stream` (OpenAI `chat.completion.chunk` objects).
pub const DEFAULT_CHUNKS: usize = 8;
/// Longest `mock.stream.interval_ms` (one hour): keeps `chunks × interval` in range.
pub const MAX_INTERVAL_MS: u64 = 3_600_000;

/// `mock.stream`: a Socaity job that streams chunks over SSE (README "Socaity SSE").
#[derive(Clone, Debug, PartialEq)]
pub struct StreamOptions {
    /// The chunks as given; `None` = the default OpenAI chunks.
    pub chunks: Option<Vec<Value>>,
    pub interval_ms: u64,
    /// Send `id: <n>` lines (1-based chunk numbers).
    pub ids: bool,
    /// End with the error frame after this many chunks (the job fails).
    pub fail_after: Option<u64>,
    /// Drop the connection after this many chunks, once per job.
    pub drop_after: Option<u64>,
    /// `: keep-alive` comment period on an idle stream.
    pub keepalive_ms: u64,
}

impl StreamOptions {
    fn parse(v: &Value) -> Option<Self> {
        let m = v.as_object()?;
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        Some(StreamOptions {
            chunks: m.get("chunks").and_then(Value::as_array).cloned(),
            interval_ms: span_ms(m.get("interval_ms"))
                .unwrap_or(100)
                .min(MAX_INTERVAL_MS),
            ids: m.get("ids").and_then(Value::as_bool).unwrap_or(false),
            fail_after: count("fail_after"),
            drop_after: count("drop_after"),
            keepalive_ms: span_ms(m.get("keepalive_ms"))
                .unwrap_or(5000)
                .clamp(10, 600_000),
        })
    }

    /// How many chunks there are.
    pub fn len(&self) -> usize {
        self.chunks.as_ref().map_or(DEFAULT_CHUNKS, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many chunks are sent before the stream ends (all of them, or `fail_after`).
    pub fn sent(&self) -> usize {
        let n = self.len();
        self.fail_after
            .map_or(n, |f| usize::try_from(f).unwrap_or(usize::MAX).min(n))
    }
}

/// `mock.realtime`: what the Pusher server does to a deAPI job's socket traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealtimeOptions {
    /// Close every socket subscribed to the job's channel with this code, once.
    pub close_code: Option<u16>,
    /// When (after submit) to close them.
    pub close_after_ms: u64,
    /// Publish none of the job's events.
    pub drop_events: bool,
}

impl RealtimeOptions {
    fn parse(v: &Value) -> Self {
        let code = v
            .get("close_code")
            .and_then(Value::as_u64)
            .filter(|c| matches!(c, 1000..=1003 | 1007..=1014 | 3000..=4999))
            .map(|c| c as u16);
        RealtimeOptions {
            close_code: code,
            close_after_ms: span_ms(v.get("close_after_ms")).unwrap_or(0),
            drop_events: v
                .get("drop_events")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }
}

/// The four emulated providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Socaity,
    Optexity,
    Deapi,
    Serika,
}

impl Provider {
    /// The provider's path prefix and name in introspection bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Socaity => "socaity",
            Provider::Optexity => "optexity",
            Provider::Deapi => "deapi",
            Provider::Serika => "serika",
        }
    }
}

/// How a job ends when nobody cancels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Failed,
    /// Socaity's TIMEOUT; the other providers render it as their failure.
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Finished => "finished",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s.to_ascii_lowercase().as_str() {
            "finished" | "success" | "succeeded" | "completed" | "done" => Some(Outcome::Finished),
            "failed" | "failure" | "error" => Some(Outcome::Failed),
            "timeout" | "timed_out" => Some(Outcome::Timeout),
            _ => None,
        }
    }
}

/// The scenario a client chose with the submit body's `mock` object. Unknown fields are ignored and
/// fields of the wrong type fall back to their defaults; `raw` keeps the object as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOptions {
    pub queue_ms: u64,
    pub duration_ms: u64,
    pub outcome: Outcome,
    pub error: String,
    pub error_code: String,
    /// The result to return on success; `None` means the provider's default.
    pub result: Option<Value>,
    pub steps: u32,
    /// The wire-format variant; `None` (or a name the provider does not know) means its default.
    pub variant: Option<String>,
    /// Socaity: answer the submit with the result directly.
    pub sync: bool,
    /// `mock.faults`: the job's fault rules (invalid ones left out).
    pub faults: Vec<Rule>,
    /// `mock.stream` (Socaity): stream chunks over SSE.
    pub stream: Option<StreamOptions>,
    /// `mock.direct_sse` (Socaity, with `stream`): answer the submit itself with the stream.
    pub direct_sse: bool,
    /// `mock.realtime` (deAPI): forced socket closes, dropped events.
    pub realtime: RealtimeOptions,
    /// `mock.file_result` (Socaity): a result made of FileModels.
    pub file_result: Option<FileResult>,
    /// `mock.progress_shape`: how progress rises over the processing time (default linear).
    pub progress_shape: ProgressShape,
    /// `mock.eta_error` (Optexity): the factor applied to the processing time in
    /// `estimated_completion` (1 = exact; 0.5 = the ETA says half of it, 1.5 half again more).
    pub eta_error: f64,
    /// The `mock` object exactly as submitted (`None` when absent or not an object).
    pub raw: Option<Value>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            queue_ms: 200,
            duration_ms: 1500,
            outcome: Outcome::Finished,
            error: "Mock failure".to_owned(),
            error_code: "MOCK_FAILURE".to_owned(),
            result: None,
            steps: 10,
            variant: None,
            sync: false,
            faults: Vec::new(),
            stream: None,
            direct_sse: false,
            realtime: RealtimeOptions::default(),
            file_result: None,
            progress_shape: ProgressShape::Linear,
            eta_error: 1.0,
            raw: None,
        }
    }
}

/// `mock.progress_shape`: how a job's progress rises over its processing time. The curves are
/// those of the poll fleet (`tests/fleet/mod.rs`, issue 21), applied to the stepped fraction
/// `x = floor(elapsed / duration × steps) / steps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressShape {
    /// `x`.
    Linear,
    /// Fast first, slow last: `1 − (1 − x)²`.
    Front,
    /// Slow first, fast last: `x²`.
    Back,
    /// Four stages, each stalled in its first half and rising in its second.
    Stalls,
    /// Rises to half (`0.5·x`), then the job ends: the rest is one jump.
    Jump,
    /// No progress at all while processing (the field is left out or `null`; Optexity still sends
    /// its ETA).
    None,
}

impl ProgressShape {
    fn parse(v: &Value) -> Option<Self> {
        match v.as_str()?.to_ascii_lowercase().as_str() {
            "linear" => Some(ProgressShape::Linear),
            "front" => Some(ProgressShape::Front),
            "back" => Some(ProgressShape::Back),
            "stalls" => Some(ProgressShape::Stalls),
            "jump" => Some(ProgressShape::Jump),
            "none" => Some(ProgressShape::None),
            _ => None,
        }
    }

    /// The progress at the stepped processing fraction `x`, `None` when none is sent.
    pub fn at(self, x: f64) -> Option<f64> {
        Some(match self {
            ProgressShape::Linear => x,
            ProgressShape::Front => 1.0 - (1.0 - x) * (1.0 - x),
            ProgressShape::Back => x * x,
            ProgressShape::Stalls => {
                let s = (4.0 * x).floor();
                let r = 4.0 * x - s;
                (s + (2.0 * r - 1.0).max(0.0)) / 4.0
            }
            ProgressShape::Jump => 0.5 * x,
            ProgressShape::None => return None,
        })
    }
}

/// `mock.file_result` (Socaity): how a finished job returns its result file(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileResult {
    /// One FileModel whose `content` is the file's URL.
    Url,
    /// One FileModel whose `content` is the PNG in base64.
    Base64,
    /// One FileModel whose `content` is a `data:image/png;base64,…` URI.
    DataUri,
    /// `{"images": [url FileModel, base64 FileModel], "seed": 42}`.
    Nested,
    /// `[url FileModel, base64 FileModel]`.
    List,
}

impl FileResult {
    fn parse(v: &Value) -> Option<Self> {
        match v.as_str()?.to_ascii_lowercase().as_str() {
            "url" => Some(FileResult::Url),
            "base64" => Some(FileResult::Base64),
            "data_uri" => Some(FileResult::DataUri),
            "nested" => Some(FileResult::Nested),
            "list" => Some(FileResult::List),
            _ => None,
        }
    }
}

/// Which members of the `mock` object (and of its nested objects) are numbers and which are
/// booleans: what [`coerce_form`] converts from form text.
const FORM_NUMBERS: &[&str] = &[
    "queue_ms",
    "duration_ms",
    "steps",
    "interval_ms",
    "fail_after",
    "drop_after",
    "keepalive_ms",
    "close_code",
    "close_after_ms",
    "after",
    "times",
    "retry_after",
    "retry_after_ms",
    "delay_ms",
    "eta_error",
];
const FORM_BOOLS: &[&str] = &[
    "sync",
    "direct_sse",
    "ids",
    "drop_events",
    "retry_after_date",
];

/// A `mock` object decoded from a form (deAPI's bracket notation, where every value is text): its
/// number fields given as numeric text become numbers, its boolean fields given as `"1"`, `"0"`,
/// `"true"` or `"false"` become booleans — at the top, in `stream`, `realtime` and in each rule of
/// `faults`. Anything else is left as it is (and so falls back to its default, as in JSON).
pub fn coerce_form(mock: &mut Value) {
    fn fields(m: &mut Map<String, Value>) {
        for (k, v) in m.iter_mut() {
            let Value::String(s) = v else { continue };
            let t = s.trim();
            if FORM_NUMBERS.contains(&k.as_str()) {
                if let Some(n) = number_text(t) {
                    *v = n;
                }
            } else if FORM_BOOLS.contains(&k.as_str()) {
                match t.to_ascii_lowercase().as_str() {
                    "1" | "true" => *v = Value::Bool(true),
                    "0" | "false" => *v = Value::Bool(false),
                    _ => {}
                }
            }
        }
    }
    let Value::Object(m) = mock else { return };
    fields(m);
    for key in ["stream", "realtime"] {
        if let Some(Value::Object(inner)) = m.get_mut(key) {
            fields(inner);
        }
    }
    if let Some(Value::Array(rules)) = m.get_mut("faults") {
        for rule in rules {
            if let Value::Object(r) = rule {
                fields(r);
            }
        }
    }
}

/// A JSON number from decimal text (`"12"`, `"-1"`, `"1.5"`, `"1e3"`), if it is one.
fn number_text(t: &str) -> Option<Value> {
    if let Ok(n) = t.parse::<u64>() {
        return Some(Value::from(n));
    }
    if let Ok(n) = t.parse::<i64>() {
        return Some(Value::from(n));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

impl MockOptions {
    /// Parses the `mock` member of a submit body (any JSON; never fails).
    pub fn from_body(body: &Value) -> Self {
        Self::parse(body.get("mock"))
    }

    /// Parses a `mock` object (any JSON; never fails).
    pub fn parse(mock: Option<&Value>) -> Self {
        let mut o = MockOptions::default();
        let Some(Value::Object(m)) = mock else {
            return o;
        };
        if let Some(v) = span_ms(m.get("queue_ms")) {
            o.queue_ms = v;
        }
        if let Some(v) = span_ms(m.get("duration_ms")) {
            o.duration_ms = v;
        }
        if let Some(v) = m
            .get("outcome")
            .and_then(Value::as_str)
            .and_then(Outcome::parse)
        {
            o.outcome = v;
        }
        if let Some(v) = m.get("error").and_then(Value::as_str) {
            o.error = v.to_owned();
        }
        if let Some(v) = m.get("error_code").and_then(Value::as_str) {
            o.error_code = v.to_owned();
        }
        if let Some(v) = m.get("result") {
            o.result = Some(v.clone());
        }
        if let Some(v) = m.get("steps").and_then(Value::as_f64) {
            if v.is_finite() {
                o.steps = v.clamp(1.0, f64::from(MAX_STEPS)) as u32;
            }
        }
        if let Some(v) = m.get("variant").and_then(Value::as_str) {
            o.variant = Some(v.to_owned());
        }
        if let Some(v) = m.get("sync").and_then(Value::as_bool) {
            o.sync = v;
        }
        o.faults = faults::parse_rules(m.get("faults"));
        if let Some(v) = m.get("direct_sse").and_then(Value::as_bool) {
            o.direct_sse = v;
        }
        if let Some(r) = m.get("realtime") {
            o.realtime = RealtimeOptions::parse(r);
        }
        o.file_result = m.get("file_result").and_then(FileResult::parse);
        if let Some(v) = m.get("progress_shape").and_then(ProgressShape::parse) {
            o.progress_shape = v;
        }
        if let Some(v) = m.get("eta_error").and_then(Value::as_f64) {
            if v.is_finite() && v >= 0.0 {
                o.eta_error = v.min(1000.0);
            }
        }
        o.stream = m.get("stream").and_then(StreamOptions::parse);
        if let Some(st) = &o.stream {
            // Processing is the stream: one interval and one progress step per chunk sent.
            let sent = st.sent() as u64;
            o.duration_ms = sent.saturating_mul(st.interval_ms).min(MAX_SPAN_MS);
            o.steps = sent.clamp(1, u64::from(MAX_STEPS)) as u32;
            if st.fail_after.is_some_and(|f| f < st.len() as u64) {
                o.outcome = Outcome::Failed;
                if m.get("error").and_then(Value::as_str).is_none() {
                    o.error = "Internal stream error".to_owned();
                }
            }
        }
        o.raw = Some(Value::Object(m.clone()));
        o
    }

    /// The variant name if it is one of `known`, else `None` (the provider's default).
    pub fn variant_in<'a>(&self, known: &[&'a str]) -> Option<&'a str> {
        let v = self.variant.as_deref()?;
        known.iter().copied().find(|k| k.eq_ignore_ascii_case(v))
    }
}

/// A non-negative millisecond span from any JSON number, clamped to `MAX_SPAN_MS`.
fn span_ms(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    if let Some(n) = v.as_u64() {
        return Some(n.min(MAX_SPAN_MS));
    }
    let f = v.as_f64()?;
    if f.is_nan() {
        return None;
    }
    Some(f.clamp(0.0, MAX_SPAN_MS as f64) as u64)
}

/// What a job is doing at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// Waiting for a worker. `late` is true in the second half of the queue time, so providers with
    /// two waiting words (Socaity PENDING → QUEUED, Optexity queued → allocated) show both.
    Queued {
        late: bool,
    },
    Processing,
    Finished,
    Failed,
    TimedOut,
    Cancelled,
}

impl Phase {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Phase::Finished | Phase::Failed | Phase::TimedOut | Phase::Cancelled
        )
    }
}

/// A job's state at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    pub phase: Phase,
    /// 0..=1 in `steps` equal steps while processing; 1 when finished; frozen by a cancel during
    /// processing; `None` while queued and after a failure.
    pub progress: Option<f64>,
    /// When processing began, if it has (before any cancel).
    pub started_at_ms: Option<u64>,
    /// When the job became terminal, if it has.
    pub finished_at_ms: Option<u64>,
}

/// The planned life of a job, fixed at submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub submitted_at_ms: u64,
    pub started_at_ms: u64,
    pub completes_at_ms: u64,
    pub steps: u32,
    pub outcome: Outcome,
    pub shape: ProgressShape,
    /// What Optexity's `estimated_completion` says (`mock.eta_error` applied to the processing
    /// time); `completes_at_ms` when the ETA is exact.
    pub eta_at_ms: u64,
}

impl Timeline {
    pub fn new(submitted_at_ms: u64, o: &MockOptions) -> Self {
        let started_at_ms = submitted_at_ms.saturating_add(o.queue_ms);
        let eta_span = (o.duration_ms as f64 * o.eta_error).round() as u64;
        Timeline {
            submitted_at_ms,
            started_at_ms,
            completes_at_ms: started_at_ms.saturating_add(o.duration_ms),
            steps: o.steps.max(1),
            outcome: o.outcome,
            shape: o.progress_shape,
            eta_at_ms: started_at_ms.saturating_add(eta_span.min(MAX_SPAN_MS)),
        }
    }

    /// The instants at which the observable state changes, in order: each queue word, processing
    /// start, every progress step, the outcome. Push channels walk this list.
    pub fn transitions(&self) -> Vec<u64> {
        let mut t = vec![self.submitted_at_ms];
        let half = self.submitted_at_ms + (self.started_at_ms - self.submitted_at_ms) / 2;
        t.push(half);
        t.push(self.started_at_ms);
        let span = u128::from(self.completes_at_ms - self.started_at_ms);
        let steps = u64::from(self.steps.min(1000));
        for k in 1..steps {
            let at = self.started_at_ms as u128 + span * u128::from(k) / u128::from(steps);
            t.push(at as u64);
        }
        t.push(self.completes_at_ms);
        t.dedup();
        t
    }

    /// What a `regress` fault shows once the job is terminal: still processing, at its last step.
    pub fn still_processing(&self) -> Snapshot {
        Snapshot {
            phase: Phase::Processing,
            progress: self
                .shape
                .at(f64::from(self.steps - 1) / f64::from(self.steps)),
            started_at_ms: Some(self.started_at_ms),
            finished_at_ms: None,
        }
    }

    /// The state at `now_ms`, as if the job had been cancelled at `cancelled_at_ms` (if any).
    /// The moments a snapshot of this timeline can change, in order: the queue turning late,
    /// the start, each progress step, the end (a Socaity status stream sends a record at each).
    pub fn change_times(&self) -> Vec<u64> {
        let queue = self.started_at_ms - self.submitted_at_ms;
        let span = self.completes_at_ms - self.started_at_ms;
        let mut out = vec![self.submitted_at_ms + queue.div_ceil(2), self.started_at_ms];
        for k in 1..u64::from(self.steps) {
            out.push(self.started_at_ms + (k * span).div_ceil(u64::from(self.steps)));
        }
        out.push(self.completes_at_ms);
        out.dedup();
        out
    }

    pub fn at(&self, now_ms: u64, cancelled_at_ms: Option<u64>) -> Snapshot {
        if let Some(c) = cancelled_at_ms.filter(|&c| c <= now_ms && c < self.completes_at_ms) {
            let before = self.at(c, None);
            return Snapshot {
                phase: Phase::Cancelled,
                progress: before.progress,
                started_at_ms: before.started_at_ms,
                finished_at_ms: Some(c),
            };
        }
        if now_ms < self.started_at_ms {
            let late =
                now_ms - self.submitted_at_ms >= (self.started_at_ms - self.submitted_at_ms) / 2;
            return Snapshot {
                phase: Phase::Queued { late },
                progress: None,
                started_at_ms: None,
                finished_at_ms: None,
            };
        }
        if now_ms < self.completes_at_ms {
            let done = u128::from(now_ms - self.started_at_ms);
            let span = u128::from(self.completes_at_ms - self.started_at_ms);
            let k = done * u128::from(self.steps) / span;
            return Snapshot {
                phase: Phase::Processing,
                progress: self.shape.at(k as f64 / f64::from(self.steps)),
                started_at_ms: Some(self.started_at_ms),
                finished_at_ms: None,
            };
        }
        let (phase, progress) = match self.outcome {
            Outcome::Finished => (Phase::Finished, Some(1.0)),
            Outcome::Failed => (Phase::Failed, None),
            Outcome::Timeout => (Phase::TimedOut, None),
        };
        Snapshot {
            phase,
            progress,
            started_at_ms: Some(self.started_at_ms),
            finished_at_ms: Some(self.completes_at_ms),
        }
    }
}

/// Per-job counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Status reads (GET job / call / request-status).
    pub status_requests: u64,
}

/// One webhook delivery attempt (introspection `webhooks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub event: String,
    pub delivery_id: String,
    /// 1-based, per delivery.
    pub attempt: u32,
    /// The receiver's HTTP status; `None` = connection error or no answer in time.
    pub status: Option<u16>,
    pub at_ms: u64,
}

impl WebhookAttempt {
    pub fn to_json(&self) -> Value {
        serde_json::json!({"event": self.event, "delivery_id": self.delivery_id,
            "attempt": self.attempt, "status": self.status, "at_ms": self.at_ms})
    }
}

/// One submitted job.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub provider: Provider,
    pub api_key: String,
    /// What the job runs: Socaity model, deAPI task, Optexity endpoint name, Serika model.
    pub target: String,
    /// The submit body without its `mock` member (a JSON object).
    pub input: Value,
    pub options: MockOptions,
    pub timeline: Timeline,
    /// Where the provider should push results (deAPI `webhook_url`, Optexity `task_callback_url`).
    pub webhook_url: Option<String>,
    pub cancelled_at_ms: Option<u64>,
    pub counters: Counters,
    /// Fault rules with their counters: `mock.faults`, then the rate mode's rule.
    pub faults: Vec<Armed>,
    /// Every fault that fired on a request about this job, oldest first.
    pub faults_fired: Vec<Fired>,
    /// The submit was answered with a fault status (429, 5xx, 404), so for the provider the job
    /// never existed: its routes do not see it; introspection still does.
    pub rejected: bool,
    /// Provider, key, target and body of the submit: a refused job is taken up again by the next
    /// submit with the same `submit_key` (see `Store::reuse`).
    pub submit_key: String,
    /// Webhook delivery attempts, oldest first.
    pub webhooks: Vec<WebhookAttempt>,
    /// Why the `webhook_url` was not used (not a loopback `http` URL), if it was not.
    pub webhook_refused: Option<String>,
    /// `mock.stream.drop_after` has dropped a stream of this job (it happens once).
    pub stream_dropped: bool,
    /// Every part of a multipart submit, in order (empty for a JSON submit).
    pub parts: Vec<PartInfo>,
}

impl Job {
    /// A new job submitted at `now_ms`; `body` is the submit body (its `mock` member is split off).
    pub fn new(
        provider: Provider,
        id: String,
        api_key: &str,
        target: &str,
        body: &Value,
        now_ms: u64,
    ) -> Self {
        let options = MockOptions::from_body(body);
        let mut input = match body {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        input.remove("mock");
        let webhook_url = ["webhook_url", "task_callback_url"]
            .iter()
            .find_map(|k| input.get(*k).and_then(Value::as_str))
            .map(str::to_owned);
        Job {
            id,
            provider,
            api_key: api_key.to_owned(),
            target: target.to_owned(),
            input: Value::Object(input),
            timeline: Timeline::new(now_ms, &options),
            webhook_url,
            cancelled_at_ms: None,
            counters: Counters::default(),
            faults: options
                .faults
                .iter()
                .map(|r| Armed::new(r.clone(), Source::Job))
                .collect(),
            faults_fired: Vec::new(),
            rejected: false,
            submit_key: String::new(),
            webhooks: Vec::new(),
            webhook_refused: None,
            stream_dropped: false,
            parts: Vec::new(),
            options,
        }
    }

    /// The same job, recording the parts of its multipart submit.
    pub fn with_parts(mut self, parts: Vec<PartInfo>) -> Self {
        self.parts = parts;
        self
    }

    pub fn snapshot(&self, now_ms: u64) -> Snapshot {
        self.timeline.at(now_ms, self.cancelled_at_ms)
    }

    /// Whether `provider`'s routes show this job to `api_key`.
    pub fn visible_to(&self, provider: Provider, api_key: &str) -> bool {
        self.provider == provider && self.api_key == api_key && !self.rejected
    }

    /// A string member of the submitted input.
    pub fn input_str(&self, key: &str) -> Option<&str> {
        self.input.get(key).and_then(Value::as_str)
    }
}

/// Result of a cancel request.
#[derive(Clone, Debug)]
pub enum Cancel {
    /// The job was running or queued and is now cancelled.
    Cancelled(Job),
    /// The job was already terminal; it is unchanged.
    AlreadyTerminal(Job),
}

/// Every job the server knows, behind one short-held lock (no `.await` while holding it).
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    jobs: HashMap<String, Job>,
    /// Ids in submit order.
    order: Vec<String>,
    /// Idempotency keys (with provider and API key) → job id.
    idempotent: HashMap<String, String>,
    /// `submit_key` → the refused job a retry of that submit takes up.
    refused: HashMap<String, String>,
    status_requests: u64,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert(&self, job: Job) {
        self.insert_keyed(job, None);
    }

    /// Inserts a new job, remembering its idempotency key (already scoped to provider and API key).
    pub fn insert_keyed(&self, job: Job, idempotency_key: Option<String>) {
        let mut s = self.lock();
        if let Some(k) = idempotency_key {
            s.idempotent.insert(k, job.id.clone());
        }
        s.order.push(job.id.clone());
        s.jobs.insert(job.id.clone(), job);
    }

    /// The job a submit is about when it is not new: the job of its idempotency key, else the job
    /// a refused submit with the same `submit_key` left. A refused job taken up is accepted anew:
    /// its timeline restarts at `now_ms` (its fault counters carry on).
    pub fn reuse(
        &self,
        submit_key: &str,
        idempotency_key: Option<&str>,
        now_ms: u64,
    ) -> Option<Job> {
        let mut s = self.lock();
        let by_key = idempotency_key
            .and_then(|k| s.idempotent.get(k))
            .filter(|id| s.jobs.contains_key(*id))
            .cloned();
        let id = match by_key {
            Some(id) => id,
            None => s
                .refused
                .get(submit_key)
                .filter(|id| s.jobs.get(*id).is_some_and(|j| j.rejected))
                .cloned()?,
        };
        if s.refused.get(submit_key) == Some(&id) {
            s.refused.remove(submit_key);
        }
        if let Some(k) = idempotency_key {
            s.idempotent.insert(k.to_owned(), id.clone());
        }
        let job = s.jobs.get_mut(&id)?;
        if job.rejected {
            job.rejected = false;
            job.timeline = Timeline::new(now_ms, &job.options);
            job.cancelled_at_ms = None;
        }
        Some(job.clone())
    }

    /// A copy of the job if it belongs to `provider` and `api_key`.
    pub fn get(&self, provider: Provider, api_key: &str, id: &str) -> Option<Job> {
        let s = self.lock();
        s.jobs
            .get(id)
            .filter(|j| j.visible_to(provider, api_key))
            .cloned()
    }

    /// Like `get`, and counts one status read of the job.
    pub fn read_status(&self, provider: Provider, api_key: &str, id: &str) -> Option<Job> {
        let mut s = self.lock();
        let job = s
            .jobs
            .get_mut(id)
            .filter(|j| j.visible_to(provider, api_key))?;
        job.counters.status_requests += 1;
        let job = job.clone();
        s.status_requests += 1;
        Some(job)
    }

    /// Cancels the job at `now_ms` unless it is already terminal.
    pub fn cancel(
        &self,
        provider: Provider,
        api_key: &str,
        id: &str,
        now_ms: u64,
    ) -> Option<Cancel> {
        let mut s = self.lock();
        let job = s
            .jobs
            .get_mut(id)
            .filter(|j| j.visible_to(provider, api_key))?;
        if job.snapshot(now_ms).phase.is_terminal() {
            return Some(Cancel::AlreadyTerminal(job.clone()));
        }
        job.cancelled_at_ms = Some(now_ms);
        Some(Cancel::Cancelled(job.clone()))
    }

    /// This provider's jobs for `api_key`, newest first.
    pub fn list(&self, provider: Provider, api_key: &str) -> Vec<Job> {
        let s = self.lock();
        s.order
            .iter()
            .rev()
            .filter_map(|id| s.jobs.get(id))
            .filter(|j| j.visible_to(provider, api_key))
            .cloned()
            .collect()
    }

    /// Whether job `id` has fault rules (a cheap test before any fault work).
    pub fn has_faults(&self, id: &str) -> bool {
        self.lock()
            .jobs
            .get(id)
            .is_some_and(|j| !j.faults.is_empty())
    }

    /// Counts one `op` request about job `id` against its fault rules; the rule that fires, if any.
    pub fn check_faults(&self, id: &str, op: Op, app: Applicable) -> Option<Rule> {
        let mut s = self.lock();
        let job = s.jobs.get_mut(id)?;
        faults::check(&mut job.faults, op, app, false)
    }

    /// Records a fault fired on a request about job `id`; `reject` marks the job as never created.
    pub fn record_fault(&self, id: &str, fired: Fired, reject: bool) {
        let mut s = self.lock();
        let Some(job) = s.jobs.get_mut(id) else {
            return;
        };
        job.faults_fired.push(fired);
        job.rejected |= reject;
        if reject {
            let key = job.submit_key.clone();
            s.refused.insert(key, id.to_owned());
        }
    }

    /// Records one webhook delivery attempt of job `id`.
    pub fn record_webhook(&self, id: &str, attempt: WebhookAttempt) {
        if let Some(job) = self.lock().jobs.get_mut(id) {
            job.webhooks.push(attempt);
        }
    }

    /// Records why job `id`'s webhook URL is not used.
    pub fn refuse_webhook(&self, id: &str, reason: String) {
        if let Some(job) = self.lock().jobs.get_mut(id) {
            job.webhook_refused = Some(reason);
        }
    }

    /// Whether a stream of job `id` should be dropped now (`drop_after`): true the first time only.
    pub fn take_stream_drop(&self, id: &str) -> bool {
        let mut s = self.lock();
        match s.jobs.get_mut(id) {
            Some(job) if !job.stream_dropped => {
                job.stream_dropped = true;
                true
            }
            _ => false,
        }
    }

    /// A push channel is about to deliver job `id`'s terminal event: whether a due
    /// `duplicate_terminal` rule of the job fires (it is counted and recorded as `on: "push"`).
    pub fn duplicate_terminal(&self, id: &str, now_ms: u64) -> bool {
        let mut s = self.lock();
        let Some(job) = s.jobs.get_mut(id) else {
            return false;
        };
        let mut fired = false;
        for a in job
            .faults
            .iter_mut()
            .filter(|a| a.rule.kind == Kind::DuplicateTerminal)
        {
            a.seen += 1;
            let due = a.seen > a.rule.after && a.rule.times.is_none_or(|t| a.fired < t);
            if due && !fired {
                a.fired += 1;
                fired = true;
            }
        }
        if !fired {
            return false;
        }
        job.faults_fired.push(Fired {
            kind: Kind::DuplicateTerminal,
            op: Op::Push,
            at_ms: now_ms,
        });
        true
    }

    /// Every job, in submit order (introspection).
    pub fn all(&self) -> Vec<Job> {
        let s = self.lock();
        s.order
            .iter()
            .filter_map(|id| s.jobs.get(id))
            .cloned()
            .collect()
    }

    /// Any job by id (introspection).
    pub fn find(&self, id: &str) -> Option<Job> {
        self.lock().jobs.get(id).cloned()
    }

    /// (number of jobs, status reads since the last reset).
    pub fn stats(&self) -> (usize, u64) {
        let s = self.lock();
        (s.jobs.len(), s.status_requests)
    }

    /// Forgets every job.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_options_leniently() {
        let o = MockOptions::from_body(&json!({"mock": {
            "queue_ms": 1e300, "duration_ms": -5, "outcome": "TIMEOUT", "steps": 0,
            "variant": "apipod", "sync": "yes", "unknown": 1, "result": [1]
        }}));
        assert_eq!(o.queue_ms, MAX_SPAN_MS);
        assert_eq!(o.duration_ms, 0);
        assert_eq!(o.outcome, Outcome::Timeout);
        assert_eq!(o.steps, 1);
        assert!(!o.sync);
        assert_eq!(o.result, Some(json!([1])));
        assert_eq!(
            o.raw.as_ref().and_then(|r| r.get("unknown")),
            Some(&json!(1))
        );
        assert_eq!(o.variant_in(&["APIPOD", "runpod"]), Some("APIPOD"));
        assert_eq!(MockOptions::from_body(&json!("x")), MockOptions::default());
        assert_eq!(
            MockOptions::from_body(&json!({"mock": 3})),
            MockOptions::default()
        );
    }

    #[test]
    fn form_text_becomes_numbers_and_booleans() {
        let mut m = json!({"queue_ms": "0", "duration_ms": "1.5", "sync": "1", "direct_sse": "false",
            "steps": "x", "error": "12", "variant": "true", "file_result": "url",
            "stream": {"ids": "true", "interval_ms": "10", "chunks": ["1"]},
            "realtime": {"drop_events": "0", "close_code": "4000"},
            "faults": [{"kind": "500", "times": "-1", "after": "2", "retry_after_date": "1"}, "x"]});
        coerce_form(&mut m);
        assert_eq!(
            m,
            json!({"queue_ms": 0, "duration_ms": 1.5, "sync": true, "direct_sse": false,
                "steps": "x", "error": "12", "variant": "true", "file_result": "url",
                "stream": {"ids": true, "interval_ms": 10, "chunks": ["1"]},
                "realtime": {"drop_events": false, "close_code": 4000},
                "faults": [{"kind": "500", "times": -1, "after": 2, "retry_after_date": true}, "x"]})
        );
        let o = MockOptions::parse(Some(&m));
        // `stream` sets the duration: one 10 ms interval per chunk.
        assert_eq!((o.queue_ms, o.duration_ms, o.sync), (0, 10, true));
        assert_eq!(o.faults.len(), 1);
        assert_eq!(o.faults[0].times, None);
        assert_eq!(o.file_result, Some(FileResult::Url));
    }

    #[test]
    fn timeline_walks_and_freezes() {
        let o = MockOptions {
            queue_ms: 100,
            duration_ms: 1000,
            steps: 4,
            ..MockOptions::default()
        };
        let t = Timeline::new(10_000, &o);
        assert_eq!(t.at(10_000, None).phase, Phase::Queued { late: false });
        assert_eq!(t.at(10_060, None).phase, Phase::Queued { late: true });
        let p = t.at(10_100, None);
        assert_eq!((p.phase, p.progress), (Phase::Processing, Some(0.0)));
        assert_eq!(t.at(10_700, None).progress, Some(0.5));
        assert_eq!(t.at(11_099, None).progress, Some(0.75));
        assert_eq!(t.at(11_100, None).phase, Phase::Finished);
        let c = t.at(20_000, Some(10_400));
        assert_eq!(
            (c.phase, c.progress, c.finished_at_ms),
            (Phase::Cancelled, Some(0.25), Some(10_400))
        );
        assert_eq!(t.at(10_300, Some(10_400)).phase, Phase::Processing);
        assert_eq!(
            t.transitions(),
            vec![10_000, 10_050, 10_100, 10_350, 10_600, 10_850, 11_100]
        );
    }

    #[test]
    fn progress_shape_and_eta_error_parse_and_shape_the_timeline() {
        let o = MockOptions::parse(Some(
            &serde_json::json!({"progress_shape": "BACK", "eta_error": 0.5, "steps": 4,
                                "queue_ms": 0, "duration_ms": 1000}),
        ));
        assert_eq!((o.progress_shape, o.eta_error), (ProgressShape::Back, 0.5));
        let t = Timeline::new(0, &o);
        assert_eq!(t.at(500, None).progress, Some(0.25));
        assert_eq!(t.eta_at_ms, 500);
        assert_eq!(t.still_processing().progress, Some(0.5625));
        let o = MockOptions::parse(Some(
            &serde_json::json!({"progress_shape": "spiral", "eta_error": -1}),
        ));
        assert_eq!(
            (o.progress_shape, o.eta_error),
            (ProgressShape::Linear, 1.0)
        );
        let o = MockOptions::parse(Some(&serde_json::json!({"progress_shape": "none"})));
        assert_eq!(Timeline::new(0, &o).at(1000, None).progress, None);
        assert_eq!(Timeline::new(0, &o).at(1700, None).progress, Some(1.0));
    }

    #[test]
    fn zero_spans_finish_at_once() {
        let o = MockOptions {
            queue_ms: 0,
            duration_ms: 0,
            outcome: Outcome::Failed,
            ..MockOptions::default()
        };
        let t = Timeline::new(5, &o);
        assert_eq!(t.at(5, None).phase, Phase::Failed);
    }
}
