// Request bodies on their way to a provider, as streams: nothing here reads a body whole.
//
//   limitBytes(source, max, failure)             the body, counted; fails past `max`
//   formWithoutFields(source, boundary, opts)    a multipart/form-data body minus some fields,
//                                                plus one
//
// Both return a ReadableStream that pulls from `source` only when the upstream fetch wants more:
// the Worker holds about one chunk at a time (plus, for the form filter, at most the few bytes of
// a boundary split across two chunks and one part's header block), and the provider's pace is
// the client's upload pace.
//
// How they fail matters. workerd ends a chunked upstream body *cleanly* when the stream it reads
// errors or closes, so the provider would take a truncated body for a whole one — which is what
// a TransformStream does when the page's upload breaks off (seen in workerd: the page hangs up
// halfway, the provider gets a complete chunked request). So these streams never error and never
// close on a failure, whether theirs (too large, not a form) or the source's (the page went
// away): they write what went wrong to `failure.code` / `failure.message`, call
// `failure.abort()` (the proxy aborts the upstream fetch with it: the provider sees a broken
// request) and stall. The proxy answers 413 or 400.

const CRLF = [13, 10];
const HEADER_END = new Uint8Array([13, 10, 13, 10]);
/** Largest header block of one form part (a browser writes ~100 bytes). */
const MAX_PART_HEADERS = 16 * 1024;

/** The boundary of a `multipart/form-data` content type, or null if it has none or a bad one. */
export function formBoundary(contentType) {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const b = m ? m[1] ?? m[2] : null;
  // RFC 2046 §5.1.1: 1..70 characters from bchars, not ending in a space.
  return b && /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(b) ? b : null;
}

/** `source` as it is, counted: past `max` bytes it fails with failure.code TOO_LARGE. */
export function limitBytes(source, max, failure) {
  return relay(source, max, failure, { push: (bytes, emit) => emit(bytes), end: () => {} });
}

/**
 * A `multipart/form-data` body with every part for which `drop(name)` is true removed, and a text
 * part `append = [name, value]` (if given) added before the closing boundary. The boundary stays
 * the same, so the client's content type is still right; the length changes (the result has
 * none). The body is scanned for its boundary lines as it streams; part contents are passed on
 * chunk by chunk, never held. Fails (see the top of this file) with failure.code BAD_REQUEST if
 * the body is not a well-formed form, TOO_LARGE past `max` bytes.
 */
export function formWithoutFields(source, boundary, { drop, append = null, max, failure }) {
  const enc = new TextEncoder();
  const dash = enc.encode(`--${boundary}`);
  const delim = concat(new Uint8Array(CRLF), dash); // CRLF "--" boundary: what ends a part
  const extra = append
    ? enc.encode(`\r\nContent-Disposition: form-data; name="${quote(append[0])}"\r\n\r\n${append[1]}`)
    : null;

  // "body": in a part's content (or the preamble); "delim": just past a delimiter; "headers": in a
  // part's header block; "done": past the closing delimiter (the epilogue is dropped).
  let state = "body";
  let keep = false; // the preamble is dropped
  let started = false; // has a delimiter been written?
  let first = true;
  let carry = new Uint8Array(0);

  const find = searcher(delim);
  const delimiter = () => {
    const d = started ? delim : dash; // the first one opens the body: no CRLF before it
    started = true;
    return d;
  };
  const bad = (message) => fail(failure, "BAD_REQUEST", message);

  const push = (bytes, emit) => {
    if (state === "done") return;
    // The body starts right at its first delimiter; a virtual CRLF in front lets one search find
    // it and every later one.
    const buf = concat(first ? new Uint8Array(CRLF) : carry, bytes);
    first = false;
    carry = new Uint8Array(0);
    let pos = 0;
    for (;;) {
      if (state === "body") {
        const i = find(buf, pos);
        if (i < 0) {
          // Everything but a possible start of a delimiter at the end can go.
          const safe = prefixAtEnd(buf, Math.max(pos, buf.length - (delim.length - 1)), delim);
          if (keep && safe > pos) emit(buf.subarray(pos, safe));
          carry = buf.slice(safe);
          return;
        }
        if (keep && i > pos) emit(buf.subarray(pos, i));
        pos = i + delim.length;
        state = "delim";
      } else if (state === "delim") {
        if (buf.length - pos < 2) {
          carry = buf.slice(pos);
          return;
        }
        if (buf[pos] === 45 && buf[pos + 1] === 45) {
          // "--": the closing delimiter. The added field goes in front of it.
          if (extra) {
            emit(delimiter());
            emit(extra);
          }
          emit(concat(delimiter(), enc.encode("--\r\n")));
          state = "done";
          return;
        }
        state = "headers";
      } else {
        // From just past the delimiter: transport padding, CRLF, header lines, CRLF CRLF.
        const j = indexOf(buf, HEADER_END, pos);
        if (j < 0 || j - pos > MAX_PART_HEADERS) {
          if (j >= 0 || buf.length - pos > MAX_PART_HEADERS) return bad("form part header block too large");
          carry = buf.slice(pos);
          return;
        }
        const head = buf.subarray(pos, j + HEADER_END.length);
        const name = partName(new TextDecoder().decode(head));
        keep = name === null || !drop(name);
        if (keep) {
          emit(delimiter());
          emit(head.slice());
        }
        pos = j + HEADER_END.length;
        state = "body";
      }
    }
  };
  const end = () => {
    if (state !== "done") bad("multipart body ended before its closing boundary");
  };
  return relay(source, max, failure, { push, end });
}

/**
 * A ReadableStream of what `step.push(bytes, emit)` makes of each chunk of `source` (and
 * `step.end(emit)` at its end), pulled on demand. On a failure — a step's, more than `max` bytes,
 * or `source` erroring — it calls fail() and stalls (never errors, never closes).
 */
function relay(source, max, failure, step) {
  const reader = source.getReader();
  let seen = 0;
  return new ReadableStream({
    async pull(controller) {
      let emitted = 0;
      const emit = (bytes) => {
        emitted++;
        controller.enqueue(bytes);
      };
      while (emitted === 0) {
        let next;
        try {
          next = await reader.read();
        } catch {
          fail(failure, "BAD_REQUEST", "the request body broke off");
        }
        if (!failure.code && next.done) {
          step.end(emit);
          if (!failure.code) return controller.close();
        }
        if (!failure.code) {
          const bytes = next.value instanceof Uint8Array ? next.value : new Uint8Array(next.value);
          seen += bytes.byteLength;
          if (seen > max) fail(failure, "TOO_LARGE", `request body over ${max} bytes`);
          else step.push(bytes, emit);
        }
        if (failure.code) {
          reader.cancel().catch(() => {});
          return never();
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
}

/** The `name` of a part from its header block (Content-Disposition), or null. */
export function partName(head) {
  const line = /(?:^|\r\n)content-disposition\s*:([^\r\n]*)/i.exec(head);
  if (!line) return null;
  const m = /(?:^|;)\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/i.exec(line[1]);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/**
 * The top-level field a form name sets in PHP (Laravel's `$request->input()`): the part before a
 * `[...]` suffix, leading spaces dropped, spaces and dots (and a `[` without its `]`) read as `_`.
 * `webhook.url`, ` webhook_url` and `webhook_url[]` all set `webhook_url`.
 */
export function phpFieldName(name) {
  let base = name.replace(/^ +/, "");
  const open = base.indexOf("[");
  if (open > 0 && base.indexOf("]", open) > open) base = base.slice(0, open);
  return base.replace(/[ .[]/g, "_");
}

function fail(failure, code, message) {
  if (failure.code) return;
  failure.code = code;
  failure.message = message;
  failure.abort?.();
}

/** A promise that never settles: a failed stream must not end (see the top of this file). */
function never() {
  return new Promise(() => {});
}

function quote(s) {
  return String(s).replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function concat(a, b) {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A search for `needle` (Boyer-Moore-Horspool): in binary data it looks at about one byte in
 * needle.length, which keeps a streamed upload's CPU cost per megabyte low.
 */
function searcher(needle) {
  const m = needle.length;
  const shift = new Int32Array(256).fill(m);
  for (let k = 0; k < m - 1; k++) shift[needle[k]] = m - 1 - k;
  const lastByte = needle[m - 1];
  return (hay, from) => {
    for (let i = from + m - 1; i < hay.length; i += shift[hay[i]]) {
      if (hay[i] !== lastByte) continue;
      let k = m - 2;
      let j = i - 1;
      while (k >= 0 && hay[j] === needle[k]) {
        k--;
        j--;
      }
      if (k < 0) return j + 1;
    }
    return -1;
  };
}

/** The first index at or after `from` where the rest of `hay` is a proper prefix of `needle`
 * (hay.length if none): what must wait for the next chunk. */
function prefixAtEnd(hay, from, needle) {
  for (let k = from; k < hay.length; k++) {
    if (hay[k] !== needle[0]) continue;
    let j = 1;
    while (k + j < hay.length && hay[k + j] === needle[j]) j++;
    if (k + j === hay.length) return k;
  }
  return hay.length;
}

/** The first index of `needle` in `hay` at or after `from`, or -1. */
function indexOf(hay, needle, from) {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}
