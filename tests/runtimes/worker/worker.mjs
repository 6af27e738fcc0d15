// A Cloudflare Worker: `import { JobClient } from "polyjob"` resolves to the package's `workerd`
// entry (bundled the way wrangler does, with the wasm kept as a CompiledWasm module).
import * as polyjob from "polyjob";
import { runJobs } from "../jobs.mjs";

export default {
  async fetch(request, env) {
    try {
      const results = await runJobs(polyjob, env.MOCK_URL, "workerd");
      return Response.json({ ok: true, results });
    } catch (err) {
      return Response.json({ ok: false, error: String(err && err.stack ? err.stack : err) }, { status: 500 });
    }
  },
};
