// Default ESM entry for browsers and bundlers (the `browser` / `default` conditions of
// `import ... from "polyjob"`): fetches and instantiates the wasm once, with top-level await, so
// `import { JobClient } from "polyjob"` needs no init() call. The literal
// `new URL("./polyjob_bg.wasm", import.meta.url)` is what bundlers (Vite, webpack 5, Rollup,
// esbuild with an asset loader) recognize to emit the wasm file next to the bundle.
// Pages without a bundler use `polyjob/web` and call `await init()` themselves.
import init, {
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

await init({ module_or_path: new URL("./polyjob_bg.wasm", import.meta.url) });

export { JobClient, JobWatch, JobStream, WebhookDeduper, isTerminal, loadFile, PolyjobError, verifyWebhook, verifyWebhookSync };
export default { JobClient, JobWatch, JobStream, WebhookDeduper, isTerminal, loadFile, PolyjobError, verifyWebhook, verifyWebhookSync };
