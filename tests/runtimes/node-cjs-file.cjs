// Node CommonJS: a `Buffer` (bytes read from disk) submitted to deAPI img2img with polyjob
// loaded by require(); bytes get their field's name and a type sniffed from their first bytes.
// The mock's recorded `image` part must carry the buffer's bytes (SHA-256).
// Env: POLYJOB_MOCK_URL, POLYJOB_FILE (a PNG). Prints the check's result as one JSON line.
const { readFileSync } = require("node:fs");
const polyjob = require("polyjob");

(async () => {
  const { submitFile } = await import("./files.mjs");
  const bytes = readFileSync(process.env.POLYJOB_FILE);
  if (!Buffer.isBuffer(bytes)) throw new Error("readFileSync gave no Buffer");
  const result = await submitFile(polyjob, process.env.POLYJOB_MOCK_URL, bytes, "node-cjs Buffer", { fileName: "image", contentType: "image/png" });
  console.log(JSON.stringify(result));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
