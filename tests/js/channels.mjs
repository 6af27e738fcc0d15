// Push channels versus polling, measured: N deAPI jobs (durations spread over a range) waited
// with `via: "poll"` and with `via: "auto"` (realtime over the Pusher protocol), each against
// the mock providers server, which records when every job really completed. Prints status
// requests per job and the delay from the mock's completion to wait() resolving (median, p95).
//
//   node --experimental-websocket tests/js/channels.mjs [--jobs 100] [--min-ms 1000] [--max-ms 10000]
// Needs POLYJOB_MOCK_URL (a running mock). Not a pass/fail test: timings are noisy here.
import { JobClient } from "polyjob";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const JOBS = Number(args.jobs ?? 100);
const MIN_MS = Number(args["min-ms"] ?? 1000);
const MAX_MS = Number(args["max-ms"] ?? 10000);
const MOCK = (process.env.POLYJOB_MOCK_URL || "").replace(/\/+$/, "");
if (!MOCK) throw new Error("set POLYJOB_MOCK_URL");

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function measure(via) {
  const c = new JobClient({
    provider: "deapi",
    apiKey: "test-key",
    baseUrl: `${MOCK}/deapi`,
    realtime: { clientId: "1001", wsUrl: `${MOCK.replace(/^http/, "ws")}/deapi-ws` },
  });
  const rows = await Promise.all(Array.from({ length: JOBS }, async (_, i) => {
    const duration = Math.round(MIN_MS + ((MAX_MS - MIN_MS) * i) / Math.max(1, JOBS - 1));
    const job = await c.run({
      task: "txt2img",
      input: { prompt: "bench", model: "Flux1schnell", width: 512, height: 512, seed: i, mock: { queue_ms: 200, duration_ms: duration, steps: 20, nonce: `${via}-${i}-${Date.now()}` } },
    }, { via, timeoutMs: MAX_MS + 60_000 });
    const resolvedAt = Date.now();
    const m = await (await fetch(`${MOCK}/__mock/jobs/${job.id}`)).json();
    return { delay: resolvedAt - m.completes_at_ms, requests: m.status_requests, duration };
  }));
  const delays = rows.map((r) => r.delay);
  const frac = rows.map((r) => r.delay / r.duration);
  return {
    via,
    statusRequestsPerJob: rows.reduce((n, r) => n + r.requests, 0) / rows.length,
    delayP50: quantile(delays, 0.5),
    delayP95: quantile(delays, 0.95),
    delayFracP95: quantile(frac, 0.95),
  };
}

const results = [];
for (const via of ["poll", "auto"]) results.push(await measure(via));
console.log(`\n${JOBS} deAPI jobs, durations ${MIN_MS}-${MAX_MS} ms, against the mock`);
console.log("via   | status requests/job | delay p50 | delay p95 | p95 delay / duration");
for (const r of results) {
  console.log(`${r.via.padEnd(5)} | ${r.statusRequestsPerJob.toFixed(2).padStart(19)} | ${String(r.delayP50).padStart(6)} ms | ${String(r.delayP95).padStart(6)} ms | ${(100 * r.delayFracP95).toFixed(1)}%`);
}
