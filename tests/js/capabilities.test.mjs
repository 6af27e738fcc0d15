// capabilities, cancel (Socaity), list (Serika, Optexity), and UNSUPPORTED without a request.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  client, request, scenario, uid, countingFetch, requestsTagged, mockJob, assertJobShape, isPolyjobError, until, deferred,
} from "./helpers.mjs";

const CAPS = {
  socaity: { cancel: true, list: false, webhooks: false, realtime: false, streaming: true, push: true },
  optexity: { cancel: false, list: true, webhooks: true, realtime: false, streaming: false, push: false },
  deapi: { cancel: false, list: false, webhooks: true, realtime: true, streaming: false, push: true },
  serika: { cancel: false, list: true, webhooks: false, realtime: false, streaming: false, push: false },
};

describe("capabilities", { concurrency: true, timeout: 60_000 }, () => {
  for (const [p, caps] of Object.entries(CAPS)) {
    test(`${p} capabilities`, () => {
      const c = client(p);
      const got = c.capabilities;
      assert.equal(typeof got, "object");
      for (const [k, v] of Object.entries(caps)) assert.equal(got[k], v, `${p}.capabilities.${k}`);
    });
  }

  test("socaity cancel → CANCELLED, and the mock recorded the cancel", async () => {
    const c = client("socaity");
    // A minute long: the cancel surely comes while it runs.
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 60_000 })));
    await until(async () => (await c.get(job.id)).status === "PROCESSING", { what: "the job to be processing" });
    const cancelled = await c.cancel(job.id);
    assertJobShape(cancelled, "socaity");
    assert.equal(cancelled.id, job.id);
    assert.equal(cancelled.status, "CANCELLED");

    const seen = await mockJob(job.id);
    assert.equal(typeof seen.cancelled_at_ms, "number", `mock job ${JSON.stringify(seen)} has cancelled_at_ms`);

    const after = await c.get(job.id);
    assert.equal(after.status, "CANCELLED");
    const waited = await c.wait(job.id, { timeoutMs: 5000 });
    assert.equal(waited.status, "CANCELLED", "wait() on a cancelled job returns it");
  });

  test("socaity cancel during wait() ends the wait with CANCELLED", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 60_000 })));
    const updates = [];
    const polled = deferred();
    const waiting = c.wait(job.id, { timeoutMs: 8000, onUpdate: (j) => { updates.push(j.status); polled.resolve(); } });
    await polled.promise; // the wait has seen the job and polls on
    await c.cancel(job.id);
    const done = await waiting;
    assert.equal(done.status, "CANCELLED");
    assert.equal(updates.at(-1), "CANCELLED");
  });

  test("socaity cancel of a finished job leaves it FINISHED", async () => {
    const c = client("socaity");
    const job = await c.run(request("socaity", scenario({ queue_ms: 50, duration_ms: 200 })), { timeoutMs: 5000 });
    const again = await c.cancel(job.id);
    assert.equal(again.status, "FINISHED");
    const seen = await mockJob(job.id);
    assert.equal(seen.cancelled_at_ms ?? null, null, "the mock did not freeze a terminal job");
  });

  for (const p of ["serika", "optexity"]) {
    test(`${p} list() returns the submitted jobs`, async () => {
      const c = client(p);
      const a = await c.submit(request(p, scenario({ queue_ms: 50, duration_ms: 2000 })));
      const b = await c.submit(request(p, scenario({ queue_ms: 50, duration_ms: 2000 })));
      const jobs = await c.list();
      assert.ok(Array.isArray(jobs), "list() resolves to an array");
      for (const j of jobs) assertJobShape(j, p);
      const ids = jobs.map((j) => j.id);
      assert.ok(ids.includes(a.id), `list has ${a.id}`);
      assert.ok(ids.includes(b.id), `list has ${b.id}`);
    });
  }

  const unsupported = [
    ["optexity", "cancel"],
    ["deapi", "cancel"],
    ["serika", "cancel"],
    ["socaity", "list"],
    ["deapi", "list"],
  ];
  for (const [p, op] of unsupported) {
    test(`${p} ${op}() rejects UNSUPPORTED without a request`, async () => {
      const tag = uid();
      const f = countingFetch();
      const c = client(p, { fetch: f, headers: { "x-polyjob-test": tag } });
      const call = () => (op === "cancel" ? c.cancel(`job-${tag}`) : c.list());
      await assert.rejects(call, isPolyjobError("UNSUPPORTED", { provider: p }));
      assert.equal(f.calls.length, 0, `no fetch call made: ${JSON.stringify(f.calls)}`);
      assert.deepEqual(await requestsTagged("x-polyjob-test", tag), [], "the mock saw no request from this client");
    });
  }
});
