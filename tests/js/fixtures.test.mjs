// Every 2xx status fixture of tests/fixtures (the golden bodies the native tests normalize) read
// through the package's `get`, with a fetch that answers the recorded body: the JS Job must carry
// what the fixture expects — the same values the native golden test checks on the Rust Job —
// with exactly the documented keys, in order, and `raw` equal to the body as sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { JobClient, PROVIDERS, assertJobShape } from "./helpers.mjs";

const ROOT = new URL("../fixtures/", import.meta.url);
const KEYS = ["id", "provider", "status", "progress", "result", "resultUrl", "error", "createdAt", "completedAt", "estimatedCompletion", "preview", "files", "cost", "via", "raw"];

test("every 2xx status fixture becomes the expected JS Job", async () => {
  let checked = 0;
  for (const provider of PROVIDERS) {
    const dir = new URL(`${provider}/`, ROOT);
    for (const name of readdirSync(dir).sort()) {
      if (!name.startsWith("status_")) continue;
      const fx = JSON.parse(readFileSync(new URL(name, dir), "utf8"));
      if (!fx.expect || !("body" in fx) || fx.http_status < 200 || fx.http_status > 299) continue;
      const text = typeof fx.body === "string" ? fx.body : JSON.stringify(fx.body);
      const fetch = async () => new Response(text, { status: fx.http_status, headers: { "content-type": "application/json" } });
      const c = new JobClient({ provider, apiKey: "k", baseUrl: `http://127.0.0.1:9/${provider}`, fetch, maxRetries: 0 });
      const ctx = `${provider}/${name}`;
      const job = await c.get(fx.id ?? "job");
      assertJobShape(job, provider, { allowEmptyId: true });
      assert.deepEqual(Object.keys(job), KEYS, `${ctx}: keys`);
      assert.deepEqual(job.raw, fx.body, `${ctx}: raw is the body`);
      for (const [key, want] of Object.entries(fx.expect)) {
        if (key === "error" && want !== null) {
          assert.ok(job.error, `${ctx}: error expected`);
          for (const [k, v] of Object.entries(want)) {
            if (k === "message_contains") assert.ok(job.error.message.includes(v), `${ctx}: error.message ${job.error.message}`);
            else assert.deepEqual(job.error[k], v, `${ctx}: error.${k}`);
          }
        } else if (key === "progress" && typeof want === "number") {
          assert.ok(Math.abs(job.progress - want) < 1e-9, `${ctx}: progress ${job.progress} vs ${want}`);
        } else {
          assert.deepEqual(job[key], want, `${ctx}: ${key}`);
        }
      }
      checked++;
    }
  }
  assert.ok(checked >= 40, `checked ${checked} fixtures`);
});
