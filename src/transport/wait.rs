//! Waiting on a job: `wait` (follow a job to its end over the best channel, polling as the
//! floor), `run` (submit, then wait; cancel the remote job when aborted) and the push channel a
//! wait leases (deAPI realtime, or a Socaity job's status stream, read alongside the watch).
//! Orchestration only: the requests go through the engine's request loop (engine.rs), the
//! following through a [`Watcher`], a stream read through stream.rs and status_stream.rs.

use std::future::Future;
use std::rc::Rc;

use js_sys::Array;
use web_sys::AbortSignal;

use super::abort::ChildSignal;
use super::engine::{Engine, WAIT_TIMED_OUT};
use super::now_ms;
use super::realtime::Lease;
use super::signal::{race, Either};
use super::status_stream;
use super::watcher::{Via, Watcher};
use crate::core::{Deadline, Error, ErrorCode, Job, JobStatus};
use crate::providers::{adapter, SubmitRequest};

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
        // A Socaity job offering its status stream is followed on it (a push channel); boxed,
        // so the other waits carry only its pointer.
        let follow =
            (via == Via::Auto && status_stream::offered(self, last.as_deref())).then(|| {
                let known = last
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(|| Job::new(self.cfg.provider, id.clone(), JobStatus::Unknown));
                Box::pin(status_stream::follow(
                    self.clone(),
                    id.clone(),
                    known,
                    signal.clone(),
                ))
            });
        let push = lease.is_some() || follow.is_some();
        let mut watcher = Watcher::new(self.clone(), id, last, push).with_deadline(deadline);
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
            let watching = async {
                loop {
                    match watcher.next(signal.as_ref()).await {
                        Ok(Some(job)) => on_update(&job),
                        Ok(None) => {
                            return watcher.current.take().ok_or_else(|| {
                                Error::bad_response(
                                    watcher.provider(),
                                    "the watch ended without a job",
                                )
                            });
                        }
                        Err(err) => return Err(timeout_message(err, watcher.id(), timeout_ms)),
                    }
                }
            };
            match follow {
                // The stream's read ends at its terminal record; the watch decides the end.
                Some(follow) => {
                    let stream = async {
                        follow.await;
                        std::future::pending::<std::convert::Infallible>().await
                    };
                    match race(stream, watching).await {
                        Either::Right(outcome) => outcome,
                        Either::Left(never) => match never {},
                    }
                }
                None => watching.await,
            }
        })
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
