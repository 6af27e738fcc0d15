// Friction a new user met (issue 18), through the packed package: `wait`/`watch` take a Job (a
// terminal one needs no request, so a Socaity SYNC answer works in generic code); realtime with no
// WebSocket is a CONFIG error at construction, never a silent fallback; messages name the request,
// the job and the option involved, and `.cause` carries the host's error or the abort's reason.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { JobClient, client, request, scenario, countingFetch, isPolyjobError, KEY, MOCK, baseUrl, deferred } from "./helpers.mjs";

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

describe("every state says how it came", { timeout: 30_000 }, () => {
  test("submit, poll (get and a wait's polls), cancel, list, notify, webhook", async () => {
    const s = client("socaity");
    const updates = [];
    const job = await s.run(request("socaity", scenario({ duration_ms: 300 })), { onUpdate: (j) => updates.push(j.via) });
    assert.equal(updates[0], "submit");
    assert.ok(updates.slice(1).every((v) => v === "poll"), updates.join(" "));
    assert.equal((await s.get(job.id)).via, "poll");
    const running = await s.submit(request("socaity", scenario({ duration_ms: 5000 })));
    assert.equal(running.via, "submit");
    assert.equal((await s.cancel(running.id)).via, "cancel");
    const listed = await client("serika").list();
    assert.ok(listed.length > 0 && listed.every((j) => j.via === "list"));
    const d = client("deapi");
    const dj = await d.submit(request("deapi", scenario({ duration_ms: 5000 })));
    const seen = [];
    const ac = new AbortController();
    const reached = [deferred(), deferred(), deferred()]; // the 1st, 2nd, 3rd update
    const waiting = d.wait(dj.id, { signal: ac.signal, via: "poll", onUpdate: (j) => reached[seen.push(j.via) - 1]?.resolve() });
    await reached[0].promise;
    assert.equal(d.notify({ ...dj, status: "PROCESSING", progress: 0.5, via: null }), 1);
    assert.equal(d.notify({ ...dj, status: "PROCESSING", progress: 0.6, via: "webhook" }), 1);
    await reached[2].promise;
    ac.abort();
    await assert.rejects(waiting, isPolyjobError("ABORTED"));
    assert.deepEqual(seen.slice(-2), ["notify", "webhook"]);
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

/** A loopback port nothing listens on (bound, then released). */
async function closedPort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

describe("messages name the cause", { concurrency: true, timeout: 30_000 }, () => {
  test("a network failure names the method, the URL and the host's code; .cause is the host's error", async () => {
    const port = await closedPort();
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: `http://127.0.0.1:${port}/deapi`, maxRetries: 0 });
    await assert.rejects(c.submit({ task: "txt2img", input: { prompt: "x" } }), (e) => {
      isPolyjobError("NETWORK")(e);
      assert.ok(e.message.includes(`POST http://127.0.0.1:${port}/deapi/api/v1/client/txt2img`), e.message);
      assert.match(e.message, /ECONNREFUSED/);
      assert.ok(e.cause instanceof Error, "the host's error is the cause");
      assert.doesNotMatch(e.message, new RegExp(KEY));
      return true;
    });
  });

  test("a 404 from a baseUrl missing its provider path names the URL and says what to check", async () => {
    const wrong = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: MOCK, maxRetries: 0 });
    await assert.rejects(wrong.submit(request("serika", scenario())), (e) => {
      isPolyjobError("NOT_FOUND", { status: 404 })(e);
      assert.ok(e.message.includes(`POST ${MOCK}/jobs/images`), e.message);
      assert.match(e.message, /check baseUrl/);
      return true;
    });
    await assert.rejects(client("serika").get("job-nope"), (e) => isPolyjobError("NOT_FOUND")(e) && /GET .*\/serika\/jobs\/job-nope/.test(e.message) && /no such job/.test(e.message));
  });

  test("a wait's TIMEOUT names the job and timeoutMs; an abort's reason is the error's cause", async () => {
    const c = client("serika");
    const job = await c.submit(request("serika", scenario({ duration_ms: 20_000 })));
    await assert.rejects(c.wait(job.id, { timeoutMs: 200 }), (e) => isPolyjobError("TIMEOUT")(e) && e.message.includes(job.id) && /timeoutMs \(200 ms\)/.test(e.message) && /last status was/.test(e.message));
    const ac = new AbortController();
    const reason = new Error("user navigated away");
    // Aborted once the wait has polled (its first update), on the next turn.
    const waiting = c.wait(job.id, { signal: ac.signal, onUpdate: () => setImmediate(() => ac.abort(reason)) });
    await assert.rejects(waiting, (e) => isPolyjobError("ABORTED")(e) && e.cause === reason);
    const ac2 = new AbortController();
    ac2.abort("string reason");
    await assert.rejects(c.get(job.id, { signal: ac2.signal }), (e) => isPolyjobError("ABORTED")(e) && e.cause === "string reason");
  });
});
