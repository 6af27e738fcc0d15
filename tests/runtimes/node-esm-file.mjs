// Node ESM: a `File` (over the file on disk, fs.openAsBlob) submitted to deAPI img2img with
// polyjob; the mock's recorded `image` part must carry the file's bytes (SHA-256).
// Env: POLYJOB_MOCK_URL, POLYJOB_FILE (a PNG). Prints the check's result as one JSON line.
import { openAsBlob } from "node:fs";
import path from "node:path";
import * as polyjob from "polyjob";
import { submitFile } from "./files.mjs";

const where = process.env.POLYJOB_FILE;
const name = path.basename(where);
const file = new File([await openAsBlob(where)], name, { type: "image/png" });
const result = await submitFile(polyjob, process.env.POLYJOB_MOCK_URL, file, "node-esm File", { fileName: name, contentType: "image/png" });
console.log(JSON.stringify(result));
