// A submit request's `input`, read once from JS (convert.rs `submit_request`): the JSON text of
// its data, the files in it, and where each file sits. A file is a Blob (so also a File), an
// ArrayBuffer or an ArrayBufferView (Uint8Array, Node's Buffer, ...). Files stay JS objects,
// handed to wasm by reference and later put into the host's FormData: their bytes never enter
// wasm memory. Anything JSON cannot carry faithfully is refused with its path, so nothing the
// user hands over is lost or changed silently. No policy here: which provider takes files, and
// how a form is laid out, is the providers' business (src/core/form.rs).

const toString = Object.prototype.toString;

function isBlob(value) {
  const tag = toString.call(value);
  return (typeof Blob === "function" && value instanceof Blob) || tag === "[object Blob]" || tag === "[object File]";
}

function isFile(value) {
  return (typeof File === "function" && value instanceof File) || toString.call(value) === "[object File]";
}

function isBytes(value) {
  if (ArrayBuffer.isView(value)) return true;
  const tag = toString.call(value);
  return tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]";
}

/** The bytes of an ArrayBuffer or a view as a Uint8Array over the same memory (no copy). */
function byteView(value) {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}

/** The file name a value without one gets: its field's name (the last key of its path). */
function fieldName(path) {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === "string") return path[i] || "file";
  return "file";
}

/**
 * A file value as a File with a name and, where known, a type: a File as it is; a Blob wrapped
 * by reference (named after its field); bytes copied once into a File (a snapshot: later changes
 * to the caller's buffer cannot change what a retried submit sends). A File without a type gets
 * one sniffed from its first bytes when it is sent (exchange.js `typed`).
 */
function asFile(value, path) {
  if (isFile(value)) return value;
  const name = fieldName(path);
  if (isBlob(value)) return new File([value], name, { type: value.type });
  return new File([byteView(value)], name);
}

/** What a value is, for a message: "a function", "a Map", "an instance of Foo". */
function describe(value) {
  switch (typeof value) {
    case "function": return "a function";
    case "symbol": return "a symbol";
    case "bigint": return "a BigInt";
    case "undefined": return "undefined";
    case "number": return `the number ${value}`;
    default: break;
  }
  const tag = toString.call(value).slice(8, -1);
  if (tag !== "Object") return `a ${tag}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `an instance of ${name}` : "an object that is not plain";
}

class Refused {
  constructor(path, what) {
    this.path = path;
    this.what = what;
  }
}

/**
 * Reads `input`: `{ text, files, paths }` — the JSON text of the input with each file's place
 * `null`, the files (Files), and each file's path (keys and indexes) — or `{ badPath, what }` for
 * the first value JSON cannot carry: a function, a symbol, a BigInt, a non-finite number,
 * `undefined` in an array, a Map, a Set, a class instance that is not a file or a Date and has
 * no `toJSON`, a circular reference. `undefined` members of objects are left out, as in
 * `JSON.stringify`; a Date is its ISO text; a `toJSON` method gives the value's JSON form.
 */
export function readInput(input) {
  const files = [];
  const paths = [];
  const ancestors = new Set();
  const path = [];

  function walk(value, key) {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (Number.isFinite(value)) return value;
      throw new Refused(path.slice(), `${describe(value)}, which JSON cannot carry`);
    }
    if (typeof value !== "object") throw new Refused(path.slice(), describe(value));
    if (isBlob(value) || isBytes(value)) {
      files.push(asFile(value, path));
      paths.push(path.slice());
      return null;
    }
    if (ancestors.has(value)) throw new Refused(path.slice(), "a circular reference");
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new Refused(path.slice(), "an invalid Date");
      return value.toISOString();
    }
    if (value instanceof Number || value instanceof String || value instanceof Boolean) {
      return walk(value.valueOf(), key);
    }
    ancestors.add(value);
    try {
      if (Array.isArray(value)) {
        const out = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          if (value[i] === undefined) throw new Refused(path.slice(), "undefined in an array, which JSON cannot carry");
          out[i] = walk(value[i], String(i));
          path.pop();
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        if (typeof value.toJSON === "function") return walk(value.toJSON(key), key);
        throw new Refused(path.slice(), describe(value));
      }
      const out = {};
      for (const k of Object.keys(value)) {
        const member = value[k];
        if (member === undefined) continue;
        path.push(k);
        out[k] = walk(member, k);
        path.pop();
      }
      return out;
    } finally {
      ancestors.delete(value);
    }
  }

  try {
    const data = input === undefined ? null : walk(input, "");
    return { text: JSON.stringify(data), files, paths };
  } catch (e) {
    if (e instanceof Refused) return { badPath: e.path, what: e.what };
    throw e;
  }
}
