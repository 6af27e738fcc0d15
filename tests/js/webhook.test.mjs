// deAPI webhooks: verifyWebhook on real deliveries from the mock (signed, retried), and on
// tampered, expired and replayed ones; the Request form; WebhookDeduper; notify() wiring.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHmac } from "node:crypto";
import { verifyWebhook, verifyWebhookSync, WebhookDeduper } from "polyjob";
import { client, request, scenario, isPolyjobError, mockJob } from "./helpers.mjs";

const SECRET = "whsec_polyjob_mock_secret_0123456789";
const sign = (ts, body, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}`;

/** A local receiver that records every delivery (raw body + headers) and answers `status`. */
let server;
let url;
const deliveries = [];
let answer = () => 200;
before(async () => {
  server = http.createServer((req, res) => {
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => {
      const body = Buffer.concat(parts);
      deliveries.push({ body, headers: req.headers, path: req.url });
      res.writeHead(answer(req.url, deliveries.length));
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

async function deliveriesFor(path, n, timeoutMs = 10_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const got = deliveries.filter((d) => d.path === path);
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  return deliveries.filter((d) => d.path === path);
}

describe("webhooks", { timeout: 60_000 }, () => {
  test("real signed deliveries from the mock verify and map to Jobs", async () => {
    const c = client("deapi");
    const path = `/hook-${Date.now()}`;
    const job = await c.run({ ...request("deapi", scenario({ duration_ms: 300 })), webhookUrl: `${url}${path}` });
    const got = await deliveriesFor(path, 2);
    assert.ok(got.length >= 2, `deliveries: ${got.length}`);
    const jobs = [];
    for (const d of got) jobs.push(await verifyWebhook({ provider: "deapi", body: d.body, headers: d.headers, secret: SECRET }));
    assert.deepEqual(jobs.map((j) => j.status), ["PROCESSING", "FINISHED"]);
    for (const j of jobs) assert.equal(j.id, job.id);
    assert.equal(jobs[1].resultUrl, job.resultUrl);
  });

  test("a tampered body, a wrong secret or a missing signature → WEBHOOK_SIGNATURE", () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ event: "job.completed", data: { job_request_id: "r1", status: "done", result_url: "http://x/y.png" } });
    const headers = { "x-deapi-signature": sign(ts, body), "x-deapi-timestamp": ts };
    const verified = verifyWebhookSync({ provider: "deapi", body, headers, secret: SECRET });
    assert.equal(verified.status, "FINISHED");
    assert.equal(verified.via, "webhook");
    assert.deepEqual(verified.files, [{ role: "result", url: "http://x/y.png", data: null, contentType: "image/png", fileName: null }]);
    const tampered = body.replace("done", "error");
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body: tampered, headers, secret: SECRET }), isPolyjobError("WEBHOOK_SIGNATURE"));
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body, headers, secret: "another-secret" }), isPolyjobError("WEBHOOK_SIGNATURE"));
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body, headers: { "x-deapi-timestamp": ts }, secret: SECRET }), isPolyjobError("WEBHOOK_SIGNATURE"));
    // Re-serialized JSON (whitespace changed) is not the raw body: rejected.
    const reserialized = JSON.stringify(JSON.parse(body), null, 1);
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body: reserialized, headers, secret: SECRET }), isPolyjobError("WEBHOOK_SIGNATURE"));
  });

  test("a timestamp outside ±300 s → WEBHOOK_EXPIRED (replay), inside toleranceSec passes", () => {
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const body = JSON.stringify({ event: "job.processing", data: { job_request_id: "r2", status: "processing" } });
    const headers = { "X-DeAPI-Signature": sign(old, body), "X-DeAPI-Timestamp": old };
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body, headers, secret: SECRET }), (e) => isPolyjobError("WEBHOOK_EXPIRED")(e) && /360\d s in the past/.test(e.message) && /tolerance of 300 s/.test(e.message));
    // A millisecond timestamp: the message says so.
    const ms = String(Date.now());
    const msHeaders = { "X-DeAPI-Signature": sign(ms, body), "X-DeAPI-Timestamp": ms };
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body, headers: msHeaders, secret: SECRET }), (e) => isPolyjobError("WEBHOOK_EXPIRED")(e) && /in the future/.test(e.message) && /milliseconds/.test(e.message));
    assert.equal(verifyWebhookSync({ provider: "deapi", body, headers, secret: SECRET, toleranceSec: 7200 }).status, "PROCESSING");
    assert.equal(verifyWebhookSync({ provider: "deapi", body, headers, secret: SECRET, now: new Date(Number(old) * 1000) }).status, "PROCESSING");
  });

  test("a Request is accepted directly", async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ event: "job.failed", timestamp: 1700000000, data: { job_request_id: "r3", status: "error", error_code: "OOM", error_message: "out of memory" } });
    const req = new Request("http://localhost/webhooks/deapi", { method: "POST", body, headers: { "x-deapi-signature": sign(ts, body), "x-deapi-timestamp": ts } });
    const job = await verifyWebhook(req, { secret: SECRET });
    assert.equal(job.status, "FAILED");
    assert.deepEqual(job.error, { code: "OOM", message: "out of memory" });
  });

  test("a Request whose body was already read rejects CONFIG (the body could not be read)", async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ event: "job.completed", data: { job_request_id: "r4", status: "done" } });
    const req = new Request("http://localhost/webhooks/deapi", { method: "POST", body, headers: { "x-deapi-signature": sign(ts, body), "x-deapi-timestamp": ts } });
    await req.text();
    await assert.rejects(verifyWebhook(req, { secret: SECRET }), (e) => e.code === "CONFIG" && /could not be read/.test(e.message));
  });

  test("non-JSON signed body → BAD_RESPONSE; providers without webhooks → UNSUPPORTED", () => {
    const ts = String(Math.floor(Date.now() / 1000));
    assert.throws(() => verifyWebhookSync({ provider: "deapi", body: "hello", headers: { "x-deapi-signature": sign(ts, "hello"), "x-deapi-timestamp": ts }, secret: SECRET }), isPolyjobError("BAD_RESPONSE"));
    assert.throws(() => verifyWebhookSync({ provider: "socaity", body: "{}", headers: {}, secret: SECRET }), isPolyjobError("UNSUPPORTED"));
    // Optexity's task callbacks: optexity-callbacks.test.mjs.
  });

  test("deliveries are retried on non-2xx; WebhookDeduper keeps one per delivery id", async () => {
    const path = `/flaky-${Date.now()}`;
    let failures = 0;
    answer = (p) => (p === path && failures++ < 2 ? 500 : 200);
    const c = client("deapi");
    await c.run({ ...request("deapi", scenario({ duration_ms: 200, faults: [{ kind: "duplicate_terminal" }] })), webhookUrl: `${url}${path}` });
    const got = await deliveriesFor(path, 5);
    answer = () => 200;
    const dedupe = new WebhookDeduper(100);
    const fresh = got.filter((d) => dedupe.firstDelivery(d.headers["x-deapi-delivery-id"]));
    assert.ok(got.length > fresh.length, `retries were delivered (${got.length} deliveries, ${fresh.length} distinct)`);
    const events = fresh.map((d) => d.headers["x-deapi-event"]);
    assert.deepEqual(events, ["job.processing", "job.completed"]);
  });
});
