// Error mapping: HTTP statuses → codes, CONFIG, TIMEOUT, ABORTED, transport failures.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PROVIDERS, JobClient, client, request, scenario, uid, countingFetch, signalOf, requestsTagged, mockJob,
  isPolyjobError, sleep, baseUrl,
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

/** Asserts the mock stops being polled for `id` (no request leaked after the call ended). */
async function assertPollingStopped(id) {
  await sleep(150);
  const a = (await mockJob(id)).status_requests;
  await sleep(400);
  const b = (await mockJob(id)).status_requests;
  assert.equal(b, a, `status requests for ${id} kept coming after the call ended (${a} → ${b})`);
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
    await assert.rejects(c.wait(job.id, { timeoutMs: 250 }), isPolyjobError("TIMEOUT", { status: null }));
    const took = Date.now() - t0;
    assert.ok(took >= 200 && took < 3000, `wait timed out after ${took} ms (asked 250)`);
    await assertPollingStopped(job.id);
  });

  test("wait({timeoutMs}) cuts a hanging status request at the deadline, with the last job attached", { timeout: 10_000 }, async () => {
    // The first status request answers PROCESSING; the next ones never answer. The wait's
    // deadline (a point in time, not a timer of its own) must cut that request, not the
    // 60 s per-request timeout, and report the job as last seen.
    let calls = 0;
    const signals = [];
    const f = (input, init) => {
      calls += 1;
      if (calls === 1) {
        return Promise.resolve(new Response(JSON.stringify({ job_id: "dl-1", status: "PROCESSING", progress: 0.25, result: null, error: null }), { status: 200, headers: { "content-type": "application/json" } }));
      }
      return new Promise((_, reject) => {
        const s = signalOf(input, init);
        signals.push(s);
        if (s) s.addEventListener("abort", () => reject(s.reason ?? new DOMException("aborted", "AbortError")));
      });
    };
    const c = client("socaity", { fetch: f, pollIntervalMs: 100, requestTimeoutMs: 60_000, maxRetries: 0 });
    // A real hanging request holds a socket that keeps Node running; this fake one holds
    // nothing, and polyjob's request timers are unref'd by design.
    const keepAlive = setInterval(() => {}, 1000);
    const t0 = Date.now();
    // 1.5 s: room for the second poll (due ~100-500 ms in) even on a loaded machine.
    const err = await c.wait("dl-1", { timeoutMs: 1500 }).then(() => assert.fail("the wait resolved"), (e) => e);
    clearInterval(keepAlive);
    const took = Date.now() - t0;
    assert.ok(isPolyjobError("TIMEOUT")(err), `${err?.code}: ${err?.message}`);
    assert.match(err.message, /did not finish within timeoutMs \(1500 ms\)/);
    assert.ok(took >= 1450 && took < 5000, `the wait ended after ${took} ms (asked 1500)`);
    assert.equal(err.job?.status, "PROCESSING", "the job as last seen is attached");
    assert.ok(calls >= 2, "the second status request was sent and hung");
    assert.ok(signals.every((s) => s?.aborted), "the hanging request's signal fired");
  });

  test("a caller's signal still aborts a wait that has a deadline (ABORTED, not TIMEOUT)", { timeout: 10_000 }, async () => {
    const f = () => Promise.resolve(new Response(JSON.stringify({ job_id: "dl-2", status: "QUEUED", progress: null, result: null, error: null }), { status: 200, headers: { "content-type": "application/json" } }));
    const c = client("socaity", { fetch: f, pollIntervalMs: 5_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const t0 = Date.now();
    await assert.rejects(c.wait("dl-2", { signal: ac.signal, timeoutMs: 60_000 }), isPolyjobError("ABORTED"));
    assert.ok(Date.now() - t0 < 2000, "the abort ended the parked wait promptly");
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
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    await assert.rejects(c.wait(job.id, { signal: ac.signal, timeoutMs: 8000 }), isPolyjobError("ABORTED", { provider: "deapi" }));
    assert.ok(Date.now() - t0 < 2000, "the abort ended the wait promptly");
    await assertPollingStopped(job.id);
  });

  test("AbortSignal during run() → ABORTED", async () => {
    const c = client("optexity");
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(
      c.run(request("optexity", scenario({ queue_ms: 50, duration_ms: 5000 })), { signal: ac.signal }),
      isPolyjobError("ABORTED"),
    );
  });

  test("an already-aborted signal: submit() → ABORTED, nothing reaches the mock", async () => {
    const tag = uid();
    const c = client("socaity", { headers: { "x-polyjob-test": tag } });
    await assert.rejects(c.submit(request("socaity"), { signal: AbortSignal.abort() }), isPolyjobError("ABORTED"));
    await sleep(100);
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
    const hanging = (input, init) =>
      new Promise((_, reject) => {
        const s = signalOf(input, init);
        if (s) s.addEventListener("abort", () => reject(s.reason ?? new DOMException("aborted", "AbortError")));
      });
    const c = client("deapi", { fetch: hanging, requestTimeoutMs: 150, maxRetries: 0 });
    const t0 = Date.now();
    await assert.rejects(c.get("abc"), isPolyjobError("TIMEOUT"));
    assert.ok(Date.now() - t0 < 3000);
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
    const { spawnSync } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const helpers = fileURLToPath(new URL("./helpers.mjs", import.meta.url));
    const script = `
      const { JobClient, baseUrl, KEY } = await import(${JSON.stringify(helpers)});
      const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: baseUrl("socaity"), requestTimeoutMs: 60000 });
      await c.get("no-such-job").catch((e) => process.stdout.write(e.code));`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 15_000, env: process.env });
    assert.equal(r.stdout, "NOT_FOUND", r.stderr);
    assert.ok(Date.now() - t0 < 10_000, `the process lingered ${Date.now() - t0} ms after its last request`);
  });

  // Sleeps share one host timer (a heap of deadlines in wasm) and one abort listener per signal.
  test("many waits on one signal: one abort listener, all reject ABORTED at once, no timer left", { timeout: 20_000 }, async () => {
    const { getEventListeners } = await import("node:events");
    const running = json(200, { id: "j", status: "PROCESSING", progress: 0.1 });
    const c = new JobClient({ provider: "socaity", apiKey: "k", baseUrl: baseUrl("socaity"), fetch: fakeFetch(running), pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
    const ac = new AbortController();
    const waits = Array.from({ length: 200 }, (_, k) => c.wait(`job-${k}`, { signal: ac.signal }).then(() => "resolved", (e) => e.code));
    await sleep(200); // every wait has polled once and sleeps for a minute
    assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener for the 200 sleeping waits");
    const t0 = Date.now();
    ac.abort();
    const codes = await Promise.all(waits);
    assert.deepEqual(new Set(codes), new Set(["ABORTED"]));
    assert.ok(Date.now() - t0 < 1000, `the aborts took ${Date.now() - t0} ms`);
  });

  test("many in-flight requests on one signal: one abort listener, each fetch aborted, all reject ABORTED", { timeout: 20_000 }, async () => {
    const { getEventListeners } = await import("node:events");
    // A fetch that never answers, like a hung server; it rejects when its signal fires.
    let aborted = 0;
    const hang = (_url, init) => new Promise((_resolve, reject) => {
      init.signal.addEventListener("abort", () => { aborted++; reject(new DOMException("aborted", "AbortError")); }, { once: true });
    });
    // The cap raised to 200 so that all of them are in flight (32 by default: the rest would wait).
    const c = new JobClient({ provider: "socaity", apiKey: "k", baseUrl: baseUrl("socaity"), fetch: hang, maxRetries: 0, maxConcurrentRequests: 200 });
    const ac = new AbortController();
    const gets = Array.from({ length: 200 }, (_, k) => c.get(`job-${k}`, { signal: ac.signal }).then(() => "resolved", (e) => e.code));
    await sleep(100); // every request is in flight
    assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener for the 200 requests");
    ac.abort();
    const codes = await Promise.all(gets);
    assert.deepEqual(new Set(codes), new Set(["ABORTED"]));
    assert.equal(aborted, 200, "every request's own signal fired");
  });

  test("sleeps wake in deadline order whatever their start order; a dropped sleep keeps nothing alive", { timeout: 30_000 }, async () => {
    const { execFile } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const helpers = fileURLToPath(new URL("./helpers.mjs", import.meta.url));
    // In a child process: a 600 ms and a 200 ms poll interval started in that order must wake
    // 200 first; then a wait parked for a minute is aborted, and the process must exit soon
    // after (the shared timer is cleared once no sleep is left).
    const script = `
      const { JobClient } = await import(${JSON.stringify(helpers)});
      const body = JSON.stringify({ id: "j", status: "PROCESSING" });
      const times = {};
      const make = (ms, name) => new JobClient({ provider: "socaity", apiKey: "k", baseUrl: "http://127.0.0.1:9/s", pollIntervalMs: ms, maxPollIntervalMs: ms,
        fetch: () => { (times[name] ??= []).push(Date.now()); return Promise.resolve(new Response(body, { status: 200 })); } });
      const t0 = Date.now();
      const slow = make(600, "slow"), fast = make(200, "fast");
      const a1 = new AbortController(), a2 = new AbortController();
      slow.wait("a", { signal: a1.signal }).catch(() => {});
      fast.wait("b", { signal: a2.signal }).catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));
      a1.abort(); a2.abort();
      const parked = make(60000, "parked"), a3 = new AbortController();
      const w = parked.wait("c", { signal: a3.signal }).catch((e) => e.code);
      await new Promise((r) => setTimeout(r, 100));
      a3.abort();
      process.stdout.write(JSON.stringify({ code: await w, slow: times.slow.map((t) => t - t0), fast: times.fast.map((t) => t - t0), abortedAt: Date.now() - t0 }));`;
    const t0 = Date.now();
    // Not spawnSync: the other tests of this file run concurrently and need the event loop.
    const r = await new Promise((resolve) => execFile(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000, env: process.env },
      (error, stdout, stderr) => resolve({ status: error ? error.code ?? 1 : 0, stdout, stderr })));
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.code, "ABORTED");
    // First poll at once, then every interval: fast polled again at >= 200 ms, before slow's 2nd.
    assert.ok(out.fast.length >= 3, `fast polled ${out.fast.length} times in 1 s`);
    assert.ok(out.slow.length >= 2, `slow polled ${out.slow.length} times in 1 s`);
    assert.ok(out.fast[1] - out.fast[0] >= 190, `fast's second poll came after ${out.fast[1] - out.fast[0]} ms`);
    assert.ok(out.slow[1] - out.slow[0] >= 590, `slow's second poll came after ${out.slow[1] - out.slow[0]} ms`);
    assert.ok(out.fast[1] < out.slow[1], "the earlier deadline woke first");
    assert.ok(elapsed < 10_000, `the process lingered ${elapsed} ms (the 60 s sleep was aborted)`);
  });
});
