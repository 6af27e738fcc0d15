// End-to-end test of the demo page (www/) in Debian's Chromium, driven by playwright-core.
//
// Serves the demo exactly as scripts/demo.sh does — a site dir with www/ and a copy of pkg/, served
// by the mock providers server (`--static`) on one port — then, in one page: runs a job per provider
// to FINISHED (deAPI over realtime with live previews), a Socaity stream job (chunks shown as they
// arrive), a failed job (error code shown), cancels a Socaity job, then file jobs: a PNG generated
// here is chosen with the file input (and another dropped on the drop zone), sent to deAPI img2img
// and to Socaity, and the mock must have received exactly those bytes (SHA-256); every output file
// of every job (`job.files`, Optexity's downloads and screenshot included) must be shown with its
// role. Checks the DOM and saves screenshots to docs/screenshots/.
//
// Needs pkg/ (bash scripts/build.sh) and target/debug/polyjob-mock (cargo build -p polyjob-mock).
// Run: bash scripts/test-e2e.sh   (or: cd tests/e2e && npm install && node --test demo.test.mjs)
// Env: CHROMIUM (default /usr/bin/chromium), POLYJOB_MOCK (default target/debug/polyjob-mock).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
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
async function submitJob(provider, { durationMs = 1500, outcome = "finished", stream = false, realtime = true, task = "txt2img", fileResult = "" } = {}) {
  await page.selectOption("#provider", provider);
  await page.selectOption("#scenario", outcome);
  await page.fill("#duration", String(durationMs));
  if (provider === "socaity") {
    await page.setChecked("#socaity-stream", stream);
    await page.selectOption("#socaity-file-result", fileResult);
  }
  if (provider === "deapi") {
    await page.setChecked("#deapi-realtime", realtime);
    await page.selectOption("#deapi-task", task);
  }
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

/** A valid RGB PNG of w×h (a gradient shifted by `tint`), made here so its bytes are known. */
function makePng(w, h, tint = 0) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const row = w * 3 + 1;
  const raw = Buffer.alloc(row * h);
  for (let y = 0; y < h; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const o = y * row + 1 + x * 3;
      raw[o] = Math.round((x / (w - 1)) * 255);
      raw[o + 1] = Math.round((y / (h - 1)) * 200) ^ tint;
      raw[o + 2] = (120 + tint + ((x * y) % 40)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

/** Drops a file on the drop zone the way a browser does (dragenter, dragover, drop with a DataTransfer). */
async function dropFile(buffer, name, type = "image/png") {
  const dataTransfer = await page.evaluateHandle(({ b64, name, type }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type }));
    return dt;
  }, { b64: buffer.toString("base64"), name, type });
  for (const type of ["dragenter", "dragover", "drop"]) await page.dispatchEvent("#drop-zone", type, { dataTransfer });
  await dataTransfer.dispose();
}

/** Waits until the form shows the chosen file: its thumbnail decoded, its SHA-256 computed. */
async function chosenFile(expectSha, w, h) {
  await page.waitForSelector('#drop-zone[data-state="chosen"] #file-thumb[data-loaded="true"]', { timeout: 10_000 });
  await page.waitForSelector(`#file-info[data-sha256="${expectSha}"]`, { timeout: 10_000 });
  const thumb = await page.locator("#file-thumb").evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight, visible: !el.hidden }));
  assert.deepEqual(thumb, { w, h, visible: true }, "the thumbnail shows the chosen PNG");
}

/** The job as the page holds it (from `client.wait`), with `files` and `result` as plain JSON. */
async function pageJob(job) {
  const id = await job.getAttribute("data-job-id");
  return page.evaluate((id) => {
    const plain = (v) => JSON.parse(JSON.stringify(v ?? null, (_k, x) => (x instanceof Map ? Object.fromEntries(x) : x)));
    const j = window.polyjobDemo.jobs().find((x) => x && x.id === id);
    return j ? { id: j.id, status: j.status, files: plain(j.files), result: plain(j.result) } : null;
  }, id);
}

/**
 * Every file of `job.files` is shown once, in order, with its role and content type: images as a
 * decoded <img class="file-image">, other files as a.file-download. Returns the roles.
 */
async function checkFiles(job) {
  const key = await job.getAttribute("data-key");
  await page.waitForFunction(
    (k) => [...document.querySelectorAll(`#jobs li.job[data-key="${k}"] .files li.file`)].every((li) => li.dataset.loaded !== "pending"),
    key,
    { timeout: 10_000 },
  );
  const state = await pageJob(job);
  assert.ok(state, "the page holds the job");
  assert.ok(Array.isArray(state.files), "job.files is an array");
  const shown = await job.locator(".files li.file").evaluateAll((lis) =>
    lis.map((li) => {
      const img = li.querySelector("img.file-image");
      const dl = li.querySelector("a.file-download");
      return {
        role: li.dataset.role,
        contentType: li.dataset.contentType,
        loaded: li.dataset.loaded,
        visible: li.getBoundingClientRect().height > 0,
        img: img ? { w: img.naturalWidth, h: img.naturalHeight, src: img.getAttribute("src") } : null,
        download: dl ? { href: dl.getAttribute("href"), name: dl.getAttribute("download") } : null,
      };
    }),
  );
  assert.equal(shown.length, state.files.length, `every file is listed (${state.files.map((f) => f.role).join(", ")})`);
  assert.equal(await job.getAttribute("data-files"), String(state.files.length));
  state.files.forEach((f, i) => {
    const li = shown[i];
    assert.equal(li.role, f.role, `file ${i}: role`);
    assert.ok(li.visible, `file ${i} (${f.role}) is visible`);
    if (f.contentType) assert.equal(li.contentType, f.contentType, `file ${i}: content type`);
    assert.ok(f.url || f.data, `file ${i} (${f.role}) has a url or data`);
    if (/^image\//.test(li.contentType)) {
      assert.ok(li.img, `file ${i} (${f.role}, ${li.contentType}) is shown as an image`);
      assert.equal(li.loaded, "true", `file ${i} (${f.role}) decoded`);
      assert.ok(li.img.w > 0 && li.img.h > 0, `file ${i} (${f.role}) has a picture (${li.img.src.slice(0, 60)})`);
      if (f.url && !f.url.startsWith("data:")) assert.equal(li.img.src, f.url, `file ${i}: shown from its URL`);
      if (!f.url && f.data) assert.match(li.img.src, /^(blob:|data:)/, `file ${i}: inline data shown from a blob`);
    } else {
      assert.ok(li.download && li.download.href, `file ${i} (${f.role}, ${li.contentType || "no type"}) is a download link`);
      assert.ok(li.download.name, `file ${i}: the link names the file`);
    }
  });
  return state.files.map((f) => f.role);
}

/** The mock's record of the parts it received for a job: `parts` of /__mock/jobs/{id}. */
async function mockParts(job) {
  const id = await job.getAttribute("data-job-id");
  const remote = await (await fetch(`${base}/__mock/jobs/${id}`)).json();
  assert.ok(Array.isArray(remote.parts), `the mock recorded the multipart parts of ${id}`);
  return remote.parts;
}

/** The job card's input: thumbnail decoded, the sent bytes' hash shown, the server's echo matched. */
async function checkInput(job, field, expectSha, { echoed = true } = {}) {
  const box = job.locator(".input-box");
  assert.equal(await box.isVisible(), true, "the input file is shown on the job");
  assert.equal(await box.getAttribute("data-field"), field);
  await page.waitForFunction((el) => el.dataset.sha256, await box.elementHandle(), { timeout: 10_000 });
  assert.equal(await box.getAttribute("data-sha256"), expectSha, "the page hashed the bytes it sent");
  const thumb = await box.locator("img.input-thumb").evaluate(async (el) => {
    if (!el.complete) await new Promise((r) => { el.onload = el.onerror = r; });
    return el.naturalWidth;
  });
  assert.ok(thumb > 0, "the input thumbnail decoded");
  if (echoed) {
    const received = box.locator(".input-received");
    assert.equal(await received.isVisible(), true, "the server's echo of the upload is shown");
    assert.equal(await received.getAttribute("data-sha256"), expectSha);
    assert.equal(await received.getAttribute("data-match"), "true");
  }
}

const PNG_A = makePng(48, 32, 0);
const PNG_B = makePng(40, 40, 97);

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
  assert.deepEqual(await checkFiles(job), [], "a text result has no files");
  assert.equal(await job.locator(".files-box").isHidden(), true);
  assert.equal(await job.locator(".input-box").isHidden(), true, "no input file was sent");
  assert.ok((await num(job.locator('.via-count[data-via="poll"]'), "data-count")) >= 1);
  assert.equal(await job.locator('.via-count[data-via="realtime"]').count(), 0, "nothing claims realtime");
});

test("optexity: a job runs to FINISHED, with its downloads and final screenshot", async () => {
  const job = await submitJob("optexity");
  await assertFinished(job);
  assert.match(await job.locator("pre.result").textContent(), /Completed extract-prices/);
  assert.equal(await job.locator(".cancel").isDisabled(), true, "Optexity has no cancel");
  assert.equal(await page.locator("#file-fields").isHidden(), true, "Optexity takes no input file");
  const roles = await checkFiles(job);
  assert.ok(roles.includes("download"), `downloads are shown (${roles})`);
  assert.ok(roles.includes("screenshot"), `the final screenshot is shown (${roles})`);
  // Its resultUrl is the first download (a CSV): a link, not a picture.
  assert.equal(await job.locator("img.result").count(), 0, "a CSV is not drawn as an image");
  assert.match(await job.locator("a.result-url").getAttribute("href"), /\/files\/[^/]+\.csv$/);
});

test("serika: a job runs to FINISHED and shows the result image", async () => {
  const job = await submitJob("serika");
  await assertFinished(job);
  await resultImage(job);
  assert.deepEqual(await checkFiles(job), ["result"]);
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
  // The live preview is also a file of the running job (role "preview", inline data shown through loadFile).
  await page.waitForFunction(
    (k) => {
      const li = document.querySelector(`#jobs li.job[data-key="${k}"]`);
      const file = li.querySelector('.files li.file[data-role="preview"][data-source="data"][data-loaded="true"]');
      const img = file && file.querySelector("img.file-image");
      return li.dataset.status === "PROCESSING" && img && img.naturalWidth > 0 && /^blob:/.test(img.src);
    },
    key,
    { timeout: JOB_TIMEOUT },
  );
  await page.screenshot({ path: join(shots, "demo-running.png") });
  await assertFinished(job);
  assert.deepEqual(await checkFiles(job), ["result", "alternate", "alternate"], "done: the result and its jpg and webp, no preview");
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

test("input file: a deAPI file task needs a file; a chosen PNG shows its thumbnail and hash", async () => {
  await page.selectOption("#provider", "deapi");
  await page.selectOption("#deapi-task", "img2img");
  assert.equal(await page.locator("#file-fields").isVisible(), true, "img2img shows the file field");
  assert.equal(await page.inputValue("#file-field"), "image");
  assert.equal(await page.inputValue("#deapi-model"), "Flux_2_Klein_4B_BF16", "the task's default model");
  assert.equal(await page.locator("#deapi-width").isVisible(), false, "img2img sends no width");
  await page.selectOption("#deapi-task", "img2video");
  assert.equal(await page.inputValue("#file-field"), "first_frame_image");
  await page.selectOption("#deapi-task", "txt2img");
  assert.equal(await page.locator("#file-fields").isHidden(), true, "txt2img takes no file");
  assert.equal(await page.inputValue("#deapi-model"), "Flux1schnell");
  // No file yet: the page says so and sends nothing.
  await page.selectOption("#deapi-task", "img-rmbg");
  const before = await num(page.locator("#request-count"), "data-count");
  await page.click("#submit");
  await page.waitForSelector('#form-error[data-code="INPUT"]', { timeout: 5_000 });
  assert.match(await page.locator("#form-error").textContent(), /img-rmbg needs an input image/);
  assert.equal(await num(page.locator("#request-count"), "data-count"), before, "nothing was sent");
  // Choose the PNG with the file input.
  await page.setInputFiles("#file-input", { name: "gradient.png", mimeType: "image/png", buffer: PNG_A });
  await chosenFile(sha256(PNG_A), 48, 32);
  assert.equal(await page.locator("#form-error").isHidden(), true, "choosing a file clears the error");
  assert.match(await page.locator("#file-info").textContent(), /gradient\.png · image\/png · .* · 48×32/);
});

test("socaity: a dropped file is uploaded byte for byte; its output files are shown", async () => {
  await page.selectOption("#provider", "socaity");
  assert.equal(await page.locator("#file-fields").isVisible(), true, "Socaity takes an input file");
  await dropFile(PNG_B, "dropped.png");
  await chosenFile(sha256(PNG_B), 40, 40);
  assert.equal(await page.locator("#drop-zone").getAttribute("data-how"), "drop");
  assert.equal(await page.locator("#file-input").evaluate((el) => el.files[0] && el.files[0].name), "dropped.png", "the file input holds the dropped file");
  const job = await submitJob("socaity", { fileResult: "list" });
  await assertFinished(job);
  await checkInput(job, "image", sha256(PNG_B), { echoed: false });
  const parts = await mockParts(job);
  const image = parts.find((p) => p.name === "image");
  assert.ok(image, `the mock received an "image" part (${parts.map((p) => p.name)})`);
  assert.equal(image.sha256, sha256(PNG_B), "the mock received exactly the dropped bytes");
  // mock.file_result "list": a FileModel with a URL and one with base64 content.
  assert.deepEqual(await checkFiles(job), ["result", "result"], "the FileModel list is shown file by file");
  assert.deepEqual(await job.locator(".files li.file").evaluateAll((lis) => lis.map((li) => li.dataset.source)), ["url", "data"]);
});

test("deapi img2img: the chosen PNG reaches the mock byte for byte; the result and its alternate formats are shown", async () => {
  // The file input holds the dropped PNG now: choose the first one again.
  await page.setInputFiles("#file-input", { name: "gradient.png", mimeType: "image/png", buffer: PNG_A });
  await chosenFile(sha256(PNG_A), 48, 32);
  const job = await submitJob("deapi", { task: "img2img", durationMs: 2500, realtime: true });
  assert.equal(await job.getAttribute("data-mode"), "realtime");
  await assertFinished(job);
  await resultImage(job);
  // What the mock received: the image part, with the SHA-256 of the PNG made here.
  const parts = await mockParts(job);
  const image = parts.find((p) => p.name === "image");
  assert.ok(image, `the mock received an "image" part (${parts.map((p) => p.name)})`);
  assert.equal(image.sha256, sha256(PNG_A), "the mock received exactly the chosen bytes");
  // The job's own echo (result.received) agrees, and the card shows it matched.
  const state = await pageJob(job);
  const echoed = state.result && Array.isArray(state.result.received) ? state.result.received.find((p) => p.name === "image") : null;
  assert.ok(echoed, "the finished job echoes the upload in result.received");
  assert.equal(echoed.sha256, sha256(PNG_A));
  assert.equal(echoed.size, PNG_A.length);
  await checkInput(job, "image", sha256(PNG_A));
  const roles = await checkFiles(job);
  assert.equal(roles.filter((r) => r === "result").length, 1, `one result file (${roles})`);
  assert.ok(roles.filter((r) => r === "alternate").length >= 2, `the jpg and webp alternates are shown (${roles})`);
});

test("counters, no page errors, screenshot", async () => {
  const requests = await num(page.locator("#request-count"), "data-count");
  assert.ok(requests > 0, "the request counter counted");
  const mockStats = await (await fetch(`${base}/__mock/stats`)).json();
  assert.ok(requests <= mockStats.requests, `the page's count (${requests}) is within what the mock saw (${mockStats.requests})`);
  assert.ok((await num(page.locator("#push-count"), "data-count")) > 0, "pushed updates were counted");
  assert.equal(await num(page.locator("#job-count"), "data-count"), 9);
  assert.equal(await num(page.locator("#active-count"), "data-count"), 0);
  const statuses = await page.$$eval("#jobs li.job", (lis) => lis.map((li) => `${li.dataset.provider}:${li.dataset.status}`));
  assert.deepEqual(statuses, [
    "deapi:FINISHED",
    "socaity:FINISHED",
    "deapi:FINISHED",
    "socaity:CANCELLED",
    "socaity:FINISHED",
    "optexity:FAILED",
    "serika:FINISHED",
    "optexity:FINISHED",
    "socaity:FINISHED",
  ]);
  // The picture shows a file job: the form with the chosen PNG's thumbnail, the newest job (deAPI
  // img2img) with its input thumbnail and its output files.
  assert.equal(await page.locator('#drop-zone[data-state="chosen"]').isVisible(), true);
  assert.equal(await page.locator("#jobs li.job").first().locator(".input-box").isVisible(), true);
  assert.ok((await num(page.locator("#jobs li.job").first(), "data-files")) >= 3);
  // Let the last image decode and the animations settle before the picture.
  await page.evaluate(() => Promise.all([...document.images].map((i) => (i.complete ? null : new Promise((r) => { i.onload = i.onerror = r; })))));
  const broken = await page.$$eval("img[src]", (imgs) => imgs.filter((i) => i.naturalWidth === 0).map((i) => `${i.className}: ${i.getAttribute("src").slice(0, 80)}`));
  assert.deepEqual(broken, [], "every picture on the page decoded");
  await page.mouse.move(0, 0);
  await sleep(400);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, "demo.png"), fullPage: true });
  assert.ok(statSync(join(shots, "demo.png")).size > 10_000);
  assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  assert.deepEqual(consoleErrors, [], "no console errors");
});
