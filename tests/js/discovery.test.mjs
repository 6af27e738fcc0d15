// estimate, balance, models (issue 20 items 3-5) through the packed package against the mock:
// each call on deAPI (estimate with the submit's very body, JSON and multipart), models on
// deAPI across pages and by task and on Serika, UNSUPPORTED with no request sent, aborts, the
// capability columns and Job.cost.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  client, request, scenario, uid, countingFetch, requestsTagged, isPolyjobError, assertJobShape, signalOf, deferred,
} from "./helpers.mjs";

const CAPS = {
  socaity: { estimate: false, balance: false, models: false, files: true },
  optexity: { estimate: false, balance: false, models: false, files: false },
  deapi: { estimate: true, balance: true, models: true, files: true },
  serika: { estimate: false, balance: false, models: true, files: false },
};
// The mock's deAPI catalogue (mock/README.md): 17 models with deAPI's slugs, 50 synthetic.
const DEAPI_MODELS = 67;
const DEAPI_TXT2IMG = 54;
// A PNG signature and a few bytes: the mock checks the part's type, not the pixels.
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");

/** A client whose requests the mock log can pick out, with the fetch calls counted. */
function tagged(provider, opts = {}) {
  const tag = uid();
  const f = countingFetch(opts.fetch);
  const c = client(provider, { ...opts, fetch: f, headers: { "x-polyjob-test": tag } });
  return { c, f, logged: () => requestsTagged("x-polyjob-test", tag) };
}

const pathOf = (entry) => new URL(entry.url, "http://mock").pathname;
const queryOf = (entry) => new URL(entry.url, "http://mock").searchParams;

describe("discovery: estimate, balance, models", { concurrency: true, timeout: 60_000 }, () => {
  for (const [p, caps] of Object.entries(CAPS)) {
    test(`${p} capability columns`, () => {
      const got = client(p).capabilities;
      for (const [k, v] of Object.entries(caps)) assert.equal(got[k], v, `${p}.capabilities.${k}`);
      assert.ok(Object.isFrozen(got));
    });
  }

  test("deapi estimate: the submit's JSON body at price-calculation, the price in USD", async () => {
    const seen = [];
    const recording = (input, init) => {
      seen.push({ url: typeof input === "string" ? input : input.url, body: init && init.body });
      return globalThis.fetch(input, init);
    };
    const { c, logged } = tagged("deapi", { fetch: recording });
    const req = { task: "txt2img", input: { prompt: "a fox", model: "Flux1schnell", width: 1024, height: 1024, steps: 4, seed: -1 } };
    const price = await c.estimate(req);
    assert.deepEqual(price, { amount: 0.00544, currency: "USD" });
    const log = await logged();
    assert.equal(log.length, 1, "one request");
    assert.equal(log[0].method, "POST");
    assert.equal(pathOf(log[0]), "/deapi/api/v1/client/txt2img/price-calculation");
    assert.equal(log[0].headers.authorization, "Bearer test-key");
    // The very body a submit of the same request sends.
    const job = await c.submit(req);
    assertJobShape(job, "deapi");
    assert.equal(seen.length, 2);
    assert.equal(typeof seen[0].body, "string");
    assert.deepEqual(JSON.parse(seen[0].body), JSON.parse(seen[1].body));
    assert.equal(seen[1].url.endsWith("/api/v1/client/txt2img"), true);
    // A validation failure is the provider's 422.
    await assert.rejects(c.estimate({ task: "txt2img", input: { model: "Flux1schnell" } }), isPolyjobError("VALIDATION", { status: 422 }));
  });

  test("deapi estimate with a file: the same multipart form as the submit's", async () => {
    const { c, logged } = tagged("deapi");
    const req = () => ({ task: "img-upscale", input: { image: new File([PNG], "in.png", { type: "image/png" }), model: "RealESRGAN_x4" } });
    const price = await c.estimate(req());
    assert.deepEqual(price, { amount: 0.01, currency: "USD" });
    await c.submit(req());
    const [est, sub] = await logged();
    assert.equal(pathOf(est), "/deapi/api/v1/client/img-upscale/price-calculation");
    assert.equal(pathOf(sub), "/deapi/api/v1/client/img-upscale");
    assert.match(est.headers["content-type"], /^multipart\/form-data; boundary=/);
    assert.ok(Array.isArray(est.parts), "the mock recorded the parts");
    assert.deepEqual(est.parts, sub.parts, "the same parts as the submit");
    const image = est.parts.find((part) => part.name === "image");
    assert.equal(image.size, PNG.length);
    assert.ok(est.parts.some((part) => part.name === "model"));
  });

  test("deapi balance", async () => {
    const { c, logged } = tagged("deapi");
    assert.deepEqual(await c.balance(), { amount: 19.72, currency: "USD" });
    const log = await logged();
    assert.equal(log.length, 1);
    assert.equal(log[0].method, "GET");
    assert.equal(pathOf(log[0]), "/deapi/api/v1/client/balance");
  });

  test("deapi models: every page followed (limit=50, page 1 then 2)", async () => {
    const { c, logged } = tagged("deapi");
    const models = await c.models();
    assert.equal(models.length, DEAPI_MODELS);
    assert.equal(new Set(models.map((m) => m.id)).size, DEAPI_MODELS, "no model twice");
    for (const m of models) {
      assert.deepEqual(Object.keys(m), ["id", "name", "tasks", "provider", "raw"]);
      assert.equal(typeof m.id, "string");
      assert.ok(m.name === null || typeof m.name === "string");
      assert.ok(Array.isArray(m.tasks) && m.tasks.length > 0 && m.tasks.every((t) => typeof t === "string"));
      assert.equal(m.provider, "deapi");
      assert.equal(m.raw.slug, m.id);
    }
    const flux = models.find((m) => m.id === "Flux1schnell");
    assert.equal(flux.name, "FLUX.1 schnell");
    assert.deepEqual(flux.tasks, ["txt2img"]);
    assert.deepEqual(flux.raw.loras, [{ display_name: "Pixel Art", name: "pixel_art" }]);
    const log = await logged();
    assert.deepEqual(log.map((e) => [pathOf(e), queryOf(e).get("limit"), queryOf(e).get("page")]), [
      ["/deapi/api/v1/client/models", "50", "1"],
      ["/deapi/api/v1/client/models", "50", "2"],
    ]);
  });

  test("deapi models by task: filter[inference_types], across pages; a submit task's own name maps to its type", async () => {
    const { c, logged } = tagged("deapi");
    const txt2img = await c.models({ task: "txt2img" });
    assert.equal(txt2img.length, DEAPI_TXT2IMG);
    assert.ok(txt2img.every((m) => m.tasks.includes("txt2img")));
    let log = await logged();
    assert.deepEqual(log.map((e) => [queryOf(e).get("filter[inference_types]"), queryOf(e).get("page")]), [["txt2img", "1"], ["txt2img", "2"]]);
    const replace = await c.models({ task: "videos/replace" });
    assert.deepEqual(replace.map((m) => m.id), ["Wan2_2_Animate_14B_INT8"]);
    assert.deepEqual(replace[0].tasks, ["video-replace"]);
    assert.deepEqual((await c.models({ task: "video-replace" })).map((m) => m.id), ["Wan2_2_Animate_14B_INT8"]);
    const several = await c.models({ task: "img-upscale,img-rmbg" });
    assert.deepEqual(several.map((m) => m.id).sort(), ["Ben2", "RealESRGAN_x4"]);
    assert.deepEqual(await c.models({ task: "no-such-task" }), []);
    log = await logged();
    assert.equal(log.length, 2 + 4, "one page for each of the small answers");
    await assert.rejects(c.models({ task: "" }), isPolyjobError("CONFIG"));
    await assert.rejects(c.models({ task: 7 }), isPolyjobError("CONFIG"));
  });

  test("serika models: GET /models, one request; a task filter is CONFIG with nothing sent", async () => {
    const { c, f, logged } = tagged("serika");
    const models = await c.models();
    assert.ok(models.length >= 18);
    const ids = models.map((m) => m.id);
    assert.ok(ids.includes("tensorart-illustrious-xl-v2-aesthetic"));
    for (const m of models) {
      assert.equal(m.provider, "serika");
      assert.deepEqual(m.tasks, []);
      assert.equal(m.name, null);
      assert.equal(m.raw.object, "model");
    }
    const log = await logged();
    assert.equal(log.length, 1);
    assert.equal(pathOf(log[0]), "/serika/models");
    const before = f.calls.length;
    await assert.rejects(c.models({ task: "txt2img" }), isPolyjobError("CONFIG"));
    assert.equal(f.calls.length, before, "nothing sent");
  });

  const unsupported = [
    ...["socaity", "optexity", "serika"].map((p) => [p, "estimate"]),
    ...["socaity", "optexity", "serika"].map((p) => [p, "balance"]),
    ...["socaity", "optexity"].map((p) => [p, "models"]),
  ];
  for (const [p, op] of unsupported) {
    test(`${p} ${op}() rejects UNSUPPORTED without a request`, async () => {
      const { c, f, logged } = tagged(p);
      const call = () => (op === "estimate" ? c.estimate(request(p, scenario())) : c[op]());
      await assert.rejects(call, isPolyjobError("UNSUPPORTED", { provider: p, attempts: 0 }));
      assert.equal(f.calls.length, 0, `no fetch call made: ${JSON.stringify(f.calls)}`);
      assert.deepEqual(await logged(), [], "the mock saw no request from this client");
    });
  }

  test("an aborted signal: ABORTED, nothing sent", async () => {
    for (const call of [(c, signal) => c.balance({ signal }), (c, signal) => c.models({ signal }),
      (c, signal) => c.estimate(request("deapi", scenario()), { signal })]) {
      const { c, f } = tagged("deapi");
      const ac = new AbortController();
      ac.abort(new Error("stop"));
      await assert.rejects(call(c, ac.signal), isPolyjobError("ABORTED"));
      assert.equal(f.calls.length, 0);
    }
  });

  test("abort while models() reads page 2: ABORTED, the request's signal fired, no page 3", async () => {
    const ac = new AbortController();
    const page2 = deferred();
    // Page 1 answers; page 2 hangs until its signal fires (as a real fetch would, aborting).
    const hanging = (input, init) => {
      const url = typeof input === "string" ? input : input.url;
      if (!url.includes("page=2")) return globalThis.fetch(input, init);
      const signal = signalOf(input, init);
      page2.resolve(signal);
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
    };
    const { c, f } = tagged("deapi", { fetch: hanging });
    const listing = c.models({ signal: ac.signal });
    const signal = await page2.promise;
    ac.abort(new Error("user left"));
    await assert.rejects(listing, isPolyjobError("ABORTED"));
    assert.equal(signal.aborted, true, "the in-flight request was aborted");
    assert.equal(f.calls.length, 2);
  });

  test("abort during estimate and balance: ABORTED", async () => {
    for (const op of ["estimate", "balance"]) {
      const started = deferred();
      const hanging = (input, init) => {
        const signal = signalOf(input, init);
        started.resolve();
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      };
      const c = client("deapi", { fetch: hanging });
      const ac = new AbortController();
      const pending = op === "estimate" ? c.estimate(request("deapi", scenario()), { signal: ac.signal }) : c.balance({ signal: ac.signal });
      await started.promise;
      ac.abort();
      await assert.rejects(pending, isPolyjobError("ABORTED"));
    }
  });

  test("Job.cost is null on every provider today", async () => {
    for (const p of ["socaity", "optexity", "deapi", "serika"]) {
      const c = client(p);
      const job = await c.submit(request(p, scenario({ queue_ms: 0, duration_ms: 50 })));
      assert.ok("cost" in job, `${p} job has cost`);
      assert.equal(job.cost, null);
      const done = await c.wait(job, { timeoutMs: 10_000 });
      assert.equal(done.cost, null);
    }
  });

  test("a Job handed back keeps its cost (notify, wait on a terminal job)", async () => {
    const c = client("deapi");
    const job = await c.run(request("deapi", scenario({ queue_ms: 0, duration_ms: 50 })), { timeoutMs: 10_000 });
    const priced = { ...job, cost: { amount: 0.0179, currency: "USD", estimated: true } };
    const again = await c.wait(priced);
    assert.deepEqual(again.cost, { amount: 0.0179, currency: "USD", estimated: true });
  });
});
