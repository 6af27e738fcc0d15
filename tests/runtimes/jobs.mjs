// Runtime-agnostic: one submit + wait per provider against the mock providers server, with the
// JobClient of whichever runtime imports this (Node ESM/CJS, a Vite page, a bare page, a Worker).
// Uses only globals every runtime has (no Node modules, no timers or randomness at import).
export const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
export const KEY = "test-key";
export const EXPORTS = ["JobClient", "JobWatch", "JobStream", "WebhookDeduper", "PolyjobError", "isTerminal", "loadFile", "verifyWebhook", "verifyWebhookSync"];

/** A valid submit request for `provider` with a short mock scenario (`nonce` keeps bodies unique;
 * `scenario` overrides its timings). */
export function requestFor(provider, nonce, scenario = {}) {
  const mock = { queue_ms: 100, duration_ms: 400, steps: 4, ...scenario, nonce };
  switch (provider) {
    case "socaity":
      return { model: "flux-schnell", input: { prompt: "hello polyjob", mock } };
    case "optexity":
      return { model: "polyjob-test-endpoint", input: { input_parameters: { query: ["polyjob"] }, mock } };
    case "deapi":
      return { task: "txt2img", input: { prompt: "a red fox", model: "Flux1schnell", width: 512, height: 512, steps: 4, seed: -1, mock } };
    case "serika":
      return { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "a red fox", mock } };
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

/** Checks the module's exports, then submits and waits one job per provider; throws on any failure. */
export async function runJobs(polyjob, mockUrl, label) {
  const missing = EXPORTS.filter((name) => typeof polyjob[name] !== "function");
  if (missing.length) throw new Error(`${label}: missing exports ${missing.join(", ")}`);
  const { JobClient, isTerminal } = polyjob;
  const base = String(mockUrl).replace(/\/+$/, "");
  const nonce = `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return Promise.all(
    PROVIDERS.map(async (provider) => {
      const client = new JobClient({ provider, apiKey: KEY, baseUrl: `${base}/${provider}`, pollIntervalMs: 100, maxPollIntervalMs: 200 });
      const first = await client.submit(requestFor(provider, `${nonce}-${provider}`));
      if (typeof first.id !== "string" || first.id === "") throw new Error(`${label}/${provider}: submit gave no job id`);
      const updates = [];
      const done = await client.wait(first.id, { timeoutMs: 20000, onUpdate: (job) => updates.push(job.status) });
      if (done.status !== "FINISHED" || !isTerminal(done.status)) {
        throw new Error(`${label}/${provider}: job ${first.id} ended ${done.status} ${JSON.stringify(done.error)}`);
      }
      if (done.provider !== provider || done.id !== first.id) throw new Error(`${label}/${provider}: wrong job ${JSON.stringify(done)}`);
      return { provider, id: done.id, status: done.status, updates: updates.length, requests: client.stats.requests };
    }),
  );
}
