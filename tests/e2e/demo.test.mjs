// End-to-end test of the demo page (www/) in Debian's Chromium, driven by playwright-core.
//
// Serves the demo exactly as scripts/demo.sh does — a site dir with www/ and a copy of pkg/, served
// by the mock providers server (`--static`) on one port — then, in one page: runs a job per provider
// to FINISHED (deAPI over realtime with live previews), a Socaity stream job (chunks shown as they
// arrive), a failed job (error code shown), cancels a Socaity job, checks the DOM, and saves
// screenshots to docs/screenshots/.
//
// Needs pkg/ (bash scripts/build.sh) and target/debug/polyjob-mock (cargo build -p polyjob-mock).
// Run: bash scripts/test-e2e.sh   (or: cd tests/e2e && npm install && node --test demo.test.mjs)
// Env: CHROMIUM (default /usr/bin/chromium), POLYJOB_MOCK (default target/debug/polyjob-mock).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const mockBin = resolve(root, process.env.POLYJOB_MOCK || "target/debug/polyjob-mock");
const chromiumBin = process.env.CHROMIUM || "/usr/bin/chromium";
const site = join(root, "target/e2e-site");
const portFile = join(root, "target/e2e-mock.port");
const shots = join(root, "docs/screenshots");
const JOB_TIMEOUT = 30_000;

let server;
let serverExit;
let browser;
let page;
let base;
const pageErrors = [];
const consoleErrors = [];

before(async () => {
  for (const [what, path] of [["pkg/web/polyjob.js (bash scripts/build.sh)", join(root, "pkg/web/polyjob.js")], ["the mock server (cargo build -p polyjob-mock)", mockBin], ["Chromium", chromiumBin]]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
  }
  // The site, as scripts/demo.sh builds it.
  rmSync(site, { recursive: true, force: true });
  mkdirSync(site, { recursive: true });
  cpSync(join(root, "www"), site, { recursive: true });
  cpSync(join(root, "pkg"), join(site, "pkg"), { recursive: true });
  rmSync(portFile, { force: true });
  mkdirSync(shots, { recursive: true });

  server = spawn(mockBin, ["--port", "0", "--port-file", portFile, "--static", site, "--exit-after", "300"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  serverExit = new Promise((res) => server.once("exit", (code, signal) => res({ code, signal })));
  server.stdout.resume();
  const deadline = Date.now() + 30_000;
  let port = "";
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`polyjob-mock exited early (${server.exitCode})`);
    if (existsSync(portFile)) {
      port = readFileSync(portFile, "utf8").trim();
      if (/^\d+$/.test(port)) break;
    }
    await sleep(50);
  }
  assert.match(port, /^\d+$/, "the mock wrote its port");
  base = `http://127.0.0.1:${port}`;

  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, colorScheme: "light" });
  page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(String(err && err.stack ? err.stack : err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null && server.signalCode === null) {
    process.kill(server.pid, "SIGTERM");
    const stopped = await Promise.race([serverExit, sleep(5_000).then(() => null)]);
    if (!stopped) process.kill(server.pid, "SIGKILL");
  }
  rmSync(portFile, { force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** Fills the form for `provider` and submits; returns a locator of the new job's card. */
async function submitJob(provider, { durationMs = 1500, outcome = "finished", stream = false, realtime = true } = {}) {
  await page.selectOption("#provider", provider);
  await page.selectOption("#scenario", outcome);
  await page.fill("#duration", String(durationMs));
  if (provider === "socaity") await page.setChecked("#socaity-stream", stream);
  if (provider === "deapi") await page.setChecked("#deapi-realtime", realtime);
  const before = await page.$$eval("#jobs li.job", (lis) => lis.map((li) => li.dataset.key));
  await page.click("#submit");
  const key = await page.waitForFunction(
    (known) => {
      const li = [...document.querySelectorAll("#jobs li.job")].find((l) => !known.includes(l.dataset.key));
      return li ? li.dataset.key : null;
    },
    before,
    { timeout: 15_000 },
  ).then((h) => h.jsonValue());
  const job = page.locator(`#jobs li.job[data-key="${key}"]`);
  assert.equal(await job.getAttribute("data-provider"), provider);
  assert.equal(await page.locator("#form-error").isHidden(), true, "no form error");
  return job;
}

async function waitStatus(job, status, timeout = JOB_TIMEOUT) {
  const key = await job.getAttribute("data-key");
  await page.waitForSelector(`#jobs li.job[data-key="${key}"][data-status="${status}"]`, { timeout });
}

const num = async (loc, attr) => Number(await loc.getAttribute(attr));

async function assertFinished(job) {
  await waitStatus(job, "FINISHED");
  assert.equal(await job.locator(".status").textContent(), "FINISHED");
  assert.equal(await job.locator(".progress").getAttribute("data-value"), "1");
  assert.equal(await job.locator(".progress").getAttribute("aria-valuenow"), "100");
  assert.equal(await job.locator(".progress-text").textContent(), "100%");
  assert.ok((await job.getAttribute("data-job-id")).length > 0, "a job id is shown");
  assert.ok((await num(job.locator(".requests"), "data-count")) >= 2, "submit + at least one status request");
  assert.equal(await job.locator(".error").isHidden(), true, "no error shown");
  assert.ok((await num(job.locator('.via-count[data-via="submit"]'), "data-count")) === 1, "the submit's answer is the first update");
}

/** Waits until the job's result <img> has loaded a real picture; returns its natural size. */
async function resultImage(job) {
  const img = job.locator("img.result");
  await img.waitFor({ timeout: 10_000 });
  const size = await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((res, rej) => { el.onload = res; el.onerror = () => rej(new Error("image failed")); });
    return { w: el.naturalWidth, h: el.naturalHeight, src: el.getAttribute("src") };
  });
  assert.ok(size.w > 0 && size.h > 0, `the result image loaded (${size.src})`);
  assert.match(size.src, /\/files\/[^/]+\.png$/);
  return size;
}

// ---------------------------------------------------------------------------------------------
// Tests (one page, in order; the list shows the newest job first)

test("the page loads the wasm package and shows the four providers", async () => {
  assert.equal(await page.title(), "polyjob — one Job model over four inference providers");
  const providers = await page.$$eval("#provider option", (os) => os.map((o) => o.value));
  assert.deepEqual(providers, ["socaity", "optexity", "deapi", "serika"]);
  assert.equal(await page.locator("#init-error").isHidden(), true);
  assert.equal(await page.locator("#submit").isEnabled(), true);
  await page.selectOption("#provider", "deapi");
  assert.equal(await page.locator('#capabilities [data-capability="realtime"]').getAttribute("data-enabled"), "true");
  await page.selectOption("#provider", "socaity");
  assert.equal(await page.locator('#capabilities [data-capability="cancel"]').getAttribute("data-enabled"), "true");
  assert.equal(await page.locator('#capabilities [data-capability="streaming"]').getAttribute("data-enabled"), "true");
});

test("socaity: a job runs to FINISHED (polled)", async () => {
  const job = await submitJob("socaity");
  assert.equal(await job.getAttribute("data-mode"), "poll");
  await assertFinished(job);
  assert.match(await job.locator("pre.result").textContent(), /echo: /);
  assert.ok((await num(job.locator('.via-count[data-via="poll"]'), "data-count")) >= 1);
  assert.equal(await job.locator('.via-count[data-via="realtime"]').count(), 0, "nothing claims realtime");
});

test("optexity: a job runs to FINISHED", async () => {
  const job = await submitJob("optexity");
  await assertFinished(job);
  assert.match(await job.locator("pre.result").textContent(), /Completed extract-prices/);
  assert.equal(await job.locator(".cancel").isDisabled(), true, "Optexity has no cancel");
});

test("serika: a job runs to FINISHED and shows the result image", async () => {
  const job = await submitJob("serika");
  await assertFinished(job);
  await resultImage(job);
});

test("optexity: a failed job shows its error code", async () => {
  const job = await submitJob("optexity", { outcome: "failed", durationMs: 600 });
  await waitStatus(job, "FAILED");
  const error = job.locator(".error");
  assert.equal(await error.isVisible(), true);
  assert.equal(await error.getAttribute("data-code"), "MOCK_FAILURE");
  assert.equal(await job.locator(".error-code").textContent(), "MOCK_FAILURE");
  assert.match(await job.locator(".error-message").textContent(), /Mock failure/);
});

test("socaity stream: chunks appear as they arrive, then FINISHED", async () => {
  const job = await submitJob("socaity", { stream: true, durationMs: 2400 });
  assert.equal(await job.getAttribute("data-mode"), "stream");
  const key = await job.getAttribute("data-key");
  // Chunks are shown before the job has ended: they are read live from the SSE stream.
  const early = await page.waitForFunction(
    (k) => {
      const li = document.querySelector(`#jobs li.job[data-key="${k}"]`);
      const n = li.querySelectorAll(".stream-output .chunk").length;
      return n > 0 && li.dataset.status !== "FINISHED" ? { n, status: li.dataset.status } : null;
    },
    key,
    { timeout: JOB_TIMEOUT },
  ).then((h) => h.jsonValue());
  assert.ok(early.n >= 1 && early.n < 8, `a partial stream was shown (${early.n} chunks while ${early.status})`);
  await assertFinished(job);
  await page.waitForSelector(`#jobs li.job[data-key="${key}"] .stream-box[data-state="done"]`, { timeout: 10_000 });
  const chunks = await job.locator(".stream-output .chunk").allTextContents();
  assert.equal(chunks.length, 8);
  assert.equal(chunks.join(""), "This is a streamed answer from polyjob-mock.");
  assert.equal(await num(job, "data-chunks"), 8);
  assert.equal(await num(job.locator('.via-count[data-via="stream"]'), "data-count"), 8);
  assert.equal(await job.locator("pre.result").textContent(), "This is a streamed answer from polyjob-mock.");
});

test("socaity: cancelling a running job ends it CANCELLED", async () => {
  const job = await submitJob("socaity", { stream: false, durationMs: 20_000 });
  await waitStatus(job, "PROCESSING");
  const cancel = job.locator(".cancel");
  assert.equal(await cancel.isEnabled(), true);
  await cancel.click();
  await waitStatus(job, "CANCELLED");
  assert.equal(await job.locator(".status").textContent(), "CANCELLED");
  assert.equal(await num(job.locator('.via-count[data-via="cancel"]'), "data-count"), 1);
  assert.equal(await cancel.isDisabled(), true, "no cancel after the end");
  assert.ok((await job.locator(".progress").getAttribute("data-value")) !== "1", "progress stopped short of 100%");
  // The mock agrees.
  const id = await job.getAttribute("data-job-id");
  const remote = await (await fetch(`${base}/__mock/jobs/${id}`)).json();
  assert.ok(remote.cancelled_at_ms > 0, "the mock recorded the cancel");
});

test("deapi: realtime delivers progress and live previews, then the result image", async () => {
  const job = await submitJob("deapi", { durationMs: 3000, realtime: true });
  assert.equal(await job.getAttribute("data-mode"), "realtime");
  const key = await job.getAttribute("data-key");
  // A preview is shown while the job is still running.
  await page.waitForFunction(
    (k) => {
      const li = document.querySelector(`#jobs li.job[data-key="${k}"]`);
      return Number(li.dataset.previews) > 0 && li.dataset.status === "PROCESSING";
    },
    key,
    { timeout: JOB_TIMEOUT },
  );
  await page.screenshot({ path: join(shots, "demo-running.png") });
  await assertFinished(job);
  assert.ok((await num(job, "data-previews")) >= 1, "a preview was seen");
  const preview = await job.locator("img.preview").evaluate((el) => ({ w: el.naturalWidth, src: el.getAttribute("src").slice(0, 22) }));
  assert.ok(preview.w > 0, "the preview image decoded");
  assert.equal(preview.src, "data:image/png;base64,");
  await resultImage(job);
  const realtime = await num(job.locator('.via-count[data-via="realtime"]'), "data-count");
  assert.ok(realtime >= 3, `updates came over realtime (${realtime})`);
  const statusRequests = await num(job.locator(".requests"), "data-status-requests");
  assert.ok(statusRequests <= 2, `realtime needs (almost) no polling: ${statusRequests} status requests`);
  const ws = await (await fetch(`${base}/__mock/stats`)).json();
  assert.ok(ws.ws_events_sent > 0, "the mock sent realtime events");
});

test("counters, no page errors, screenshot", async () => {
  const requests = await num(page.locator("#request-count"), "data-count");
  assert.ok(requests > 0, "the request counter counted");
  const mockStats = await (await fetch(`${base}/__mock/stats`)).json();
  assert.ok(requests <= mockStats.requests, `the page's count (${requests}) is within what the mock saw (${mockStats.requests})`);
  assert.ok((await num(page.locator("#push-count"), "data-count")) > 0, "pushed updates were counted");
  assert.equal(await num(page.locator("#job-count"), "data-count"), 7);
  assert.equal(await num(page.locator("#active-count"), "data-count"), 0);
  const statuses = await page.$$eval("#jobs li.job", (lis) => lis.map((li) => `${li.dataset.provider}:${li.dataset.status}`));
  assert.deepEqual(statuses, [
    "deapi:FINISHED",
    "socaity:CANCELLED",
    "socaity:FINISHED",
    "optexity:FAILED",
    "serika:FINISHED",
    "optexity:FINISHED",
    "socaity:FINISHED",
  ]);
  // Let the last image decode and the animations settle before the picture.
  await page.evaluate(() => Promise.all([...document.images].map((i) => (i.complete ? null : new Promise((r) => { i.onload = i.onerror = r; })))));
  await page.mouse.move(0, 0);
  await sleep(400);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, "demo.png"), fullPage: true });
  assert.ok(statSync(join(shots, "demo.png")).size > 10_000);
  assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  assert.deepEqual(consoleErrors, [], "no console errors");
});
