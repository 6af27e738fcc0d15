// Runtime-agnostic: one file submitted to deAPI img2img with polyjob (`client.run`), checked
// against what the mock providers server received. The mock records every multipart part of a
// submit (`GET /__mock/jobs/{id}` → "parts": [{ name, file_name, content_type, size, sha256 }]):
// the `image` part must hold exactly the file's bytes (same size, same SHA-256, computed here with
// WebCrypto), and the job's result file must load with `loadFile`. Used by the Node scripts, the
// pages (a File from an <input type=file>) and the Worker (a File from request.formData()).
// Uses only globals every runtime has (fetch, crypto.subtle, Blob); nothing runs at import.
import { KEY } from "./jobs.mjs";

export const IMG2IMG = { prompt: "an oil painting of this", model: "Flux_2_Klein_4B_BF16" };

/** Lowercase hex SHA-256 of a Blob / ArrayBuffer / view. */
export async function sha256Hex(data) {
  let bytes = data;
  if (typeof Blob === "function" && data instanceof Blob) bytes = await data.arrayBuffer();
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sizeOf = (data) => (typeof Blob === "function" && data instanceof Blob ? data.size : data.byteLength);

/**
 * Runs deAPI img2img with `file` as its `image` and returns what the mock recorded of it.
 * Throws unless the job finished, the mock holds one `image` part with the file's size and
 * SHA-256 (and `fileName`/`contentType` when given), and the job's result file loads.
 */
export async function submitFile(polyjob, mockUrl, file, label, { fileName, contentType } = {}) {
  const { JobClient, loadFile } = polyjob;
  const base = String(mockUrl).replace(/\/+$/, "");
  const nonce = `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const want = await sha256Hex(file);
  const client = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: `${base}/deapi`, pollIntervalMs: 100, maxPollIntervalMs: 200 });
  const job = await client.run(
    { task: "img2img", input: { image: file, ...IMG2IMG, mock: { queue_ms: 50, duration_ms: 200, nonce } } },
    { timeoutMs: 20000 },
  );
  if (job.status !== "FINISHED") throw new Error(`${label}: img2img job ${job.id} ended ${job.status} ${JSON.stringify(job.error)}`);
  const res = await fetch(`${base}/__mock/jobs/${encodeURIComponent(job.id)}`);
  if (!res.ok) throw new Error(`${label}: GET /__mock/jobs/${job.id} answered ${res.status}`);
  const recorded = await res.json();
  if (!Array.isArray(recorded.parts)) throw new Error(`${label}: the mock recorded no "parts" for job ${job.id} (a mock without multipart recording?)`);
  const images = recorded.parts.filter((p) => p.name === "image");
  if (images.length !== 1) throw new Error(`${label}: the mock recorded ${images.length} "image" parts: ${JSON.stringify(recorded.parts)}`);
  const image = images[0];
  const problems = [];
  if (image.sha256 !== want) problems.push(`sha256 ${image.sha256}, the file's is ${want}`);
  if (image.size !== sizeOf(file)) problems.push(`size ${image.size}, the file has ${sizeOf(file)} B`);
  if (fileName !== undefined && image.file_name !== fileName) problems.push(`file_name ${image.file_name}, want ${fileName}`);
  if (contentType !== undefined && image.content_type !== contentType) problems.push(`content_type ${image.content_type}, want ${contentType}`);
  for (const field of Object.keys(IMG2IMG)) if (!recorded.parts.some((p) => p.name === field && p.file_name === null)) problems.push(`no text part "${field}"`);
  if (problems.length) throw new Error(`${label}: the mock's image part of job ${job.id}: ${problems.join("; ")}`);
  const result = job.files.find((f) => f.role === "result");
  if (!result || result.url !== job.resultUrl) throw new Error(`${label}: job.files has no result file for ${job.resultUrl}: ${JSON.stringify(job.files)}`);
  const loaded = await loadFile(result);
  if (!(loaded instanceof Blob) || loaded.size === 0) throw new Error(`${label}: loadFile(result) gave ${Object.prototype.toString.call(loaded)} of ${loaded && loaded.size} B`);
  return {
    label,
    id: job.id,
    status: job.status,
    image,
    parts: recorded.parts.map((p) => p.name),
    files: job.files.map((f) => f.role),
    loaded: { size: loaded.size, type: loaded.type },
    requests: client.stats.requests,
  };
}

/** One line per file submit, for the runner's report. */
export function describeFile(r) {
  return `${r.label}: ${r.image.file_name} (${r.image.content_type}, ${r.image.size} B) → mock sha256 ${r.image.sha256.slice(0, 12)}… ok, ${r.status}, files [${r.files.join(", ")}], result loaded ${r.loaded.size} B ${r.loaded.type}`;
}
