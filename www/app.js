// polyjob demo page: submit jobs to any of the four providers through one JobClient API and watch
// them live. Plain ES module, no framework, no build step. Loads the wasm package from ./pkg/web/.
//
// By default every provider points at the mock server on this origin (`${location.origin}/<provider>`,
// key "test-key") and the chosen mock scenario is sent as `input.mock`. The "Advanced" area takes a real
// API key and base URL; the mock scenario is then left out.
//
// Stable hooks for browser tests: #provider, #submit, #scenario, #duration, #api-key, #base-url,
// #request-count[data-count], #form-error[data-code], body[data-ready="true"] once the wasm is loaded,
// and per job `li.job[data-provider][data-status][data-job-id]` with .status, .progress[data-value],
// .cancel, img.result / pre.result, .error[data-code], .elapsed.

const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
const CAPABILITY_NAMES = ["cancel", "list", "webhooks", "realtime", "streaming"];
const DEFAULT_KEY = "test-key";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const els = {
  form: $("#submit-form"),
  provider: $("#provider"),
  caps: $("#capabilities"),
  scenario: $("#scenario"),
  duration: $("#duration"),
  scenarioFields: $("#scenario-fields"),
  scenarioHint: $("#scenario-hint"),
  apiKey: $("#api-key"),
  baseUrl: $("#base-url"),
  pollInterval: $("#poll-interval"),
  submit: $("#submit"),
  submitState: $("#submit-state"),
  formError: $("#form-error"),
  jobs: $("#jobs"),
  jobsEmpty: $("#jobs-empty"),
  clear: $("#clear-jobs"),
  requestCount: $("#request-count"),
  jobCount: $("#job-count"),
  activeCount: $("#active-count"),
  initError: $("#init-error"),
  template: $("#job-template"),
};

/** @type {{JobClient: any, isTerminal: (s: string) => boolean}} */
let lib;
let requestCount = 0;
let inFlightSubmits = 0;
let nextKey = 1;
/** key → entry {key, provider, client, caps, job, el, startedAt, endedAt, requests, controller} */
const entries = new Map();

// ---------------------------------------------------------------------------------------------
// Start-up

try {
  const mod = await import("./pkg/web/polyjob.js");
  await mod.default();
  lib = { JobClient: mod.JobClient, isTerminal: mod.isTerminal };
} catch (err) {
  els.initError.hidden = false;
  els.initError.textContent =
    `Could not load the polyjob package from ./pkg/web/polyjob.js (${err && err.message ? err.message : err}). ` +
    "Build it with scripts/build.sh and serve this folder with a copy of pkg/ at ./pkg/.";
  document.body.dataset.ready = "error";
}

if (lib) {
  const wanted = new URLSearchParams(location.search).get("provider");
  if (PROVIDERS.includes(wanted)) els.provider.value = wanted;
  els.provider.addEventListener("change", onProviderChange);
  els.baseUrl.addEventListener("input", syncScenarioState);
  els.form.addEventListener("submit", onSubmit);
  els.clear.addEventListener("click", clearFinished);
  els.jobs.addEventListener("click", onJobsClick);
  onProviderChange();
  syncScenarioState();
  setInterval(tickElapsed, 200);
  els.submit.disabled = false;
  document.body.dataset.ready = "true";
  // For debugging in the console and for browser tests.
  window.polyjobDemo = {
    lib,
    get requestCount() { return requestCount; },
    jobs: () => [...entries.values()].map((e) => e.job),
  };
}

// ---------------------------------------------------------------------------------------------
// Form

function currentProvider() {
  return els.provider.value;
}

function onProviderChange() {
  const provider = currentProvider();
  for (const fs of $$(".provider-fields")) {
    const on = fs.dataset.provider === provider;
    fs.hidden = !on;
    fs.disabled = !on;
  }
  els.form.dataset.provider = provider;
  renderCapabilities(provider);
  hideFormError();
}

function renderCapabilities(provider) {
  let caps = null;
  try {
    caps = new lib.JobClient({ provider, apiKey: DEFAULT_KEY, baseUrl: defaultBaseUrl(provider) }).capabilities;
  } catch {
    /* leave empty */
  }
  els.caps.replaceChildren(
    ...CAPABILITY_NAMES.map((name) => {
      const li = document.createElement("li");
      const on = !!(caps && caps[name]);
      li.className = `cap ${on ? "cap-on" : "cap-off"}`;
      li.dataset.capability = name;
      li.dataset.enabled = String(on);
      li.textContent = name;
      li.title = on ? `${name}: supported` : `${name}: not offered by this provider`;
      return li;
    }),
  );
}

function usingMock() {
  return els.baseUrl.value.trim() === "";
}

function syncScenarioState() {
  const mock = usingMock();
  els.scenarioFields.disabled = !mock;
  els.scenarioFields.classList.toggle("is-off", !mock);
  els.scenarioHint.textContent = mock
    ? "Sent as input.mock to the local mock server."
    : "A base URL is set: talking to a real provider, no mock scenario is sent.";
}

function defaultBaseUrl(provider) {
  return `${location.origin}/${provider}`;
}

/** Builds the submit request for the selected provider from the form. Throws a plain Error on bad input. */
function buildRequest(provider) {
  const val = (id) => $(`#${id}`).value.trim();
  const num = (id) => {
    const raw = $(`#${id}`).value.trim();
    if (raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${id} is not a number`);
    return Math.trunc(n);
  };
  let req;
  switch (provider) {
    case "socaity":
      req = { model: val("socaity-model"), input: { prompt: val("socaity-prompt") } };
      break;
    case "optexity": {
      let params;
      try {
        params = JSON.parse(val("optexity-params") || "{}");
      } catch (e) {
        throw new Error(`Input parameters are not valid JSON: ${e.message}`);
      }
      req = { model: val("optexity-endpoint"), input: { input_parameters: params } };
      break;
    }
    case "deapi": {
      const input = { prompt: val("deapi-prompt"), model: val("deapi-model") };
      for (const k of ["width", "height", "steps", "seed"]) {
        const n = num(`deapi-${k}`);
        if (n !== undefined) input[k] = n;
      }
      req = { task: val("deapi-task"), input };
      break;
    }
    case "serika":
      req = { model: val("serika-model"), input: { prompt: val("serika-prompt") } };
      break;
    default:
      throw new Error(`unknown provider ${provider}`);
  }
  if (usingMock()) {
    const duration = Number(els.duration.value);
    req.input.mock = {
      outcome: els.scenario.value,
      duration_ms: Number.isFinite(duration) && duration >= 0 ? Math.trunc(duration) : 3000,
      queue_ms: 400,
    };
  }
  return req;
}

/** A client for one job, so that its requests can be counted on their own. */
function makeClient(provider, entryRef) {
  const countingFetch = (input, init) => {
    requestCount += 1;
    if (entryRef.entry) entryRef.entry.requests += 1;
    else entryRef.early += 1;
    renderCounters();
    if (entryRef.entry) renderRequests(entryRef.entry);
    return globalThis.fetch(input, init);
  };
  const poll = Number(els.pollInterval.value);
  const opts = {
    provider,
    apiKey: els.apiKey.value || DEFAULT_KEY,
    baseUrl: els.baseUrl.value.trim() || defaultBaseUrl(provider),
    fetch: countingFetch,
  };
  if (Number.isFinite(poll) && poll > 0) opts.pollIntervalMs = poll;
  return new lib.JobClient(opts);
}

async function onSubmit(ev) {
  ev.preventDefault();
  hideFormError();
  const provider = currentProvider();
  const entryRef = { entry: null, early: 0 };
  let client;
  let req;
  try {
    req = buildRequest(provider);
    client = makeClient(provider, entryRef);
  } catch (err) {
    showFormError(err);
    return;
  }
  inFlightSubmits += 1;
  renderSubmitState();
  const controller = new AbortController();
  const startedAt = performance.now();
  let job;
  try {
    job = await client.submit(req, { signal: controller.signal });
  } catch (err) {
    showFormError(err, provider);
    return;
  } finally {
    inFlightSubmits -= 1;
    renderSubmitState();
  }
  const entry = addEntry(provider, client, job, startedAt, controller);
  entry.requests = entryRef.early; // the submit (and any retry of it)
  entryRef.entry = entry;
  renderRequests(entry);
  if (!lib.isTerminal(job.status)) follow(entry);
}

function follow(entry) {
  entry.client
    .wait(entry.job.id, {
      signal: entry.controller.signal,
      onUpdate: (job) => updateEntry(entry, job),
    })
    .then((job) => updateEntry(entry, job))
    .catch((err) => {
      if (err && err.code === "ABORTED") return;
      showEntryError(entry, err);
    });
}

function showFormError(err, provider) {
  const code = err && err.code ? err.code : "INPUT";
  els.formError.hidden = false;
  els.formError.dataset.code = code;
  const message = err && err.message ? err.message : String(err);
  const where = provider && !message.toLowerCase().includes(provider) ? `${provider}: ` : "";
  const status = err && typeof err.status === "number" && !message.includes(String(err.status)) ? ` (HTTP ${err.status})` : "";
  els.formError.replaceChildren(
    Object.assign(document.createElement("code"), { textContent: code }),
    document.createTextNode(` ${where}${message}${status}`),
  );
}

function hideFormError() {
  els.formError.hidden = true;
  els.formError.textContent = "";
  delete els.formError.dataset.code;
}

function renderSubmitState() {
  els.submitState.textContent = inFlightSubmits > 0 ? `Submitting${inFlightSubmits > 1 ? ` (${inFlightSubmits})` : ""}…` : "";
  els.submit.setAttribute("aria-busy", String(inFlightSubmits > 0));
}

// ---------------------------------------------------------------------------------------------
// Jobs list

function addEntry(provider, client, job, startedAt, controller) {
  const el = els.template.content.firstElementChild.cloneNode(true);
  const key = String(nextKey++);
  el.dataset.key = key;
  el.dataset.provider = provider;
  $(".provider-tag", el).textContent = provider;
  $(".provider-tag", el).dataset.provider = provider;
  const entry = {
    key, provider, client, caps: safeCaps(client), job: null, el, startedAt, endedAt: null, requests: 0, controller,
  };
  entries.set(key, entry);
  els.jobs.prepend(el);
  updateEntry(entry, job);
  renderCounters();
  return entry;
}

function safeCaps(client) {
  try {
    return client.capabilities || {};
  } catch {
    return {};
  }
}

function isTerminal(status) {
  return lib.isTerminal(status);
}

function updateEntry(entry, job) {
  if (!job) return;
  // A late answer (e.g. the wait resolving after a cancel already landed) must not move a terminal job back.
  if (entry.job && isTerminal(entry.job.status) && !isTerminal(job.status)) return;
  entry.job = job;
  const { el } = entry;
  const status = job.status || "UNKNOWN";
  el.dataset.status = status;
  el.dataset.jobId = job.id;
  el.classList.toggle("is-terminal", isTerminal(status));

  $(".job-id", el).textContent = job.id;
  $(".job-id", el).title = `Job id ${job.id}`;
  const badge = $(".status", el);
  badge.textContent = status;
  badge.dataset.status = status;

  renderProgress(entry);

  if (isTerminal(status) && entry.endedAt === null) entry.endedAt = performance.now();
  renderElapsed(entry);

  // Error
  const errBox = $(".error", el);
  if (job.error) {
    errBox.hidden = false;
    errBox.dataset.code = job.error.code || "";
    $(".error-code", el).textContent = job.error.code || status;
    $(".error-message", el).textContent = job.error.message;
  } else if (!errBox.dataset.local) {
    errBox.hidden = true;
  }

  renderResult(entry);

  // Cancel button
  const cancel = $(".cancel", el);
  const canCancel = !!entry.caps.cancel && !isTerminal(status);
  cancel.disabled = !canCancel || cancel.dataset.pending === "true";
  cancel.title = entry.caps.cancel
    ? isTerminal(status) ? "The job has ended" : "Cancel this job"
    : `${entry.provider} offers no cancel`;

  $(".raw-json", el).textContent = pretty(job.raw);
  renderCounters();
}

function renderProgress(entry) {
  const { el, job } = entry;
  const bar = $(".progress", el);
  const fill = $(".progress-bar", el);
  const text = $(".progress-text", el);
  let p = typeof job.progress === "number" && Number.isFinite(job.progress) ? Math.min(1, Math.max(0, job.progress)) : null;
  if (job.status === "FINISHED") p = 1;
  const indeterminate = p === null && !isTerminal(job.status);
  bar.classList.toggle("indeterminate", indeterminate);
  bar.dataset.value = p === null ? "" : String(p);
  if (p === null) {
    bar.removeAttribute("aria-valuenow");
    fill.style.width = isTerminal(job.status) ? "0%" : "";
    text.textContent = isTerminal(job.status) ? "" : job.status === "PROCESSING" ? "working…" : "waiting…";
  } else {
    const pct = Math.round(p * 100);
    bar.setAttribute("aria-valuenow", String(pct));
    fill.style.width = `${pct}%`;
    text.textContent = `${pct}%`;
  }
}

function resultImageUrl(job) {
  if (typeof job.resultUrl === "string" && job.resultUrl) return job.resultUrl;
  const r = job.result;
  if (r && typeof r === "object") {
    const url = r instanceof Map ? r.get("url") : r.url;
    if (typeof url === "string" && url) return url;
  }
  return null;
}

function renderResult(entry) {
  const { el, job } = entry;
  const box = $(".result-box", el);
  const url = resultImageUrl(job);
  if (url) {
    let img = $("img.result", box);
    if (!img || img.getAttribute("src") !== url) {
      img = document.createElement("img");
      img.className = "result";
      img.alt = `Result of ${entry.provider} job ${job.id}`;
      img.loading = "lazy";
      img.decoding = "async";
      img.src = url;
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "result-link";
      link.append(img);
      box.replaceChildren(link);
    }
    return;
  }
  if (job.result !== null && job.result !== undefined) {
    let pre = $("pre.result", box);
    if (!pre) {
      pre = document.createElement("pre");
      pre.className = "result";
      box.replaceChildren(pre);
    }
    pre.textContent = pretty(job.result);
    return;
  }
  box.replaceChildren();
}

function renderElapsed(entry) {
  const end = entry.endedAt ?? performance.now();
  const el = $(".elapsed", entry.el);
  const ms = Math.max(0, end - entry.startedAt);
  el.textContent = formatDuration(ms);
  el.dataset.ms = String(Math.round(ms));
}

function renderRequests(entry) {
  const el = $(".requests", entry.el);
  el.textContent = `${entry.requests} req`;
  el.dataset.count = String(entry.requests);
}

function tickElapsed() {
  for (const entry of entries.values()) {
    if (entry.endedAt === null) renderElapsed(entry);
  }
}

function showEntryError(entry, err) {
  const errBox = $(".error", entry.el);
  errBox.hidden = false;
  errBox.dataset.local = "true";
  errBox.dataset.code = (err && err.code) || "ERROR";
  $(".error-code", entry.el).textContent = (err && err.code) || "ERROR";
  $(".error-message", entry.el).textContent = err && err.message ? err.message : String(err);
  entry.el.dataset.watchError = (err && err.code) || "ERROR";
}

function onJobsClick(ev) {
  const btn = ev.target.closest(".cancel");
  if (!btn) return;
  const li = btn.closest(".job");
  const entry = li && entries.get(li.dataset.key);
  if (!entry || !entry.job) return;
  btn.disabled = true;
  btn.dataset.pending = "true";
  btn.textContent = "Cancelling…";
  entry.client
    .cancel(entry.job.id)
    .then((job) => updateEntry(entry, job))
    .catch((err) => showEntryError(entry, err))
    .finally(() => {
      btn.dataset.pending = "false";
      btn.textContent = "Cancel";
      if (entry.job) updateEntry(entry, entry.job);
    });
}

function clearFinished() {
  for (const [key, entry] of entries) {
    if (entry.job && isTerminal(entry.job.status)) {
      entry.el.remove();
      entries.delete(key);
    }
  }
  renderCounters();
}

function renderCounters() {
  els.requestCount.textContent = String(requestCount);
  els.requestCount.dataset.count = String(requestCount);
  const total = entries.size;
  const active = [...entries.values()].filter((e) => e.job && !isTerminal(e.job.status)).length;
  els.jobCount.textContent = String(total);
  els.jobCount.dataset.count = String(total);
  els.activeCount.textContent = String(active);
  els.activeCount.dataset.count = String(active);
  els.jobsEmpty.hidden = total > 0;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function pretty(value) {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2);
  } catch {
    return String(value);
  }
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} m ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
}
