// The CommonJS entry: require("polyjob") runs a job.
const { test } = require("node:test");
const assert = require("node:assert/strict");

const MOCK = (process.env.POLYJOB_MOCK_URL || "").replace(/\/+$/, "");
if (!MOCK) throw new Error("POLYJOB_MOCK_URL is not set: start target/mock/polyjob-mock and export its URL");

test("require('polyjob') runs a Serika job to FINISHED", async () => {
  const { JobClient, isTerminal } = require("polyjob");
  assert.equal(typeof JobClient, "function");
  assert.equal(isTerminal("FINISHED"), true);
  const c = new JobClient({ provider: "serika", apiKey: "test-key", baseUrl: `${MOCK}/serika`, pollIntervalMs: 50 });
  const updates = [];
  const job = await c.run(
    { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "cjs", mock: { queue_ms: 50, duration_ms: 300 } } },
    { timeoutMs: 10000, onUpdate: (j) => updates.push(j.status) },
  );
  assert.equal(job.status, "FINISHED");
  assert.equal(job.provider, "serika");
  assert.equal(updates[updates.length - 1], "FINISHED");
});

test("require('polyjob'): errors are instances of the exported PolyjobError, with a code", async () => {
  const { JobClient, PolyjobError } = require("polyjob");
  assert.equal(typeof PolyjobError, "function");
  assert.throws(() => new JobClient({ provider: "nope" }), (e) => e instanceof PolyjobError && e instanceof Error && e.name === "PolyjobError" && e.code === "CONFIG");
  const c = new JobClient({ provider: "deapi", apiKey: "k", baseUrl: "http://127.0.0.1:9/deapi", fetch: async () => new Response("{}", { status: 404 }), maxRetries: 0 });
  await assert.rejects(c.get("x"), (e) => e instanceof PolyjobError && e.code === "NOT_FOUND" && e.status === 404);
  // A user can make one too (e.g. in a test double), with the same shape.
  const own = new PolyjobError("boom", { code: "SERVER", status: 500 });
  assert.ok(own instanceof Error);
  assert.deepEqual([own.name, own.code, own.status, own.provider, own.retryable, own.attempts], ["PolyjobError", "SERVER", 500, null, false, 0]);
});

test("require('polyjob') and import('polyjob') load one module: the same classes, one wasm instance", async () => {
  const required = require("polyjob");
  const imported = await import("polyjob");
  assert.equal(required.JobClient, imported.JobClient);
  assert.equal(required.verifyWebhook, imported.verifyWebhook);
  assert.equal(required.PolyjobError, imported.PolyjobError);
  assert.match(require.resolve("polyjob"), /[\\/]node[\\/]index\.mjs$/);
});
