// Entry for Cloudflare Workers (the `workerd` condition of `import ... from "polyjob"`).
// workerd cannot compile wasm from bytes, so the wasm is imported as a compiled
// WebAssembly.Module (wrangler's default rule for *.wasm; with Miniflare, add
// `modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }]`) and instantiated
// synchronously here. Nothing else runs at global scope: no timers, no fetch, no randomness.
import wasmModule from "./polyjob_bg.wasm";
import {
  initSync,
  JobClient,
  JobWatch,
  JobStream,
  WebhookDeduper,
  isTerminal,
  loadFile,
  PolyjobError,
  verifyWebhook,
  verifyWebhookSync,
} from "./polyjob.js";

initSync({ module: wasmModule });

export { JobClient, JobWatch, JobStream, WebhookDeduper, isTerminal, loadFile, PolyjobError, verifyWebhook, verifyWebhookSync };
export default { JobClient, JobWatch, JobStream, WebhookDeduper, isTerminal, loadFile, PolyjobError, verifyWebhook, verifyWebhookSync };
