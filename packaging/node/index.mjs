// ESM entry for Node: the CommonJS build instantiates the wasm synchronously on load, so
// `import { JobClient } from "polyjob"` needs no init() call.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const polyjob = require("./polyjob.js");

export const {
  JobClient,
  JobWatch,
  JobStream,
  WebhookDeduper,
  isTerminal,
  verifyWebhook,
  verifyWebhookSync,
} = polyjob;
export default polyjob;
