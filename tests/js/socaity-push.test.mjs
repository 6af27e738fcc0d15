// Socaity pushes job status: a wait of a job whose state offers `links.stream` follows the
// gateway's status stream (`event: job` records, each a job envelope) instead of polling — one
// stream request, no status request, states arriving with `via: "stream"`; a stream that drops
// before the end hands over to polling with nothing lost; `via: "poll"` never opens it;
// `stream()` yields the output records only, never a status record.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { client, request, scenario, mockJob, mockRequests } from "./helpers.mjs";

/** An APIPod-format Socaity job (its answers carry `links.stream`). */
const apipod = (over = {}) => request("socaity", scenario({ variant: "apipod", ...over }));

describe("Socaity status push", () => {
  test("a wait follows the status stream: every change pushed, no status request", async () => {
    const c = client("socaity");
    const updates = [];
    const job = await c.run(apipod({ queue_ms: 50, duration_ms: 300, steps: 4 }), { onUpdate: (j) => updates.push(j) });
    assert.equal(job.status, "FINISHED");
    assert.equal(job.via, "stream");
    assert.deepEqual(job.result, { text: "echo: hello polyjob" }, "the terminal record carries the result");
    assert.equal((await mockJob(job.id)).status_requests, 0, "no poll");
    const streams = (await mockRequests()).filter((r) => r.url === `/socaity/stream/${job.id}`);
    assert.equal(streams.length, 1, "one stream request");
    assert.equal(streams[0].headers.accept, "text/event-stream");
    const pushed = updates.filter((u) => u.via === "stream");
    assert.ok(pushed.some((u) => u.status === "PROCESSING" && u.progress > 0 && u.progress < 1), JSON.stringify(updates.map((u) => [u.status, u.progress, u.via])));
    assert.equal(c.stats.fallbacks, 0);
  });

  test("a stream that drops before the end hands over to polling, nothing lost", async () => {
    const c = client("socaity");
    const job = await c.run(apipod({ queue_ms: 0, stream: { chunks: ["a", "b", "c", "d"], interval_ms: 60, drop_after: 2 } }));
    assert.equal(job.status, "FINISHED");
    assert.equal(job.result, "abcd");
    assert.ok((await mockJob(job.id)).status_requests >= 1, "polled after the drop");
    assert.equal(c.stats.fallbacks, 1);
  });

  test("via: \"poll\" never opens the status stream", async () => {
    const c = client("socaity");
    const submitted = await c.submit(apipod({ queue_ms: 0, duration_ms: 100 }));
    const job = await c.wait(submitted, { via: "poll" });
    assert.equal(job.status, "FINISHED");
    assert.equal(job.via, "poll");
    const streams = (await mockRequests()).filter((r) => r.url.startsWith(`/socaity/stream/${job.id}`));
    assert.equal(streams.length, 0);
  });

  test("stream() yields the output records only, never a status record", async () => {
    const c = client("socaity");
    const job = await c.submit(apipod({ queue_ms: 20, stream: { chunks: ["x", { k: 1 }, "y"], interval_ms: 30 } }));
    const got = [];
    for await (const chunk of c.stream(job)) got.push(chunk);   // the Job: its links lead to the stream
    assert.deepEqual(got, ["x", { k: 1 }, "y"]);
  });

  test("a cancelled job's record ends the wait", async () => {
    const c = client("socaity");
    const submitted = await c.submit(apipod({ queue_ms: 0, duration_ms: 30_000, steps: 300 }));
    const waiting = c.wait(submitted, { onUpdate: (j) => { if (j.status === "PROCESSING") c.cancel(submitted).catch(() => {}); } });
    const job = await waiting;
    assert.equal(job.status, "CANCELLED");
  });
});
