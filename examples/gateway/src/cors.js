// CORS for the configured origins only. ALLOWED_ORIGINS is a comma-separated list of exact
// origins ("https://app.example.com"); "*" allows any origin (not recommended: any site could
// then spend your keys from its visitors' browsers).

/** Request headers a page may send through the gateway (everything else is dropped anyway). */
export const ALLOWED_REQUEST_HEADERS = ["authorization", "content-type", "accept", "idempotency-key", "last-event-id"];
/** Response headers a page may read: what polyjob uses for retries, stream ids and the mock's. */
export const EXPOSED_HEADERS = [
  "retry-after",
  "retry-after-ms",
  "x-ratelimit-type",
  "x-job-id",
  "x-job-version",
  "x-mock-fault",
  "x-mock-job-id",
];

export function allowedOrigins(env) {
  return String(env.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
}

/**
 * "none" (no Origin header: not a browser's cross-origin request), "allowed" or "denied".
 */
export function originStatus(request, env) {
  const origin = request.headers.get("origin");
  if (origin === null) return "none";
  const list = allowedOrigins(env);
  if (list.includes("*") || list.includes(origin)) return "allowed";
  return "denied";
}

/** Adds the CORS headers for an allowed origin to `headers` (a Headers, mutated). */
export function applyCors(headers, request, env) {
  for (const name of [...headers.keys()]) {
    if (name.startsWith("access-control-")) headers.delete(name);
  }
  headers.append("vary", "Origin");
  if (originStatus(request, env) !== "allowed") return headers;
  headers.set("access-control-allow-origin", request.headers.get("origin"));
  headers.set("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
  return headers;
}

/** The answer to a preflight for a route that exists and allows `methods`. */
export function preflight(request, env, methods) {
  if (originStatus(request, env) !== "allowed") {
    return new Response(null, { status: 403, headers: { vary: "Origin" } });
  }
  const wanted = (request.headers.get("access-control-request-method") ?? "").toUpperCase();
  if (wanted && !methods.includes(wanted)) {
    return new Response(null, { status: 405, headers: { vary: "Origin", allow: methods.join(", ") } });
  }
  return new Response(null, {
    status: 204,
    headers: {
      vary: "Origin",
      "access-control-allow-origin": request.headers.get("origin"),
      "access-control-allow-methods": methods.join(", "),
      "access-control-allow-headers": ALLOWED_REQUEST_HEADERS.join(", "),
      "access-control-max-age": "600",
    },
  });
}
