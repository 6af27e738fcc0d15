//! The poll-schedule fleet's printouts (issues 19 and 21), moved out of the test suite: the
//! simulators live in `tests/fleet/mod.rs` (included here by `#[path]`; `tests/poll_fleet.rs`
//! asserts on them), this program only prints.
//!
//!   cargo run --example poll_fleet                  # every cell, per provider × bucket, the fleet
//!   cargo run --example poll_fleet -- tune          # sweep the first delay × share of age
//!       (TUNE_INITIAL=1000,1300,1500 TUNE_SHARE=0.1,0.135,0.16)
//!   cargo run --example poll_fleet -- jobs-fleet    # bench/jobs.mjs's fleet per share of age
//!   cargo run --example poll_fleet -- json 1000:3000:10 3000:10000:10 ...
//!       # the fleet over these buckets (lo:hi:jobs per cell, in BUCKETS order; 0 jobs skips
//!       # one), as JSON per provider × bucket × shape and per provider × bucket: what
//!       # bench/poll-fleet.mjs runs against the mock, for bench/report.mjs to set side by side

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/fleet/mod.rs"]
mod fleet;

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("table") => table(),
        Some("tune") => tune(),
        Some("jobs-fleet") => jobs_fleet_table(),
        Some("json") => json(&args[1..]),
        Some(other) => {
            eprintln!("unknown mode {other}: table, tune, jobs-fleet, json");
            std::process::exit(2);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
use fleet::*;

#[cfg(not(target_arch = "wasm32"))]
fn table() {
    let cells = run_fleet();
    let names: Vec<String> = cells[0].figures.iter().map(|(s, _)| s.name()).collect();
    println!(
        "{:32} {}",
        "cell (requests/job, p95 ms)",
        names.iter().map(|n| format!("{n:>16}")).collect::<String>()
    );
    for cell in &cells {
        let by = cell.dominated_by();
        println!(
            "{:32} {}{}",
            cell.label(),
            cell.figures
                .iter()
                .map(|(_, f)| format!("{:>16}", format!("{:.2}, {:.0}", f.requests, f.p95_ms)))
                .collect::<String>(),
            if by.is_empty() {
                String::new()
            } else {
                format!("   DOMINATED by {}", by.join(", "))
            }
        );
    }
    println!("\nper provider × bucket (all shapes): requests/job, p95 ms");
    for provider in PROVIDERS {
        for (b, bucket) in BUCKETS.iter().enumerate() {
            let these: Vec<&Cell> = cells
                .iter()
                .filter(|c| c.provider == provider && c.bucket == b)
                .collect();
            let line: String = (0..names.len())
                .map(|k| {
                    let rows: Vec<Row> = these.iter().flat_map(|c| c.rows[k].1.clone()).collect();
                    let f = figures(&rows);
                    format!("{:>16}", format!("{:.2}, {:.0}", f.requests, f.p95_ms))
                })
                .collect();
            println!("{:32} {line}", format!("{provider:?} {}", bucket.0));
        }
    }
    for (k, name) in names.iter().enumerate() {
        let (r, p95) = fleet_figures(&cells, k);
        println!(
            "fleet {name:>14}: {r:8.2} requests/job, p95 delay/duration {:.1} %",
            100.0 * p95
        );
    }
    let dominated = cells
        .iter()
        .filter(|c| !c.dominated_by().is_empty())
        .count();
    println!("{dominated} of {} cells dominated", cells.len());
}

#[cfg(not(target_arch = "wasm32"))]
fn tune() {
    let list = |var: &str, default: &str| -> Vec<f64> {
        std::env::var(var)
            .unwrap_or(default.into())
            .split(',')
            .map(|x| x.trim().parse().expect("a number"))
            .collect()
    };
    let initials = list("TUNE_INITIAL", "1000,1300,1500");
    let shares = list("TUNE_SHARE", "0.1,0.135,0.16");
    for &i in &initials {
        for &s in &shares {
            let cells = run_fleet_with(Strategy::Tuned(i, s));
            let bad: Vec<String> = cells
                .iter()
                .filter(|c| !c.dominated_by().is_empty())
                .map(|c| format!("{} ({})", c.label(), c.dominated_by().join("/")))
                .collect();
            let (r, p95) = fleet_figures(&cells, 0);
            let (f, _) = fleet_figures(&cells, 1);
            println!(
                "initial {i} share {s}: fleet {:.1} % of fixed 500 requests, p95 {:.1} %; {} dominated: {}",
                100.0 * r / f,
                100.0 * p95,
                bad.len(),
                bad.join(", ")
            );
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn jobs_fleet_table() {
    use polyjob::core::schedule::PollPolicy;
    let pct = |rows: &[&JobsRow]| {
        let (requests, p50) = summary(rows.iter().copied(), 0.5);
        let (_, p95) = summary(rows.iter().copied(), 0.95);
        let (_, p99) = summary(rows.iter().copied(), 0.99);
        let late = rows.iter().filter(|r| r.fraction > 0.09).count();
        let [p50, p95, p99] = [p50, p95, p99].map(|f| f * 100.0);
        format!(
            "requests/job {requests:6.2}  delay/duration p50 {p50:4.1} % p95 {p95:4.1} % \
             p99 {p99:4.1} %  ({late} over 9 %)"
        )
    };
    let baseline = jobs_fleet(1000, |_| fixed_500());
    println!(
        "fixed 500 ms: {}",
        pct(&baseline.iter().flat_map(|p| &p.1).collect::<Vec<_>>())
    );
    for share in [None, Some(0.06), Some(0.08), Some(0.1), Some(0.18)] {
        let f = jobs_fleet(1000, |p| PollPolicy {
            max_lateness_share: share,
            ..PollPolicy::for_provider(p)
        });
        println!(
            "share {share:?}: {}",
            pct(&f.iter().flat_map(|p| &p.1).collect::<Vec<_>>())
        );
        for (p, rows) in &f {
            println!(
                "  {:9} {}",
                format!("{p:?}"),
                pct(&rows.iter().collect::<Vec<_>>())
            );
        }
    }
}

/// `lo:hi:n` per bucket → JSON on stdout.
#[cfg(not(target_arch = "wasm32"))]
fn json(specs: &[String]) {
    use serde_json::{json, Value};
    let mut buckets: Vec<(f64, f64, usize)> = specs
        .iter()
        .map(|s| {
            let p: Vec<f64> = s.split(':').map(|x| x.parse().expect("lo:hi:n")).collect();
            assert_eq!(p.len(), 3, "lo:hi:n");
            (p[0], p[1], p[2] as usize)
        })
        .collect();
    if buckets.is_empty() {
        buckets = BUCKETS.iter().map(|b| (b.1, b.2, JOBS_PER_CELL)).collect();
    }
    assert!(
        buckets.len() <= BUCKETS.len(),
        "at most {} buckets",
        BUCKETS.len()
    );
    let cells = run_fleet_over(Strategy::Polyjob, &buckets);
    let fig = |f: Figures| json!({"requests": f.requests, "p50Ms": f.p50_ms, "p95Ms": f.p95_ms});
    let name = |p: polyjob::core::Provider| format!("{p:?}").to_lowercase();
    let strategies: Vec<String> = cells
        .first()
        .map(|c| c.figures.iter().map(|(s, _)| s.name()).collect())
        .unwrap_or_default();
    let cell_json: Vec<Value> = cells
        .iter()
        .map(|c| {
            json!({"provider": name(c.provider), "bucket": BUCKETS[c.bucket].0, "shape": c.shape.name(),
                   "jobs": c.rows[0].1.len(),
                   "figures": c.figures.iter().map(|(s, f)| (s.name(), fig(*f))).collect::<serde_json::Map<_, _>>(),
                   "dominatedBy": c.dominated_by()})
        })
        .collect();
    // Each strategy's figures over the jobs of `these` cells, and how many jobs that is.
    let pool = |these: &[&Cell]| -> (serde_json::Map<String, Value>, usize) {
        let figs = strategies
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let rows: Vec<Row> = these.iter().flat_map(|c| c.rows[k].1.clone()).collect();
                (s.clone(), fig(figures(&rows)))
            })
            .collect();
        (figs, these.iter().map(|c| c.rows[0].1.len()).sum())
    };
    let mut groups = Vec::new();
    for provider in PROVIDERS {
        for (b, bucket) in BUCKETS.iter().enumerate() {
            let these: Vec<&Cell> = cells
                .iter()
                .filter(|c| c.provider == provider && c.bucket == b)
                .collect();
            if these.is_empty() {
                continue;
            }
            let (figs, jobs) = pool(&these);
            groups.push(json!({"provider": name(provider), "bucket": bucket.0, "jobs": jobs, "figures": figs}));
        }
    }
    // Per bucket, every provider and shape together.
    let mut pooled = Vec::new();
    for (b, bucket) in BUCKETS.iter().enumerate() {
        let these: Vec<&Cell> = cells.iter().filter(|c| c.bucket == b).collect();
        if these.is_empty() {
            continue;
        }
        let (figs, jobs) = pool(&these);
        pooled.push(json!({"bucket": bucket.0, "jobs": jobs, "figures": figs}));
    }
    let out = json!({
        "plan": buckets.iter().enumerate().map(|(b, (lo, hi, n))| json!({"bucket": BUCKETS[b].0, "loMs": lo, "hiMs": hi, "jobsPerCell": n})).collect::<Vec<_>>(),
        "queueMs": QUEUE_MS, "steps": STEPS, "rttMs": RTT_MS,
        "strategies": strategies, "cells": cell_json, "groups": groups, "buckets": pooled,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
