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

test("require('polyjob'): errors are PolyjobError with a code", () => {
  const { JobClient } = require("polyjob");
  assert.throws(() => new JobClient({ provider: "nope" }), (e) => e instanceof Error && e.name === "PolyjobError" && e.code === "CONFIG");
});

test("require('polyjob') and import('polyjob') load one module: the same classes, one wasm instance", async () => {
  const required = require("polyjob");
  const imported = await import("polyjob");
  assert.equal(required.JobClient, imported.JobClient);
  assert.equal(required.verifyWebhook, imported.verifyWebhook);
  assert.match(require.resolve("polyjob"), /[\\/]node[\\/]index\.mjs$/);
});
