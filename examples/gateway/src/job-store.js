// JobStore: one Durable Object per job (named "<provider>:<job id>"). It keeps the last verified
// Job, the webhook delivery ids it has applied (deAPI retries a delivery with the same
// X-DeAPI-Delivery-Id: each is applied once), and the pages subscribed to the job over SSE.
//
// Internal routes (reached only through the Worker, never from outside):
//   POST /deliver  {deliveryId, event, job}  → {ok, duplicate, applied, version}
//   GET  /job                                 → the Job, or 404
//   GET  /events                              → text/event-stream: `event: job` frames

const RANK = { PENDING: 0, QUEUED: 1, PROCESSING: 2, STREAMING: 3, FINISHED: 4, FAILED: 4, TIMEOUT: 4, CANCELLED: 4 };
const TERMINAL = new Set(["FINISHED", "FAILED", "TIMEOUT", "CANCELLED"]);
const KEEPALIVE_MS = 15_000;
/** A subscription is closed after this long; EventSource reconnects by itself. */
const MAX_SUBSCRIPTION_MS = 10 * 60_000;
const DEFAULT_TTL_S = 7 * 24 * 3600;

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
    const { pathname } = new URL(request.url);
    if (pathname === "/deliver" && request.method === "POST") return this.deliver(await request.json());
    if (pathname === "/job" && request.method === "GET") {
      const entry = await this.state.storage.get("job");
      if (!entry) return json(404, { error: { code: "NOT_FOUND", message: "no update received for this job" } });
      return json(200, entry.job, { "x-job-version": String(entry.version), "cache-control": "no-store" });
    }
    if (pathname === "/events" && request.method === "GET") return this.subscribe(request);
    return json(404, { error: { code: "NOT_FOUND", message: "no such route" } });
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
      const ttl = Number(this.env.JOB_TTL_SECONDS) > 0 ? Number(this.env.JOB_TTL_SECONDS) : DEFAULT_TTL_S;
      await storage.setAlarm(Date.now() + ttl * 1000);
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

function frame(job, version) {
  return `id: ${version}\nevent: job\ndata: ${JSON.stringify(job)}\n\n`;
}
