// 4. CPU per status update: N recorded provider status bodies (every 2xx `status_*` fixture of
// the four providers in tests/fixtures that normalizes to a job, cycled) go through polyjob and
// through the plain-JS normalizer, in one process. polyjob has no public "parse this body"
// call, so it is driven through `client.get(id)` with a `fetch` option that hands back a
// pre-built `Response` carrying the body's text; the JS side gets the same kind of Response
// from the same kind of fetch and calls `.json()`. Responses are built outside the timed part,
// in batches; the two sides alternate batch by batch (which one goes first alternates too).
//
//   node --expose-gc bench/cpu.mjs [--bodies 100000] [--batch 10000]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { JobClient } from "../pkg/node/index.mjs";
import { parseArgs, round, writeStep, ROOT, PROVIDERS } from "./lib/common.mjs";
import { normalize } from "./baseline/normalize.mjs";

const args = parseArgs();
const N = Number(args.bodies ?? 100000);
const BATCH = Math.min(N, Number(args.batch ?? 10000));

const fixtures = [];
for (const p of PROVIDERS) {
  const dir = join(ROOT, "tests/fixtures", p);
  for (const f of readdirSync(dir).sort()) {
    if (!f.startsWith("status_")) continue;
    const fx = JSON.parse(readFileSync(join(dir, f), "utf8"));
    if (!fx.expect || !("body" in fx) || fx.http_status < 200 || fx.http_status > 299) continue;
    fixtures.push({ provider: p, name: f, id: fx.id ?? "job", text: JSON.stringify(fx.body), http: fx.http_status });
  }
}

const clients = Object.fromEntries(PROVIDERS.map((p) => [p, null]));
let queue = [];
let qi = 0;
const fakeFetch = () => Promise.resolve(queue[qi++]);
for (const p of PROVIDERS) clients[p] = new JobClient({ provider: p, apiKey: "k", baseUrl: "http://127.0.0.1:9/" + p, fetch: fakeFetch, maxRetries: 0 });

const build = (from, count) => {
  queue = new Array(count);
  qi = 0;
  for (let k = 0; k < count; k++) {
    const fx = fixtures[(from + k) % fixtures.length];
    queue[k] = new Response(fx.text, { status: fx.http, headers: { "content-type": "application/json" } });
  }
};

async function runPolyjob(from, count) {
  let sink = 0;
  for (let k = 0; k < count; k++) {
    const fx = fixtures[(from + k) % fixtures.length];
    const job = await clients[fx.provider].get(fx.id);
    sink += job.status.length;
  }
  return sink;
}

async function runJs(from, count) {
  let sink = 0;
  for (let k = 0; k < count; k++) {
    const fx = fixtures[(from + k) % fixtures.length];
    const res = await fakeFetch(`http://127.0.0.1:9/${fx.provider}/status/${fx.id}`, { method: "GET", headers: { authorization: "Bearer k" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const job = normalize(fx.provider, fx.id, await res.json());
    sink += job.status.length;
  }
  return sink;
}

// Agreement check: do both sides produce the same status and progress for every fixture?
let agree = 0;
const disagreements = [];
build(0, fixtures.length);
const pj = [];
for (const fx of fixtures) pj.push(await clients[fx.provider].get(fx.id).catch((e) => ({ status: `ERR ${e.code}` })));
build(0, fixtures.length);
for (let k = 0; k < fixtures.length; k++) {
  const fx = fixtures[k];
  const res = await fakeFetch();
  let js;
  try { js = normalize(fx.provider, fx.id, await res.json()); } catch (e) { js = { status: `ERR ${e.message}` }; }
  const same = js.status === pj[k].status && Math.abs((js.progress ?? -1) - (pj[k].progress ?? -1)) < 1e-9;
  if (same) agree++; else disagreements.push(`${fx.provider}/${fx.name}: polyjob ${pj[k].status} ${pj[k].progress}, js ${js.status} ${js.progress}`);
}

// Warm-up, then timed batches.
for (const f of [runPolyjob, runJs]) { build(0, Math.min(BATCH, 5000)); await f(0, Math.min(BATCH, 5000)); }
let tPoly = 0, tJs = 0;
for (let done = 0, b = 0; done < N; done += BATCH, b++) {
  const count = Math.min(BATCH, N - done);
  const order = b % 2 ? [["js", runJs], ["poly", runPolyjob]] : [["poly", runPolyjob], ["js", runJs]];
  for (const [which, f] of order) {
    build(done, count);
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    await f(done, count);
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (which === "poly") tPoly += dt; else tJs += dt;
  }
}
const out = {
  bodies: N,
  distinctFixtures: fixtures.length,
  fixturesPerProvider: Object.fromEntries(PROVIDERS.map((p) => [p, fixtures.filter((f) => f.provider === p).length])),
  agreement: { same: agree, of: fixtures.length, disagreements },
  polyjobMs: round(tPoly, 1),
  jsMs: round(tJs, 1),
  polyjobUsPerUpdate: round((1000 * tPoly) / N, 3),
  jsUsPerUpdate: round((1000 * tJs) / N, 3),
  ratio: round(tPoly / tJs, 3),
};
console.log(`  cpu: ${N} bodies (${fixtures.length} fixtures): polyjob ${out.polyjobUsPerUpdate} µs/update, plain JS ${out.jsUsPerUpdate} µs/update → ${out.ratio}×; agreement ${agree}/${fixtures.length}`);
for (const d of disagreements) console.log(`    differs: ${d}`);
writeStep("cpu", out);
