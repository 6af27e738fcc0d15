//! The request loop: sends the providers' requests with retries and timeouts, and drives the
//! poll schedule for `wait` and `watch`. Decisions come from `core` (retry policy, poll
//! schedule); translations from `providers`; this module only sequences I/O and time.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function};
use web_sys::AbortSignal;

use super::abort::{AbortCause, ChildSignal};
use super::fetch::{self, FetchFailure};
use super::gate::{Gate, Permit, Refused};
use super::push::PushRegistry;
use super::realtime::{Lease, RealtimeHub};
use super::stream::StreamReader;
use super::timer::sleep;
use super::watcher::{Via, Watcher};
use super::{now_ms, random};
use crate::core::retry::{advised_delay_ms, RetryBudget, RetryPolicy};
use crate::core::schedule::PollPolicy;
use crate::core::{Channel, Deadline, Error, ErrorCode, HttpRequest, HttpResponse, Job, JobStatus};
use crate::providers::{self, adapter, ClientConfig, SubmitRequest};

/// Everything a client needs to talk to one provider.
pub(crate) struct Engine {
    pub(crate) cfg: ClientConfig,
    pub(crate) fetch_fn: Function,
    pub(crate) poll: Rc<PollPolicy>,
    pub(crate) retry: RetryPolicy,
    /// Per-request timeout.
    pub(crate) request_timeout_ms: f64,
    /// The largest response body read (`maxResponseBytes`); a larger one is `TOO_LARGE`.
    pub(crate) max_response_bytes: f64,
    /// Shared by every call of this client.
    pub(crate) budget: RefCell<RetryBudget>,
    pub(crate) stats: Cell<Stats>,
    /// Pushed updates (realtime, `notify`) routed to watchers.
    pub(crate) push: Rc<PushRegistry>,
    /// deAPI's realtime channel, when configured.
    pub(crate) realtime: Option<Rc<RealtimeHub>>,
    /// The cap on this client's requests in flight (`maxConcurrentRequests`).
    pub(crate) gate: Rc<Gate>,
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
    /// Times a wait lost its push channel (a realtime socket dropped or refused) and fell back
    /// to polling.
    pub(crate) fallbacks: u64,
}

/// The message of a wait's timeout until the wait names the job ([`timeout_message`]).
const WAIT_TIMED_OUT: &str = "wait timed out before the job finished";

/// A wait's timeout, said with the job's id, the `timeoutMs` given and the last status seen.
fn timeout_message(mut err: Error, id: &str, timeout_ms: Option<f64>) -> Error {
    if err.code != ErrorCode::Timeout || err.message != WAIT_TIMED_OUT {
        return err;
    }
    let mut m = String::from(err.provider.map_or("polyjob", |p| p.as_str()));
    m.push_str(": job ");
    m.push_str(id);
    m.push_str(" did not finish within timeoutMs (");
    crate::core::number::push_u64(&mut m, timeout_ms.unwrap_or(0.0) as u64);
    m.push_str(" ms)");
    if let Some(job) = &err.job {
        m.push_str("; its last status was ");
        m.push_str(job.status.as_str());
    }
    err.message = m;
    err
}

/// Timeout for the best-effort cancel sent when a `run` is aborted.
const ABORT_CANCEL_TIMEOUT_MS: f64 = 5_000.0;

impl Engine {
    pub(crate) fn count(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    fn aborted(&self) -> Error {
        Error::new(ErrorCode::Aborted, "the operation was aborted").with_provider(self.cfg.provider)
    }

    /// The error for a permit that was not granted (`deadline`'s end is a wait's timeout).
    pub(crate) fn refused(&self, why: Refused, job: Option<Job>) -> Error {
        match why {
            Refused::Aborted => {
                let mut err = self.aborted();
                err.job = job.map(Box::new);
                err
            }
            Refused::DeadlinePassed => self.wait_timed_out(job),
        }
    }

    /// A wait's own deadline came (`TIMEOUT`, not retryable), with the job as last seen. The
    /// wait itself names the job and its `timeoutMs` ([`timeout_message`]).
    pub(crate) fn wait_timed_out(&self, job: Option<Job>) -> Error {
        let mut e = Error::new(ErrorCode::Timeout, WAIT_TIMED_OUT).with_provider(self.cfg.provider);
        e.job = job.map(Box::new);
        e
    }

    /// Sends `req` and parses the answer with `parse`, retrying per the policy: transient
    /// failures (network, timeout, 408/425/429/5xx, an unreadable 2xx body on an idempotent call)
    /// are retried after the advised or backoff delay while `maxRetries` and the client's retry
    /// budget allow. Same-origin redirects are followed (at most 5); others are refused, since the
    /// key travels in a header. Each request's timeout and each retry delay are cut to what is
    /// left of `deadline` (a wait's), which, once passed, ends the loop with
    /// [`Engine::wait_timed_out`]. Every attempt takes a permit of the client's request cap
    /// (the first may come in as `permit`) and gives it back before a retry delay.
    #[allow(clippy::too_many_arguments)]
    async fn exchange<T>(
        &self,
        req: &HttpRequest,
        files: Option<&Array>,
        idempotent: bool,
        signal: Option<&AbortSignal>,
        deadline: Deadline,
        permit: Option<Permit>,
        parse: impl Fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // Boxed: the slot is held across the request, in every in-flight poll's future, but
        // filled only once the answer is in.
        let mut parsed: Option<Box<T>> = None;
        let mut accept = |resp: &HttpResponse| {
            parsed = Some(Box::new(parse(resp)?));
            Ok(())
        };
        self.exchange_once(
            req,
            files,
            idempotent,
            signal,
            deadline,
            permit,
            &mut accept,
        )
        .await?;
        parsed
            .map(|value| *value)
            .ok_or_else(|| Error::bad_response(self.cfg.provider, "no answer was parsed"))
    }

    /// The loop of [`Engine::exchange`], compiled once: `accept` parses an answer and keeps the
    /// value (an error from it is handled like a bad answer). Generic callers would each get
    /// their own copy of this loop in the wasm (~3 KB each). A form body's files come from
    /// `files`, the same objects on every attempt.
    #[allow(clippy::too_many_arguments)]
    async fn exchange_once(
        &self,
        req: &HttpRequest,
        files: Option<&Array>,
        idempotent: bool,
        signal: Option<&AbortSignal>,
        deadline: Deadline,
        mut permit: Option<Permit>,
        accept: &mut dyn FnMut(&HttpResponse) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let provider = self.cfg.provider;
        let mut attempts: u32 = 0;
        let mut redirects = 0;
        // The request as sent: `req` itself until a redirect (no copy per call: at the peak of
        // many concurrent polls, every in-flight request's copy would stay in linear memory).
        let mut redirected: Option<HttpRequest> = None;
        loop {
            let current = redirected.as_ref().unwrap_or(req);
            if signal.is_some_and(AbortSignal::aborted) {
                return Err(with_attempts(self.aborted(), attempts));
            }
            let now = now_ms();
            if deadline.passed(now) {
                return Err(self.wait_timed_out(None));
            }
            let in_flight = match permit.take() {
                Some(p) => p,
                None => match self.gate.acquire(signal, deadline).await {
                    Ok(p) => p,
                    Err(why) => return Err(with_attempts(self.refused(why, None), attempts)),
                },
            };
            // Waiting for the permit took time.
            let now = now_ms();
            if attempts == 0 {
                self.budget.borrow_mut().on_first_attempt();
            }
            self.count(|s| s.requests += 1);
            attempts += 1;
            let timeout_ms = deadline.clamp(self.request_timeout_ms, now);
            let outcome = fetch::send(
                &self.fetch_fn,
                current,
                files,
                signal,
                timeout_ms,
                self.max_response_bytes,
            )
            .await;
            // The body is read: the next request may go (before any retry delay here).
            drop(in_flight);
            let error = match outcome {
                Ok(resp) if is_redirect(resp.status) => {
                    match redirect_target(&current.url, &resp) {
                        Some(url) if redirects < 5 => {
                            redirects += 1;
                            attempts -= 1;
                            let mut next = current.clone();
                            next.url = url;
                            redirected = Some(next);
                            continue;
                        }
                        _ => {
                            let err = Error::bad_response(
                                provider,
                                "the provider answered with a redirect to another origin (or too many redirects); polyjob does not follow it with your key",
                            )
                            .with_status(resp.status)
                            .with_request(current.method, &current.url);
                            return Err(with_attempts(err, attempts));
                        }
                    }
                }
                Ok(resp) => match accept(&resp) {
                    Ok(()) => return Ok(()),
                    Err(err) => {
                        let mut err = err.with_request(current.method, &current.url);
                        err.retry_after_ms = advised_delay_ms(&resp, now_ms());
                        if err.code == ErrorCode::BadResponse && resp.is_success() {
                            // A cut or garbled 2xx body: asking again is safe when idempotent.
                            err.retryable = idempotent;
                        }
                        err
                    }
                },
                Err(FetchFailure::TooLarge) => {
                    let mut m = String::from("the response body is larger than maxResponseBytes (");
                    crate::core::number::push_u64(&mut m, self.max_response_bytes as u64);
                    m.push_str(" bytes); raise the client option maxResponseBytes to read it");
                    let err = Error::new(ErrorCode::TooLarge, m)
                        .with_provider(provider)
                        .with_request(current.method, &current.url);
                    return Err(with_attempts(err, attempts));
                }
                Err(FetchFailure::Aborted) => return Err(with_attempts(self.aborted(), attempts)),
                Err(FetchFailure::Timeout) if timeout_ms < self.request_timeout_ms => {
                    // Cut by the wait's deadline, not the per-request timeout.
                    return Err(self.wait_timed_out(None));
                }
                Err(FetchFailure::Timeout) => {
                    let mut m = String::from(provider.as_str());
                    m.push_str(": no answer within requestTimeoutMs (");
                    crate::core::number::push_u64(&mut m, self.request_timeout_ms as u64);
                    m.push_str(" ms)");
                    Error::new(ErrorCode::Timeout, m)
                        .with_provider(provider)
                        .with_retryable(true)
                        .with_request(current.method, &current.url)
                }
                Err(FetchFailure::Network(message, host_error)) => {
                    let mut m = String::from(provider.as_str());
                    m.push_str(": network error: ");
                    m.push_str(&message);
                    let mut err = Error::new(ErrorCode::Network, m)
                        .with_provider(provider)
                        .with_retryable(true)
                        .with_request(current.method, &current.url);
                    if !host_error.is_undefined() {
                        err.cause = Some(crate::core::HostValue(Rc::new(host_error)));
                    }
                    err
                }
            };
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
            if sleep(deadline.clamp(delay, now_ms()), signal)
                .await
                .is_err()
            {
                return Err(with_attempts(self.aborted(), attempts));
            }
        }
    }

    /// Submits a job; the files of its input are `files` (see `SubmitRequest::files`). Without
    /// an `idempotencyKey`, a submit that may have reached the server (network failure or
    /// timeout after sending, 5xx) is not retried and rejects with `.retryable = false`; 429 and
    /// 503 (refused before processing) are retried, resending the same parts.
    pub(crate) async fn submit(
        &self,
        req: &SubmitRequest,
        files: &Array,
        signal: Option<&AbortSignal>,
    ) -> Result<Job, Error> {
        let mut http = adapter(self.cfg.provider).submit(&self.cfg, req)?;
        if let Some(key) = &req.idempotency_key {
            http.set_header("idempotency-key", key.clone());
        }
        let provider = self.cfg.provider;
        self.exchange(
            &http,
            Some(files),
            req.idempotency_key.is_some(),
            signal,
            Deadline::NONE,
            None,
            |resp| providers::parse_submit(provider, resp).map(|job| via(job, Channel::Submit)),
        )
        .await
        .map_err(|e| {
            e.with_not_found_hint(
                "no such endpoint: check baseUrl (it must point at this provider) and the model or task",
            )
        })
    }

    /// Reads a job's status once. `last` (the job as last seen) lets providers follow links.
    pub(crate) async fn get(
        &self,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
    ) -> Result<Job, Error> {
        self.get_before(id, last, signal, Deadline::NONE, None)
            .await
    }

    /// [`Engine::get`] within a wait's `deadline` (see [`Engine::exchange`]), with the
    /// request's permit when the caller already holds it.
    pub(crate) async fn get_before(
        &self,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
        deadline: Deadline,
        permit: Option<Permit>,
    ) -> Result<Job, Error> {
        let http = adapter(self.cfg.provider).status(&self.cfg, id, last);
        let provider = self.cfg.provider;
        self.exchange(&http, None, true, signal, deadline, permit, |resp| {
            providers::parse_status(provider, id, resp).map(|job| via(job, Channel::Poll))
        })
        .await
        .map_err(|e| {
            e.with_not_found_hint(
                "no such job: check the id, and that baseUrl points at this provider",
            )
        })
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
        self.exchange(&http, None, true, signal, Deadline::NONE, None, |resp| {
            providers::parse_cancel(provider, id, resp).map(|job| via(job, Channel::Cancel))
        })
        .await
    }

    /// Lists recent jobs (`UNSUPPORTED`, with nothing sent, where the provider cannot).
    pub(crate) async fn list(&self, signal: Option<&AbortSignal>) -> Result<Vec<Job>, Error> {
        let http = adapter(self.cfg.provider).list(&self.cfg)?;
        let provider = self.cfg.provider;
        self.exchange(&http, None, true, signal, Deadline::NONE, None, |resp| {
            providers::parse_list(provider, resp).map(|jobs| {
                jobs.into_iter()
                    .map(|job| via(job, Channel::List))
                    .collect()
            })
        })
        .await
    }

    /// Polls job `id` until it is terminal; calls `on_update` once per change. `last` is a
    /// state already known (e.g. the submit's answer), reported first. Rejects `TIMEOUT` after
    /// `timeout_ms`, `ABORTED` when `signal` fires. The deadline is a point in time the sleeps
    /// and requests are cut to ([`Deadline`]): a parked wait arms no timer or signal for it.
    /// `CONFIG` / `UNSUPPORTED` (before anything is sent) when `via` cannot be served.
    ///
    /// Not an `async fn`: the set-up runs here and the future owns each value once. An `async
    /// fn` keeps its arguments twice (as captured, and as moved into its locals), and every
    /// parked wait would carry that copy.
    pub(crate) fn wait(
        self: &Rc<Self>,
        id: Rc<str>,
        last: Option<Box<Job>>,
        signal: Option<AbortSignal>,
        timeout_ms: Option<f64>,
        on_update: impl Fn(&Job) + 'static,
        via: Via,
    ) -> Result<impl Future<Output = Result<Job, Error>> + 'static, Error> {
        let lease = self.push_lease(via)?;
        let deadline = Deadline::after(timeout_ms, now_ms());
        let mut watcher =
            Watcher::new(self.clone(), id, last, lease.is_some()).with_deadline(deadline);
        Ok(async move {
            // Held for the whole wait: the push channel stays open while it lasts.
            let _lease = &lease;
            if via == Via::Stream {
                // Read the output stream to its end first; the terminal state then comes from
                // one status request. Boxed, so a parked poll-mode wait does not carry its state.
                Box::pin(watcher.drain_stream(signal.as_ref()))
                    .await
                    .map_err(|err| timeout_message(err, watcher.id(), timeout_ms))?;
            }
            // The latest state lives in `watcher.current` only: a parked wait keeps one copy
            // of the job (with its raw body), not two.
            loop {
                match watcher.next(signal.as_ref()).await {
                    Ok(Some(job)) => on_update(&job),
                    Ok(None) => {
                        return watcher.current.take().ok_or_else(|| {
                            Error::bad_response(watcher.provider(), "the watch ended without a job")
                        });
                    }
                    Err(err) => return Err(timeout_message(err, watcher.id(), timeout_ms)),
                }
            }
        })
    }

    /// Reads job `id`'s output stream to its end (a `wait` via "stream", through
    /// [`Watcher::drain_stream`]). A job that does not
    /// stream (409) or a broken stream ends the read without error: the wait falls back to
    /// polling. Fails on abort, the wait's deadline and NOT_FOUND. A stream read cannot be cut
    /// by clamping, so this one arms a signal for the deadline.
    pub(crate) async fn drain_stream(
        self: &Rc<Self>,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
        deadline: Deadline,
    ) -> Result<(), Error> {
        if deadline.passed(now_ms()) {
            return Err(self.wait_timed_out(last.cloned()));
        }
        let armed = ChildSignal::new(signal, deadline.remaining_ms(now_ms()))
            .map_err(|_| Error::config("this runtime has no AbortController"))?;
        let armed_signal = armed.signal();
        let mut reader = StreamReader::for_job(self.clone(), id, last)?;
        loop {
            match reader.next(Some(&armed_signal)).await {
                Ok(Some(_chunk)) => {}
                Ok(None) => return Ok(()),
                Err(err) if err.code == ErrorCode::Aborted => {
                    return Err(if armed.cause() == Some(AbortCause::Timeout) {
                        self.wait_timed_out(last.cloned())
                    } else {
                        err
                    });
                }
                Err(err) if err.code == ErrorCode::NotFound => return Err(err),
                Err(_) => return Ok(()),
            }
        }
    }

    /// The push channel for a wait `via` this route: a realtime lease when deAPI realtime is
    /// configured and usable (`Auto`, `Realtime`), none for `Poll`. `CONFIG` when `Realtime` is
    /// asked for but not configured.
    pub(crate) fn push_lease(&self, via: Via) -> Result<Option<Lease>, Error> {
        match (via, &self.realtime) {
            (Via::Poll, _) => Ok(None),
            (Via::Auto, Some(hub)) if hub.usable() => Ok(Some(hub.acquire())),
            (Via::Auto, _) => Ok(None),
            (Via::Realtime, Some(hub)) => Ok(Some(hub.acquire())),
            (Via::Realtime, None) => Err(Error::config(
                "via \"realtime\" needs provider \"deapi\", options.realtime.clientId and a WebSocket (global or options.realtime.WebSocket)",
            )
            .with_provider(self.cfg.provider)),
            (Via::Stream, _) if adapter(self.cfg.provider).capabilities().streaming => Ok(None),
            (Via::Stream, _) => Err(Error::unsupported(self.cfg.provider, "stream")),
        }
    }

    /// Submits and waits. Resolves only a FINISHED job; any other terminal status rejects
    /// `JOB_FAILED` with the job attached. Aborting sends the provider's cancel where it has one.
    /// The request and its files are dropped once submitted (not kept for the whole wait), and
    /// the submit, wait and cancel steps are boxed: the future of a running job holds only the
    /// step in progress, not room for the largest of the three.
    // Not `async fn` on purpose (clippy's `manual_async_fn`): see the comment in the body.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn run(
        self: Rc<Self>,
        req: SubmitRequest,
        files: Array,
        signal: Option<AbortSignal>,
        timeout_ms: Option<f64>,
        on_update: impl Fn(&Job) + 'static,
        via: Via,
    ) -> impl Future<Output = Result<Job, Error>> + 'static {
        // An async block, not an `async fn`: it holds its inputs once (see `wait`).
        async move {
            // Open the push channel before submitting, so no early event is missed.
            let _lease = self.push_lease(via)?;
            // In a block: neither the request nor the submitted job outlives it in the future.
            let (id, known) = {
                let submitted = Box::pin(self.submit(&req, &files, signal.as_ref())).await?;
                drop(req);
                drop(files);
                (submitted.id.clone(), Box::new(submitted))
            };
            // Boxed at once: a `match` on the unboxed future would keep it in this one's state.
            let waiting = self
                .wait(
                    id.clone(),
                    Some(known),
                    signal.clone(),
                    timeout_ms,
                    on_update,
                    via,
                )
                .map(Box::pin);
            let waited = match waiting {
                Ok(waiting) => waiting.await,
                Err(err) => Err(err),
            };
            let err = match waited {
                Ok(job) if job.status == JobStatus::Finished => return Ok(job),
                Ok(job) => return Err(self.job_failed(job)),
                Err(err) => err,
            };
            if err.code == ErrorCode::Aborted && adapter(self.cfg.provider).capabilities().cancel {
                Box::pin(self.cancel_after_abort(&id, err.job.as_deref())).await;
            }
            Err(err)
        }
    }

    /// `JOB_FAILED` for a job that ended other than FINISHED, with the job attached.
    fn job_failed(&self, job: Job) -> Error {
        let mut msg = String::from("job ");
        msg.push_str(&job.id);
        msg.push_str(" ended ");
        msg.push_str(job.status.as_str());
        if let Some(e) = &job.error {
            msg.push_str(": ");
            msg.push_str(&e.message);
        }
        let mut err = Error::new(ErrorCode::JobFailed, msg).with_provider(self.cfg.provider);
        err.job = Some(Box::new(job));
        err
    }

    /// The best-effort cancel of an aborted `run` (bounded in time; its outcome is not reported).
    async fn cancel_after_abort(&self, id: &str, last: Option<&Job>) {
        let guard = ChildSignal::new(None, Some(ABORT_CANCEL_TIMEOUT_MS)).ok();
        let sig = guard.as_ref().map(ChildSignal::signal);
        let _ = self.cancel(id, last, sig.as_ref()).await;
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

/// `job`, marked as having come by `channel`.
pub(crate) fn via(mut job: Job, channel: Channel) -> Job {
    job.via = Some(channel);
    job
}

fn with_attempts(mut err: Error, attempts: u32) -> Error {
    err.attempts = attempts;
    err
}
