// Error mapping: HTTP statuses → codes, CONFIG, TIMEOUT, ABORTED, transport failures.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PROVIDERS, JobClient, client, request, scenario, uid, countingFetch, signalOf, requestsTagged,
  isPolyjobError, baseUrl, assertPollingStopped, deferred, nextTurn,
} from "./helpers.mjs";

const MSG_401 = { socaity: "Invalid API key.", optexity: "Invalid API key", deapi: "Unauthorized user.", serika: "Invalid API key provided." };
const MSG_404 = { socaity: "Job not found.", optexity: "Task not found", deapi: "Request not found.", serika: "Job not found" };

/** A fetch that answers every call with a synthetic response (or delegates after `n` fakes). */
function fakeFetch(make, { delegateAfter = Infinity } = {}) {
  const inner = countingFetch((input, init) => {
    if (inner.calls.length > delegateAfter) return globalThis.fetch(input, init);
    return Promise.resolve(make());
  });
  return inner;
}
const json = (status, body, headers = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** Runs `script` (an ES module) in a child Node; resolves with its exit. `timeout` only bounds a hang. */
async function runChild(script, timeout) {
  const { execFile } = await import("node:child_process");
  // Not spawnSync: the other tests of this file run concurrently and need the event loop.
  return new Promise((resolve) => execFile(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout, env: process.env },
    (error, stdout, stderr) => resolve({ code: error ? error.code ?? 1 : 0, signal: error?.signal ?? null, killed: Boolean(error?.killed), stdout, stderr })));
}

describe("errors", { concurrency: true, timeout: 60_000 }, () => {
  for (const p of PROVIDERS) {
    test(`${p}: wrong key → UNAUTHORIZED 401, key not in the message`, async () => {
      const key = `wrong-key-${uid()}-s3cr3t`;
      const c = client(p, { apiKey: key });
      await assert.rejects(c.submit(request(p)), (err) => {
        isPolyjobError("UNAUTHORIZED", { status: 401, provider: p, retryable: false })(err);
        assert.ok(!err.message.includes(key), `the key leaked into the message: ${err.message}`);
        assert.ok(!String(err.stack).includes(key), "the key leaked into the stack");
        assert.ok(err.message.includes(MSG_401[p]), `message ${JSON.stringify(err.message)} includes ${JSON.stringify(MSG_401[p])}`);
        return true;
      });
    });

    test(`${p}: get(unknown id) → NOT_FOUND 404`, async () => {
      const c = client(p);
      const id = `00000000-0000-4000-8000-${uid()}0000`;
      await assert.rejects(c.get(id), (err) => {
        isPolyjobError("NOT_FOUND", { status: 404, provider: p, retryable: false })(err);
        assert.ok(err.message.includes(MSG_404[p]), `message ${JSON.stringify(err.message)} includes ${JSON.stringify(MSG_404[p])}`);
        return true;
      });
    });

    test(`${p}: wait(unknown id) rejects NOT_FOUND instead of polling on`, async () => {
      const c = client(p);
      await assert.rejects(c.wait(`missing-${uid()}`, { timeoutMs: 5000 }), isPolyjobError("NOT_FOUND", { status: 404 }));
    });
  }

  test("a short call's rejection carries the caller's stack, not wasm frames", async () => {
    async function cancelMissingJob() {
      return client("socaity").cancel("job_that_does_not_exist");
    }
    const err = await cancelMissingJob().then(() => null, (e) => e);
    assert.equal(err?.code, "NOT_FOUND", String(err));
    const lines = err.stack.split("\n");
    assert.equal(lines[0], `PolyjobError: ${err.message}`);
    assert.match(lines[1], /cancelMissingJob/, err.stack);
    assert.match(err.stack, /errors\.test\.mjs/);
    assert.doesNotMatch(err.stack, /wasm:\/\/|wasm-function/);
    // A synchronous CONFIG error is thrown where the call is made, too.
    const bad = await (async function submitWithoutModel() { return client("socaity").submit({ input: {} }); })().then(() => null, (e) => e);
    assert.equal(bad?.code, "CONFIG");
    assert.match(bad.stack, /submitWithoutModel/);
  });

  test("deapi: txt2img without prompt → VALIDATION 422 with the provider's message", async () => {
    const c = client("deapi");
    const req = request("deapi");
    delete req.input.prompt;
    await assert.rejects(c.submit(req), (err) => {
      isPolyjobError("VALIDATION", { status: 422, provider: "deapi", retryable: false })(err);
      assert.ok(err.message.includes("The prompt field is required."), `message: ${err.message}`);
      return true;
    });
  });

  test("serika: image job without prompt → VALIDATION", async () => {
    const c = client("serika");
    const req = request("serika");
    delete req.input.prompt;
    await assert.rejects(c.submit(req), isPolyjobError("VALIDATION", { provider: "serika" }));
  });

  describe("CONFIG is thrown synchronously", () => {
    const bad = {
      "unknown provider": { provider: "nope", apiKey: "test-key" },
      "missing provider": { apiKey: "test-key" },
      "baseUrl not a URL": { provider: "socaity", apiKey: "test-key", baseUrl: "not a url" },
      "fetch not a function": { provider: "serika", apiKey: "test-key", baseUrl: baseUrl("serika"), fetch: 42 },
    };
    for (const [name, opts] of Object.entries(bad)) {
      test(name, () => {
        assert.throws(() => new JobClient(opts), isPolyjobError("CONFIG", { status: null, retryable: false }));
      });
    }
    test("no options at all", () => {
      assert.throws(() => new JobClient(), isPolyjobError("CONFIG"));
    });
  });

  test("wait({timeoutMs}) → TIMEOUT, and polling stops", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 5000 })));
    const t0 = Date.now();
    const err = await c.wait(job.id, { timeoutMs: 250 }).then(() => assert.fail("the wait resolved"), (e) => e);
    const took = Date.now() - t0;
    assert.ok(isPolyjobError("TIMEOUT", { status: null })(err));
    // Not before the deadline; and the deadline ended it, not the job's end (5 s): the job as last
    // seen, if a poll answered in time (not sure on a loaded machine), is still running.
    assert.ok(took >= 240, `wait timed out after ${took} ms (asked 250)`);
    assert.ok(!err.job || ["PENDING", "QUEUED", "PROCESSING"].includes(err.job.status), `last seen ${err.job?.status}`);
    await assertPollingStopped("socaity", job.id);
  });

  test("wait({timeoutMs}) cuts a hanging status request at the deadline, with the last job attached", { timeout: 10_000 }, async () => {
    // The first status request answers PROCESSING; the next ones never answer. The wait's
    // deadline (a point in time, not a timer of its own) must cut that request, not the
    // 60 s per-request timeout, and report the job as last seen.
    let calls = 0;
    const signals = [];
    const hung = deferred();
    const f = (input, init) => {
      calls += 1;
      if (calls === 2) hung.resolve();
      if (calls === 1) {
        return Promise.resolve(new Response(JSON.stringify({ job_id: "dl-1", status: "PROCESSING", progress: 0.25, result: null, error: null }), { status: 200, headers: { "content-type": "application/json" } }));
      }
      return new Promise((_, reject) => {
        const s = signalOf(input, init);
        signals.push(s);
        if (s) s.addEventListener("abort", () => reject(s.reason ?? new DOMException("aborted", "AbortError")));
      });
    };
    // Polls 10 ms apart: the second one is sent right after the first answer, long before the deadline.
    const c = client("socaity", { fetch: f, pollIntervalMs: 10, maxPollIntervalMs: 10, requestTimeoutMs: 60_000, maxRetries: 0 });
    // A real hanging request holds a socket that keeps Node running; this fake one holds
    // nothing, and polyjob's request timers are unref'd by design.
    const keepAlive = setInterval(() => {}, 1000);
    const t0 = Date.now();
    const order = [];
    hung.promise.then(() => order.push("hung"));
    const err = await c.wait("dl-1", { timeoutMs: 1500 }).then(() => assert.fail("the wait resolved"), (e) => e);
    order.push("settled");
    clearInterval(keepAlive);
    const took = Date.now() - t0;
    assert.ok(isPolyjobError("TIMEOUT")(err), `${err?.code}: ${err?.message}`);
    assert.match(err.message, /did not finish within timeoutMs \(1500 ms\)/);
    // Not before the deadline; and by the deadline, not the 60 s request timeout (beyond this
    // test's 10 s): the request was hanging when the wait ended, and its signal fired.
    assert.ok(took >= 1450, `the wait ended after ${took} ms (asked 1500)`);
    assert.deepEqual(order, ["hung", "settled"], "the second status request was sent and hung before the wait ended");
    assert.equal(err.job?.status, "PROCESSING", "the job as last seen is attached");
    assert.equal(calls, 2, "one answered status request, one hanging");
    assert.ok(signals.length === 1 && signals[0]?.aborted, "the hanging request's signal fired");
  });

  test("a caller's signal still aborts a wait that has a deadline (ABORTED, not TIMEOUT)", { timeout: 10_000 }, async () => {
    let calls = 0;
    const f = () => { calls += 1; return Promise.resolve(new Response(JSON.stringify({ job_id: "dl-2", status: "QUEUED", progress: null, result: null, error: null }), { status: 200, headers: { "content-type": "application/json" } })); };
    // The next poll is a minute away, the deadline too: only the abort can end the wait within
    // this test's 10 s.
    const c = client("socaity", { fetch: f, pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
    const ac = new AbortController();
    const parked = deferred();
    const waiting = c.wait("dl-2", { signal: ac.signal, timeoutMs: 60_000, onUpdate: () => parked.resolve() });
    await parked.promise; // the first poll answered: the wait sleeps until its next poll
    ac.abort();
    await assert.rejects(waiting, isPolyjobError("ABORTED"));
    assert.equal(calls, 1, "the abort ended the parked wait, not a later poll");
  });

  test("run({timeoutMs}) → TIMEOUT", async () => {
    const c = client("serika");
    await assert.rejects(
      c.run(request("serika", scenario({ queue_ms: 50, duration_ms: 5000 })), { timeoutMs: 300 }),
      isPolyjobError("TIMEOUT"),
    );
  });

  test("AbortSignal during wait() → ABORTED, and polling stops", async () => {
    const c = client("deapi");
    const job = await c.submit(request("deapi", scenario({ queue_ms: 50, duration_ms: 5000 })));
    const ac = new AbortController();
    const polled = deferred();
    // Aborted once the wait has polled; ABORTED, not the job's end (FINISHED after 5 s) nor the deadline.
    const waiting = c.wait(job.id, { signal: ac.signal, timeoutMs: 8000, onUpdate: () => polled.resolve() });
    await polled.promise;
    ac.abort();
    await assert.rejects(waiting, isPolyjobError("ABORTED", { provider: "deapi" }));
    await assertPollingStopped("deapi", job.id);
  });

  test("AbortSignal during run() → ABORTED", async () => {
    const c = client("optexity");
    const ac = new AbortController();
    // Aborted at the first update (the job submitted and running), long before its 5 s end.
    await assert.rejects(
      c.run(request("optexity", scenario({ queue_ms: 50, duration_ms: 5000 })), { signal: ac.signal, onUpdate: () => setImmediate(() => ac.abort()) }),
      isPolyjobError("ABORTED"),
    );
  });

  test("an already-aborted signal: submit() → ABORTED, nothing reaches the mock", async () => {
    const tag = uid();
    const f = countingFetch();
    const c = client("socaity", { fetch: f, headers: { "x-polyjob-test": tag } });
    await assert.rejects(c.submit(request("socaity"), { signal: AbortSignal.abort() }), isPolyjobError("ABORTED"));
    // fetch was never called, so nothing can still be on its way to the mock.
    assert.equal(f.calls.length, 0, `fetch calls: ${JSON.stringify(f.calls)}`);
    assert.deepEqual(await requestsTagged("x-polyjob-test", tag), []);
  });

  test("an already-aborted signal: get() → ABORTED", async () => {
    const c = client("serika");
    const job = await c.submit(request("serika"));
    await assert.rejects(c.get(job.id, { signal: AbortSignal.abort() }), isPolyjobError("ABORTED"));
  });

  test("unreachable server → NETWORK", { timeout: 20_000 }, async () => {
    const c = client("socaity", { baseUrl: "http://127.0.0.1:9/socaity", maxRetries: 0 });
    await assert.rejects(c.get("abc"), isPolyjobError("NETWORK", { status: null, provider: "socaity" }));
  });

  test("fetch throwing → NETWORK", async () => {
    const c = client("serika", { maxRetries: 0, fetch: () => Promise.reject(new TypeError("fetch failed")) });
    await assert.rejects(c.get("job-x"), isPolyjobError("NETWORK"));
  });

  test("403 → FORBIDDEN", async () => {
    const f = fakeFetch(json(403, { detail: "Key lacks required permission." }));
    const c = client("socaity", { fetch: f, maxRetries: 0 });
    await assert.rejects(c.get("job-x"), (err) => {
      isPolyjobError("FORBIDDEN", { status: 403, retryable: false })(err);
      assert.ok(err.message.includes("Key lacks required permission."), err.message);
      return true;
    });
  });

  test("a non-2xx answer's retry advice reaches the error: retry-after-ms, then Retry-After in seconds", async () => {
    const ms = client("deapi", { fetch: fakeFetch(json(429, { message: "slow down" }, { "retry-after-ms": "1234", "retry-after": "9" })), maxRetries: 0 });
    await assert.rejects(ms.get("abc"), (err) => {
      isPolyjobError("RATE_LIMITED", { status: 429 })(err);
      assert.equal(err.retryAfterMs, 1234, "retry-after-ms wins over Retry-After");
      return true;
    });
    const s = client("socaity", { fetch: fakeFetch(json(503, { detail: "Cold start." }, { "retry-after": "2" })), maxRetries: 0 });
    await assert.rejects(s.get("abc"), (err) => {
      isPolyjobError("UNAVAILABLE", { status: 503 })(err);
      assert.equal(err.retryAfterMs, 2000);
      return true;
    });
  });

  test("a 2xx answer: only its content type is read among the headers (each read costs time per poll)", async () => {
    const read = [];
    const f = fakeFetch(() => {
      const res = new Response(JSON.stringify({ job_id: "abc", status: "PROCESSING" }), { status: 200, headers: { "content-type": "application/json", "retry-after": "5", location: "/elsewhere" } });
      const get = res.headers.get.bind(res.headers);
      res.headers.get = (name) => { read.push(name.toLowerCase()); return get(name); };
      return res;
    });
    const job = await client("socaity", { fetch: f, maxRetries: 0 }).get("abc");
    assert.equal(job.status, "PROCESSING");
    assert.deepEqual(read.filter((n) => n !== "content-length").sort(), ["content-type"]);
  });

  test("429 with Retry-After → RATE_LIMITED (retryable), attempts counted", { timeout: 20_000 }, async () => {
    const f = fakeFetch(json(429, { data: null, message: "Too Many Attempts.", errors: [], statusCode: 429 }, { "retry-after": "0", "x-ratelimit-type": "rpm" }));
    const c = client("deapi", { fetch: f, maxRetries: 1 });
    await assert.rejects(c.get("abc"), (err) => {
      isPolyjobError("RATE_LIMITED", { status: 429, retryable: true, provider: "deapi" })(err);
      assert.ok(err.message.includes("Too Many Attempts."), err.message);
      assert.equal(err.attempts, f.calls.length, "err.attempts equals the requests made");
      assert.ok(err.attempts >= 1 && err.attempts <= 2, `attempts ${err.attempts} with maxRetries 1`);
      return true;
    });
  });

  test("503 → UNAVAILABLE (retryable) once retries are spent", { timeout: 30_000 }, async () => {
    const f = fakeFetch(json(503, { detail: "Cold start." }, { "retry-after": "0" }));
    const c = client("socaity", { fetch: f, maxRetries: 1 });
    await assert.rejects(c.get("abc"), (err) => {
      isPolyjobError("UNAVAILABLE", { status: 503, retryable: true })(err);
      assert.equal(err.attempts, f.calls.length);
      assert.ok(err.attempts <= 2, `at most 1 + maxRetries attempts, got ${err.attempts}`);
      return true;
    });
  });

  test("a 503 then success: get() is retried and succeeds", { timeout: 30_000 }, async () => {
    const real = client("socaity");
    const job = await real.submit(request("socaity", scenario({ duration_ms: 3000 })));
    const f = fakeFetch(json(503, { detail: "Cold start." }, { "retry-after": "0" }), { delegateAfter: 1 });
    const c = client("socaity", { fetch: f, maxRetries: 3 });
    const got = await c.get(job.id);
    assert.equal(got.id, job.id);
    assert.equal(f.calls.length, 2, "one failed attempt, one good one");
  });

  test("500 → SERVER", { timeout: 20_000 }, async () => {
    const f = fakeFetch(json(500, { error: { message: "Internal failure", type: "server_error", code: "internal" } }));
    const c = client("serika", { fetch: f, maxRetries: 0 });
    await assert.rejects(c.get("job-x"), isPolyjobError("SERVER", { status: 500 }));
  });

  test("200 with a body that is not JSON → BAD_RESPONSE", async () => {
    const f = fakeFetch(() => new Response("<html>gateway</html>", { status: 200, headers: { "content-type": "text/html" } }));
    const c = client("optexity", { fetch: f, maxRetries: 0 });
    await assert.rejects(c.get("abc"), isPolyjobError("BAD_RESPONSE", { provider: "optexity" }));
  });

  test("requestTimeoutMs on a hanging request → TIMEOUT", { timeout: 10_000 }, async () => {
    const signals = [];
    const hanging = (input, init) =>
      new Promise((_, reject) => {
        const s = signalOf(input, init);
        signals.push(s);
        if (s) s.addEventListener("abort", () => reject(s.reason ?? new DOMException("aborted", "AbortError")));
      });
    const c = client("deapi", { fetch: hanging, requestTimeoutMs: 150, maxRetries: 0 });
    // The fake request holds no socket, and polyjob's timeout timer is unref'd by design.
    const keepAlive = setInterval(() => {}, 1000);
    await assert.rejects(c.get("abc"), isPolyjobError("TIMEOUT"));
    clearInterval(keepAlive);
    // Nothing but the request timeout could end a request that never answers.
    assert.ok(signals.length === 1 && signals[0]?.aborted, "the hanging request's signal fired");
  });

  test("per-request timeouts fire per request; answered requests are never cut, and no request's signal is reused", { timeout: 15_000 }, async () => {
    // Requests to ids starting with "hang" never answer; the others answer at once. Each request
    // gets its own AbortController: a signal a fetch keeps (logging, tracing, a long-lived body)
    // never fires later for somebody else's request.
    const hanging = [];
    const answered = [];
    const mixed = (input, init) => {
      const s = signalOf(input, init);
      if (!String(input).includes("/hang")) {
        answered.push(s);
        return Promise.resolve(json(200, { status: "processing", progress: 10 })());
      }
      hanging.push(s);
      return new Promise((_, reject) => s.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    };
    // Only lower bounds and an order are asserted (timers never fire early; a loaded machine
    // may fire them late): the 200 ms timeout must not wait for the 3 s one.
    const slow = client("deapi", { fetch: mixed, requestTimeoutMs: 3000, maxRetries: 0 });
    const fast = client("deapi", { fetch: mixed, requestTimeoutMs: 200, maxRetries: 0 });
    // Real hanging requests hold sockets that keep Node running; these fakes hold nothing,
    // and polyjob's timeout timer is unref'd by design.
    const keepAlive = setInterval(() => {}, 1000);
    const t0 = Date.now();
    const settled = await Promise.allSettled([
      slow.get("hang-a").then(() => "ok", (e) => [e.code, Date.now() - t0]),
      fast.get("hang-b").then(() => "ok", (e) => [e.code, Date.now() - t0]),
      ...Array.from({ length: 40 }, (_, i) => fast.get(`ok-${i}`).then((j) => j.status)),
    ]);
    clearInterval(keepAlive);
    const [a, b, ...rest] = settled.map((r) => r.value);
    assert.equal(b[0], "TIMEOUT");
    assert.equal(a[0], "TIMEOUT");
    assert.ok(b[1] >= 150, `the 200 ms timeout fired after ${b[1]} ms`);
    assert.ok(a[1] >= 2900, `the 3 s timeout fired after ${a[1]} ms`);
    assert.ok(b[1] < a[1], `the 200 ms timeout (${b[1]} ms) fired before the 3 s one (${a[1]} ms)`);
    assert.deepEqual(new Set(rest), new Set(["PROCESSING"]));
    // Requests after the timeouts still work; the two hanging requests' signals fired.
    assert.equal((await fast.get("ok-late")).status, "PROCESSING");
    assert.equal(hanging.length, 2);
    assert.ok(hanging.every((s) => s.aborted), "both hanging requests were aborted");
    assert.equal(new Set([...answered, ...hanging]).size, answered.length + 2, "every request had its own signal");
    assert.ok(answered.every((s) => !s.aborted), "no answered request's signal ever fired");
  });

  test("an idle client does not keep Node running (the timeout timer is unref'd)", { timeout: 20_000 }, async () => {
    const { fileURLToPath } = await import("node:url");
    const helpers = fileURLToPath(new URL("./helpers.mjs", import.meta.url));
    const script = `
      const { JobClient, baseUrl, KEY } = await import(${JSON.stringify(helpers)});
      const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: baseUrl("socaity"), requestTimeoutMs: 60000 });
      await c.get("no-such-job").catch((e) => process.stdout.write(e.code));`;
    // A live 60 s timer would keep the child past the 15 s bound, which kills it.
    const r = await runChild(script, 15_000);
    assert.equal(r.stdout, "NOT_FOUND", r.stderr);
    assert.deepEqual([r.code, r.signal, r.killed], [0, null, false], `the child exited on its own after its last request (${r.stderr})`);
  });

  // Sleeps share one host timer (a heap of deadlines in wasm) and one abort listener per signal.
  test("many waits on one signal: one abort listener, all reject ABORTED at once, no timer left", { timeout: 20_000 }, async () => {
    const { getEventListeners } = await import("node:events");
    const running = json(200, { id: "j", status: "PROCESSING", progress: 0.1 });
    const f = fakeFetch(running);
    const c = new JobClient({ provider: "socaity", apiKey: "k", baseUrl: baseUrl("socaity"), fetch: f, pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
    const ac = new AbortController();
    let updated = 0;
    const allPolled = deferred();
    const onUpdate = () => { if (++updated === 200) allPolled.resolve(); };
    const waits = Array.from({ length: 200 }, (_, k) => c.wait(`job-${k}`, { signal: ac.signal, onUpdate }).then(() => "resolved", (e) => e.code));
    await allPolled.promise; // every wait has polled once ...
    await nextTurn(); // ... and gone to sleep for a minute
    assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener for the 200 sleeping waits");
    ac.abort();
    // A minute's sleep outlasts this test's 20 s: only the abort can end them.
    const codes = await Promise.all(waits);
    assert.deepEqual(new Set(codes), new Set(["ABORTED"]));
    assert.equal(f.calls.length, 200, "no wait polled again: the abort woke them from their sleep");
  });

  test("many in-flight requests on one signal: one abort listener, each fetch aborted, all reject ABORTED", { timeout: 20_000 }, async () => {
    const { getEventListeners } = await import("node:events");
    // A fetch that never answers, like a hung server; it rejects when its signal fires.
    let aborted = 0;
    let sent = 0;
    const allSent = deferred();
    const hang = (_url, init) => new Promise((_resolve, reject) => {
      if (++sent === 200) allSent.resolve();
      init.signal.addEventListener("abort", () => { aborted++; reject(new DOMException("aborted", "AbortError")); }, { once: true });
    });
    // The cap raised to 200 so that all of them are in flight (32 by default: the rest would wait).
    const c = new JobClient({ provider: "socaity", apiKey: "k", baseUrl: baseUrl("socaity"), fetch: hang, maxRetries: 0, maxConcurrentRequests: 200 });
    const ac = new AbortController();
    const gets = Array.from({ length: 200 }, (_, k) => c.get(`job-${k}`, { signal: ac.signal }).then(() => "resolved", (e) => e.code));
    await allSent.promise; // every request is in flight
    assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener for the 200 requests");
    ac.abort();
    const codes = await Promise.all(gets);
    assert.deepEqual(new Set(codes), new Set(["ABORTED"]));
    assert.equal(aborted, 200, "every request's own signal fired");
  });

  test("sleeps wake in deadline order whatever their start order; a dropped sleep keeps nothing alive", { timeout: 30_000 }, async () => {
    const { fileURLToPath } = await import("node:url");
    const helpers = fileURLToPath(new URL("./helpers.mjs", import.meta.url));
    // In a child process: a 600 ms and a 200 ms poll interval started in that order must wake
    // 200 first; once both have polled again, they are aborted; then a wait parked for a minute
    // (after its first poll) is aborted, and the process must exit on its own (the timers are
    // cleared once no sleep is left). Each step waits for the polls it needs, not for a time.
    const script = `
      const { JobClient } = await import(${JSON.stringify(helpers)});
      const body = JSON.stringify({ id: "j", status: "PROCESSING" });
      const times = { slow: [], fast: [], parked: [] };
      const want = { slow: 2, fast: 3, parked: 1 };
      const reached = {};
      for (const name in want) { let r; reached[name] = new Promise((res) => { r = res; }); reached[name].resolve = r; }
      const make = (ms, name) => new JobClient({ provider: "socaity", apiKey: "k", baseUrl: "http://127.0.0.1:9/s", pollIntervalMs: ms, maxPollIntervalMs: ms,
        fetch: () => { if (times[name].push(Date.now()) === want[name]) reached[name].resolve(); return Promise.resolve(new Response(body, { status: 200 })); } });
      const t0 = Date.now();
      const slow = make(600, "slow"), fast = make(200, "fast");
      const a1 = new AbortController(), a2 = new AbortController();
      slow.wait("a", { signal: a1.signal }).catch(() => {});
      fast.wait("b", { signal: a2.signal }).catch(() => {});
      await Promise.all([reached.slow, reached.fast]);
      a1.abort(); a2.abort();
      const parked = make(60000, "parked"), a3 = new AbortController();
      let asleep;
      const updated = new Promise((r) => { asleep = r; });
      const w = parked.wait("c", { signal: a3.signal, onUpdate: () => asleep() }).catch((e) => e.code);
      await updated;
      await new Promise((r) => setImmediate(r));
      a3.abort();
      process.stdout.write(JSON.stringify({ code: await w, slow: times.slow.map((t) => t - t0), fast: times.fast.map((t) => t - t0), parked: times.parked.length }));`;
    // 20 s bounds a hang only: a 60 s sleep left armed would keep the child alive until killed.
    const r = await runChild(script, 20_000);
    assert.deepEqual([r.code, r.signal, r.killed], [0, null, false], `the child exited on its own (the 60 s sleep was aborted): ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.code, "ABORTED");
    assert.equal(out.parked, 1, "the parked wait polled once, then slept until the abort");
    // First poll at once, then every interval: fast polled again at >= 200 ms, before slow's 2nd.
    assert.ok(out.fast.length >= 3, `fast polled ${out.fast.length} times`);
    assert.ok(out.slow.length >= 2, `slow polled ${out.slow.length} times`);
    assert.ok(out.fast[1] - out.fast[0] >= 190, `fast's second poll came after ${out.fast[1] - out.fast[0]} ms`);
    assert.ok(out.slow[1] - out.slow[0] >= 590, `slow's second poll came after ${out.slow[1] - out.slow[0]} ms`);
    assert.ok(out.fast[1] < out.slow[1], "the earlier deadline woke first");
  });
});
