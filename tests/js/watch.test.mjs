// watch(): an async iterable of each change that ends at the terminal state.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PROVIDERS, client, request, scenario, assertUpdateSequence, isPolyjobError, assertPollingStopped, seqString,
} from "./helpers.mjs";

describe("watch", { concurrency: true, timeout: 60_000 }, () => {
  for (const p of PROVIDERS) {
    test(`${p}: yields each change and ends at FINISHED`, async () => {
      const c = client(p);
      const job = await c.submit(request(p, scenario({ queue_ms: 100, duration_ms: 500, steps: 5 })));
      const it = c.watch(job.id);
      assert.equal(typeof it[Symbol.asyncIterator], "function", "watch() returns an async iterable");
      const seen = [];
      for await (const j of it) {
        assert.equal(j.id, job.id);
        seen.push(j);
        assert.ok(seen.length < 500, "watch() did not end");
      }
      assertUpdateSequence(seen, p);
      assert.equal(seen.at(-1).status, "FINISHED", seqString(seen));
      assert.ok(seen.some((j) => j.status === "PROCESSING"), seqString(seen));
    });
  }

  test("failing job: watch ends at FAILED", async () => {
    const c = client("serika");
    const job = await c.submit(request("serika", scenario({ queue_ms: 50, duration_ms: 300, outcome: "failed" })));
    const seen = [];
    for await (const j of c.watch(job.id)) seen.push(j);
    assert.equal(seen.at(-1).status, "FAILED");
    assert.ok(seen.at(-1).error?.message, "the FAILED job carries an error message");
  });

  test("a job already terminal: one item, then the end", async () => {
    const c = client("socaity");
    const done = await c.run(request("socaity", scenario({ queue_ms: 50, duration_ms: 200 })), { timeoutMs: 5000 });
    const seen = [];
    for await (const j of c.watch(done.id)) seen.push(j.status);
    assert.deepEqual(seen, ["FINISHED"]);
  });

  test("breaking out of the loop stops polling", async () => {
    const c = client("deapi");
    const job = await c.submit(request("deapi", scenario({ queue_ms: 50, duration_ms: 4000 })));
    for await (const j of c.watch(job.id)) {
      assert.equal(j.id, job.id);
      break;
    }
    await assertPollingStopped("deapi", job.id);
  });

  test("an AbortSignal ends the iteration with ABORTED", async () => {
    const c = client("optexity");
    const job = await c.submit(request("optexity", scenario({ queue_ms: 50, duration_ms: 5000 })));
    const ac = new AbortController();
    const seen = [];
    await assert.rejects(async () => {
      for await (const j of c.watch(job.id, { signal: ac.signal })) {
        // Aborted once the first state is in, on the next turn: while the watch polls on.
        if (seen.push(j) === 1) setImmediate(() => ac.abort());
      }
    }, isPolyjobError("ABORTED"));
    assert.ok(seen.length >= 1, "at least the first state was yielded before the abort");
  });
});
