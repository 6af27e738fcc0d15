// Per-user gateway tokens: `v1.<user>.<exp>.<sig>`.
//
//   <user>  the user id, UTF-8, base64url without padding
//   <exp>   when the token stops working, unix time in seconds
//   <sig>   lowercase hex HMAC-SHA256 of `v1.<user>.<exp>` under GATEWAY_SIGNING_SECRET
//
// Your backend mints one for a signed-in user and hands it to the page; the page sends it as
// `Authorization: Bearer <token>`. The module only needs Web Crypto (`crypto.subtle`): import it
// from a Worker, Node ≥ 20, Deno, Bun or a browser.
//
//   import { signGatewayToken } from "polyjob-gateway/token";   // or copy this file
//   const token = await signGatewayToken(session.userId, 3600, process.env.GATEWAY_SIGNING_SECRET);

/** Shortest signing secret accepted, in bytes (UTF-8). */
export const MIN_SECRET_BYTES = 32;
/** Longest user id accepted, in bytes (UTF-8). */
export const MAX_USER_BYTES = 256;

const encoder = new TextEncoder();
const keys = new Map(); // secret -> Promise<CryptoKey>: imported once per isolate

/**
 * A token for `user` (a non-empty string), valid for `ttlSeconds` (a positive integer) from now,
 * signed with `secret` (the gateway's GATEWAY_SIGNING_SECRET, at least 32 bytes).
 * @param {string} user
 * @param {number} ttlSeconds
 * @param {string} secret
 * @returns {Promise<string>}
 */
export async function signGatewayToken(user, ttlSeconds, secret) {
  if (typeof user !== "string" || user.length === 0) throw new TypeError("signGatewayToken: user must be a non-empty string");
  const bytes = encoder.encode(user);
  if (bytes.length > MAX_USER_BYTES) throw new TypeError(`signGatewayToken: user is over ${MAX_USER_BYTES} bytes`);
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError("signGatewayToken: ttlSeconds must be a positive integer");
  checkSecret(secret);
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const payload = `v1.${base64url(bytes)}.${exp}`;
  return `${payload}.${await hmacHex(secret, payload)}`;
}

/**
 * The user of a valid, unexpired token, or null. The signature is compared in constant time.
 * `nowSeconds` is for tests.
 * @param {string} token
 * @param {string} secret
 * @returns {Promise<{ user: string, exp: number } | null>}
 */
export async function verifyGatewayToken(token, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  checkSecret(secret);
  if (typeof token !== "string" || token.length > 1024) return null;
  const m = /^v1\.([A-Za-z0-9_-]{1,400})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(token);
  if (!m) return null;
  const [, userPart, expPart, sig] = m;
  const expected = await hmacHex(secret, `v1.${userPart}.${expPart}`);
  if (!equalConstantTime(encoder.encode(expected), encoder.encode(sig))) return null;
  const exp = Number(expPart);
  if (!(exp > nowSeconds)) return null;
  const user = decodeUser(userPart);
  return user === null ? null : { user, exp };
}

/** Whether two byte arrays are equal, in time that depends only on their lengths. */
export function equalConstantTime(a, b) {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function checkSecret(secret) {
  if (typeof secret !== "string" || encoder.encode(secret).length < MIN_SECRET_BYTES) {
    throw new TypeError(`the signing secret must be a string of at least ${MIN_SECRET_BYTES} bytes`);
  }
}

async function hmacHex(secret, text) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(text)));
  let hex = "";
  for (const b of mac) hex += b.toString(16).padStart(2, "0");
  return hex;
}

function base64url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeUser(part) {
  if (part.length % 4 === 1) return null;
  try {
    const bin = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    if (bytes.length === 0 || bytes.length > MAX_USER_BYTES) return null;
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
