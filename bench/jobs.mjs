// 3. Requests and delay. The same plan of N concurrent jobs (durations spread evenly over
// MIN..MAX ms, providers in turn) is run once per strategy, each strategy on its own fresh jobs
// in the mock with identical scenarios, one strategy after another (so they do not share CPU):
//   - polyjob `wait` (adaptive polling, the library's defaults), all four providers
//   - the baseline: a fixed-500 ms poller in plain JS (Replicate's / fal's loop), same jobs
//   - polyjob deAPI realtime (Pusher protocol, `realtime: { clientId, wsUrl }`), deAPI jobs
//   - polyjob Socaity stream (`wait(id, { via: "stream" })`, `mock.stream` jobs)
//   - polyjob Socaity push (`wait(job)` of APIPod-format jobs: their `links.stream` status
//     records, no polling; the one stream request per job is not a status request)
// For every job: status requests (the mock's count) and delay = wait resolving − the moment the
// mock completed the job, also as a fraction of the job's duration (submit → completion).
//
//   node --experimental-websocket bench/jobs.mjs [--jobs 1000] [--min-ms 1000] [--max-ms 60000]
//        [--strategies poll,fixed,realtime,stream,push]   a subset, e.g. `poll` while tuning
//        [--out jobs]                                 writes bench/out/<out>.json
//        [--rows]                                     keeps every job's row (provider, duration, requests, delay)
import { JobClient } from "../pkg/node/index.mjs";
import { parseArgs, quantile, round, writeStep, mockUrl, mockJob, KEY, PROVIDERS, polyjobRequest } from "./lib/common.mjs";
import { submit as baseSubmit, waitFixed, INTERVAL_MS } from "./baseline/poller.mjs";

const args = parseArgs();
const JOBS = Number(args.jobs ?? 1000);
const MIN_MS = Number(args["min-ms"] ?? 1000);
const MAX_MS = Number(args["max-ms"] ?? 60000);
const QUEUE_MS = 200;
const STEPS = 20;
const MOCK = mockUrl();
const WS = `${MOCK.replace(/^http/, "ws")}/deapi-ws`;
const PHASE_TIMEOUT_MS = MAX_MS + QUEUE_MS + 90_000;
const runId = Date.now().toString(36);
const STRATEGIES = new Set(String(args.strategies ?? "poll,fixed,realtime,stream,push").split(",").map((x) => x.trim()).filter(Boolean));
for (const s of STRATEGIES) if (!["poll", "fixed", "realtime", "stream", "push"].includes(s)) throw new Error(`unknown strategy ${s} (poll, fixed, realtime, stream, push)`);

const durationOf = (i) => Math.round(MIN_MS + ((MAX_MS - MIN_MS) * i) / Math.max(1, JOBS - 1));
const scenario = (strategy, i, extra = {}) => ({ queue_ms: QUEUE_MS, duration_ms: durationOf(i), steps: STEPS, nonce: `${runId}-${strategy}-${i}`, ...extra });

async function settleAll(promises) {
  let timer;
  const deadline = new Promise((r) => { timer = setTimeout(() => r("deadline"), PHASE_TIMEOUT_MS); });
  const done = Promise.allSettled(promises);
  const which = await Promise.race([done.then(() => "done"), deadline]);
  clearTimeout(timer);
  if (which === "deadline") throw new Error(`phase did not finish within ${PHASE_TIMEOUT_MS} ms`);
  return done;
}

const pctOf = (f) => [f.p50, f.p95, f.p99].map((x) => `${round(100 * x, 1)} %`).join("/");

/** Runs one strategy: `one(i)` resolves { id, provider, resolvedAt } per job. */
async function phase(name, plan, one, extraStats = () => ({})) {
  const t0 = Date.now();
  const settled = await settleAll(plan.map((i) => one(i)));
  const ok = settled.filter((s) => s.status === "fulfilled").map((s) => s.value);
  const errors = settled.filter((s) => s.status === "rejected").map((s) => String(s.reason?.code ?? s.reason?.message ?? s.reason));
  const rows = [];
  for (let k = 0; k < ok.length; k += 100) {
    rows.push(...(await Promise.all(ok.slice(k, k + 100).map(async (r) => {
      const m = await mockJob(MOCK, r.id);
      const duration = m.completes_at_ms - m.submitted_at_ms;
      return { provider: r.provider, requests: m.status_requests, delay: r.resolvedAt - m.completes_at_ms, duration };
    }))));
  }
  const delays = rows.map((r) => r.delay);
  const frac = rows.map((r) => r.delay / r.duration);
  const perProvider = {};
  for (const p of PROVIDERS) {
    const rs = rows.filter((r) => r.provider === p);
    if (!rs.length) continue;
    const f = rs.map((r) => r.delay / r.duration);
    perProvider[p] = {
      jobs: rs.length,
      statusRequestsPerJob: round(rs.reduce((n, r) => n + r.requests, 0) / rs.length),
      delayP95Ms: quantile(rs.map((r) => r.delay), 0.95),
      delayFraction: { p50: round(quantile(f, 0.5), 4), p95: round(quantile(f, 0.95), 4), p99: round(quantile(f, 0.99), 4) },
    };
  }
  const res = {
    strategy: name,
    jobs: plan.length,
    completed: rows.length,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 5),
    statusRequestsPerJob: round(rows.reduce((n, r) => n + r.requests, 0) / Math.max(1, rows.length), 3),
    maxStatusRequestsPerJob: Math.max(...rows.map((r) => r.requests)),
    delayMs: { p50: quantile(delays, 0.5), p95: quantile(delays, 0.95), p99: quantile(delays, 0.99), max: Math.max(...delays) },
    delayFraction: { p50: round(quantile(frac, 0.5), 4), p95: round(quantile(frac, 0.95), 4), p99: round(quantile(frac, 0.99), 4) },
    perProvider,
    wallMs: Date.now() - t0,
    ...extraStats(),
    ...(args.rows ? { rows } : {}),
  };
  console.log(`  ${name.padEnd(34)} ${String(res.completed).padStart(5)}/${res.jobs} ok  req/job ${String(res.statusRequestsPerJob).padStart(6)}  delay p50/p95/p99 ${res.delayMs.p50}/${res.delayMs.p95}/${res.delayMs.p99} ms  / duration ${pctOf(res.delayFraction)}  (${(res.wallMs / 1000).toFixed(1)} s)`);
  if (Object.keys(perProvider).length > 1) {
    for (const [p, v] of Object.entries(perProvider)) console.log(`    ${p.padEnd(32)} ${String(v.jobs).padStart(5)} jobs  req/job ${String(v.statusRequestsPerJob).padStart(6)}  delay p95 ${v.delayP95Ms} ms  / duration ${pctOf(v.delayFraction)}`);
  }
  return res;
}

const all = Array.from({ length: JOBS }, (_, i) => i);
const providerOf = (i) => PROVIDERS[i % PROVIDERS.length];
const clientOpts = (p) => ({ provider: p, apiKey: KEY, baseUrl: `${MOCK}/${p}` });
const results = [];
console.log(`jobs: ${JOBS} per strategy, durations ${MIN_MS}-${MAX_MS} ms (+${QUEUE_MS} ms queue), mock ${MOCK}`);

// polyjob adaptive wait (library defaults), all four providers.
if (STRATEGIES.has("poll")) {
  const clients = Object.fromEntries(PROVIDERS.map((p) => [p, new JobClient(clientOpts(p))]));
  results.push(await phase("polyjob wait (adaptive poll)", all, async (i) => {
    const p = providerOf(i);
    const first = await clients[p].submit(polyjobRequest(p, scenario("poll", i)));
    const end = await clients[p].wait(first.id, { via: "poll", timeoutMs: PHASE_TIMEOUT_MS });
    return { id: end.id || first.id, provider: p, resolvedAt: Date.now() };
  }, () => ({ httpRequestsPerJob: round(PROVIDERS.reduce((n, p) => n + clients[p].stats.requests, 0) / JOBS, 3) })));
}

// Baseline: fixed 500 ms poller in plain JS, same scenarios.
if (STRATEGIES.has("fixed")) {
  results.push(await phase(`fixed ${INTERVAL_MS} ms poller (plain JS)`, all, async (i) => {
    const p = providerOf(i);
    const id = await baseSubmit(p, `${MOCK}/${p}`, KEY, polyjobRequest(p, scenario("fixed", i)));
    await waitFixed(p, `${MOCK}/${p}`, KEY, id);
    return { id, provider: p, resolvedAt: Date.now() };
  }));
}

// deAPI realtime: every job on deAPI, one shared socket.
if (STRATEGIES.has("realtime") && typeof WebSocket === "function") {
  const c = new JobClient({ ...clientOpts("deapi"), realtime: { clientId: "1001", wsUrl: WS } });
  results.push(await phase("polyjob deAPI realtime", all, async (i) => {
    const end = await c.run(polyjobRequest("deapi", scenario("realtime", i)), { timeoutMs: PHASE_TIMEOUT_MS });
    return { id: end.id, provider: "deapi", resolvedAt: Date.now() };
  }));
} else if (STRATEGIES.has("realtime")) {
  results.push({ strategy: "polyjob deAPI realtime", skipped: "no global WebSocket (Node 20: --experimental-websocket)" });
}

// Socaity stream: `mock.stream` jobs, STEPS chunks over the same duration, wait via the stream.
if (STRATEGIES.has("stream")) {
  const c = new JobClient(clientOpts("socaity"));
  results.push(await phase("polyjob Socaity stream", all, async (i) => {
    const interval = Math.max(1, Math.round(durationOf(i) / STEPS));
    const chunks = Array.from({ length: STEPS }, (_, k) => `w${k} `);
    const first = await c.submit(polyjobRequest("socaity", scenario("stream", i, { stream: { chunks, interval_ms: interval } })));
    const end = await c.wait(first.id, { via: "stream", timeoutMs: PHASE_TIMEOUT_MS });
    return { id: end.id || first.id, provider: "socaity", resolvedAt: Date.now() };
  }));
}

// Socaity push: APIPod-format jobs (their answers offer `links.stream`), `wait(job)` over the
// status stream the gateway multiplexes (`event: job` records).
if (STRATEGIES.has("push")) {
  const c = new JobClient(clientOpts("socaity"));
  results.push(await phase("polyjob Socaity push (status stream)", all, async (i) => {
    const first = await c.submit(polyjobRequest("socaity", scenario("push", i, { variant: "apipod" })));
    const end = await c.wait(first, { timeoutMs: PHASE_TIMEOUT_MS });
    return { id: end.id || first.id, provider: "socaity", resolvedAt: Date.now() };
  }, () => ({ httpRequestsPerJob: round(c.stats.requests / JOBS, 3), fallbacks: c.stats.fallbacks })));
}

writeStep(String(args.out ?? "jobs"), { jobs: JOBS, minMs: MIN_MS, maxMs: MAX_MS, queueMs: QUEUE_MS, steps: STEPS, baselineIntervalMs: INTERVAL_MS, strategies: results });
