// The plain-JS side of the comparisons: what an app would write by hand instead of polyjob — the
// same mapping of each provider's status body to one Job shape (status words in any case,
// progress scaled to 0..1 and clamped, error fields as { code, message }, result, resultUrl,
// timestamps). Used by the fixed-interval poller (terminal detection) and by the CPU benchmark.

const WORDS = {
  socaity: {
    PENDING: "PENDING", QUEUED: "QUEUED", IN_QUEUE: "QUEUED", PROCESSING: "PROCESSING", IN_PROGRESS: "PROCESSING",
    STREAMING: "STREAMING", FINISHED: "FINISHED", COMPLETED: "FINISHED", SUCCEEDED: "FINISHED", FAILED: "FAILED",
    TIMEOUT: "TIMEOUT", TIMED_OUT: "TIMEOUT", CANCELLED: "CANCELLED", CANCELED: "CANCELLED", ABORTED: "CANCELLED",
  },
  optexity: {
    QUEUED: "QUEUED", ALLOCATED: "QUEUED", STARTED: "QUEUED", RUNNING: "PROCESSING", COMPLETED: "FINISHED",
    SUCCESS: "FINISHED", FAILED: "FAILED", CANCELLED: "CANCELLED", KILLED: "CANCELLED",
  },
  deapi: {
    PENDING: "PENDING", QUEUED: "PENDING", IN_QUEUE: "PENDING", WAITING: "PENDING", PROCESSING: "PROCESSING",
    IN_PROGRESS: "PROCESSING", DONE: "FINISHED", ERROR: "FAILED",
  },
  serika: { QUEUED: "QUEUED", PROCESSING: "PROCESSING", COMPLETED: "FINISHED", FAILED: "FAILED" },
};
const TERMINAL = new Set(["FINISHED", "FAILED", "TIMEOUT", "CANCELLED"]);
export const isTerminal = (s) => TERMINAL.has(s);

function mapStatus(provider, word) {
  if (typeof word !== "string") return "UNKNOWN";
  return WORDS[provider][word.trim().toUpperCase()] ?? "UNKNOWN";
}

/** 0..1 from a number or a numeric string ("45.50", "45%") on `scale` (1 or 100); null if none. */
function progress(v, scale) {
  if (v == null) return null;
  let n = typeof v === "number" ? v : typeof v === "string" ? parseFloat(v.replace("%", "")) : NaN;
  if (!Number.isFinite(n)) return null;
  n /= scale;
  return n < 0 ? 0 : n > 1 ? 1 : n;
}

function error(v, codeFallback) {
  if (v == null) return null;
  if (typeof v === "string") return { code: codeFallback ?? null, message: v };
  if (typeof v === "object") return { code: v.code ?? v.type ?? codeFallback ?? null, message: String(v.message ?? JSON.stringify(v)) };
  return { code: codeFallback ?? null, message: String(v) };
}

function iso(v) {
  if (v == null) return null;
  if (typeof v === "number") return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  if (typeof v === "string") { const t = Date.parse(v); return Number.isNaN(t) ? null : new Date(t).toISOString(); }
  return null;
}

function job(provider, id, status, fields, raw) {
  const j = {
    id, provider, status,
    progress: fields.progress ?? null,
    result: fields.result ?? null,
    resultUrl: fields.resultUrl ?? null,
    error: fields.error ?? null,
    createdAt: fields.createdAt ?? null,
    completedAt: fields.completedAt ?? null,
    estimatedCompletion: fields.estimatedCompletion ?? null,
    preview: fields.preview ?? null,
    raw,
  };
  if (status === "FINISHED") j.progress = 1;
  if ((status === "FAILED" || status === "TIMEOUT") && !j.error) j.error = { code: null, message: `job ${status.toLowerCase()}` };
  return j;
}

/** The Job for a parsed status body of `provider` (id = the one asked about). */
export function normalize(provider, id, body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error(`${provider}: status body is not an object`);
  switch (provider) {
    case "socaity": {
      const status = mapStatus(provider, body.status);
      const p = body.progress !== null && typeof body.progress === "object" ? body.progress.value ?? body.progress.progress : body.progress;
      return job(provider, String(body.job_id ?? body.id ?? id), status, {
        progress: progress(p, 1),
        result: body.result ?? body.output ?? null,
        error: status === "FAILED" || status === "TIMEOUT" ? error(body.error ?? body.message) : null,
        createdAt: iso(body.metrics?.created_at ?? body.created_at),
        completedAt: iso(body.metrics?.finished_at ?? body.finished_at),
      }, body);
    }
    case "optexity": {
      if (body.success === false) throw new Error(`optexity: ${body.message ?? "request failed"}`);
      const status = mapStatus(provider, body.status);
      return job(provider, String(body.task_id ?? id), status, {
        progress: progress(body.progress, 100),
        result: body.result ?? null,
        error: status === "FAILED" ? error(body.error, body.error_code) : null,
        createdAt: iso(body.created_at),
        completedAt: iso(body.completed_at ?? body.failed_at),
        estimatedCompletion: iso(body.estimated_completion),
      }, body);
    }
    case "deapi": {
      if (body.data === null) throw new Error(`deapi: no job data: ${body.message ?? ""}`);
      const d = body.data && typeof body.data === "object" ? body.data : body;
      const status = mapStatus(provider, d.status);
      return job(provider, String(d.request_id ?? d.job_request_id ?? id), status, {
        progress: progress(d.progress, 100),
        resultUrl: d.result_url ?? null,
        result: d.result ?? d.result_url ?? null,
        preview: d.preview ?? null,
        error: status === "FAILED" ? error(d.error ?? d.error_message, d.error_code) : null,
        createdAt: iso(d.created_at ?? d.started_at),
        completedAt: iso(d.completed_at),
      }, body);
    }
    case "serika": {
      const status = mapStatus(provider, body.status);
      return job(provider, String(body.id ?? id), status, {
        progress: progress(body.progress, 1),
        result: body.result ?? null,
        resultUrl: body.result?.url ?? null,
        error: status === "FAILED" ? error(body.error) : null,
        createdAt: iso(body.created_at),
        completedAt: iso(body.completed_at),
      }, body);
    }
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}
