// Node CommonJS: `require("polyjob")` loads the ES-module Node entry (require of ESM, Node 20.19+).
const polyjob = require("polyjob");

(async () => {
  const { runJobs } = await import("./jobs.mjs");
  const results = await runJobs(polyjob, process.env.POLYJOB_MOCK_URL, "node-cjs");
  console.log(JSON.stringify(results));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
