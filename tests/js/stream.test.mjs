// Socaity output streams (SSE over fetch, with the Authorization header) against the mock:
// every chunk in order then the end, resume with Last-Event-ID after a drop, the error frame,
// 404 / 409, direct SSE on submit, and wait({ via: "stream" }).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { client, request, scenario, mockJob, isPolyjobError } from "./helpers.mjs";

const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
const chunks = words.map((w, i) => ({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: `${w} ` } }], n: i }));

async function collect(iterable) {
  const out = [];
  for await (const c of iterable) out.push(c);
  return out;
}

describe("stream", { concurrency: true, timeout: 60_000 }, () => {
  test("a Socaity stream yields every chunk in order, then the job is FINISHED", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, stream: { chunks, interval_ms: 30 } })));
    const got = await collect(c.stream(job.id));
    assert.deepEqual(got.map((x) => x.n), chunks.map((x) => x.n));
    const end = await c.wait(job.id, { timeoutMs: 10_000 });
    assert.equal(end.status, "FINISHED");
  });

  test("text chunks come through as strings", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 0, stream: { chunks: ["one", "two", "three"], interval_ms: 10 } })));
    assert.deepEqual(await collect(c.stream(job.id)), ["one", "two", "three"]);
  });

  test("a dropped stream resumes after the last event id", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 0, stream: { chunks, interval_ms: 20, ids: true, drop_after: 3 } })));
    const got = await collect(c.stream(job.id));
    assert.deepEqual(got.map((x) => x.n), chunks.map((x) => x.n), "no chunk lost or repeated");
  });

  test("an error frame ends the stream with JOB_FAILED", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 0, stream: { chunks, interval_ms: 10, fail_after: 2 } })));
    const got = [];
    await assert.rejects(async () => {
      for await (const x of c.stream(job.id)) got.push(x);
    }, isPolyjobError("JOB_FAILED"));
    assert.equal(got.length, 2);
  });

  test("unknown job → NOT_FOUND; a job that does not stream → CONFLICT", async () => {
    const c = client("socaity");
    await assert.rejects(collect(c.stream("no-such-job")), isPolyjobError("NOT_FOUND", { status: 404 }));
    const done = await c.run(request("socaity", scenario({ queue_ms: 0, duration_ms: 50 })));
    await assert.rejects(collect(c.stream(done.id)), isPolyjobError("CONFLICT", { status: 409 }));
  });

  test("direct SSE: a submit answered with text/event-stream is streamed", async () => {
    const c = client("socaity");
    const got = await collect(c.stream(request("socaity", scenario({ queue_ms: 0, direct_sse: true, stream: { chunks, interval_ms: 10 } }))));
    assert.deepEqual(got.map((x) => x.n), chunks.map((x) => x.n));
  });

  test('wait({ via: "stream" }) reads the stream, then one status request gives FINISHED', async () => {
    const c = client("socaity");
    const first = await c.submit(request("socaity", scenario({ queue_ms: 0, stream: { chunks, interval_ms: 30 } })));
    const job = await c.wait(first.id, { via: "stream", timeoutMs: 10_000 });
    assert.equal(job.status, "FINISHED");
    assert.equal((await mockJob(job.id)).status_requests, 1);
  });

  test("streams are Socaity's: UNSUPPORTED elsewhere, sending nothing", () => {
    for (const p of ["optexity", "deapi", "serika"]) {
      assert.throws(() => client(p).stream("x"), isPolyjobError("UNSUPPORTED"));
    }
  });

  test("breaking out of the loop stops reading", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 0, stream: { chunks, interval_ms: 50 } })));
    let n = 0;
    for await (const _ of c.stream(job.id)) if (++n === 2) break;
    assert.equal(n, 2);
  });
});
