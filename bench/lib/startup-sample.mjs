// One start-up sample, in a fresh `node` process: the time from here (after Node itself booted)
// to "module instantiated and a client constructed" (polyjob) or "bundle imported" (anchors).
// Prints the milliseconds. (Anchors: `self` is aliased to globalThis first, as in a browser.) Usage: node startup-sample.mjs <polyjob-node|polyjob-web|anchor> [bundle]
// Nothing is imported before t0: a module the harness loaded first (node:fs, say) would be free
// for the subject that needs it. The web-glue subject reads its wasm through getBuiltinModule.
const [what, file] = process.argv.slice(2);
const t0 = performance.now();
if (what === "polyjob-node") {
  const { JobClient } = await import(file);
  new JobClient({ provider: "deapi", apiKey: "k" });
} else if (what === "polyjob-web") {
  const m = await import(file);
  const { readFileSync } = process.getBuiltinModule("fs");
  m.initSync({ module: readFileSync(new URL("polyjob_bg.wasm", new URL(file, "file:///"))) });
  new m.JobClient({ provider: "deapi", apiKey: "k" });
} else {
  // The anchors are browser bundles; pusher-js's UMD wrapper reads `self` at import time.
  globalThis.self ??= globalThis;
  await import(file);
}
const t1 = performance.now();
process.stdout.write(String(t1 - t0));
