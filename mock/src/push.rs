//! The push side of a deAPI or Optexity job: one background task per accepted job, spawned at
//! submit (Optexity: only when it has a `task_callback_url` to call).
//!
//! Owns: walking the job's timeline on time (not lazily). Optexity: at the end, the task callback
//! (`optexity::callback_body`) with the task's `task_callback_api_key`. deAPI: at processing start `job.processing`
//! (webhook) and a `request.status.updated` `processing` event (Pusher); at every later progress
//! step an `in_progress` event (a small base64 PNG preview on every other step); at the end
//! `job.completed` and a `done` event with `result_url`, or `job.failed` alone (errors are
//! webhook-only); the forced socket close of `mock.realtime`; suppressing events
//! (`mock.realtime.drop_events`); and `duplicate_terminal` (the terminal webhook and Pusher event
//! sent twice). The task re-reads the job before each step and ends when the job is gone (reset),
//! refused, restarted by a retried submit (which starts a new task) or cancelled. Must not touch:
//! how deliveries are made (`webhooks`, `realtime`), polling and callback bodies.

use crate::clock::iso8601;
use crate::jobs::{Job, Outcome, Provider};
use crate::realtime::{client_channel, STATUS_EVENT};
use crate::webhooks::{self, Auth, Delivery, Target};
use crate::{files, ids, optexity, AppState};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Mutex;

/// Side of a preview image, in pixels.
const PREVIEW_SIZE: u32 = 8;

/// The (job id, submit instant) pairs whose task was started: one task per accepted submit.
#[derive(Debug, Default)]
pub struct Started {
    inner: Mutex<HashSet<(String, u64)>>,
}

impl Started {
    /// Forgets every started task (`/__mock/reset`; the tasks of forgotten jobs end by themselves).
    pub fn reset(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn insert(&self, id: &str, generation: u64) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((id.to_owned(), generation))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Start,
    /// The `k`th progress step (1-based).
    Progress(usize),
    End,
    Close(u16),
}

/// Starts the push task of deAPI or Optexity job `id` unless it runs already (or the job was
/// refused). `base` is `http://HOST` for `result_url` and Optexity's downloads.
pub fn start(st: &AppState, id: &str, base: &str) {
    let Some(job) = st.store.find(id) else {
        return;
    };
    if job.rejected
        || !matches!(job.provider, Provider::Deapi | Provider::Optexity)
        || (job.provider == Provider::Optexity && job.webhook_url.is_none())
        || !st.push.insert(id, job.timeline.submitted_at_ms)
    {
        return;
    }
    let key = job.input_str("task_callback_api_key");
    let target = job
        .webhook_url
        .as_deref()
        .and_then(|url| match Target::parse(url) {
            Ok(_) if key.is_some_and(|k| k.chars().any(char::is_control)) => {
                st.store.refuse_webhook(
                    id,
                    "task_callback_api_key holds control characters".to_owned(),
                );
                None
            }
            Ok(t) => Some(t),
            Err(reason) => {
                st.store.refuse_webhook(id, reason);
                None
            }
        });
    if job.provider == Provider::Optexity && target.is_none() {
        return;
    }
    tokio::spawn(run(st.clone(), job, target, base.to_owned()));
}

fn plan(job: &Job) -> Vec<(u64, Step)> {
    let tl = job.timeline;
    if job.provider == Provider::Optexity {
        // Optexity calls back once, when the task has ended (`initiate_callback`).
        return vec![(tl.completes_at_ms, Step::End)];
    }
    let mut plan = vec![(tl.started_at_ms, Step::Start)];
    let steps = tl
        .transitions()
        .into_iter()
        .filter(|&t| t > tl.started_at_ms && t < tl.completes_at_ms);
    plan.extend(steps.enumerate().map(|(k, t)| (t, Step::Progress(k + 1))));
    plan.push((tl.completes_at_ms, Step::End));
    if let Some(code) = job.options.realtime.close_code {
        let at = tl
            .submitted_at_ms
            .saturating_add(job.options.realtime.close_after_ms);
        plan.push((at, Step::Close(code)));
    }
    plan.sort_by_key(|(at, _)| *at);
    plan
}

async fn run(st: AppState, job: Job, target: Option<Target>, base: String) {
    let id = job.id.clone();
    let generation = job.timeline.submitted_at_ms;
    let channel = client_channel(&st.config.deapi_client_id);
    let auth = match job.provider {
        Provider::Optexity => Auth::Optexity {
            key: job.input_str("task_callback_api_key").map(str::to_owned),
        },
        _ => Auth::Deapi {
            secret: job
                .input_str("webhook_secret")
                .unwrap_or(&st.config.webhook_secret)
                .to_owned(),
        },
    };
    for (at, step) in plan(&job) {
        tokio::time::sleep(st.clock.until(at)).await;
        let Some(job) = st.store.find(&id) else {
            return;
        };
        if job.rejected
            || job.timeline.submitted_at_ms != generation
            || job.cancelled_at_ms.is_some_and(|c| c <= at)
        {
            return;
        }
        let publish = |data: Value| {
            if !job.options.realtime.drop_events {
                st.hub.publish(&channel, STATUS_EVENT, &data.to_string());
            }
        };
        let webhook = |event: &'static str, data: Value, twice: bool| {
            if let Some(t) = &target {
                let delivery_id = ids::uuid_v4();
                let d = Delivery {
                    job_id: id.clone(),
                    event,
                    body: webhooks::payload(event, &delivery_id, st.clock.now_ms(), data),
                    delivery_id,
                    auth: auth.clone(),
                    twice,
                };
                tokio::spawn(webhooks::deliver(st.clone(), t.clone(), d));
            }
        };
        match step {
            Step::Start => {
                webhook("job.processing", processing_data(&job), false);
                publish(event_data(&job, "processing", 0.0, None, None));
            }
            Step::Progress(k) => {
                let p = job.snapshot(at).progress.unwrap_or(0.0);
                let preview = (k % 2 == 1).then(|| preview(&job.id, k)).flatten();
                publish(event_data(&job, "in_progress", p, preview, None));
            }
            Step::End => {
                let twice = st.store.duplicate_terminal(&id, st.clock.now_ms());
                if twice {
                    st.faults.count(crate::faults::Kind::DuplicateTerminal);
                }
                if job.provider == Provider::Optexity {
                    if let Some(t) = &target {
                        let (word, body) = optexity::callback_body(&job, &job.snapshot(at), &base);
                        let d = Delivery {
                            job_id: id.clone(),
                            event: word,
                            delivery_id: ids::uuid_v4(),
                            body,
                            auth: auth.clone(),
                            twice,
                        };
                        tokio::spawn(webhooks::deliver(st.clone(), t.clone(), d));
                    }
                } else if job.options.outcome == Outcome::Finished {
                    let url = files::url(&base, &job.id);
                    webhook("job.completed", completed_data(&job, &url), twice);
                    let done = event_data(&job, "done", 1.0, None, Some(&url));
                    for _ in 0..if twice { 2 } else { 1 } {
                        publish(done.clone());
                    }
                } else {
                    webhook("job.failed", failed_data(&job), twice);
                }
            }
            Step::Close(code) => {
                st.hub
                    .close_channel(&channel, code, "Closed by polyjob-mock (mock.realtime)");
            }
        }
    }
}

/// The `request.status.updated` data: `progress` as a two-decimal string of percent.
fn event_data(
    job: &Job,
    status: &str,
    progress: f64,
    preview: Option<String>,
    result_url: Option<&str>,
) -> Value {
    json!({"request_id": job.id, "status": status, "progress": format!("{:.2}", progress * 100.0),
           "preview": preview, "result_url": result_url})
}

/// A small PNG as a `data:image/png;base64,…` URL.
fn preview(id: &str, k: usize) -> Option<String> {
    let png = files::render_sized(&format!("{id}-{k}"), PREVIEW_SIZE)?;
    Some(format!(
        "data:image/png;base64,{}",
        data_encoding::BASE64.encode(&png)
    ))
}

fn base_data(job: &Job, status: &str, previous: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("job_request_id".into(), json!(job.id));
    m.insert("status".into(), json!(status));
    m.insert("previous_status".into(), json!(previous));
    m.insert("job_type".into(), json!(job.target));
    m
}

fn processing_data(job: &Job) -> Value {
    let mut m = base_data(job, "processing", "pending");
    m.insert(
        "started_at".into(),
        json!(iso8601(job.timeline.started_at_ms)),
    );
    Value::Object(m)
}

fn processing_time_ms(job: &Job) -> u64 {
    job.timeline.completes_at_ms - job.timeline.started_at_ms
}

fn completed_data(job: &Job, url: &str) -> Value {
    let mut m = base_data(job, "done", "processing");
    m.insert(
        "completed_at".into(),
        json!(iso8601(job.timeline.completes_at_ms)),
    );
    m.insert("result_url".into(), json!(url));
    m.insert("processing_time_ms".into(), json!(processing_time_ms(job)));
    Value::Object(m)
}

fn failed_data(job: &Job) -> Value {
    let mut m = base_data(job, "error", "processing");
    m.insert(
        "completed_at".into(),
        json!(iso8601(job.timeline.completes_at_ms)),
    );
    m.insert("processing_time_ms".into(), json!(processing_time_ms(job)));
    m.insert("error_code".into(), json!(job.options.error_code));
    m.insert("error_message".into(), json!(job.options.error));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::MockOptions;

    #[test]
    fn plans_every_step_and_the_close() {
        let body = json!({"mock": {"queue_ms": 100, "duration_ms": 400, "steps": 4,
                                   "realtime": {"close_code": 4200, "close_after_ms": 250}}});
        let job = Job::new(Provider::Deapi, "j".into(), "k", "txt2img", &body, 1000);
        assert_eq!(job.options, MockOptions::from_body(&body));
        assert_eq!(
            plan(&job),
            vec![
                (1100, Step::Start),
                (1200, Step::Progress(1)),
                (1250, Step::Close(4200)),
                (1300, Step::Progress(2)),
                (1400, Step::Progress(3)),
                (1500, Step::End),
            ]
        );
        let p = preview("j", 1).unwrap();
        assert!(p.starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert!(p.len() < 400, "{}", p.len());
    }
}
