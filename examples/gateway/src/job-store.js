// JobStore: one Durable Object per job (named "<provider>:<job id>"). It keeps the last verified
// Job, the webhook delivery ids it has applied (deAPI retries a delivery with the same
// X-DeAPI-Delivery-Id: each is applied once), and the pages subscribed to the job over SSE.
//
// Internal routes (reached only through the Worker, never from outside):
//   POST /deliver  {deliveryId, event, job}  → {ok, duplicate, applied, version}
//   POST /own      {user}                     → {owner}: records who submitted the job (the first
//                                               owner stays)
//   GET  /check                               → 204 if the caller may see the job, else 404
//   GET  /job                                 → the Job, or 404
//   GET  /events                              → text/event-stream: `event: job` frames
// /check, /job and /events take the caller's user in `x-gateway-user` (per-user tokens): a job
// recorded for another user, or for none, answers 404 as if it did not exist.
//
// The same class, under other names, keeps two small records that are not jobs:
//   "index:<user>"       POST /index/add {provider, id}, GET /index/list?provider=&limit=
//                        → [{provider, id, submittedAt}], newest first: a user's jobs
//   "budget:<principal>" POST /budget {limit} → {ok, retryAfterSeconds}: submits in the last 60 s

const RANK = { PENDING: 0, QUEUED: 1, PROCESSING: 2, STREAMING: 3, FINISHED: 4, FAILED: 4, TIMEOUT: 4, CANCELLED: 4 };
const TERMINAL = new Set(["FINISHED", "FAILED", "TIMEOUT", "CANCELLED"]);
const KEEPALIVE_MS = 15_000;
/** A subscription is closed after this long; EventSource reconnects by itself. */
const MAX_SUBSCRIPTION_MS = 10 * 60_000;
const DEFAULT_TTL_S = 7 * 24 * 3600;
const BUDGET_WINDOW_MS = 60_000;
const NOT_FOUND = { error: { code: "NOT_FOUND", message: "no update received for this job" } };

const encoder = new TextEncoder();
const json = (status, value, headers = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });

export class JobStore {
  constructor(state, env) {
    this.state = state;
    this.env = env;
    /** @type {Set<{writer: WritableStreamDefaultWriter, since: number}>} */
    this.subscribers = new Set();
    this.keepalive = null;
  }

  async fetch(request) {
    const url = new URL(request.url);
    const { pathname } = url;
    if (pathname === "/deliver" && request.method === "POST") return this.deliver(await request.json());
    if (pathname === "/own" && request.method === "POST") return this.own(await request.json());
    if (pathname === "/index/add" && request.method === "POST") return this.indexAdd(await request.json());
    if (pathname === "/index/list" && request.method === "GET") return this.indexList(url.searchParams);
    if (pathname === "/budget" && request.method === "POST") return this.budget(await request.json());
    if (request.method === "GET" && (pathname === "/check" || pathname === "/job" || pathname === "/events")) {
      if (!(await this.visible(request))) return json(404, NOT_FOUND);
      if (pathname === "/check") return new Response(null, { status: 204 });
      if (pathname === "/events") return this.subscribe(request);
      const entry = await this.state.storage.get("job");
      if (!entry) return json(404, NOT_FOUND);
      return json(200, entry.job, { "x-job-version": String(entry.version), "cache-control": "no-store" });
    }
    return json(404, { error: { code: "NOT_FOUND", message: "no such route" } });
  }

  /** Whether the caller may see this job: any caller without a user; a user, its own jobs only. */
  async visible(request) {
    const user = request.headers.get("x-gateway-user");
    if (user === null) return true;
    const owner = await this.state.storage.get("owner");
    return owner !== undefined && owner === decodeURIComponent(user);
  }

  /** Records the job's submitter; the first one stays (a replayed idempotent submit is not theirs). */
  async own({ user }) {
    const storage = this.state.storage;
    const owner = await storage.get("owner");
    if (owner !== undefined) return json(200, { owner });
    await storage.put("owner", user);
    if ((await storage.getAlarm()) === null) await storage.setAlarm(Date.now() + this.ttlSeconds() * 1000);
    return json(200, { owner: user });
  }

  async indexAdd({ provider, id }) {
    const storage = this.state.storage;
    const now = Date.now();
    await storage.put(`idx:${provider}:${stamp(now)}:${id}`, { provider, id, submittedAt: now });
    // Entries older than the jobs' retention are forgotten (their jobs are gone too).
    const stale = await storage.list({ prefix: `idx:${provider}:`, end: `idx:${provider}:${stamp(now - this.ttlSeconds() * 1000)}` });
    if (stale.size > 0) await storage.delete([...stale.keys()].slice(0, 128));
    await storage.setAlarm(now + this.ttlSeconds() * 1000);
    return json(200, { ok: true });
  }

  async indexList(params) {
    const provider = params.get("provider") ?? "";
    const limit = Math.max(1, Math.min(100, Number(params.get("limit")) || 50));
    const since = stamp(Date.now() - this.ttlSeconds() * 1000);
    const entries = await this.state.storage.list({ prefix: `idx:${provider}:`, start: `idx:${provider}:${since}`, reverse: true, limit });
    return json(200, [...entries.values()]);
  }

  /** A sliding window: at most `limit` submits in any 60 s. */
  async budget({ limit }) {
    const storage = this.state.storage;
    const now = Date.now();
    const log = ((await storage.get("submits")) ?? []).filter((t) => t > now - BUDGET_WINDOW_MS);
    if (log.length >= limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((log[log.length - limit] + BUDGET_WINDOW_MS - now) / 1000));
      await storage.put("submits", log);
      return json(200, { ok: false, retryAfterSeconds });
    }
    log.push(now);
    await storage.put("submits", log);
    return json(200, { ok: true });
  }

  ttlSeconds() {
    return Number(this.env.JOB_TTL_SECONDS) > 0 ? Number(this.env.JOB_TTL_SECONDS) : DEFAULT_TTL_S;
  }

  /** Applies one verified delivery, once per delivery id; a job never moves backwards. */
  async deliver({ deliveryId, event, job }) {
    const storage = this.state.storage;
    const seenKey = deliveryId ? `delivery:${deliveryId}` : null;
    if (seenKey && (await storage.get(seenKey)) !== undefined) {
      return json(200, { ok: true, duplicate: true, applied: false });
    }
    const current = await storage.get("job");
    const applied = newer(current?.job, job);
    const version = (current?.version ?? 0) + (applied ? 1 : 0);
    const writes = {};
    if (seenKey) writes[seenKey] = Date.now();
    if (applied) writes.job = { job, version, event: event ?? null, updatedAt: Date.now() };
    await storage.put(writes);
    if (applied) {
      await storage.setAlarm(Date.now() + this.ttlSeconds() * 1000);
      this.broadcast(job, version);
    }
    return json(200, { ok: true, duplicate: false, applied, version });
  }

  /** Retention: the job and its delivery ids are forgotten JOB_TTL_SECONDS after the last update. */
  async alarm() {
    for (const sub of this.subscribers) this.close(sub);
    await this.state.storage.deleteAll();
  }

  async subscribe(request) {
    const { readable, writable } = new TransformStream();
    const sub = { writer: writable.getWriter(), since: Date.now() };
    this.subscribers.add(sub);
    this.write(sub, "retry: 3000\n\n");
    const entry = await this.state.storage.get("job");
    const lastSeen = Number(request.headers.get("last-event-id") || "0");
    if (entry && entry.version > lastSeen) this.write(sub, frame(entry.job, entry.version));
    else this.write(sub, ": waiting for the job's next update\n\n");
    if (entry && TERMINAL.has(entry.job.status)) this.close(sub);
    this.startKeepalive();
    return new Response(readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  broadcast(job, version) {
    const data = frame(job, version);
    for (const sub of this.subscribers) {
      this.write(sub, data);
      if (TERMINAL.has(job.status)) this.close(sub);
    }
  }

  write(sub, text) {
    sub.writer.write(encoder.encode(text)).catch(() => this.drop(sub));
  }

  close(sub) {
    this.subscribers.delete(sub);
    sub.writer.close().catch(() => {});
    this.stopKeepaliveIfIdle();
  }

  drop(sub) {
    this.subscribers.delete(sub);
    sub.writer.abort().catch(() => {});
    this.stopKeepaliveIfIdle();
  }

  startKeepalive() {
    if (this.keepalive !== null) return;
    this.keepalive = setInterval(() => {
      const now = Date.now();
      for (const sub of this.subscribers) {
        if (now - sub.since > MAX_SUBSCRIPTION_MS) this.close(sub);
        else this.write(sub, ": keep-alive\n\n");
      }
    }, KEEPALIVE_MS);
  }

  stopKeepaliveIfIdle() {
    if (this.subscribers.size === 0 && this.keepalive !== null) {
      clearInterval(this.keepalive);
      this.keepalive = null;
    }
  }
}

/** Whether `next` should replace `current`: terminal is final; status never moves backwards. */
function newer(current, next) {
  if (!current) return true;
  if (TERMINAL.has(current.status)) return false;
  const a = RANK[current.status];
  const b = RANK[next.status];
  if (b === undefined) return false; // UNKNOWN never replaces a known state
  return a === undefined || b >= a;
}

/** A time as a fixed-width key part, so keys sort by time. */
function stamp(ms) {
  return String(Math.max(0, Math.floor(ms))).padStart(15, "0");
}

function frame(job, version) {
  return `id: ${version}\nevent: job\ndata: ${JSON.stringify(job)}\n\n`;
}
