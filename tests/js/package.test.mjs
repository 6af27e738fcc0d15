// The package surface: ESM exports, isTerminal, the web build loaded in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, mkdtemp, cp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import * as polyjob from "polyjob";
import { ALL_STATUSES, TERMINAL, client, request, scenario, baseUrl, KEY } from "./helpers.mjs";

test("ESM exports JobClient, isTerminal, loadFile and the PolyjobError class", () => {
  assert.equal(typeof polyjob.JobClient, "function");
  assert.equal(typeof polyjob.isTerminal, "function");
  assert.equal(typeof polyjob.loadFile, "function");
  assert.equal(typeof polyjob.PolyjobError, "function");
  assert.ok(polyjob.PolyjobError.prototype instanceof Error);
});

test("isTerminal", () => {
  for (const s of ALL_STATUSES) assert.equal(polyjob.isTerminal(s), TERMINAL.includes(s), s);
});

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INSTALLED = path.join(HERE, "node_modules", "polyjob");

test("package.json is named polyjob and describes the package for the registry", async () => {
  const meta = JSON.parse(await readFile(path.join(INSTALLED, "package.json"), "utf8"));
  assert.equal(meta.name, "polyjob");
  assert.ok(meta.license && meta.description && meta.keywords?.length >= 5);
});

test("the npm README: install first, only absolute links, no contributors' references, runnable snippets", async () => {
  const readme = await readFile(path.join(INSTALLED, "README.md"), "utf8");
  assert.ok(readme.indexOf("npm install polyjob") > -1 && readme.indexOf("npm install polyjob") < 1200, "npm install comes first");
  const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
  for (const href of links) assert.match(href, /^(https?:|#)/, `link ${href} would be broken on a registry page`);
  for (const internal of [/bash scripts\//, /\bissue \d/i, /\bdocs\//, /\bbench\//, /\bmock\b/]) assert.doesNotMatch(readme, internal);
  // Each JS snippet is valid JavaScript (imports dropped, `export default` made a binding, the
  // rest checked as the body of an async function: top-level await is fine).
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 4, `${blocks.length} snippets`);
  for (const code of blocks) {
    const body = code.replace(/^import .*$/gm, "").replace(/^export default /m, "const worker = ");
    assert.doesNotThrow(() => new Function(`return async () => {\n${body}\n};`), `snippet does not parse:\n${code}`);
    for (const m of code.matchAll(/^import \{([^}]*)\} from "([^"]+)"/gm)) assert.equal(m[2], "polyjob");
  }
});

test("the client object does not expose the API key", () => {
  const c = client("socaity");
  assert.ok(!JSON.stringify(c ?? {}).includes(KEY));
  assert.ok(!String(c).includes(KEY));
});

test("the web build (pkg/web) runs a job in Node after init()", async () => {
  const dir = path.join(INSTALLED, "web");
  let files;
  try {
    files = await readdir(dir);
  } catch {
    assert.fail(`the package has no web/ folder at ${dir}`);
  }
  const wasmName = files.find((f) => f.endsWith(".wasm"));
  assert.ok(wasmName, `a .wasm in ${files.join(", ")}`);
  // The web build is ESM for pages; copy it next to a {"type":"module"} package.json so Node loads it as ESM.
  const tmp = await mkdtemp(path.join(tmpdir(), "polyjob-web-"));
  try {
    await cp(dir, tmp, { recursive: true });
    await writeFile(path.join(tmp, "package.json"), '{"type":"module"}');
    await runWebBuild(tmp, wasmName);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

async function runWebBuild(dir, wasmName) {
  const web = await import(pathToFileURL(path.join(dir, "polyjob.js")).href);
  assert.equal(typeof web.default, "function", "web build exports a default init");
  await web.default({ module_or_path: await readFile(path.join(dir, wasmName)) });
  assert.throws(() => new web.JobClient({}), (e) => e instanceof web.PolyjobError && e.code === "CONFIG", "polyjob/web exports the class its errors are");
  const c = new web.JobClient({ provider: "socaity", apiKey: KEY, baseUrl: baseUrl("socaity"), pollIntervalMs: 50 });
  const done = await c.run(request("socaity", scenario({ queue_ms: 50, duration_ms: 200 })), { timeoutMs: 5000 });
  assert.equal(done.status, "FINISHED");
  assert.deepEqual(done.result, { text: "echo: hello polyjob" });
}

test("each entry bundles without a single warning, the package outside node_modules (a linked or workspace package)", async () => {
  // esbuild hides warnings from files under node_modules; a linked package is not under it.
  const { build } = await import(new URL("../../.tools/node_modules/esbuild/lib/main.js", import.meta.url).href);
  const tmp = await mkdtemp(path.join(tmpdir(), "polyjob-linked-"));
  try {
    const pkgDir = path.join(tmp, "polyjob");
    await cp(INSTALLED, pkgDir, { recursive: true });
    const cases = [
      ["web/browser.js", "browser", ["browser"]],
      ["web/polyjob.js", "browser", ["browser"]],
      ["web/workerd.js", "neutral", ["workerd", "worker", "browser"]],
      ["node/index.mjs", "node", ["node"]],
    ];
    for (const [entry, platform, conditions] of cases) {
      const result = await build({
        entryPoints: [path.join(pkgDir, entry)],
        bundle: true,
        format: "esm",
        platform,
        conditions,
        write: false,
        outdir: path.join(tmp, "out"),
        logLevel: "silent",
        loader: { ".wasm": "file" },
        external: ["fs"],
      });
      assert.deepEqual(result.warnings.map((w) => w.text), [], `${entry} (${platform}) bundles without warnings`);
      assert.deepEqual(result.errors, []);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
