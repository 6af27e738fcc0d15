// 7. The poll fleet for real (issue 21 item 4): tests/fleet/mod.rs's fleet — per provider ×
// duration bucket × progress shape — run against the mock (`mock.progress_shape`,
// `mock.eta_error`) through polyjob's `client.wait(job)` (the default schedule, no
// pollIntervalMs) and through the naive loops the simulator sets beside it, all sleep-first
// from the submit's answer: fixed 500 ms, 1 s, 2 s, and deAPI's SDK (1 s ×1.5 up to 10 s).
// Per job: status requests (the mock's `status_requests`) and the notification delay (`wait`
// resolved − the mock's `completes_at_ms`); the oracle is 1 request and 0 delay. The same plan
// is simulated (`cargo run --example poll_fleet -- json …`) and both are printed side by side.
//
// Plan, as the simulator's: per cell `n` jobs with durations spread evenly over lo..hi
// (round(lo + (hi − lo)·i/(n − 1))), 200 ms queued, 20 progress steps; `eta-wrong` (Optexity) is
// linear progress with the ETA 0.5× (even i) or 1.5× (odd i) of the processing time; Serika has
// one shape ("none"). Every strategy follows its own jobs with identical scenarios.
//
// Scheduling (to keep the real run affordable and the event loop quiet): the buckets run one
// after another, the 1–3 s and 3–10 s buckets one provider at a time, the longer buckets every
// provider at once; the last bucket (1–10 min) starts at the beginning and runs alongside the
// others (its loops are mostly asleep). Inside a phase every cell and every strategy runs
// concurrently, submits spread over the first 500 ms.
//
//   node bench/poll-fleet.mjs [--buckets 1000:3000:10,3000:10000:10,10000:60000:6,60000:300000:4]
//        lo:hi:jobs per cell for 1–3 s, 3–10 s, 10–60 s, 1–10 min in that order (0 jobs skips a
//        bucket; fewer entries run fewer buckets) [--no-sim] [--out poll-fleet]
import { execFileSync } from "node:child_process";
import { JobClient } from "../pkg/node/index.mjs";
import { parseArgs, quantile, round, writeStep, mockUrl, mockJob, KEY, PROVIDERS, polyjobRequest, ROOT } from "./lib/common.mjs";
import { submit as baseSubmit, getStatus } from "./baseline/poller.mjs";
import { isTerminal } from "./baseline/normalize.mjs";

const args = parseArgs();
const BUCKET_NAMES = ["1-3s", "3-10s", "10-60s", "1-10min"];
const SPEC = String(args.buckets ?? "1000:3000:10,3000:10000:10,10000:60000:6,60000:300000:4");
const BUCKETS = SPEC.split(",").map((s, b) => {
  const [lo, hi, n] = s.split(":").map(Number);
  if (![lo, hi, n].every(Number.isFinite) || b >= BUCKET_NAMES.length) throw new Error(`--buckets: lo:hi:n, at most 4 (${s})`);
  return { bucket: BUCKET_NAMES[b], index: b, lo, hi, n };
});
const QUEUE_MS = 200, STEPS = 20;
const SHAPES = ["linear", "front", "back", "stalls", "jump", "none", "eta-wrong"];
const applies = (p, s) => (p === "serika" ? s === "none" : p === "optexity" ? true : s !== "eta-wrong");
const STRATEGIES = ["polyjob", "fixed 500 ms", "fixed 1000 ms", "fixed 2000 ms", "deAPI SDK"];
const MOCK = mockUrl();
const runId = Date.now().toString(36);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The delays of a naive loop, sleep-first: the k-th sleep (k = 0 after the submit). */
const loops = {
  "fixed 500 ms": () => 500,
  "fixed 1000 ms": () => 1000,
  "fixed 2000 ms": () => 2000,
  "deAPI SDK": (k) => Math.min(10_000, 1000 * 1.5 ** k),
};

const clients = Object.fromEntries(PROVIDERS.map((p) => [p, new JobClient({ provider: p, apiKey: KEY, baseUrl: `${MOCK}/${p}` })]));

function plan(provider, b) {
  const jobs = [];
  for (const shape of SHAPES.filter((s) => applies(provider, s))) {
    for (let i = 0; i < b.n; i++) {
      const duration = Math.round(b.lo + ((b.hi - b.lo) * i) / (Math.max(b.n, 2) - 1));
      const eta = shape === "eta-wrong" ? (i % 2 === 0 ? 0.5 : 1.5) : 1;
      jobs.push({ provider, bucket: b.bucket, shape, i, duration, eta });
    }
  }
  return jobs;
}

const scenario = (job, strategy) => ({
  queue_ms: QUEUE_MS, duration_ms: job.duration, steps: STEPS,
  progress_shape: job.shape === "eta-wrong" ? "linear" : job.shape, eta_error: job.eta,
  nonce: `${runId}-${strategy}-${job.provider}-${job.bucket}-${job.shape}-${job.i}`,
});

/** Follows one job with one strategy; resolves { id, resolvedAt }. */
async function follow(job, strategy, startDelay, timeoutMs) {
  await sleep(startDelay);
  const p = job.provider;
  const req = polyjobRequest(p, scenario(job, strategy));
  if (strategy === "polyjob") {
    const first = await clients[p].submit(req);
    const end = await clients[p].wait(first, { timeoutMs });
    return { id: end.id || first.id, resolvedAt: Date.now() };
  }
  const base = `${MOCK}/${p}`;
  const id = await baseSubmit(p, base, KEY, req);
  const delay = loops[strategy];
  for (let k = 0; ; k++) {
    await sleep(delay(k));
    const j = await getStatus(p, base, KEY, id);
    if (isTerminal(j.status)) return { id, resolvedAt: Date.now() };
  }
}

/** Runs `jobs` with every strategy at once; resolves rows. */
async function phase(label, jobs, hi) {
  const t0 = Date.now();
  const timeoutMs = 2 * hi + 60_000;
  const work = [];
  for (const job of jobs) for (const s of STRATEGIES) work.push({ job, s });
  const settled = await Promise.allSettled(work.map(({ job, s }, k) => follow(job, s, (500 * k) / work.length, timeoutMs)));
  const rows = [];
  const errors = [];
  for (let k = 0; k < work.length; k += 100) {
    const part = await Promise.all(settled.slice(k, k + 100).map(async (r, d) => {
      const { job, s } = work[k + d];
      if (r.status !== "fulfilled") { errors.push(String(r.reason?.code ?? r.reason?.message ?? r.reason)); return null; }
      const m = await mockJob(MOCK, r.value.id);
      return { provider: job.provider, bucket: job.bucket, shape: job.shape, strategy: s, requests: m.status_requests, delayMs: r.value.resolvedAt - m.completes_at_ms };
    }));
    rows.push(...part.filter(Boolean));
  }
  console.log(`  ${label.padEnd(22)} ${rows.length}/${work.length} followed in ${((Date.now() - t0) / 1000).toFixed(1)} s${errors.length ? `, errors: ${[...new Set(errors)].slice(0, 3).join(", ")}` : ""}`);
  return { rows, errors };
}

const figures = (rs) => (rs.length ? { requests: round(rs.reduce((n, r) => n + r.requests, 0) / rs.length, 2), p50Ms: quantile(rs.map((r) => r.delayMs), 0.5), p95Ms: quantile(rs.map((r) => r.delayMs), 0.95) } : null);

console.log(`poll fleet against the mock ${MOCK}: buckets ${BUCKETS.map((b) => `${b.bucket} ${b.lo}–${b.hi} ms × ${b.n}/cell`).join(", ")}`);
const t0 = Date.now();
const active = BUCKETS.filter((b) => b.n > 0);
const last = active.length === 4 ? active[3] : null;
const tasks = [];
if (last) tasks.push(phase(`${last.bucket} (all)`, PROVIDERS.flatMap((p) => plan(p, last)), last.hi));
const sequential = (async () => {
  const out = [];
  for (const b of active.filter((x) => x !== last)) {
    if (b.hi <= 10_000) for (const p of PROVIDERS) out.push(await phase(`${b.bucket} ${p}`, plan(p, b), b.hi));
    else out.push(await phase(`${b.bucket} (all)`, PROVIDERS.flatMap((p) => plan(p, b)), b.hi));
  }
  return out;
})();
const phases = [...(await sequential), ...(await Promise.all(tasks))];
const rows = phases.flatMap((x) => x.rows);
const errors = phases.flatMap((x) => x.errors);
const wallMs = Date.now() - t0;

// Per provider × bucket (every shape together) and per cell.
const groups = [];
const cells = [];
for (const p of PROVIDERS) for (const b of active) {
  const here = rows.filter((r) => r.provider === p && r.bucket === b.bucket);
  const g = { provider: p, bucket: b.bucket, jobs: here.filter((r) => r.strategy === "polyjob").length, figures: {} };
  for (const s of STRATEGIES) g.figures[s] = figures(here.filter((r) => r.strategy === s));
  g.figures.oracle = { requests: 1, p50Ms: 0, p95Ms: 0 };
  groups.push(g);
  for (const shape of SHAPES.filter((s) => applies(p, s))) {
    const c = { provider: p, bucket: b.bucket, shape, figures: {} };
    for (const s of STRATEGIES) c.figures[s] = figures(here.filter((r) => r.strategy === s && r.shape === shape));
    cells.push(c);
  }
}
const pooled = active.map((b) => {
  const here = rows.filter((r) => r.bucket === b.bucket);
  return { bucket: b.bucket, jobs: here.filter((r) => r.strategy === "polyjob").length, figures: Object.fromEntries(STRATEGIES.map((s) => [s, figures(here.filter((r) => r.strategy === s))])) };
});
const fleet = Object.fromEntries(STRATEGIES.map((s) => [s, figures(rows.filter((r) => r.strategy === s))]));

// The simulator on the same plan.
let sim = null;
if (!args["no-sim"]) {
  try {
    const out = execFileSync("cargo", ["run", "-q", "--example", "poll_fleet", "--", "json", ...SPEC.split(",")], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] });
    sim = JSON.parse(out);
  } catch (e) {
    console.log(`  simulator not run: ${e.message.split("\n")[0]}`);
  }
}
const simGroup = (p, b) => sim?.groups?.find((g) => g.provider === p && g.bucket === b);

const f = (x) => (x ? `${x.requests.toFixed(2)}, ${x.p50Ms}/${x.p95Ms}` : "—");
const fs = (x) => (x ? `${x.requests.toFixed(2)}, ${Math.round(x.p50Ms)}/${Math.round(x.p95Ms)}` : "—");
console.log(`\nrequests/job, delay p50/p95 ms — mock (real) | simulator (virtual clock, same plan)`);
console.log(`${"provider bucket".padEnd(20)}${STRATEGIES.map((s) => s.padStart(22)).join("")}`);
for (const g of groups) {
  console.log(`${`${g.provider} ${g.bucket}`.padEnd(20)}${STRATEGIES.map((s) => f(g.figures[s]).padStart(22)).join("")}`);
  const sg = simGroup(g.provider, g.bucket);
  if (sg) console.log(`${"  simulated".padEnd(20)}${STRATEGIES.map((s) => fs(sg.figures[s]).padStart(22)).join("")}`);
}
for (const pb of pooled) {
  const sb = sim?.buckets?.find((x) => x.bucket === pb.bucket);
  console.log(`${`all ${pb.bucket}`.padEnd(20)}${STRATEGIES.map((s) => f(pb.figures[s]).padStart(22)).join("")}`);
  if (sb) console.log(`${"  simulated".padEnd(20)}${STRATEGIES.map((s) => fs(sb.figures[s]).padStart(22)).join("")}`);
}
console.log(`fleet (real): ${STRATEGIES.map((s) => `${s} ${f(fleet[s])}`).join("; ")}; ${errors.length} errors; ${(wallMs / 1000).toFixed(0)} s`);

writeStep(String(args.out ?? "poll-fleet"), {
  buckets: BUCKETS, queueMs: QUEUE_MS, steps: STEPS, strategies: [...STRATEGIES, "oracle"], jobs: rows.length, errors: errors.length,
  errorSamples: [...new Set(errors)].slice(0, 5), wallMs, groups, pooled, cells, fleet, sim: sim ? { groups: sim.groups, pooled: sim.buckets, cells: sim.cells } : null,
});
