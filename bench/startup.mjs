// 2. Start-up: time to instantiate the module and construct a client.
//  - Node: a fresh `node` process per sample (bench/lib/startup-sample.mjs), median of many,
//    the subjects' samples interleaved;
//    polyjob's Node entry (`import { JobClient } from "polyjob"` → CJS glue, sync instantiate)
//    and its web glue with `initSync` (compile from bytes); beside it, importing each anchor's
//    esbuild bundle (bench/out/bundles, made by size.mjs) the same way.
//  - workerd via Miniflare 3 (cf: false): timers do not advance inside a Worker, so it is timed
//    from outside: Miniflare start + first request of a Worker that imports polyjob's `workerd`
//    entry (or, without one, pkg/web/polyjob.js + the wasm as CompiledWasm + initSync) and
//    constructs a client in its fetch handler, minus the same for an empty Worker; the anchors
//    likewise (their bundle imported by the Worker).
//
//   node bench/startup.mjs [--samples 40] [--worker-samples 12]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, median, quantile, round, writeStep, ROOT, PKG, OUT, BENCH } from "./lib/common.mjs";

const args = parseArgs();
const SAMPLES = Number(args.samples ?? 40);
const WSAMPLES = Number(args["worker-samples"] ?? 12);
const sample = join(BENCH, "lib/startup-sample.mjs");
const bundles = join(OUT, "bundles");
const ANCHORS = { replicate: "replicate.mjs", "@fal-ai/client": "_fal-ai_client.mjs", "pusher-js": "pusher-js.mjs", "standard-webhooks": "standard-webhooks.mjs" };

// The Node series are interleaved — sample k of every subject, then sample k + 1 — so that a
// machine that speeds up or slows down during the run moves every subject alike, and the
// ratios stay fair.
function nodeSeries(subjects) {
  const runs = subjects.map(() => ({ xs: [], error: null }));
  for (let k = 0; k < SAMPLES; k++) {
    subjects.forEach(({ what, file }, i) => {
      if (runs[i].error) return;
      const r = spawnSync(process.execPath, [sample, what, pathToFileURL(file).href], { encoding: "utf8", timeout: 30_000 });
      if (r.status !== 0) { runs[i].error = ((r.stderr || "").split("\n").find((l) => /^\w*Error\b/.test(l)) ?? `exit ${r.status ?? r.signal}`).slice(0, 200); return; }
      runs[i].xs.push(Number(r.stdout));
    });
  }
  return runs.map(({ xs, error }) => error ? { error } : { medianMs: round(median(xs), 2), p90Ms: round(quantile(xs, 0.9), 2), samples: xs.length });
}

const subjects = [
  { name: "polyjob (node entry: instantiate + new JobClient)", what: "polyjob-node", file: join(PKG, "node/index.mjs") },
  { name: "polyjob (web glue + initSync from bytes + new JobClient)", what: "polyjob-web", file: join(PKG, "web/polyjob.js") },
  ...Object.entries(ANCHORS).map(([name, f]) => ({ name: `${name} (import bundle)`, what: "anchor", file: join(bundles, f) })),
];
const node = {};
nodeSeries(subjects).forEach((r, i) => { node[subjects[i].name] = r; });
for (const [k, v] of Object.entries(node)) console.log(`  node   ${k.padEnd(58)} ${v.error ? "error: " + v.error : `median ${v.medianMs} ms (p90 ${v.p90Ms})`}`);

// workerd via Miniflare.
let workerd = {};
try {
  const { Miniflare } = await import("miniflare");
  process.env.WRANGLER_SEND_METRICS = "false";
  const dir = join(OUT, "workers");
  mkdirSync(dir, { recursive: true });
  const pkgJson = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  const w = pkgJson.exports?.["."]?.workerd;
  const workerdEntry = typeof w === "string" ? w : w?.import ?? w?.default ?? null;
  const rel = (p) => "./" + relative(dir, p).split("\\").join("/");
  // Every Worker imports ./clock.mjs first (ES modules evaluate in import order), so
  // `Date.now()` after the imports measures their evaluation; the fetch handler times the
  // construction. (In local workerd Date.now() advances during execution; ms resolution.)
  writeFileSync(join(dir, "clock.mjs"), "export const t0 = Date.now();\n");
  const worker = (target, construct) => `import { t0 } from "./clock.mjs";\n${target ? `import * as m from "${target}";\n` : ""}${construct.includes("wasm") ? `import wasm from "${rel(join(PKG, "web/polyjob_bg.wasm"))}";\n` : ""}const t1 = Date.now();\nexport default { async fetch() { const t2 = Date.now(); ${construct} const t3 = Date.now(); return Response.json({ load: t1 - t0, construct: t3 - t2 }); } };\n`;
  const useWorkerdExport = workerdEntry && existsSync(join(PKG, workerdEntry));
  const workers = {
    empty: worker(null, ""),
    polyjob: useWorkerdExport
      ? worker(rel(join(PKG, workerdEntry)), `new m.JobClient({ provider: "deapi", apiKey: "k" });`)
      : worker(rel(join(PKG, "web/polyjob.js")), `m.initSync({ module: wasm }); new m.JobClient({ provider: "deapi", apiKey: "k" });`),
  };
  for (const [name, f] of Object.entries(ANCHORS)) workers[name] = worker(rel(join(bundles, f)), "");
  const inner = Object.fromEntries(Object.keys(workers).map((k) => [k, []]));
  const times = Object.fromEntries(Object.keys(workers).map((k) => [k, []]));
  const errors = {};
  for (const [k, src] of Object.entries(workers)) writeFileSync(join(dir, `${k.replace(/[@/]/g, "_")}.mjs`), src);
  for (let s = 0; s < WSAMPLES; s++) {
    for (const k of Object.keys(workers)) {
      if (errors[k]) continue;
      const t0 = performance.now();
      let mf;
      try {
        mf = new Miniflare({
          modules: true,
          scriptPath: join(dir, `${k.replace(/[@/]/g, "_")}.mjs`),
          modulesRoot: ROOT,
          modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
          compatibilityDate: "2024-09-23",
          cf: false,
          log: undefined,
        });
        await mf.ready;
        const res = await mf.dispatchFetch("http://localhost/");
        const text = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        times[k].push(performance.now() - t0);
        const j = JSON.parse(text);
        inner[k].push(j.load + j.construct);
      } catch (e) {
        errors[k] = String(e.message ?? e).slice(0, 300);
      } finally {
        await mf?.dispose().catch(() => {});
      }
    }
  }
  const empty = median(times.empty);
  workerd = {
    method: "inside the Worker: Date.now() around the module's imports (evaluation, incl. polyjob's initSync) plus the client construction, median; also from outside: Miniflare start + first request minus the same for an empty Worker (this includes workerd compiling the wasm at load)",
    entry: workerdEntry ? `polyjob "workerd" export (${workerdEntry})` : "pkg/web/polyjob.js + polyjob_bg.wasm as CompiledWasm + initSync",
    emptyWorkerMedianMs: round(empty, 1),
    emptyWorkerInnerMedianMs: median(inner.empty),
    results: {},
  };
  for (const k of Object.keys(workers)) {
    if (k === "empty") continue;
    const label = k === "polyjob" ? "polyjob (instantiate + new JobClient)" : `${k} (import bundle)`;
    workerd.results[label] = errors[k] ? { error: errors[k] } : { medianMs: round(median(inner[k]), 1), p90Ms: round(quantile(inner[k], 0.9), 1), externalMedianMs: round(median(times[k]), 1), externalOverEmptyMs: round(median(times[k]) - empty, 1), samples: times[k].length };
    const v = workerd.results[label];
    console.log(`  workerd ${label.padEnd(57)} ${v.error ? "error: " + v.error : `median ${v.medianMs} ms in the Worker (p90 ${v.p90Ms}); from outside ${v.externalOverEmptyMs} ms over an empty Worker`}`);
  }
} catch (e) {
  workerd = { error: String(e.message ?? e).slice(0, 300) };
  console.log(`  workerd: ${workerd.error}`);
}

writeStep("startup", { node, nodeSamples: SAMPLES, workerd, workerSamples: WSAMPLES, nodeVersion: process.version });
