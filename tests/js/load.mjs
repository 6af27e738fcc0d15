// The load-and-fault test: many concurrent jobs across the four providers from one Node process
// using the built package, against a mock providers server started here with faults injected at
// a rate. Every job must end in a terminal Job or a typed error, consistent with what the mock
// decided for it; nothing may be lost, hang, or reject unhandled.
//
//   node tests/js/load.mjs [--jobs 2000] [--fault-rate 0.2] [--min-ms 1000] [--max-ms 30000]
//                          [--mock target/debug/polyjob-mock] [--seed 7]
// Short variant (test command): --jobs 200 --min-ms 300 --max-ms 3000.
// Exits non-zero when a check fails; prints a summary table either way.
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobClient } from "polyjob";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const JOBS = Number(args.jobs ?? 2000);
const RATE = Number(args["fault-rate"] ?? 0.2);
const MIN_MS = Number(args["min-ms"] ?? 1000);
const MAX_MS = Number(args["max-ms"] ?? 30000);
const SEED = Number(args.seed ?? 7);
const IDEMPOTENT_SHARE = Number(args["idempotent-share"] ?? 0.5); // jobs submitted with an idempotencyKey
const MOCK_BIN = args.mock ?? "target/debug/polyjob-mock";
const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
const KEY = "test-key";
const DEADLINE_MS = MAX_MS * 2 + 120_000; // the whole run is bounded

// Deterministic pseudo-random numbers for the job plan (mulberry32).
let state = SEED >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

let unhandled = 0;
process.on("unhandledRejection", (e) => {
  unhandled++;
  console.error("UNHANDLED REJECTION:", e);
});

function startMock() {
  if (!existsSync(MOCK_BIN)) throw new Error(`mock binary not found: ${MOCK_BIN} (cargo build -p polyjob-mock)`);
  const dir = mkdtempSync(join(tmpdir(), "polyjob-load-"));
  const portFile = join(dir, "port");
  const child = spawn(MOCK_BIN, [
    "--port", "0", "--port-file", portFile, "--exit-after", String(Math.ceil(DEADLINE_MS / 1000) + 30),
    "--fault-rate", String(RATE), "--fault-seed", String(SEED),
  ], { stdio: ["ignore", "ignore", "inherit"] });
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      try {
        const port = readFileSync(portFile, "utf8").trim();
        if (port) return resolve({ child, url: `http://127.0.0.1:${port}`, dir });
      } catch {}
      if (Date.now() - t0 > 10_000) return reject(new Error("mock did not start"));
      setTimeout(poll, 50);
    };
    child.on("exit", (code) => reject(new Error(`mock exited early (${code})`)));
    poll();
  });
}

function requestFor(provider, mock) {
  switch (provider) {
    case "socaity": return { model: "flux-schnell", input: { prompt: "load", mock } };
    case "optexity": return { model: "load-endpoint", input: { input_parameters: { q: ["load"] }, mock } };
    case "deapi": return { task: "txt2img", input: { prompt: "load", model: "Flux1schnell", width: 512, height: 512, seed: 1, mock } };
    default: return { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "load", mock } };
  }
}

async function main() {
  const mock = await startMock();
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
  const clients = Object.fromEntries(PROVIDERS.map((p) => [p, new JobClient({
    provider: p, apiKey: KEY, baseUrl: `${mock.url}/${p}`, requestTimeoutMs: 10_000, maxPollIntervalMs: 5_000,
  })]));

  const started = Date.now();
  const results = [];
  const plan = Array.from({ length: JOBS }, (_, i) => {
    const provider = PROVIDERS[i % PROVIDERS.length];
    const duration = Math.round(MIN_MS + rand() * (MAX_MS - MIN_MS));
    const roll = rand();
    const outcome = roll < 0.1 ? "failed" : "finished";
    const cancel = provider === "socaity" && roll > 0.95;
    const idempotencyKey = rand() < IDEMPOTENT_SHARE ? `load-${SEED}-${i}` : undefined;
    return { i, provider, duration, outcome, cancel, idempotencyKey };
  });

  const runOne = async (job) => {
    const c = clients[job.provider];
    const mockScenario = { queue_ms: Math.round(rand() * 500), duration_ms: job.duration, outcome: job.outcome };
    const record = { ...job, id: null, status: null, code: null };
    results.push(record);
    try {
      if (job.cancel) {
        const first = await c.submit({ ...requestFor(job.provider, mockScenario), idempotencyKey: job.idempotencyKey });
        record.id = first.id;
        setTimeout(() => c.cancel(first.id).catch(() => {}), Math.round(job.duration / 3));
        const end = await c.wait(first.id, { timeoutMs: DEADLINE_MS });
        record.status = end.status;
      } else {
        const end = await c.run({ ...requestFor(job.provider, mockScenario), idempotencyKey: job.idempotencyKey }, {
          timeoutMs: DEADLINE_MS,
          onUpdate: (j) => { record.id = j.id; },
        });
        record.status = end.status;
      }
    } catch (err) {
      if (err?.name !== "PolyjobError" || typeof err.code !== "string") {
        record.code = "UNTYPED";
        console.error("untyped error:", err);
      } else if (err.code === "JOB_FAILED") {
        record.status = err.job.status;
        record.id = err.job.id;
      } else {
        record.code = err.code;
        if (err.job) record.id = err.job.id;
      }
    }
    record.settled = true;
  };

  // Stagger submissions over the first second so the start is a burst, not one instant.
  const all = plan.map((job) => new Promise((r) => setTimeout(r, rand() * 1000)).then(() => runOne(job)));
  const bounded = await Promise.race([
    Promise.allSettled(all).then(() => "done"),
    new Promise((r) => setTimeout(() => r("deadline"), DEADLINE_MS)),
  ]);
  const elapsed = Date.now() - started;
  clearInterval(rssTimer);

  // What the mock decided and saw.
  const mockJobs = await (await fetch(`${mock.url}/__mock/jobs`)).json();
  const stats = await (await fetch(`${mock.url}/__mock/stats`)).json();
  const byId = new Map(mockJobs.map((j) => [j.id, j]));
  mock.child.kill("SIGTERM");
  rmSync(mock.dir, { recursive: true, force: true });

  const count = (pred) => results.filter(pred).length;
  const codes = {};
  const codesKeyed = {};
  for (const r of results) {
    if (!r.code) continue;
    const into = r.idempotencyKey ? codesKeyed : codes;
    into[r.code] = (into[r.code] || 0) + 1;
  }
  const fmt = (o) => Object.entries(o).map(([k, v]) => `${k}:${v}`).join(" ") || "0";
  const mismatches = [];
  for (const r of results) {
    if (!r.status || !r.id) continue;
    const m = byId.get(r.id);
    if (!m) { mismatches.push(`${r.provider} ${r.id}: unknown to the mock`); continue; }
    const decided = m.cancelled_at_ms ? "CANCELLED" : m.outcome === "finished" ? "FINISHED" : "FAILED";
    const expected = decided === "FAILED" && m.outcome === "timeout" ? "TIMEOUT" : decided;
    if (r.status !== expected) mismatches.push(`${r.provider} ${r.id}: mock ${expected}, client ${r.status}`);
  }
  const sum = (k) => PROVIDERS.reduce((n, p) => n + clients[p].stats[k], 0);
  const requests = sum("requests");
  const retries = sum("retries");
  const firstAttempts = requests - retries;
  const unaccounted = JOBS - count((r) => r.settled);
  const budgetOk = retries <= 0.2 * firstAttempts + 100 * PROVIDERS.length + 1;

  const rows = [
    ["jobs started", JOBS],
    ["terminal FINISHED", count((r) => r.status === "FINISHED")],
    ["terminal FAILED", count((r) => r.status === "FAILED")],
    ["terminal CANCELLED", count((r) => r.status === "CANCELLED")],
    ["terminal TIMEOUT", count((r) => r.status === "TIMEOUT")],
    ["typed errors (no idempotency key)", fmt(codes)],
    ["typed errors (idempotencyKey)", fmt(codesKeyed)],
    ["unhandled rejections", unhandled],
    ["jobs unaccounted", unaccounted],
    ["outcome mismatches vs mock", mismatches.length],
    ["HTTP requests (client)", requests],
    ["retries / denied by budget", `${retries} / ${sum("retriesDenied")} (${((100 * retries) / Math.max(1, firstAttempts)).toFixed(1)}% of first attempts)`],
    ["requests seen by the mock", stats.requests],
    ["faults fired (mock)", Object.entries(stats.faults_fired ?? {}).map(([k, v]) => `${k}:${v}`).join(" ")],
    ["requests per job", (requests / JOBS).toFixed(2)],
    ["peak RSS", `${(peakRss / 1048576).toFixed(1)} MiB`],
    ["wall time", `${(elapsed / 1000).toFixed(1)} s (${bounded})`],
  ];
  console.log(`\nload-and-fault: ${JOBS} jobs, fault rate ${RATE}, durations ${MIN_MS}-${MAX_MS} ms, seed ${SEED}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(36)} ${v}`);
  for (const m of mismatches.slice(0, 20)) console.log(`  MISMATCH ${m}`);

  const failures = [];
  if (bounded !== "done") failures.push("deadline reached: some jobs never settled");
  if (unhandled) failures.push(`${unhandled} unhandled rejections`);
  if (unaccounted) failures.push(`${unaccounted} jobs unaccounted`);
  if (mismatches.length) failures.push(`${mismatches.length} outcome mismatches`);
  if (codes.UNTYPED || codesKeyed.UNTYPED) failures.push(`${codes.UNTYPED} untyped errors`);
  if (!budgetOk) failures.push(`retry budget exceeded: ${retries} retries for ${firstAttempts} first attempts`);
  console.log(failures.length ? `load-and-fault: FAILED — ${failures.join("; ")}` : "load-and-fault: all checks passed");
  console.log(`${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
