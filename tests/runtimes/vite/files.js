// A Vite page: the File the user picked in an <input type=file> goes to deAPI img2img with
// `import { JobClient } from "polyjob"` (no init call); the mock must have received its bytes.
import * as polyjob from "polyjob";
import { submitFile } from "../files.mjs";

const out = document.getElementById("out");
const input = document.getElementById("file");
const mock = new URLSearchParams(location.search).get("mock");
input.addEventListener("change", async () => {
  try {
    const file = input.files[0];
    if (!(file instanceof File)) throw new Error("no File in the input");
    const result = await submitFile(polyjob, mock, file, "vite page <input type=file>", { fileName: file.name, contentType: file.type });
    out.textContent = JSON.stringify(result);
    out.dataset.state = "passed";
  } catch (err) {
    out.textContent = String(err && err.stack ? err.stack : err);
    out.dataset.state = "failed";
  }
});
input.dataset.ready = "1";
