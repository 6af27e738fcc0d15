// 6. Files in: one large Blob (100 MB by default) submitted through polyjob — Socaity
// `POST /v1/{model}/generate` as multipart/form-data, `client.submit({ model, input: { file } })`
// — against a plain `fetch` of the same FormData (the same parts: the Blob as `file`, `prompt` as
// text) to the same endpoint, in the same process, alternating (each round runs both, the order
// flipped every round), gc() before each. Wall time = the call until its answer is read (polyjob:
// submit() resolves the first Job; plain: fetch + res.json()), median over the rounds, and the
// ratio of the medians. polyjob hands the Blob to the host's FormData by reference: its bytes
// should never enter wasm memory, so the wasm instance's memory (memory.buffer.byteLength, which
// only grows) is read after a warm-up submit and after every polyjob round.
// polyjob's own share of its wall time is measured too: its client's `fetch` option is the global
// fetch behind a stopwatch, so the time before the fetch call (building the form) and after the
// fetch resolves (reading and normalizing the answer) is known, whatever the machine's load does
// to the upload itself.
// Every upload is checked: the server's record of the `file` part (size, SHA-256) must be the
// Blob's. The server is the mock providers server (it streams and hashes Socaity multipart up to
// 512 MiB); `--target local` (or `auto`, when the mock's probe upload fails) uses
// bench/lib/upload-sink.mjs instead, a Node process that drains and hashes the body the same way,
// bounded by --exit-after and stopped by PID.
//
//   POLYJOB_MOCK_URL=... node --expose-gc bench/files.mjs [--mb 100] [--rounds 7] [--target auto|mock|local]
import { spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { join } from "node:path";
import { parseArgs, median, round, writeStep, KEY, PKG, BENCH } from "./lib/common.mjs";

const args = parseArgs();
const MB = Number(args.mb ?? 100);
const SIZE = Math.round(MB * 1_000_000);
const ROUNDS = Number(args.rounds ?? 7);
const TARGET = String(args.target ?? "auto");
const MODEL = "flux-schnell";
const PROBE_SIZE = 1_000_000;
const gc = () => {
  if (globalThis.gc) for (let k = 0; k < 3; k++) globalThis.gc();
};
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** A Blob of `n` random bytes (typed: no sniffing on either side) and its SHA-256. */
function randomBlob(n) {
  const bytes = new Uint8Array(n);
  for (let at = 0; at < n; at += 1 << 16) randomFillSync(bytes, at, Math.min(1 << 16, n - at));
  return { blob: new Blob([bytes], { type: "application/octet-stream" }), sha256: sha256(bytes) };
}

/** Starts bench/lib/upload-sink.mjs; resolves { base, stop }. */
async function startSink() {
  const child = spawn(process.execPath, [join(BENCH, "lib", "upload-sink.mjs"), "--exit-after", "900"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("upload sink did not start in 10 s")), 10_000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
    child.on("exit", (code) => reject(new Error(`upload sink exited ${code}`)));
  });
  const stop = () => {
    try {
      process.kill(child.pid, "SIGTERM");
    } catch {}
  };
  process.once("exit", stop);
  return { base: `http://127.0.0.1:${port}`, stop, pid: child.pid };
}

/** The plain side: the same parts polyjob sends, in a FormData, one fetch. Resolves the job id. */
async function plainSubmit(base, blob) {
  const form = new FormData();
  form.append("file", blob, "file");
  form.append("prompt", "bench");
  const res = await fetch(`${base}/socaity/v1/${MODEL}/generate`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: form });
  const body = await res.json();
  if (!res.ok || typeof body.job_id !== "string") throw new Error(`plain fetch: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.job_id;
}

/** The server's record of the upload's `file` part must be the Blob's bytes. */
async function verify(base, id, size, hash, who) {
  const res = await fetch(`${base}/__mock/jobs/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(`${who}: GET /__mock/jobs/${id}: HTTP ${res.status}`);
  const job = await res.json();
  const part = (job.parts ?? []).find((p) => p.name === "file");
  if (!part) throw new Error(`${who}: the server recorded no "file" part for ${id}: ${JSON.stringify(job.parts)}`);
  if (part.size !== size || part.sha256 !== hash) throw new Error(`${who}: the server received ${part.size} B (sha256 ${part.sha256}), sent ${size} B (sha256 ${hash})`);
}

const polyjob = await import(join(PKG, "node", "index.mjs"));
// The node entry's module object is the web glue, already instantiated: initSync() returns the
// instance's exports (memory included) without instantiating again.
const wasm = polyjob.default.initSync();
const wasmBytes = () => wasm.memory.buffer.byteLength;
const atLoad = wasmBytes();

// Where to upload: the mock, unless it cannot take a multipart body with its parts recorded.
const MOCK = (process.env.POLYJOB_MOCK_URL || "").replace(/\/+$/, "");
let base = MOCK;
let target = "mock";
let sink = null;
let mockProblem = null;
if (TARGET !== "local" && MOCK) {
  try {
    const probe = randomBlob(PROBE_SIZE);
    await verify(MOCK, await plainSubmit(MOCK, probe.blob), PROBE_SIZE, probe.sha256, "probe");
  } catch (e) {
    mockProblem = String(e.message || e);
  }
}
if (TARGET === "local" || !MOCK || mockProblem) {
  if (TARGET === "mock") throw new Error(`--target mock: ${mockProblem ?? "POLYJOB_MOCK_URL is not set"}`);
  sink = await startSink();
  base = sink.base;
  target = "local";
  console.log(`  files: uploading to a local Node sink (pid ${sink.pid})${mockProblem ? `; the mock's probe failed: ${mockProblem}` : ""}`);
}

try {
  let fetchCalledAt = 0, fetchResolvedAt = 0;
  const timedFetch = (url, init) => {
    fetchCalledAt = performance.now();
    return fetch(url, init).then((res) => {
      fetchResolvedAt = performance.now();
      return res;
    });
  };
  const client = new polyjob.JobClient({ provider: "socaity", apiKey: KEY, baseUrl: `${base}/socaity`, maxRetries: 0, requestTimeoutMs: 300_000, fetch: timedFetch });
  const polyjobSubmit = async (blob) => (await client.submit({ model: MODEL, input: { file: blob, prompt: "bench" } })).id;

  // Warm-up: both paths once with a small Blob (module code, first-call allocations, the socket).
  const small = randomBlob(PROBE_SIZE);
  await verify(base, await polyjobSubmit(small.blob), PROBE_SIZE, small.sha256, "polyjob warm-up");
  await verify(base, await plainSubmit(base, small.blob), PROBE_SIZE, small.sha256, "plain warm-up");

  const { blob, sha256: hash } = randomBlob(SIZE);
  gc();
  const before = wasmBytes();
  const times = { polyjob: [], plain: [] };
  const own = []; // polyjob's time outside the fetch: before the call + after the answer
  const wasmAfterRound = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ["polyjob", "plain"] : ["plain", "polyjob"];
    for (const who of order) {
      gc();
      const t0 = performance.now();
      const id = who === "polyjob" ? await polyjobSubmit(blob) : await plainSubmit(base, blob);
      const ms = performance.now() - t0;
      times[who].push(round(ms, 1));
      if (who === "polyjob") {
        own.push(round(ms - (fetchResolvedAt - fetchCalledAt), 2));
        wasmAfterRound.push(wasmBytes());
      }
      await verify(base, id, SIZE, hash, `${who} round ${r + 1}`);
    }
    console.log(`  files round ${r + 1}/${ROUNDS}: polyjob ${times.polyjob.at(-1)} ms (${own.at(-1)} ms of it outside its fetch), plain fetch ${times.plain.at(-1)} ms, wasm memory ${wasmBytes()} B`);
  }
  const after = wasmBytes();
  const pm = median(times.polyjob);
  const fm = median(times.plain);
  const out = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    sizeBytes: SIZE,
    mb: MB,
    rounds: ROUNDS,
    target,
    targetNote: target === "mock" ? "the mock providers server (Socaity multipart, streamed and hashed)" : `a local Node sink that drains and hashes the body (bench/lib/upload-sink.mjs)${mockProblem ? `; the mock's probe failed: ${mockProblem}` : ""}`,
    endpoint: `POST /socaity/v1/${MODEL}/generate`,
    verifiedUploads: 2 * ROUNDS,
    polyjobMs: times.polyjob,
    plainMs: times.plain,
    polyjobMedianMs: pm,
    polyjobOutsideFetchMs: own,
    polyjobOutsideFetchMedianMs: median(own),
    plainMedianMs: fm,
    ratio: round(pm / fm, 3),
    polyjobMBps: round(SIZE / 1e6 / (pm / 1000), 1),
    plainMBps: round(SIZE / 1e6 / (fm / 1000), 1),
    wasmMemory: { atLoad, before, after, afterEachPolyjobRound: wasmAfterRound, growthBytes: after - before, growthSinceLoadBytes: after - atLoad },
  };
  writeStep("files", out);
  console.log(`  files: ${MB} MB Blob, median of ${ROUNDS}: polyjob ${pm} ms (${out.polyjobOutsideFetchMedianMs} ms outside its fetch) vs plain fetch ${fm} ms = ${out.ratio}×; wasm memory ${before} → ${after} B (growth ${after - before} B; since load ${after - atLoad} B); target: ${target}`);
} finally {
  if (sink) sink.stop();
}
process.exit(0);
