// Node ESM: `import { JobClient } from "polyjob"` (the `node`.`import` condition) with no init.
import * as polyjob from "polyjob";
import polyjobDefault, { JobClient } from "polyjob";
import { runJobs, EXPORTS } from "./jobs.mjs";

if (polyjobDefault.JobClient !== JobClient) throw new Error("default export differs from the named exports");
const extra = Object.keys(polyjob).filter((k) => k !== "default" && !EXPORTS.includes(k));
if (extra.length) throw new Error(`unexpected exports ${extra.join(", ")}`);
const results = await runJobs(polyjob, process.env.POLYJOB_MOCK_URL, "node-esm");
console.log(JSON.stringify(results));
