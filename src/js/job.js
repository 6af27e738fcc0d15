// The JS `Job` object, built in one call from wasm (convert.rs `job_to_js`): the scalar fields
// arrive as arguments, `result` and `raw` as JSON text for one `JSON.parse` each. Faster than
// serializing the whole job in wasm and parsing it here: the normalized fields are never turned
// into text and back. No logic: names and order only.

/** Provider names by index: the order of `Provider::ALL` (src/core/job.rs; a test pins it). */
const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
/** Status names by index: the order of `JobStatus::ALL` (src/core/status.rs; a test pins it). */
const STATUSES = ["PENDING", "QUEUED", "PROCESSING", "STREAMING", "FINISHED", "FAILED", "TIMEOUT", "CANCELLED", "UNKNOWN"];

/**
 * A Job. `progress` is NaN for none; an absent string is undefined (→ null); `result` (or
 * undefined), `files` (or undefined for none), `cost` (or undefined) and `raw` are JSON text; the
 * error is present when `errorMessage` is; `serviceUrl` is set only for a Socaity service job.
 */
export function makeJob(id, provider, status, progress, result, resultUrl, errorCode, errorMessage,
  createdAt, completedAt, estimatedCompletion, preview, files, cost, via, raw, serviceUrl) {
  const job = {
    id,
    provider: PROVIDERS[provider],
    status: STATUSES[status],
    progress: Number.isNaN(progress) ? null : progress,
    result: result === undefined ? null : JSON.parse(result),
    resultUrl: resultUrl ?? null,
    error: errorMessage === undefined ? null : { code: errorCode ?? null, message: errorMessage },
    createdAt: createdAt ?? null,
    completedAt: completedAt ?? null,
    estimatedCompletion: estimatedCompletion ?? null,
    preview: preview ?? null,
    files: files === undefined ? [] : JSON.parse(files),
    cost: cost === undefined ? null : JSON.parse(cost),
    via: via ?? null,
    raw: JSON.parse(raw),
  };
  if (serviceUrl !== undefined) job.serviceUrl = serviceUrl;
  return job;
}
