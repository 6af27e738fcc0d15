// ESM entry for Node: the CommonJS build instantiates the wasm synchronously on load, so
// `import { JobClient } from "polyjob"` needs no init() call.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const polyjob = require("./polyjob.js");

export const JobClient = polyjob.JobClient;
export const JobWatch = polyjob.JobWatch;
export const isTerminal = polyjob.isTerminal;
export default polyjob;
