// submit → wait → FINISHED / FAILED, and run(), for every provider against the mock.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PROVIDERS, client, request, scenario, uid, isTerminal, assertJobShape, assertUpdateSequence, isPolyjobError, seqString,
} from "./helpers.mjs";

const HAS_PROGRESS = { socaity: true, optexity: true, deapi: true, serika: false };

async function assertPng(url) {
  assert.match(url, /^https?:\/\//, `result URL is absolute: ${url}`);
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(res.headers.get("content-type") || "", /image\/png/);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47], "PNG signature");
}

describe("lifecycle", { concurrency: true, timeout: 60_000 }, () => {
  for (const p of PROVIDERS) {
    describe(p, { concurrency: true, timeout: 60_000 }, () => {
      test("submit → wait(onUpdate) → FINISHED with the mock's result", async () => {
        const c = client(p);
        const custom = { answer: 42, tag: uid() };
        // Socaity keeps its documented default result; Optexity gets an explicit one.
        const mock = scenario({ queue_ms: 100, duration_ms: 600, steps: 6, ...(p === "optexity" ? { result: custom } : {}) });
        const job = await c.submit(request(p, mock));
        assertJobShape(job, p);
        assert.ok(!isTerminal(job.status), `a fresh job is not terminal (got ${job.status})`);
        assert.ok(["PENDING", "QUEUED"].includes(job.status), `fresh job status ${job.status}`);

        const updates = [];
        const done = await c.wait(job.id, { timeoutMs: 10_000, onUpdate: (j) => updates.push(j) });
        assertJobShape(done, p);
        assert.equal(done.id, job.id);
        assert.equal(done.status, "FINISHED");
        assert.equal(done.error, null);

        assertUpdateSequence(updates, p);
        assert.equal(updates.at(-1).status, "FINISHED", `last onUpdate is the terminal state: ${seqString(updates)}`);
        assert.ok(updates.some((j) => j.status === "PROCESSING"), `PROCESSING was observed: ${seqString(updates)}`);
        if (HAS_PROGRESS[p]) {
          assert.ok(
            updates.some((j) => j.progress !== null && j.progress > 0 && j.progress < 1),
            `an intermediate progress in (0,1) was observed: ${seqString(updates)}`,
          );
        }

        switch (p) {
          case "socaity":
            assert.deepEqual(done.result, { text: "echo: hello polyjob" });
            break;
          case "optexity":
            assert.deepEqual(done.result, custom);
            break;
          case "deapi":
            assert.equal(typeof done.resultUrl, "string", "deAPI result_url becomes resultUrl");
            await assertPng(done.resultUrl);
            break;
          case "serika": {
            const url = done.resultUrl ?? done.result?.url;
            assert.equal(typeof url, "string", "Serika result.url is exposed");
            await assertPng(url);
            break;
          }
        }
        if (p === "optexity") {
          assert.ok(
            updates.some((j) => j.status === "PROCESSING" && typeof j.estimatedCompletion === "string"),
            "a running Optexity task's estimated_completion becomes estimatedCompletion",
          );
          assert.equal(typeof done.completedAt, "string", "completed_at becomes completedAt");
          assert.ok(!Number.isNaN(Date.parse(done.completedAt)), `completedAt parses as a date: ${done.completedAt}`);
        }
        if (p === "optexity" || p === "serika") {
          assert.equal(typeof done.createdAt, "string", `${p} sends created_at; createdAt is set`);
          assert.ok(!Number.isNaN(Date.parse(done.createdAt)), `createdAt parses as a date: ${done.createdAt}`);
        }
      });

      test("failing job → FAILED with the error message", async () => {
        const c = client(p);
        const msg = `mock exploded ${uid()}`;
        const job = await c.submit(request(p, scenario({ queue_ms: 50, duration_ms: 300, outcome: "failed", error: msg })));
        const updates = [];
        const done = await c.wait(job.id, { timeoutMs: 10_000, onUpdate: (j) => updates.push(j) });
        assertJobShape(done, p);
        assert.equal(done.status, "FAILED");
        assert.ok(done.error, "job.error is set");
        assert.ok(done.error.message.includes(msg), `error.message ${JSON.stringify(done.error.message)} includes ${msg}`);
        if (p === "optexity") assert.equal(done.error.code, "MOCK_FAILURE");
        assertUpdateSequence(updates, p);
        assert.equal(updates.at(-1).status, "FAILED");
      });

      test("run() resolves with the FINISHED job", async () => {
        const c = client(p);
        const updates = [];
        const done = await c.run(request(p, scenario({ queue_ms: 50, duration_ms: 300 })), {
          timeoutMs: 10_000,
          onUpdate: (j) => updates.push(j),
        });
        assertJobShape(done, p);
        assert.equal(done.status, "FINISHED");
        assert.ok(updates.length > 0, "run() calls onUpdate");
        assertUpdateSequence(updates, p);
      });

      test("run() rejects JOB_FAILED carrying the failed job", async () => {
        const c = client(p);
        const msg = `run failure ${uid()}`;
        await assert.rejects(
          c.run(request(p, scenario({ queue_ms: 50, duration_ms: 300, outcome: "failed", error: msg })), { timeoutMs: 10_000 }),
          (err) => {
            isPolyjobError("JOB_FAILED", { provider: p })(err);
            assert.ok(err.job, "err.job is set");
            assertJobShape(err.job, p);
            assert.equal(err.job.status, "FAILED");
            assert.ok(err.job.error.message.includes(msg), `err.job.error.message includes ${msg}`);
            assert.ok(err.message.includes(msg), `err.message ${JSON.stringify(err.message)} includes the provider's message`);
            return true;
          },
        );
      });

      test("get() returns the current state of a job", async () => {
        const c = client(p);
        const job = await c.submit(request(p, scenario({ queue_ms: 50, duration_ms: 2000 })));
        const got = await c.get(job.id);
        assertJobShape(got, p);
        assert.equal(got.id, job.id);
        assert.ok(!isTerminal(got.status));
      });
    });
  }
});
