// The transport policy under hostile answers, with scripted `fetch`es: the retry budget,
// submit idempotency, redirects, the body size cap, garbled bodies, transient poll failures
// inside wait, status regressions, UNKNOWN statuses and aborts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JobClient, client, request, scenario, mockJob, isPolyjobError, baseUrl, KEY, jsonResponse, scripted, deferred } from "./helpers.mjs";


const deapiStatus = (status, progress = null) => jsonResponse(200, { data: { status, progress, result_url: null, preview: null } });

describe("reliability", { concurrency: true, timeout: 60_000 }, () => {
  test("a 429 storm: retries stay within the per-client retry budget", async () => {
    const f = scripted(() => jsonResponse(429, { data: null, message: "Too Many Attempts.", errors: [], statusCode: 429 }, { "retry-after": "0" }));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, maxRetries: 3 });
    const calls = 300;
    const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => c.get(`job-${i}`)));
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.equal(r.reason.code, "RATE_LIMITED");
      assert.equal(r.reason.retryable, true);
    }
    const retries = f.calls.length - calls;
    // Burst of 100 plus at most 20 % of first attempts — far below the 3 × 300 a naive client sends.
    assert.ok(retries <= 100 + 0.2 * calls + 1, `retries ${retries}`);
    assert.ok(retries >= 100, `the burst allows some retries (${retries})`);
    assert.deepEqual(c.stats, { requests: f.calls.length, retries, retriesDenied: c.stats.retriesDenied, fallbacks: 0 });
    assert.ok(c.stats.retriesDenied > 0, "the budget refused retries");
  });

  test("submit: a network failure after sending is not retried and is not retryable", async () => {
    const f = scripted(() => { throw new TypeError("fetch failed"); });
    const c = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: "http://127.0.0.1:9/serika", fetch: f, maxRetries: 3 });
    await assert.rejects(c.submit(request("serika")), (err) => {
      isPolyjobError("NETWORK", { provider: "serika" })(err);
      assert.equal(err.retryable, false);
      assert.equal(err.attempts, 1);
      return true;
    });
    assert.equal(f.calls.length, 1);
  });

  test("submit with idempotencyKey: sent as Idempotency-Key and retried after a network failure", async () => {
    const f = scripted((n) => {
      if (n === 1) throw new TypeError("fetch failed");
      return jsonResponse(200, { id: "job-1", status: "QUEUED" });
    });
    const c = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: "http://127.0.0.1:9/serika", fetch: f, maxRetries: 3, pollIntervalMs: 1 });
    const job = await c.submit({ ...request("serika"), idempotencyKey: "idem-123" });
    assert.equal(job.id, "job-1");
    assert.equal(f.calls.length, 2);
    for (const call of f.calls) assert.equal(call.headers.get("idempotency-key"), "idem-123");
  });

  test("submit: a 5xx is not retried without a key; a 503 / 429 (refused) is", async () => {
    const f500 = scripted(() => jsonResponse(500, { error: { message: "boom" } }));
    const c500 = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: "http://127.0.0.1:9/serika", fetch: f500 });
    await assert.rejects(c500.submit(request("serika")), (e) => e.code === "SERVER" && e.retryable === false);
    assert.equal(f500.calls.length, 1);
    const f503 = scripted((n) => (n === 1 ? jsonResponse(503, { error: { message: "busy" } }, { "retry-after": "0" }) : jsonResponse(200, { id: "j2", status: "QUEUED" })));
    const c503 = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: "http://127.0.0.1:9/serika", fetch: f503 });
    assert.equal((await c503.submit(request("serika"))).id, "j2");
    assert.equal(f503.calls.length, 2);
  });

  test("redirects: same-origin followed, cross-origin refused without sending the key there", async () => {
    const f = scripted((n, url) => {
      if (url.endsWith("/jobs/a")) return new Response(null, { status: 302, headers: { location: "/serika/jobs/b" } });
      if (url.endsWith("/jobs/b")) return jsonResponse(200, { id: "b", status: "COMPLETED", result: { url: "http://x/y.png" } });
      if (url.endsWith("/jobs/c")) return new Response(null, { status: 307, headers: { location: "http://evil.example/steal" } });
      throw new Error(`unexpected ${url}`);
    });
    const c = new JobClient({ provider: "serika", apiKey: KEY, baseUrl: "http://127.0.0.1:9/serika", fetch: f });
    assert.equal((await c.get("a")).status, "FINISHED");
    assert.equal(f.calls[1].url, "http://127.0.0.1:9/serika/jobs/b");
    await assert.rejects(c.get("c"), isPolyjobError("BAD_RESPONSE", { status: 307 }));
    assert.ok(f.calls.every((call) => !call.url.startsWith("http://evil.example")), "no request to the other origin");
  });

  test("a 20 MB body over maxResponseBytes (16 MiB) is refused (TOO_LARGE) without reading it all", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(32);
    const f = scripted(() => new Response(new ReadableStream({
      pull(controller) {
        pulled++;
        if (pulled > 20) controller.close(); else controller.enqueue(chunk);
      },
    }), { status: 200, headers: { "content-type": "application/json" } }));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, maxRetries: 0, maxResponseBytes: 16 * 1024 * 1024 });
    await assert.rejects(c.get("big"), (e) => isPolyjobError("TOO_LARGE")(e) && /maxResponseBytes \(16777216 bytes\)/.test(e.message));
    assert.ok(pulled <= 18, `stopped reading early (pulled ${pulled} MB)`);
  });

  test("a status body is decoded as text() would: chunks joined, BOM dropped, bad UTF-8 replaced", async () => {
    const utf8 = (s) => new TextEncoder().encode(s);
    const body = utf8('{"data":{"status":"done","progress":100,"result_url":"https://x/caf\u00e9 \u{1F600}.png","preview":null}}');
    const cut = body.indexOf(0xf0) + 2; // inside the 4-byte emoji
    const chunked = (chunks) => new Response(new ReadableStream({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    }), { status: 200, headers: { "content-type": "application/json" } });
    const cases = [
      [chunked([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf]), body.slice(0, cut), body.slice(cut)]), "https://x/caf\u00e9 \u{1F600}.png"],
      [chunked([body.slice(0, cut).buffer, body.slice(cut)]), "https://x/caf\u00e9 \u{1F600}.png"],
      [chunked([utf8('{"data":{"status":"done","result_url":"https://x/a'), new Uint8Array([0xff, 0xc3]), utf8('b.png"}}')]), "https://x/a\ufffd\ufffdb.png"],
    ];
    for (const [response, want] of cases) {
      const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: async () => response, maxRetries: 0 });
      const job = await c.get("x");
      assert.equal(job.status, "FINISHED");
      assert.equal(job.resultUrl, want);
    }
    // A stream that yields something other than bytes is a failed read, not a crash.
    const odd = new Response(new ReadableStream({ start(c) { c.enqueue("text"); c.close(); } }), { status: 200 });
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: async () => odd, maxRetries: 0 });
    await assert.rejects(c.get("x"), isPolyjobError("NETWORK"));
  });

  test("a truncated JSON status body is retried (status calls are idempotent)", async () => {
    const f = scripted((n) => (n === 1
      ? new Response('{"data":{"status":"proc', { status: 200, headers: { "content-type": "application/json" } })
      : deapiStatus("done", 100)));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f });
    const job = await c.get("x");
    assert.equal(job.status, "FINISHED");
    assert.equal(f.calls.length, 2);
  });

  test("wait survives transient poll failures and ends FINISHED", async () => {
    const f = scripted((n) => {
      if (n <= 2) return deapiStatus("processing", 10);
      if (n <= 5) return jsonResponse(502, { message: "bad gateway" });
      return deapiStatus("done", 100);
    });
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, pollIntervalMs: 5, maxPollIntervalMs: 20, maxRetries: 1 });
    const job = await c.wait("x", { timeoutMs: 10_000 });
    assert.equal(job.status, "FINISHED");
  });

  test("a job vanishing mid-wait (404) rejects NOT_FOUND instead of polling forever", async () => {
    const f = scripted((n) => (n <= 2 ? deapiStatus("processing", 10) : jsonResponse(404, { data: null, message: "Request not found.", errors: [], statusCode: 404 })));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, pollIntervalMs: 5 });
    await assert.rejects(c.wait("x"), (err) => {
      isPolyjobError("NOT_FOUND", { status: 404 })(err);
      assert.equal(err.job.status, "PROCESSING", "the last known state is attached");
      return true;
    });
    assert.equal(f.calls.length, 3);
  });

  test("a status moving backwards is ignored; terminal is final", async () => {
    const script = ["processing", "pending", "processing", "done", "processing"];
    const f = scripted((n) => deapiStatus(script[Math.min(n - 1, script.length - 1)], n * 10));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, pollIntervalMs: 5 });
    const seen = [];
    const job = await c.wait("x", { onUpdate: (j) => seen.push(j.status) });
    assert.equal(job.status, "FINISHED");
    assert.ok(!seen.includes("PENDING"), `regression reported: ${seen}`);
    assert.equal(seen.at(-1), "FINISHED");
  });

  test("UNKNOWN statuses keep polling, but only until the wait deadline", async () => {
    const f = scripted(() => deapiStatus("mystery_state"));
    const c = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, pollIntervalMs: 10, maxPollIntervalMs: 20 });
    const t0 = Date.now();
    // 1 s, polled every 10-20 ms: dozens of polls, so even a loaded machine (this suite runs its
    // tests concurrently) makes the 3 asked for. Without the deadline the wait would poll on
    // past this test's 60 s; it must not end before it either.
    await assert.rejects(c.wait("x", { timeoutMs: 1000 }), (err) => {
      isPolyjobError("TIMEOUT")(err);
      assert.equal(err.job.status, "UNKNOWN");
      assert.equal(err.job.raw.data.status, "mystery_state", "the word is kept in raw");
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took >= 990, `the wait ended after ${took} ms, before its 1000 ms deadline`);
    assert.ok(f.calls.length >= 3, `${f.calls.length} polls`);
  });

  test("aborting run() cancels the remote Socaity job and ends promptly", async () => {
    const c = client("socaity");
    const controller = new AbortController();
    const submitted = deferred();
    const running = c.run(request("socaity", scenario({ duration_ms: 20_000 })), {
      signal: controller.signal,
      onUpdate: (j) => submitted.resolve(j.id),
    });
    const id = await submitted.promise;
    controller.abort();
    await assert.rejects(running, isPolyjobError("ABORTED"));
    // Prompt: the run ended on the abort, its cancel reached the mock while the job was still
    // running (not at the job's 20 s end).
    const state = await mockJob(id);
    assert.ok(state.cancelled_at_ms, "the remote job was cancelled");
    assert.ok(state.cancelled_at_ms < state.completes_at_ms, `cancelled at ${state.cancelled_at_ms}, the job's end ${state.completes_at_ms}`);
  });

  test("the API key never appears in an error message, whatever fails", async () => {
    const key = "sk-secret-polyjob-key-123";
    const failures = [
      () => { throw new TypeError(`fetch failed for ${"x"}`); },
      () => new Response("<html>oops</html>", { status: 200, headers: { "content-type": "text/html" } }),
      () => jsonResponse(401, { message: "Unauthorized user." }),
    ];
    for (const make of failures) {
      const c = new JobClient({ provider: "deapi", apiKey: key, baseUrl: baseUrl("deapi"), fetch: scripted(make), maxRetries: 0 });
      for (const p of [c.get("x"), c.submit(request("deapi"))]) {
        await assert.rejects(p, (err) => !err.message.includes(key) && !JSON.stringify(err).includes(key));
      }
    }
  });
});
