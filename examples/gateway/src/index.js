// polyjob gateway: a Cloudflare Worker that keeps provider keys off the browser.
//
//   /<provider>/<documented endpoint>   proxy: allowlisted method + path only, the key injected
//                                       from the Worker's secrets, CORS for configured origins
//   POST /webhooks/deapi                deAPI webhooks, verified with polyjob's verifyWebhook,
//                                       stored in a Durable Object per job (deduplicated)
//   POST /webhooks/optexity             Optexity task callbacks, their key checked with
//                                       verifyWebhook, stored the same way
//   GET  /jobs/:provider                per-user tokens: the caller's own jobs, newest first
//   GET  /jobs/:provider/:id            the job as last delivered (404 if none yet)
//   GET  /jobs/:provider/:id/events     Server-Sent Events: the job now and on every update
//
// Closed by default (src/auth.js): every route but OPTIONS preflights and the webhook receivers
// needs a gateway token. With per-user tokens each job belongs to the user who submitted it, and
// another user's job answers 404 everywhere.
//
// Nothing runs at global scope (workerd forbids timers, fetch and randomness there); polyjob's
// `workerd` entry instantiates its wasm from a compiled module at import time.
import { verifyWebhook } from "polyjob";
import { PROVIDERS, AUTH, KEY_SECRET, BASE_VAR, DEFAULT_BASE, lookup, validSegment } from "./routes.js";
import { applyCors, originStatus, preflight } from "./cors.js";
import { formBoundary, formWithoutFields, limitBytes, phpFieldName } from "./body.js";
import { authenticate } from "./auth.js";

export { JobStore } from "./job-store.js";

/** Request headers forwarded to a provider; everything else (cookies, auth, ...) is dropped. */
const FORWARD_REQUEST_HEADERS = ["content-type", "accept", "idempotency-key", "last-event-id"];
/** Response headers never passed back. */
const DROP_RESPONSE_HEADERS = ["set-cookie", "connection", "keep-alive", "transfer-encoding", "www-authenticate"];
/** Largest JSON submit body the gateway rewrites (deAPI's webhook_url, Optexity's
 * task_callback_url); JSON is read whole. */
const MAX_REWRITE_BYTES = 8 * 1024 * 1024;
/** Largest request body forwarded when MAX_UPLOAD_BYTES is not set (Cloudflare's own limit on
 * the Free and Pro plans). */
const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** deAPI fields the gateway decides (a page's are removed): where webhooks go, and their key. */
const DEAPI_GATEWAY_FIELDS = new Set(["webhook_url", "webhook_secret"]);
/** Optexity fields the gateway decides (a page's are removed): where the task callback goes, and
 * the key it carries. */
const OPTEXITY_GATEWAY_FIELDS = ["task_callback_url", "task_callback_api_key"];
/** Submits per minute per user or token when SUBMITS_PER_MINUTE is not set. */
const DEFAULT_SUBMITS_PER_MINUTE = 30;
/** Largest submit answer read for its job id (per-user tokens); a job answer is far smaller. */
const MAX_SUBMIT_ANSWER_BYTES = 1024 * 1024;
/** Largest Optexity status body (`{"task_id"}`) read for its job id (per-user tokens). */
const MAX_STATUS_BODY_BYTES = 64 * 1024;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const segs = url.pathname.split("/");
    const first = segs[1] ?? "";

    // Authenticated by their own signature (deAPI) or key (Optexity): never by a gateway token.
    if (url.pathname === "/webhooks/deapi" || url.pathname === "/webhooks/optexity") {
      if (request.method !== "POST") return error(405, "METHOD_NOT_ALLOWED", "POST only", { allow: "POST" });
      return url.pathname === "/webhooks/deapi" ? deapiWebhook(request, env) : optexityWebhook(request, env);
    }
    // Preflights carry no credentials; they are answered without forwarding anything.
    if (request.method === "OPTIONS") {
      if (PROVIDERS.includes(first)) return proxy(request, env, first, url.pathname.slice(first.length + 1), null);
      if (first === "jobs") return jobs(request, env, segs.slice(2), null);
      return error(404, "NOT_FOUND", "no such route");
    }

    const caller = await authenticate(request, env, url);
    if (caller instanceof Response) return withCors(caller, request, env);

    if (PROVIDERS.includes(first)) {
      return proxy(request, env, first, url.pathname.slice(first.length + 1), caller);
    }
    if (first === "jobs") return jobs(request, env, segs.slice(2), caller);
    return error(404, "NOT_FOUND", "no such route");
  },
};

// ---------------------------------------------------------------------------------------------
// Proxy mode

async function proxy(request, env, provider, path, caller) {
  const route = lookup(provider, request.method === "OPTIONS" ? preflightMethod(request) : request.method, path);
  if (request.method === "OPTIONS") {
    const known = route.ok ? route.methods : route.status === 405 ? route.allow : null;
    if (!known) return error(404, "NOT_FOUND", "not a proxied endpoint");
    return preflight(request, env, known);
  }
  if (originStatus(request, env) === "denied") return error(403, "ORIGIN_NOT_ALLOWED", "origin not allowed");
  if (!route.ok) {
    if (route.status === 405) {
      return withCors(error(405, "METHOD_NOT_ALLOWED", "method not allowed here", { allow: route.allow.join(", ") }), request, env);
    }
    return withCors(error(404, "NOT_FOUND", "not a proxied endpoint"), request, env);
  }

  // Per-user tokens: the account-wide routes are refused, a job is reached only by its owner.
  const user = caller.user;
  if (user !== null && route.kind === "list") {
    return withCors(error(403, "FORBIDDEN", `per-user tokens cannot list the account's jobs: GET /jobs/${provider} lists yours`), request, env);
  }
  if (user !== null && route.kind === "realtime-auth") {
    return withCors(error(403, "FORBIDDEN", `per-user tokens cannot join the account's realtime channel: follow a job by polling or GET /jobs/${provider}/:id/events`), request, env);
  }
  let statusBody = null;
  if (user !== null && route.kind === "status-body") {
    // Optexity names the job in the body: read it (small), check it, send the same text on.
    statusBody = await readText(request.body ?? new ReadableStream({ start: (c) => c.close() }), MAX_STATUS_BODY_BYTES);
    if (statusBody === null) return withCors(error(413, "TOO_LARGE", "status body too large"), request, env);
    let id = null;
    try {
      const parsed = JSON.parse(statusBody);
      id = parsed?.task_id ?? parsed?.id ?? null;
    } catch {}
    if ((typeof id !== "string" && typeof id !== "number") || !(await owns(env, provider, String(id), user))) {
      return withCors(notYours(), request, env);
    }
  }
  if (user !== null && route.id !== null && !(await owns(env, provider, route.id, user))) {
    return withCors(notYours(), request, env);
  }
  const submit = route.kind === "submit" || route.kind === "deapi-submit" || route.kind === "optexity-submit";
  if (submit) {
    const over = await overBudget(env, caller);
    if (over) return withCors(over, request, env);
  }

  const key = env[KEY_SECRET[provider]];
  if (!key) return withCors(error(500, "GATEWAY_CONFIG", `secret ${KEY_SECRET[provider]} is not set`), request, env);
  const base = String(env[BASE_VAR[provider]] || DEFAULT_BASE[provider]).replace(/\/+$/, "");

  const headers = new Headers();
  for (const name of FORWARD_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const [authName, authValue] = AUTH[provider](key);
  headers.set(authName, authValue);

  // Request bodies are streamed, never read whole (a deAPI JSON submit, rewritten below, is the
  // one exception). A body filter that fails (too large, not a form) records why in `failure`
  // and aborts the upstream request (src/body.js says why it must not just end its stream).
  let body = statusBody;
  const upstreamAbort = new AbortController();
  const failure = { code: null, message: null, abort: () => upstreamAbort.abort() };
  if (statusBody === null && request.method !== "GET" && request.method !== "HEAD" && request.body !== null) {
    const max = maxUploadBytes(env);
    const declared = declaredLength(request);
    if (declared === undefined) return withCors(error(400, "BAD_REQUEST", "bad content-length"), request, env);
    if (declared !== null && declared > max) return withCors(error(413, "TOO_LARGE", `request body over ${max} bytes`), request, env);
    if (route.kind === "deapi-submit" || route.kind === "optexity-submit") {
      const rewritten = route.kind === "deapi-submit" ? await deapiSubmitBody(request, env, max, failure) : await optexitySubmitBody(request, env, max);
      if (rewritten instanceof Response) return withCors(rewritten, request, env);
      body = rewritten;
    } else {
      // With a declared length the incoming stream itself is passed on, and workerd pipes it
      // natively with the same Content-Length; without one, a counter cuts it off past the limit.
      body = declared !== null ? request.body : limitBytes(request.body, max, failure);
    }
  }

  let upstream;
  try {
    // The query string is never forwarded: no documented endpoint takes one.
    upstream = await fetch(`${base}${path}`, { method: request.method, headers, body, redirect: "manual", signal: upstreamAbort.signal });
  } catch (e) {
    if (failure.code === "TOO_LARGE") return withCors(error(413, failure.code, failure.message), request, env);
    if (failure.code) return withCors(error(400, failure.code, failure.message), request, env);
    return withCors(error(502, "UPSTREAM_UNREACHABLE", `${provider} could not be reached`), request, env);
  }

  const out = new Headers(upstream.headers);
  for (const name of DROP_RESPONSE_HEADERS) out.delete(name);
  if ((out.get("content-type") ?? "").startsWith("text/event-stream")) {
    out.set("cache-control", "no-cache");
    out.set("x-accel-buffering", "no");
  }
  applyCors(out, request, env);
  let answer = upstream.body;
  if (submit && user !== null && upstream.ok && answer !== null && /json/i.test(out.get("content-type") ?? "")) {
    // Per-user tokens: the job is recorded for its user before the page learns its id, so the
    // page's first status request already finds it.
    const [page, mine] = answer.tee();
    answer = page;
    const id = submittedId(provider, await readText(mine, MAX_SUBMIT_ANSWER_BYTES));
    if (id !== null) {
      const claimed = await claim(env, provider, id, user);
      if (!claimed) {
        await page.cancel().catch(() => {});
        return withCors(error(409, "CONFLICT", "this submit answered with another user's job (a reused Idempotency-Key?)"), request, env);
      }
    }
  }
  // The body is passed on as a stream: SSE chunks reach the page as the provider sends them.
  return new Response(answer, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

/** The job id in a provider's submit answer (as polyjob reads it), or null. */
function submittedId(provider, text) {
  if (text === null) return null;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const pick = (obj, keys) => {
    for (const k of keys) {
      const v = obj[k];
      if ((typeof v === "string" && v !== "") || typeof v === "number") return String(v);
    }
    return null;
  };
  switch (provider) {
    case "socaity":
      return body.job_id !== undefined ? pick(body, ["job_id"]) : typeof body.status === "string" ? pick(body, ["id"]) : null;
    case "optexity":
      return pick(body, ["task_id", "id"]);
    case "deapi": {
      const data = body.data !== null && typeof body.data === "object" && !Array.isArray(body.data) ? body.data : body;
      return pick(data, ["request_id", "job_request_id", "id"]);
    }
    case "serika":
      return pick(body, ["id", "job_id"]);
  }
  return null;
}

/** Records `user` as the submitter of the job; false if it already belongs to someone else. */
async function claim(env, provider, id, user) {
  const res = await store(env, provider, id).fetch("https://job-store/own", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user }),
  });
  const { owner } = await res.json();
  if (owner !== user) return false;
  await env.JOBS.get(env.JOBS.idFromName(`index:${user}`)).fetch("https://job-store/index/add", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ provider, id }),
  });
  return true;
}

/** Whether the job was submitted by `user` through this gateway. */
async function owns(env, provider, id, user) {
  const res = await store(env, provider, id).fetch("https://job-store/check", { headers: { "x-gateway-user": encodeURIComponent(user) } });
  return res.status === 204;
}

/** 404 for another user's job, the same as for no job: an id is never confirmed. */
function notYours() {
  return error(404, "NOT_FOUND", "no such job");
}

/** SUBMITS_PER_MINUTE per user or token: a 429 Response with Retry-After when over it. */
async function overBudget(env, caller) {
  const setting = String(env.SUBMITS_PER_MINUTE ?? "").trim().toLowerCase();
  if (setting === "off") return null;
  const n = Number(setting);
  const limit = setting !== "" && Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_SUBMITS_PER_MINUTE;
  const res = await env.JOBS.get(env.JOBS.idFromName(`budget:${caller.principal}`)).fetch("https://job-store/budget", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ limit }),
  });
  const { ok, retryAfterSeconds } = await res.json();
  if (ok) return null;
  return error(429, "RATE_LIMITED", `over ${limit} submits per minute`, { "retry-after": String(retryAfterSeconds) });
}

function preflightMethod(request) {
  return (request.headers.get("access-control-request-method") ?? "GET").toUpperCase();
}

/**
 * deAPI submits: the gateway decides where webhooks go. A page's own `webhook_url` /
 * `webhook_secret` are removed; with DEAPI_WEBHOOK_URL set ("auto" = this gateway's
 * /webhooks/deapi) the gateway's receiver is put in. JSON (what Laravel reads as JSON: a type with
 * `/json` or `+json`) is read whole, up to MAX_REWRITE_BYTES, and rewritten; a
 * `multipart/form-data` upload is filtered as it streams (`formWithoutFields`: the page's webhook
 * parts dropped, the gateway's appended, file contents passed on chunk by chunk, never held).
 * Any other body type is refused (415): deAPI would read its fields in ways the gateway does not
 * check. Returns the body to send, or a Response to refuse.
 */
async function deapiSubmitBody(request, env, max, failure) {
  const type = request.headers.get("content-type") ?? "";
  const hook = webhookUrl(request, env);
  if (/^multipart\/form-data\b/i.test(type)) {
    const boundary = formBoundary(type);
    if (!boundary) return error(400, "BAD_REQUEST", "multipart/form-data without a valid boundary");
    return formWithoutFields(request.body, boundary, {
      drop: (name) => DEAPI_GATEWAY_FIELDS.has(phpFieldName(name)),
      append: hook ? ["webhook_url", hook] : null,
      max,
      failure,
    });
  }
  if (!/\/json|\+json/i.test(type)) {
    return error(415, "UNSUPPORTED_MEDIA_TYPE", "deAPI submits are JSON or multipart/form-data");
  }
  return rewriteJson(request, max, (json) => {
    for (const field of DEAPI_GATEWAY_FIELDS) delete json[field];
    if (hook) json.webhook_url = hook;
  });
}

/**
 * A JSON submit body read whole (up to MAX_REWRITE_BYTES, else 413) and `edit`ed when it is an
 * object; a body that is not a JSON object goes on as it came (the provider answers its own
 * 400/422, and reads no field the gateway would have to vouch for).
 */
async function rewriteJson(request, max, edit) {
  const limit = Math.min(max, MAX_REWRITE_BYTES);
  const declared = declaredLength(request);
  if (declared !== null && declared > limit) return error(413, "TOO_LARGE", "JSON body too large");
  const text = await readText(request.body, limit);
  if (text === null) return error(413, "TOO_LARGE", "JSON body too large");
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return text;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return text;
  edit(json);
  return JSON.stringify(json);
}

/**
 * Optexity submits (JSON only): the gateway decides where the task callback goes. A page's
 * `task_callback_url` / `task_callback_api_key` are removed; with OPTEXITY_WEBHOOK_URL set
 * ("auto" = this gateway's /webhooks/optexity) the gateway's receiver and its key
 * (OPTEXITY_WEBHOOK_KEY, which Optexity sends back in x-api-key) are put in; "auto" without the key
 * puts in nothing (the task is polled). Read whole, up to
 * MAX_REWRITE_BYTES. Returns the body to send, or a Response to refuse.
 */
async function optexitySubmitBody(request, env, max) {
  const key = env.OPTEXITY_WEBHOOK_KEY;
  const setting = String(env.OPTEXITY_WEBHOOK_URL ?? "").trim();
  // "auto" without a key: no callback (the task is polled, as before callbacks existed); an
  // explicit URL without a key is a half-made setting and refused before anything is sent.
  const hook = setting === "auto" && !key ? null : callbackUrl(request, env, "OPTEXITY_WEBHOOK_URL", "/webhooks/optexity");
  if (hook && !key) return error(500, "GATEWAY_CONFIG", 'secret OPTEXITY_WEBHOOK_KEY is not set: set it, or OPTEXITY_WEBHOOK_URL = "auto" or "off"');
  return rewriteJson(request, max, (json) => {
    for (const field of OPTEXITY_GATEWAY_FIELDS) delete json[field];
    if (hook) Object.assign(json, { task_callback_url: hook, task_callback_api_key: key });
  });
}

/** A body's text, or null if it is longer than `max` bytes (it stops reading there). */
async function readText(body, max) {
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** The request's Content-Length: null if it has none, undefined if it is not a number. */
function declaredLength(request) {
  const value = request.headers.get("content-length");
  if (value === null) return null;
  return /^\d{1,15}$/.test(value.trim()) ? Number(value) : undefined;
}

function maxUploadBytes(env) {
  const n = Number(env.MAX_UPLOAD_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_UPLOAD_BYTES;
}

function webhookUrl(request, env) {
  return callbackUrl(request, env, "DEAPI_WEBHOOK_URL", "/webhooks/deapi");
}

/** Where a provider reports to, from the var `name`: "auto" = this gateway's `path`, a URL,
 * or null ("off", unset). */
function callbackUrl(request, env, name, path) {
  const setting = String(env[name] ?? "").trim();
  if (!setting || setting === "off") return null;
  if (setting === "auto") return new URL(path, request.url).href;
  return setting;
}

// ---------------------------------------------------------------------------------------------
// Webhook receiver

async function deapiWebhook(request, env) {
  const secret = env.DEAPI_WEBHOOK_SECRET;
  if (!secret) return error(500, "GATEWAY_CONFIG", "secret DEAPI_WEBHOOK_SECRET is not set");
  const deliveryId = request.headers.get("x-deapi-delivery-id");
  const event = request.headers.get("x-deapi-event");
  let job;
  try {
    job = await verifyWebhook(request, { secret });
  } catch (e) {
    const code = e && e.code;
    if (code === "WEBHOOK_SIGNATURE" || code === "WEBHOOK_EXPIRED") return error(401, code, "webhook rejected");
    if (code === "BAD_RESPONSE") return error(400, code, "not a deAPI webhook payload");
    return error(500, code || "INTERNAL", "webhook could not be handled");
  }
  if (!job.id || !validSegment(encodeURIComponent(job.id))) return error(400, "BAD_RESPONSE", "webhook without a job id");
  const stub = store(env, "deapi", job.id);
  const res = await stub.fetch("https://job-store/deliver", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ deliveryId, event, job }),
  });
  return new Response(res.body, { status: res.status, headers: { "content-type": "application/json" } });
}

async function optexityWebhook(request, env) {
  const apiKey = env.OPTEXITY_WEBHOOK_KEY;
  if (!apiKey) return error(500, "GATEWAY_CONFIG", "secret OPTEXITY_WEBHOOK_KEY is not set");
  let job;
  try {
    job = await verifyWebhook(request, { provider: "optexity", apiKey });
  } catch (e) {
    const code = e && e.code;
    if (code === "WEBHOOK_SIGNATURE") return error(401, code, "callback rejected");
    if (code === "BAD_RESPONSE") return error(400, code, "not an Optexity task callback");
    return error(500, code || "INTERNAL", "callback could not be handled");
  }
  if (!job.id || !validSegment(encodeURIComponent(job.id))) return error(400, "BAD_RESPONSE", "callback without a task id");
  // Optexity sends no delivery id: a repeated callback is a state the job already has, which the
  // store does not apply again (a job never moves backwards; terminal is final).
  const status = job.raw && typeof job.raw === "object" ? job.raw.status : null;
  const res = await store(env, "optexity", job.id).fetch("https://job-store/deliver", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ deliveryId: null, event: typeof status === "string" ? `task.${status}` : null, job }),
  });
  return new Response(res.body, { status: res.status, headers: { "content-type": "application/json" } });
}

// ---------------------------------------------------------------------------------------------
// Job state from the Durable Objects

async function jobs(request, env, rest, caller) {
  const [provider, id, tail, ...extra] = rest;
  const events = tail === "events" && extra.length === 0;
  const list = id === undefined || (id === "" && tail === undefined);
  if (!PROVIDERS.includes(provider) || (!list && (!validSegment(id) || extra.length > 0 || (tail !== undefined && !events)))) {
    return withCors(error(404, "NOT_FOUND", "no such route"), request, env);
  }
  if (request.method === "OPTIONS") return preflight(request, env, ["GET"]);
  if (originStatus(request, env) === "denied") return error(403, "ORIGIN_NOT_ALLOWED", "origin not allowed");
  if (request.method !== "GET") {
    return withCors(error(405, "METHOD_NOT_ALLOWED", "GET only", { allow: "GET" }), request, env);
  }
  if (list) return withCors(await ownJobs(request, env, provider, caller), request, env);
  const headers = { "last-event-id": request.headers.get("last-event-id") ?? "" };
  if (caller.user !== null) headers["x-gateway-user"] = encodeURIComponent(caller.user);
  const stub = store(env, provider, decodeURIComponent(id));
  const res = await stub.fetch(events ? "https://job-store/events" : "https://job-store/job", { headers });
  const out = new Headers(res.headers);
  applyCors(out, request, env);
  return new Response(res.body, { status: res.status, headers: out });
}

/**
 * GET /jobs/:provider: the caller's own jobs on that provider, newest first (`?limit=`, at most
 * 100, default 50): `{ jobs: [{ provider, id, submittedAt, job }] }`, `job` the last state a
 * webhook delivered (deAPI, Optexity) or null. Per-user tokens only: other callers see the whole account
 * through the provider's own list route.
 */
async function ownJobs(request, env, provider, caller) {
  if (caller.user === null) {
    return error(404, "NOT_FOUND", `GET /jobs/${provider} lists a per-user token's jobs; with this token use the provider's own list route`);
  }
  const limit = new URL(request.url).searchParams.get("limit") ?? "";
  const res = await env.JOBS.get(env.JOBS.idFromName(`index:${caller.user}`)).fetch(
    `https://job-store/index/list?provider=${encodeURIComponent(provider)}&limit=${encodeURIComponent(limit)}`,
  );
  const entries = await res.json();
  const jobs = await Promise.all(
    entries.map(async (e) => {
      const r = await store(env, provider, e.id).fetch("https://job-store/job", { headers: { "x-gateway-user": encodeURIComponent(caller.user) } });
      return { ...e, job: r.ok ? await r.json() : (await r.arrayBuffer(), null) };
    }),
  );
  return new Response(JSON.stringify({ jobs }), { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

function store(env, provider, id) {
  return env.JOBS.get(env.JOBS.idFromName(`${provider}:${id}`));
}

// ---------------------------------------------------------------------------------------------

function error(status, code, message, extraHeaders = {}) {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json", ...extraHeaders },
  });
}

function withCors(response, request, env) {
  const headers = new Headers(response.headers);
  applyCors(headers, request, env);
  return new Response(response.body, { status: response.status, headers });
}
