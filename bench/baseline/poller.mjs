// The baseline: a fixed-interval poller in plain JS, written the way Replicate's `wait` and fal's
// `subscribeToStatus` (polling mode) do it — one status request right after the submit, then
// sleep(500 ms) after each answer and ask again, one request per tick, until a terminal status.
// Provider routes and auth as documented (see mock/README.md); no retries, no backoff.
import { normalize, isTerminal } from "./normalize.mjs";

export const INTERVAL_MS = 500; // replicate/index.js `wait`: (options && options.interval) || 500; fal DEFAULT_POLL_INTERVAL = 500

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function auth(provider, key) {
  return provider === "optexity" ? { "x-api-key": key } : { authorization: `Bearer ${key}` };
}

async function json(res) {
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res.json();
}

/** Submits `req` (polyjob's SubmitRequest shape) to `provider` at `base`; resolves the job id. */
export async function submit(provider, base, key, req) {
  const headers = { "content-type": "application/json", ...auth(provider, key) };
  switch (provider) {
    case "socaity": {
      const b = await json(await fetch(`${base}/v1/${req.model}/generate`, { method: "POST", headers, body: JSON.stringify(req.input) }));
      return b.job_id;
    }
    case "optexity": {
      const b = await json(await fetch(`${base}/api/v1/inference`, { method: "POST", headers, body: JSON.stringify({ ...req.input, endpoint_name: req.model }) }));
      return b.task_id;
    }
    case "deapi": {
      const b = await json(await fetch(`${base}/api/v1/client/${req.task}`, { method: "POST", headers, body: JSON.stringify(req.input) }));
      return b.data.request_id;
    }
    case "serika": {
      const b = await json(await fetch(`${base}/jobs/images`, { method: "POST", headers, body: JSON.stringify({ ...req.input, model: req.model }) }));
      return b.id;
    }
    default: throw new Error(provider);
  }
}

/** One status request; resolves the normalized job. */
export async function getStatus(provider, base, key, id) {
  const h = auth(provider, key);
  let res;
  switch (provider) {
    case "socaity": res = await fetch(`${base}/v1/jobs/${encodeURIComponent(id)}`, { headers: h }); break;
    case "optexity": res = await fetch(`${base}/api/v1/inference/call`, { method: "POST", headers: { ...h, "content-type": "application/json" }, body: JSON.stringify({ task_id: id }) }); break;
    case "deapi": res = await fetch(`${base}/api/v1/client/request-status/${encodeURIComponent(id)}`, { headers: h }); break;
    case "serika": res = await fetch(`${base}/jobs/${encodeURIComponent(id)}`, { headers: h }); break;
    default: throw new Error(provider);
  }
  return normalize(provider, id, await json(res));
}

/** Replicate's loop: get, then while not terminal { sleep(interval); get }. */
export async function waitFixed(provider, base, key, id, interval = INTERVAL_MS) {
  let job = await getStatus(provider, base, key, id);
  while (!isTerminal(job.status)) {
    await sleep(interval);
    job = await getStatus(provider, base, key, id);
  }
  return job;
}
