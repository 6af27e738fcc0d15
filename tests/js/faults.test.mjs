// The fault suite: every provider against the mock's injected faults (mock/README.md "Faults").
// Each transient fault on a status call must be survived (the job still ends FINISHED, with the
// retries visible in client.stats); permanent ones must end in the right typed error.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PROVIDERS, client, request, scenario, mockJob, isPolyjobError, requestsTagged, headersOf, uid } from "./helpers.mjs";

/** Faults on status calls that a client must ride out, with the rule fields they need. */
const TRANSIENT = [
  { kind: "429", retry_after: 0 },
  { kind: "429", retry_after_ms: 30 },
  { kind: "429" },
  { kind: "429", retry_after: 1, retry_after_date: true },
  { kind: "500" },
  { kind: "502" },
  { kind: "504" },
  { kind: "503", retry_after: 0 },
  { kind: "reset_before" },
  { kind: "reset_after" },
  { kind: "slow_headers", delay_ms: 1500 },
  { kind: "truncated_json" },
  { kind: "html_200" },
  { kind: "empty_body" },
  { kind: "wrong_content_type" },
  { kind: "unknown_status", times: 2 },
  { kind: "progress_out_of_range", times: 3 },
  { kind: "progress_string", times: 3 },
  { kind: "regress" },
  { kind: "duplicate_terminal" },
];

const label = (rule) => Object.entries(rule).map(([k, v]) => (k === "kind" ? v : `${k}=${v}`)).join(" ");

describe("faults", { concurrency: true, timeout: 120_000 }, () => {
  for (const p of PROVIDERS) {
    for (const rule of TRANSIENT) {
      test(`${p}: survives ${label(rule)} on a status call`, async () => {
        // requestTimeoutMs cuts slow_headers short; the idempotency key lets a submit that a
        // loaded machine answers later than that be retried instead of failing the test.
        const c = client(p, { requestTimeoutMs: 600, maxRetries: 3 });
        const faults = [{ on: "status", after: 0, ...rule }];
        const updates = [];
        const submit = { ...request(p, scenario({ queue_ms: 50, duration_ms: 800, faults })), idempotencyKey: uid() };
        const job = await c.run(submit, {
          timeoutMs: 30_000,
          onUpdate: (j) => updates.push(j),
        });
        assert.equal(job.status, "FINISHED");
        for (const u of updates) {
          if (u.progress !== null) assert.ok(u.progress >= 0 && u.progress <= 1, `progress ${u.progress}`);
        }
        const state = await mockJob(job.id);
        if (!["regress", "duplicate_terminal", "wrong_content_type", "unknown_status", "progress_out_of_range", "progress_string"].includes(rule.kind)) {
          assert.ok(state.faults_fired.length >= 1, `the fault fired: ${JSON.stringify(state.faults_fired)}`);
          assert.ok(c.stats.retries >= 1 || rule.kind === "regress", `a retry was made: ${JSON.stringify(c.stats)}`);
        }
      });
    }

    test(`${p}: a job that disappears mid-wait rejects NOT_FOUND`, async () => {
      // The first status request sees the job running (an 8 s job); every later one gets the
      // provider's 404. However few polls the schedule needs, the second is a 404.
      const c = client(p);
      await assert.rejects(
        c.run(request(p, scenario({ duration_ms: 8000, faults: [{ kind: "gone", on: "status", after: 1 }] })), { timeoutMs: 20_000 }),
        (err) => isPolyjobError("NOT_FOUND", { status: 404, provider: p })(err) && err.job !== undefined,
      );
    });

    test(`${p}: 429 / 503 on submit are retried (refused before processing)`, async () => {
      const c = client(p);
      const faults = [{ kind: "429", on: "submit", retry_after: 0 }, { kind: "503", on: "submit", retry_after: 0, after: 1 }];
      const job = await c.run(request(p, scenario({ faults })), { timeoutMs: 20_000 });
      assert.equal(job.status, "FINISHED");
      assert.equal(c.stats.retries, 2);
    });

    for (const kind of ["reset_before", "reset_after", "500"]) {
      test(`${p}: ${kind} on submit is not retried without an idempotency key`, async () => {
        const tag = uid();
        const c = client(p, { headers: { "x-polyjob-test": tag } });
        await assert.rejects(
          c.submit(request(p, scenario({ faults: [{ kind, on: "submit" }] }))),
          (err) => {
            assert.equal(err.name, "PolyjobError");
            assert.equal(err.code, kind === "500" ? "SERVER" : "NETWORK");
            assert.equal(err.retryable, false);
            assert.equal(err.attempts, 1);
            return true;
          },
        );
        const sent = (await requestsTagged("x-polyjob-test", tag)).filter((r) => r.method === "POST");
        assert.equal(sent.length, 1, "exactly one submit went out");
      });
    }

    test(`${p}: reset on submit with an idempotencyKey is retried with the same key`, async () => {
      const tag = uid();
      const c = client(p, { headers: { "x-polyjob-test": tag } });
      const key = `idem-${tag}`;
      const job = await c.submit({ ...request(p, scenario({ faults: [{ kind: "reset_after", on: "submit" }] })), idempotencyKey: key });
      assert.ok(job.id);
      const sent = (await requestsTagged("x-polyjob-test", tag)).filter((r) => r.method === "POST" && !r.url.includes("/call"));
      assert.equal(sent.length, 2);
      for (const r of sent) assert.equal(headersOf(r)["idempotency-key"], key);
    });

    test(`${p}: per-client faults (x-mock-faults header) are survived`, async () => {
      // The mock counts per header value: a unique value gives this client its own counters.
      const rules = [{ kind: "502", on: "status", times: 2, client: uid() }];
      const c = client(p, { headers: { "x-mock-faults": JSON.stringify(rules) } });
      const job = await c.run(request(p, scenario()), { timeoutMs: 20_000 });
      assert.equal(job.status, "FINISHED");
      assert.equal(c.stats.retries, 2);
    });
  }
});
