// Friction a new user met (issue 18), through the packed package: `wait`/`watch` take a Job (a
// terminal one needs no request, so a Socaity SYNC answer works in generic code); realtime with no
// WebSocket is a CONFIG error at construction, never a silent fallback.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JobClient, client, request, scenario, countingFetch, isPolyjobError, KEY, baseUrl } from "./helpers.mjs";

describe("wait and watch take a Job", { concurrency: true, timeout: 30_000 }, () => {
  test("a terminal job resolves at once with no request; onUpdate sees it once", async () => {
    const f = countingFetch();
    const c = client("socaity", { fetch: f });
    const sync = await c.submit(request("socaity", scenario({ sync: true, queue_ms: 0, duration_ms: 50 })));
    assert.equal(sync.status, "FINISHED");
    assert.equal(sync.id, "", "a SYNC answer has no remote job");
    const sent = f.calls.length;
    const updates = [];
    const done = await c.wait(sync, { onUpdate: (j) => updates.push(j.status) });
    assert.equal(done.status, "FINISHED");
    assert.deepEqual(done.result, sync.result);
    assert.deepEqual(updates, ["FINISHED"]);
    const seen = [];
    for await (const j of c.watch(sync)) seen.push(j.status);
    assert.deepEqual(seen, ["FINISHED"]);
    assert.equal(f.calls.length, sent, "no request for a job already terminal");
  });

  test("a running job is followed from the state given, to its end", async () => {
    for (const provider of ["deapi", "serika"]) {
      const c = client(provider);
      const submitted = await c.submit(request(provider, scenario({ duration_ms: 300 })));
      const updates = [];
      const done = await c.wait(submitted, { onUpdate: (j) => updates.push(j.status), timeoutMs: 10_000 });
      assert.equal(done.status, "FINISHED", provider);
      assert.equal(done.id, submitted.id);
      assert.equal(updates[0], submitted.status, `${provider}: the given state comes first`);
      const watched = [];
      for await (const j of c.watch(done)) watched.push(j.status);
      assert.deepEqual(watched, ["FINISHED"]);
    }
  });

  test("a job of another provider, or a running job without an id, rejects CONFIG", async () => {
    const c = client("deapi");
    const serikaJob = await client("serika").submit(request("serika", scenario()));
    await assert.rejects(c.wait(serikaJob), isPolyjobError("CONFIG"));
    assert.throws(() => c.watch(serikaJob), isPolyjobError("CONFIG"));
    const noId = { ...serikaJob, provider: "deapi", id: "" };
    await assert.rejects(c.wait(noId), (e) => isPolyjobError("CONFIG")(e) && /job\.id/.test(e.message));
    await assert.rejects(c.wait(42), isPolyjobError("CONFIG"));
    await assert.rejects(c.wait(""), isPolyjobError("CONFIG"));
  });
});

describe("realtime needs a WebSocket", () => {
  test("configured realtime without any WebSocket throws CONFIG at construction, saying what to do", () => {
    const saved = globalThis.WebSocket;
    try {
      delete globalThis.WebSocket;
      assert.equal(typeof globalThis.WebSocket, "undefined");
      assert.throws(
        () => new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi"), realtime: { clientId: "1001" } }),
        (e) => isPolyjobError("CONFIG")(e) && /realtime\.WebSocket/.test(e.message) && /--experimental-websocket/.test(e.message),
      );
      // Passing a constructor is enough.
      const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: baseUrl("deapi"), realtime: { clientId: "1001", WebSocket: saved ?? class {} } });
      assert.equal(c.capabilities.realtime, true);
    } finally {
      if (saved !== undefined) globalThis.WebSocket = saved;
    }
  });
});

describe("poll interval options", () => {
  test("pollIntervalMs and maxPollIntervalMs must be positive finite numbers", () => {
    for (const bad of [0, -1, NaN, Infinity, "500"]) {
      assert.throws(() => new JobClient({ provider: "serika", pollIntervalMs: bad }), isPolyjobError("CONFIG"), String(bad));
      assert.throws(() => new JobClient({ provider: "serika", maxPollIntervalMs: bad }), isPolyjobError("CONFIG"), String(bad));
    }
  });
});
