// A Cloudflare Worker: `import { JobClient } from "polyjob"` resolves to the package's `workerd`
// entry (bundled the way wrangler does, with the wasm kept as a CompiledWasm module).
//   GET  /      one job per provider (submit + wait)
//   POST /file  a multipart form: its `image` File (from request.formData()) goes to deAPI
//               img2img with client.run; answers what the mock received of it
//   GET /wait?provider=P&mode=finish|abort|timeout
//               one client, one job of P that needs several polls, then wait(): `finish` answers
//               the terminal job; `abort` aborts the wait after 400 ms (ABORTED, the reason as
//               cause); `timeout` waits with timeoutMs 400 on a 30 s job (TIMEOUT); with the time
//               it took
//   GET /leave  submits a 30 s job and starts waiting for it, then answers without awaiting the
//               wait: workerd ends the request and cancels its timers and I/O, leaving that wait
//               stalled — which must not stall the waits of later requests
// The isolate serves many requests: `served` counts them and `isolate` names this one (made in
// the first request: workerd forbids randomness at global scope), so the test can tell that one
// instance served them all.
import * as polyjob from "polyjob";
import { runJobs, requestFor, KEY } from "../jobs.mjs";
import { submitFile, sha256Hex } from "../files.mjs";

let served = 0;
let isolate = null;

export default {
  async fetch(request, env) {
    served += 1;
    const n = served;
    isolate ??= crypto.randomUUID();
    try {
      const url = new URL(request.url);
      if (request.method === "POST" && url.pathname === "/file") {
        const form = await request.formData();
        const file = form.get("image");
        if (!(file instanceof File)) return Response.json({ ok: false, error: `form field "image" is ${typeof file}, not a File` }, { status: 400 });
        const result = await submitFile(polyjob, env.MOCK_URL, file, `workerd request ${n}`, { fileName: file.name, contentType: file.type });
        return Response.json({ ok: true, served: n, isolate, received: { name: file.name, type: file.type, size: file.size, sha256: await sha256Hex(file) }, result });
      }
      if (url.pathname === "/wait") {
        const provider = url.searchParams.get("provider");
        const mode = url.searchParams.get("mode") ?? "finish";
        const client = new polyjob.JobClient({ provider, apiKey: KEY, baseUrl: `${String(env.MOCK_URL).replace(/\/+$/, "")}/${provider}`, pollIntervalMs: 100, maxPollIntervalMs: 200 });
        const duration = mode === "finish" ? 800 : 30_000;
        const job = await client.submit(requestFor(provider, `wait-${mode}-${crypto.randomUUID()}`, { queue_ms: 100, duration_ms: duration, steps: 4 }));
        const t0 = Date.now();
        const ac = new AbortController();
        const reason = new Error("the page went away");
        if (mode === "abort") setTimeout(() => ac.abort(reason), 400);
        const updates = [];
        try {
          const done = await client.wait(job.id, { signal: ac.signal, timeoutMs: mode === "timeout" ? 400 : 20_000, onUpdate: (j) => updates.push(j.status) });
          return Response.json({ ok: true, served: n, isolate, provider, mode, status: done.status, updates, ms: Date.now() - t0, stats: client.stats });
        } catch (err) {
          const error = { code: err.code, message: err.message, instance: err instanceof polyjob.PolyjobError, causeIsReason: err.cause === reason };
          return Response.json({ ok: true, served: n, isolate, provider, mode, error, updates, ms: Date.now() - t0, stats: client.stats });
        }
      }
      if (url.pathname === "/leave") {
        const client = new polyjob.JobClient({ provider: "serika", apiKey: KEY, baseUrl: `${String(env.MOCK_URL).replace(/\/+$/, "")}/serika`, pollIntervalMs: 100, maxPollIntervalMs: 200 });
        const job = await client.submit(requestFor("serika", `leave-${crypto.randomUUID()}`, { queue_ms: 0, duration_ms: 30_000 }));
        client.wait(job.id, { timeoutMs: 60_000 }).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 300)); // a poll or two, then a pending sleep
        return Response.json({ ok: true, served: n, isolate, left: job.id });
      }
      const results = await runJobs(polyjob, env.MOCK_URL, "workerd");
      return Response.json({ ok: true, served: n, isolate, results });
    } catch (err) {
      return Response.json({ ok: false, served: n, isolate, error: String(err && err.stack ? err.stack : err) }, { status: 500 });
    }
  },
};
