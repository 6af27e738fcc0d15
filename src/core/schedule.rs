//! The adaptive poll schedule: when to ask a provider for a job's status next. Pure — the
//! driver passes the time and a random number in, and sleeps on the delay it gets back.
//!
//! Shape (issue 21; the fleet in tests/poll_fleet.rs): a *blind cadence* bounds every wait —
//! the provider's first delay (1.2 s) backing off ×1.5, but never more than a share (18 %) of
//! the job's age, jittered down, within `[initial_ms, max_interval_ms]`. Predictions of the end
//! (the ETA, or the rate progress rose at) then: aim one poll just past the end when it is due
//! before the poll after next (such a poll may come sooner than the cadence, never sooner than
//! the floor); lengthen a wait to half the remaining time only when measured (an ETA, or
//! progress that rose in two looks) — a young prediction (one reading since the start) only
//! pulls polls in; of two that disagree the earlier one still ahead aims. Once a predicted end
//! has passed (an ETA, or progress ≥ 90 %) the next poll waits as long as the job has been
//! overdue (≥ the floor). A change of status restarts the backoff. The schedule knows nothing
//! of HTTP, timers or deadlines.

use std::rc::Rc;

use super::job::{Job, Provider};
use super::time::iso_to_unix_ms;

/// While a measured prediction puts the end further off than the blind cadence, the next poll
/// may wait up to this share of the remaining time.
const FAR_SHARE: f64 = 0.5;

/// Progress at which a passed prediction of the end means the end is near.
const NEAR_DONE: f64 = 0.9;

/// A poll aimed at a predicted end waits this multiple of the remaining time (plus a tenth of
/// the floor), so that it lands just past the end.
const AIM_SHARE: f64 = 1.05;

/// The default [`PollPolicy::max_lateness_share`]: a job with nothing to predict its end from
/// is seen done at most 18 % of its duration late (plus a request's round trip) once its age is
/// past `initial_ms / 0.18` (6.7 s at 1.2 s; before that it is polled every `initial_ms`).
/// Downward jitter makes the average share lower still. Smaller shares cost requests: at 8 %
/// a fixed 2 s loop makes fewer requests and is sooner on 10–60 s jobs.
pub const DEFAULT_MAX_LATENESS_SHARE: f64 = 0.18;

/// The default first delay and blind cadence of a young job.
pub const DEFAULT_INITIAL_MS: f64 = 1200.0;

/// The default floor for every provider (Socaity's recommended cadence). Only polls aimed at a
/// job's predicted end come sooner than the provider's first delay.
const DEFAULT_MIN_INTERVAL_MS: f64 = 500.0;

/// Bounds and growth of a poll schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPolicy {
    /// Never poll more often than this. Only a poll aimed at the job's predicted end (or just
    /// after it, when the job is overdue) may come sooner than `initial_ms`.
    pub min_interval_ms: f64,
    /// Never wait longer than this between polls.
    pub max_interval_ms: f64,
    /// The first delay, and the shortest one chosen without a prediction of the job's end.
    pub initial_ms: f64,
    /// Each delay is the previous one times this.
    pub growth: f64,
    /// Delays are shortened by up to this fraction at random (0.2 → 80–100 % of the delay).
    pub jitter: f64,
    /// While nothing predicts the job's end (no ETA, no rising progress), the next poll comes
    /// at most this share of the job's age after the current one (age: since its `created_at`,
    /// or since it was first seen when that is earlier), still within
    /// `[initial_ms, max_interval_ms]`. A job that ends at age `d` is then seen by about
    /// `d × (1 + share)`: the detection delay stays under `share` of the job's duration for
    /// every duration past `initial_ms / share`, where the geometric backoff alone can be up to
    /// `growth − 1` late (50 % at 1.5). The price is requests while the job is young: one every
    /// `initial_ms` up to the age `d₀ = initial_ms / share`, then about
    /// `ln(d / d₀) / ln(1 + share)` more (a 60 s job: ~18 polls at 1.2 s and 0.18, where the
    /// backoff alone makes ~11), up to the age where `share × age` reaches `max_interval_ms`,
    /// after which the ceiling rules as before. `None`: the backoff alone.
    pub max_lateness_share: Option<f64>,
}

impl PollPolicy {
    /// The default policy for `provider`, the same for all four: the first delay
    /// [`DEFAULT_INITIAL_MS`] (between the fixed 1 s and 2 s loops of the providers' documents,
    /// chosen on the fleet of tests/poll_fleet.rs so no naive loop makes fewer requests *and*
    /// is sooner); the floor 500 ms (Socaity's recommended cadence), used only by polls a job's
    /// progress or ETA aims at its end (a job due in 300 ms is not made to wait 1.2 s). A job
    /// with nothing to predict its end from is seen at most [`DEFAULT_MAX_LATENESS_SHARE`] of
    /// its duration late.
    pub fn for_provider(_provider: Provider) -> PollPolicy {
        let initial_ms = DEFAULT_INITIAL_MS;
        PollPolicy {
            min_interval_ms: DEFAULT_MIN_INTERVAL_MS,
            max_interval_ms: 10_000.0,
            initial_ms,
            growth: 1.5,
            jitter: 0.2,
            max_lateness_share: Some(DEFAULT_MAX_LATENESS_SHARE),
        }
    }

    /// This policy with the user's bounds applied: `min` sets both the floor and the first
    /// delay; `max` the ceiling. A ceiling below the floor is raised to it.
    pub fn with_bounds(mut self, min: Option<f64>, max: Option<f64>) -> PollPolicy {
        if let Some(min) = min {
            self.min_interval_ms = min;
            self.initial_ms = min;
        }
        if let Some(max) = max {
            self.max_interval_ms = max;
            if min.is_none() && max < self.min_interval_ms {
                self.min_interval_ms = max;
                self.initial_ms = max;
            }
        }
        self.max_interval_ms = self.max_interval_ms.max(self.min_interval_ms);
        self.initial_ms = self
            .initial_ms
            .clamp(self.min_interval_ms, self.max_interval_ms);
        self
    }
}

/// An optional time or amount in 8 bytes, NaN standing for none: an `Option<f64>` takes 16,
/// and a schedule lives in every parked wait (10,000 waits: 10,000 schedules).
#[derive(Clone, Copy, Debug)]
struct MaybeF64(f64);

impl MaybeF64 {
    const NONE: MaybeF64 = MaybeF64(f64::NAN);

    fn of(value: Option<f64>) -> MaybeF64 {
        MaybeF64(value.unwrap_or(f64::NAN))
    }

    fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

/// A `(time, progress)` sample; none while its time is NaN.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at_ms: MaybeF64,
    progress: f64,
}

impl Sample {
    const NONE: Sample = Sample {
        at_ms: MaybeF64::NONE,
        progress: 0.0,
    };

    fn get(self) -> Option<(f64, f64)> {
        self.at_ms.get().map(|t| (t, self.progress))
    }
}

/// One job's poll schedule. Feed it every job state seen ([`PollSchedule::observe`]) and ask it
/// for the next delay ([`PollSchedule::next_delay`]).
#[derive(Clone, Debug)]
pub struct PollSchedule {
    /// Shared by the schedules of one client (one copy, not one per followed job).
    policy: Rc<PollPolicy>,
    next_base_ms: f64,
    last_status: Option<crate::core::JobStatus>,
    /// Whether progress has risen in two looks since the first sample (the rate is measured
    /// between two readings, not from an unknown start): its prediction may then lengthen a
    /// wait while the end is far.
    rose_twice: bool,
    /// First and latest `(time, progress)` samples while progress was reported.
    first_sample: Sample,
    /// When the first state was observed.
    first_seen_ms: MaybeF64,
    /// When the latest state was observed.
    last_seen_ms: MaybeF64,
    /// When the job was created, by its `created_at` (unix ms), if sent.
    created_ms: MaybeF64,
    last_sample: Sample,
    eta_ms: MaybeF64,
}

impl PollSchedule {
    pub fn new(policy: PollPolicy) -> PollSchedule {
        PollSchedule::shared(Rc::new(policy))
    }

    /// A schedule under a policy shared with other schedules.
    pub fn shared(policy: Rc<PollPolicy>) -> PollSchedule {
        PollSchedule {
            next_base_ms: policy.initial_ms,
            policy,
            last_status: None,
            rose_twice: false,
            first_sample: Sample::NONE,
            first_seen_ms: MaybeF64::NONE,
            last_seen_ms: MaybeF64::NONE,
            created_ms: MaybeF64::NONE,
            last_sample: Sample::NONE,
            eta_ms: MaybeF64::NONE,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &PollPolicy {
        &self.policy
    }

    /// Records a job state seen at `now_ms` (unix ms).
    pub fn observe(&mut self, now_ms: f64, job: &Job) {
        use crate::core::JobStatus;
        if self.first_seen_ms.get().is_none() {
            self.first_seen_ms = MaybeF64(now_ms);
        }
        if self.created_ms.get().is_none() {
            self.created_ms = MaybeF64::of(job.created_at.as_deref().and_then(iso_to_unix_ms));
        }
        if self.last_status.is_some_and(|s| s != job.status) {
            self.next_base_ms = self.policy.initial_ms;
        }
        self.last_status = Some(job.status);
        // A job still waiting to start has done nothing yet: progress 0 as of now.
        let progress = match job.status {
            JobStatus::Pending | JobStatus::Queued => Some(0.0),
            _ => job.progress,
        };
        let previous_ms = self.last_seen_ms.get();
        self.last_seen_ms = MaybeF64(now_ms);
        if let Some(p) = progress {
            let now = Sample {
                at_ms: MaybeF64(now_ms),
                progress: p,
            };
            match (self.first_sample.get(), self.last_sample.get()) {
                // Progress went backwards (a new phase): start measuring again.
                (_, Some((_, last_p))) if p < last_p => {
                    self.first_sample = now;
                    self.last_sample = now;
                    self.rose_twice = false;
                }
                // Not moved since the first sample: the rise starts no earlier than now.
                (Some((_, first_p)), _) if p <= first_p => {
                    self.first_sample = now;
                    self.last_sample = now;
                    self.rose_twice = false;
                }
                (None, _) => {
                    self.first_sample = now;
                    self.last_sample = now;
                }
                // Unchanged: it was reached when first seen.
                (_, Some((_, last_p))) if p == last_p => {}
                // Risen: it was reached between the previous look and now (halfway, once it is
                // known to be rising; the first rise counts from now, the start being unknown).
                (Some((_, first_p)), last) => {
                    let rising = last.is_some_and(|(_, last_p)| last_p > first_p);
                    self.rose_twice |= rising;
                    let at = match previous_ms {
                        Some(prev) if rising => (prev + now_ms) / 2.0,
                        _ => now_ms,
                    };
                    self.last_sample = Sample {
                        at_ms: MaybeF64(at),
                        progress: p,
                    };
                }
            }
        }
        self.eta_ms = MaybeF64::of(job.estimated_completion.as_deref().and_then(iso_to_unix_ms));
    }

    /// When the job's progress predicts its end (unix ms): the rate it rose at from the last
    /// moment it was seen at its starting value (still queued, or at its first progress) to the
    /// latest sample, carried on to 1. `None` until it has risen.
    pub fn progress_completion_ms(&self) -> Option<f64> {
        let (t0, p0) = self.first_sample.get()?;
        let (t1, p1) = self.last_sample.get()?;
        let (dt, dp) = (t1 - t0, p1 - p0);
        if dt <= 0.0 || dp <= 0.0 {
            return None;
        }
        Some(t1 + (1.0 - p1) / (dp / dt))
    }

    /// When the job is predicted to complete (unix ms): the earlier of its ETA and its
    /// progress's prediction that is still after `now_ms`. `None` when there is nothing to go
    /// on, or every prediction has passed.
    pub fn predicted_completion_ms(&self, now_ms: f64) -> Option<f64> {
        let ahead = |t: Option<f64>| t.filter(|&t| t > now_ms);
        match (
            ahead(self.eta_ms.get()),
            ahead(self.progress_completion_ms()),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The latest predicted end that has passed by `now_ms`, when it says the end is near: the
    /// ETA, or the progress's prediction once progress is at [`NEAR_DONE`] or more (before
    /// that, a passed prediction is more likely a stall than the end).
    pub fn passed_completion_ms(&self, now_ms: f64) -> Option<f64> {
        let passed = |t: Option<f64>| t.filter(|&t| t <= now_ms);
        let near_done = self.last_sample.get().is_some_and(|(_, p)| p >= NEAR_DONE);
        let progress = self.progress_completion_ms().filter(|_| near_done);
        match (passed(self.eta_ms.get()), passed(progress)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The job's age at `now_ms`: since its `created_at`, or since it was first seen when that
    /// is earlier (no `created_at`, or a server clock ahead of ours). `None` before any
    /// observation.
    pub fn age_ms(&self, now_ms: f64) -> Option<f64> {
        let seen = self.first_seen_ms.get()?;
        let start = self.created_ms.get().map_or(seen, |c| c.min(seen));
        Some((now_ms - start).max(0.0))
    }

    /// The delay before the next poll, given the time now and `rand01` uniform in `[0, 1)`.
    pub fn next_delay(&mut self, now_ms: f64, rand01: f64) -> f64 {
        let policy = *self.policy;
        // The blind cadence: the backoff, at most a share of the job's age, jittered down,
        // within [initial_ms, max_interval_ms]. No poll waits longer than this.
        let mut blind = self.next_base_ms;
        self.next_base_ms = (self.next_base_ms * policy.growth).min(policy.max_interval_ms);
        if let (Some(share), Some(age)) = (policy.max_lateness_share, self.age_ms(now_ms)) {
            blind = blind.min(share * age);
        }
        blind *= 1.0 - policy.jitter * rand01.clamp(0.0, 1.0);
        let blind = blind.clamp(policy.initial_ms, policy.max_interval_ms);
        let mut delay = blind;
        if let Some(end) = self.predicted_completion_ms(now_ms) {
            let remaining = end - now_ms;
            if remaining < blind + policy.min_interval_ms {
                // The end is due before the poll after next could come: aim the next poll just
                // past it so its answer is the terminal one.
                delay = remaining * AIM_SHARE + policy.min_interval_ms * 0.1;
            } else if self.rose_twice || self.eta_ms.get().is_some() {
                // Far off, by a rate measured between two readings (or an ETA): wait up to half
                // the remaining time — the polls before the end only refine the prediction.
                delay = delay.max(remaining * FAR_SHARE).min(policy.max_interval_ms);
            }
        }
        if let Some(passed) = self.passed_completion_ms(now_ms) {
            // A predicted end has passed (an ETA rounded down, a slow last step, a wrong ETA):
            // the end is near, so look again after as long as it has been overdue (at least the
            // floor): polls at +0.5, 1, 2, 4 … s until the blind cadence is sooner.
            delay = delay.min((now_ms - passed).max(policy.min_interval_ms));
        }
        delay.clamp(policy.min_interval_ms, policy.max_interval_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::JobStatus;

    fn job(status: JobStatus, progress: Option<f64>) -> Job {
        let mut j = Job::new(Provider::Deapi, "j", status);
        j.progress = progress;
        j
    }

    /// Drives a schedule on a virtual clock against a job that completes at `done_at` with
    /// linear progress after `queue_ms`; returns (polls, detection delay after completion).
    fn simulate(
        policy: PollPolicy,
        queue_ms: f64,
        done_at: f64,
        reports_progress: bool,
    ) -> (u32, f64) {
        let mut s = PollSchedule::new(policy);
        let mut now = 0.0;
        let mut polls = 0;
        loop {
            polls += 1;
            let state = if now >= done_at {
                job(JobStatus::Finished, Some(1.0))
            } else if now < queue_ms {
                job(JobStatus::Queued, None)
            } else {
                let p = (now - queue_ms) / (done_at - queue_ms);
                job(JobStatus::Processing, reports_progress.then_some(p))
            };
            s.observe(now, &state);
            if state.status.is_terminal() {
                return (polls, now - done_at);
            }
            now += s.next_delay(now, 0.5);
            assert!(polls < 10_000, "runaway schedule");
        }
    }

    // The fleets on the virtual clock (bench/jobs.mjs's, and the poll fleet per provider ×
    // bucket × progress shape) are in tests/fleet/mod.rs, guarded by tests/poll_fleet.rs and
    // printed by examples/poll_fleet.rs.

    #[test]
    fn geometric_growth_within_bounds() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Deapi));
        let delays: Vec<f64> = (0..12).map(|i| s.next_delay(i as f64, 0.0)).collect();
        assert_eq!(delays[0], 1200.0);
        assert_eq!(delays[1], 1800.0);
        assert_eq!(delays[2], 2700.0);
        assert!(delays.iter().all(|d| (1200.0..=10_000.0).contains(d)));
        assert_eq!(*delays.last().unwrap(), 10_000.0);
    }

    #[test]
    fn jitter_only_shortens_and_respects_the_floor() {
        let policy = PollPolicy::for_provider(Provider::Socaity);
        for r in [0.0, 0.25, 0.5, 0.99] {
            let mut s = PollSchedule::new(policy);
            let d = s.next_delay(0.0, r);
            assert!(d <= policy.initial_ms && d >= policy.min_interval_ms, "{d}");
        }
        let mut s = PollSchedule::new(policy);
        for _ in 0..5 {
            s.next_delay(0.0, 0.0);
        }
        let d = s.next_delay(0.0, 0.999);
        assert!(d < policy.initial_ms * 1.5f64.powi(5) && d >= policy.initial_ms);
    }

    #[test]
    fn user_bounds_apply() {
        let p = PollPolicy::for_provider(Provider::Serika).with_bounds(Some(50.0), Some(200.0));
        assert_eq!(
            (p.min_interval_ms, p.initial_ms, p.max_interval_ms),
            (50.0, 50.0, 200.0)
        );
        let p = PollPolicy::for_provider(Provider::Serika).with_bounds(Some(5000.0), Some(100.0));
        assert_eq!(p.max_interval_ms, 5000.0);
        let p = PollPolicy::for_provider(Provider::Serika).with_bounds(None, Some(300.0));
        assert_eq!((p.min_interval_ms, p.initial_ms), (300.0, 300.0));
    }

    #[test]
    fn progress_rate_pulls_the_next_poll_in() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Deapi));
        s.observe(0.0, &job(JobStatus::Processing, Some(0.0)));
        for _ in 0..4 {
            s.next_delay(0.0, 0.0); // the base grows past the remaining time
        }
        s.observe(10_000.0, &job(JobStatus::Processing, Some(0.8)));
        // 0.8 in 10 s → done at 12.5 s: further than the blind cadence (18 % of the age, 1.8 s)
        // and the floor, so the blind poll comes first — a young prediction (one reading
        // after the start) never delays a poll.
        assert_eq!(s.predicted_completion_ms(10_000.0), Some(12_500.0));
        assert_eq!(s.next_delay(10_000.0, 0.0), 1800.0);
        // 0.9 at 11.25 s → done at 12.5 s, due before the poll after next: aimed just past it.
        // (0.9 was reached between the looks at 10 and 11.25 s: counted halfway, at 10.625 s,
        // which puts the end at 11.8 s.)
        s.observe(11_250.0, &job(JobStatus::Processing, Some(0.9)));
        let d = s.next_delay(11_250.0, 0.0);
        assert!((550.0..700.0).contains(&d), "{d}");
    }

    #[test]
    fn eta_is_used_when_sent() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Optexity));
        let mut j = job(JobStatus::Processing, None);
        j.estimated_completion = Some("1970-01-01T00:00:01.200Z".into());
        s.observe(0.0, &j);
        assert_eq!(s.predicted_completion_ms(0.0), Some(1200.0));
        // Due before the poll after next could come (1200 + 500 ms): one poll, just past it.
        assert_eq!(s.next_delay(0.0, 0.0), 1310.0);
        // 200 ms to go: aim just past it, but never under the floor.
        assert_eq!(s.next_delay(1000.0, 0.0), 500.0);
        // Far off (16 s): half the remaining time, within the ceiling.
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Optexity));
        j.estimated_completion = Some("1970-01-01T00:00:16Z".into());
        s.observe(0.0, &j);
        assert_eq!(s.next_delay(0.0, 0.0), 8000.0);
        // Two predictions that disagree: the earlier one still ahead aims (progress 0.5 at 2 s
        // after 0 at 0 → 4 s, before the ETA).
        s.observe(0.0, &job(JobStatus::Queued, None));
        let mut k = j.clone();
        k.progress = Some(0.5);
        s.observe(2000.0, &k);
        assert_eq!(s.predicted_completion_ms(2000.0), Some(4000.0));
        // Once the ETA has passed, and the job still runs: look again after as long as it has
        // been overdue, at least the floor.
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Optexity));
        j.estimated_completion = Some("1970-01-01T00:00:02Z".into());
        s.observe(2100.0, &j);
        assert_eq!(s.next_delay(2100.0, 0.0), 500.0);
        s.observe(4000.0, &j);
        assert_eq!(s.next_delay(4000.0, 0.0), 1200.0);
    }

    #[test]
    fn status_change_restarts_backoff() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Deapi));
        s.observe(0.0, &job(JobStatus::Pending, None));
        for _ in 0..6 {
            s.next_delay(0.0, 0.0);
        }
        s.observe(1.0, &job(JobStatus::Processing, None));
        assert_eq!(s.next_delay(1.0, 0.0), 1200.0);
    }

    #[test]
    fn virtual_clock_requests_and_delay() {
        // A 60 s job with progress: few polls, detection soon after completion.
        let policy = PollPolicy::for_provider(Provider::Deapi);
        let (polls, late) = simulate(policy, 2000.0, 60_000.0, true);
        assert!(polls <= 26, "polls {polls}");
        assert!(late <= 6000.0, "late {late}");
        // Versus a fixed 500 ms poller: 121 polls for the same job.
        let (polls_fixed, _) = simulate(
            PollPolicy {
                growth: 1.0,
                jitter: 0.0,
                ..policy.with_bounds(Some(500.0), Some(500.0))
            },
            2000.0,
            60_000.0,
            true,
        );
        assert!(polls * 4 <= polls_fixed, "{polls} vs {polls_fixed}");
        // Without progress the end is seen within the lateness share of the job's duration.
        let (_, late) = simulate(policy, 2000.0, 60_000.0, false);
        assert!(late <= DEFAULT_MAX_LATENESS_SHARE * 60_000.0, "late {late}");
    }

    /// The delays a schedule gives a job that never reports progress nor an ETA, from its first
    /// sighting at 0 (created `age_at_first_sight_ms` before) until `until_ms`; `rand` picks
    /// the jitter of each poll. Returns (time, delay) per poll.
    fn blind_polls(
        policy: PollPolicy,
        age_at_first_sight_ms: Option<f64>,
        until_ms: f64,
        rand: impl Fn(u32) -> f64,
    ) -> Vec<(f64, f64)> {
        let epoch = 1.7e12;
        let mut s = PollSchedule::new(policy);
        let mut j = job(JobStatus::Processing, None);
        j.created_at =
            age_at_first_sight_ms.map(|a| crate::core::time::unix_ms_to_iso(epoch - a).unwrap());
        let (mut now, mut out) = (0.0, Vec::new());
        while now < until_ms {
            s.observe(epoch + now, &j);
            let d = s.next_delay(epoch + now, rand(out.len() as u32));
            out.push((now, d));
            now += d;
        }
        out
    }

    #[test]
    fn without_progress_polls_stay_within_a_share_of_the_jobs_age() {
        let policy = PollPolicy::for_provider(Provider::Serika);
        let share = policy.max_lateness_share.unwrap();
        for rand in [|_| 0.0, |_| 0.999, |k| f64::from(k % 7) / 7.0] {
            let polls = blind_polls(policy, None, 600_000.0, rand);
            for &(age, gap) in &polls {
                // Never later than the share of the age, the cadence or the ceiling allows ...
                let bound = (share * age).clamp(policy.initial_ms, policy.max_interval_ms);
                assert!(gap <= bound + 0.01, "gap {gap} at age {age}");
                // ... never sooner than the cadence, and jitter only shortens.
                assert!(gap >= policy.initial_ms, "gap {gap} at age {age}");
            }
            // The price: a poll every 1.2 s until 6.7 s, then 14.4–18 % of the age apart (by
            // the jitter). 60 s: about 18 polls without jitter, 24 at the most.
            let by_60s = polls.iter().filter(|p| p.0 < 60_000.0).count();
            assert!((16..=24).contains(&by_60s), "{by_60s} polls in 60 s");
            // Past the age where 18 % of it is 10 s (56 s), the ceiling rules: 10 s apart (jittered).
            let late: Vec<_> = polls.iter().filter(|p| p.0 > 130_000.0).collect();
            assert!(late.iter().all(|p| p.1 >= 8000.0 && p.1 <= 10_000.0));
        }
    }

    #[test]
    fn without_progress_the_end_is_seen_within_the_share_of_the_duration() {
        let policy = PollPolicy::for_provider(Provider::Serika);
        let share = policy.max_lateness_share.unwrap();
        let mut done_at = 500.0;
        while done_at < 600_000.0 {
            let (_, late) = simulate(policy, 0.0, done_at, false);
            // Within the share once it exceeds the cadence, and within the ceiling.
            let bound = (share * done_at).clamp(policy.initial_ms, policy.max_interval_ms);
            assert!(late <= bound, "done at {done_at}: {late} late");
            done_at *= 1.037;
        }
        // The backoff alone (the old schedule) is up to half the duration late.
        let backoff = PollPolicy {
            max_lateness_share: None,
            ..policy
        };
        let (_, late) = simulate(backoff, 0.0, 9_000.0, false);
        assert!(late > 0.3 * 9_000.0, "{late}");
    }

    #[test]
    fn the_age_counts_from_created_at() {
        let policy = PollPolicy::for_provider(Provider::Serika);
        // First seen 5 min after it was created: already old, so the backoff rules at once.
        let old = blind_polls(policy, Some(300_000.0), 20_000.0, |_| 0.0);
        let delays: Vec<f64> = old.iter().map(|p| p.1).take(4).collect();
        assert_eq!(delays, [1200.0, 1800.0, 2700.0, 4050.0]);
        // Without created_at the age starts at the first sighting: a poll every 1.2 s.
        let new = blind_polls(policy, None, 20_000.0, |_| 0.0);
        assert!(new.iter().take(6).all(|p| p.1 == 1200.0));
        // A created_at ahead of our clock (server skew) is not taken for a younger job.
        let skewed = blind_polls(policy, Some(-5000.0), 20_000.0, |_| 0.0);
        assert_eq!(skewed, new);
    }

    #[test]
    fn a_users_floor_bounds_every_poll() {
        let policy = PollPolicy::for_provider(Provider::Deapi).with_bounds(Some(2000.0), None);
        assert_eq!(
            (policy.min_interval_ms, policy.initial_ms),
            (2000.0, 2000.0)
        );
        // Aimed at a predicted end 100 ms away: still the user's floor.
        let mut s = PollSchedule::new(policy);
        s.observe(0.0, &job(JobStatus::Processing, Some(0.5)));
        s.observe(5000.0, &job(JobStatus::Processing, Some(0.99)));
        assert!(s.predicted_completion_ms(5000.0).unwrap() < 5200.0);
        assert_eq!(s.next_delay(5000.0, 0.9), 2000.0);
        // Blind, young job: the user's floor, not the share of its age.
        let polls = blind_polls(policy, None, 30_000.0, |_| 0.9);
        assert!(polls.iter().all(|p| p.1 >= 2000.0));
        // And the user's ceiling caps the share of a long job's age.
        let policy = PollPolicy::for_provider(Provider::Serika).with_bounds(None, Some(3000.0));
        let polls = blind_polls(policy, Some(600_000.0), 60_000.0, |_| 0.0);
        assert!(polls.iter().all(|p| p.1 <= 3000.0));
    }

    #[test]
    fn overdue_jobs_are_polled_soon_not_after_the_backoff() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Optexity));
        let mut j = job(JobStatus::Processing, Some(0.9));
        j.estimated_completion = Some("1970-01-01T00:01:00Z".into()); // 60 s
        s.observe(0.0, &j);
        for _ in 0..8 {
            s.next_delay(0.0, 0.0); // the backoff grows to its ceiling
        }
        s.observe(61_000.0, &j); // past the ETA, not done yet
        let d = s.next_delay(61_000.0, 0.0);
        assert!((1000.0..=2500.0).contains(&d), "{d}");
    }
}
