// The client's cap on requests in flight (`maxConcurrentRequests`, default 32): calls and the
// polls of many waits beyond the cap wait their turn in arrival order; a queued call still ends
// on its signal or its wait's deadline, without losing the permit it was waiting for.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JobClient, client, request, scenario, isPolyjobError, KEY, deferred, nextTurn } from "./helpers.mjs";

const statusBody = (id) => JSON.stringify({ job_id: id, status: "PROCESSING", progress: 0.5 });

/** A fetch answering Socaity status bodies on the next turn of the event loop (after every call
 * started in this turn), recording the peak of calls in flight. */
function gaugedFetch(inner = null) {
  const f = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url;
    f.order.push(url.slice(url.lastIndexOf("/") + 1));
    f.active += 1;
    f.peak = Math.max(f.peak, f.active);
    try {
      await nextTurn();
      if (inner) return await inner(input, init);
      return new Response(statusBody(decodeURIComponent(url.slice(url.lastIndexOf("/") + 1))), { status: 200, headers: { "content-type": "application/json" } });
    } finally {
      f.active -= 1;
    }
  };
  Object.assign(f, { active: 0, peak: 0, order: [] });
  return f;
}

/** A fetch whose first call hangs until `release()` (or its signal, as a real fetch does);
 * later calls answer at once. */
function blockingFetch() {
  let release;
  const gate = new Promise((r) => { release = r; });
  const blocked = deferred();
  const f = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url;
    const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
    f.order.push(id);
    if (f.order.length === 1) {
      blocked.resolve();
      await new Promise((resolve, reject) => {
        gate.then(resolve);
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    return new Response(statusBody(id), { status: 200, headers: { "content-type": "application/json" } });
  };
  // `blocked`: resolves once the first call is in flight (and holds the only permit).
  Object.assign(f, { order: [], release: () => release(), blocked: blocked.promise });
  return f;
}

const socaity = (opts) => new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", maxRetries: 0, ...opts });

describe("maxConcurrentRequests", { concurrency: true, timeout: 60_000 }, () => {
  test("calls beyond the cap wait their turn: the peak in flight is the cap, and every call answers", async () => {
    const f = gaugedFetch();
    const c = socaity({ fetch: f, maxConcurrentRequests: 3 });
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => c.get(`job-${i}`)));
    assert.deepEqual(jobs.map((j) => j.id), Array.from({ length: 20 }, (_, i) => `job-${i}`));
    assert.equal(f.peak, 3);
    // Granted in arrival order.
    assert.deepEqual(f.order, Array.from({ length: 20 }, (_, i) => `job-${i}`));
    assert.equal(c.stats.requests, 20);
  });

  test("the default cap is 32", async () => {
    const f = gaugedFetch();
    const c = socaity({ fetch: f });
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.get(`job-${i}`)));
    assert.equal(f.peak, 32);
  });

  test("many waits on the mock share the cap and all finish", async () => {
    const f = gaugedFetch(globalThis.fetch);
    const c = client("socaity", { fetch: f, maxConcurrentRequests: 4 });
    const ids = await Promise.all(Array.from({ length: 30 }, () => c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 300 })))));
    const done = await Promise.all(ids.map((j) => c.wait(j.id, { timeoutMs: 30_000 })));
    for (const job of done) assert.equal(job.status, "FINISHED");
    assert.ok(f.peak <= 4, `peak ${f.peak}`);
    assert.ok(f.peak >= 2, `the cap is used, peak ${f.peak}`);
  });

  test("a queued call aborted by its signal rejects ABORTED and gives its turn away", async () => {
    const f = blockingFetch();
    const c = socaity({ fetch: f, maxConcurrentRequests: 1 });
    const first = c.get("first");
    const ac = new AbortController();
    const queued = c.get("queued", { signal: ac.signal });
    const next = c.get("next");
    await f.blocked;
    ac.abort();
    await assert.rejects(queued, isPolyjobError("ABORTED", { provider: "socaity" }));
    f.release();
    assert.equal((await first).id, "first");
    assert.equal((await next).id, "next");
    assert.deepEqual(f.order, ["first", "next"], "the aborted call sent nothing");
    // The permit came back: the client still sends.
    assert.equal((await c.get("after")).id, "after");
  });

  test("a wait whose deadline passes while its poll is queued rejects TIMEOUT", async () => {
    const f = blockingFetch();
    const c = socaity({ fetch: f, maxConcurrentRequests: 1 });
    const first = c.get("first");
    const t0 = Date.now();
    // Only the deadline can end it: the permit comes back only at release(), after this.
    await assert.rejects(c.wait("waiting", { timeoutMs: 150 }), isPolyjobError("TIMEOUT", { provider: "socaity" }));
    const took = Date.now() - t0;
    assert.ok(took >= 140, `rejected after ${took} ms, before the 150 ms deadline`);
    f.release();
    await first;
    assert.equal((await c.get("after")).id, "after");
    assert.deepEqual(f.order, ["first", "after"]);
  });

  test("an aborted in-flight request frees its permit for the next queued one", async () => {
    const f = blockingFetch();
    const c = socaity({ fetch: f, maxConcurrentRequests: 1 });
    const ac = new AbortController();
    const first = c.get("first", { signal: ac.signal });
    const second = c.get("second");
    await f.blocked;
    ac.abort();
    await assert.rejects(first, isPolyjobError("ABORTED"));
    assert.equal((await second).id, "second");
    f.release();
  });

  for (const bad of [0, 1.5, 10_001, "3", -1, Infinity]) {
    test(`maxConcurrentRequests ${String(bad)} → CONFIG`, () => {
      assert.throws(() => socaity({ maxConcurrentRequests: bad }), isPolyjobError("CONFIG"));
    });
  }
});
