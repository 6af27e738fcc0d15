// What goes over the wire: routes, auth headers, custom fetch/headers options, and the key never in a URL.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PROVIDERS, MOCK, KEY, client, request, scenario, uid, countingFetch, requestsTagged, mockRequests, headersOf, baseUrl,
} from "./helpers.mjs";

const ROUTES = {
  socaity: { submit: ["POST", /^\/socaity\/v1\/flux-schnell\/generate$/], poll: ["GET", /^\/socaity\/v1\/jobs\/[^/]+$/] },
  optexity: { submit: ["POST", /^\/optexity\/api\/v1\/inference\/?$/], poll: ["POST", /^\/optexity\/api\/v1\/inference\/call$/] },
  deapi: { submit: ["POST", /^\/deapi\/api\/v1\/client\/txt2img$/], poll: ["GET", /^\/deapi\/api\/v1\/client\/request-status\/[^/]+$/] },
  serika: { submit: ["POST", /^\/serika\/jobs\/images?$/], poll: ["GET", /^\/serika\/jobs\/[^/]+$/] },
};

const pathOf = (url) => new URL(url, MOCK).pathname;

describe("requests", { concurrency: true, timeout: 60_000 }, () => {
  for (const p of PROVIDERS) {
    test(`${p}: documented routes, auth header, custom headers, counted fetch`, async () => {
      const tag = uid();
      const f = countingFetch();
      const c = client(p, { fetch: f, headers: { "x-polyjob-test": tag } });
      const done = await c.run(request(p, scenario({ queue_ms: 50, duration_ms: 300 })), { timeoutMs: 10_000 });
      assert.equal(done.status, "FINISHED");

      assert.ok(f.calls.length >= 2, `the custom fetch was used for submit and polls (${f.calls.length} calls)`);
      for (const call of f.calls) assert.ok(call.url.startsWith(baseUrl(p)), `request ${call.url} is under the baseUrl`);

      const log = await requestsTagged("x-polyjob-test", tag);
      assert.equal(log.length, f.calls.length, "every fetch call carried the custom header and reached the mock");
      const [first, ...polls] = log;
      assert.equal(first.method, ROUTES[p].submit[0]);
      assert.match(pathOf(first.url), ROUTES[p].submit[1]);
      assert.ok(polls.length >= 1);
      for (const e of polls) {
        assert.equal(e.method, ROUTES[p].poll[0], `poll method for ${e.url}`);
        assert.match(pathOf(e.url), ROUTES[p].poll[1]);
      }
      for (const e of log) {
        const h = headersOf(e);
        if (p === "optexity") assert.equal(h["x-api-key"], KEY);
        else assert.equal(h["authorization"], `Bearer ${KEY}`);
        assert.ok(!e.url.includes(KEY), `the key is in the URL ${e.url}`);
      }
      if (p === "deapi") assert.match(headersOf(first).accept || "", /application\/json/, "deAPI asks for JSON");
      assert.match(headersOf(first)["content-type"] || "", /application\/json/, "the submit body is JSON");
    });
  }

  test("socaity: a model containing '/' keeps its slashes in the path", async () => {
    const tag = uid();
    const c = client("socaity", { headers: { "x-polyjob-test": tag } });
    const job = await c.submit({ model: "black-forest-labs/flux-schnell", input: { prompt: "x", mock: scenario() } });
    assert.equal(typeof job.id, "string");
    const [first] = await requestsTagged("x-polyjob-test", tag);
    assert.equal(pathOf(first.url), "/socaity/v1/black-forest-labs/flux-schnell/generate");
  });

  test("the API key never appears in any URL the mock has seen", async () => {
    // Make sure every provider has been called at least once from this process.
    await Promise.all(PROVIDERS.map((p) => client(p).run(request(p, scenario({ queue_ms: 50, duration_ms: 200 })), { timeoutMs: 10_000 })));
    const log = await mockRequests();
    assert.ok(log.length > 0);
    const leaks = log.filter((e) => e.url.includes(KEY) || /s3cr3t/.test(e.url) || /[?&](api[_-]?key|key|token)=/i.test(e.url));
    assert.deepEqual(leaks.map((e) => e.url), []);
  });
});
