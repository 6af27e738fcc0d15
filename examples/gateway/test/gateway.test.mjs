// The gateway, end to end: the Worker is built exactly as `wrangler deploy` would build it
// (`wrangler deploy --dry-run`, so polyjob resolves through its `workerd` export condition), its
// bindings are read from wrangler.toml, and Miniflare 3 runs it in workerd on a loopback port
// against the mock providers server (POLYJOB_MOCK_URL, or one started here from
// target/debug/polyjob-mock). A page-side polyjob JobClient in Node talks to the gateway with no key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const { Miniflare } = await import("miniflare");
const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
const { JobClient } = await import("polyjob");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT = path.resolve(HERE, "..");
const REPO = path.resolve(PROJECT, "../..");
const KEY = "test-key";
const SECRET = "whsec_polyjob_mock_secret_0123456789";
const ORIGIN = "https://app.example.com";
const OTHER_ORIGIN = "https://evil.example.net";
const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];

let MOCK;
let mockProc = null;
let mf;
let GW;
let outdir;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startMock() {
  if (process.env.POLYJOB_MOCK_URL) return process.env.POLYJOB_MOCK_URL.replace(/\/+$/, "");
  const bin = path.join(REPO, "target/debug/polyjob-mock");
  assert.ok(existsSync(bin), `${bin} is missing: cargo build -p polyjob-mock`);
  mockProc = spawn(bin, ["--port", "0", "--exit-after", "300", "--webhook-retry-base-ms", "100"], { stdio: ["ignore", "pipe", "inherit"] });
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("mock did not start within 10 s")), 10_000);
    let buf = "";
    mockProc.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    mockProc.on("exit", (code) => reject(new Error(`mock exited (${code})`)));
  });
}

before(async () => {
  MOCK = await startMock();
  outdir = mkdtempSync(path.join(tmpdir(), "polyjob-gateway-"));
  // The deployable bundle, as `wrangler deploy` makes it.
  await promisify(execFile)(process.execPath, [path.join(PROJECT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
    cwd: PROJECT,
    timeout: 60_000,
    env: { ...process.env, WRANGLER_LOG: "error", NO_COLOR: "1" },
  });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(PROJECT, "wrangler.toml"));
  mf = new Miniflare({
    ...workerOptions,
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    modulesRoot: outdir,
    bindings: {
      ...workerOptions.bindings,
      ALLOWED_ORIGINS: `${ORIGIN}, http://localhost:5173`,
      SOCAITY_BASE_URL: `${MOCK}/socaity`,
      OPTEXITY_BASE_URL: `${MOCK}/optexity`,
      DEAPI_BASE_URL: `${MOCK}/deapi`,
      SERIKA_BASE_URL: `${MOCK}/serika`,
      // The secrets (`wrangler secret put ...` in production).
      SOCAITY_API_KEY: KEY,
      OPTEXITY_API_KEY: KEY,
      DEAPI_API_KEY: KEY,
      SERIKA_API_KEY: KEY,
      DEAPI_WEBHOOK_SECRET: SECRET,
    },
    cf: false,
    host: "127.0.0.1",
    port: 0,
  });
  GW = String(await mf.ready).replace(/\/+$/, "");
});

after(async () => {
  if (mf) await mf.dispose();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  if (mockProc && mockProc.exitCode === null) {
    const exited = new Promise((r) => mockProc.once("exit", r));
    mockProc.kill("SIGTERM");
    const timer = setTimeout(() => mockProc.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
});

// ---------------------------------------------------------------------------------------------
// helpers

function submitRequest(provider, mock) {
  const m = { queue_ms: 100, duration_ms: 400, steps: 4, nonce: randomUUID(), ...mock };
  switch (provider) {
    case "socaity":
      return { model: "flux-schnell", input: { prompt: "hello gateway", mock: m } };
    case "optexity":
      return { model: "gateway-endpoint", input: { input_parameters: { query: ["gateway"] }, mock: m } };
    case "deapi":
      return { task: "txt2img", input: { prompt: "a red fox", model: "Flux1schnell", width: 512, height: 512, seed: -1, mock: m } };
    case "serika":
      return { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "a city", mock: m } };
  }
}

/** A fetch that records everything the page-side client sends and receives. */
function recordingFetch() {
  const seen = [];
  const f = async (input, init = {}) => {
    const req = new Request(input, init);
    const entry = { method: req.method, url: req.url, requestHeaders: [...req.headers], responseHeaders: null, body: "" };
    seen.push(entry);
    const res = await fetch(req);
    entry.status = res.status;
    entry.responseHeaders = [...res.headers];
    if (!(res.headers.get("content-type") ?? "").includes("event-stream")) entry.body = await res.clone().text();
    return res;
  };
  f.seen = seen;
  return f;
}

/** A page-side client: no apiKey, the gateway as baseUrl, the page's Origin. */
function pageClient(provider, fetchImpl = recordingFetch()) {
  return new JobClient({
    provider,
    baseUrl: `${GW}/${provider}`,
    fetch: fetchImpl,
    headers: { origin: ORIGIN },
    pollIntervalMs: 50,
    maxPollIntervalMs: 100,
  });
}

async function mockRequests() {
  const res = await fetch(`${MOCK}/__mock/requests`);
  return (await res.json()).map((r) => ({ ...r, path: new URL(r.url, MOCK).pathname }));
}
async function mockRequestCount() {
  return (await (await fetch(`${MOCK}/__mock/stats`)).json()).requests;
}

const sign = (ts, body, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}`;
const now = () => String(Math.floor(Date.now() / 1000));

/** Delivers a deAPI-style webhook to the gateway, signed like deAPI does. */
async function deliver({ id, status, event, deliveryId = randomUUID(), ts = now(), secret = SECRET, body = null, extra = {} }) {
  const raw =
    body ??
    JSON.stringify({
      event,
      delivery_id: deliveryId,
      timestamp: new Date().toISOString(),
      data: { job_request_id: id, status, job_type: "txt2img", ...extra },
    });
  return fetch(`${GW}/webhooks/deapi`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-deapi-signature": sign(ts, raw, secret),
      "x-deapi-timestamp": ts,
      "x-deapi-event": event ?? "job.processing",
      "x-deapi-delivery-id": deliveryId,
      "user-agent": "DeAPI-Webhook/1.0",
    },
    body: raw,
  });
}

/** Reads `event: job` frames from an SSE response; `next()` resolves the next Job (or null at end). */
function sseReader(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const frames = [];
  return {
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = buf.indexOf("\n\n");
        if (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const lines = block.split("\n");
          if (!lines.some((l) => l === "event: job")) continue; // comments, retry:
          const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
          const job = JSON.parse(data);
          frames.push({ id, job });
          return job;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("no SSE frame in time");
        let timer;
        const read = await Promise.race([
          reader.read(),
          new Promise((r) => (timer = setTimeout(() => r({ timeout: true }), left))),
        ]).finally(() => clearTimeout(timer));
        if (read.timeout) throw new Error("no SSE frame in time");
        if (read.done) return null;
        buf += decoder.decode(read.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
    frames,
  };
}

// ---------------------------------------------------------------------------------------------
// proxy mode

test("a page-side JobClient with no key runs a job to FINISHED through the gateway, on every provider", { timeout: 60_000 }, async () => {
  for (const provider of PROVIDERS) {
    const t0 = Date.now();
    const f = recordingFetch();
    const client = pageClient(provider, f);
    const job = await client.run(submitRequest(provider), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED", provider);
    assert.equal(job.provider, provider);
    assert.ok(f.seen.length >= 2, `${provider}: submit + status requests went through the gateway`);

    // The page never had the key: not in what it sent, nor in anything it got back.
    for (const e of f.seen) {
      assert.ok(e.url.startsWith(`${GW}/${provider}/`), e.url);
      const sent = JSON.stringify(e.requestHeaders).toLowerCase();
      assert.ok(!sent.includes("authorization") && !sent.includes("x-api-key"), `${provider}: the page sent no auth`);
      assert.ok(!JSON.stringify(e).includes(KEY), `${provider}: ${e.method} ${e.url} exposed the key`);
      const headers = new Headers(e.responseHeaders);
      assert.equal(headers.get("access-control-allow-origin"), ORIGIN, "CORS for the page's origin, not the provider's *");
    }

    // ...but every request the mock saw for it carried the key in the provider's auth header.
    const log = (await mockRequests()).filter((r) => r.at_ms >= t0 && r.path.startsWith(`/${provider}/`));
    assert.equal(log.length, f.seen.length, `${provider}: one upstream request per page request`);
    for (const r of log) {
      if (provider === "optexity") assert.equal(r.headers["x-api-key"], KEY);
      else assert.equal(r.headers.authorization, `Bearer ${KEY}`);
      assert.equal(r.headers.origin, undefined, "page headers are not forwarded");
    }
  }
});

test("auth headers a page sends are dropped; the gateway's key replaces them", async () => {
  const t0 = Date.now();
  const res = await fetch(`${GW}/serika/jobs`, { headers: { authorization: "Bearer page-guess", "x-api-key": "page-guess", cookie: "s=1" } });
  assert.equal(res.status, 200);
  const [r] = (await mockRequests()).filter((x) => x.at_ms >= t0 && x.path === "/serika/jobs");
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.equal(r.headers["x-api-key"], undefined);
  assert.equal(r.headers.cookie, undefined);
});

test("non-allowlisted paths and methods are refused and never reach the provider", async () => {
  const before = await mockRequestCount();
  const cases = [
    ["GET", "/socaity/v1/models", 404],
    ["GET", "/socaity/v1/jobs/abc/extra", 404],
    ["GET", "/deapi/api/v1/client/txt2img", 405],
    ["POST", "/deapi/api/v1/client/request-status/abc", 405],
    ["GET", "/deapi/broadcasting/auth", 405],
    ["GET", "/deapi/api/v1/client/request-status/a%2Fb", 404],
    ["POST", "/serika/jobs/abc", 405],
    ["DELETE", "/optexity/api/v1/inference", 405],
    ["GET", "/optexity/api/v2/anything", 404],
    ["GET", "/serika/jobs/%2e%2e", 404],
    ["GET", "/nowhere/jobs", 404],
    ["GET", "/", 404],
  ];
  for (const [method, p, status] of cases) {
    const res = await fetch(`${GW}${p}`, { method });
    assert.equal(res.status, status, `${method} ${p}`);
    if (status === 405) assert.ok(res.headers.get("allow"), `${method} ${p}: Allow header`);
    await res.arrayBuffer();
  }
  // A raw dot-dot path (no client-side normalization) cannot climb out of the provider prefix.
  const raw = await new Promise((resolve, reject) => {
    const u = new URL(GW);
    http.get({ host: u.hostname, port: u.port, path: "/serika/%2e%2e/__mock/requests" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject);
  });
  assert.equal(raw, 404);
  assert.equal(await mockRequestCount(), before, "the mock saw none of them");
});

test("CORS: preflight answered for a configured origin only; other origins are refused", async () => {
  const ok = await fetch(`${GW}/deapi/api/v1/client/txt2img`, {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(ok.headers.get("access-control-allow-methods"), /POST/);
  assert.match(ok.headers.get("access-control-allow-headers"), /content-type/);
  assert.match(ok.headers.get("vary"), /Origin/);

  const other = await fetch(`${GW}/deapi/api/v1/client/txt2img`, {
    method: "OPTIONS",
    headers: { origin: OTHER_ORIGIN, "access-control-request-method": "POST" },
  });
  assert.equal(other.status, 403);
  assert.equal(other.headers.get("access-control-allow-origin"), null);

  const notRoute = await fetch(`${GW}/deapi/api/v1/admin`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } });
  assert.equal(notRoute.status, 404);
  assert.equal(notRoute.headers.get("access-control-allow-origin"), null);

  const jobsPreflight = await fetch(`${GW}/jobs/deapi/some-id/events`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } });
  assert.equal(jobsPreflight.status, 204);
  assert.equal(jobsPreflight.headers.get("access-control-allow-origin"), ORIGIN);

  // Actual requests: the configured origin gets its own ACAO (the provider's "*" is replaced);
  // another origin is refused before anything is forwarded.
  const before = await mockRequestCount();
  const mine = await fetch(`${GW}/serika/jobs`, { headers: { origin: ORIGIN } });
  assert.equal(mine.status, 200);
  assert.equal(mine.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(mine.headers.get("access-control-expose-headers"), /retry-after/);
  const theirs = await fetch(`${GW}/serika/jobs`, { headers: { origin: OTHER_ORIGIN } });
  assert.equal(theirs.status, 403);
  assert.equal(theirs.headers.get("access-control-allow-origin"), null);
  await Promise.all([mine.arrayBuffer(), theirs.arrayBuffer()]);
  assert.equal(await mockRequestCount(), before + 1, "only the allowed origin's request was forwarded");
});

test("Socaity SSE streams pass through the gateway unbuffered", { timeout: 30_000 }, async () => {
  const client = pageClient("socaity");
  const chunks = ["one ", "two ", "three ", "four ", "five"];
  const job = await client.submit(submitRequest("socaity", { queue_ms: 0, stream: { chunks, interval_ms: 300 } }));
  const got = [];
  const t0 = Date.now();
  for await (const chunk of client.stream(job.id)) got.push({ chunk, at: Date.now() - t0 });
  assert.deepEqual(got.map((g) => g.chunk), chunks);
  // Buffered, every chunk would arrive at the end; streamed, they arrive ~300 ms apart.
  const spread = got[got.length - 1].at - got[0].at;
  assert.ok(spread >= 800, `chunks arrived as sent (spread ${spread} ms: ${JSON.stringify(got)})`);
});

// ---------------------------------------------------------------------------------------------
// webhook receiver + Durable Object

test("a signed webhook updates the job's Durable Object; GET /jobs/deapi/:id answers from it; a duplicate delivery is ignored", async () => {
  const id = randomUUID();
  const unknown = await fetch(`${GW}/jobs/deapi/${id}`);
  assert.equal(unknown.status, 404);
  await unknown.arrayBuffer();

  const deliveryId = randomUUID();
  const res = await deliver({ id, status: "done", event: "job.completed", deliveryId, extra: { result_url: "http://127.0.0.1/files/x.png", completed_at: "2026-11-22T10:00:00Z" } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { ok: true, duplicate: false, applied: true, version: 1 });

  const got = await fetch(`${GW}/jobs/deapi/${id}`, { headers: { origin: ORIGIN } });
  assert.equal(got.status, 200);
  assert.equal(got.headers.get("access-control-allow-origin"), ORIGIN);
  const job = await got.json();
  assert.equal(job.id, id);
  assert.equal(job.provider, "deapi");
  assert.equal(job.status, "FINISHED");
  assert.equal(job.resultUrl, "http://127.0.0.1/files/x.png");

  // deAPI retries a delivery with the same X-DeAPI-Delivery-Id (newly signed): applied once.
  const again = await deliver({ id, status: "error", event: "job.failed", deliveryId, extra: { error_message: "late duplicate" } });
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { ok: true, duplicate: true, applied: false });
  assert.equal((await (await fetch(`${GW}/jobs/deapi/${id}`)).json()).status, "FINISHED");

  // A later, distinct delivery of an older state does not move a finished job back.
  const stale = await deliver({ id, status: "processing", event: "job.processing" });
  assert.deepEqual(await stale.json(), { ok: true, duplicate: false, applied: false, version: 1 });
});

test("a bad signature or an expired timestamp is rejected 401, an unreadable payload 400; nothing is stored", async () => {
  const id = randomUUID();
  const wrongSecret = await deliver({ id, status: "done", event: "job.completed", secret: "whsec_not_the_right_secret_000000000" });
  assert.equal(wrongSecret.status, 401);
  assert.equal((await wrongSecret.json()).error.code, "WEBHOOK_SIGNATURE");

  const body = JSON.stringify({ event: "job.completed", data: { job_request_id: id, status: "done" } });
  const ts = now();
  const tampered = await fetch(`${GW}/webhooks/deapi`, {
    method: "POST",
    headers: { "x-deapi-signature": sign(ts, body), "x-deapi-timestamp": ts, "x-deapi-delivery-id": randomUUID() },
    body: body.replace("done", "error"),
  });
  assert.equal(tampered.status, 401);
  await tampered.arrayBuffer();

  const unsigned = await fetch(`${GW}/webhooks/deapi`, { method: "POST", body });
  assert.equal(unsigned.status, 401);
  await unsigned.arrayBuffer();

  const expired = await deliver({ id, status: "done", event: "job.completed", ts: String(Math.floor(Date.now() / 1000) - 3600) });
  assert.equal(expired.status, 401);
  assert.equal((await expired.json()).error.code, "WEBHOOK_EXPIRED");

  const notJson = await deliver({ id, body: "not json at all" });
  assert.equal(notJson.status, 400);
  assert.equal((await notJson.json()).error.code, "BAD_RESPONSE");

  const wrongMethod = await fetch(`${GW}/webhooks/deapi`);
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.arrayBuffer();

  const stored = await fetch(`${GW}/jobs/deapi/${id}`);
  assert.equal(stored.status, 404, "no rejected delivery reached the Durable Object");
  await stored.arrayBuffer();
});

test("a page subscribed to /jobs/deapi/:id/events receives each update over SSE", { timeout: 20_000 }, async () => {
  const id = randomUUID();
  const res = await fetch(`${GW}/jobs/deapi/${id}/events`, { headers: { origin: ORIGIN } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/event-stream/);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  const sse = sseReader(res);
  try {
    assert.equal((await deliver({ id, status: "processing", event: "job.processing" })).status, 200);
    const first = await sse.next();
    assert.equal(first.id, id);
    assert.equal(first.status, "PROCESSING");
    assert.equal((await deliver({ id, status: "done", event: "job.completed", extra: { result_url: "http://127.0.0.1/files/y.png" } })).status, 200);
    const second = await sse.next();
    assert.equal(second.status, "FINISHED");
    assert.equal(second.resultUrl, "http://127.0.0.1/files/y.png");
    assert.equal(await sse.next(), null, "the stream ends after a terminal job");
    assert.deepEqual(sse.frames.map((f) => f.id), ["1", "2"]);
  } finally {
    await sse.cancel();
  }
  // A late subscriber gets the current (terminal) state at once, then the end.
  const late = sseReader(await fetch(`${GW}/jobs/deapi/${id}/events`));
  assert.equal((await late.next()).status, "FINISHED");
  assert.equal(await late.next(), null);
});

test("end to end: a deAPI job submitted through the gateway gets its webhooks at the gateway, which the page follows over SSE", { timeout: 40_000 }, async () => {
  const client = pageClient("deapi");
  // The page's own webhook_url is replaced by the gateway's receiver (DEAPI_WEBHOOK_URL = "auto").
  const submitted = await client.submit({ ...submitRequest("deapi", { queue_ms: 300, duration_ms: 600 }), webhookUrl: "http://127.0.0.1:9/page-chosen" });
  const sse = sseReader(await fetch(`${GW}/jobs/deapi/${submitted.id}/events`, { headers: { origin: ORIGIN } }));
  // The page hands each pushed update to its waits (client.notify), as with an EventSource.
  const waiting = client.wait(submitted.id, { timeoutMs: 20_000 });
  const statuses = [];
  try {
    for (;;) {
      const job = await sse.next(20_000);
      if (job === null) break;
      statuses.push(job.status);
      client.notify(job);
    }
  } finally {
    await sse.cancel();
  }
  assert.equal(statuses.at(-1), "FINISHED", `SSE statuses: ${statuses}`);
  assert.equal((await waiting).status, "FINISHED");
  const stored = await (await fetch(`${GW}/jobs/deapi/${submitted.id}`)).json();
  assert.equal(stored.status, "FINISHED");
  const polled = await client.get(submitted.id);
  assert.equal(stored.resultUrl, polled.resultUrl);

  const mockJob = await (await fetch(`${MOCK}/__mock/jobs/${submitted.id}`)).json();
  assert.equal(mockJob.webhook_refused, null);
  assert.ok(mockJob.webhooks.length >= 2, JSON.stringify(mockJob.webhooks));
  for (const w of mockJob.webhooks) assert.equal(w.status, 200, `delivered to the gateway: ${JSON.stringify(w)}`);
});
