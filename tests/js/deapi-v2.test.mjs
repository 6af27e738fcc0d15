// deAPI v2 (issue 20 item 2) through the packed package against the mock: `apiVersion: "v2"`
// runs a JSON task (`images/generations`) and a file task (`images/edits` with a Blob) to
// FINISHED with `job.cost` filled, polled at /api/v2/jobs/{id}; a failed v2 job maps
// error_code / error_message / error_reason; estimate, balance, models on v2 (and on v1 beside
// them); `apiVersion` on another provider or with another value → CONFIG with nothing sent;
// webhooks and realtime on a v2 job as on v1. Realtime needs a global WebSocket (Node ≥ 22, or
// node --experimental-websocket on 20).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { verifyWebhook } from "polyjob";
import {
  JobClient, MOCK, KEY, client, scenario, uid, countingFetch, requestsTagged, isPolyjobError, assertJobShape, mockJob,
  baseUrl, deferred,
} from "./helpers.mjs";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const pathOf = (entry) => new URL(entry.url, "http://mock").pathname;
// The mock's deAPI catalogue (mock/README.md): 17 models with deAPI's slugs, 50 synthetic.
const DEAPI_MODELS = 67;
const WEBHOOK_SECRET = "whsec_polyjob_mock_secret_0123456789";

/** A v2 deAPI client whose requests the mock log can pick out. */
function v2(opts = {}) {
  const tag = uid();
  const c = client("deapi", { apiVersion: "v2", ...opts, headers: { "x-polyjob-test": tag } });
  return { c, logged: () => requestsTagged("x-polyjob-test", tag) };
}

const generation = (mock = scenario({ duration_ms: 300 })) => ({
  task: "images/generations",
  input: { prompt: "a red fox", model: "Flux1schnell", width: 512, height: 512, guidance: 3.5, steps: 4, seed: -1, mock },
});

describe("deAPI v2", { concurrency: true, timeout: 60_000 }, () => {
  test("a JSON task runs to FINISHED at /api/v2, polled at /api/v2/jobs/{id}, with its cost", async () => {
    const { c, logged } = v2();
    const updates = [];
    const job = await c.run(generation(), { onUpdate: (j) => updates.push(j), timeoutMs: 20_000 });
    assertJobShape(job, "deapi");
    assert.equal(job.status, "FINISHED");
    assert.equal(job.progress, 1);
    assert.ok(job.resultUrl && job.files[0].role === "result");
    // 512×512 at 4 steps, the same as its quote; settled (not estimated), in USD.
    assert.deepEqual(job.cost, { amount: 0.00136, currency: "USD", estimated: false });
    assert.deepEqual(await c.estimate(generation()), { amount: 0.00136, currency: "USD" });
    // No cost while it ran (deAPI's price is null until the job ends).
    for (const u of updates.filter((u) => u.status !== "FINISHED")) assert.equal(u.cost, null, `${u.status} has no cost`);
    const log = await logged();
    assert.equal(pathOf(log[0]), "/deapi/api/v2/images/generations");
    assert.equal(log[0].method, "POST");
    assert.equal(log[0].headers.authorization, "Bearer test-key");
    const polls = log.filter((e) => e.method === "GET");
    assert.ok(polls.length >= 1);
    for (const p of polls) assert.equal(pathOf(p), `/deapi/api/v2/jobs/${job.id}`);
    assert.ok(!log.some((e) => pathOf(e).includes("/api/v1/")), "nothing went to v1");
    // `get` reads the same route; the job the mock ran is the v1 task's.
    const again = await c.get(job.id);
    assert.deepEqual(again.cost, job.cost);
    assert.equal((await mockJob(job.id)).target, "txt2img");
  });

  test("a file task (images/edits with a Blob) is a multipart form at /api/v2 and finishes with its cost", async () => {
    const { c, logged } = v2();
    const bytes = Buffer.concat([PNG, Buffer.from(uid())]);
    const job = await c.run({
      task: "images/edits",
      input: { image: new Blob([bytes], { type: "image/png" }), prompt: "oil painting", model: "Flux_2_Klein_4B_BF16", steps: 4, seed: 1, mock: scenario({ duration_ms: 300 }) },
    }, { timeoutMs: 20_000 });
    assert.equal(job.status, "FINISHED");
    assert.deepEqual(job.cost, { amount: 0.00136, currency: "USD", estimated: false });
    const [sub] = await logged();
    assert.equal(pathOf(sub), "/deapi/api/v2/images/edits");
    assert.match(sub.headers["content-type"], /^multipart\/form-data; boundary=/);
    const image = (await mockJob(job.id)).parts.find((p) => p.name === "image");
    assert.equal(image.sha256, sha256(bytes), "the exact bytes arrived");
    assert.deepEqual(job.result.received.map((r) => r.sha256), [sha256(bytes)]);
    // And upscales, priced from the same form.
    const up = { task: "images/upscales", input: { image: new File([PNG], "in.png", { type: "image/png" }), model: "RealESRGAN_x4", mock: scenario({ duration_ms: 200 }) } };
    assert.deepEqual(await c.estimate(up), { amount: 0.01, currency: "USD" });
    const upscaled = await c.run(up, { timeoutMs: 20_000 });
    assert.deepEqual(upscaled.cost, { amount: 0.01, currency: "USD", estimated: false });
    // A missing file: the mock's 422 in v2's shape.
    await assert.rejects(c.submit({ task: "images/upscales", input: { model: "RealESRGAN_x4" } }), isPolyjobError("VALIDATION", { status: 422 }));
  });

  test("a failed v2 job maps error_code, error_message and error_reason; its cost is 0", async () => {
    const { c } = v2();
    const failing = generation(scenario({ duration_ms: 200, outcome: "failed", error_code: "WORKER_ERROR", error: "worker-error" }));
    await assert.rejects(c.run(failing, { timeoutMs: 20_000 }), (err) => {
      isPolyjobError("JOB_FAILED")(err);
      assert.equal(err.job.status, "FAILED");
      assert.deepEqual(err.job.error, { code: "WORKER_ERROR", message: "worker-error (PROCESSING_FAILED)" });
      assert.deepEqual(err.job.cost, { amount: 0, currency: "USD", estimated: false });
      assert.equal(err.job.raw.data.refunded, true);
      return true;
    });
  });

  test("v2's 404s: an unknown job is NOT_FOUND, a v1 task name is no v2 route", async () => {
    const { c } = v2();
    await assert.rejects(c.get("00000000-0000-4000-8000-000000000000"), isPolyjobError("NOT_FOUND", { status: 404 }));
    await assert.rejects(c.submit({ task: "txt2img", input: { prompt: "x", model: "Flux1schnell" } }), (err) => {
      isPolyjobError("NOT_FOUND", { status: 404 })(err);
      assert.match(err.message, /The route api\/v2\/txt2img could not be found\./);
      return true;
    });
  });

  test("estimate, balance and models on v2 and on v1", async () => {
    const { c, logged } = v2();
    const old = client("deapi", { apiVersion: "v1" });
    assert.deepEqual(await c.balance(), { amount: 19.72, currency: "USD" });
    assert.deepEqual(await old.balance(), { amount: 19.72, currency: "USD" });
    assert.deepEqual(await old.estimate({ ...generation(), task: "txt2img" }), { amount: 0.00136, currency: "USD" });
    const models = await c.models();
    assert.equal(models.length, DEAPI_MODELS, "every page");
    const flux = models.find((m) => m.id === "Flux1schnell");
    assert.deepEqual(flux.tasks, ["txt2img"], "inference_types keyed by type → tasks");
    assert.deepEqual(flux.raw.inference_types, { txt2img: {} });
    assert.deepEqual((await old.models()).find((m) => m.id === "Flux1schnell").tasks, ["txt2img"]);
    // By task: a v2 resource maps to its inference type.
    assert.deepEqual((await c.models({ task: "images/upscales" })).map((m) => m.id), ["RealESRGAN_x4"]);
    assert.deepEqual((await c.models({ task: "videos/replacements" })).map((m) => m.id), ["Wan2_2_Animate_14B_INT8"]);
    const paths = (await logged()).map((e) => `${e.method} ${pathOf(e)}`);
    assert.deepEqual([...new Set(paths)], ["GET /deapi/api/v2/account/balance", "GET /deapi/api/v2/models"]);
  });

  test("apiVersion on another provider, or another value → CONFIG, nothing sent", () => {
    const f = countingFetch();
    for (const p of ["socaity", "optexity", "serika"]) {
      for (const v of ["v2", "v1", "v3"]) {
        assert.throws(() => new JobClient({ provider: p, apiKey: KEY, baseUrl: baseUrl(p), fetch: f, apiVersion: v }), (err) => {
          isPolyjobError("CONFIG")(err);
          assert.match(err.message, /apiVersion is a deAPI option/);
          assert.ok(err.message.includes(p));
          return true;
        });
      }
    }
    for (const v of ["v3", "V2", 2, true, {}]) {
      assert.throws(() => new JobClient({ provider: "deapi", apiKey: KEY, fetch: f, apiVersion: v }), (err) => {
        isPolyjobError("CONFIG")(err);
        assert.match(err.message, /apiVersion must be "v1" or "v2"/);
        return true;
      });
    }
    assert.equal(f.calls.length, 0);
    // Absent (undefined or null) is v1.
    assert.ok(new JobClient({ provider: "serika", apiKey: KEY, apiVersion: undefined }));
    assert.ok(new JobClient({ provider: "deapi", apiKey: KEY, apiVersion: null }));
  });
});

describe("deAPI v2 push channels", { timeout: 60_000 }, () => {
  let server;
  let url;
  const deliveries = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const parts = [];
      req.on("data", (c) => parts.push(c));
      req.on("end", () => {
        deliveries.push({ body: Buffer.concat(parts), headers: req.headers, path: req.url });
        deliveries.changed?.();
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());

  test("a v2 job's webhooks verify and map to its Jobs", async () => {
    const { c } = v2();
    const path = `/v2-hook-${uid()}`;
    const both = deferred();
    deliveries.changed = () => { if (deliveries.filter((d) => d.path === path).length >= 2) both.resolve(); };
    const job = await c.run({ ...generation(), webhookUrl: `${url}${path}` }, { timeoutMs: 20_000 });
    await both.promise;
    const jobs = [];
    for (const d of deliveries.filter((d) => d.path === path)) {
      jobs.push(await verifyWebhook({ provider: "deapi", body: d.body, headers: d.headers, secret: WEBHOOK_SECRET }));
    }
    assert.deepEqual(jobs.map((j) => j.status), ["PROCESSING", "FINISHED"]);
    for (const j of jobs) assert.equal(j.id, job.id);
    assert.equal(jobs[1].resultUrl, job.resultUrl);
  });

  test("a v2 job over realtime: live updates, then one status request at /api/v2/jobs/{id} with its cost", async () => {
    const { c, logged } = v2({
      realtime: { clientId: "1001", wsUrl: `${MOCK.replace(/^http/, "ws")}/deapi-ws` },
    });
    const updates = [];
    const job = await c.run(generation(scenario({ queue_ms: 100, duration_ms: 1500, steps: 10 })), {
      onUpdate: (j) => updates.push(j.via),
      timeoutMs: 20_000,
    });
    assert.equal(job.status, "FINISHED");
    assert.deepEqual(job.cost, { amount: 0.00136, currency: "USD", estimated: false });
    assert.ok(updates.includes("realtime"), `via: ${updates.join(" ")}`);
    const polls = (await logged()).filter((e) => e.method === "GET");
    for (const p of polls) assert.equal(pathOf(p), `/deapi/api/v2/jobs/${job.id}`);
    if (c.stats.fallbacks === 0) assert.equal(polls.length, 1, "the end confirmed by one status request");
  });
});
