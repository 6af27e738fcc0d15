// Shared helpers of the bench scripts: arguments, quantiles, where things are, the mock server's
// introspection, and a valid submit request per provider (the same scenarios for every strategy).
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
export const PKG = join(ROOT, "pkg");
export const OUT = join(BENCH, "out");
export const KEY = "test-key";
export const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];

/** `--name value` pairs and bare `--flag`s. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) continue;
    const k = argv[i].slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}

/** Nearest-rank quantile (q in 0..1) of numbers. */
export function quantile(xs, q) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
export const median = (xs) => quantile(xs, 0.5);
export const round = (x, d = 2) => (x == null || !Number.isFinite(x) ? x : Math.round(x * 10 ** d) / 10 ** d);

/** Writes one step's results to bench/out/<name>.json. */
export function writeStep(name, data) {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(data, null, 2) + "\n");
}

export function mockUrl() {
  const u = (process.env.POLYJOB_MOCK_URL || "").replace(/\/+$/, "");
  if (!u) throw new Error("set POLYJOB_MOCK_URL (scripts/bench.sh starts the mock)");
  return u;
}

export async function mockJob(mock, id) {
  const r = await fetch(`${mock}/__mock/jobs/${encodeURIComponent(id)}`);
  if (!r.ok) throw new Error(`mock job ${id}: HTTP ${r.status}`);
  return r.json();
}

export async function mockJobs(mock) {
  return (await fetch(`${mock}/__mock/jobs`)).json();
}

/** polyjob's SubmitRequest for `provider` carrying the mock scenario. */
export function polyjobRequest(provider, mock) {
  switch (provider) {
    case "socaity": return { model: "flux-schnell", input: { prompt: "bench", mock } };
    case "optexity": return { model: "bench-endpoint", input: { input_parameters: { q: ["bench"] }, mock } };
    case "deapi": return { task: "txt2img", input: { prompt: "bench", model: "Flux1schnell", width: 512, height: 512, seed: 1, mock } };
    case "serika": return { model: "tensorart-illustrious-xl-v2-aesthetic", input: { prompt: "bench", mock } };
    default: throw new Error(provider);
  }
}
