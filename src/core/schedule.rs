//! The adaptive poll schedule: when to ask a provider for a job's status next. Pure — the
//! driver passes the time and a random number in, and sleeps on the delay it gets back.
//!
//! Shape: start near the provider's documented cadence, back off geometrically, poll sooner
//! when the job's progress rate or its ETA says completion is near, jitter downwards so many
//! waiters do not poll in lock-step, and always stay within `[min_interval_ms, max_interval_ms]`.
//! A change of status restarts the backoff (the job is moving). The schedule knows nothing of
//! HTTP, timers or deadlines.

use super::job::{Job, Provider};
use super::time::iso_to_unix_ms;

/// Once the predicted end has passed, polls come this share of the job's observed span apart.
const OVERDUE_SHARE: f64 = 0.04;

/// Bounds and growth of a poll schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPolicy {
    /// Never poll more often than this.
    pub min_interval_ms: f64,
    /// Never wait longer than this between polls.
    pub max_interval_ms: f64,
    /// The first delay.
    pub initial_ms: f64,
    /// Each delay is the previous one times this.
    pub growth: f64,
    /// Delays are shortened by up to this fraction at random (0.2 → 80–100 % of the delay).
    pub jitter: f64,
}

impl PollPolicy {
    /// The default policy for `provider`, from its documents: Socaity recommends 500 ms at
    /// first; deAPI's SDK starts at 1 s and grows ×1.5 up to 10 s; Optexity documents no
    /// cadence; Serika's example polls every 2 s.
    pub fn for_provider(provider: Provider) -> PollPolicy {
        let initial_ms = match provider {
            Provider::Socaity => 500.0,
            Provider::Optexity | Provider::Deapi | Provider::Serika => 1000.0,
        };
        PollPolicy {
            min_interval_ms: initial_ms,
            max_interval_ms: 10_000.0,
            initial_ms,
            growth: 1.5,
            jitter: 0.2,
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

/// One job's poll schedule. Feed it every job state seen ([`PollSchedule::observe`]) and ask it
/// for the next delay ([`PollSchedule::next_delay`]).
#[derive(Clone, Debug)]
pub struct PollSchedule {
    policy: PollPolicy,
    next_base_ms: f64,
    last_status: Option<crate::core::JobStatus>,
    /// First and latest `(time, progress)` samples while progress was reported.
    first_sample: Option<(f64, f64)>,
    /// When the first state was observed.
    first_seen_ms: Option<f64>,
    last_sample: Option<(f64, f64)>,
    eta_ms: Option<f64>,
}

impl PollSchedule {
    pub fn new(policy: PollPolicy) -> PollSchedule {
        PollSchedule {
            policy,
            next_base_ms: policy.initial_ms,
            last_status: None,
            first_sample: None,
            first_seen_ms: None,
            last_sample: None,
            eta_ms: None,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &PollPolicy {
        &self.policy
    }

    /// Records a job state seen at `now_ms` (unix ms).
    pub fn observe(&mut self, now_ms: f64, job: &Job) {
        self.first_seen_ms.get_or_insert(now_ms);
        if self.last_status.is_some_and(|s| s != job.status) {
            self.next_base_ms = self.policy.initial_ms;
        }
        self.last_status = Some(job.status);
        if let Some(p) = job.progress {
            match self.last_sample {
                Some((_, last_p)) if p < last_p => {
                    // Progress went backwards (a new phase): start measuring again.
                    self.first_sample = Some((now_ms, p));
                }
                None => self.first_sample = Some((now_ms, p)),
                _ => {}
            }
            self.last_sample = Some((now_ms, p));
        }
        self.eta_ms = job.estimated_completion.as_deref().and_then(iso_to_unix_ms);
    }

    /// When the job is predicted to complete (unix ms), from its ETA or, failing that, from the
    /// rate its progress has been rising at. `None` when there is nothing to go on.
    pub fn predicted_completion_ms(&self) -> Option<f64> {
        if let Some(eta) = self.eta_ms {
            return Some(eta);
        }
        let (t0, p0) = self.first_sample?;
        let (t1, p1) = self.last_sample?;
        let (dt, dp) = (t1 - t0, p1 - p0);
        if dt <= 0.0 || dp <= 0.0 {
            return None;
        }
        let rate = dp / dt;
        Some(t1 + (1.0 - p1) / rate)
    }

    /// The delay before the next poll, given the time now and `rand01` uniform in `[0, 1)`.
    pub fn next_delay(&mut self, now_ms: f64, rand01: f64) -> f64 {
        let policy = self.policy;
        let mut delay = self.next_base_ms;
        self.next_base_ms = (self.next_base_ms * policy.growth).min(policy.max_interval_ms);
        if let Some(predicted) = self.predicted_completion_ms() {
            let remaining = predicted - now_ms;
            if remaining > 0.0 && remaining < delay {
                // Aim just past the predicted end so the next answer is the terminal one.
                delay = remaining * 1.05 + policy.min_interval_ms * 0.1;
                return delay.clamp(policy.min_interval_ms, policy.max_interval_ms);
            }
            if remaining <= 0.0 {
                // Overdue (an ETA rounded down, a late last step): the end is near, so look
                // again after a small share of the job's span, not after the grown backoff.
                let span = self.first_seen_ms.map_or(0.0, |t| predicted - t).max(0.0);
                let soon = (span * OVERDUE_SHARE).max(policy.min_interval_ms);
                return soon
                    .min(delay)
                    .clamp(policy.min_interval_ms, policy.max_interval_ms);
            }
        }
        delay *= 1.0 - policy.jitter * rand01.clamp(0.0, 1.0);
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

    #[test]
    fn geometric_growth_within_bounds() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Deapi));
        let delays: Vec<f64> = (0..12).map(|i| s.next_delay(i as f64, 0.0)).collect();
        assert_eq!(delays[0], 1000.0);
        assert_eq!(delays[1], 1500.0);
        assert_eq!(delays[2], 2250.0);
        assert!(delays.iter().all(|d| (1000.0..=10_000.0).contains(d)));
        assert_eq!(*delays.last().unwrap(), 10_000.0);
    }

    #[test]
    fn jitter_only_shortens_and_respects_the_floor() {
        let policy = PollPolicy::for_provider(Provider::Socaity);
        for r in [0.0, 0.25, 0.5, 0.99] {
            let mut s = PollSchedule::new(policy);
            let d = s.next_delay(0.0, r);
            assert!(d <= 500.0 && d >= policy.min_interval_ms, "{d}");
        }
        let mut s = PollSchedule::new(policy);
        for _ in 0..5 {
            s.next_delay(0.0, 0.0);
        }
        let d = s.next_delay(0.0, 0.999);
        assert!(d < 500.0 * 1.5f64.powi(5) && d >= 500.0);
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
        // 0.8 in 10 s → done at 12.5 s.
        assert_eq!(s.predicted_completion_ms(), Some(12_500.0));
        let d = s.next_delay(10_000.0, 0.0);
        assert!((2500.0..3000.0).contains(&d), "{d}");
    }

    #[test]
    fn eta_is_used_when_sent() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Optexity));
        let mut j = job(JobStatus::Processing, None);
        j.estimated_completion = Some("1970-01-01T00:00:01.200Z".into());
        s.observe(0.0, &j);
        assert_eq!(s.predicted_completion_ms(), Some(1200.0));
        // Base delay 1000 < 1200 remaining: stays geometric.
        assert_eq!(s.next_delay(0.0, 0.0), 1000.0);
        // Next base 1500 > 200 remaining: aim just past the ETA, never under the floor.
        assert_eq!(s.next_delay(1000.0, 0.0), 1000.0);
    }

    #[test]
    fn status_change_restarts_backoff() {
        let mut s = PollSchedule::new(PollPolicy::for_provider(Provider::Deapi));
        s.observe(0.0, &job(JobStatus::Pending, None));
        for _ in 0..6 {
            s.next_delay(0.0, 0.0);
        }
        s.observe(1.0, &job(JobStatus::Processing, None));
        assert_eq!(s.next_delay(1.0, 0.0), 1000.0);
    }

    #[test]
    fn virtual_clock_requests_and_delay() {
        // A 60 s job with progress: few polls, detection soon after completion.
        let policy = PollPolicy::for_provider(Provider::Deapi);
        let (polls, late) = simulate(policy, 2000.0, 60_000.0, true);
        assert!(polls <= 16, "polls {polls}");
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
        // Without progress the schedule still terminates within the max interval.
        let (_, late) = simulate(policy, 2000.0, 60_000.0, false);
        assert!(late <= policy.max_interval_ms);
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
