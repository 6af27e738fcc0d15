// One HTTP exchange in one call from wasm: fetch (a JSON body, or a multipart form built from
// the request's Files), the response headers the core reads, and the body bytes under a size
// cap; also stream opens and reads, file downloads (`loadFile`) and the abort watches of sleeps.
// Doing this here rather than field by field from Rust saves ~20 boundary crossings, a string
// copy per header and a wasm-side UTF-8 decode per request. Every request has its own
// AbortController and deadline timer, made when needed and cleared when done: nothing outlives
// or crosses the call that made it (Cloudflare Workers tie timers and signals to the request
// that created them). Sleeps are gloo-timers' (timer.rs).
// No policy here: retries, redirects and parsing stay in Rust.


/**
 * The response headers handed to Rust, joined by "\n" in the order of fetch.rs `READ_HEADERS`
 * ("" for an absent one): the redirect target and retry advice of a non-2xx answer, and the
 * content type. A 2xx answer's first three are not read: nothing acts on them, and each
 * `Headers.get` costs ~0.3 µs in Node, 1 % of a whole status update.
 */
function headerLine(response) {
  const h = response.headers;
  const type = h.get("content-type") ?? "";
  const status = response.status;
  if (status >= 200 && status < 300) return "\n\n\n" + type;
  return (h.get("location") ?? "") + "\n" + (h.get("retry-after") ?? "") + "\n" + (h.get("retry-after-ms") ?? "") + "\n" + type;
}

/** Outcome kinds, the first element of what `exchange` resolves to. */
const OK = 0, NETWORK = 1, TIMEOUT = 2, ABORTED = 3, TOO_LARGE = 4;

/**
 * Reads a response body as bytes, refusing it (resolving `undefined`, the stream cancelled) once
 * it passes `cap` bytes; a declared Content-Length over the cap is refused unread. The bytes go
 * to wasm as they are (it decodes them as `text()` would): reading the stream directly costs
 * about half of `text()` in Node, and skips a UTF-8 decode here and an encode into wasm.
 */
async function readBody(response, cap) {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > cap) {
    if (response.body) response.body.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  let first;
  let chunks;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = asBytes(value);
    size += chunk.byteLength;
    if (size > cap) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  }
  if (chunks === undefined) return first ?? new Uint8Array(0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/** A stream chunk as a Uint8Array (a body stream yields those; a hand-made one may not). */
function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError("a body stream chunk is not bytes");
}

/** Request methods by the number fetch.rs passes. */
const METHODS = ["GET", "POST", "DELETE"];

/** A `{ name: value }` object of a flat [name, value, ...] list (fetch.rs caches it per list). */
export function headerObject(flat) {
  const headers = {};
  for (let i = 0; i + 1 < flat.length; i += 2) headers[flat[i]] = flat[i + 1];
  return headers;
}

/**
 * Calls `fetchFn` for one request and resolves to its Response, body unread. `headers` is a
 * cached object (copied here, so a fetch that edits its init cannot change later requests),
 * `method` an index of METHODS, `body` undefined, the JSON text, a form (see `formData`), or
 * `{ urlencoded }`, URL-encoded form text.
 * Redirects are never followed (`redirect: "manual"`): the key travels in a header, and the
 * engine follows same-origin ones.
 */
async function send(fetchFn, url, method, headers, body, signal) {
  const init = { method: METHODS[method], headers: { ...headers }, signal, redirect: "manual" };
  if (typeof body === "string") {
    init.headers["content-type"] = "application/json";
    init.body = body;
  } else if (body !== undefined && typeof body.urlencoded === "string") {
    init.headers["content-type"] = "application/x-www-form-urlencoded";
    init.body = body.urlencoded;
  } else if (body !== undefined) {
    // The host sets the multipart content type with its boundary: none of ours may replace it.
    for (const name of Object.keys(init.headers)) {
      if (name.toLowerCase() === "content-type") delete init.headers[name];
    }
    init.body = await formData(body);
  }
  return fetchFn(url, init);
}

/**
 * A FormData of a flat `[name, value, ...]` list (fetch.rs `request_parts`): a string value is a
 * text field, any other a File (input.js made every file one), appended by reference — its bytes
 * are streamed by the host, never read here. A File without a type gets one sniffed from its
 * first 16 bytes. Built per attempt from the same Files, so a retry resends the same parts.
 */
async function formData(flat) {
  const form = new FormData();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = flat[i + 1];
    if (typeof value === "string") form.append(flat[i], value);
    else form.append(flat[i], await typed(value), value.name);
  }
  return form;
}

/** The content type of bytes, from their first bytes (the formats AI jobs take). */
function sniff(bytes) {
  const b = bytes;
  const at = (i, text) => [...text].every((c, k) => b[i + k] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, "PNG\r\n\x1a\n")) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 6 && (at(0, "GIF87a") || at(0, "GIF89a"))) return "image/gif";
  if (b.length >= 12 && at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  if (b.length >= 12 && at(0, "RIFF") && at(8, "WAVE")) return "audio/wav";
  if (b.length >= 3 && at(0, "ID3")) return "audio/mpeg";
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return "audio/mpeg";
  if (b.length >= 12 && at(4, "ftyp")) return "video/mp4";
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return "video/webm";
  return "application/octet-stream";
}

/** `file`, or a File of the same bytes (by reference) with the type its first bytes show. */
async function typed(file) {
  if (file.type !== "") return file;
  const type = sniff(new Uint8Array(await file.slice(0, 16).arrayBuffer()));
  return new File([file], file.name, { type });
}

/**
 * `send` for streams: reports OK with the Response as the payload (status, body unread), or
 * NETWORK with the error's text and the error itself as the payload.
 */
export async function open(fetchFn, url, method, headers, body, signal, slot) {
  try {
    const response = await send(fetchFn, url, method, headers, body, signal);
    settle(slot, OK, response.status, undefined, response);
  } catch (e) {
    settle(slot, NETWORK, 0, errorText(e), e);
  }
}

/**
 * Reads an opened response: [OK, status, header line (see `headerLine`), body bytes],
 * [TOO_LARGE] when the body passes `cap` bytes, [NETWORK, message, error] when reading fails.
 */
async function describe(response, cap) {
  let bytes;
  try {
    bytes = await readBody(response, cap);
  } catch (e) {
    return [NETWORK, errorText(e), e];
  }
  if (bytes === undefined) return [TOO_LARGE];
  return [OK, response.status, headerLine(response), bytes];
}

/**
 * The message of a thrown value. Node's undici puts the useful part in `cause`: the errno-like
 * code ("ECONNREFUSED", "ENOTFOUND") and the host, shown too.
 */
function errorText(e) {
  if (e instanceof Error) {
    const c = e.cause;
    if (c && typeof c.code === "string") {
      const host = c.hostname ?? (c.address !== undefined ? `${c.address}${c.port !== undefined ? `:${c.port}` : ""}` : undefined);
      return `${e.message} (${c.code}${host !== undefined ? ` ${host}` : ""})`;
    }
    if (c && typeof c.message === "string" && c.message !== "") return `${e.message} (${c.message})`;
    return e.message;
  }
  return typeof e === "string" ? e : "fetch failed";
}

/**
 * Sends one request (see `send`), reads its answer and reports it to wasm through the installed
 * `settle(slot, kind, status, headers, payload, bytes)` (see completion.rs): OK with the status,
 * the header line (see `headerLine`) and the body's bytes; NETWORK with the error's text (in the
 * header line's place) and the error (the payload); TIMEOUT; ABORTED (the `parent` signal fired);
 * TOO_LARGE. Never throws.
 */
export async function exchange(fetchFn, url, method, headers, body, parent, timeoutMs, cap, slot) {
  const controller = new AbortController();
  let timedOut = false;
  let timer;
  if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.min(timeoutMs, 2147483647));
    // The request itself keeps a Node process alive while it runs; its deadline need not.
    if (typeof timer === "object" && timer !== null && typeof timer.unref === "function") timer.unref();
  }
  if (parent) watch(parent, controller);
  let out;
  try {
    out = await describe(await send(fetchFn, url, method, headers, body, controller.signal), cap);
  } catch (e) {
    out = [NETWORK, errorText(e), e];
  }
  if (timer !== undefined) clearTimeout(timer);
  if (parent) unwatch(parent, controller);
  // A failure while the signal fired (sending or reading the body) is the timeout's or the caller's.
  let kind = out[0];
  if (kind === NETWORK && timedOut) kind = TIMEOUT;
  else if (kind === NETWORK && parent && parent.aborted) kind = ABORTED;
  report(slot, kind, out);
}

/** Reads an opened response (see `describe`) and reports it to `slot` as `exchange` does. */
export async function finish(response, cap, slot) {
  const out = await describe(response, cap);
  report(slot, out[0], out);
}

/** Reports a `describe` outcome: OK with status, header line and bytes; else its kind. */
function report(slot, kind, out) {
  if (kind === OK) {
    settle(slot, OK, out[1], out[2], undefined, out[3]);
  } else {
    settle(slot, kind, 0, kind === NETWORK ? out[1] : undefined, kind === NETWORK ? out[2] : undefined);
  }
}

/**
 * Reads one chunk of a body stream: OK with status 1 once the stream is done, else status 0
 * and the chunk's bytes; NETWORK with the error's text.
 */
export async function readChunk(reader, slot) {
  try {
    const { done, value } = await reader.read();
    settle(slot, OK, done ? 1 : 0, undefined, undefined, done ? undefined : asBytes(value));
  } catch (e) {
    settle(slot, NETWORK, 0, errorText(e), e);
  }
}

/**
 * Downloads a result file (`loadFile`): OK with status and the body as a Blob (re-typed as
 * `type` when given), or OK with the status and no payload for a non-2xx answer (its body
 * left unread); ABORTED when `signal` fired; NETWORK with the error's text. No headers are
 * sent: a file URL never gets the API key. Redirects are followed (file hosts redirect to CDNs).
 */
export async function fetchFile(fetchFn, url, type, signal, slot) {
  try {
    const response = await fetchFn(url, signal ? { signal } : {});
    if (!response.ok) {
      if (response.body) response.body.cancel().catch(() => {});
      settle(slot, OK, response.status, undefined, undefined);
      return;
    }
    let blob = await response.blob();
    if (type && blob.type !== type) blob = new Blob([blob], { type });
    settle(slot, OK, response.status, undefined, blob);
  } catch (e) {
    settle(slot, signal && signal.aborted ? ABORTED : NETWORK, 0, errorText(e), e);
  }
}

/** Reads a Request/Response body whole: OK with its bytes (a Uint8Array), or NETWORK. */
export async function readBytes(source, slot) {
  try {
    settle(slot, OK, 0, undefined, undefined, new Uint8Array(await source.arrayBuffer()));
  } catch (e) {
    settle(slot, NETWORK, 0, errorText(e), e);
  }
}

// The wasm side's one completion function (completion.rs), installed at first use.
let settle = () => {};
const SIGNAL = 5;

/**
 * Installs wasm's `settle(slot, kind, status, headers, payload, bytes)` (payload: an error's
 * text or a Response; bytes: a body or a chunk, a Uint8Array copied into wasm memory).
 */
export function install(fn) {
  settle = fn;
}

// What watches each caller signal — sleeps (their slot numbers) and in-flight requests (their
// AbortControllers) — behind one listener per signal, however many there are: 10,000 waits on
// one signal add one listener, not 10,000 (and no MaxListenersExceededWarning in Node).
const watched = new WeakMap();

function watch(signal, member) {
  let members = watched.get(signal);
  if (members === undefined) {
    members = new Set();
    watched.set(signal, members);
    signal.addEventListener("abort", () => {
      watched.delete(signal);
      for (const m of members) {
        if (typeof m === "number") settle(m, SIGNAL, 0, undefined, undefined, undefined);
        else m.abort();
      }
      members.clear();
    }, { once: true });
  }
  members.add(member);
}

function unwatch(signal, member) {
  const members = watched.get(signal);
  if (members !== undefined) members.delete(member);
}

/** Reports SIGNAL for `slot` when `signal` fires. */
export function watchAbort(signal, slot) {
  watch(signal, slot);
}

/** Stops reporting `slot` for `signal`. */
export function unwatchAbort(signal, slot) {
  unwatch(signal, slot);
}
