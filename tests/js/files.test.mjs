// Files in and out (issue 17), through the packed package:
// - inputs: Blob, File, Buffer, Uint8Array, ArrayBuffer in `input` are sent as multipart parts
//   (deAPI in Laravel's conventions, Socaity flat), named, typed, never copied into wasm; the mock
//   confirms every byte by SHA-256; Optexity/Serika and non-JSON values reject CONFIG, sending
//   nothing; retried submits resend the same parts;
// - outputs: every provider's result files in `job.files`, `resultUrl`, `loadFile` (URL or data);
// - sizes: a provider's 413 and a body over `maxResponseBytes` reject TOO_LARGE.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { JobClient, loadFile } from "polyjob";
import { client, request, scenario, mockJob, isPolyjobError, KEY, MOCK, jsonResponse, scripted } from "./helpers.mjs";


/** A small valid PNG (1×1) and JPEG/WebP/WAV/MP3/MP4/WebM/GIF headers, for sniffing. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const MAGIC = {
  "image/png": PNG,
  "image/jpeg": Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]),
  "image/gif": Buffer.from("GIF89a\x01\x00\x01\x00", "latin1"),
  "image/webp": Buffer.from("RIFF\x10\x00\x00\x00WEBPVP8 ", "latin1"),
  "audio/wav": Buffer.from("RIFF\x10\x00\x00\x00WAVEfmt ", "latin1"),
  "audio/mpeg": Buffer.from("ID3\x04\x00\x00\x00\x00", "latin1"),
  "video/mp4": Buffer.from("\x00\x00\x00\x18ftypmp42", "latin1"),
  "video/webm": Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81]),
  "application/octet-stream": Buffer.from("hello world", "latin1"),
};

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const randomBytes = (n, seed = 1) => {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
};

/** The entries of a FormData body as [name, text | { name, type, size, sha256 }]. */
async function formEntries(body) {
  assert.ok(body instanceof FormData, `the body is a FormData (got ${Object.prototype.toString.call(body)})`);
  const out = [];
  for (const [name, value] of body.entries()) {
    if (typeof value === "string") out.push([name, value]);
    else out.push([name, { name: value.name, type: value.type, size: value.size, sha256: sha256(Buffer.from(await value.arrayBuffer())) }]);
  }
  return out;
}

const deapiSubmitted = () => jsonResponse(200, { data: { request_id: "r-1" } });
const deapiClient = (f, extra = {}) => new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f, ...extra });

describe("file inputs: the form polyjob sends (scripted fetch)", { concurrency: true }, () => {
  test("deAPI: each kind of file input is one part named after its key, in Laravel's conventions", async () => {
    const f = scripted(() => deapiSubmitted());
    const c = deapiClient(f);
    const bytes = randomBytes(5000, 7);
    const input = {
      image: new File([PNG], "face.png", { type: "image/png" }),
      mask: new Blob([MAGIC["image/jpeg"]], { type: "image/jpeg" }),
      ref_audio: Buffer.from(MAGIC["audio/wav"]),
      ref_image: new Uint8Array(MAGIC["image/webp"]),
      source_file: bytes.buffer,
      images: [new File([PNG], "a.png", { type: "image/png" }), new Uint8Array(MAGIC["image/gif"])],
      prompt: "oil painting",
      steps: 4,
      guidance: 7.5,
      enhance: true,
      tiled: false,
      negative_prompt: null,
      skipped: undefined,
      loras: [{ name: "style", weight: 0.7 }],
      when: new Date("2026-01-02T03:04:05Z"),
    };
    const job = await c.submit({ task: "img2img", model: "Flux_2_Klein_4B_BF16", input, webhookUrl: "https://example.test/hook" });
    assert.equal(job.id, "r-1");
    assert.equal(f.calls.length, 1);
    const call = f.calls[0];
    assert.equal(call.url, "http://127.0.0.1:9/deapi/api/v1/client/img2img");
    assert.equal(call.method, "POST");
    assert.equal(call.headers.get("content-type"), null, "the host sets the multipart content type itself");
    assert.equal(call.headers.get("authorization"), `Bearer ${KEY}`);
    const entries = await formEntries(call.body);
    const file = (name, type, data) => ({ name, type, size: data.byteLength, sha256: sha256(Buffer.from(data)) });
    assert.deepEqual(entries, [
      ["image", file("face.png", "image/png", PNG)],
      ["mask", file("mask", "image/jpeg", MAGIC["image/jpeg"])],
      ["ref_audio", file("ref_audio", "audio/wav", MAGIC["audio/wav"])],
      ["ref_image", file("ref_image", "image/webp", MAGIC["image/webp"])],
      ["source_file", file("source_file", "application/octet-stream", bytes)],
      ["images[]", file("a.png", "image/png", PNG)],
      ["images[]", file("images", "image/gif", MAGIC["image/gif"])],
      ["prompt", "oil painting"],
      ["steps", "4"],
      ["guidance", "7.5"],
      ["enhance", "1"],
      ["tiled", "0"],
      ["loras[0][name]", "style"],
      ["loras[0][weight]", "0.7"],
      ["when", "2026-01-02T03:04:05.000Z"],
      ["model", "Flux_2_Klein_4B_BF16"],
      ["webhook_url", "https://example.test/hook"],
    ]);
  });

  test("raw bytes are typed by sniffing their first bytes; a Blob without a type too", async () => {
    for (const [type, bytes] of Object.entries(MAGIC)) {
      const f = scripted(() => deapiSubmitted());
      await deapiClient(f).submit({ task: "img-upscale", input: { image: new Uint8Array(bytes), other: new Blob([bytes]) } });
      const entries = await formEntries(f.calls[0].body);
      assert.equal(entries[0][1].type, type, `bytes sniffed as ${type}`);
      assert.equal(entries[0][1].name, "image");
      assert.equal(entries[1][1].type, type, `untyped Blob sniffed as ${type}`);
      assert.equal(entries[1][1].name, "other");
    }
  });

  test("a view's own range is sent, not its whole buffer", async () => {
    const f = scripted(() => deapiSubmitted());
    const whole = randomBytes(1000, 3);
    const view = new Uint8Array(whole.buffer, 100, 50);
    await deapiClient(f).submit({ task: "img-rmbg", input: { image: view, dv: new DataView(whole.buffer, 10, 20) } });
    const entries = await formEntries(f.calls[0].body);
    assert.equal(entries[0][1].size, 50);
    assert.equal(entries[0][1].sha256, sha256(Buffer.from(whole.subarray(100, 150))));
    assert.equal(entries[1][1].size, 20);
  });

  test("bytes are a snapshot: changing the buffer after submit() does not change what is sent", async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    const f = scripted(async () => {
      await gate;
      return deapiSubmitted();
    });
    const bytes = new Uint8Array(PNG);
    const pending = deapiClient(f).submit({ task: "img2img", input: { image: bytes, prompt: "x", model: "m" } });
    bytes.fill(0);
    release();
    await pending;
    const entries = await formEntries(f.calls[0].body);
    assert.equal(entries[0][1].sha256, sha256(PNG));
  });

  test("without files a submit stays JSON", async () => {
    const f = scripted(() => deapiSubmitted());
    await deapiClient(f).submit({ task: "txt2img", input: { prompt: "x", model: "m", when: new Date(0) } });
    assert.equal(f.calls[0].headers.get("content-type"), "application/json");
    assert.deepEqual(JSON.parse(f.calls[0].body), { prompt: "x", model: "m", when: "1970-01-01T00:00:00.000Z" });
  });

  test("Socaity: files as top-level parts (a list as repeated parts), other values as text or JSON text", async () => {
    const f = scripted(() => jsonResponse(202, { job_id: "s-1", status: "PENDING" }));
    const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: f });
    const job = await c.submit({
      model: "face2face",
      input: { source_img: new File([PNG], "src.png", { type: "image/png" }), faces: [Buffer.from(PNG), Buffer.from(PNG)], enhance: true, strength: 0.5, opts: { k: [1, 2] }, url: "https://x/y.png", skip: null },
    });
    assert.equal(job.id, "s-1");
    assert.equal(f.calls[0].url, "http://127.0.0.1:9/socaity/v1/face2face/generate");
    const entries = await formEntries(f.calls[0].body);
    assert.deepEqual(entries.map(([n, v]) => [n, typeof v === "string" ? v : v.name]), [
      ["source_img", "src.png"],
      ["faces", "faces"],
      ["faces", "faces"],
      ["enhance", "true"],
      ["strength", "0.5"],
      ["opts", '{"k":[1,2]}'],
      ["url", "https://x/y.png"],
    ]);
  });

  test("Socaity: a file nested in an object rejects CONFIG naming it; nothing is sent", async () => {
    const f = scripted(() => jsonResponse(202, { job_id: "s-1", status: "PENDING" }));
    const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: f });
    await assert.rejects(c.submit({ model: "m", input: { job: { image: new Blob([PNG]) } } }), (e) => isPolyjobError("CONFIG")(e) && /input\.job\.image/.test(e.message));
    assert.equal(f.calls.length, 0);
  });

  test("Optexity and Serika take no files: CONFIG naming the field and what to send instead; nothing is sent", async () => {
    for (const [provider, model, instead] of [["optexity", "endpoint", /public URL string in input_parameters/], ["serika", "tensorart-illustrious-xl-v2-aesthetic", /JSON parameters/]]) {
      const f = scripted(() => jsonResponse(200, {}));
      const c = new JobClient({ provider, apiKey: KEY, baseUrl: `http://127.0.0.1:9/${provider}`, fetch: f });
      for (const file of [new Blob([PNG]), new Uint8Array(PNG), PNG.buffer.slice(0)]) {
        await assert.rejects(c.run({ model, input: { prompt: "x", reference: file } }), (e) => {
          isPolyjobError("CONFIG")(e);
          assert.match(e.message, /input\.reference is a file/);
          assert.match(e.message, instead);
          return true;
        });
      }
      assert.equal(f.calls.length, 0, `${provider}: nothing sent`);
    }
  });

  test("values JSON cannot carry reject CONFIG naming their path, before anything is sent", async () => {
    class Point { constructor() { this.x = 1; } }
    const cyclic = { a: {} };
    cyclic.a.back = cyclic;
    const cases = [
      [{ options: { cb: () => 1 } }, "input.options.cb", /a function/],
      [{ s: Symbol("x") }, "input.s", /a symbol/],
      [{ n: 10n }, "input.n", /a BigInt/],
      [{ list: [1, NaN] }, "input.list[1]", /NaN/],
      [{ inf: Infinity }, "input.inf", /Infinity/],
      [{ m: new Map([["a", 1]]) }, "input.m", /a Map/],
      [{ set: new Set([1]) }, "input.set", /a Set/],
      [{ p: new Point() }, "input.p", /an instance of Point/],
      [{ "my key": [undefined] }, 'input["my key"][0]', /undefined in an array/],
      [cyclic, "input.a.back", /circular/],
      [{ d: new Date("nope") }, "input.d", /invalid Date/],
      [{ r: /x/ }, "input.r", /a RegExp/],
    ];
    for (const [input, path, what] of cases) {
      const f = scripted(() => deapiSubmitted());
      const c = deapiClient(f);
      for (const call of [() => c.submit({ task: "txt2img", input }), () => c.run({ task: "txt2img", input })]) {
        await assert.rejects(call(), (e) => {
          isPolyjobError("CONFIG")(e);
          assert.ok(e.message.startsWith(`${path} is `), `${e.message} names ${path}`);
          assert.match(e.message, what);
          return true;
        });
      }
      assert.equal(f.calls.length, 0, `${path}: nothing sent`);
    }
    // What JSON carries faithfully passes: toJSON, boxed primitives, null-prototype objects.
    const f = scripted(() => deapiSubmitted());
    const bare = Object.assign(Object.create(null), { k: 1 });
    await deapiClient(f).submit({ task: "txt2img", input: { u: new URL("https://x.test/a"), b: Object("s"), bare, skip: undefined } });
    assert.deepEqual(JSON.parse(f.calls[0].body), { u: "https://x.test/a", b: "s", bare: { k: 1 } });
  });

  test("a retried submit (429, 503) resends the same parts", async () => {
    const f = scripted((n) => (n === 1 ? jsonResponse(429, { message: "Too Many Attempts." }, { "retry-after": "0" }) : n === 2 ? jsonResponse(503, { message: "busy" }, { "retry-after": "0" }) : deapiSubmitted()));
    const bytes = randomBytes(20000, 9);
    await deapiClient(f).submit({ task: "img2img", input: { image: bytes, prompt: "p", model: "m" } });
    assert.equal(f.calls.length, 3);
    const sent = await Promise.all(f.calls.map((c) => formEntries(c.body)));
    assert.deepEqual(sent[1], sent[0]);
    assert.deepEqual(sent[2], sent[0]);
    assert.equal(sent[0][0][1].sha256, sha256(Buffer.from(bytes)));
  });

  test("a provider's 413 rejects TOO_LARGE with its message; a 422 about a file field stays VALIDATION", async () => {
    const f413 = scripted(() => new Response("<html><head><title>413 Request Entity Too Large</title></head></html>", { status: 413, headers: { "content-type": "text/html" } }));
    await assert.rejects(deapiClient(f413).submit({ task: "img2img", input: { image: new Uint8Array(PNG) } }), isPolyjobError("TOO_LARGE", { status: 413, retryable: false }));
    const body = { data: null, message: "The image field must not be greater than 10240 kilobytes.", errors: { image: ["The image field must not be greater than 10240 kilobytes."] }, statusCode: 422 };
    const f422 = scripted(() => jsonResponse(422, body));
    await assert.rejects(deapiClient(f422).submit({ task: "img2img", input: { image: new Uint8Array(PNG) } }), (e) => isPolyjobError("VALIDATION", { status: 422 })(e) && /10240 kilobytes/.test(e.message));
  });
});

describe("file outputs: job.files, resultUrl, loadFile", { concurrency: true }, () => {
  test("deAPI: result_url, results_alt_formats and a preview URL become files", async () => {
    const f = scripted(() =>
      jsonResponse(200, { data: { status: "done", progress: 100, preview: null, result_url: "https://cdn.test/r/1.png", results_alt_formats: { jpg: "https://cdn.test/r/1.jpg", webp: "https://cdn.test/r/1.webp?sig=abc" }, result: null } }),
    );
    const job = await deapiClient(f).get("r-1");
    assert.equal(job.resultUrl, "https://cdn.test/r/1.png");
    assert.deepEqual(job.files, [
      { role: "result", url: "https://cdn.test/r/1.png", data: null, contentType: "image/png", fileName: null },
      { role: "alternate", url: "https://cdn.test/r/1.jpg", data: null, contentType: "image/jpeg", fileName: null },
      { role: "alternate", url: "https://cdn.test/r/1.webp?sig=abc", data: null, contentType: "image/webp", fileName: null },
    ]);
    const g = scripted(() => jsonResponse(200, { data: { status: "processing", progress: 30, preview: "https://cdn.test/p/1.jpg", result_url: null } }));
    const running = await deapiClient(g).get("r-1");
    assert.deepEqual(running.files, [{ role: "preview", url: "https://cdn.test/p/1.jpg", data: null, contentType: "image/jpeg", fileName: null }]);
    const h = scripted(() => jsonResponse(200, { data: { status: "pending", progress: null } }));
    assert.deepEqual((await deapiClient(h).get("r-1")).files, [], "no files: an empty array, never null");
  });

  test("Socaity: FileModels anywhere in the result (URL, base64, data: URI) are result files", async () => {
    const f = scripted(() =>
      jsonResponse(200, {
        job_id: "s-1",
        status: "finished",
        result: { images: [{ file_name: "a.png", content_type: "image/png", content: "https://cdn.test/a.png" }, { file_name: "b.png", content_type: "image/png", content: PNG.toString("base64") }], voice: { file_name: "v.wav", content_type: null, content: `data:audio/wav;base64,${MAGIC["audio/wav"].toString("base64")}` } },
      }),
    );
    const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: f });
    const job = await c.get("s-1");
    assert.equal(job.resultUrl, "https://cdn.test/a.png");
    assert.deepEqual(job.files.map((x) => [x.role, x.url, x.data !== null, x.contentType, x.fileName]), [
      ["result", "https://cdn.test/a.png", false, "image/png", "a.png"],
      ["result", null, true, "image/png", "b.png"],
      ["result", null, true, "audio/wav", "v.wav"],
    ]);
    const blob = await loadFile(job.files[1]);
    assert.equal(blob.type, "image/png");
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), sha256(PNG));
    const wav = await loadFile(job.files[2]);
    assert.deepEqual(Buffer.from(await wav.arrayBuffer()), MAGIC["audio/wav"]);
  });

  test("loadFile: downloads a URL with no API key, typed with contentType; errors are PolyjobErrors", async () => {
    const seen = [];
    const fileFetch = async (url, init = {}) => {
      seen.push({ url, headers: new Headers(init.headers) });
      if (url.includes("/missing.png")) return new Response("nope", { status: 404 });
      return new Response(PNG, { status: 200, headers: { "content-type": "application/octet-stream" } });
    };
    const blob = await loadFile({ role: "result", url: "https://cdn.test/r/1.png?sig=secret", data: null, contentType: "image/png", fileName: null }, { fetch: fileFetch });
    assert.equal(blob.type, "image/png");
    assert.equal(blob.size, PNG.length);
    assert.equal(seen[0].headers.get("authorization"), null);
    assert.equal([...seen[0].headers.keys()].length, 0, "no header at all goes to a file URL");
    await assert.rejects(loadFile({ role: "result", url: "https://cdn.test/missing.png?sig=secret", data: null, contentType: null, fileName: null }, { fetch: fileFetch }), (e) => {
      isPolyjobError("NOT_FOUND", { status: 404 })(e);
      assert.match(e.message, /https:\/\/cdn\.test\/missing\.png/);
      assert.doesNotMatch(e.message, /secret/, "the URL's query (signed tokens) stays out of messages");
      return true;
    });
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(loadFile({ role: "result", url: "https://cdn.test/r/1.png", data: null, contentType: null, fileName: null }, { signal: ac.signal, fetch: (u, init) => fetch(u, init) }), isPolyjobError("ABORTED"));
    await assert.rejects(loadFile({ role: "result", url: null, data: null, contentType: null, fileName: null }), isPolyjobError("CONFIG"));
    await assert.rejects(loadFile("https://cdn.test/x.png"), isPolyjobError("CONFIG"));
    await assert.rejects(loadFile({ role: "result", url: null, data: "not base64!", contentType: null, fileName: null }), isPolyjobError("BAD_RESPONSE"));
  });

  test("a response over maxResponseBytes rejects TOO_LARGE naming the option; base64 results of a few MB pass by default", async () => {
    const big = "A".repeat(3 * 1024 * 1024);
    const body = () => jsonResponse(200, { job_id: "s-1", status: "finished", result: { file_name: "x.bin", content_type: "application/octet-stream", content: big } });
    const small = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: scripted(body), maxResponseBytes: 1024 * 1024 });
    await assert.rejects(small.get("s-1"), (e) => isPolyjobError("TOO_LARGE")(e) && /maxResponseBytes/.test(e.message));
    const roomy = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: scripted(body) });
    const job = await roomy.get("s-1");
    assert.equal(job.files[0].data.length, big.length);
    for (const bad of [0, -1, 1.5, "10", Infinity]) {
      assert.throws(() => new JobClient({ provider: "deapi", maxResponseBytes: bad }), isPolyjobError("CONFIG"));
    }
  });

  test("notify() takes a job with files back", async () => {
    const c = deapiClient(scripted(() => deapiSubmitted()));
    const job = { id: "r-9", provider: "deapi", status: "PROCESSING", progress: 0.5, result: null, resultUrl: null, error: null, createdAt: null, completedAt: null, estimatedCompletion: null, preview: null, files: [{ role: "preview", url: "https://x/p.jpg", data: null, contentType: "image/jpeg", fileName: null }], raw: {} };
    assert.equal(c.notify(job), 0);
    assert.throws(() => c.notify({ ...job, files: [{ role: "nonsense" }] }), isPolyjobError("CONFIG"));
  });
});

describe("files against the mock providers", { concurrency: true, timeout: 60_000 }, () => {
  test("deAPI img2img from Blob, File, Buffer, Uint8Array and ArrayBuffer: the mock receives every byte", async () => {
    const c = client("deapi");
    const kinds = {
      blob: (b) => new Blob([b], { type: "image/png" }),
      file: (b) => new File([b], "input.png", { type: "image/png" }),
      buffer: (b) => Buffer.from(b),
      uint8array: (b) => new Uint8Array(b),
      arraybuffer: (b) => Uint8Array.from(b).buffer,
    };
    await Promise.all(Object.entries(kinds).map(async ([kind, make], i) => {
      const bytes = Buffer.concat([PNG, Buffer.from(randomBytes(3000 + i, 11 + i))]);
      const job = await c.run({ task: "img2img", input: { image: make(bytes), prompt: `from a ${kind}`, model: "Flux_2_Klein_4B_BF16", steps: 4, seed: 1, mock: scenario({ duration_ms: 300 }) } });
      assert.equal(job.status, "FINISHED", kind);
      const seen = await mockJob(job.id);
      const image = seen.parts.find((p) => p.name === "image");
      assert.ok(image, `${kind}: the mock received an image part`);
      assert.equal(image.sha256, sha256(bytes), `${kind}: the exact bytes arrived`);
      assert.equal(image.size, bytes.length);
      assert.equal(image.content_type, "image/png");
      assert.deepEqual(job.result.received.map((r) => r.sha256), [sha256(bytes)], `${kind}: the result echoes the file`);
      assert.equal(job.files[0].role, "result");
      assert.ok(job.files.some((x) => x.role === "alternate" && x.contentType === "image/jpeg"), `${kind}: a JPEG alternate`);
    }));
  });

  test("deAPI upscale and image-to-video; a missing file field is the mock's 422 (VALIDATION)", async () => {
    const c = client("deapi");
    const up = await c.run({ task: "img-upscale", input: { image: new Blob([PNG], { type: "image/png" }), model: "RealESRGAN_x4", mock: scenario({ duration_ms: 200 }) } });
    assert.equal((await mockJob(up.id)).parts.find((p) => p.name === "image").sha256, sha256(PNG));
    const first = Buffer.concat([PNG, Buffer.from(randomBytes(100, 5))]);
    const vid = await c.run({ task: "img2video", input: { first_frame_image: new Uint8Array(first), prompt: "waves", model: "Ltxv_13B_0_9_8_Distilled_FP8", width: 512, height: 512, frames: 24, fps: 24, seed: 1, mock: scenario({ duration_ms: 200 }) } });
    assert.equal((await mockJob(vid.id)).parts.find((p) => p.name === "first_frame_image").sha256, sha256(first));
    await assert.rejects(c.submit({ task: "img2img", input: { prompt: "no image", model: "m", mock: scenario() } }), (e) => isPolyjobError("VALIDATION", { status: 422 })(e) && /image field is required/.test(e.message));
  });

  test("Socaity: a file job's parts arrive whole, and FileModel results (URL, base64, nested) come back as files", async () => {
    const c = client("socaity");
    const bytes = Buffer.concat([PNG, Buffer.from(randomBytes(4096, 21))]);
    const job = await c.run({ model: "face2face", input: { source_img: new File([bytes], "me.png", { type: "image/png" }), strength: 0.5, mock: scenario({ duration_ms: 200, file_result: "nested" }) } });
    const part = (await mockJob(job.id)).parts.find((p) => p.name === "source_img");
    assert.equal(part.sha256, sha256(bytes));
    assert.equal(part.file_name, "me.png");
    assert.equal(job.files.length, 2);
    assert.ok(job.files[0].url && job.files[1].data, "one URL file, one inline");
    for (const file of job.files) {
      const blob = await loadFile(file);
      assert.equal(blob.type, "image/png");
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()).subarray(0, 8), PNG.subarray(0, 8), "a real PNG");
    }
  });

  test("Optexity: downloads and the final screenshot; Serika: the result image", async () => {
    const o = await client("optexity").run(request("optexity", scenario({ duration_ms: 200 })));
    assert.deepEqual(o.files.map((x) => x.role), ["download", "screenshot"]);
    const shot = await loadFile(o.files[1]);
    assert.equal(shot.type, "image/png");
    assert.deepEqual(Buffer.from(await shot.arrayBuffer()).subarray(0, 8), PNG.subarray(0, 8));
    const csv = await loadFile(o.files[0]);
    assert.ok(csv.size > 0);
    const s = await client("serika").run(request("serika", scenario({ duration_ms: 200 })));
    assert.equal(s.files.length, 1);
    assert.equal(s.files[0].url, s.resultUrl);
    const img = await loadFile(s.files[0]);
    assert.equal(img.type, "image/png");
  });
});
