// The gateway's streaming body filters (src/body.js) on their own, in Node: forms built with
// FormData, cut into chunks at every size from 1 byte up, filtered, and read back with
// Response.formData().
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { formBoundary, formWithoutFields, limitBytes, partName, phpFieldName } from "../src/body.js";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function encode(form) {
  const res = new Response(form);
  return { type: res.headers.get("content-type"), bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** A stream of `bytes` in chunks of the given sizes (cycled). */
function chunked(bytes, sizes) {
  let at = 0;
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = sizes[k++ % sizes.length];
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

/**
 * Reads `stream` to its end; rejects with the failure's code if the filter fails instead (a failed
 * filter calls failure.abort() and never ends its stream, as the gateway needs).
 */
async function drain(stream, failure) {
  let aborted;
  const abort = new Promise((resolve) => (aborted = resolve));
  failure.abort = aborted;
  const failed = abort.then(() => null);
  const reader = stream.getReader();
  const chunks = [];
  for (;;) {
    const next = await Promise.race([reader.read(), failed]);
    if (next === null) {
      reader.cancel().catch(() => {});
      throw Object.assign(new Error(failure.message), { code: failure.code });
    }
    if (next.done) break;
    chunks.push(next.value);
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

async function filtered(bytes, type, sizes, opts = {}) {
  const failure = opts.failure ?? { code: null, message: null };
  const filter = formWithoutFields(opts.source ?? chunked(bytes, sizes), formBoundary(type), {
    drop: (name) => ["webhook_url", "webhook_secret"].includes(phpFieldName(name)),
    append: ["webhook_url", "https://gw.example/webhooks/deapi"],
    max: 1 << 30,
    ...opts,
    failure,
  });
  const out = await drain(filter, failure);
  return { out, failure };
}

test("formWithoutFields drops the webhook fields, appends the gateway's, keeps every other part byte for byte, at any chunking", async () => {
  const file = randomBytes(5000);
  // A file whose bytes look like the start of a delimiter, to catch a split match.
  const tricky = new TextEncoder().encode("\r\n--\r\n-\r\n--x\r\n\r\n");
  const form = new FormData();
  form.append("prompt", "a red fox");
  form.append("webhook_url", "https://page.example/hook");
  form.append("image", new Blob([file], { type: "image/png" }), "fox.png");
  form.append("webhook.secret", "0123456789abcdef0123456789abcdef");
  form.append("loras[0][name]", "x");
  form.append("mask", new Blob([tricky], { type: "application/octet-stream" }), "m.bin");
  form.append("webhook_url[]", "https://page.example/also");
  const { type, bytes } = await encode(form);
  for (const sizes of [[1], [2], [3], [7], [64], [1000], [bytes.length], [1, 13, 2, 700, 5]]) {
    const { out, failure } = await filtered(bytes, type, sizes);
    assert.equal(failure.code, null);
    const got = await new Response(out, { headers: { "content-type": type } }).formData();
    assert.deepEqual([...got.keys()], ["prompt", "image", "loras[0][name]", "mask", "webhook_url"], `chunks ${sizes}`);
    assert.equal(got.get("prompt"), "a red fox");
    assert.equal(got.get("webhook_url"), "https://gw.example/webhooks/deapi");
    const image = got.get("image");
    assert.equal(image.name, "fox.png");
    assert.equal(image.type, "image/png");
    assert.equal(sha256(new Uint8Array(await image.arrayBuffer())), sha256(file));
    assert.equal(sha256(new Uint8Array(await got.get("mask").arrayBuffer())), sha256(tricky));
  }
});

test("formWithoutFields: a form with nothing to drop or add comes out byte for byte as it went in", async () => {
  const form = new FormData();
  form.append("prompt", "a red fox");
  form.append("image", new Blob([randomBytes(70_000)], { type: "image/png" }), "fox.png");
  form.append("audio", new Blob([randomBytes(3)]), "a.wav");
  const { type, bytes } = await encode(form);
  for (const sizes of [[7], [4096], [65536], [bytes.length]]) {
    const { out } = await filtered(bytes, type, sizes, { append: null });
    assert.equal(out.length, bytes.length);
    assert.equal(sha256(out), sha256(bytes), `chunks ${sizes}`);
  }
});

test("formWithoutFields: a form with only webhook fields, an empty form, and no appended field", async () => {
  const only = new FormData();
  only.append("webhook_url", "https://page.example/hook");
  let { type, bytes } = await encode(only);
  let { out } = await filtered(bytes, type, [5]);
  let got = await new Response(out, { headers: { "content-type": type } }).formData();
  assert.deepEqual([...got.entries()], [["webhook_url", "https://gw.example/webhooks/deapi"]]);

  ({ out } = await filtered(bytes, type, [5], { append: null }));
  got = await new Response(out, { headers: { "content-type": type } }).formData();
  assert.deepEqual([...got.entries()], []);

  ({ type, bytes } = await encode(new FormData()));
  ({ out } = await filtered(bytes, type, [1]));
  got = await new Response(out, { headers: { "content-type": type } }).formData();
  assert.deepEqual([...got.entries()], [["webhook_url", "https://gw.example/webhooks/deapi"]]);
});

test("formWithoutFields refuses a truncated form, a runaway header block and a body over the limit", async () => {
  const form = new FormData();
  form.append("prompt", "x");
  form.append("image", new Blob([randomBytes(3000)]), "a.bin");
  const { type, bytes } = await encode(form);

  await assert.rejects(() => filtered(bytes.slice(0, 2000), type, [100]), { code: "BAD_REQUEST" });
  await assert.rejects(() => filtered(bytes, type, [100], { max: 1000 }), { code: "TOO_LARGE" });

  const boundary = formBoundary(type);
  const runaway = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="a"\r\nX: ${"y".repeat(20000)}`);
  await assert.rejects(() => filtered(runaway, type, [4096]), { code: "BAD_REQUEST", message: /header block/ });
});

test("limitBytes passes up to the limit and fails past it (aborting, never ending its stream)", async () => {
  const f1 = { code: null };
  assert.equal((await drain(limitBytes(chunked(new Uint8Array(100), [30]), 100, f1), f1)).length, 100);
  const f2 = { code: null };
  await assert.rejects(() => drain(limitBytes(chunked(new Uint8Array(101), [30]), 100, f2), f2), { code: "TOO_LARGE" });
});

test("a source that breaks off (the page hung up) fails the stream instead of ending it", async () => {
  const breaking = () => {
    let n = 0;
    return new ReadableStream({
      pull(controller) {
        if (n++ < 3) controller.enqueue(new Uint8Array(10));
        else controller.error(new Error("connection reset"));
      },
    });
  };
  const f1 = { code: null };
  await assert.rejects(() => drain(limitBytes(breaking(), 1000, f1), f1), { code: "BAD_REQUEST", message: /broke off/ });
  const form = new FormData();
  form.append("a", "b");
  const { type, bytes } = await encode(form);
  await assert.rejects(() => filtered(bytes, type, [1], { source: breaking() }), { code: "BAD_REQUEST", message: /broke off/ });
});

test("boundaries, part names and PHP field names", () => {
  assert.equal(formBoundary("multipart/form-data; boundary=----WebKitFormBoundaryAbC123"), "----WebKitFormBoundaryAbC123");
  assert.equal(formBoundary('multipart/form-data; charset=utf-8; boundary="a b:c"'), "a b:c");
  assert.equal(formBoundary("multipart/form-data"), null);
  assert.equal(formBoundary("multipart/form-data; boundary="), null);
  assert.equal(formBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`), null);
  assert.equal(formBoundary('multipart/form-data; boundary="ends in space "'), null);

  assert.equal(partName('\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'), "image");
  assert.equal(partName('\r\ncontent-disposition: form-data; filename="a.png"; name=image\r\n\r\n'), "image");
  assert.equal(partName('\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\n'), 'a"b');
  assert.equal(partName("\r\nContent-Type: text/plain\r\n\r\n"), null);

  for (const name of ["webhook_url", "webhook.url", " webhook url", "webhook_url[]", "webhook_url[a][b]", "webhook[url"]) {
    assert.equal(phpFieldName(name), "webhook_url", name);
  }
  assert.equal(phpFieldName("loras[0][name]"), "loras");
  assert.equal(phpFieldName("webhook_urls"), "webhook_urls");
});
