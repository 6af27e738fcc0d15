// Socaity services through the packed package: `{ service, endpoint }` posts to
// `/services/v1/{service}/{endpoint}` as URL-encoded form fields, a multipart form with files, or
// JSON (`jsonBody`); the job is polled, cancelled and streamed through its links under the service
// (`job.serviceUrl`); FastAPI's 422 arrives as VALIDATION; misuse is CONFIG with nothing sent.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { JobClient } from "polyjob";
import { client, scenario, scripted, jsonResponse, mockGet, KEY, baseUrl } from "./helpers.mjs";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const mockJob = (id) => mockGet(`/__mock/jobs/${id}`);

describe("Socaity services", () => {
  test("a form endpoint runs to FINISHED: URL-encoded fields, followed on its status stream under its service", async () => {
    const c = client("socaity");
    const updates = [];
    const job = await c.run(
      { service: "speechcraft", endpoint: "text2voice", input: { text: "hello & bye", voice: "en", mock: scenario({ duration_ms: 200 }) } },
      { onUpdate: (j) => updates.push(j) },
    );
    assert.equal(job.status, "FINISHED");
    assert.equal(job.serviceUrl, `${baseUrl("socaity")}/services/v1/speechcraft`);
    const seen = await mockJob(job.id);
    assert.equal(seen.target, "speechcraft/text2voice");
    assert.deepEqual(seen.input, { text: "hello & bye", voice: "en" });
    const log = await mockGet("/__mock/requests");
    const first = log.findIndex((r) => r.url.includes(job.id));
    const submit = log.slice(0, first).findLast((r) => r.url === "/socaity/services/v1/speechcraft/text2voice");
    assert.equal(submit.headers["content-type"], "application/x-www-form-urlencoded");
    const after = log.filter((r) => r.url.includes(job.id));
    assert.deepEqual(after.map((r) => r.url), [`/socaity/services/v1/speechcraft/stream/${job.id}`], "one status stream, no poll");
    assert.equal(job.via, "stream");
    assert.ok(updates.every((u) => u.serviceUrl === job.serviceUrl), "every state keeps its service");
  });

  test("a file endpoint takes a multipart form; cancel goes to the service's cancel route", async () => {
    const c = client("socaity");
    const bytes = Buffer.concat([PNG, Buffer.from("face")]);
    const job = await c.submit({
      service: "face2face",
      endpoint: "swap",
      input: { faces: "me", media: new File([bytes], "me.png", { type: "image/png" }), mock: scenario({ duration_ms: 30_000 }) },
    });
    assert.equal(job.status, "QUEUED");
    const part = (await mockJob(job.id)).parts.find((p) => p.name === "media");
    assert.equal(part.sha256, sha256(bytes));
    assert.equal(part.file_name, "me.png");
    const cancelled = await c.cancel(job);
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal(cancelled.serviceUrl, job.serviceUrl);
    const log = await mockGet("/__mock/requests");
    assert.ok(log.some((r) => r.method === "POST" && r.url === `/socaity/services/v1/face2face/cancel/${job.id}`));
    // The Job, not only its id, carries the service: wait() on it reads the service's route.
    const again = await c.wait(cancelled, { timeoutMs: 10_000 });
    assert.equal(again.status, "CANCELLED");
  });

  test("jsonBody sends JSON to an endpoint with a JSON schema", async () => {
    const job = await client("socaity").run({ service: "flux-schnell", endpoint: "predictions", jsonBody: true, input: { prompt: "a fox", mock: scenario({ duration_ms: 100 }) } });
    assert.equal(job.status, "FINISHED");
    assert.deepEqual((await mockJob(job.id)).input, { prompt: "a fox" });
  });

  test("a missing form field is FastAPI's 422: VALIDATION naming the field", async () => {
    const err = await client("socaity").submit({ service: "face2face", endpoint: "swap", input: { media: "not a file" } }).then(() => null, (e) => e);
    assert.equal(err?.code, "VALIDATION", String(err));
    assert.equal(err.status, 422);
    assert.match(err.message, /faces/);
  });

  test("misuse is CONFIG and nothing is sent", async () => {
    const f = scripted(() => jsonResponse(202, { job_id: "x", status: "queued" }));
    const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: f });
    for (const bad of [
      { service: "face2face", input: {} },
      { endpoint: "swap", input: {} },
      { service: "face2face", endpoint: "swap", model: "flux", input: {} },
      { model: "flux", jsonBody: true, input: {} },
      { service: "face2face", endpoint: "swap", jsonBody: true, input: { media: new Blob([PNG]) } },
      { service: "face2face", endpoint: "swap", jsonBody: "yes", input: {} },
    ]) {
      await assert.rejects(c.submit(bad), (e) => e.code === "CONFIG", JSON.stringify(bad));
    }
    const d = new JobClient({ provider: "deapi", apiKey: KEY, baseUrl: "http://127.0.0.1:9/deapi", fetch: f });
    await assert.rejects(d.submit({ task: "txt2img", service: "face2face", endpoint: "swap", input: {} }), (e) => e.code === "CONFIG" && /Socaity/.test(e.message));
    assert.equal(f.calls.length, 0);
  });

  test("a service job's relative links resolve against the service, and the body is form text", async () => {
    // The status stream is refused (404): the wait polls instead.
    const f = scripted((n) =>
      n === 1
        ? jsonResponse(202, { job_id: "j1", status: "queued", links: { status: "/status/j1", cancel: "/cancel/j1", stream: "/stream/j1" } })
        : n === 2
          ? jsonResponse(404, { detail: "Job not found." })
          : jsonResponse(200, { job_id: "j1", status: "finished", result: { ok: true }, links: { status: "/status/j1" } }),
    );
    const c = new JobClient({ provider: "socaity", apiKey: KEY, baseUrl: "http://127.0.0.1:9/socaity", fetch: f, pollIntervalMs: 1 });
    const job = await c.run({ service: "speechcraft", endpoint: "text2voice", input: { text: "a b", n: 2, on: true, opts: { x: [1] }, gone: null } });
    assert.deepEqual(job.result, { ok: true });
    assert.equal(f.calls[0].url, "http://127.0.0.1:9/socaity/services/v1/speechcraft/text2voice");
    assert.equal(f.calls[0].headers.get("content-type"), "application/x-www-form-urlencoded");
    assert.equal(f.calls[0].body, "text=a%20b&n=2&on=true&opts=%7B%22x%22%3A%5B1%5D%7D");
    assert.deepEqual(Object.fromEntries(new URLSearchParams(f.calls[0].body)), { text: "a b", n: "2", on: "true", opts: '{"x":[1]}' });
    assert.equal(f.calls[1].url, "http://127.0.0.1:9/socaity/services/v1/speechcraft/stream/j1");
    assert.equal(f.calls[1].headers.get("accept"), "text/event-stream");
    assert.equal(f.calls[2].url, "http://127.0.0.1:9/socaity/services/v1/speechcraft/status/j1");
    assert.equal(c.stats.fallbacks, 1, "the refused stream shows as a fallback");
  });
});
