// deAPI realtime (Pusher protocol over WebSocket) and out-of-band updates against the mock:
// a job completes via the socket with one status request (the confirmation), survives a socket
// killed with 4200, falls back to polling when the socket is refused or silent, and `notify`
// feeds waits. Needs a global WebSocket (Node ≥ 22, or node --experimental-websocket on 20).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JobClient, MOCK, KEY, request, scenario, mockJob, mockRequests, headersOf, isPolyjobError, baseUrl, client, deferred, jsonResponse } from "./helpers.mjs";

const WS = `${MOCK.replace(/^http/, "ws")}/deapi-ws`;
const CLIENT_ID = "1001";

function rtClient(over = {}, rt = {}) {
  return new JobClient({
    provider: "deapi",
    apiKey: KEY,
    baseUrl: baseUrl("deapi"),
    pollIntervalMs: 50,
    maxPollIntervalMs: 200,
    realtime: { clientId: CLIENT_ID, wsUrl: WS, ...rt },
    ...over,
  });
}

/**
 * A fetch to the mock that answers the status requests of the jobs in `held` with a deAPI
 * "processing" body of its own, whatever the mock would say, until `release()`; then it passes
 * them on. A wait's first poll thus parks it, however late it comes after the job's end.
 */
function holdingFetch(held) {
  let open = false;
  const f = (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
    if (!open && url.includes("/request-status/") && held.includes(id)) {
      f.held += 1;
      return Promise.resolve(jsonResponse(200, { data: { status: "processing", progress: 10, result_url: null, preview: null } }));
    }
    return globalThis.fetch(input, init);
  };
  Object.assign(f, { held: 0, release: () => { open = true; } });
  return f;
}

/** Resolves with the first update given to it: a wait that polled once and sleeps until its next poll. */
function firstUpdate() {
  const d = deferred();
  return { onUpdate: (j) => d.resolve(j), polled: d.promise };
}

// One at a time: the forced-close test closes every socket on the shared client channel.
describe("realtime", { concurrency: false, timeout: 90_000 }, () => {
  test("a deAPI job completes via the WebSocket with one status request", async () => {
    const c = rtClient();
    const updates = [];
    const job = await c.run(request("deapi", scenario({ queue_ms: 100, duration_ms: 1500, steps: 10 })), {
      onUpdate: (j) => updates.push(j),
      timeoutMs: 20_000,
    });
    assert.equal(job.status, "FINISHED");
    assert.ok(job.resultUrl, "the confirmed terminal job has its result URL");
    const state = await mockJob(job.id);
    assert.equal(state.status_requests, 1, `status requests: ${state.status_requests}`);
    const progress = updates.filter((u) => u.status === "PROCESSING" && u.progress !== null);
    assert.ok(progress.length >= 3, `live progress updates: ${progress.length}`);
    for (const u of updates) if (u.progress !== null) assert.ok(u.progress >= 0 && u.progress <= 1);
    assert.ok(updates.some((u) => typeof u.preview === "string" && u.preview.length > 0), "a live preview arrived");
    // Each update says how it came: the submit, then the socket, then the confirming poll.
    assert.equal(updates[0].via, "submit");
    assert.ok(updates.filter((u) => u.via === "realtime").length >= 3, `via: ${updates.map((u) => u.via).join(" ")}`);
    assert.equal(job.via, "poll", "the end is confirmed by one status request");
    assert.ok(updates.some((u) => u.via === "realtime" && u.files.some((f) => f.role === "preview" && f.data)), "previews over the socket are preview files (base64)");
    assert.equal(c.stats.fallbacks, 0);
  });

  test("a socket killed mid-job with 4200 reconnects and the job still completes", async () => {
    const c = rtClient();
    const updates = [];
    const job = await c.run(request("deapi", scenario({ duration_ms: 2000, realtime: { close_code: 4200, close_after_ms: 600 } })), { timeoutMs: 20_000, onUpdate: (j) => updates.push(j.via) });
    assert.equal(job.status, "FINISHED");
    // The drop is visible: counted, and the updates meanwhile came by polling.
    assert.ok(c.stats.fallbacks >= 1, `fallbacks ${c.stats.fallbacks}`);
    assert.ok(updates.includes("realtime"), `via: ${updates.join(" ")}`);
  });

  test("the channel auth request carries the client's headers (a gateway token in `headers` reaches it)", async () => {
    const tag = `rt-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const c = rtClient({ headers: { "x-gateway-token": tag } });
    const job = await c.run(request("deapi", scenario({ duration_ms: 300 })), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
    const log = await mockRequests();
    const auth = log.filter((e) => e.url.includes("/broadcasting/auth") && headersOf(e)["x-gateway-token"] === tag);
    assert.ok(auth.length >= 1, "the auth request carried the client's extra header");
    assert.equal(headersOf(auth[0]).authorization, `Bearer ${KEY}`, "and the key's auth header");
  });

  test("wsUrl in the full form wss://host/app/KEY is taken as base + key (never …/app/KEY/app/KEY); a different key is CONFIG", async () => {
    const c = rtClient({}, { wsUrl: `${WS}/app/depin-api-prod-key` });
    const job = await c.run(request("deapi", scenario({ duration_ms: 600 })), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
    assert.equal((await mockJob(job.id)).status_requests, 1, "the socket worked: one confirming status request");
    assert.throws(() => rtClient({}, { wsUrl: `${WS}/app/other-key`, key: "depin-api-prod-key" }), (e) => isPolyjobError("CONFIG")(e) && /realtime\.wsUrl/.test(e.message));
  });

  test("a refused channel auth (pusher:error 4009 on an open socket) fails that subscription only: the wait polls, and the next wait subscribes again with a fresh auth", async () => {
    let authCalls = 0;
    const fetchFn = async (input, init) => {
      const url = typeof input === "string" ? input : input.url;
      if (url.endsWith("/broadcasting/auth") && ++authCalls === 1) {
        return new Response(JSON.stringify({ auth: "depin-api-prod-key:0000" }), { status: 200, headers: { "content-type": "application/json" } });
      }
      return fetch(input, init);
    };
    const c = rtClient({ fetch: fetchFn });
    const first = await c.run(request("deapi", scenario({ duration_ms: 600 })), { timeoutMs: 20_000 });
    assert.equal(first.status, "FINISHED");
    assert.ok((await mockJob(first.id)).status_requests >= 2, "the first wait polled");
    assert.ok(c.stats.fallbacks >= 1, "the fallback is counted");
    const second = await c.run(request("deapi", scenario({ duration_ms: 600 })), { timeoutMs: 20_000 });
    assert.equal(second.status, "FINISHED");
    assert.equal(authCalls, 2, "a fresh auth for the second wait");
    assert.equal((await mockJob(second.id)).status_requests, 1, "the second wait came by the socket: one confirming request");
  });

  test("while the socket cannot connect, its reconnect attempts add no status requests to the polling cadence", async () => {
    // A WebSocket that fails at once, every time: the hub keeps reconnecting with backoff.
    let attempts = 0;
    class Unreachable extends EventTarget {
      constructor() {
        super();
        attempts += 1;
        this.readyState = 0;
        queueMicrotask(() => {
          this.readyState = 3;
          this.onerror?.(new Event("error"));
          this.dispatchEvent(new Event("error"));
          const close = Object.assign(new Event("close"), { code: 1006, reason: "", wasClean: false });
          this.onclose?.(close);
          this.dispatchEvent(close);
        });
      }
      send() {}
      close() {}
    }
    const scenarioOf = () => scenario({ queue_ms: 100, duration_ms: 6000, steps: 1 });
    // The same job shape followed by plain polling, on the library's own schedule, for comparison.
    const polled = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi") });
    const down = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi"), realtime: { clientId: CLIENT_ID, wsUrl: WS, WebSocket: Unreachable } });
    const [a, b] = await Promise.all([
      polled.run(request("deapi", scenarioOf()), { via: "poll", timeoutMs: 30_000 }),
      down.run(request("deapi", scenarioOf()), { timeoutMs: 30_000 }),
    ]);
    assert.equal(a.status, "FINISHED");
    assert.equal(b.status, "FINISHED");
    const [pa, pb] = [(await mockJob(a.id)).status_requests, (await mockJob(b.id)).status_requests];
    assert.ok(attempts >= 3, `the hub kept trying (${attempts} attempts)`);
    // One catch-up poll when the channel drops is allowed; no poll per attempt.
    assert.ok(pb <= pa + 1, `${pb} status requests with the socket down vs ${pa} polling (${attempts} reconnect attempts)`);
  });

  test("with the socket refused (wrong app key) the job completes by polling", async () => {
    const c = rtClient({}, { key: "not-the-app-key" });
    const job = await c.run(request("deapi", scenario({ duration_ms: 600 })), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
    const state = await mockJob(job.id);
    assert.ok(state.status_requests >= 2, "polling took over");
  });

  test("a silent channel is caught by the safety poll", async () => {
    const c = rtClient();
    const job = await c.run(request("deapi", scenario({ duration_ms: 300, realtime: { drop_events: true } })), { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
  });

  test("a failure (webhook-only on deAPI's socket) is found by the safety poll", async () => {
    const c = rtClient();
    await assert.rejects(
      c.run(request("deapi", scenario({ duration_ms: 300, outcome: "failed", error: "gpu fell over" })), { timeoutMs: 20_000 }),
      (err) => isPolyjobError("JOB_FAILED")(err) && err.job.status === "FAILED",
    );
  });

  test('via: "poll" ignores the socket', async () => {
    const c = rtClient();
    const job = await c.run(request("deapi", scenario({ duration_ms: 600 })), { via: "poll", timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
    assert.ok((await mockJob(job.id)).status_requests >= 2);
  });

  test('via: "realtime" without realtime options is a CONFIG error', async () => {
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi") });
    await assert.rejects(c.wait("x", { via: "realtime" }), isPolyjobError("CONFIG"));
    assert.throws(() => new JobClient({ provider: "serika", apiKey: KEY, realtime: { clientId: "1" } }), isPolyjobError("CONFIG"));
  });

  test("notify() feeds an update received out of band to the waits on that job", async () => {
    const first = await client("deapi").submit(request("deapi", scenario({ duration_ms: 200 })));
    // The job has ended at the mock (another client saw it), so a confirming request finds it done.
    assert.equal((await client("deapi").wait(first.id, { timeoutMs: 20_000 })).status, "FINISHED");
    const f = holdingFetch([first.id]);
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi"), fetch: f, pollIntervalMs: 5000, maxPollIntervalMs: 5000 });
    const w = firstUpdate();
    const waiting = c.wait(first.id, { timeoutMs: 20_000, onUpdate: w.onUpdate });
    assert.equal((await w.polled).status, "PROCESSING", "the wait polled once and is parked for 5 s");
    f.release();
    const before = (await mockJob(first.id)).status_requests;
    const delivered = c.notify({ ...first, status: "FINISHED", progress: 1 });
    assert.equal(delivered, 1);
    const job = await waiting;
    assert.equal(job.status, "FINISHED");
    assert.ok(job.resultUrl, "the terminal state was confirmed with a status request");
    assert.equal((await mockJob(first.id)).status_requests, before + 1, "one confirming status request reached the mock");
    assert.equal(f.held, 1);
  });

  test("notify() reaches exactly the waits still on that job: an aborted one is unregistered, others are not touched", async () => {
    const a = await client("deapi").submit(request("deapi", scenario({ duration_ms: 200 })));
    const b = await client("deapi").submit(request("deapi", scenario({ duration_ms: 60_000 })));
    assert.equal((await client("deapi").wait(a.id, { timeoutMs: 20_000 })).status, "FINISHED");
    const f = holdingFetch([a.id]);
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi"), fetch: f, pollIntervalMs: 5000, maxPollIntervalMs: 5000 });
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    // Three waits on job a (the middle one aborted below), one on job b; each polled once and parked.
    const firsts = [...aborts.map(() => firstUpdate()), firstUpdate()];
    const onA = aborts.map((ac, k) => c.wait(a.id, { signal: ac.signal, timeoutMs: 20_000, onUpdate: firsts[k].onUpdate }));
    const onB = new AbortController();
    const waitingB = c.wait(b.id, { signal: onB.signal, timeoutMs: 20_000, onUpdate: firsts[3].onUpdate });
    await Promise.all(firsts.map((w) => w.polled));
    f.release();
    aborts[1].abort();
    await assert.rejects(onA[1], isPolyjobError("ABORTED"));
    assert.equal(c.notify({ ...a, status: "FINISHED", progress: 1 }), 2);
    for (const job of await Promise.all([onA[0], onA[2]])) assert.equal(job.status, "FINISHED");
    // Their subscriptions went with them; job b's wait is still registered, and only it.
    assert.equal(c.notify({ ...a, status: "FINISHED", progress: 1 }), 0);
    assert.equal(c.notify({ ...b, status: "PROCESSING", progress: 0.5 }), 1);
    onB.abort();
    await assert.rejects(waitingB, isPolyjobError("ABORTED"));
    assert.equal(c.notify({ ...b, status: "PROCESSING", progress: 0.6 }), 0);
  });
});
