// Shared helpers for the JS tests of the built `polyjob` package.
//
// Owns: where the mock server is (env POLYJOB_MOCK_URL), how to build a client and a submit request
// per provider, and small readers of the mock's /__mock introspection routes. Holds no test itself
// (the file name does not match node --test's patterns).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { JobClient, PolyjobError, isTerminal } from "polyjob";

const RAW_MOCK = process.env.POLYJOB_MOCK_URL;
if (!RAW_MOCK) {
  throw new Error(
    "POLYJOB_MOCK_URL is not set. Start the mock first, e.g.\n" +
      "  target/mock/polyjob-mock --port 0 --exit-after 300\n" +
      "and run: POLYJOB_MOCK_URL=http://127.0.0.1:PORT node --test tests/js/",
  );
}
export const MOCK = RAW_MOCK.replace(/\/+$/, "");
export const KEY = "test-key";
export const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
export { JobClient, PolyjobError, isTerminal };

/** Normalized statuses in lifecycle order; terminal ones share the last rank. */
const RANK = { PENDING: 0, QUEUED: 1, PROCESSING: 2, STREAMING: 3, FINISHED: 4, FAILED: 4, TIMEOUT: 4, CANCELLED: 4 };
export const ALL_STATUSES = ["PENDING", "QUEUED", "PROCESSING", "STREAMING", "FINISHED", "FAILED", "TIMEOUT", "CANCELLED", "UNKNOWN"];
export const TERMINAL = ["FINISHED", "FAILED", "TIMEOUT", "CANCELLED"];

export const baseUrl = (provider) => `${MOCK}/${provider}`;

/** A client for `provider` on the mock with fast polling. `opts` override anything. */
export function client(provider, opts = {}) {
  return new JobClient({
    provider,
    apiKey: KEY,
    baseUrl: baseUrl(provider),
    pollIntervalMs: 50,
    maxPollIntervalMs: 100,
    ...opts,
  });
}

/** The mock scenario with short defaults. */
export function scenario(over = {}) {
  // `nonce` makes every submit body unique: the mock treats a repeated body after a refused
  // submit as a retry of the same job (mock/README.md, Faults).
  return { queue_ms: 100, duration_ms: 500, steps: 10, nonce: randomUUID(), ...over };
}

/** A valid submit request for `provider` carrying the mock scenario `mock` (and extra input). */
export function request(provider, mock = scenario(), extraInput = {}) {
  switch (provider) {
    case "socaity":
      return { model: "flux-schnell", input: { prompt: "hello polyjob", mock, ...extraInput } };
    case "optexity":
      return { model: "polyjob-test-endpoint", input: { input_parameters: { query: ["polyjob"] }, mock, ...extraInput } };
    case "deapi":
      return {
        task: "txt2img",
        input: { prompt: "a red fox", model: "Flux1schnell", width: 512, height: 512, steps: 4, seed: -1, mock, ...extraInput },
      };
    case "serika":
      return { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "a red fox", mock, ...extraInput } };
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

/** A JSON Response. */
export const jsonResponse = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/**
 * A fetch driven by a script: `answer(call, url, init)` returns a Response, or throws. Each call's
 * method, URL, headers (a Headers) and body are kept in `.calls`.
 */
export function scripted(answer) {
  const calls = [];
  const f = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url;
    calls.push({ url, method: init.method || "GET", headers: new Headers(init.headers), body: init.body });
    return answer(calls.length, url, init);
  };
  f.calls = calls;
  return f;
}

/** A `fetch` wrapper that counts and records every call the library makes. */
export function countingFetch(inner = globalThis.fetch) {
  const calls = [];
  const f = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init && init.method) || (typeof input === "object" && input.method) || "GET";
    calls.push({ url, method });
    return inner(input, init);
  };
  f.calls = calls;
  return f;
}

/** The AbortSignal a fetch call was given, whether in init or on a Request. */
export function signalOf(input, init) {
  return (init && init.signal) || (input && typeof input === "object" && input.signal) || null;
}

export const uid = () => randomUUID().slice(0, 8);
/** A plain timer. Not for synchronization: tests wait for the event itself (`until`, `deferred`). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve outside: `const d = deferred(); ... d.resolve(v); await d.promise`. */
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/**
 * Resolves once `cond()` (sync or async) returns something truthy, checking every `everyMs`
 * (each check of a mock route is one local request). `timeoutMs` only bounds a hang: it rejects
 * with `what` in the message. The condition is the event waited for, never the time.
 */
export async function until(cond, { what = "the condition", timeoutMs = 30_000, everyMs = 10 } = {}) {
  const start = Date.now();
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One turn of the event loop: every promise job and timer callback already due runs first. */
export const nextTurn = () => new Promise((r) => setImmediate(r));

export async function mockGet(path) {
  const res = await fetch(`${MOCK}${path}`);
  assert.equal(res.status, 200, `GET ${path} on the mock answered ${res.status}`);
  return res.json();
}
export const mockRequests = () => mockGet("/__mock/requests");
export const mockJob = (id) => mockGet(`/__mock/jobs/${encodeURIComponent(id)}`);

/**
 * Asserts the mock is no longer polled for `id` (no request leaked after the call that polled it
 * ended). The clock is a control wait on a job of its own with the same client options (`opts`
 * as for `client`): once the mock has recorded `polls` status requests of the control, a poll loop
 * still running for `id` on that schedule would have sent some too, however slow the machine is.
 */
export async function assertPollingStopped(provider, id, opts = {}, polls = 4) {
  const before = (await mockJob(id)).status_requests;
  const control = client(provider, opts);
  const job = await control.submit(request(provider, scenario({ queue_ms: 50, duration_ms: 120_000 })));
  const ac = new AbortController();
  const waiting = control.wait(job.id, { signal: ac.signal }).catch((e) => e);
  await until(async () => (await mockJob(job.id)).status_requests >= polls, { what: `${polls} polls of the control job` });
  ac.abort();
  await waiting;
  const after = (await mockJob(id)).status_requests;
  assert.equal(after, before, `status requests for ${id} kept coming after the call ended (${before} → ${after})`);
}

/** Lower-cased header map of a logged request. */
export function headersOf(entry) {
  const out = {};
  for (const [k, v] of Object.entries(entry.headers || {})) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

/** Logged mock requests carrying header `name: value` (used to tag a test's own requests). */
export async function requestsTagged(name, value) {
  const log = await mockRequests();
  return log.filter((e) => headersOf(e)[name.toLowerCase()] === value);
}

/** Asserts `err` is a PolyjobError with `code` (and the given extra fields). Returns true for assert.rejects. */
export function isPolyjobError(code, extra = {}) {
  return (err) => {
    assert.ok(err instanceof Error, `expected an Error, got ${typeof err}: ${safe(err)}`);
    assert.ok(err instanceof PolyjobError, `an instance of the exported PolyjobError (message: ${err.message})`);
    assert.equal(err.name, "PolyjobError", `error name (message: ${err.message})`);
    assert.equal(err.code, code, `error code (message: ${err.message})`);
    assert.equal(typeof err.message, "string");
    assert.ok(err.message.length > 0, "error message is empty");
    assert.equal(typeof err.retryable, "boolean", "err.retryable is a boolean");
    for (const [k, v] of Object.entries(extra)) assert.deepEqual(err[k], v, `err.${k} (message: ${err.message})`);
    return true;
  };
}

function safe(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Checks the normalized shape of a Job. */
export function assertJobShape(job, provider, { allowEmptyId = false } = {}) {
  assert.equal(typeof job, "object");
  assert.ok(job !== null);
  assert.equal(typeof job.id, "string", "job.id is a string");
  if (!allowEmptyId) assert.ok(job.id.length > 0, "job.id is not empty");
  assert.equal(job.provider, provider);
  assert.ok(ALL_STATUSES.includes(job.status), `unknown status ${job.status}`);
  assert.ok(job.progress === null || (typeof job.progress === "number" && job.progress >= 0 && job.progress <= 1), `progress ${job.progress} not null or in 0..1`);
  assert.ok(job.resultUrl === null || typeof job.resultUrl === "string", "resultUrl is null or a string");
  assert.ok(job.error === null || (typeof job.error === "object" && typeof job.error.message === "string"), `error shape ${safe(job.error)}`);
  if (job.error) assert.ok(job.error.code === null || typeof job.error.code === "string", "error.code is null or a string");
  for (const k of ["createdAt", "completedAt", "estimatedCompletion"]) {
    assert.ok(job[k] === null || typeof job[k] === "string", `${k} is null or a string`);
  }
  assert.ok("result" in job, "job has result");
  assert.ok("raw" in job, "job has raw");
}

/**
 * Checks a sequence of jobs handed to onUpdate / yielded by watch():
 * status never goes back, progress stays within 0..1 and does not fall within one status,
 * and no two updates carry the same status+progress.
 */
export function assertUpdateSequence(updates, provider) {
  assert.ok(updates.length > 0, "no update at all");
  const seen = new Set();
  let prev = null;
  for (const job of updates) {
    assertJobShape(job, provider);
    assert.notEqual(job.status, "UNKNOWN", "UNKNOWN status seen against the mock");
    const key = `${job.status}|${job.progress}`;
    assert.ok(!seen.has(key), `update repeated for ${key}; sequence: ${seqString(updates)}`);
    seen.add(key);
    if (prev) {
      assert.ok(RANK[job.status] >= RANK[prev.status], `status went back ${prev.status} -> ${job.status}; sequence: ${seqString(updates)}`);
      assert.ok(!TERMINAL.includes(prev.status), `update after terminal ${prev.status}; sequence: ${seqString(updates)}`);
      if (job.status === prev.status && job.progress !== null && prev.progress !== null) {
        assert.ok(job.progress >= prev.progress, `progress fell ${prev.progress} -> ${job.progress}`);
      }
    }
    prev = job;
  }
}

export const seqString = (updates) => updates.map((j) => `${j.status}${j.progress === null ? "" : `@${j.progress}`}`).join(" > ");
