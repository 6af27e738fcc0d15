//! Following one job: [`Watcher::next`] returns the job's next *changed* state and `None` after
//! the terminal one, whatever channel brought it — polls, or pushed updates (deAPI realtime, a
//! Socaity status stream, updates fed with `client.notify`). States are applied in order: a status that moves
//! backwards is ignored, terminal is final, and an update equal to the current state is not a
//! change, so duplicates from several channels are reported once.
//!
//! With a push feed the poll becomes a slow safety net: it fires only when no pushed update
//! arrived for a while (6 s, doubling to 30 s), which is also how a stalled channel is detected.
//! When the feed is lost (socket refused or given up) polling takes over at once.

use std::rc::Rc;

use web_sys::AbortSignal;

use super::engine::Engine;
use super::gate::{Permit, Refused};
use super::push::{PushUpdate, Subscription};
use super::signal::{race, Either};
use super::timer::sleep;
use super::{now_ms, random};
use crate::core::schedule::{PollPolicy, PollSchedule};
use crate::core::{Channel, Deadline, Error, ErrorCode, Job};

/// The first safety-net delay while a push channel carries the job. Long enough that a job
/// reporting every few seconds is not polled; short enough to catch a failure the channel does
/// not announce (deAPI sends errors by webhook only) within seconds.
const SAFETY_FIRST_MS: f64 = 6_000.0;

/// A wait gives up after this many polls in a row fail transiently (each after its retries).
const MAX_FAILED_POLLS: u32 = 3;

/// How a watcher learns about the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// The best channel available, polling as the floor.
    Auto,
    Poll,
    Realtime,
    Stream,
}

impl Via {
    pub(crate) fn from_name(name: &str) -> Option<Via> {
        match name {
            "auto" => Some(Via::Auto),
            "poll" => Some(Via::Poll),
            "realtime" => Some(Via::Realtime),
            "stream" => Some(Via::Stream),
            _ => None,
        }
    }
}

/// Follows one job. See the module doc.
pub(crate) struct Watcher {
    engine: Rc<Engine>,
    schedule: PollSchedule,
    /// The latest accepted state.
    pub(crate) current: Option<Job>,
    /// A known state not yet handed out (the submit's answer).
    /// Boxed: it is used once, at the start, but its slot lasts as long as the watcher.
    pending: Option<Box<Job>>,
    polled: bool,
    done: bool,
    failed_polls: u32,
    /// Pushed updates for this job; always present (updates fed by `notify` count too). It
    /// holds the job id the watcher asks about.
    feed: Subscription,
    /// True while a push channel carries this job: polls are then only a safety net.
    pushing: bool,
    /// Whether a push channel was meant to carry this job (it may resume after a drop).
    push_capable: bool,
    /// Poll before waiting again (catch-up after a channel change).
    poll_now: bool,
    /// The pace of pushed updates, from the first one or the start of a push channel (boxed:
    /// most watches never get one, and every parked wait would carry its 40 bytes).
    pacing: Option<Box<PushPacing>>,
    /// A wait's deadline: sleeps and requests are cut to it (none for `watch`).
    deadline: Deadline,
}

/// How often a job's pushed updates come, and the safety-net poll delay that follows from it.
struct PushPacing {
    last_push_ms: Option<f64>,
    /// The longest gap seen between two pushed updates of this job.
    max_push_gap_ms: f64,
    /// The safety-net delay: restarts after every pushed update, doubles when it runs out.
    safety_delay_ms: f64,
    safety_max_ms: f64,
}

impl PushPacing {
    fn new(poll: &PollPolicy) -> Box<PushPacing> {
        let safety = safety_policy(poll);
        Box::new(PushPacing {
            last_push_ms: None,
            max_push_gap_ms: 0.0,
            safety_delay_ms: safety.initial_ms,
            safety_max_ms: safety.max_interval_ms,
        })
    }
}

impl Watcher {
    /// A watcher of job `id`; `known` is a state already seen (reported first). `push` says
    /// whether a push channel carries the job (the caller has started it).
    pub(crate) fn new(
        engine: Rc<Engine>,
        id: Rc<str>,
        known: Option<Box<Job>>,
        push: bool,
    ) -> Watcher {
        let schedule = PollSchedule::shared(engine.poll.clone());
        let pacing = push.then(|| PushPacing::new(&engine.poll));
        let feed = engine.push.subscribe(&id);
        Watcher {
            engine,
            schedule,
            current: None,
            pending: known,
            polled: false,
            done: false,
            failed_polls: 0,
            feed,
            pushing: push,
            push_capable: push,
            poll_now: false,
            pacing,
            deadline: Deadline::NONE,
        }
    }

    /// Ends [`Watcher::next`] with the engine's wait timeout (the job as last seen attached)
    /// once `deadline` passes; sleeps and requests are cut to it.
    pub(crate) fn with_deadline(mut self, deadline: Deadline) -> Watcher {
        self.deadline = deadline;
        self
    }

    /// The watched job's id.
    pub(crate) fn id(&self) -> &str {
        self.feed.id()
    }

    /// The provider of the watched job.
    pub(crate) fn provider(&self) -> crate::core::Provider {
        self.engine.cfg.provider
    }

    /// Reads the job's output stream to its end before the watch starts (a wait via "stream"):
    /// [`Engine::drain_stream`] with this watch's job, known state and deadline.
    pub(crate) async fn drain_stream(&self, signal: Option<&AbortSignal>) -> Result<(), Error> {
        self.engine
            .drain_stream(
                self.feed.id(),
                self.pending.as_deref(),
                signal,
                self.deadline,
            )
            .await
    }

    /// Stops the watch: later calls to `next` return `None`.
    pub(crate) fn stop(&mut self) {
        self.done = true;
    }

    fn aborted(&self) -> Error {
        self.engine.refused(Refused::Aborted, self.current.clone())
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
            if let Some(job) = self.accept(*known) {
                return Ok(Some(job));
            }
        }
        loop {
            // Updates already delivered come first.
            for update in self.feed.drain() {
                if let Some(job) = Box::pin(self.apply_push(update, signal)).await? {
                    return Ok(Some(job));
                }
            }
            // Poll at once: the first time when no state is known yet, or to catch up after a
            // push channel dropped or came back. Otherwise wait for a push or the poll delay.
            let poll_at_once =
                self.poll_now || (!self.polled && self.current.is_none() && !self.pushing);
            self.poll_now = false;
            if !poll_at_once {
                let delay = if self.pushing {
                    // Never sooner than a few of this job's own gaps between events: a job
                    // that reports every 5 s is not stalled after 3 s of silence.
                    let pacing = self.pacing();
                    let floor = (pacing.max_push_gap_ms * 2.5).min(pacing.safety_max_ms);
                    pacing.safety_delay_ms.max(floor) * (1.0 - 0.2 * random())
                } else {
                    self.schedule.next_delay(now_ms(), random())
                };
                let now = now_ms();
                if self.deadline.passed(now) {
                    return Err(self.engine.wait_timed_out(self.current.clone()));
                }
                let delay = self.deadline.clamp(delay, now);
                match race(self.feed.recv(), sleep(delay, signal)).await {
                    Either::Left(Some(update)) => {
                        if let Some(job) = Box::pin(self.apply_push(update, signal)).await? {
                            return Ok(Some(job));
                        }
                        continue;
                    }
                    Either::Left(None) => {
                        // The feed closed: poll from now on.
                        self.pushing = false;
                    }
                    Either::Right(Err(_)) => return Err(self.aborted()),
                    Either::Right(Ok(())) if self.deadline.passed(now_ms()) => {
                        return Err(self.engine.wait_timed_out(self.current.clone()));
                    }
                    Either::Right(Ok(())) if self.pushing => {
                        // Nothing pushed for a while: poll as a safety net, and wait longer next time.
                        let pacing = self.pacing();
                        pacing.safety_delay_ms =
                            (pacing.safety_delay_ms * 2.0).min(pacing.safety_max_ms);
                    }
                    Either::Right(Ok(())) => {}
                }
            }
            self.polled = true;
            // The request's permit first: while the client's cap is reached, this watch waits
            // its turn holding a slot, not a request's state. Boxed, as the request is: the
            // future of every parked watch would otherwise keep room for it (48 bytes).
            let permit = match Box::pin(self.engine.gate.acquire(signal, self.deadline)).await {
                Ok(permit) => permit,
                Err(why) => return Err(self.engine.refused(why, self.current.clone())),
            };
            // Boxed: a parked watch then holds only the small sleep state, not a request's.
            if let Some(job) = Box::pin(self.poll(signal, permit)).await? {
                return Ok(Some(job));
            }
        }
    }

    /// One status request (with its permit); `Ok(None)` when it brought no change (or failed
    /// transiently).
    async fn poll(
        &mut self,
        signal: Option<&AbortSignal>,
        permit: Permit,
    ) -> Result<Option<Job>, Error> {
        match self
            .engine
            .get_before(
                self.feed.id(),
                self.current.as_ref(),
                signal,
                self.deadline,
                Some(permit),
            )
            .await
        {
            Ok(job) => {
                self.failed_polls = 0;
                Ok(self.accept(job))
            }
            Err(err)
                if err.retryable
                    && err.code != ErrorCode::Aborted
                    && self.failed_polls < MAX_FAILED_POLLS =>
            {
                // The call already retried; let the schedule's next delay pass and ask again.
                self.failed_polls += 1;
                Ok(None)
            }
            Err(mut err) => {
                err.job = self.current.clone().map(Box::new);
                Err(err)
            }
        }
    }

    async fn apply_push(
        &mut self,
        update: PushUpdate,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<Job>, Error> {
        match update {
            PushUpdate::Lost => {
                if self.pushing {
                    self.engine.count(|s| s.fallbacks += 1);
                }
                self.pushing = false;
                self.push_capable = false;
                // Catch up at once rather than after a poll delay.
                self.poll_now = true;
                Ok(None)
            }
            PushUpdate::Interrupted => {
                // Catch up with one poll when the channel drops, then poll at the normal cadence
                // until it is back: the reconnect attempts that fail meanwhile (each reports an
                // interruption) add no requests.
                if self.pushing {
                    self.engine.count(|s| s.fallbacks += 1);
                    self.poll_now = true;
                }
                self.pushing = false;
                Ok(None)
            }
            PushUpdate::Resumed => {
                if self.push_capable {
                    self.pushing = true;
                    self.poll_now = true;
                }
                Ok(None)
            }
            PushUpdate::Job(job) if job.is_terminal() && job.via == Some(Channel::Stream) => {
                // A status-stream record is a whole job body, as a poll would bring: no
                // confirmation request.
                self.note_push();
                Ok(self.accept(*job))
            }
            PushUpdate::Job(job) if job.is_terminal() => {
                self.note_push();
                // Confirm the end with one status request, so the terminal Job has the same
                // shape (result, timestamps) whatever channel announced it.
                match self
                    .engine
                    .get_before(
                        self.feed.id(),
                        self.current.as_ref(),
                        signal,
                        self.deadline,
                        None,
                    )
                    .await
                {
                    Ok(confirmed) if confirmed.is_terminal() => Ok(self.accept(confirmed)),
                    Ok(_) | Err(_) if signal.is_some_and(AbortSignal::aborted) => {
                        Err(self.aborted())
                    }
                    _ => Ok(self.accept(*job)),
                }
            }
            PushUpdate::Job(job) => {
                self.note_push();
                Ok(self.accept(*job))
            }
        }
    }

    /// Records the arrival of a pushed update, to learn the job's usual gap between events.
    fn note_push(&mut self) {
        let now = now_ms();
        let pacing = self.pacing();
        if let Some(last) = pacing.last_push_ms {
            pacing.max_push_gap_ms = pacing.max_push_gap_ms.max(now - last);
        }
        pacing.last_push_ms = Some(now);
    }

    /// The push pacing, made at the first pushed update of a watch without a push channel.
    fn pacing(&mut self) -> &mut PushPacing {
        let poll = &self.engine.poll;
        self.pacing.get_or_insert_with(|| PushPacing::new(poll))
    }

    /// Takes a new state into account; returns it when it is a change to report.
    fn accept(&mut self, mut job: Job) -> Option<Job> {
        // The id this watch already holds, rather than the answer's own copy of it.
        if job.id == *self.feed.id() {
            job.id = self.feed.id().clone();
        }
        self.schedule.observe(now_ms(), &job);
        let job = match &self.current {
            Some(current) => {
                let regressed = matches!(
                    (current.status.rank(), job.status.rank()),
                    (Some(old), Some(new)) if new < old
                );
                if regressed || !job.differs_from(current) {
                    return None;
                }
                merge(current, job)
            }
            None => job,
        };
        if job.is_terminal() {
            self.done = true;
        }
        self.current = Some(job.clone());
        Some(job)
    }
}

/// A pushed update may carry less than a poll (no timestamps, no result): keep what is known.
fn merge(current: &Job, mut job: Job) -> Job {
    if job.created_at.is_none() {
        job.created_at = current.created_at.clone();
    }
    if job.estimated_completion.is_none() && !job.is_terminal() {
        job.estimated_completion = current.estimated_completion.clone();
    }
    if job.progress.is_none() && job.status == current.status {
        job.progress = current.progress;
    }
    job
}

/// The safety-net poll while a push channel carries the job: 6 s, doubling to 30 s.
fn safety_policy(poll: &PollPolicy) -> PollPolicy {
    PollPolicy {
        min_interval_ms: poll.min_interval_ms.max(SAFETY_FIRST_MS),
        max_interval_ms: poll.max_interval_ms.max(30_000.0),
        initial_ms: poll.min_interval_ms.max(SAFETY_FIRST_MS),
        growth: 2.0,
        jitter: 0.2,
        max_lateness_share: None,
    }
}
