//! The poll-schedule fleet simulators (issue 21), shared by the test that guards the schedule
//! (`tests/poll_fleet.rs`, `mod fleet;`) and the tuning printouts (`examples/poll_fleet.rs`, which
//! includes this file by `#[path]`): no I/O, no wall clock.
//!
//! **The poll fleet.** The adaptive schedule of `src/core/schedule.rs` driven on a virtual clock
//! over jobs per provider × duration bucket × progress shape, beside the naive pollers a user would
//! write instead. Each job reports what its provider sends (Socaity progress 0..1, Optexity whole
//! percent + an ETA to the second, deAPI percent with two decimals, Serika nothing) in the mock's
//! 20 progress steps, after a 200 ms queue; the wait starts from the submit's answer (`run`, or
//! `wait(job)`), each request takes a round trip of 5–15 ms and sees the job at its midpoint. The
//! shapes are the mock's `mock.progress_shape` (and `mock.eta_error` for the wrong ETA), so
//! bench/poll-fleet.mjs runs the same fleet for real against the mock.
//!
//! **The jobs fleet.** bench/jobs.mjs's fleet (1–60 s, linear progress, providers in turn) on the
//! virtual clock: [`jobs_fleet`].

#![allow(dead_code)]

use polyjob::core::schedule::{PollPolicy, PollSchedule};
use polyjob::core::time::unix_ms_to_iso;
use polyjob::core::{Job, JobStatus, Provider};

/// Processing time is preceded by this much queue (bench/poll-fleet.mjs, the mock's default).
pub const QUEUE_MS: f64 = 200.0;
/// Progress steps of a job (the bench's scenarios).
pub const STEPS: f64 = 20.0;
/// Mean round trip of a request (each is 50–150 % of it): a local mock.
pub const RTT_MS: f64 = 10.0;
/// Jobs per cell, durations spread evenly over the bucket.
pub const JOBS_PER_CELL: usize = 40;

pub const PROVIDERS: [Provider; 4] = [
    Provider::Socaity,
    Provider::Optexity,
    Provider::Deapi,
    Provider::Serika,
];

/// Processing durations (ms) of the buckets: 1–3 s, 3–10 s, 10–60 s, 1–10 min.
pub const BUCKETS: [(&str, f64, f64); 4] = [
    ("1-3s", 1000.0, 3000.0),
    ("3-10s", 3000.0, 10_000.0),
    ("10-60s", 10_000.0, 60_000.0),
    ("1-10min", 60_000.0, 600_000.0),
];

/// How a job's progress rises over its processing time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Linear,
    /// Fast first, slow last: 1 − (1 − x)².
    Front,
    /// Slow first, fast last: x².
    Back,
    /// Four stages, each stalled in its first half and rising in its second.
    Stalls,
    /// Rises to half (0.5·x), then the job ends: the rest is one jump.
    Jump,
    /// No progress at all (Optexity still sends its ETA).
    None,
    /// Linear progress, and an ETA 50 % too early or too late (alternating; Optexity only).
    EtaWrong,
}

pub const SHAPES: [Shape; 7] = [
    Shape::Linear,
    Shape::Front,
    Shape::Back,
    Shape::Stalls,
    Shape::Jump,
    Shape::None,
    Shape::EtaWrong,
];

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::Front => "front",
            Shape::Back => "back",
            Shape::Stalls => "stalls",
            Shape::Jump => "jump",
            Shape::None => "none",
            Shape::EtaWrong => "eta-wrong",
        }
    }

    /// The progress at processing fraction `x` (already stepped), `None` when none is sent.
    pub fn at(self, x: f64) -> Option<f64> {
        Some(match self {
            Shape::Linear | Shape::EtaWrong => x,
            Shape::Front => 1.0 - (1.0 - x) * (1.0 - x),
            Shape::Back => x * x,
            Shape::Stalls => {
                let s = (4.0 * x).floor();
                let r = 4.0 * x - s;
                (s + (2.0 * r - 1.0).max(0.0)) / 4.0
            }
            Shape::Jump => 0.5 * x,
            Shape::None => return None,
        })
    }

    /// The shapes that exist for `provider`: Serika sends nothing (one shape, "none"); only
    /// Optexity sends an ETA that can be wrong.
    pub fn applies_to(self, provider: Provider) -> bool {
        match provider {
            Provider::Serika => self == Shape::None,
            Provider::Optexity => true,
            _ => self != Shape::EtaWrong,
        }
    }
}

/// A small deterministic generator for jitter, round trips and clock phases.
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One job of the fleet: when it was submitted on the wall clock, how long it runs, its shape.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    provider: Provider,
    shape: Shape,
    duration_ms: f64,
    epoch_ms: f64,
    /// The ETA's error factor (1 ± 0.5 for `EtaWrong`, else 1).
    eta_factor: f64,
    seed: u64,
}

impl Plan {
    fn done_at(&self) -> f64 {
        QUEUE_MS + self.duration_ms
    }

    /// The normalized job its provider reports at `t` ms after the submit.
    fn state(&self, t: f64) -> Job {
        let iso = |t: f64| {
            let whole_s = ((t + self.epoch_ms) / 1000.0).floor() * 1000.0;
            unix_ms_to_iso(whole_s).unwrap()
        };
        let mut j = Job::new(self.provider, "j", JobStatus::Queued);
        if matches!(self.provider, Provider::Optexity | Provider::Serika) {
            j.created_at = Some(iso(0.0));
        }
        if t >= self.done_at() {
            j.status = JobStatus::Finished;
            j.progress = (self.provider != Provider::Serika).then_some(1.0);
            return j;
        }
        if t < QUEUE_MS {
            return j;
        }
        j.status = JobStatus::Processing;
        let x = ((t - QUEUE_MS) / self.duration_ms * STEPS).floor() / STEPS;
        let p = self.shape.at(x);
        j.progress = match self.provider {
            Provider::Socaity => p,
            Provider::Optexity => p.map(|p| (p * 100.0).floor() / 100.0),
            Provider::Deapi => p.map(|p| (p * 10_000.0).round() / 10_000.0),
            Provider::Serika => None,
        };
        if self.provider == Provider::Optexity {
            j.estimated_completion = Some(iso(QUEUE_MS + self.duration_ms * self.eta_factor));
        }
        j
    }
}

/// A way to wait for a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Strategy {
    /// polyjob's schedule with the provider's default policy.
    Polyjob,
    /// Sleep this long, poll, repeat.
    Fixed(f64),
    /// deAPI's SDK: sleep 1 s, poll, ×1.5 up to 10 s.
    DeapiSdk,
    /// Knows the end: one request, answered as the job ends.
    Oracle,
    /// polyjob's schedule with another first delay and share of age (tuning).
    Tuned(f64, f64),
}

pub const BASELINES: [Strategy; 4] = [
    Strategy::Fixed(500.0),
    Strategy::Fixed(1000.0),
    Strategy::Fixed(2000.0),
    Strategy::DeapiSdk,
];

impl Strategy {
    pub fn name(self) -> String {
        match self {
            Strategy::Polyjob => "polyjob".into(),
            Strategy::Fixed(ms) => format!("fixed {ms} ms"),
            Strategy::DeapiSdk => "deAPI SDK".into(),
            Strategy::Oracle => "oracle".into(),
            Strategy::Tuned(i, s) => format!("tuned {i} {s}"),
        }
    }
}

/// One followed job: status requests, detection delay (ms) and delay / duration.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub polls: u32,
    pub delay_ms: f64,
    pub fraction: f64,
}

/// Follows `plan` with `strategy`: the submit is answered at one round trip (its answer: the
/// job queued), then sleep, poll, until a terminal answer.
pub fn follow(plan: &Plan, strategy: Strategy) -> Row {
    let done_at = plan.done_at();
    if strategy == Strategy::Oracle {
        return Row {
            polls: 1,
            delay_ms: 0.0,
            fraction: 0.0,
        };
    }
    let mut rng = Lcg(plan.seed);
    let submitted = RTT_MS * (0.5 + rng.next());
    let policy = match strategy {
        Strategy::Tuned(initial_ms, share) => PollPolicy {
            initial_ms,
            max_lateness_share: Some(share),
            ..PollPolicy::for_provider(plan.provider)
        },
        _ => PollPolicy::for_provider(plan.provider),
    };
    let mut schedule = PollSchedule::new(policy);
    let mut sdk_delay: f64 = 1000.0;
    let mut next_delay = |now: f64, job: &Job, rng: &mut Lcg| -> f64 {
        match strategy {
            Strategy::Polyjob | Strategy::Tuned(..) => {
                schedule.observe(now + plan.epoch_ms, job);
                schedule.next_delay(now + plan.epoch_ms, rng.next())
            }
            Strategy::Fixed(ms) => ms,
            Strategy::DeapiSdk => {
                let d = sdk_delay;
                sdk_delay = (sdk_delay * 1.5).min(10_000.0);
                d
            }
            Strategy::Oracle => unreachable!(),
        }
    };
    let submit_answer = plan.state(0.0);
    let mut sent = submitted + next_delay(submitted, &submit_answer, &mut rng);
    let mut polls = 0;
    loop {
        polls += 1;
        let rtt = RTT_MS * (0.5 + rng.next());
        let (at, answered) = (sent + rtt / 2.0, sent + rtt);
        let job = plan.state(at);
        if job.status.is_terminal() {
            let delay_ms = answered - done_at;
            return Row {
                polls,
                delay_ms,
                fraction: delay_ms / done_at,
            };
        }
        sent = answered + next_delay(answered, &job, &mut rng);
        assert!(polls < 100_000, "runaway schedule");
    }
}

/// One cell's jobs.
fn plans(provider: Provider, bucket: usize, shape: Shape) -> Vec<Plan> {
    let (_, lo, hi) = BUCKETS[bucket];
    plans_over(provider, bucket, shape, lo, hi, JOBS_PER_CELL)
}

/// One cell's jobs: `n` durations spread evenly over `lo..=hi` ms (bench/poll-fleet.mjs plans
/// its jobs with the same formula; the ETA error alternates 0.5, 1.5 by index). The seeds depend
/// on the cell only.
pub fn plans_over(
    provider: Provider,
    bucket: usize,
    shape: Shape,
    lo: f64,
    hi: f64,
    n: usize,
) -> Vec<Plan> {
    let pi = PROVIDERS.iter().position(|p| *p == provider).unwrap() as u64;
    let si = SHAPES.iter().position(|s| *s == shape).unwrap() as u64;
    let mut rng = Lcg(1 + pi * 1000 + bucket as u64 * 100 + si);
    (0..n)
        .map(|i| Plan {
            provider,
            shape,
            duration_ms: (lo + (hi - lo) * i as f64 / (n.max(2) - 1) as f64).round(),
            epoch_ms: 1.7e12 + (rng.next() * 1000.0).floor(),
            eta_factor: match shape {
                Shape::EtaWrong if i % 2 == 0 => 0.5,
                Shape::EtaWrong => 1.5,
                _ => 1.0,
            },
            seed: (rng.next() * 1e15) as u64,
        })
        .collect()
}

/// A strategy's figures over some jobs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    pub requests: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Nearest-rank quantile.
pub fn quantile(mut xs: Vec<f64>, q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

pub fn figures(rows: &[Row]) -> Figures {
    let polls: u32 = rows.iter().map(|r| r.polls).sum();
    let delays: Vec<f64> = rows.iter().map(|r| r.delay_ms).collect();
    Figures {
        requests: f64::from(polls) / rows.len() as f64,
        p50_ms: quantile(delays.clone(), 0.5),
        p95_ms: quantile(delays, 0.95),
    }
}

/// Whether `b` Pareto-dominates `a` (fewer-or-equal requests and lower-or-equal p95 delay, one
/// strictly better).
pub fn dominates(b: Figures, a: Figures) -> bool {
    b.requests <= a.requests
        && b.p95_ms <= a.p95_ms
        && (b.requests < a.requests || b.p95_ms < a.p95_ms)
}

pub struct Cell {
    pub provider: Provider,
    pub bucket: usize,
    pub shape: Shape,
    /// polyjob, then each baseline, then the oracle.
    pub figures: Vec<(Strategy, Figures)>,
    pub rows: Vec<(Strategy, Vec<Row>)>,
}

impl Cell {
    pub fn ours(&self) -> Figures {
        self.figures[0].1
    }

    /// The baselines that dominate polyjob here.
    pub fn dominated_by(&self) -> Vec<String> {
        self.figures[1..=BASELINES.len()]
            .iter()
            .filter(|(_, f)| dominates(*f, self.ours()))
            .map(|(s, _)| s.name())
            .collect()
    }

    pub fn label(&self) -> String {
        format!(
            "{:?} {} {}",
            self.provider,
            BUCKETS[self.bucket].0,
            self.shape.name()
        )
    }
}

pub fn run_fleet() -> Vec<Cell> {
    run_fleet_with(Strategy::Polyjob)
}

pub fn run_fleet_with(ours: Strategy) -> Vec<Cell> {
    let buckets = BUCKETS.map(|(_, lo, hi)| (lo, hi, JOBS_PER_CELL));
    run_fleet_over(ours, &buckets)
}

/// The fleet with `(lo, hi, jobs per cell)` per bucket (in `BUCKETS` order): what
/// bench/poll-fleet.mjs runs against the mock, on the virtual clock.
pub fn run_fleet_over(ours: Strategy, buckets: &[(f64, f64, usize)]) -> Vec<Cell> {
    let mut cells = Vec::new();
    for provider in PROVIDERS {
        for (bucket, &(lo, hi, n)) in buckets.iter().enumerate() {
            if n == 0 {
                continue;
            }
            for shape in SHAPES.into_iter().filter(|s| s.applies_to(provider)) {
                let plans = plans_over(provider, bucket, shape, lo, hi, n);
                let strategies = std::iter::once(ours)
                    .chain(BASELINES)
                    .chain([Strategy::Oracle]);
                let rows: Vec<(Strategy, Vec<Row>)> = strategies
                    .map(|s| (s, plans.iter().map(|p| follow(p, s)).collect()))
                    .collect();
                let figures = rows.iter().map(|(s, r)| (*s, figures(r))).collect();
                cells.push(Cell {
                    provider,
                    bucket,
                    shape,
                    figures,
                    rows,
                });
            }
        }
    }
    cells
}

/// (requests per job, p95 of delay / duration) of one strategy (by its index in a cell's list)
/// over the whole fleet.
pub fn fleet_figures(cells: &[Cell], k: usize) -> (f64, f64) {
    let rows: Vec<Row> = cells.iter().flat_map(|c| c.rows[k].1.clone()).collect();
    let polls: u32 = rows.iter().map(|r| r.polls).sum();
    let fractions = rows.iter().map(|r| r.fraction).collect();
    (
        f64::from(polls) / rows.len() as f64,
        quantile(fractions, 0.95),
    )
}

// The jobs fleet: bench/jobs.mjs's fleet on the virtual clock (moved from the unit tests of
// src/core/schedule.rs).

/// What a simulated provider sends about a running job in the jobs fleet (linear progress).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sends {
    /// Progress in `STEPS` equal steps (Socaity, deAPI).
    Progress,
    /// Progress floored to whole percent and an ETA floored to the second (Optexity).
    ProgressAndEta,
    /// Nothing but the status (Serika).
    Nothing,
}

/// Mean round trip of one status request in the jobs fleet (each is 50–150 % of it).
pub const JOBS_RTT_MS: f64 = 40.0;
/// The first poll of the jobs fleet goes out up to this long after the submit answered.
pub const FIRST_POLL_SPREAD_MS: f64 = 600.0;

/// One followed job of the jobs fleet: status requests, and detection delay / job duration.
#[derive(Clone, Copy, Debug)]
pub struct JobsRow {
    pub polls: u32,
    pub fraction: f64,
}

fn bare_job(status: JobStatus, progress: Option<f64>) -> Job {
    let mut j = Job::new(Provider::Deapi, "j", status);
    j.progress = progress;
    j
}

/// One job submitted at 0 that completes at `QUEUE_MS + duration_ms`, followed the way the
/// watcher does it (a first poll soon after the submit, then sleep on `next_delay`; each
/// request is answered one round trip later with the state at its midpoint). `epoch_ms`
/// places 0 on the wall clock, for the second-precision `created_at` and ETA.
pub fn jobs_follow(
    policy: PollPolicy,
    sends: Sends,
    created_at: bool,
    duration_ms: f64,
    epoch_ms: f64,
    rng: &mut Lcg,
) -> JobsRow {
    let iso = |t: f64| {
        let whole_s = ((t + epoch_ms) / 1000.0).floor() * 1000.0;
        unix_ms_to_iso(whole_s).unwrap()
    };
    let done_at = QUEUE_MS + duration_ms;
    let mut s = PollSchedule::new(policy);
    let mut sent = JOBS_RTT_MS + FIRST_POLL_SPREAD_MS * rng.next();
    let mut polls = 0;
    loop {
        polls += 1;
        let rtt = JOBS_RTT_MS * (0.5 + rng.next());
        let (at, answered) = (sent + rtt / 2.0, sent + rtt);
        let mut j = if at >= done_at {
            bare_job(JobStatus::Finished, Some(1.0))
        } else if at < QUEUE_MS {
            bare_job(JobStatus::Queued, None)
        } else {
            let p = ((at - QUEUE_MS) / duration_ms * STEPS).floor() / STEPS;
            match sends {
                Sends::Progress => bare_job(JobStatus::Processing, Some(p)),
                Sends::ProgressAndEta => {
                    let mut j = bare_job(JobStatus::Processing, Some((p * 100.0).floor() / 100.0));
                    j.estimated_completion = Some(iso(done_at));
                    j
                }
                Sends::Nothing => bare_job(JobStatus::Processing, None),
            }
        };
        if created_at {
            j.created_at = Some(iso(0.0));
        }
        s.observe(answered + epoch_ms, &j);
        if j.status.is_terminal() {
            let fraction = (answered - done_at) / done_at;
            return JobsRow { polls, fraction };
        }
        sent = answered + s.next_delay(answered + epoch_ms, rng.next());
        assert!(polls < 10_000, "runaway schedule");
    }
}

/// The fleet of bench/jobs.mjs on the virtual clock: `n` jobs with durations spread evenly
/// over 1–60 s (+ the queue), the providers in turn, each with `policy(provider)` and what
/// the mock sends for it. Rows per provider, in that order.
pub fn jobs_fleet(
    n: usize,
    policy: impl Fn(Provider) -> PollPolicy,
) -> [(Provider, Vec<JobsRow>); 4] {
    let kinds = [
        (Provider::Socaity, Sends::Progress, true),
        (Provider::Optexity, Sends::ProgressAndEta, true),
        (Provider::Deapi, Sends::Progress, false),
        (Provider::Serika, Sends::Nothing, true),
    ];
    let mut rng = Lcg(7);
    let mut out = kinds.map(|k| (k.0, Vec::new()));
    for i in 0..n {
        let duration = 1000.0 + 59_000.0 * i as f64 / (n - 1) as f64;
        let (provider, sends, created_at) = kinds[i % 4];
        let epoch = 1.7e12 + (rng.next() * 1000.0).floor();
        let row = jobs_follow(
            policy(provider),
            sends,
            created_at,
            duration,
            epoch,
            &mut rng,
        );
        out[i % 4].1.push(row);
    }
    out
}

/// (requests per job, delay fraction at quantile `q`) of some jobs-fleet rows.
pub fn summary<'a>(rows: impl Iterator<Item = &'a JobsRow>, q: f64) -> (f64, f64) {
    let rows: Vec<&JobsRow> = rows.collect();
    let f: Vec<f64> = rows.iter().map(|r| r.fraction).collect();
    let polls: u32 = rows.iter().map(|r| r.polls).sum();
    (f64::from(polls) / rows.len() as f64, quantile(f, q))
}

/// The fixed 500 ms poller of the bench's baseline, as a policy.
pub fn fixed_500() -> PollPolicy {
    PollPolicy {
        min_interval_ms: 500.0,
        max_interval_ms: 500.0,
        initial_ms: 500.0,
        growth: 1.0,
        jitter: 0.0,
        max_lateness_share: None,
    }
}
