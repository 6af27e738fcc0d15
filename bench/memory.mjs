// 5. Memory per tracked job: N long-running mock jobs (1 h) are submitted, then N concurrent
// waits are started on them with a large poll interval (each makes its first status request,
// then sleeps). Growth of heapUsed + external + arrayBuffers (as the brief defines it; note
// Node's `external` already includes `arrayBuffers`, so both sums are reported) between
// "ids in hand" and "all waits parked", each after gc(), divided by N. Each side runs in a fresh
// process: polyjob `wait` and the plain-JS fixed poller (same jobs' shape, same interval).
// polyjob's first polls go through its client's request cap (maxConcurrentRequests, default 32:
// a user's setting, left at its default); the plain-JS poller sends all N at once.
// Measured once the keep-alive sockets of the N concurrent first polls have closed (both sides
// open them; they are the HTTP client's cost, not the tracking's), and also with them open.
// Node's fetch (undici) keeps a client object per connection it ever opened in its pool, sockets
// closed or not: N concurrent first polls leave ~0.6 of them per job, on either side. So each
// side runs twice: with a cold pool (that growth included) and with the pool grown beforehand by
// N concurrent requests to the mock (what tracking the jobs costs, the headline figure).
//
//   node --expose-gc bench/memory.mjs [--jobs 10000]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, round, writeStep, mockUrl, KEY, polyjobRequest } from "./lib/common.mjs";

const args = parseArgs();
const N = Number(args.jobs ?? 10000);
const MOCK = mockUrl();
const INTERVAL = 600_000;
const PROVIDER = "socaity";
const SOCKET_IDLE_MS = 6000;

const mem = () => {
  for (let k = 0; k < 4; k++) globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function statusRequests() {
  return (await (await fetch(`${MOCK}/__mock/stats`)).json()).status_requests;
}

async function side(which, pool) {
  const base = `${MOCK}/${PROVIDER}`;
  const { JobClient } = await import("../pkg/node/index.mjs");
  const { submit, waitFixed } = await import("./baseline/poller.mjs");
  const client = new JobClient({ provider: PROVIDER, apiKey: KEY, baseUrl: base, pollIntervalMs: INTERVAL, maxPollIntervalMs: INTERVAL });
  const ids = [];
  const nonce = `${Date.now()}-${which}`;
  for (let k = 0; k < N; k += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, N - k) }, (_, j) =>
      submit(PROVIDER, base, KEY, polyjobRequest(PROVIDER, { queue_ms: 0, duration_ms: 3_600_000, nonce: `${nonce}-${k + j}` }))));
    ids.push(...batch);
  }
  // Warm both paths once (module code, first-call caches) on a job outside the measured set.
  const warm = await submit(PROVIDER, base, KEY, polyjobRequest(PROVIDER, { queue_ms: 0, duration_ms: 10, nonce: `${nonce}-warm` }));
  await sleep(50);
  if (which === "polyjob") await client.wait(warm, { timeoutMs: 5000 }).catch(() => {});
  else await waitFixed(PROVIDER, base, KEY, warm, 20);
  await sleep(200);
  if (pool === "warm") {
    // Grow the HTTP client's connection pool to the burst's size, then let its sockets close.
    await Promise.all(Array.from({ length: N }, () => fetch(`${MOCK}/__mock/stats`).then((r) => r.arrayBuffer()).catch(() => {})));
    await sleep(SOCKET_IDLE_MS);
  }
  const before = mem();
  const sr0 = await statusRequests();
  const ac = new AbortController();
  const pending = ids.map((id) => which === "polyjob"
    ? client.wait(id, { signal: ac.signal, timeoutMs: 3_600_000 }).catch(() => {})
    : waitFixed(PROVIDER, base, KEY, id, INTERVAL).catch(() => {}));
  // Every wait has made its first status request and is parked in its sleep.
  const t0 = Date.now();
  while ((await statusRequests()) - sr0 < N && Date.now() - t0 < 120_000) await sleep(200);
  await sleep(1000);
  const withSockets = mem();
  // Let the keep-alive sockets of those N concurrent first polls close (undici's keepAliveTimeout
  // is 4 s): what is left is what tracking the parked waits costs.
  await sleep(SOCKET_IDLE_MS);
  const after = mem();
  const d = (k) => after[k] - before[k];
  const growthBrief = d("heapUsed") + d("external") + d("arrayBuffers");
  const growthNoDouble = d("heapUsed") + d("external");
  const out = {
    side: which,
    pool,
    jobs: N,
    pending: pending.length,
    before, after,
    bytesPerJob: round(growthBrief / N, 1),
    bytesPerJobWithOpenSockets: round((withSockets.heapUsed + withSockets.external + withSockets.arrayBuffers - before.heapUsed - before.external - before.arrayBuffers) / N, 1),
    bytesPerJobHeapPlusExternal: round(growthNoDouble / N, 1),
    heapUsedPerJob: round(d("heapUsed") / N, 1),
    externalPerJob: round(d("external") / N, 1),
    statusRequestsMade: (await statusRequests()) - sr0,
  };
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

if (args.side) {
  await side(args.side, args.pool ?? "warm");
} else {
  const results = {};
  const coldPool = {};
  for (const pool of ["warm", "cold"]) {
    for (const which of ["polyjob", "plain-js"]) {
      const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--side", which, "--pool", pool, "--jobs", String(N)], {
        env: process.env, encoding: "utf8", timeout: 240_000, maxBuffer: 1 << 24,
      });
      if (r.status !== 0) throw new Error(`memory side ${which} (${pool} pool) failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
      const x = JSON.parse(r.stdout);
      (pool === "warm" ? results : coldPool)[which] = x;
      console.log(`  memory ${which.padEnd(8)} ${pool} pool: ${x.bytesPerJob} B/job (heapUsed ${x.heapUsedPerJob}, external ${x.externalPerJob}; ${x.bytesPerJobWithOpenSockets} B/job while the sockets were open), ${x.statusRequestsMade} first polls`);
    }
  }
  writeStep("memory", {
    jobs: N, pollIntervalMs: INTERVAL, provider: PROVIDER, ...results,
    ratio: round(results.polyjob.bytesPerJob / results["plain-js"].bytesPerJob, 2),
    coldPool: { ...coldPool, ratio: round(coldPool.polyjob.bytesPerJob / coldPool["plain-js"].bytesPerJob, 2) },
  });
}
