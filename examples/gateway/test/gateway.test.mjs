// The gateway, end to end: the Worker is built exactly as `wrangler deploy` would build it
// (`wrangler deploy --dry-run`, so polyjob resolves through its `workerd` export condition), its
// bindings are read from wrangler.toml, and Miniflare 3 runs it in workerd on a loopback port
// against the mock providers server (POLYJOB_MOCK_URL, or one started here from
// target/debug/polyjob-mock). A page-side polyjob JobClient in Node talks to the gateway with no key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
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
/** The key the gateway puts in Optexity submits (OPTEXITY_WEBHOOK_KEY) and checks on callbacks. */
const CALLBACK_KEY = "gw-optexity-callback-key-5e8d";
const ORIGIN = "https://app.example.com";
const OTHER_ORIGIN = "https://evil.example.net";
// The gateway's own credentials (secrets in production): a shared token (GATEWAY_TOKENS) and the
// key per-user tokens are signed with (GATEWAY_SIGNING_SECRET).
const TOKEN = "gw-shared-token-3f9a1c7e5b2d4068";
const SIGNING = "gw-signing-secret-0123456789abcdef-0123";
const AUTHZ = { authorization: `Bearer ${TOKEN}` };
const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];

let MOCK;
let mockProc = null;
let mf;
let GW;
let outdir;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch with the shared gateway token, unless the request names its own Authorization. */
function gfetch(input, init = {}) {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has("authorization")) headers.set("authorization", AUTHZ.authorization);
  return fetch(input, { ...init, headers });
}

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
  mf = gateway(MOCK);
  GW = String(await mf.ready).replace(/\/+$/, "");
});

/** The built Worker in Miniflare, with the providers at `upstream` and `vars` over wrangler.toml's. */
function gateway(upstream, vars = {}) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(PROJECT, "wrangler.toml"));
  const options = {
    ...workerOptions,
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    modulesRoot: outdir,
    bindings: {
      ...workerOptions.bindings,
      ALLOWED_ORIGINS: `${ORIGIN}, http://localhost:5173`,
      SOCAITY_BASE_URL: `${upstream}/socaity`,
      OPTEXITY_BASE_URL: `${upstream}/optexity`,
      DEAPI_BASE_URL: `${upstream}/deapi`,
      SERIKA_BASE_URL: `${upstream}/serika`,
      // The secrets (`wrangler secret put ...` in production).
      SOCAITY_API_KEY: KEY,
      OPTEXITY_API_KEY: KEY,
      DEAPI_API_KEY: KEY,
      SERIKA_API_KEY: KEY,
      DEAPI_WEBHOOK_SECRET: SECRET,
      OPTEXITY_WEBHOOK_KEY: CALLBACK_KEY,
      // Access: a shared token and per-user tokens; a budget the suite does not reach.
      GATEWAY_TOKENS: `other-token-never-used, ${TOKEN}`,
      GATEWAY_SIGNING_SECRET: SIGNING,
      SUBMITS_PER_MINUTE: "1000",
      ...vars,
    },
    cf: false,
    host: "127.0.0.1",
    port: 0,
  };
  // A var given as null is left unset.
  for (const [k, v] of Object.entries(options.bindings)) if (v === null) delete options.bindings[k];
  return new Miniflare(options);
}

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

/** A page-side client: no apiKey, the gateway as baseUrl, the page's Origin and gateway token. */
function pageClient(provider, fetchImpl = recordingFetch(), token = TOKEN) {
  return new JobClient({
    provider,
    baseUrl: `${GW}/${provider}`,
    fetch: fetchImpl,
    headers: { origin: ORIGIN, authorization: `Bearer ${token}` },
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
  return gfetch(`${GW}/webhooks/deapi`, {
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

    // The page never had the key: not in what it sent, nor in anything it got back. Its only
    // credential is the gateway token.
    for (const e of f.seen) {
      assert.ok(e.url.startsWith(`${GW}/${provider}/`), e.url);
      const sent = new Headers(e.requestHeaders);
      assert.equal(sent.get("authorization"), `Bearer ${TOKEN}`, `${provider}: the page sent the gateway token`);
      assert.equal(sent.get("x-api-key"), null, `${provider}: the page sent no provider key`);
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
      assert.ok(!JSON.stringify(r.headers).includes(TOKEN), `${provider}: the gateway token stays at the gateway`);
      assert.equal(r.headers.origin, undefined, "page headers are not forwarded");
    }
  }
});

test("deAPI v2: a page-side JobClient (apiVersion \"v2\") runs a JSON and a file task to FINISHED through the gateway", { timeout: 60_000 }, async () => {
  const f = recordingFetch();
  const client = new JobClient({ provider: "deapi", apiVersion: "v2", baseUrl: `${GW}/deapi`, headers: { origin: ORIGIN, authorization: `Bearer ${TOKEN}` }, fetch: f, pollIntervalMs: 50, maxPollIntervalMs: 100 });
  const m = { queue_ms: 50, duration_ms: 200, steps: 2, nonce: randomUUID() };
  const job = await client.run({ task: "images/generations", input: { prompt: "a fox", model: "Flux1schnell", width: 512, height: 512, guidance: 3, steps: 4, seed: 1, mock: m } }, { timeoutMs: 20_000 });
  assert.equal(job.status, "FINISHED");
  assert.ok(job.cost && job.cost.currency === "USD", JSON.stringify(job.cost));
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const up = await client.run({ task: "images/upscales", input: { image: new Blob([png], { type: "image/png" }), model: "RealESRGAN_x4", mock: { ...m, nonce: randomUUID() } } }, { timeoutMs: 20_000 });
  assert.equal(up.status, "FINISHED");
  assert.ok(f.seen.some((e) => e.url === `${GW}/deapi/api/v2/jobs/${job.id}`), "polled at /api/v2/jobs through the gateway");
});

test("auth headers a page sends are dropped; the gateway's key replaces them", async () => {
  const t0 = Date.now();
  const res = await gfetch(`${GW}/serika/jobs`, { headers: { ...AUTHZ, "x-api-key": "page-guess", cookie: "s=1" } });
  assert.equal(res.status, 200);
  const [r] = (await mockRequests()).filter((x) => x.at_ms >= t0 && x.path === "/serika/jobs");
  assert.equal(r.headers.authorization, `Bearer ${KEY}`, "the gateway token is replaced by the provider key");
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
    // deAPI: only its documented v1 tasks; not their price-calculation variants, nor the
    // account routes, nor a made-up task.
    ["POST", "/deapi/api/v1/client/img2img/price-calculation", 404],
    ["POST", "/deapi/api/v1/client/balance", 404],
    ["POST", "/deapi/api/v1/client/not-a-task", 404],
    ["POST", "/deapi/api/v1/client/videos/delete", 404],
    ["POST", "/deapi/api/v2/images/generations/price", 404],
    ["POST", "/deapi/api/v2/prompts/enhancements", 404],
    ["GET", "/deapi/api/v2/account/balance", 404],
    ["POST", "/deapi/api/v2/jobs/abc", 405],
    ["GET", "/deapi/api/v1/client/img2img", 405],
    ["GET", "/nowhere/jobs", 404],
    ["GET", "/", 404],
  ];
  for (const [method, p, status] of cases) {
    const res = await gfetch(`${GW}${p}`, { method });
    assert.equal(res.status, status, `${method} ${p}`);
    if (status === 405) assert.ok(res.headers.get("allow"), `${method} ${p}: Allow header`);
    await res.arrayBuffer();
  }
  // A raw dot-dot path (no client-side normalization) cannot climb out of the provider prefix.
  const raw = await new Promise((resolve, reject) => {
    const u = new URL(GW);
    http.get({ host: u.hostname, port: u.port, path: "/serika/%2e%2e/__mock/requests", headers: AUTHZ }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject);
  });
  assert.equal(raw, 404);
  assert.equal(await mockRequestCount(), before, "the mock saw none of them");
});

test("CORS: preflight answered for a configured origin only; other origins are refused", async () => {
  const ok = await gfetch(`${GW}/deapi/api/v1/client/txt2img`, {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(ok.headers.get("access-control-allow-methods"), /POST/);
  assert.match(ok.headers.get("access-control-allow-headers"), /content-type/);
  assert.match(ok.headers.get("vary"), /Origin/);

  const other = await gfetch(`${GW}/deapi/api/v1/client/txt2img`, {
    method: "OPTIONS",
    headers: { origin: OTHER_ORIGIN, "access-control-request-method": "POST" },
  });
  assert.equal(other.status, 403);
  assert.equal(other.headers.get("access-control-allow-origin"), null);

  const notRoute = await gfetch(`${GW}/deapi/api/v1/admin`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } });
  assert.equal(notRoute.status, 404);
  assert.equal(notRoute.headers.get("access-control-allow-origin"), null);

  const jobsPreflight = await gfetch(`${GW}/jobs/deapi/some-id/events`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } });
  assert.equal(jobsPreflight.status, 204);
  assert.equal(jobsPreflight.headers.get("access-control-allow-origin"), ORIGIN);

  // Actual requests: the configured origin gets its own ACAO (the provider's "*" is replaced);
  // another origin is refused before anything is forwarded.
  const before = await mockRequestCount();
  const mine = await gfetch(`${GW}/serika/jobs`, { headers: { origin: ORIGIN } });
  assert.equal(mine.status, 200);
  assert.equal(mine.headers.get("access-control-allow-origin"), ORIGIN);
  assert.match(mine.headers.get("access-control-expose-headers"), /retry-after/);
  const theirs = await gfetch(`${GW}/serika/jobs`, { headers: { origin: OTHER_ORIGIN } });
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
  const unknown = await gfetch(`${GW}/jobs/deapi/${id}`);
  assert.equal(unknown.status, 404);
  await unknown.arrayBuffer();

  const deliveryId = randomUUID();
  const res = await deliver({ id, status: "done", event: "job.completed", deliveryId, extra: { result_url: "http://127.0.0.1/files/x.png", completed_at: "2026-11-22T10:00:00Z" } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { ok: true, duplicate: false, applied: true, version: 1 });

  const got = await gfetch(`${GW}/jobs/deapi/${id}`, { headers: { origin: ORIGIN } });
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
  assert.equal((await (await gfetch(`${GW}/jobs/deapi/${id}`)).json()).status, "FINISHED");

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
  const tampered = await gfetch(`${GW}/webhooks/deapi`, {
    method: "POST",
    headers: { "x-deapi-signature": sign(ts, body), "x-deapi-timestamp": ts, "x-deapi-delivery-id": randomUUID() },
    body: body.replace("done", "error"),
  });
  assert.equal(tampered.status, 401);
  await tampered.arrayBuffer();

  const unsigned = await gfetch(`${GW}/webhooks/deapi`, { method: "POST", body });
  assert.equal(unsigned.status, 401);
  await unsigned.arrayBuffer();

  const expired = await deliver({ id, status: "done", event: "job.completed", ts: String(Math.floor(Date.now() / 1000) - 3600) });
  assert.equal(expired.status, 401);
  assert.equal((await expired.json()).error.code, "WEBHOOK_EXPIRED");

  const notJson = await deliver({ id, body: "not json at all" });
  assert.equal(notJson.status, 400);
  assert.equal((await notJson.json()).error.code, "BAD_RESPONSE");

  const wrongMethod = await gfetch(`${GW}/webhooks/deapi`);
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.arrayBuffer();

  const stored = await gfetch(`${GW}/jobs/deapi/${id}`);
  assert.equal(stored.status, 404, "no rejected delivery reached the Durable Object");
  await stored.arrayBuffer();
});

test("a page subscribed to /jobs/deapi/:id/events receives each update over SSE", { timeout: 20_000 }, async () => {
  const id = randomUUID();
  const res = await gfetch(`${GW}/jobs/deapi/${id}/events`, { headers: { origin: ORIGIN } });
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
  const late = sseReader(await gfetch(`${GW}/jobs/deapi/${id}/events`));
  assert.equal((await late.next()).status, "FINISHED");
  assert.equal(await late.next(), null);
});

test("end to end: a deAPI job submitted through the gateway gets its webhooks at the gateway, which the page follows over SSE", { timeout: 40_000 }, async () => {
  const client = pageClient("deapi");
  // The page's own webhook_url is replaced by the gateway's receiver (DEAPI_WEBHOOK_URL = "auto").
  const submitted = await client.submit({ ...submitRequest("deapi", { queue_ms: 300, duration_ms: 600 }), webhookUrl: "http://127.0.0.1:9/page-chosen" });
  const sse = sseReader(await gfetch(`${GW}/jobs/deapi/${submitted.id}/events`, { headers: { origin: ORIGIN } }));
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
  const stored = await (await gfetch(`${GW}/jobs/deapi/${submitted.id}`)).json();
  assert.equal(stored.status, "FINISHED");
  const polled = await client.get(submitted.id);
  assert.equal(stored.resultUrl, polled.resultUrl);

  const mockJob = await (await fetch(`${MOCK}/__mock/jobs/${submitted.id}`)).json();
  assert.equal(mockJob.webhook_refused, null);
  assert.ok(mockJob.webhooks.length >= 2, JSON.stringify(mockJob.webhooks));
  for (const w of mockJob.webhooks) assert.equal(w.status, 200, `delivered to the gateway: ${JSON.stringify(w)}`);
});

/** Delivers an Optexity task callback to the gateway (no signature: the key in x-api-key). */
function callback(body, headers = { "x-api-key": CALLBACK_KEY }) {
  return gfetch(`${GW}/webhooks/optexity`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}
const callbackBody = (id, over = {}) =>
  JSON.stringify({ task_id: id, recording_id: "rec_1", endpoint_name: "gateway-endpoint", status: "success", output_data: [{ total: "1.00" }], error: null, downloads: [{ url: "http://127.0.0.1/files/r.csv", filename: "r.csv" }], ...over });

test("an Optexity callback with the gateway's key updates the job's Durable Object; a repeat is not applied again", async () => {
  const id = randomUUID();
  const res = await callback(callbackBody(id));
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { ok: true, duplicate: false, applied: true, version: 1 });
  const job = await (await gfetch(`${GW}/jobs/optexity/${id}`)).json();
  assert.equal(job.id, id);
  assert.equal(job.provider, "optexity");
  assert.equal(job.status, "FINISHED");
  assert.equal(job.via, "webhook");
  assert.deepEqual(job.result, [{ total: "1.00" }]);
  assert.deepEqual(job.files.map((f) => [f.role, f.url]), [["download", "http://127.0.0.1/files/r.csv"]]);
  // Basic auth with the key as the password is accepted too; the same state again changes nothing,
  // and a later callback cannot move a finished job back.
  const basic = `Basic ${Buffer.from(`optexity:${CALLBACK_KEY}`).toString("base64")}`;
  const again = await callback(callbackBody(id), { authorization: basic });
  assert.deepEqual(await again.json(), { ok: true, duplicate: false, applied: false, version: 1 });
  const older = await callback(callbackBody(id, { status: "running" }));
  assert.deepEqual(await older.json(), { ok: true, duplicate: false, applied: false, version: 1 });
});

test("an Optexity callback with a wrong or no key is rejected 401, an unreadable one 400; nothing is stored", async () => {
  const id = randomUUID();
  for (const headers of [{ "x-api-key": "not-the-key" }, {}, { authorization: `Bearer ${CALLBACK_KEY}` }, { authorization: `Basic ${Buffer.from("u:wrong").toString("base64")}` }]) {
    const res = await fetch(`${GW}/webhooks/optexity`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: callbackBody(id) });
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.equal((await res.json()).error.code, "WEBHOOK_SIGNATURE");
  }
  const unreadable = await callback(JSON.stringify({ status: "success" }));
  assert.equal(unreadable.status, 400);
  assert.equal((await unreadable.json()).error.code, "BAD_RESPONSE");
  const wrongMethod = await gfetch(`${GW}/webhooks/optexity`);
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.arrayBuffer();
  const stored = await gfetch(`${GW}/jobs/optexity/${id}`);
  assert.equal(stored.status, 404, "no rejected callback reached the Durable Object");
  await stored.arrayBuffer();
});

test("end to end: an Optexity job submitted through the gateway calls back to the gateway with the gateway's key, not where the page asked", { timeout: 40_000 }, async () => {
  // The page's receiver, which must get nothing: the gateway replaces the page's callback fields.
  let pageGot = 0;
  const page = http.createServer((req, res) => {
    pageGot++;
    res.end();
  });
  await new Promise((r) => page.listen(0, "127.0.0.1", r));
  try {
    const client = pageClient("optexity");
    const submitted = await client.submit({
      ...submitRequest("optexity", { queue_ms: 100, duration_ms: 300 }),
      webhookUrl: `http://127.0.0.1:${page.address().port}/page-chosen`,
      webhookSecret: "page-chosen-key",
    });
    const sse = sseReader(await gfetch(`${GW}/jobs/optexity/${submitted.id}/events`, { headers: { origin: ORIGIN } }));
    const waiting = client.wait(submitted.id, { timeoutMs: 20_000 });
    let pushed;
    try {
      pushed = await sse.next(20_000);
      client.notify(pushed);
    } finally {
      await sse.cancel();
    }
    assert.equal(pushed.status, "FINISHED");
    assert.equal(pushed.via, "webhook");
    const done = await waiting;
    assert.equal(done.status, "FINISHED");
    assert.deepEqual(pushed.files, done.files, "the callback's files are the polled ones");
    const mockJob = await (await fetch(`${MOCK}/__mock/jobs/${submitted.id}`)).json();
    assert.equal(mockJob.webhook_refused, null);
    assert.deepEqual(mockJob.webhooks.map((w) => [w.event, w.status]), [["success", 200]], "delivered to the gateway, accepted");
    assert.equal(pageGot, 0, "the page's task_callback_url was removed");
  } finally {
    page.close();
  }
});

test("Optexity submits: an explicit OPTEXITY_WEBHOOK_URL without OPTEXITY_WEBHOOK_KEY is refused 500 before sending; \"auto\" or \"off\" without the key send no callback fields", { timeout: 30_000 }, async () => {
  const nokey = gateway(MOCK, { OPTEXITY_WEBHOOK_KEY: null, OPTEXITY_WEBHOOK_URL: "https://hooks.example/optexity" });
  const auto = gateway(MOCK, { OPTEXITY_WEBHOOK_KEY: null, OPTEXITY_WEBHOOK_URL: "auto" });
  const off = gateway(MOCK, { OPTEXITY_WEBHOOK_KEY: null, OPTEXITY_WEBHOOK_URL: "off" });
  try {
    const gw = String(await nokey.ready).replace(/\/+$/, "");
    const before = await mockRequestCount();
    const refused = await fetch(`${gw}/optexity/api/v1/inference`, { method: "POST", headers: { "content-type": "application/json", ...AUTHZ }, body: JSON.stringify({ endpoint_name: "e" }) });
    assert.equal(refused.status, 500);
    assert.equal((await refused.json()).error.code, "GATEWAY_CONFIG");
    assert.equal(await mockRequestCount(), before, "nothing was sent");
    const receiver = await fetch(`${gw}/webhooks/optexity`, { method: "POST", headers: { "x-api-key": "x" }, body: "{}" });
    assert.equal(receiver.status, 500);
    await receiver.arrayBuffer();

    for (const polled of [auto, off]) {
      const ogw = String(await polled.ready).replace(/\/+$/, "");
      const c = new JobClient({ provider: "optexity", baseUrl: `${ogw}/optexity`, headers: AUTHZ, pollIntervalMs: 50, maxPollIntervalMs: 100 });
      const job = await c.run({ ...submitRequest("optexity", { queue_ms: 0, duration_ms: 50 }), webhookUrl: "http://127.0.0.1:9/page", webhookSecret: "page-key" }, { timeoutMs: 20_000 });
      assert.equal(job.status, "FINISHED");
      const mockJob = await (await fetch(`${MOCK}/__mock/jobs/${job.id}`)).json();
      assert.deepEqual([mockJob.webhooks, mockJob.webhook_refused], [[], null], "no task_callback_url reached the provider");
    }
  } finally {
    await nokey.dispose();
    await auto.dispose();
    await off.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// file uploads: multipart/form-data submits, streamed through

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const HOOK = () => `${GW}/webhooks/deapi`;

/** A page's multipart request: FormData as fetch encodes it (its boundary in the content type). */
function formRequest(url, form, headers = {}) {
  return new Request(url, { method: "POST", headers: { origin: ORIGIN, ...AUTHZ, ...headers }, body: form });
}

/** The mock's record of the upstream request that carried `idempotency-key: key`. */
async function upstreamRequest(key) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const hit = (await mockRequests()).find((r) => r.headers["idempotency-key"] === key);
    if (hit && hit.parts) return hit;
    if (Date.now() > deadline) {
      assert.fail(hit ? `the mock did not record the parts of ${key} (its request log has no "parts")` : `no upstream request with idempotency-key ${key}`);
    }
    await sleep(50);
  }
}

function filePart(parts, name) {
  const found = parts.filter((p) => p.name === name);
  assert.equal(found.length, 1, `one part named ${name}: ${JSON.stringify(parts)}`);
  return found[0];
}

test("a multipart img2img submit reaches deAPI byte for byte; the page's webhook fields are replaced by the gateway's", { timeout: 30_000 }, async () => {
  const image = randomBytes(300 * 1024);
  const key = randomUUID();
  const form = new FormData();
  form.append("prompt", "the same fox, in watercolour");
  form.append("model", "QwenImageEdit_Plus_NF4");
  form.append("image", new Blob([image], { type: "image/png" }), "fox.png");
  form.append("strength", "0.6");
  form.append("loras[0][name]", "watercolour");
  form.append("webhook_url", "http://127.0.0.1:9/page-chosen");
  form.append("webhook_secret", "p".repeat(40));
  const req = formRequest(`${GW}/deapi/api/v1/client/img2img`, form, { "idempotency-key": key });
  const sentType = req.headers.get("content-type");
  assert.match(sentType, /^multipart\/form-data; boundary=/);

  const res = await fetch(req);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  const id = JSON.parse(text).data.request_id;
  assert.ok(id, text);

  const up = await upstreamRequest(key);
  assert.equal(up.path, "/deapi/api/v1/client/img2img");
  assert.equal(up.headers.authorization, `Bearer ${KEY}`);
  assert.equal(up.headers["content-type"], sentType, "the page's content type, boundary and all");
  const file = filePart(up.parts, "image");
  assert.equal(file.size, image.length);
  assert.equal(file.sha256, sha256(image));
  assert.equal(file.file_name, "fox.png");
  assert.equal(file.content_type, "image/png");
  assert.equal(filePart(up.parts, "prompt").sha256, sha256("the same fox, in watercolour"));
  assert.equal(filePart(up.parts, "loras[0][name]").sha256, sha256("watercolour"));
  assert.equal(filePart(up.parts, "webhook_url").sha256, sha256(HOOK()), "the gateway's receiver, not the page's URL");
  assert.deepEqual(up.parts.filter((p) => p.name === "webhook_secret"), [], "the page's webhook_secret is removed");
  assert.deepEqual(
    up.parts.map((p) => p.name),
    ["prompt", "model", "image", "strength", "loras[0][name]", "webhook_url"],
    "the other parts in the page's order, the gateway's webhook_url last",
  );

  // A page-side client follows the job to the end; the mock's job holds the same parts, and its
  // webhooks went to the gateway (the webhook_url the gateway put in the form), whose Durable
  // Object has the finished job.
  const done = await pageClient("deapi").wait(id, { timeoutMs: 20_000 });
  assert.equal(done.status, "FINISHED");
  const mockJob = await (await fetch(`${MOCK}/__mock/jobs/${id}`)).json();
  assert.equal(filePart(mockJob.parts, "image").sha256, sha256(image));
  await until("the completion webhook at the gateway", async () => (await (await fetch(`${MOCK}/__mock/jobs/${id}`)).json()).webhooks.some((w) => w.event === "job.completed" && w.status === 200));
  const hooks = (await (await fetch(`${MOCK}/__mock/jobs/${id}`)).json()).webhooks;
  for (const w of hooks) assert.equal(w.status, 200, `delivered to the gateway: ${JSON.stringify(w)}`);
  const stored = await (await gfetch(`${GW}/jobs/deapi/${id}`)).json();
  assert.equal(stored.status, "FINISHED");
});

test("a multipart Socaity submit passes through untouched: same bytes, same Content-Length", { timeout: 30_000 }, async () => {
  const image = randomBytes(256 * 1024 + 17);
  const key = randomUUID();
  const form = new FormData();
  form.append("prompt", "hello gateway");
  form.append("image", new Blob([image], { type: "image/jpeg" }), "in.jpg");
  form.append("options", JSON.stringify({ steps: 4 }));
  const req = formRequest(`${GW}/socaity/v1/flux-schnell/generate`, form, { "idempotency-key": key });
  const sentType = req.headers.get("content-type");
  const sent = new Uint8Array(await req.clone().arrayBuffer());

  const res = await fetch(req);
  const text = await res.text();
  assert.ok(res.ok, `${res.status} ${text}`);
  assert.ok(JSON.parse(text).job_id, text);

  const up = await upstreamRequest(key);
  assert.equal(up.path, "/socaity/v1/flux-schnell/generate");
  assert.equal(up.headers.authorization, `Bearer ${KEY}`);
  assert.equal(up.headers["content-type"], sentType);
  assert.equal(up.headers["content-length"], String(sent.length), "the declared length is passed on (not re-chunked)");
  const file = filePart(up.parts, "image");
  assert.equal(file.size, image.length);
  assert.equal(file.sha256, sha256(image));
  assert.equal(file.file_name, "in.jpg");
  assert.equal(file.content_type, "image/jpeg");
  assert.equal(filePart(up.parts, "options").sha256, sha256(JSON.stringify({ steps: 4 })));
});

test("polyjob's JobClient with a File in its input, through the gateway with no key: deAPI img2img and Socaity get the file byte for byte and run to FINISHED", { timeout: 60_000 }, async () => {
  for (const provider of ["deapi", "socaity"]) {
    const image = randomBytes(200 * 1024);
    const key = randomUUID();
    const file = new File([image], "page.png", { type: "image/png" });
    const request =
      provider === "deapi"
        ? { task: "img2img", input: { prompt: "the same fox", model: "QwenImageEdit_Plus_NF4", image: file }, webhookUrl: "http://127.0.0.1:9/page-chosen" }
        : { model: "flux-schnell", input: { prompt: "hello gateway", image: file } };
    const client = pageClient(provider);
    const job = await client.run({ ...request, idempotencyKey: key }, { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED", provider);
    const up = await upstreamRequest(key);
    assert.match(up.headers["content-type"], /^multipart\/form-data; boundary=/, provider);
    const part = filePart(up.parts, "image");
    assert.equal(part.size, image.length, provider);
    assert.equal(part.sha256, sha256(image), provider);
    assert.equal(part.file_name, "page.png", provider);
    if (provider === "deapi") assert.equal(filePart(up.parts, "webhook_url").sha256, sha256(HOOK()), "the gateway's receiver, not the page's");
  }
});

test("upload refusals: over MAX_UPLOAD_BYTES (413), a deAPI body that is neither JSON nor a form (415), a form without a boundary (400)", async () => {
  const before = await mockRequestCount();
  // A declared length over the limit is refused before a byte of the body is read.
  const status = await new Promise((resolve, reject) => {
    const u = new URL(`${GW}/socaity/v1/flux-schnell/generate`);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { ...AUTHZ, "content-type": "multipart/form-data; boundary=x", "content-length": String(200 * 1024 * 1024) } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      },
    );
    req.on("error", (e) => (e.code === "ECONNRESET" ? null : reject(e)));
    req.write("--x\r\n");
  });
  assert.equal(status, 413);

  const plain = await gfetch(`${GW}/deapi/api/v1/client/img2img`, { method: "POST", headers: { "content-type": "text/plain" }, body: "webhook_url=http://x" });
  assert.equal(plain.status, 415);
  await plain.arrayBuffer();
  const urlencoded = await gfetch(`${GW}/deapi/api/v1/client/img2img`, { method: "POST", body: new URLSearchParams({ webhook_url: "http://x" }) });
  assert.equal(urlencoded.status, 415);
  await urlencoded.arrayBuffer();
  const noBoundary = await gfetch(`${GW}/deapi/api/v1/client/img2img`, { method: "POST", headers: { "content-type": "multipart/form-data" }, body: "--x--\r\n" });
  assert.equal(noBoundary.status, 400);
  await noBoundary.arrayBuffer();
  assert.equal(await mockRequestCount(), before, "none reached the mock");
});

// A gateway whose providers sit behind a tap: an HTTP relay to the mock that counts the bytes of
// each request as they arrive. With the page's upload paused halfway, the tap must already have
// most of that half; a Worker that buffered the body would have sent nothing yet.
async function startTap(target) {
  const seen = new Map(); // idempotency-key -> { received, sha256, headers }
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const key = req.headers["idempotency-key"] ?? randomUUID();
    const entry = { received: 0, headers: req.headers, hash: createHash("sha256"), sha256: null, ended: false, closed: false };
    seen.set(key, entry);
    const up = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.on("data", (chunk) => {
      entry.received += chunk.length;
      entry.hash.update(chunk);
    });
    req.on("end", () => {
      entry.ended = true;
      entry.sha256 = entry.hash.digest("hex");
    });
    req.on("close", () => (entry.closed = true));
    req.on("error", () => up.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

/** POSTs `bytes` in two halves, waiting between them until `ready()`; resolves the answer. */
function postInHalves(url, headers, bytes, ready) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const h = { ...AUTHZ, ...headers, "content-length": String(bytes.length) };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: h }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    const half = bytes.length >> 1;
    req.write(bytes.subarray(0, half));
    ready().then(
      () => req.end(bytes.subarray(half)),
      (e) => {
        req.destroy();
        reject(e);
      },
    );
  });
}

/** Sends all of `bytes` without ending the request (chunked), resolves the answer, then hangs up. */
function postUnended(url, headers, bytes) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { ...AUTHZ, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        resolve({ status: res.statusCode, body });
        req.destroy();
      });
    });
    req.on("error", reject);
    req.write(bytes);
  });
}

async function until(what, cond, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("large uploads stream through: 20 MiB to Socaity and 8 MiB to deAPI reach the provider while the page is still sending; a chunked body over the limit is cut off with 413; a page that hangs up leaves the provider a broken request", { timeout: 120_000 }, async () => {
  const tap = await startTap(MOCK);
  const limit = 24 * 1024 * 1024;
  const mf2 = gateway(tap.url, { MAX_UPLOAD_BYTES: String(limit) });
  try {
    const gw = String(await mf2.ready).replace(/\/+$/, "");

    for (const [provider, route, size] of [
      ["socaity", "/v1/flux-schnell/generate", 20 * 1024 * 1024],
      ["deapi", "/api/v1/client/vid-upscale", 8 * 1024 * 1024],
    ]) {
      const file = randomBytes(size);
      const field = provider === "deapi" ? "video" : "image";
      const form = new FormData();
      form.append("prompt", "large upload");
      form.append(field, new Blob([file], { type: provider === "deapi" ? "video/mp4" : "image/png" }), "big.bin");
      const encoded = new Response(form);
      const type = encoded.headers.get("content-type");
      const bytes = new Uint8Array(await encoded.arrayBuffer());
      const key = randomUUID();
      const t0 = Date.now();
      const answer = await postInHalves(`${gw}/${provider}${route}`, { "content-type": type, "idempotency-key": key, origin: ORIGIN }, bytes, async () => {
        // The page has sent half; the provider must get (most of) it before the rest is sent.
        await until(`${provider}: the first half at the provider`, () => (tap.seen.get(key)?.received ?? 0) >= bytes.length / 4);
      });
      const ms = Date.now() - t0;
      assert.ok(answer.status >= 200 && answer.status < 300, `${provider}: ${answer.status} ${answer.body}`);
      const at = tap.seen.get(key);
      if (provider === "socaity") {
        // Passed through as it is: the same bytes and the same declared length.
        assert.equal(at.headers["content-length"], String(bytes.length));
        assert.equal(at.received, bytes.length);
        assert.equal(at.sha256, sha256(bytes));
      } else {
        // Filtered as it streams (webhook fields): sent on without a length.
        assert.equal(at.headers["content-length"], undefined);
        assert.equal(at.headers["transfer-encoding"], "chunked");
      }
      const up = await upstreamRequest(key);
      const part = filePart(up.parts, field);
      assert.equal(part.size, file.length, provider);
      assert.equal(part.sha256, sha256(file), provider);
      console.log(`# ${provider}: ${bytes.length} bytes through the gateway in ${ms} ms, streamed (file part sha256 and size match at the mock)`);
    }

    // Without a declared length (chunked), the body is counted as it streams: past the limit the
    // upstream request is aborted (the provider sees a broken request, never a short "whole" one)
    // and the page gets 413. Both the pass-through counter (Socaity) and the form filter (deAPI).
    for (const [provider, route] of [["socaity", "/v1/flux-schnell/generate"], ["deapi", "/api/v1/client/img2img"]]) {
      const form = new FormData();
      form.append("image", new Blob([randomBytes(limit + 64 * 1024)]), "over.bin");
      const encoded = new Response(form);
      const bytes = new Uint8Array(await encoded.arrayBuffer());
      const key = randomUUID();
      const over = await postUnended(`${gw}/${provider}${route}`, { "content-type": encoded.headers.get("content-type"), "idempotency-key": key }, bytes);
      assert.equal(over.status, 413, `${provider}: ${over.body}`);
      assert.equal(JSON.parse(over.body).error.code, "TOO_LARGE");
      const at = tap.seen.get(key);
      assert.ok(at, `${provider}: the upload had started upstream`);
      await until(`${provider}: the upstream request closed`, () => at.closed);
      assert.equal(at.ended, false, `${provider}: the provider saw an aborted request, not a complete body`);
      assert.ok(at.received <= limit, `${provider}: no more than the limit went upstream (${at.received})`);
    }

    // The page hangs up halfway through an upload: the provider must see a broken request, never
    // a shorter body that looks whole (workerd would end a chunked body cleanly if the stream it
    // reads just ended). Passed through with a length, counted without one, and the deAPI filter.
    for (const [provider, route, withLength] of [
      ["socaity", "/v1/flux-schnell/generate", true],
      ["socaity", "/v1/flux-schnell/generate", false],
      ["deapi", "/api/v1/client/img2img", true],
    ]) {
      const form = new FormData();
      form.append("image", new Blob([randomBytes(4 * 1024 * 1024)]), "cut.bin");
      const encoded = new Response(form);
      const bytes = new Uint8Array(await encoded.arrayBuffer());
      const key = randomUUID();
      const u = new URL(`${gw}/${provider}${route}`);
      const headers = { ...AUTHZ, "content-type": encoded.headers.get("content-type"), "idempotency-key": key };
      if (withLength) headers["content-length"] = String(bytes.length);
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers });
      req.on("error", () => {});
      req.write(bytes.subarray(0, bytes.length >> 1));
      await until(`${provider}: the upload under way upstream`, () => (tap.seen.get(key)?.received ?? 0) > 0);
      req.destroy();
      const at = tap.seen.get(key);
      await until(`${provider}: the upstream request closed`, () => at.closed);
      assert.equal(at.ended, false, `${provider} (${withLength ? "with" : "without"} a length): the provider saw a broken request, not a complete body`);
      assert.ok(at.received < bytes.length);
    }
  } finally {
    await mf2.dispose();
    await tap.close();
  }
});

// ---------------------------------------------------------------------------------------------
// access: closed by default, shared tokens, per-user tokens, the submit budget

const { signGatewayToken } = await import("../src/token.js");
const b64url = (s) => Buffer.from(s, "utf8").toString("base64url");
/** A token signed like the gateway's, with any fields (for expired / forged ones). */
const handToken = (user, exp, secret = SIGNING) => {
  const payload = `v1.${b64url(user)}.${exp}`;
  return `${payload}.${createHmac("sha256", secret).update(payload).digest("hex")}`;
};
const bearerOf = (token) => ({ authorization: `Bearer ${token}` });

/** The routes a closed gateway must refuse: one per proxied route kind and every /jobs route. */
const GUARDED = [
  ["POST", "/socaity/v1/flux-schnell/generate"],
  ["GET", "/socaity/v1/jobs/abc"],
  ["DELETE", "/socaity/v1/jobs/abc"],
  ["GET", "/socaity/status/abc"],
  ["POST", "/socaity/cancel/abc"],
  ["GET", "/socaity/stream/abc"],
  ["POST", "/optexity/api/v1/inference"],
  ["POST", "/optexity/api/v1/inference/call"],
  ["POST", "/optexity/api/v1/inference/all_calls"],
  ["POST", "/deapi/api/v1/client/txt2img"],
  ["GET", "/deapi/api/v1/client/request-status/abc"],
  ["POST", "/deapi/broadcasting/auth"],
  ["POST", "/serika/jobs/images"],
  ["GET", "/serika/jobs"],
  ["GET", "/serika/jobs/abc"],
  ["GET", "/jobs/deapi/abc"],
  ["GET", "/jobs/deapi/abc/events"],
  ["GET", "/jobs/optexity/abc"],
  ["GET", "/jobs/serika"],
  ["GET", "/nowhere"],
];

test("closed by default: with no auth configured every proxied and /jobs route answers 401 naming the settings; a preflight 204; a signed webhook 200; ALLOW_ANONYMOUS opens it", { timeout: 60_000 }, async () => {
  const closed = gateway(MOCK, { GATEWAY_TOKENS: null, GATEWAY_SIGNING_SECRET: null });
  const open = gateway(MOCK, { GATEWAY_TOKENS: null, GATEWAY_SIGNING_SECRET: null, ALLOW_ANONYMOUS: "true" });
  try {
    const gw = String(await closed.ready).replace(/\/+$/, "");
    const before = await mockRequestCount();
    for (const [method, p] of GUARDED) {
      for (const headers of [{}, { origin: ORIGIN }, bearerOf(TOKEN)]) {
        const body = method === "POST" ? JSON.stringify({ prompt: "x", task_id: "abc" }) : undefined;
        const res = await fetch(`${gw}${p}`, { method, headers: { "content-type": "application/json", ...headers }, body });
        assert.equal(res.status, 401, `${method} ${p} ${JSON.stringify(headers)}`);
        const err = (await res.json()).error;
        assert.equal(err.code, "GATEWAY_AUTH_NOT_CONFIGURED");
        for (const setting of ["GATEWAY_TOKENS", "GATEWAY_SIGNING_SECRET", "ALLOW_ANONYMOUS"]) assert.match(err.message, new RegExp(setting));
        assert.match(res.headers.get("www-authenticate"), /^Bearer/);
        if (headers.origin) assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN, "the page can read why");
      }
    }
    assert.equal(await mockRequestCount(), before, "nothing reached the providers");

    const pre = await fetch(`${gw}/deapi/api/v1/client/txt2img`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get("access-control-allow-headers"), /authorization/, "a page may send its gateway token");
    const jobsPre = await fetch(`${gw}/jobs/deapi/abc/events`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } });
    assert.equal(jobsPre.status, 204);

    // Webhooks are authenticated by their signature: a signed one is stored (and, closed, no one
    // can read it back).
    const id = randomUUID();
    const ts = now();
    const raw = JSON.stringify({ event: "job.completed", delivery_id: randomUUID(), data: { job_request_id: id, status: "done", job_type: "txt2img" } });
    const hook = await fetch(`${gw}/webhooks/deapi`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-deapi-signature": sign(ts, raw), "x-deapi-timestamp": ts, "x-deapi-delivery-id": randomUUID(), "x-deapi-event": "job.completed" },
      body: raw,
    });
    assert.equal(hook.status, 200, await hook.clone().text());
    assert.equal((await hook.json()).applied, true);
    assert.equal((await fetch(`${gw}/jobs/deapi/${id}`)).status, 401);

    // ALLOW_ANONYMOUS = "true": as the gateway was before, for anyone.
    const ogw = String(await open.ready).replace(/\/+$/, "");
    const anon = await fetch(`${ogw}/serika/jobs`);
    assert.equal(anon.status, 200);
    await anon.arrayBuffer();
    const anonJob = await new JobClient({ provider: "serika", baseUrl: `${ogw}/serika`, pollIntervalMs: 50, maxPollIntervalMs: 100 }).run(submitRequest("serika"), { timeoutMs: 20_000 });
    assert.equal(anonJob.status, "FINISHED");
  } finally {
    await closed.dispose();
    await open.dispose();
  }
});

test("a wrong, tampered or expired token is refused 401; a valid per-user token, a shared token and ?access_token= on /jobs are let in", async () => {
  const alice = await signGatewayToken("alice@example.com", 600, SIGNING);
  assert.match(alice, /^v1\.[A-Za-z0-9_-]+\.\d+\.[0-9a-f]{64}$/);
  const [, user, exp, sig] = alice.split(".");
  const flip = (s) => s.slice(0, -1) + (s.at(-1) === "0" ? "1" : "0");
  const refused = {
    "no token": {},
    "not a bearer": { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
    "a wrong shared token": bearerOf(`${TOKEN}x`),
    "a prefix of the shared token": bearerOf(TOKEN.slice(0, -1)),
    "signed with another secret": bearerOf(handToken("alice@example.com", Number(exp), "another-secret-of-at-least-32-bytes!!")),
    "another user, same signature": bearerOf(`v1.${b64url("bob")}.${exp}.${sig}`),
    "a later expiry, same signature": bearerOf(`v1.${user}.${Number(exp) + 3600}.${sig}`),
    "a flipped signature bit": bearerOf(`v1.${user}.${exp}.${flip(sig)}`),
    "an uppercase signature": bearerOf(`v1.${user}.${exp}.${sig.toUpperCase()}`),
    expired: bearerOf(handToken("alice@example.com", Math.floor(Date.now() / 1000) - 1)),
    "another version": bearerOf(alice.replace(/^v1/, "v2")),
    garbage: bearerOf("v1.x.y.z"),
  };
  const before = await mockRequestCount();
  for (const [why, headers] of Object.entries(refused)) {
    for (const p of ["/serika/jobs/abc", "/jobs/deapi/abc"]) {
      const res = await fetch(`${GW}${p}`, { headers });
      assert.equal(res.status, 401, `${why}: ${p}`);
      assert.equal((await res.json()).error.code, "UNAUTHORIZED", why);
    }
  }
  assert.equal(await mockRequestCount(), before, "no refused request was forwarded");

  // Let in: the route answers (404 here: no such job for this caller).
  for (const headers of [bearerOf(alice), bearerOf(TOKEN), bearerOf("other-token-never-used")]) {
    const res = await fetch(`${GW}/jobs/deapi/${randomUUID()}`, { headers });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  }
  // EventSource cannot send headers: /jobs takes the token as ?access_token=; the proxy does not.
  const q = await fetch(`${GW}/jobs/deapi/${randomUUID()}?access_token=${encodeURIComponent(alice)}`);
  assert.equal(q.status, 404);
  await q.arrayBuffer();
  const qProxy = await fetch(`${GW}/serika/jobs/abc?access_token=${encodeURIComponent(TOKEN)}`);
  assert.equal(qProxy.status, 401);
  await qProxy.arrayBuffer();
});

test("per-user tokens: user A reads, cancels, streams and lists its own jobs; user B gets 404 for each of them and nothing reaches the provider; a shared token still sees them", { timeout: 90_000 }, async () => {
  const userA = `user-a-${randomUUID()}`;
  const userB = `user-b-${randomUUID()}`;
  const A = await signGatewayToken(userA, 600, SIGNING);
  const B = await signGatewayToken(userB, 600, SIGNING);
  const asA = bearerOf(A);
  const asB = bearerOf(B);

  // A runs a job on every provider through polyjob (its token in `headers`).
  const ids = {};
  for (const provider of PROVIDERS) {
    const job = await pageClient(provider, recordingFetch(), A).run(submitRequest(provider, { queue_ms: 50, duration_ms: 200 }), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED", provider);
    ids[provider] = job.id;
  }
  // ...and its deAPI job's webhooks reached the gateway.
  await until("A's deAPI job stored", async () => (await fetch(`${GW}/jobs/deapi/${ids.deapi}`, { headers: asA })).status === 200);

  const enc = encodeURIComponent;
  const direct = [
    ["GET", `/socaity/v1/jobs/${enc(ids.socaity)}`],
    ["GET", `/socaity/status/${enc(ids.socaity)}`],
    ["POST", `/socaity/status/${enc(ids.socaity)}`],
    ["GET", `/socaity/stream/${enc(ids.socaity)}`],
    ["POST", `/optexity/api/v1/inference/call`, { task_id: ids.optexity }],
    ["GET", `/deapi/api/v1/client/request-status/${enc(ids.deapi)}`],
    ["GET", `/serika/jobs/${enc(ids.serika)}`],
    ["GET", `/jobs/deapi/${enc(ids.deapi)}`],
    ["GET", `/jobs/deapi/${enc(ids.deapi)}/events`],
  ];
  const call = (method, p, body, headers) =>
    fetch(`${GW}${p}`, { method, headers: { "content-type": "application/json", origin: ORIGIN, ...headers }, body: body ? JSON.stringify(body) : undefined });

  // B: 404 everywhere, the same answer as for an id that does not exist, never forwarded.
  const before = await mockRequestCount();
  for (const [method, p, body] of [...direct, ["DELETE", `/socaity/v1/jobs/${enc(ids.socaity)}`], ["POST", `/socaity/cancel/${enc(ids.socaity)}`]]) {
    const res = await call(method, p, body, asB);
    assert.equal(res.status, 404, `B: ${method} ${p}`);
    assert.equal((await res.json()).error.code, "NOT_FOUND");
    const none = await call(method, p.replace(/[^/]+(\/events)?$/, (m, ev) => `${randomUUID()}${ev ?? ""}`), body && { task_id: randomUUID() }, asB);
    assert.equal(none.status, 404, `B, an unknown id: ${method} ${p}`);
    await none.arrayBuffer();
  }
  assert.equal(await mockRequestCount(), before, "none of B's requests reached a provider");
  const bClient = pageClient("serika", recordingFetch(), B);
  await assert.rejects(bClient.get(ids.serika), (e) => e.status === 404 || e.code === "NOT_FOUND", "polyjob sees B's read as not found");

  // A: its own jobs, on every route (a finished job that never streamed: the mock's 409).
  const expected = (p) => (p.includes("/stream/") ? 409 : 200);
  for (const [method, p, body] of direct) {
    const res = await call(method, p, body, asA);
    assert.equal(res.status, expected(p), `A: ${method} ${p}`);
    if (p.endsWith("/events")) {
      const sse = sseReader(res);
      assert.equal((await sse.next()).status, "FINISHED");
      await sse.cancel();
    } else await res.arrayBuffer();
  }
  for (const provider of PROVIDERS) {
    assert.equal((await pageClient(provider, recordingFetch(), A).get(ids[provider])).status, "FINISHED", `A reads its ${provider} job with polyjob`);
  }

  // Cancel and stream: A's running Socaity jobs (B could not, above).
  const aSocaity = pageClient("socaity", recordingFetch(), A);
  const running = await aSocaity.submit(submitRequest("socaity", { queue_ms: 0, duration_ms: 30_000 }));
  const bCancel = await call("POST", `/socaity/cancel/${enc(running.id)}`, null, asB);
  assert.equal(bCancel.status, 404);
  await bCancel.arrayBuffer();
  assert.equal((await aSocaity.cancel(running.id)).status, "CANCELLED");
  const streamed = await aSocaity.submit(submitRequest("socaity", { queue_ms: 0, stream: { chunks: ["a", "b"], interval_ms: 50 } }));
  const chunks = [];
  for await (const c of aSocaity.stream(streamed.id)) chunks.push(c);
  assert.deepEqual(chunks, ["a", "b"]);

  // Lists: GET /jobs/:provider answers the caller's own jobs from the store.
  const listA = await (await fetch(`${GW}/jobs/deapi`, { headers: asA })).json();
  assert.deepEqual(listA.jobs.map((j) => j.id), [ids.deapi]);
  assert.equal(listA.jobs[0].provider, "deapi");
  assert.equal(listA.jobs[0].job.status, "FINISHED", "with the state the webhooks delivered");
  const socaityA = await (await fetch(`${GW}/jobs/socaity?limit=2`, { headers: asA })).json();
  assert.deepEqual(socaityA.jobs.map((j) => j.id), [streamed.id, running.id], "newest first, ?limit");
  assert.equal(socaityA.jobs[0].job, null, "no webhook state for Socaity");
  for (const provider of PROVIDERS) {
    const listB = await (await fetch(`${GW}/jobs/${provider}`, { headers: asB })).json();
    assert.deepEqual(listB.jobs, [], `B lists none of A's ${provider} jobs`);
  }
  const sharedList = await fetch(`${GW}/jobs/deapi`, { headers: AUTHZ });
  assert.equal(sharedList.status, 404, "a shared token has no per-user list");
  await sharedList.arrayBuffer();

  // A shared token (GATEWAY_TOKENS) is the account: it sees A's jobs, as the gateway did before.
  for (const [method, p, body] of direct) {
    const res = await call(method, p, body, AUTHZ);
    assert.equal(res.status, expected(p), `shared token: ${method} ${p}`);
    await res.body.cancel();
  }

  // B replaying A's submit with A's Idempotency-Key gets no answer about A's job.
  const key = randomUUID();
  const first = await call("POST", "/socaity/v1/flux-schnell/generate", submitRequest("socaity").input, { ...asA, "idempotency-key": key });
  assert.equal(first.status, 202, await first.clone().text());
  const firstId = (await first.json()).job_id;
  const replay = await call("POST", "/socaity/v1/flux-schnell/generate", submitRequest("socaity").input, { ...asB, "idempotency-key": key });
  assert.equal(replay.status, 409);
  const replayText = await replay.text();
  assert.ok(!replayText.includes(firstId), replayText);
});

test("per-user tokens cannot use the account-wide routes: provider lists and deAPI broadcasting/auth are refused, never forwarded; a shared token's are", async () => {
  const C = bearerOf(await signGatewayToken(`user-c-${randomUUID()}`, 600, SIGNING));
  const routes = [
    ["POST", "/optexity/api/v1/inference/all_calls"],
    ["GET", "/serika/jobs"],
    ["POST", "/deapi/broadcasting/auth", "socket_id=1.2&channel_name=private-client.1"],
  ];
  const before = await mockRequestCount();
  for (const [method, p, body] of routes) {
    const res = await fetch(`${GW}${p}`, { method, headers: { ...C, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" }, body });
    assert.equal(res.status, 403, `${method} ${p}`);
    const err = (await res.json()).error;
    assert.equal(err.code, "FORBIDDEN");
    assert.match(err.message, /per-user/);
  }
  assert.equal(await mockRequestCount(), before, "none forwarded");
  for (const [method, p, body] of routes) {
    const res = await fetch(`${GW}${p}`, { method, headers: { ...AUTHZ, "content-type": "application/x-www-form-urlencoded" }, body });
    // Forwarded: the provider answers (the mock refuses this made-up channel with its own 403).
    assert.notEqual((await res.json().catch(() => ({}))).error?.code, "FORBIDDEN", `shared token: ${method} ${p}`);
  }
  assert.equal(await mockRequestCount(), before + routes.length, "the shared token's were forwarded");
});

test("the submit budget: over SUBMITS_PER_MINUTE a user or token gets 429 + Retry-After before anything is sent; others keep theirs; reads are not counted", { timeout: 30_000 }, async () => {
  const mf3 = gateway(MOCK, { SUBMITS_PER_MINUTE: "2" });
  try {
    const gw = String(await mf3.ready).replace(/\/+$/, "");
    const D = bearerOf(await signGatewayToken(`user-d-${randomUUID()}`, 600, SIGNING));
    const E = bearerOf(await signGatewayToken(`user-e-${randomUUID()}`, 600, SIGNING));
    const submit = (headers) =>
      fetch(`${gw}/serika/jobs/images`, { method: "POST", headers: { ...headers, origin: ORIGIN, "content-type": "application/json" }, body: JSON.stringify({ model: "m", prompt: "p" }) });
    for (const who of [D, AUTHZ]) {
      const ok1 = await submit(who);
      const ok2 = await submit(who);
      assert.ok(ok1.ok && ok2.ok, `${ok1.status} ${ok2.status}`);
      const id = (await ok1.json()).id;
      await ok2.arrayBuffer();
      const before = await mockRequestCount();
      const over = await submit(who);
      assert.equal(over.status, 429);
      assert.equal((await over.json()).error.code, "RATE_LIMITED");
      const retry = Number(over.headers.get("retry-after"));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.match(over.headers.get("access-control-expose-headers"), /retry-after/, "the page can read Retry-After");
      assert.equal(await mockRequestCount(), before, "the refused submit was not forwarded");
      // Reads of its job go on.
      const read = await fetch(`${gw}/serika/jobs/${id}`, { headers: who });
      assert.equal(read.status, 200);
      await read.arrayBuffer();
    }
    const other = await submit(E);
    assert.ok(other.ok, "another user has a budget of its own");
    await other.arrayBuffer();
  } finally {
    await mf3.dispose();
  }
});
