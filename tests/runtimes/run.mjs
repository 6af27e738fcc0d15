// Runtime tests of the built package, run by scripts/test-runtimes.sh (which installs this folder's
// deps first). Packs pkg/ with `npm pack`, installs the tarball into a fresh temporary app, then:
//   exports map     node resolves "polyjob" per condition (import, require, workerd, ./web)
//   node ESM/CJS    `import` / `require("polyjob")`, a job per provider submitted and waited for;
//                   a file each (a File in ESM, a Buffer in CJS) to deAPI img2img
//   types           tests/types: usage.ts compiles strict (bundler + nodenext), fail.ts fails as marked
//   vite            `vite build` of a page importing "polyjob", run in headless Chromium (build and
//                   dev server); a second page submits the File picked in its <input type=file>
//   bare page       `polyjob/web` + `await init()` via an import map, in headless Chromium; the same
//                   <input type=file> page
//   workerd         a Worker importing "polyjob" (workerd condition), bundled like wrangler does,
//                   run in Miniflare 3 (workerd): a job per provider, then several multipart
//                   requests to the same instance, each request's File submitted to deAPI img2img
// Every file test checks the mock's record of the upload (GET /__mock/jobs/{id} "parts"): the
// `image` part's SHA-256 must equal the SHA-256 of the PNG this runner generated (tests/runtimes/
// png.mjs), and the job's result file must load with `loadFile`.
// Env: POLYJOB_MOCK_URL (the mock providers server), POLYJOB_PKG (default ../../pkg),
// CHROMIUM (default /usr/bin/chromium). Ends with `runtimes: N passed, M failed`.
// Every process started here is stopped here (by PID / handle); each test has a time limit.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { cp, mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile, copyFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makePng, sha256 } from "./png.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const PKG = path.resolve(process.env.POLYJOB_PKG || path.join(ROOT, "pkg"));
const MOCK = (process.env.POLYJOB_MOCK_URL || "").replace(/\/+$/, "");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

const results = [];
const cleanups = [];

function log(...a) {
  console.log(...a);
}

async function test(name, ms, fn) {
  const started = Date.now();
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    });
    const detail = await Promise.race([fn(), timeout]);
    results.push({ name, ok: true });
    log(`ok    ${name} (${Date.now() - started} ms)${detail ? ` — ${detail}` : ""}`);
  } catch (err) {
    results.push({ name, ok: false });
    log(`FAIL  ${name} (${Date.now() - started} ms)\n      ${String(err && err.stack ? err.stack : err).split("\n").join("\n      ")}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion (killed by PID after `ms`); resolves { code, stdout, stderr }. */
function run(cmd, args, { cwd, env, ms = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
      reject(new Error(`${cmd} ${args.join(" ")}: killed after ${ms} ms\n${stdout}\n${stderr}`));
    }, ms);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function mustRun(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function summarize(jsonLine) {
  const jobs = JSON.parse(jsonLine);
  return jobs.map((j) => `${j.provider} ${j.status} (${j.updates} updates, ${j.requests} requests)`).join(", ");
}

// ---- a static file server for the built pages ----------------------------------------------------
const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

async function serveStatic(root) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://x");
      let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
      if (!file.startsWith(root)) throw new Error("outside root");
      if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": MIME[path.extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${server.address().port}`, server };
}

// ---- the app: a fresh consumer with the packed tarball installed -----------------------------------
async function makeApp() {
  const tmp = await mkdtemp(path.join(tmpdir(), "polyjob-runtimes-"));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const app = path.join(tmp, "app");
  await mkdir(app);
  const packed = await mustRun("npm", ["pack", "--silent", "--pack-destination", tmp, PKG], { cwd: tmp, ms: 60_000 });
  const tgz = packed.stdout.trim().split("\n").pop();
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "polyjob-runtime-app", private: true, type: "module" }, null, 2));
  await mustRun("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", path.join(tmp, tgz)], { cwd: app, ms: 120_000 });
  for (const f of ["jobs.mjs", "files.mjs", "node-esm.mjs", "node-cjs.cjs", "node-esm-file.mjs", "node-cjs-file.cjs"]) await copyFile(path.join(HERE, f), path.join(app, f));
  for (const d of ["vite", "bare", "worker"]) await cp(path.join(HERE, d), path.join(app, d), { recursive: true });
  await cp(path.join(ROOT, "tests", "types"), path.join(app, "types"), { recursive: true });
  return { tmp, app, tgz };
}

// ---- the PNGs the file tests upload ----------------------------------------------------------------
/** Writes a real PNG (its own seed: its own bytes) into app/photos; returns { path, name, bytes, sha256 }. */
async function photo(app, name, width, height, seed) {
  const bytes = makePng(width, height, seed);
  await mkdir(path.join(app, "photos"), { recursive: true });
  const where = path.join(app, "photos", name);
  await writeFile(where, bytes);
  return { path: where, name, bytes, sha256: sha256(bytes) };
}

/** Checks what a runtime reported of a file submit against the PNG this runner wrote. */
function checkFile(result, png, { fileName = png.name, contentType = "image/png" } = {}) {
  const img = result && result.image;
  if (!img) throw new Error(`no image part in ${JSON.stringify(result)}`);
  const problems = [];
  if (img.sha256 !== png.sha256) problems.push(`the mock's image part has sha256 ${img.sha256}, the PNG's is ${png.sha256}`);
  if (img.size !== png.bytes.length) problems.push(`the mock's image part has ${img.size} B, the PNG ${png.bytes.length} B`);
  if (img.file_name !== fileName) problems.push(`file_name ${img.file_name}, want ${fileName}`);
  if (img.content_type !== contentType) problems.push(`content_type ${img.content_type}, want ${contentType}`);
  if (result.status !== "FINISHED") problems.push(`status ${result.status}`);
  if (problems.length) throw new Error(problems.join("\n"));
  return `${png.name} ${png.bytes.length} B → image part sha256 ${img.sha256.slice(0, 12)}… = the PNG's; job ${result.status}, result file loaded (${result.loaded.size} B ${result.loaded.type})`;
}

// ---- tests ---------------------------------------------------------------------------------------
async function main() {
  if (!MOCK) throw new Error("POLYJOB_MOCK_URL is not set (start target/debug/polyjob-mock first)");
  if (!existsSync(path.join(PKG, "package.json"))) throw new Error(`no built package at ${PKG} (run scripts/build.sh)`);
  const { app, tgz } = await makeApp();
  log(`packed ${tgz}, installed into ${app}`);
  const nodeEnv = { POLYJOB_MOCK_URL: MOCK };

  await test("exports map: import / require / workerd / ./workerd / ./web resolve to their entries", 30_000, async () => {
    const resolve = async (conditions, expr) => {
      const args = [...conditions.map((c) => `--conditions=${c}`), "--input-type=module", "-e", `console.log(${expr})`];
      return (await mustRun(process.execPath, args, { cwd: app })).stdout.trim();
    };
    const want = {
      import: [[], 'import.meta.resolve("polyjob")', "/node/index.mjs"],
      require: [[], '(await import("node:module")).createRequire(import.meta.url).resolve("polyjob")', "/node/index.mjs"],
      workerd: [["workerd"], 'import.meta.resolve("polyjob")', "/web/workerd.js"],
      "./workerd": [[], 'import.meta.resolve("polyjob/workerd")', "/web/workerd.js"],
      web: [[], 'import.meta.resolve("polyjob/web")', "/web/polyjob.js"],
      wasm: [[], 'import.meta.resolve("polyjob/web/polyjob_bg.wasm")', "/web/polyjob_bg.wasm"],
    };
    for (const [name, [conds, expr, suffix]] of Object.entries(want)) {
      const got = await resolve(conds, expr);
      if (!got.endsWith(`node_modules/polyjob${suffix}`)) throw new Error(`${name}: resolved ${got}, want …/polyjob${suffix}`);
    }
    const meta = JSON.parse(await readFile(path.join(app, "node_modules/polyjob/package.json"), "utf8"));
    const keys = Object.keys(meta.exports["."]);
    const order = ["types", "workerd", "node", "browser", "default"];
    if (keys.join() !== order.join()) throw new Error(`"." conditions are ${keys.join(", ")}, want ${order.join(", ")}`);
    const wasm = (await listFiles(path.join(app, "node_modules/polyjob"))).filter((f) => f.endsWith(".wasm"));
    if (wasm.length !== 1) throw new Error(`the tarball ships ${wasm.length} wasm files: ${wasm.join(", ")}`);
    return `${Object.keys(want).length} resolutions checked, 1 wasm file in the tarball`;
  });

  await test("node ESM: import { JobClient } from \"polyjob\" runs a job per provider", 60_000, async () => {
    const r = await mustRun(process.execPath, ["node-esm.mjs"], { cwd: app, env: nodeEnv });
    return summarize(r.stdout.trim().split("\n").pop());
  });

  await test("node CJS: require(\"polyjob\") runs a job per provider", 60_000, async () => {
    const r = await mustRun(process.execPath, ["node-cjs.cjs"], { cwd: app, env: nodeEnv });
    return summarize(r.stdout.trim().split("\n").pop());
  });

  const esmPng = await photo(app, "esm-photo.png", 200, 150, 11);
  await test("node ESM: a File (fs.openAsBlob) to deAPI img2img — the mock's image part has the PNG's SHA-256", 60_000, async () => {
    const r = await mustRun(process.execPath, ["node-esm-file.mjs"], { cwd: app, env: { ...nodeEnv, POLYJOB_FILE: esmPng.path } });
    return checkFile(JSON.parse(r.stdout.trim().split("\n").pop()), esmPng);
  });

  const cjsPng = await photo(app, "cjs-photo.png", 160, 120, 12);
  await test("node CJS: a Buffer to deAPI img2img — the mock's image part has the PNG's SHA-256", 60_000, async () => {
    const r = await mustRun(process.execPath, ["node-cjs-file.cjs"], { cwd: app, env: { ...nodeEnv, POLYJOB_FILE: cjsPng.path } });
    return checkFile(JSON.parse(r.stdout.trim().split("\n").pop()), cjsPng, { fileName: "image" });
  });

  const tsc = path.join(HERE, "node_modules", "typescript", "bin", "tsc");
  const types = path.join(app, "types");
  await test("types: tests/types/usage.ts compiles with tsc --strict (moduleResolution bundler and nodenext)", 120_000, async () => {
    for (const cfg of ["tsconfig.json", "tsconfig.nodenext.json"]) {
      const r = await run(process.execPath, [tsc, "-p", cfg], { cwd: types, ms: 110_000 });
      if (r.code !== 0) throw new Error(`tsc -p ${cfg} exited ${r.code}\n${r.stdout}${r.stderr}`);
    }
    const dts = await readFile(path.join(app, "node_modules/polyjob/node/polyjob.d.ts"), "utf8");
    if (/\bany\b/.test(dts.replace(/\/\*[\s\S]*?\*\//g, ""))) throw new Error("node/polyjob.d.ts mentions `any`");
    return "both configs clean; no `any` in node/polyjob.d.ts";
  });

  await test("types: tests/types/fail.ts fails to compile with exactly the marked errors", 120_000, async () => {
    const src = (await readFile(path.join(types, "fail.ts"), "utf8")).split("\n");
    const expected = new Map();
    src.forEach((line, i) => {
      const m = /\/\/ expect-error (TS\d+)/.exec(line);
      if (m) expected.set(i + 1, m[1]);
    });
    if (expected.size < 2) throw new Error("fail.ts marks fewer than 2 expected errors");
    const r = await run(process.execPath, [tsc, "-p", "tsconfig.fail.json"], { cwd: types, ms: 110_000 });
    if (r.code === 0) throw new Error("tsc compiled fail.ts without errors");
    const got = new Map();
    for (const m of r.stdout.matchAll(/fail\.ts\((\d+),\d+\): error (TS\d+)/g)) got.set(Number(m[1]), m[2]);
    const problems = [];
    for (const [line, code] of expected) if (got.get(line) !== code) problems.push(`line ${line}: want ${code}, got ${got.get(line) || "no error"}`);
    for (const [line, code] of got) if (!expected.has(line)) problems.push(`line ${line}: unexpected ${code}`);
    if (problems.length) throw new Error(`${problems.join("\n")}\n--- tsc output ---\n${r.stdout}${r.stderr}`);
    return `${expected.size} expected errors (wrong provider, wrong status literals, …), exit ${r.code}`;
  });

  // Vite build, then the built page and the bare page in one headless Chromium.
  let viteOk = false;
  await test("vite 7: build of a page importing \"polyjob\" (no init call, default config)", 120_000, async () => {
    const { build } = await import("vite");
    const root = path.join(app, "vite");
    await build({
      root,
      base: "./",
      configFile: false,
      logLevel: "warn",
      // Two pages (the jobs page and the <input type=file> page): the only non-default setting.
      build: {
        outDir: path.join(app, "vite-dist"),
        emptyOutDir: true,
        rollupOptions: { input: { index: path.join(root, "index.html"), files: path.join(root, "files.html") } },
      },
    });
    const files = await listFiles(path.join(app, "vite-dist"));
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    if (wasm.length !== 1) throw new Error(`vite emitted ${wasm.length} wasm files: ${files.join(", ")}`);
    viteOk = true;
    return `emitted ${files.map((f) => path.relative(path.join(app, "vite-dist"), f)).join(", ")}`;
  });

  const { chromium } = await import("playwright-core");
  const site = await serveStatic(app);
  let browser = null;
  cleanups.unshift(async () => {
    if (browser) await browser.close().catch(() => {});
  });
  // `file`: a PNG to pick in the page's <input type=file> (Playwright's setInputFiles, as a user's
  // file dialog would); the page then submits it and reports the mock's record of the upload.
  const inPage = async (url, { file } = {}) => {
    if (!browser) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page = await browser.newPage();
    const console_ = [];
    page.on("console", (m) => console_.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => console_.push(`[pageerror] ${e.message}`));
    try {
      await page.goto(url, { timeout: 30_000 });
      if (file) {
        await page.waitForSelector("#file[data-ready], #out[data-state]", { timeout: 30_000 }).catch(() => {});
        if ((await page.getAttribute("#file", "data-ready")) === "1") await page.setInputFiles("#file", file.path);
      }
      await page.waitForSelector("#out[data-state]", { timeout: 45_000 }).catch(() => {});
      const state = await page.getAttribute("#out", "data-state");
      const text = await page.textContent("#out");
      if (state !== "passed") throw new Error(`page state ${state}: ${text}\n${console_.join("\n")}`);
      return file ? checkFile(JSON.parse(text), file) : summarize(text);
    } finally {
      await page.close().catch(() => {});
    }
  };
  const pagePng = await photo(app, "page-photo.png", 320, 240, 21);

  await test("vite page in headless Chromium runs a job per provider", 90_000, async () => {
    if (!viteOk) throw new Error("no vite build");
    return inPage(`${site.url}/vite-dist/index.html?mock=${encodeURIComponent(MOCK)}`);
  });

  await test("vite page in headless Chromium: the File from an <input type=file> to deAPI img2img — the mock's SHA-256 matches", 90_000, async () => {
    if (!viteOk) throw new Error("no vite build");
    return inPage(`${site.url}/vite-dist/files.html?mock=${encodeURIComponent(MOCK)}`, { file: pagePng });
  });

  await test("vite 7 dev server (optimizeDeps.exclude: [\"polyjob\"], as the README says) in headless Chromium", 90_000, async () => {
    const { createServer } = await import("vite");
    const dev = await createServer({
      root: path.join(app, "vite"),
      configFile: false,
      logLevel: "warn",
      server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
      optimizeDeps: { exclude: ["polyjob"] },
    });
    try {
      await dev.listen();
      const url = dev.resolvedUrls.local[0].replace(/\/$/, "");
      const jobs = await inPage(`${url}/index.html?mock=${encodeURIComponent(MOCK)}`);
      const file = await inPage(`${url}/files.html?mock=${encodeURIComponent(MOCK)}`, { file: pagePng });
      return `${jobs}; <input type=file> page: ${file}`;
    } finally {
      await dev.close();
    }
  });

  await test("bare page: polyjob/web + await init() via an import map, in headless Chromium", 90_000, async () => {
    return inPage(`${site.url}/bare/index.html?mock=${encodeURIComponent(MOCK)}`);
  });

  await test("bare page in headless Chromium: the File from an <input type=file> to deAPI img2img — the mock's SHA-256 matches", 90_000, async () => {
    return inPage(`${site.url}/bare/files.html?mock=${encodeURIComponent(MOCK)}`, { file: pagePng });
  });

  if (browser) {
    await browser.close().catch(() => {});
    browser = null;
  }

  // One Miniflare instance (one Worker isolate) for both workerd tests: it serves many requests.
  let mf = null;
  cleanups.unshift(async () => {
    if (mf) await mf.dispose().catch(() => {});
  });
  let isolate = null;
  await test("workerd (Miniflare 3): a Worker importing \"polyjob\" runs a job per provider", 120_000, async () => {
    const outDir = path.join(app, "worker-dist");
    await bundleWorker(path.join(app, "worker", "worker.mjs"), outDir);
    const { Miniflare } = await import("miniflare");
    mf = new Miniflare({
      modules: true,
      scriptPath: path.join(outDir, "worker.js"),
      modulesRoot: outDir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate: "2024-09-23",
      cf: false,
      bindings: { MOCK_URL: MOCK },
    });
    const res = await mf.dispatchFetch("http://worker.test/");
    const body = await res.json();
    if (!body.ok) throw new Error(`worker answered ${res.status}: ${body.error}`);
    isolate = body.isolate;
    return summarize(JSON.stringify(body.results));
  });

  await test("workerd (Miniflare 3): one Worker instance, 6 requests (3 in turn, 3 at once), each request's formData() File to deAPI img2img — the mock's SHA-256 matches", 120_000, async () => {
    if (!mf) throw new Error("no Worker (the previous test failed to start it)");
    const pngs = [];
    // Different sizes and bytes; one of ~1.8 MB (deAPI takes images up to 10240 KiB).
    const dims = [[64, 48], [320, 240], [800, 600], [96, 96], [240, 160], [128, 256]];
    for (const [k, [w, h]] of dims.entries()) pngs.push(await photo(app, `worker-${k + 1}.png`, w, h, 31 + k));
    const send = async (png) => {
      // The multipart body a browser or curl would send, serialized by Node's own Request.
      const form = new FormData();
      form.append("note", "uploaded to a Worker");
      form.append("image", new File([png.bytes], png.name, { type: "image/png" }));
      const req = new Request("http://worker.test/file", { method: "POST", body: form });
      const body = new Uint8Array(await req.arrayBuffer());
      const res = await mf.dispatchFetch("http://worker.test/file", { method: "POST", body, headers: { "content-type": req.headers.get("content-type") } });
      const text = await res.text();
      let out;
      try {
        out = JSON.parse(text);
      } catch {
        throw new Error(`worker answered ${res.status} for ${png.name}, not JSON: ${text.slice(0, 2000)}`);
      }
      if (!out.ok) throw new Error(`worker answered ${res.status} for ${png.name}: ${out.error}`);
      if (out.received.sha256 !== png.sha256 || out.received.size !== png.bytes.length) throw new Error(`the Worker's formData() File differs from ${png.name}: ${JSON.stringify(out.received)}`);
      checkFile(out.result, png);
      return out;
    };
    const answers = [];
    for (const png of pngs.slice(0, 3)) answers.push(await send(png));
    answers.push(...(await Promise.all(pngs.slice(3).map(send))));
    const isolates = new Set(answers.map((a) => a.isolate));
    if (isolate) isolates.add(isolate);
    if (isolates.size !== 1) throw new Error(`the requests were served by ${isolates.size} isolates: ${[...isolates].join(", ")}`);
    const served = answers.map((a) => a.served);
    if (new Set(served).size !== served.length) throw new Error(`request counters repeat: ${served.join(", ")}`);
    return `one isolate served requests #${served.join(", #")}; ${pngs.map((p) => `${p.name} ${p.bytes.length} B`).join(", ")}: every image part's sha256 = its PNG's, every job FINISHED, every result file loaded`;
  });

  await test("workerd (Miniflare 3): a request that answers while its wait still polls does not stall the same isolate's next requests (2 file submits after it)", 90_000, async () => {
    if (!mf) throw new Error("no Worker (an earlier test failed to start it)");
    const res = await mf.dispatchFetch("http://worker.test/leave");
    const left = await res.json();
    if (!left.ok) throw new Error(`/leave answered ${res.status}: ${left.error}`);
    const after = [];
    for (const [k, [w, h]] of [[7, [72, 40]], [8, [200, 100]]]) {
      const png = await photo(app, `worker-${k}.png`, w, h, 40 + k);
      const form = new FormData();
      form.append("image", new File([png.bytes], png.name, { type: "image/png" }));
      const req = new Request("http://worker.test/file", { method: "POST", body: form });
      const r = await mf.dispatchFetch("http://worker.test/file", { method: "POST", body: new Uint8Array(await req.arrayBuffer()), headers: { "content-type": req.headers.get("content-type") } });
      const text = await r.text();
      let out;
      try {
        out = JSON.parse(text);
      } catch {
        throw new Error(`after /leave, the Worker answered ${r.status} for ${png.name}, not JSON: ${text.slice(0, 2000)}`);
      }
      if (!out.ok) throw new Error(`after /leave, the Worker answered ${r.status} for ${png.name}: ${out.error}`);
      if (out.isolate !== left.isolate) throw new Error(`another isolate answered (${out.isolate}, /leave ran in ${left.isolate})`);
      checkFile(out.result, png);
      after.push(`#${out.served} ${png.name}`);
    }
    return `/leave (request #${left.served}) left job ${left.left}'s wait behind; then ${after.join(", ")}: FINISHED, sha256 matched, same isolate`;
  });

  await test("workerd (Miniflare 3): one Worker instance, 8 requests in turn and 2 at once, each its own client waiting on a job of several polls — every provider, an aborted wait, a timed-out wait (issue 23)", 120_000, async () => {
    if (!mf) throw new Error("no Worker (an earlier test failed to start it)");
    const ask = async (query) => {
      const res = await mf.dispatchFetch(`http://worker.test/wait?${query}`);
      const text = await res.text();
      let out;
      try {
        out = JSON.parse(text);
      } catch {
        throw new Error(`/wait?${query} answered ${res.status}, not JSON (a hung request is cancelled by workerd): ${text.slice(0, 500)}`);
      }
      if (!out.ok) throw new Error(`/wait?${query} answered ${res.status}: ${out.error}`);
      return out;
    };
    const inTurn = [
      "provider=socaity&mode=finish", "provider=optexity&mode=finish", "provider=deapi&mode=finish", "provider=serika&mode=finish",
      "provider=serika&mode=abort", "provider=deapi&mode=timeout", "provider=socaity&mode=finish", "provider=optexity&mode=abort",
    ];
    const answers = [];
    for (const q of inTurn) answers.push(await ask(q));
    answers.push(...(await Promise.all(["provider=deapi&mode=finish", "provider=serika&mode=timeout"].map(ask))));
    for (const a of answers) {
      const what = `#${a.served} ${a.provider} ${a.mode}`;
      if (a.isolate !== answers[0].isolate) throw new Error(`${what}: another isolate answered`);
      if (a.mode === "finish") {
        if (a.status !== "FINISHED") throw new Error(`${what}: ended ${a.status} ${JSON.stringify(a.error)}`);
        if (a.stats.requests < 3) throw new Error(`${what}: only ${a.stats.requests} requests — the job was to need several polls`);
        if (a.ms > 6000) throw new Error(`${what}: took ${a.ms} ms for a ~0.9 s job`);
      } else if (a.mode === "abort") {
        if (a.error?.code !== "ABORTED" || !a.error.instance || !a.error.causeIsReason) throw new Error(`${what}: ${JSON.stringify(a.error)}`);
        if (a.ms > 4000) throw new Error(`${what}: the abort at 400 ms ended the wait after ${a.ms} ms`);
      } else {
        if (a.error?.code !== "TIMEOUT" || !/timeoutMs \(400 ms\)/.test(a.error.message)) throw new Error(`${what}: ${JSON.stringify(a.error)}`);
        if (a.ms > 4000) throw new Error(`${what}: the 400 ms timeout ended the wait after ${a.ms} ms`);
      }
    }
    return answers.map((a) => `#${a.served} ${a.provider}/${a.mode} ${a.status ?? a.error.code} ${a.ms} ms`).join(", ");
  });

  if (mf) {
    await mf.dispose().catch(() => {});
    mf = null;
  }
}

/** Bundles a Worker as wrangler does: conditions workerd/worker/browser, .wasm kept as a module. */
async function bundleWorker(entry, outDir) {
  const esbuild = await import("esbuild");
  await mkdir(outDir, { recursive: true });
  const wasmModules = {
    name: "wasm-modules",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        const abs = path.resolve(args.resolveDir, args.path);
        const name = path.basename(abs);
        await copyFile(abs, path.join(outDir, name));
        return { path: `./${name}`, external: true };
      });
    },
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile: path.join(outDir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    plugins: [wasmModules],
    logLevel: "warning",
  });
  const bundle = await readFile(path.join(outDir, "worker.js"), "utf8");
  if (!bundle.includes("initSync({ module:")) throw new Error("the Worker bundle did not take the package's workerd entry");
}

async function listFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

// On SIGTERM/SIGINT (the outer `timeout`), stop what was started before exiting.
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.once(sig, async () => {
    log(`runtimes: ${sig}, stopping`);
    for (const c of cleanups) {
      try {
        await c();
      } catch {}
    }
    log(`runtimes: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
    process.exit(1);
  });
}

let fatal = null;
try {
  await main();
} catch (err) {
  fatal = err;
  results.push({ name: "setup", ok: false });
  log(`FAIL  setup\n      ${String(err && err.stack ? err.stack : err)}`);
} finally {
  for (const c of cleanups) {
    try {
      await c();
    } catch {}
  }
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
log(`runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed || fatal ? 1 : 0);
