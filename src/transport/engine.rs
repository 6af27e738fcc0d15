//! A client's context ([`Engine`]: its config, fetch, policies, counters, push registry,
//! request cap) and the request loop: each provider request is built, sent, timed out, retried
//! (per the core's retry policy, within the client's retry budget) and parsed here, in
//! [`Engine::exchange`], and the calls made of it (submit, get, cancel, list, and
//! [`Engine::discover`]: estimate, balance, models — the last a request per catalogue page). Waiting on a job is wait.rs; reading a stream, stream.rs. Decisions come
//! from `core`; translations from `providers`; this module only sequences I/O and time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function};
use web_sys::AbortSignal;

use super::fetch::{self, FetchFailure};
use super::gate::{Gate, Permit, Refused};
use super::push::PushRegistry;
use super::realtime::RealtimeHub;
use super::timer::sleep;
use super::{now_ms, random};
use crate::core::retry::{advised_delay_ms, RetryBudget, RetryPolicy};
use crate::core::schedule::PollPolicy;
use crate::core::{Channel, Deadline, Error, ErrorCode, HttpRequest, HttpResponse, Job, Json};
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

/// The message of a wait's timeout until the wait names the job (wait.rs `timeout_message`).
pub(crate) const WAIT_TIMED_OUT: &str = "wait timed out before the job finished";

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
    /// wait itself names the job and its `timeoutMs` (wait.rs).
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
        let mut http = providers::submit(&self.cfg, req)?;
        if let Some(key) = &req.idempotency_key {
            http.set_header("idempotency-key", key.clone());
        }
        let provider = self.cfg.provider;
        let service_url: Option<Rc<str>> =
            adapter(provider).service_url(&self.cfg, req).map(Rc::from);
        self.exchange(
            &http,
            Some(files),
            req.idempotency_key.is_some(),
            signal,
            Deadline::NONE,
            None,
            |resp| {
                providers::parse_submit(provider, resp).map(|mut job| {
                    job.service_url = service_url.clone();
                    via(job, Channel::Submit)
                })
            },
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
        let service_url = last.and_then(|j| j.service_url.clone());
        self.exchange(&http, None, true, signal, deadline, permit, |resp| {
            providers::parse_status(provider, id, resp).map(|mut job| {
                job.service_url = service_url.clone();
                via(job, Channel::Poll)
            })
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
        let service_url = last.and_then(|j| j.service_url.clone());
        self.exchange(&http, None, true, signal, Deadline::NONE, None, |resp| {
            providers::parse_cancel(provider, id, resp).map(|mut job| {
                job.service_url = service_url.clone();
                via(job, Channel::Cancel)
            })
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
}

/// The most pages [`Engine::discover`] follows (deAPI's 50 models a page: 5,000 models).
const MAX_MODEL_PAGES: usize = 100;

/// What [`Engine::discover`] asks the provider.
pub(crate) enum Discover {
    /// The price of a request (its input's files in the array), sent exactly as its submit
    /// would be.
    Estimate(SubmitRequest, Array),
    /// The account's balance.
    Balance,
    /// The model catalogue, every page followed in turn; only models for the task when given.
    Models(Option<String>),
}

impl Engine {
    /// Asks the provider `what` and answers in the JS shape: an amount `{amount, currency}`, or
    /// the array of every page's models `{id, name, tasks, provider, raw}`. `UNSUPPORTED`, with
    /// nothing sent, where the provider has no such call. These calls change nothing, so each
    /// request is retried like a status request. A catalogue whose pages do not end (a page
    /// naming itself as the next, or more than [`MAX_MODEL_PAGES`]) is `BAD_RESPONSE`, never a
    /// silent cut. One method for the three calls: one request loop and one future in the wasm.
    pub(crate) async fn discover(
        &self,
        what: &Discover,
        signal: Option<&AbortSignal>,
    ) -> Result<Json, Error> {
        let provider = self.cfg.provider;
        let a = adapter(provider);
        let mut models = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_MODEL_PAGES {
            let (http, files) = match what {
                Discover::Estimate(req, files) => (a.estimate(&self.cfg, req)?, Some(files)),
                Discover::Balance => (a.balance(&self.cfg)?, None),
                Discover::Models(task) => (
                    a.models(&self.cfg, task.as_deref(), cursor.as_deref())?,
                    None,
                ),
            };
            let (value, next) = self
                .exchange(&http, files, true, signal, Deadline::NONE, None, |resp| {
                    match what {
                        Discover::Estimate(..) => providers::parse_estimate(provider, resp),
                        Discover::Balance => providers::parse_balance(provider, resp),
                        Discover::Models(_) => {
                            return providers::parse_models(provider, resp).map(|page| {
                                let mut list = Vec::with_capacity(page.models.len());
                                for m in page.models {
                                    list.push(m.into_json(provider.as_str()));
                                }
                                (Json::Array(list), page.next)
                            })
                        }
                    }
                    .map(|amount| (amount.to_json(), None))
                })
                .await?;
            let Json::Array(page) = value else {
                return Ok(value);
            };
            models.extend(page);
            match next {
                None => return Ok(Json::Array(models)),
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                Some(_) => break,
            }
        }
        Err(Error::bad_response(
            provider,
            "models: the catalogue's pages do not end (a page repeats, or more than 100)",
        ))
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
