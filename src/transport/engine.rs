//! The request loop: sends the providers' requests with retries and timeouts, and drives the
//! poll schedule for `wait` and `watch`. Decisions come from `core` (retry policy, poll
//! schedule); translations from `providers`; this module only sequences I/O and time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use web_sys::AbortSignal;

use super::abort::{AbortCause, ChildSignal};
use super::fetch::{self, FetchFailure};
use super::timer::sleep;
use super::{now_ms, random};
use crate::core::retry::{advised_delay_ms, RetryBudget, RetryPolicy};
use crate::core::schedule::{PollPolicy, PollSchedule};
use crate::core::{Error, ErrorCode, HttpRequest, HttpResponse, Job, JobStatus};
use crate::providers::{self, adapter, ClientConfig, SubmitRequest};

/// Everything a client needs to talk to one provider.
pub(crate) struct Engine {
    pub(crate) cfg: ClientConfig,
    pub(crate) fetch_fn: Function,
    pub(crate) poll: PollPolicy,
    pub(crate) retry: RetryPolicy,
    /// Per-request timeout.
    pub(crate) request_timeout_ms: f64,
    /// Shared by every call of this client.
    pub(crate) budget: RefCell<RetryBudget>,
    pub(crate) stats: Cell<Stats>,
}

/// Counters of what a client has sent, for users who watch their provider quota.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stats {
    /// HTTP requests sent (first attempts, retries and redirects).
    pub(crate) requests: u64,
    /// Of those, retries.
    pub(crate) retries: u64,
    /// Retries the policy wanted but the retry budget refused.
    pub(crate) retries_denied: u64,
}

/// Timeout for the best-effort cancel sent when a `run` is aborted.
const ABORT_CANCEL_TIMEOUT_MS: f64 = 5_000.0;

impl Engine {
    fn count(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    fn aborted(&self) -> Error {
        Error::new(ErrorCode::Aborted, "the operation was aborted").with_provider(self.cfg.provider)
    }

    /// Sends `req` and parses the answer with `parse`, retrying per the policy: transient
    /// failures (network, timeout, 408/425/429/5xx, an unreadable 2xx body on an idempotent call)
    /// are retried after the advised or backoff delay while `maxRetries` and the client's retry
    /// budget allow. Same-origin redirects are followed (at most 5); others are refused, since the
    /// key travels in a header.
    async fn exchange<T>(
        &self,
        req: &HttpRequest,
        idempotent: bool,
        signal: Option<&AbortSignal>,
        parse: impl Fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let provider = self.cfg.provider;
        let mut attempts: u32 = 0;
        let mut redirects = 0;
        let mut current = req.clone();
        loop {
            if signal.is_some_and(AbortSignal::aborted) {
                return Err(with_attempts(self.aborted(), attempts));
            }
            if attempts == 0 {
                self.budget.borrow_mut().on_first_attempt();
            }
            self.count(|s| s.requests += 1);
            attempts += 1;
            let child = ChildSignal::new(signal, Some(self.request_timeout_ms)).map_err(|_| {
                Error::config("this runtime has no AbortController").with_provider(provider)
            })?;
            let outcome = fetch::send(&self.fetch_fn, &current, &child.signal()).await;
            let error = match outcome {
                Ok(resp) if is_redirect(resp.status) => {
                    match redirect_target(&current.url, &resp) {
                        Some(url) if redirects < 5 => {
                            redirects += 1;
                            attempts -= 1;
                            current.url = url;
                            continue;
                        }
                        _ => {
                            let err = Error::bad_response(
                                provider,
                                "the provider answered with a redirect to another origin (or too many redirects); polyjob does not follow it with your key",
                            )
                            .with_status(resp.status);
                            return Err(with_attempts(err, attempts));
                        }
                    }
                }
                Ok(resp) => match parse(&resp) {
                    Ok(value) => return Ok(value),
                    Err(mut err) => {
                        err.retry_after_ms = advised_delay_ms(&resp, now_ms());
                        if err.code == ErrorCode::BadResponse && resp.is_success() {
                            // A cut or garbled 2xx body: asking again is safe when idempotent.
                            err.retryable = idempotent;
                        }
                        err
                    }
                },
                Err(FetchFailure::TooLarge) => {
                    let err = Error::bad_response(provider, "response body exceeds the size limit");
                    return Err(with_attempts(err, attempts));
                }
                Err(FetchFailure::Network(message)) => match child.cause() {
                    Some(AbortCause::Parent) => {
                        return Err(with_attempts(self.aborted(), attempts))
                    }
                    Some(AbortCause::Timeout) => {
                        Error::new(ErrorCode::Timeout, "the request timed out")
                            .with_provider(provider)
                            .with_retryable(true)
                    }
                    None => {
                        let mut m = String::from("network error: ");
                        m.push_str(&message);
                        Error::new(ErrorCode::Network, m)
                            .with_provider(provider)
                            .with_retryable(true)
                    }
                },
            };
            drop(child);
            let wanted = self
                .retry
                .delay_for(&error, attempts - 1, idempotent, random());
            let delay = wanted.filter(|_| self.budget.borrow_mut().try_retry());
            match (wanted, delay) {
                (Some(_), Some(_)) => self.count(|s| s.retries += 1),
                (Some(_), None) => self.count(|s| s.retries_denied += 1),
                _ => {}
            }
            let Some(delay) = delay else {
                let mut error = with_attempts(error, attempts);
                if !idempotent
                    && self.retry.delay_for(&error, 0, true, 0.0).is_some()
                    && self.retry.delay_for(&error, 0, false, 0.0).is_none()
                {
                    // The submit may have reached the server: retrying could run it twice.
                    error.retryable = false;
                }
                return Err(error);
            };
            if sleep(delay, signal).await.is_err() {
                return Err(with_attempts(self.aborted(), attempts));
            }
        }
    }

    /// Submits a job. Without an `idempotencyKey`, a submit that may have reached the server
    /// (network failure or timeout after sending, 5xx) is not retried and rejects with
    /// `.retryable = false`; 429 and 503 (refused before processing) are retried.
    pub(crate) async fn submit(
        &self,
        req: &SubmitRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Job, Error> {
        let mut http = adapter(self.cfg.provider).submit(&self.cfg, req)?;
        if let Some(key) = &req.idempotency_key {
            http.headers.push(("idempotency-key".into(), key.clone()));
        }
        let provider = self.cfg.provider;
        self.exchange(&http, req.idempotency_key.is_some(), signal, |resp| {
            providers::parse_submit(provider, resp)
        })
        .await
    }

    /// Reads a job's status once. `last` (the job as last seen) lets providers follow links.
    pub(crate) async fn get(
        &self,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
    ) -> Result<Job, Error> {
        let http = adapter(self.cfg.provider).status(&self.cfg, id, last);
        let provider = self.cfg.provider;
        self.exchange(&http, true, signal, |resp| {
            providers::parse_status(provider, id, resp)
        })
        .await
    }

    /// Cancels a job (`UNSUPPORTED`, with nothing sent, where the provider cannot).
    pub(crate) async fn cancel(
        &self,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
    ) -> Result<Job, Error> {
        let http = adapter(self.cfg.provider).cancel(&self.cfg, id, last)?;
        let provider = self.cfg.provider;
        self.exchange(&http, true, signal, |resp| {
            providers::parse_cancel(provider, id, resp)
        })
        .await
    }

    /// Lists recent jobs (`UNSUPPORTED`, with nothing sent, where the provider cannot).
    pub(crate) async fn list(&self, signal: Option<&AbortSignal>) -> Result<Vec<Job>, Error> {
        let http = adapter(self.cfg.provider).list(&self.cfg)?;
        let provider = self.cfg.provider;
        self.exchange(&http, true, signal, |resp| {
            providers::parse_list(provider, resp)
        })
        .await
    }

    /// Polls job `id` until it is terminal; calls `on_update` once per change. `last` is a
    /// state already known (e.g. the submit's answer), reported first. Rejects `TIMEOUT` after
    /// `timeout_ms`, `ABORTED` when `signal` fires.
    pub(crate) async fn wait(
        self: &Rc<Self>,
        id: &str,
        last: Option<Job>,
        signal: Option<&AbortSignal>,
        timeout_ms: Option<f64>,
        on_update: &dyn Fn(&Job),
    ) -> Result<Job, Error> {
        let deadline = ChildSignal::new(signal, timeout_ms)
            .map_err(|_| Error::config("this runtime has no AbortController"))?;
        let deadline_signal = deadline.signal();
        let mut watcher = Watcher::new(self.clone(), id.to_string(), last);
        let mut latest: Option<Job> = None;
        loop {
            match watcher.next(Some(&deadline_signal)).await {
                Ok(Some(job)) => {
                    on_update(&job);
                    latest = Some(job);
                }
                Ok(None) => {
                    return latest.or_else(|| watcher.current.clone()).ok_or_else(|| {
                        Error::bad_response(self.cfg.provider, "the watch ended without a job")
                    });
                }
                Err(mut err) if err.code == ErrorCode::Aborted => {
                    if deadline.cause() == Some(AbortCause::Timeout) {
                        err = Error::new(
                            ErrorCode::Timeout,
                            "wait timed out before the job finished",
                        )
                        .with_provider(self.cfg.provider);
                        err.job = watcher.current.clone().map(Box::new);
                    }
                    return Err(err);
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Submits and waits. Resolves only a FINISHED job; any other terminal status rejects
    /// `JOB_FAILED` with the job attached. Aborting sends the provider's cancel where it has one.
    pub(crate) async fn run(
        self: &Rc<Self>,
        req: &SubmitRequest,
        signal: Option<&AbortSignal>,
        timeout_ms: Option<f64>,
        on_update: &dyn Fn(&Job),
    ) -> Result<Job, Error> {
        let submitted = self.submit(req, signal).await?;
        let id = submitted.id.clone();
        match self
            .wait(&id, Some(submitted), signal, timeout_ms, on_update)
            .await
        {
            Ok(job) if job.status == JobStatus::Finished => Ok(job),
            Ok(job) => {
                let mut msg = String::from("job ");
                msg.push_str(&job.id);
                msg.push_str(" ended ");
                msg.push_str(job.status.as_str());
                if let Some(e) = &job.error {
                    msg.push_str(": ");
                    msg.push_str(&e.message);
                }
                let mut err =
                    Error::new(ErrorCode::JobFailed, msg).with_provider(self.cfg.provider);
                err.job = Some(Box::new(job));
                Err(err)
            }
            Err(err) => {
                if err.code == ErrorCode::Aborted
                    && adapter(self.cfg.provider).capabilities().cancel
                {
                    let last = err.job.as_deref().cloned();
                    let guard = ChildSignal::new(None, Some(ABORT_CANCEL_TIMEOUT_MS)).ok();
                    let sig = guard.as_ref().map(ChildSignal::signal);
                    let _ = self.cancel(&id, last.as_ref(), sig.as_ref()).await;
                }
                Err(err)
            }
        }
    }
}

fn is_redirect(status: u16) -> bool {
    // 0: a browser's opaque answer to `redirect: "manual"`.
    status == 0 || matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The absolute URL a redirect points to, when it stays on `from`'s origin.
fn redirect_target(from: &str, resp: &HttpResponse) -> Option<String> {
    let location = resp.header("location")?;
    let base = crate::providers::origin_of(from)?;
    crate::providers::resolve_link(base, location)
        .filter(|url| crate::providers::origin_of(url) == Some(base))
}

fn with_attempts(mut err: Error, attempts: u32) -> Error {
    err.attempts = attempts;
    err
}

/// Follows one job: each call to [`Watcher::next`] returns the next *changed* state, and `None`
/// after the terminal one. A status that moves backwards is ignored; terminal is final.
pub(crate) struct Watcher {
    engine: Rc<Engine>,
    id: String,
    schedule: PollSchedule,
    /// The latest accepted state.
    pub(crate) current: Option<Job>,
    /// A known state not yet handed out (the submit's answer).
    pending: Option<Job>,
    polled: bool,
    done: bool,
    /// Polls in a row that failed with a transient error (after their own retries).
    failed_polls: u32,
}

/// A wait gives up after this many polls in a row fail transiently (each after its retries).
const MAX_FAILED_POLLS: u32 = 3;

impl Watcher {
    pub(crate) fn new(engine: Rc<Engine>, id: String, known: Option<Job>) -> Watcher {
        let schedule = PollSchedule::new(engine.poll);
        Watcher {
            engine,
            id,
            schedule,
            current: None,
            pending: known,
            polled: false,
            done: false,
            failed_polls: 0,
        }
    }

    /// Stops the watch: later calls to `next` return `None`.
    pub(crate) fn stop(&mut self) {
        self.done = true;
    }

    /// The next changed state, or `None` once the terminal state has been returned.
    pub(crate) async fn next(
        &mut self,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<Job>, Error> {
        if self.done {
            return Ok(None);
        }
        if let Some(known) = self.pending.take() {
            if let Some(job) = self.accept(known) {
                return Ok(Some(job));
            }
        }
        loop {
            if self.polled {
                let delay = self.schedule.next_delay(now_ms(), random());
                if sleep(delay, signal).await.is_err() {
                    let mut err = self.engine.aborted();
                    err.job = self.current.clone().map(Box::new);
                    return Err(err);
                }
            }
            self.polled = true;
            let polled = self
                .engine
                .get(&self.id, self.current.as_ref(), signal)
                .await;
            let job = match polled {
                Ok(job) => {
                    self.failed_polls = 0;
                    job
                }
                Err(err)
                    if err.retryable
                        && err.code != ErrorCode::Aborted
                        && self.failed_polls < MAX_FAILED_POLLS =>
                {
                    // The call already retried; let the schedule's next delay pass and ask again.
                    self.failed_polls += 1;
                    continue;
                }
                Err(mut err) => {
                    err.job = self.current.clone().map(Box::new);
                    return Err(err);
                }
            };
            if let Some(job) = self.accept(job) {
                return Ok(Some(job));
            }
        }
    }

    /// Takes a new state into account; returns it when it is a change to report.
    fn accept(&mut self, job: Job) -> Option<Job> {
        self.schedule.observe(now_ms(), &job);
        if let Some(current) = &self.current {
            let regressed = matches!(
                (current.status.rank(), job.status.rank()),
                (Some(old), Some(new)) if new < old
            );
            if regressed || !job.differs_from(current) {
                return None;
            }
        }
        if job.is_terminal() {
            self.done = true;
        }
        self.current = Some(job.clone());
        Some(job)
    }
}
