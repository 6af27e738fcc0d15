// The providers' other wire formats (mock `variant`), Socaity sync submits and timeouts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  client, request, scenario, uid, assertJobShape, assertUpdateSequence, seqString,
} from "./helpers.mjs";

async function waitWithUpdates(c, id) {
  const updates = [];
  const done = await c.wait(id, { timeoutMs: 10_000, onUpdate: (j) => updates.push(j) });
  return { done, updates };
}

describe("variants", { concurrency: true, timeout: 60_000 }, () => {
  for (const variant of ["apipod", "runpod"]) {
    test(`socaity ${variant} variant: normalized statuses, FINISHED with the result`, async () => {
      const c = client("socaity");
      const result = { text: `variant ${variant} ${uid()}` };
      const job = await c.submit(request("socaity", scenario({ queue_ms: 100, duration_ms: 500, variant, result })));
      assertJobShape(job, "socaity");
      assert.ok(["PENDING", "QUEUED"].includes(job.status), `submit status ${job.status}`);
      const { done, updates } = await waitWithUpdates(c, job.id);
      assert.equal(done.status, "FINISHED", seqString(updates));
      assert.deepEqual(done.result, result);
      assertUpdateSequence(updates, "socaity");
      assert.ok(updates.some((j) => j.status === "PROCESSING"), `lowercase/RunPod words mapped: ${seqString(updates)}`);
    });

    test(`socaity ${variant} variant: failure → FAILED with the message`, async () => {
      const c = client("socaity");
      const msg = `variant failure ${uid()}`;
      const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 300, variant, outcome: "failed", error: msg })));
      const { done } = await waitWithUpdates(c, job.id);
      assert.equal(done.status, "FAILED");
      assert.ok(done.error?.message.includes(msg), JSON.stringify(done.error));
    });
  }

  test("socaity apipod variant: metrics timestamps are exposed", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 200, variant: "apipod" })));
    const { done } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "FINISHED");
    assert.equal(typeof done.createdAt, "string", "metrics.created_at → createdAt");
    assert.equal(typeof done.completedAt, "string", "metrics.finished_at → completedAt");
    assert.ok(!Number.isNaN(Date.parse(done.createdAt)) && !Number.isNaN(Date.parse(done.completedAt)));
    assert.ok(Date.parse(done.completedAt) >= Date.parse(done.createdAt));
  });

  test("socaity sync submit: FINISHED at once with the result", async () => {
    const c = client("socaity");
    const result = { text: `sync ${uid()}` };
    const job = await c.submit(request("socaity", scenario({ queue_ms: 0, duration_ms: 100, sync: true, result })));
    // A sync answer carries no job id: the library reports it as "" (there is nothing to poll or cancel).
    assertJobShape(job, "socaity", { allowEmptyId: true });
    assert.equal(job.status, "FINISHED");
    assert.deepEqual(job.result, result);
  });

  test("socaity sync submit with the default result", async () => {
    const c = client("socaity");
    const job = await c.run(request("socaity", scenario({ queue_ms: 0, duration_ms: 100, sync: true })));
    assert.equal(job.status, "FINISHED");
    assert.deepEqual(job.result, { text: "echo: hello polyjob" });
  });

  test("socaity sync submit of a failing job → rejects with the provider's message", async () => {
    const c = client("socaity");
    const msg = `sync failure ${uid()}`;
    await assert.rejects(
      c.submit(request("socaity", scenario({ queue_ms: 0, duration_ms: 100, sync: true, outcome: "failed", error: msg }))),
      (err) => {
        assert.equal(err.name, "PolyjobError");
        assert.ok(["SERVER", "JOB_FAILED"].includes(err.code), `code ${err.code}`);
        assert.ok(err.message.includes(msg), err.message);
        return true;
      },
    );
  });

  test("socaity timeout outcome → TIMEOUT status (a terminal job, not an error)", async () => {
    const c = client("socaity");
    const job = await c.submit(request("socaity", scenario({ queue_ms: 50, duration_ms: 300, outcome: "timeout" })));
    const { done, updates } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "TIMEOUT", seqString(updates));
  });

  test("deapi string_progress variant: progress still a number in 0..1", async () => {
    const c = client("deapi");
    const job = await c.submit(request("deapi", scenario({ queue_ms: 50, duration_ms: 600, steps: 6, variant: "string_progress" })));
    const { done, updates } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "FINISHED");
    assertUpdateSequence(updates, "deapi");
    const mid = updates.filter((j) => typeof j.progress === "number" && j.progress > 0 && j.progress < 1);
    assert.ok(mid.length > 0, `string progress parsed and scaled: ${seqString(updates)}`);
  });

  test("optexity current variant (queued → allocated → running → success)", async () => {
    const c = client("optexity");
    const result = { rows: [1, 2, 3] };
    const job = await c.submit(request("optexity", scenario({ queue_ms: 100, duration_ms: 400, variant: "current", result })));
    const { done, updates } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "FINISHED", seqString(updates));
    assert.deepEqual(done.result, result);
    assertUpdateSequence(updates, "optexity");
    assert.ok(updates.some((j) => j.status === "PROCESSING"), seqString(updates));
  });

  test("optexity custom error_code", async () => {
    const c = client("optexity");
    const job = await c.submit(request("optexity", scenario({ queue_ms: 50, duration_ms: 200, outcome: "failed", error: "Invalid input data format", error_code: "INVALID_INPUT" })));
    const { done } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "FAILED");
    assert.deepEqual(done.error, { code: "INVALID_INPUT", message: "Invalid input data format" });
  });

  test("serika error_object variant: failure message from the error object", async () => {
    const c = client("serika");
    const msg = `serika object failure ${uid()}`;
    const job = await c.submit(request("serika", scenario({ queue_ms: 50, duration_ms: 300, outcome: "failed", error: msg, variant: "error_object" })));
    const { done } = await waitWithUpdates(c, job.id);
    assert.equal(done.status, "FAILED");
    assert.equal(typeof done.error?.message, "string");
    assert.ok(done.error.message.includes(msg), JSON.stringify(done.error));
  });

  test("deapi: the model option is merged into the body", async () => {
    const c = client("deapi");
    const req = request("deapi");
    delete req.input.model;
    req.model = "Flux1schnell";
    const done = await c.run({ ...req, input: { ...req.input, mock: scenario({ queue_ms: 50, duration_ms: 200 }) } }, { timeoutMs: 5000 });
    assert.equal(done.status, "FINISHED");
  });
});
