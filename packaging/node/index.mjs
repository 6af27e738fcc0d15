// ESM entry for Node: the web build's ES-module glue, instantiated synchronously from the one
// wasm file, so `import { JobClient } from "polyjob"` needs no init() call and skips the
// CommonJS loader (about 2 ms of start-up). `require("polyjob")` loads ./polyjob.js instead: a
// process that both imports and requires polyjob gets two independent instances.
import { readFileSync } from "node:fs";
import * as polyjob from "../web/polyjob.js";

polyjob.initSync({ module: readFileSync(new URL("../web/polyjob_bg.wasm", import.meta.url)) });

export {
  JobClient,
  JobWatch,
  JobStream,
  WebhookDeduper,
  isTerminal,
  verifyWebhook,
  verifyWebhookSync,
} from "../web/polyjob.js";
export default polyjob;
