// Optexity task callbacks: a job submitted with webhookUrl + webhookSecret gets its callback from
// the mock (task_callback_url, the key in x-api-key) at a receiver on 127.0.0.1; verifyWebhook
// turns it into the same Job polling shows; Basic auth (the password is the key); forged and
// unauthenticated callbacks are refused WEBHOOK_SIGNATURE; the Request form; notify().
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { verifyWebhook, verifyWebhookSync } from "polyjob";
import { client, request, scenario, isPolyjobError, mockJob, uid } from "./helpers.mjs";

const CALLBACK_KEY = "optx-callback-key-0123456789";

/** A receiver on 127.0.0.1: `next(path)` resolves the next delivery to `path` (raw body + headers). */
let server;
let url;
const waiting = new Map();
const arrived = new Map();
before(async () => {
  server = http.createServer((req, res) => {
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => {
      const delivery = { body: Buffer.concat(parts), headers: req.headers, path: req.url };
      res.writeHead(200);
      res.end();
      const w = waiting.get(req.url);
      if (w) {
        waiting.delete(req.url);
        w(delivery);
      } else arrived.set(req.url, [...(arrived.get(req.url) ?? []), delivery]);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

function next(path) {
  const queued = arrived.get(path);
  if (queued?.length) return Promise.resolve(queued.shift());
  return new Promise((resolve) => waiting.set(path, resolve));
}

/** A callback body as Optexity sends it (schema/callback.py CallbackResponse). */
const callbackBody = (over = {}) =>
  JSON.stringify({
    task_id: "task-1",
    recording_id: "rec-1",
    endpoint_name: "login-flow",
    status: "success",
    output_data: [{ name: "email", value: "test@example.com" }],
    error: null,
    final_screenshot: "iVBORw0KGgo=",
    downloads: [{ url: "https://storage.example/report.pdf", filename: "report.pdf" }],
    ...over,
  });
const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("optexity callbacks", { timeout: 30_000 }, () => {
  test("a real callback from the mock verifies into the Job polling shows", async () => {
    const sent = [];
    const c = client("optexity", {
      fetch: async (input, init) => {
        const req = new Request(input, init);
        sent.push({ url: req.url, headers: [...req.headers], body: await req.clone().text() });
        return fetch(req);
      },
    });
    const path = `/optexity-${uid()}`;
    const callback = next(path);
    const job = await c.run({
      ...request("optexity", scenario({ queue_ms: 50, duration_ms: 200, variant: "current", result: [{ total: 3 }] })),
      webhookUrl: `${url}${path}`,
      webhookSecret: CALLBACK_KEY,
    });
    // The submit carried both fields in its body, the key nowhere else.
    const submit = JSON.parse(sent[0].body);
    assert.equal(submit.task_callback_url, `${url}${path}`);
    assert.equal(submit.task_callback_api_key, CALLBACK_KEY);
    assert.ok(!sent[0].url.includes(CALLBACK_KEY) && sent[0].headers.every(([, v]) => !v.includes(CALLBACK_KEY)));
    assert.ok(sent.slice(1).every((s) => !s.body.includes(CALLBACK_KEY)), "status requests do not carry it");

    const d = await callback;
    assert.equal(d.headers["x-api-key"], CALLBACK_KEY);
    const hooked = await verifyWebhook({ provider: "optexity", body: d.body, headers: d.headers, apiKey: CALLBACK_KEY });
    assert.equal(hooked.id, job.id);
    assert.equal(hooked.provider, "optexity");
    assert.equal(hooked.status, "FINISHED");
    assert.equal(hooked.via, "webhook");
    assert.deepEqual(hooked.result, [{ total: 3 }]);
    assert.deepEqual(job.result, hooked.result, "the same result as polling");
    assert.deepEqual(hooked.files, job.files, "downloads and final_screenshot → the same files as polling");
    assert.deepEqual(hooked.files.map((f) => f.role), ["download", "screenshot"]);
    assert.equal(hooked.resultUrl, job.resultUrl);
    assert.equal(hooked.error, null);
    assert.equal(JSON.parse(d.body).task_id, job.id);
    const seen = await mockJob(job.id);
    assert.equal(seen.webhooks[0].status, 200);
  });

  test("a failed task's callback verifies into a FAILED Job with its error; the sync form too", async () => {
    const c = client("optexity");
    const path = `/optexity-failed-${uid()}`;
    const callback = next(path);
    const job = await c.submit({
      ...request("optexity", scenario({ queue_ms: 0, duration_ms: 50, outcome: "failed", error: "Element not found: #login" })),
      webhookUrl: `${url}${path}`,
      webhookSecret: CALLBACK_KEY,
    });
    const d = await callback;
    const hooked = verifyWebhookSync({ provider: "optexity", body: d.body.toString("utf8"), headers: d.headers, apiKey: CALLBACK_KEY });
    assert.equal(hooked.id, job.id);
    assert.equal(hooked.status, "FAILED");
    assert.deepEqual(hooked.error, { code: null, message: "Element not found: #login" });
    assert.deepEqual(hooked.files.map((f) => f.role), ["screenshot"]);
  });

  test("a forged callback (wrong key, missing key, not Basic) → WEBHOOK_SIGNATURE naming what is wrong, never the key", () => {
    const body = callbackBody();
    const refused = (headers, says) =>
      assert.throws(
        () => verifyWebhookSync({ provider: "optexity", body, headers, apiKey: CALLBACK_KEY }),
        (e) => isPolyjobError("WEBHOOK_SIGNATURE")(e) && says.test(e.message) && !e.message.includes(CALLBACK_KEY) && e.provider === "optexity",
      );
    refused({ "x-api-key": "someone-elses-key" }, /x-api-key does not match/);
    refused({ "x-api-key": CALLBACK_KEY.slice(0, -1) }, /x-api-key does not match/);
    refused({}, /missing x-api-key/);
    refused({ "content-type": "application/json" }, /missing x-api-key/);
    refused({ authorization: `Bearer ${CALLBACK_KEY}` }, /not Basic/);
    refused({ authorization: basic("optexity", "wrong") }, /password does not match/);
    refused({ authorization: "Basic !!!" }, /not base64/);
  });

  test("Basic auth: the password is the key (any username); headers as a Headers object or pairs", () => {
    const body = callbackBody({ status: "cancelled", output_data: null, downloads: [] });
    const job = verifyWebhookSync({ provider: "optexity", body, headers: new Headers({ authorization: basic("optexity-user", CALLBACK_KEY) }), apiKey: CALLBACK_KEY });
    assert.equal(job.status, "CANCELLED");
    const pairs = verifyWebhookSync({ provider: "optexity", body: new TextEncoder().encode(body), headers: [["X-Api-Key", CALLBACK_KEY]], apiKey: CALLBACK_KEY });
    assert.equal(pairs.id, "task-1");
  });

  test("a Request is accepted directly; options are checked", async () => {
    const body = callbackBody();
    const req = new Request("http://localhost/webhooks/optexity", { method: "POST", body, headers: { "x-api-key": CALLBACK_KEY, "content-type": "application/json" } });
    const job = await verifyWebhook(req, { provider: "optexity", apiKey: CALLBACK_KEY });
    assert.equal(job.status, "FINISHED");
    assert.deepEqual(job.result, [{ name: "email", value: "test@example.com" }]);
    assert.deepEqual(job.raw, JSON.parse(body));
    const forged = new Request("http://localhost/webhooks/optexity", { method: "POST", body, headers: { "x-api-key": "nope" } });
    await assert.rejects(verifyWebhook(forged, { provider: "optexity", apiKey: CALLBACK_KEY }), isPolyjobError("WEBHOOK_SIGNATURE"));
    // No apiKey (or a deAPI secret in its place) is a configuration mistake, not a bad delivery.
    assert.throws(() => verifyWebhookSync({ provider: "optexity", body, headers: { "x-api-key": CALLBACK_KEY }, secret: CALLBACK_KEY }), (e) => isPolyjobError("CONFIG")(e) && /apiKey is required/.test(e.message));
    // A keyed but unreadable body → BAD_RESPONSE; Socaity and Serika send no webhooks.
    assert.throws(() => verifyWebhookSync({ provider: "optexity", body: "[1]", headers: { "x-api-key": CALLBACK_KEY }, apiKey: CALLBACK_KEY }), isPolyjobError("BAD_RESPONSE"));
    assert.throws(() => verifyWebhookSync({ provider: "optexity", body: '{"status":"success"}', headers: { "x-api-key": CALLBACK_KEY }, apiKey: CALLBACK_KEY }), isPolyjobError("BAD_RESPONSE"));
    for (const provider of ["socaity", "serika"]) {
      assert.throws(() => verifyWebhookSync({ provider, body: "{}", headers: {}, apiKey: CALLBACK_KEY }), isPolyjobError("UNSUPPORTED"));
    }
  });

  test("webhookSecret is refused where there are no webhooks, and must be a non-empty string", async () => {
    await assert.rejects(client("serika").submit({ ...request("serika"), webhookSecret: CALLBACK_KEY }), isPolyjobError("UNSUPPORTED"));
    await assert.rejects(client("optexity").submit({ ...request("optexity"), webhookUrl: `${url}/x`, webhookSecret: "" }), (e) => isPolyjobError("CONFIG")(e) && /webhookSecret/.test(e.message));
  });

  test("a verified callback handed to notify() ends a wait on that job", async () => {
    const c = client("optexity", { pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
    const path = `/optexity-notify-${uid()}`;
    const callback = next(path);
    const job = await c.submit({
      ...request("optexity", scenario({ queue_ms: 0, duration_ms: 100 })),
      webhookUrl: `${url}${path}`,
      webhookSecret: CALLBACK_KEY,
    });
    const waited = c.wait(job, { timeoutMs: 20_000 });
    const d = await callback;
    const delivered = c.notify(await verifyWebhook({ provider: "optexity", body: d.body, headers: d.headers, apiKey: CALLBACK_KEY }));
    assert.equal(delivered, 1, "the parked wait (its first poll a minute away) received it");
    const done = await waited;
    assert.equal(done.status, "FINISHED");
    assert.equal(done.id, job.id);
  });
});
