// 1. Size. polyjob as shipped (pkg/: each entry = wasm + JS glue, raw and gzip -9; the whole npm
// tarball), beside the anchors bundled with esbuild (--bundle --minify --format=esm
// --platform=browser) from the versions pinned in bench/package.json. Plus "where the bytes go":
// the shipped wasm's sections, and code bytes per crate / polyjob module from the name section of
// the release module before wasm-bindgen and wasm-opt (target/shipped/wasm32-unknown-unknown/release).
//
//   node bench/size.mjs
import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { round, writeStep, ROOT, PKG, OUT, BENCH } from "./lib/common.mjs";
import { parseWasm, groupOf } from "./lib/wasm.mjs";

const gz = (buf) => {
  const r = spawnSync("gzip", ["-9c"], { input: buf, maxBuffer: 1 << 26 });
  return r.status === 0 ? r.stdout.length : gzipSync(buf, { level: 9 }).length;
};
const measure = (files) => {
  const per = files.map((f) => { const b = readFileSync(f); return { file: f.replace(ROOT + "/", ""), raw: b.length, gzip: gz(b) }; });
  return { files: per, raw: per.reduce((n, f) => n + f.raw, 0), gzip: per.reduce((n, f) => n + f.gzip, 0) };
};

// polyjob entries, from the package's own exports map: each entry file plus every file it
// loads (relative imports / requires, and the .wasm it reads or imports), so a change of layout
// (e.g. one shared wasm) is followed without editing this script.
const pkgJson = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
function closure(entry) {
  const seen = new Set();
  const todo = [join(PKG, entry)];
  while (todo.length) {
    const f = todo.pop();
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    if (f.endsWith(".wasm")) continue;
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm)) todo.push(join(dirname(f), m[1]));
    for (const m of src.matchAll(/(?:\$\{__dirname\}\/|["'`])((?:\.{1,2}\/)?[\w./-]*\.wasm)/g)) todo.push(join(dirname(f), m[1]));
  }
  return [...seen];
}
const pick = (v, conds) => { for (const c of conds) { if (typeof v === "string") return v; if (v && v[c] !== undefined) v = v[c]; } return typeof v === "string" ? v : null; };
const dot = pkgJson.exports?.["."] ?? {};
const entrySpecs = {
  "node (import)": pick(dot, ["node", "import"]),
  "node (require)": pick(dot, ["node", "require"]),
  browser: pick(dot, ["browser"]) ?? pick(dot, ["default"]),
  workerd: typeof dot.workerd === "string" ? dot.workerd : dot.workerd ? pick(dot.workerd, ["import", "default"]) : null,
  "polyjob/web": pick(pkgJson.exports?.["./web"] ?? {}, ["default"]),
};
const entries = {};
for (const [name, rel] of Object.entries(entrySpecs)) {
  if (!rel) continue;
  const files = closure(rel).sort((a, b) => (a.endsWith(".wasm") ? -1 : 0) - (b.endsWith(".wasm") ? -1 : 0));
  entries[name] = { entry: rel, ...measure(files) };
}
const workerdExport = entrySpecs.workerd;

// The whole package as npm would ship it.
let tarball = null;
const pack = spawnSync("npm", ["pack", "--dry-run", "--json", PKG], { encoding: "utf8", cwd: BENCH });
try {
  const j = JSON.parse(pack.stdout)[0];
  tarball = { gzip: j.size, unpacked: j.unpackedSize, files: j.entryCount };
} catch { tarball = { error: (pack.stderr || "npm pack failed").slice(-300) }; }
const codeFiles = [...new Set(Object.values(entries).flatMap((e) => e.files.map((f) => join(ROOT, f.file))))];
const allCode = measure(codeFiles);

// Anchors.
const ANCHORS = {
  replicate: 'export { default } from "replicate";',
  "@fal-ai/client": 'export { fal, createFalClient } from "@fal-ai/client";',
  "pusher-js": 'export { default } from "pusher-js";',
  "standard-webhooks": 'export { Webhook } from "standardwebhooks";',
};
const lock = JSON.parse(readFileSync(join(BENCH, "package-lock.json"), "utf8"));
const ver = (name) => lock.packages?.[`node_modules/${name}`]?.version ?? null;
const bundles = join(OUT, "bundles");
mkdirSync(bundles, { recursive: true });
const anchors = {};
for (const [name, src] of Object.entries(ANCHORS)) {
  const file = join(bundles, `${name.replace(/[@/]/g, "_")}.mjs`);
  await esbuild.build({
    stdin: { contents: src, resolveDir: BENCH, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "browser", outfile: file, logLevel: "error",
  });
  const b = readFileSync(file);
  anchors[name] = { npm: name === "standard-webhooks" ? "standardwebhooks" : name, version: ver(name === "standard-webhooks" ? "standardwebhooks" : name), bundle: file.replace(ROOT + "/", ""), raw: b.length, gzip: gz(b) };
}
const trio = ["@fal-ai/client", "pusher-js", "standard-webhooks"];
const trioGzip = trio.reduce((n, a) => n + anchors[a].gzip, 0);

// Where the bytes go.
const shippedWasm = codeFiles.find((f) => f.endsWith(".wasm"));
const shipped = parseWasm(readFileSync(shippedWasm));
const releaseWasm = join(ROOT, "target/shipped/wasm32-unknown-unknown/release/polyjob.wasm");
const toolchainFile = join(ROOT, "target/shipped/toolchain.txt");
const builtWith = existsSync(toolchainFile) ? readFileSync(toolchainFile, "utf8").trim() : null;
let breakdown = null;
if (existsSync(releaseWasm)) {
  const m = parseWasm(readFileSync(releaseWasm));
    // wasm-bindgen runs and then removes the `describe` functions: leave them out.
  const fns = m.functions.filter((f) => !/describe/i.test(f.name));
  const total = fns.reduce((n, f) => n + f.bytes, 0);
  const groups = new Map();
  for (const f of fns) { const g = groupOf(f.name); groups.set(g, (groups.get(g) ?? 0) + f.bytes); }
  const shippedCode = shipped.sections.find((s) => s.name === "code")?.bytes ?? 0;
  const areaOf = (g) => g.startsWith("polyjob::") ? `polyjob::${g.split("::")[1]}`
    : /^(core|alloc|std|dlmalloc|hashbrown|compiler_builtins)\b/.test(g) ? "Rust std (core, alloc, fmt, float printing, allocator, collections)"
    : /^(js_sys|wasm_bindgen|web_sys|wasm_bindgen_futures|serde_wasm_bindgen)\b/.test(g) ? "wasm-bindgen / js-sys / web-sys glue (incl. the wasm-bindgen-futures executor every exported promise runs on)"
    : /^(sha2|hmac|subtle|digest|block_buffer|crypto_common|generic_array)\b/.test(g) ? "crypto (sha2, hmac, subtle)"
    : /^serde/.test(g) ? "serde" : "other";
  const areas = new Map();
  for (const [g, b] of groups) areas.set(areaOf(g), (areas.get(areaOf(g)) ?? 0) + b);
  const top = (arr, n) => arr.sort((a, b) => b.bytes - a.bytes).slice(0, n);
  breakdown = {
    source: releaseWasm.replace(ROOT + "/", ""),
    sourceBuiltAt: statSync(releaseWasm).mtime.toISOString(),
    builtWith,
    note: "code bytes per group in the release module before wasm-bindgen/wasm-opt; 'est. shipped' scales each share to the shipped code section",
    hasNames: m.hasNames,
    codeBytes: total,
    areas: top([...areas].map(([area, bytes]) => ({ area, bytes, share: round(bytes / total, 4), estShippedBytes: Math.round((bytes / total) * shippedCode) })), 20),
    groups: top([...groups].map(([group, bytes]) => ({ group, bytes, share: round(bytes / total, 4), estShippedBytes: Math.round((bytes / total) * shippedCode) })), 30),
    topFunctions: top(fns.map((f) => ({ name: f.name.length > 140 ? f.name.slice(0, 140) + "…" : f.name, bytes: f.bytes })), 25),
  };
}
const twiggy = spawnSync("twiggy", ["--version"], { encoding: "utf8" });

const largest = Object.values(entries).reduce((a, b) => (b.gzip > a.gzip ? b : a));
const out = {
  polyjob: { version: pkgJson.version, entries, tarball, allCodeFiles: allCode, workerdExport: workerdExport ?? null },
  anchors,
  targets: { packageGzipMax: 45_000, falPusherStandardWebhooksGzip: trioGzip },
  ratios: {
    largestEntryVsTrio: round(largest.gzip / trioGzip, 2),
    allCodeVsTrio: round(allCode.gzip / trioGzip, 2),
    tarballVsTrio: tarball?.gzip ? round(tarball.gzip / trioGzip, 2) : null,
    largestEntryVsReplicate: round(largest.gzip / anchors.replicate.gzip, 2),
    largestEntryVsFal: round(largest.gzip / anchors["@fal-ai/client"].gzip, 2),
  },
  wasm: { shippedFile: shippedWasm.replace(ROOT + "/", ""), shippedSections: shipped.sections, breakdown, twiggyAvailable: twiggy.status === 0 },
};
for (const [n, e] of Object.entries(entries)) console.log(`  polyjob ${n.padEnd(15)} raw ${e.raw}  gzip ${e.gzip}  (${e.files.map((f) => f.file.replace("pkg/", "")).join(" + ")})`);
console.log(`  polyjob all code files gzip ${allCode.gzip}, npm tarball ${tarball?.gzip ?? "?"} B; fal+pusher-js+standard-webhooks ${trioGzip} B → largest entry ${out.ratios.largestEntryVsTrio}×`);
for (const [n, a] of Object.entries(anchors)) console.log(`    ${n.padEnd(18)} ${a.version}  raw ${a.raw}  gzip ${a.gzip}`);
writeStep("size", out);
