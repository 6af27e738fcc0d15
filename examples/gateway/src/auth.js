// Who is calling. The gateway is closed by default: a request is let in only by one of
//
//   GATEWAY_TOKENS          (secret) comma-separated bearer tokens. Single-tenant: one app or
//                           server; a holder sees every job of the account, as the gateway's keys do.
//   GATEWAY_SIGNING_SECRET  (secret, ≥ 32 bytes) per-user tokens `v1.<user>.<exp>.<sig>` minted by
//                           your backend (src/token.js). A holder sees only the jobs it submitted.
//   ALLOW_ANONYMOUS = "true" (var) anyone: an open proxy to your provider credits.
//
// or by your own check in `customAuthorize` below. OPTIONS preflights and provider webhooks never
// come here: a preflight carries no credentials, a webhook is authenticated by its signature
// (deAPI) or its key (Optexity's task callbacks).

import { equalConstantTime, verifyGatewayToken, MIN_SECRET_BYTES } from "./token.js";

export const AUTH_SETTINGS = "GATEWAY_TOKENS or GATEWAY_SIGNING_SECRET (secrets), or ALLOW_ANONYMOUS = \"true\"";

/**
 * Your own access check, tried first: return a caller `{ principal, user }` to let the request in
 * (`user` a string: per-user, it sees only its own jobs; `user: null`: it sees every job), a
 * Response to refuse it, or null to fall through to the built-in modes. `principal` names the
 * submit budget (SUBMITS_PER_MINUTE) the request is charged to.
 */
async function customAuthorize(request, env) {
  return null;
}

/**
 * The caller `{ principal, user, via }`, or a Response (401 / 500) to answer instead.
 * `user` is null for a caller that sees every job (a GATEWAY_TOKENS token, anonymous).
 */
export async function authenticate(request, env, url) {
  const custom = await customAuthorize(request, env);
  if (custom) return custom;

  const tokens = sharedTokens(env);
  const secret = typeof env.GATEWAY_SIGNING_SECRET === "string" && env.GATEWAY_SIGNING_SECRET !== "" ? env.GATEWAY_SIGNING_SECRET : null;
  const anonymous = String(env.ALLOW_ANONYMOUS ?? "").trim().toLowerCase() === "true";
  if (secret !== null && new TextEncoder().encode(secret).length < MIN_SECRET_BYTES) {
    return authError(500, "GATEWAY_CONFIG", `GATEWAY_SIGNING_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (tokens.length === 0 && secret === null && !anonymous) {
    return authError(401, "GATEWAY_AUTH_NOT_CONFIGURED", `this gateway has no access control configured: set ${AUTH_SETTINGS}`);
  }

  const presented = bearer(request, url);
  if (presented === null) {
    if (anonymous) return { principal: `ip:${request.headers.get("cf-connecting-ip") ?? "unknown"}`, user: null, via: "anonymous" };
    return authError(401, "UNAUTHORIZED", "missing Authorization: Bearer <gateway token>");
  }
  if (tokens.length === 0 && secret === null) {
    // Anonymous only: whatever auth the page sends is not ours; it is dropped as always.
    return { principal: `ip:${request.headers.get("cf-connecting-ip") ?? "unknown"}`, user: null, via: "anonymous" };
  }
  if (tokens.length > 0) {
    // Compared as SHA-256 digests, so neither the contents nor the lengths of the configured
    // tokens show in the time taken; every configured token is compared.
    const digest = await sha256(presented);
    let match = -1;
    for (let i = 0; i < tokens.length; i++) {
      if (equalConstantTime(digest, await sha256(tokens[i])) && match < 0) match = i;
    }
    if (match >= 0) return { principal: `token:${hex(digest).slice(0, 32)}`, user: null, via: "token" };
  }
  if (secret !== null) {
    const verified = await verifyGatewayToken(presented, secret);
    if (verified) return { principal: `user:${verified.user}`, user: verified.user, via: "user" };
  }
  return authError(401, "UNAUTHORIZED", "the gateway token is wrong or expired");
}

function sharedTokens(env) {
  return String(env.GATEWAY_TOKENS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The bearer token of the request: `Authorization: Bearer …`, or for GET /jobs/... only (an
 * `EventSource` cannot send headers) the `access_token` query parameter.
 */
function bearer(request, url) {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    return m ? m[1] : "";
  }
  if (request.method === "GET" && url.pathname.startsWith("/jobs/")) {
    const q = url.searchParams.get("access_token");
    if (q !== null) return q;
  }
  return null;
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function authError(status, code, message) {
  const headers = { "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="polyjob-gateway"';
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers });
}
