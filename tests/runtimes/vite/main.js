// A Vite page: `import { JobClient } from "polyjob"` (the `browser` condition) with no init call.
import * as polyjob from "polyjob";
import { runJobs } from "../jobs.mjs";

const out = document.getElementById("out");
const mock = new URLSearchParams(location.search).get("mock");
runJobs(polyjob, mock, "vite").then(
  (results) => { out.textContent = JSON.stringify(results); out.dataset.state = "passed"; },
  (err) => { out.textContent = String(err && err.stack ? err.stack : err); out.dataset.state = "failed"; },
);
