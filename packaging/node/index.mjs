// The Node entry, for `import` and `require("polyjob")` alike (Node 20.19+ and 22.12+ load an ES
// module with require() when it has no top-level await, as here): the web build's ES-module
// glue, instantiated synchronously from the one wasm file, so no init() call is needed. One
// module for both: a process that imports and requires polyjob shares one instance.
// `fs` through process.getBuiltinModule (Node 20.16+ / 22.3+, Deno, Bun), not `import "node:fs"`:
// building the ES-module facade of node:fs costs ~1.9 ms, a fifth of the whole start-up.
import * as polyjob from "../web/polyjob.js";

const { readFileSync } = process.getBuiltinModule("fs");
polyjob.initSync({ module: readFileSync(new URL("../web/polyjob_bg.wasm", import.meta.url)) });

export {
  JobClient,
  JobWatch,
  JobStream,
  WebhookDeduper,
  isTerminal,
  loadFile,
  PolyjobError,
  verifyWebhook,
  verifyWebhookSync,
} from "../web/polyjob.js";
export default polyjob;
