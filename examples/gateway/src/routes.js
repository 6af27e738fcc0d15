// The allowlist: for each provider, the only (method, path) pairs the gateway forwards — the
// endpoints polyjob's JobClient calls (README "Per provider", mock/README.md). Anything else is
// refused before a byte leaves the Worker: 404 for an unknown path, 405 for a known path with
// another method. Paths are matched on the raw (percent-encoded) pathname, one segment at a time.

export const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];

/** How each provider takes its key. */
export const AUTH = {
  socaity: (key) => ["authorization", `Bearer ${key}`],
  optexity: (key) => ["x-api-key", key],
  deapi: (key) => ["authorization", `Bearer ${key}`],
  serika: (key) => ["authorization", `Bearer ${key}`],
};

/** The secret (env name) and base-URL var of each provider. */
export const KEY_SECRET = {
  socaity: "SOCAITY_API_KEY",
  optexity: "OPTEXITY_API_KEY",
  deapi: "DEAPI_API_KEY",
  serika: "SERIKA_API_KEY",
};
export const BASE_VAR = {
  socaity: "SOCAITY_BASE_URL",
  optexity: "OPTEXITY_BASE_URL",
  deapi: "DEAPI_BASE_URL",
  serika: "SERIKA_BASE_URL",
};
/** The providers' documented base URLs, used when the var is unset. */
export const DEFAULT_BASE = {
  socaity: "https://api.socaity.ai",
  optexity: "https://api.optexity.com",
  deapi: "https://api.deapi.ai",
  serika: "https://api.serika.dev/api/openai/v1",
};

// A path pattern is a list of parts: a literal segment, ID (one segment), or MANY (one or more
// segments, only before a literal).
const ID = Symbol("id");
const MANY = Symbol("many");
const p = (...parts) => parts;

/**
 * deAPI's v1 tasks, `POST /api/v1/client/{task}` (the endpoint table of deAPI's Python SDK,
 * `_constants.py`). Each takes JSON, or multipart/form-data when it carries a file (img2img,
 * img-upscale, img-rmbg, img2video, vid-upscale, vid-rmbg, aud2video, videos/replace, transcribe,
 * audiofile2txt, videofile2txt, img2txt, prompt/video, prompt/image2image, ...). Their
 * `…/price-calculation` variants and the account routes (balance, models) are not job endpoints
 * and are not forwarded; a task deAPI adds later needs its line here.
 */
export const DEAPI_TASKS = [
  "txt2img", "img2img", "img-upscale", "img-rmbg",
  "txt2audio", "txt2music",
  "txt2video", "img2video", "vid-upscale", "vid-rmbg", "aud2video", "videos/replace",
  "transcribe", "vid2txt", "aud2txt", "audiofile2txt", "videofile2txt",
  "txt2embedding", "img2txt",
  "prompt/image", "prompt/video", "prompt/speech", "prompt/image2image",
];

/**
 * deAPI's v2 job resources, `POST /api/v2/{resource}` (polled at `GET /api/v2/jobs/{id}`; deAPI's
 * v2 OpenAPI document and test client). JSON or multipart/form-data as in v1; their `…/price`
 * variants, the account routes and the synchronous `prompts/enhancements` are not forwarded.
 */
export const DEAPI_V2_RESOURCES = [
  "images/generations", "images/edits", "images/upscales", "images/background-removals", "images/ocr",
  "videos/generations", "videos/animations", "videos/audio-syncs", "videos/replacements",
  "videos/upscales", "videos/background-removals",
  "audio/speech", "audio/music", "audio/transcriptions",
  "embeddings",
];

/**
 * [methods, pattern, kind]. `kind` marks routes the gateway treats specially: "submit" /
 * "deapi-submit" / "optexity-submit" start a job (the last two: the gateway decides where the
 * provider reports) (the submit budget; per-user: the job is recorded for its user),
 * "list" hands out every job of the account and "realtime-auth" signs the account's one realtime
 * channel (both refused to per-user tokens), "status-body" names its job in the JSON body
 * (`task_id`). A route with an ID segment names a job: per-user, only its owner gets through.
 */
export const ROUTES = {
  socaity: [
    [["POST"], p("v1", MANY, "generate"), "submit"],
    [["GET", "DELETE"], p("v1", "jobs", ID)],
    [["GET", "POST"], p("status", ID)],
    [["POST"], p("cancel", ID)],
    [["GET"], p("stream", ID), "stream"],
  ],
  optexity: [
    [["POST"], p("api", "v1", "inference"), "optexity-submit"],
    [["POST"], p("api", "v1", "inference", "call"), "status-body"],
    [["POST"], p("api", "v1", "inference", "all_calls"), "list"],
  ],
  deapi: [
    [["GET"], p("api", "v1", "client", "request-status", ID)],
    ...DEAPI_TASKS.map((task) => [["POST"], p("api", "v1", "client", ...task.split("/")), "deapi-submit"]),
    [["GET"], p("api", "v2", "jobs", ID)],
    ...DEAPI_V2_RESOURCES.map((r) => [["POST"], p("api", "v2", ...r.split("/")), "deapi-submit"]),
    [["POST"], p("broadcasting", "auth"), "realtime-auth"],
  ],
  serika: [
    [["POST"], p("jobs", "images"), "submit"],
    [["GET"], p("jobs"), "list"],
    [["GET"], p("jobs", ID)],
  ],
};

/** One path segment as sent: unreserved characters and percent-escapes that do not decode to a
 * slash, a backslash, or a dot segment. */
export function validSegment(seg) {
  if (seg.length === 0 || seg.length > 256) return false;
  if (!/^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/.test(seg)) return false;
  let decoded;
  try {
    decoded = decodeURIComponent(seg);
  } catch {
    return false;
  }
  if (decoded === "." || decoded === ".." || /[/\\\u0000-\u001f\u007f]/.test(decoded)) return false;
  return true;
}

/** Whether `segs` match `pattern`; the ID segments (raw) are pushed to `ids`. */
function matches(pattern, segs, ids = []) {
  let i = 0;
  for (let k = 0; k < pattern.length; k++) {
    const part = pattern[k];
    if (part === MANY) {
      // One or more segments, then the rest of the pattern must match the tail exactly.
      const rest = pattern.length - k - 1;
      const take = segs.length - i - rest;
      if (take < 1) return false;
      i += take;
      continue;
    }
    if (i >= segs.length) return false;
    if (part !== ID && segs[i] !== part) return false;
    if (part === ID) ids.push(segs[i]);
    i++;
  }
  return i === segs.length;
}

/**
 * Looks `method` + `path` (the part after `/<provider>`, raw) up in the provider's allowlist.
 * Returns `{ ok: true, kind, methods, id }` (`id`: the job id segment, decoded, or null),
 * `{ ok: false, status: 405, allow }` for a known path with another
 * method, or `{ ok: false, status: 404 }`.
 */
export function lookup(provider, method, path) {
  const routes = ROUTES[provider];
  if (!routes || !path.startsWith("/")) return { ok: false, status: 404 };
  const trimmed = path === "/" ? "" : path.slice(1);
  // `/api/v1/inference/` is Optexity's documented alternative spelling of the submit route.
  const segs = trimmed.split("/");
  if (provider === "optexity" && segs.length > 1 && segs[segs.length - 1] === "") segs.pop();
  if (!segs.every(validSegment)) return { ok: false, status: 404 };
  const allow = new Set();
  for (const [methods, pattern, kind] of routes) {
    const ids = [];
    if (!matches(pattern, segs, ids)) continue;
    if (methods.includes(method)) return { ok: true, kind: kind ?? null, methods, id: ids.length ? decodeURIComponent(ids[0]) : null };
    for (const m of methods) allow.add(m);
  }
  if (allow.size > 0) return { ok: false, status: 405, allow: [...allow] };
  return { ok: false, status: 404 };
}
