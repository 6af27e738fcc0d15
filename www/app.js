// polyjob demo page: submit jobs to any of the four providers through one JobClient API and watch
// them live. Plain ES module, no framework, no build step. Loads the wasm package from ./pkg/web/.
//
// By default every provider points at the mock server on this origin (`${location.origin}/<provider>`,
// key "test-key") and the chosen mock scenario is sent as `input.mock`. The "Advanced" area takes a real
// API key and base URL; the mock scenario is then left out.
//
// Channels. deAPI jobs are followed over realtime (the Pusher WebSocket; on the mock at
// ws://<this origin>/deapi-ws, client id 1001) with `job.preview` shown as it arrives; a Socaity job
// with "Stream the output" is read with `client.stream(id)` (SSE chunks shown as they arrive) while
// its status is polled; everything else is polled. Which channel delivered each update is *inferred*
// here, not reported by the library: the page wraps `fetch` (counting each job's requests by kind)
// and the WebSocket constructor (seeing each realtime frame); an update that follows a status
// response is "poll", one that follows a socket event for the job with no status response is
// "realtime", a stream chunk is "stream".
//
// Files. deAPI's image tasks (img2img, img-upscale, img-rmbg, img2video) and Socaity take an input
// file: chosen with the file input, dropped onto the drop zone or pasted, it goes into
// `SubmitRequest.input` as the `File` itself (the library sends such a submit as multipart/form-data).
// The page hashes the bytes it sends (SHA-256) and shows the hash on the job, next to what the mock
// says it received (`result.received`). Every output file of a job (`job.files`: result, alternate
// formats, previews, downloads, screenshots) is listed with its role: images as <img>, anything else
// as a download link. A file that comes inline (`data`, base64) is turned into a Blob with the
// library's `loadFile` and shown from an object URL; a file with a `url` is linked as it is.
//
// Stable hooks for browser tests: #provider, #submit, #scenario, #duration, #api-key, #base-url,
// #socaity-stream, #deapi-realtime, #deapi-client-id, #deapi-task, #file-input,
// #drop-zone[data-state], #file-thumb[data-loaded], #file-info[data-sha256], #file-field,
// #socaity-file-result, #request-count[data-count], #push-count[data-count],
// #form-error[data-code], body[data-ready="true"] once the wasm is loaded,
// and per job `li.job[data-provider][data-status][data-job-id][data-mode][data-updates]
// [data-previews][data-chunks][data-files]` with .status, .progress[data-value], .cancel, img.result /
// pre.result, img.preview, .stream-output .chunk, .via-count[data-via][data-count],
// .updates li[data-via], .requests[data-count][data-status-requests], .error[data-code], .elapsed,
// .input-box[data-field][data-sha256] img.input-thumb, .input-received[data-match],
// .files li.file[data-role][data-content-type][data-source][data-loaded] with img.file-image
// (images) or a.file-download (other files).

const PROVIDERS = ["socaity", "optexity", "deapi", "serika"];
const CAPABILITY_NAMES = ["cancel", "list", "webhooks", "realtime", "streaming"];
const CHANNELS = ["submit", "poll", "realtime", "stream", "cancel"];
const DEFAULT_KEY = "test-key";
const MOCK_DEAPI_CLIENT_ID = "1001";
const MAX_UPDATE_DOTS = 48;
/** Longest string shown whole in a job's result (base64 file contents are cut; "raw" keeps them). */
const MAX_RESULT_STRING = 160;

/**
 * deAPI tasks the form knows: the default model, the file field (multipart part) if the task takes
 * an input file, and which of the form's parameters it sends. "other" is any task path typed in.
 */
const DEAPI_TASKS = {
  txt2img: { model: "Flux1schnell", file: null, params: ["prompt", "width", "height", "steps", "seed"] },
  img2img: { model: "Flux_2_Klein_4B_BF16", file: "image", params: ["prompt", "steps", "seed"] },
  "img-upscale": { model: "RealESRGAN_x4", file: "image", params: [] },
  "img-rmbg": { model: "Ben2", file: "image", params: [] },
  img2video: { model: "Ltxv_13B_0_9_8_Distilled_FP8", file: "first_frame_image", params: ["prompt", "width", "height", "steps", "seed", "frames", "fps"] },
  other: { model: null, file: "optional", params: ["task-other", "prompt", "width", "height", "steps", "seed"] },
};
const DEAPI_NUMBERS = ["width", "height", "steps", "seed", "frames", "fps"];
const DEFAULT_FILE_FIELD = "image";

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
  socaityStream: $("#socaity-stream"),
  socaityModel: $("#socaity-model"),
  socaityPrompt: $("#socaity-prompt"),
  deapiRealtime: $("#deapi-realtime"),
  deapiClientId: $("#deapi-client-id"),
  deapiTask: $("#deapi-task"),
  deapiModel: $("#deapi-model"),
  fileFields: $("#file-fields"),
  dropZone: $("#drop-zone"),
  fileInput: $("#file-input"),
  fileThumb: $("#file-thumb"),
  fileIcon: $("#file-icon"),
  fileInfo: $("#file-info"),
  fileClear: $("#file-clear"),
  fileField: $("#file-field"),
  fileFieldNote: $("#file-field-note"),
  fileHint: $("#file-hint"),
  socaityFileResult: $("#socaity-file-result"),
  socaityFileResultField: $("#socaity-file-result-field"),
  submit: $("#submit"),
  submitState: $("#submit-state"),
  formError: $("#form-error"),
  jobs: $("#jobs"),
  jobsEmpty: $("#jobs-empty"),
  clear: $("#clear-jobs"),
  requestCount: $("#request-count"),
  pushCount: $("#push-count"),
  jobCount: $("#job-count"),
  activeCount: $("#active-count"),
  initError: $("#init-error"),
  template: $("#job-template"),
};

// Defaults of the Socaity fields, swapped when "Stream the output" is toggled (only while untouched).
const SOCAITY_DEFAULTS = {
  plain: { model: "flux-schnell", prompt: "a lighthouse on a cliff at dusk, watercolor" },
  stream: { model: "llama-3.1-8b-instruct", prompt: "Say hello to polyjob in one sentence." },
};

/** @type {{JobClient: any, isTerminal: (s: string) => boolean, loadFile?: (f: object, o?: object) => Promise<Blob>}} */
let lib;
/** The input file chosen in the form: { file, url (object URL of the drop zone's thumbnail), hash (Promise of hex SHA-256) }. */
let chosen = null;
/** The deAPI task the form shows now (for swapping an untouched model field to the new task's default). */
let shownTask = "txt2img";
/** What the user typed as the file field for Socaity / a free deAPI task (deAPI's known tasks fix it). */
let freeFileField = DEFAULT_FILE_FIELD;
let requestCount = 0;
let pushCount = 0;
let inFlightSubmits = 0;
let nextKey = 1;
/** key → entry (see addEntry) */
const entries = new Map();

// ---------------------------------------------------------------------------------------------
// Start-up

try {
  const mod = await import("./pkg/web/polyjob.js");
  await mod.default();
  lib = { JobClient: mod.JobClient, isTerminal: mod.isTerminal, loadFile: typeof mod.loadFile === "function" ? mod.loadFile : undefined };
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
  els.socaityStream.addEventListener("change", onStreamToggle);
  els.form.addEventListener("submit", onSubmit);
  els.clear.addEventListener("click", clearFinished);
  els.jobs.addEventListener("click", onJobsClick);
  els.deapiTask.addEventListener("change", onTaskChange);
  setUpFileInput();
  onTaskChange();
  onProviderChange();
  syncScenarioState();
  setInterval(tickElapsed, 200);
  els.submit.disabled = false;
  document.body.dataset.ready = "true";
  // For debugging in the console and for browser tests.
  window.polyjobDemo = {
    lib,
    get requestCount() { return requestCount; },
    get pushCount() { return pushCount; },
    jobs: () => [...entries.values()].map((e) => e.job),
    updates: () => [...entries.values()].map((e) => ({ id: e.job && e.job.id, provider: e.provider, mode: e.mode, updates: e.updates })),
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
  syncFileFields();
  hideFormError();
}

function currentTask() {
  const name = els.deapiTask.value;
  return { name, spec: DEAPI_TASKS[name] || DEAPI_TASKS.other };
}

/** Shows the parameters the chosen deAPI task sends; swaps an untouched model to the task's default. */
function onTaskChange() {
  const { name, spec } = currentTask();
  const before = DEAPI_TASKS[shownTask];
  const model = els.deapiModel.value.trim();
  if (spec.model && (model === "" || (before && model === before.model))) els.deapiModel.value = spec.model;
  shownTask = name;
  const option = els.deapiTask.selectedOptions[0];
  $("#deapi-task-hint").textContent = option ? `${option.dataset.what}${spec.file && spec.file !== "optional" ? ` · sends the file as "${spec.file}"` : ""}` : "";
  for (const el of $$("[data-param]", $('.provider-fields[data-provider="deapi"]'))) {
    const on = spec.params.includes(el.dataset.param);
    el.hidden = !on;
    for (const input of $$("input, textarea, select", el)) input.disabled = !on;
  }
  syncFileFields();
  hideFormError();
}

/**
 * Where the input file goes for the current provider and task: null (no file for this job),
 * else { field, required, fixed } — `fixed` when the task names its field.
 */
function fileTarget() {
  const provider = currentProvider();
  if (provider === "socaity") return { field: null, required: false, fixed: false };
  if (provider !== "deapi") return null;
  const { spec } = currentTask();
  if (!spec.file) return null;
  if (spec.file === "optional") return { field: null, required: false, fixed: false };
  return { field: spec.file, required: true, fixed: true };
}

function syncFileFields() {
  const target = fileTarget();
  const provider = currentProvider();
  els.fileFields.hidden = !target;
  els.fileFields.disabled = !target;
  els.socaityFileResultField.hidden = provider !== "socaity";
  if (!target) return;
  if (target.fixed) {
    if (!els.fileField.readOnly) freeFileField = els.fileField.value.trim() || DEFAULT_FILE_FIELD;
    els.fileField.value = target.field;
    els.fileField.readOnly = true;
  } else if (els.fileField.readOnly) {
    els.fileField.value = freeFileField;
    els.fileField.readOnly = false;
  }
  const { name } = currentTask();
  els.fileFieldNote.textContent = target.fixed ? `(${name} names it)` : "(multipart/form-data part)";
  els.fileHint.textContent = target.required
    ? `${name} needs this file: it is sent as the "${target.field}" part of a multipart/form-data body, the other fields as text parts.`
    : provider === "socaity"
      ? "Optional. With a file the submit goes as multipart/form-data (the other inputs as text parts); without one, as JSON."
      : "Optional for a task typed in: with a file the submit goes as multipart/form-data.";
  els.dropZone.dataset.required = String(target.required);
}

// ---------------------------------------------------------------------------------------------
// Input file: the file input, the drop zone, paste

function setUpFileInput() {
  els.fileInput.addEventListener("change", () => {
    const file = els.fileInput.files && els.fileInput.files[0];
    if (file) setChosenFile(file, "input");
    else clearChosenFile();
  });
  els.fileClear.addEventListener("click", clearChosenFile);
  const zone = els.dropZone;
  const hasFiles = (ev) => !!ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
  const over = (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "copy";
    zone.dataset.drag = "over";
  };
  zone.addEventListener("dragenter", over);
  zone.addEventListener("dragover", over);
  zone.addEventListener("dragleave", (ev) => {
    if (!zone.contains(ev.relatedTarget)) delete zone.dataset.drag;
  });
  zone.addEventListener("drop", (ev) => {
    delete zone.dataset.drag;
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.stopPropagation();
    const file = ev.dataTransfer.files[0];
    if (file) setChosenFile(file, "drop");
  });
  // A file dropped beside the zone must not make the browser leave the page; while the file field
  // is shown, a drop anywhere on the form counts as a drop on the zone.
  window.addEventListener("dragover", (ev) => {
    if (hasFiles(ev)) ev.preventDefault();
  });
  window.addEventListener("drop", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    const file = ev.dataTransfer.files[0];
    if (file && !els.fileFields.hidden && els.form.contains(ev.target)) setChosenFile(file, "drop");
  });
  document.addEventListener("paste", (ev) => {
    const file = ev.clipboardData && ev.clipboardData.files && ev.clipboardData.files[0];
    if (!file || els.fileFields.hidden) return;
    ev.preventDefault();
    setChosenFile(file, "paste");
  });
}

function setChosenFile(file, how) {
  if (how !== "input") {
    // Keep the file input in step with a dropped or pasted file (what a form would submit).
    try {
      const dt = new DataTransfer();
      dt.items.add(file);
      els.fileInput.files = dt.files;
    } catch {
      /* an old browser: the file is still used */
    }
  }
  if (chosen) URL.revokeObjectURL(chosen.url);
  const url = URL.createObjectURL(file);
  chosen = { file, url, how, hash: sha256Hex(file) };
  const zone = els.dropZone;
  zone.dataset.state = "chosen";
  zone.dataset.how = how;
  els.fileClear.hidden = false;
  const thumb = els.fileThumb;
  thumb.hidden = true;
  els.fileIcon.hidden = false;
  els.fileIcon.textContent = extensionOf(file.name, file.type) || "file";
  delete thumb.dataset.loaded;
  thumb.onload = () => {
    if (!chosen || chosen.url !== url) return;
    thumb.hidden = false;
    els.fileIcon.hidden = true;
    thumb.dataset.loaded = "true";
    renderChosenInfo();
  };
  thumb.onerror = () => {
    if (!chosen || chosen.url !== url) return;
    thumb.dataset.loaded = "error";
    renderChosenInfo();
  };
  thumb.alt = `Thumbnail of ${file.name || "the chosen file"}`;
  if (looksLikeImage(file.type, file.name)) thumb.src = url;
  else thumb.removeAttribute("src");
  renderChosenInfo();
  chosen.hash.then(() => renderChosenInfo(), () => {});
  hideFormError();
}

function clearChosenFile() {
  if (chosen) URL.revokeObjectURL(chosen.url);
  chosen = null;
  els.fileInput.value = "";
  els.dropZone.dataset.state = "empty";
  delete els.dropZone.dataset.how;
  els.fileClear.hidden = true;
  els.fileThumb.hidden = true;
  els.fileThumb.removeAttribute("src");
  delete els.fileThumb.dataset.loaded;
  els.fileIcon.hidden = false;
  els.fileIcon.textContent = "⤓";
  els.fileInfo.textContent = "";
  delete els.fileInfo.dataset.sha256;
}

function renderChosenInfo() {
  if (!chosen) return;
  const { file } = chosen;
  const thumb = els.fileThumb;
  const parts = [file.name || "(unnamed)", file.type || "unknown type", formatBytes(file.size)];
  if (thumb.dataset.loaded === "true") parts.push(`${thumb.naturalWidth}×${thumb.naturalHeight}`);
  const name = document.createElement("span");
  name.className = "file-info-main";
  name.textContent = parts.join(" · ");
  const hash = document.createElement("span");
  hash.className = "file-info-hash";
  const hex = chosen.hashHex;
  hash.textContent = hex ? `sha256 ${hex.slice(0, 16)}…` : chosen.hashError ? "" : "hashing…";
  if (hex) {
    hash.title = `SHA-256 ${hex}`;
    els.fileInfo.dataset.sha256 = hex;
  }
  els.fileInfo.replaceChildren(name, hash);
}

/** Hex SHA-256 of a Blob (null where WebCrypto is missing, e.g. a page on plain http from another host). */
function sha256Hex(blob) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  const p = subtle
    ? blob.arrayBuffer().then((buf) => subtle.digest("SHA-256", buf)).then((d) => [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join(""))
    : Promise.resolve(null);
  return p.then(
    (hex) => {
      if (chosen && chosen.file === blob) chosen.hashHex = hex;
      return hex;
    },
    () => {
      if (chosen && chosen.file === blob) chosen.hashError = true;
      return null;
    },
  );
}

function onStreamToggle() {
  const [from, to] = els.socaityStream.checked
    ? [SOCAITY_DEFAULTS.plain, SOCAITY_DEFAULTS.stream]
    : [SOCAITY_DEFAULTS.stream, SOCAITY_DEFAULTS.plain];
  if (els.socaityModel.value.trim() === from.model) els.socaityModel.value = to.model;
  if (els.socaityPrompt.value.trim() === from.prompt) els.socaityPrompt.value = to.prompt;
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

/**
 * Builds the submit request for the selected provider from the form, and says which input file it
 * carries (`upload`: { file, field } or null). Throws a plain Error on bad input.
 */
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
  let upload = null;
  const target = fileTarget();
  if (target) {
    const field = target.fixed ? target.field : els.fileField.value.trim();
    if (target.required && !chosen) {
      const err = new Error(`${currentTask().name} needs an input image (the "${field}" field): drop one on the drop zone or choose a file.`);
      err.code = "INPUT";
      throw err;
    }
    if (chosen) {
      if (!field) throw new Error("Name the field the file is sent as.");
      upload = { file: chosen.file, field };
    }
  }
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
      const { name, spec } = currentTask();
      const task = name === "other" ? val("deapi-task-other").replace(/^\/+|\/+$/g, "") : name;
      if (!task) throw new Error("Type the deAPI task path (e.g. txt2audio).");
      const input = {};
      if (spec.params.includes("prompt")) input.prompt = val("deapi-prompt");
      input.model = val("deapi-model");
      for (const k of DEAPI_NUMBERS) {
        if (!spec.params.includes(k)) continue;
        const n = num(`deapi-${k}`);
        if (n !== undefined) input[k] = n;
      }
      req = { task, input };
      break;
    }
    case "serika":
      req = { model: val("serika-model"), input: { prompt: val("serika-prompt") } };
      break;
    default:
      throw new Error(`unknown provider ${provider}`);
  }
  // The File itself goes into the input: the library recognises it and sends multipart/form-data.
  if (upload) req.input[upload.field] = upload.file;
  if (usingMock()) {
    const raw = Number(els.duration.value);
    const duration = Number.isFinite(raw) && raw >= 0 ? Math.trunc(raw) : 3000;
    const mock = { outcome: els.scenario.value, duration_ms: duration, queue_ms: 400 };
    if (provider === "socaity" && els.socaityStream.checked) {
      // 8 OpenAI chat.completion.chunk objects (the mock's default), spread over the duration;
      // "Fail" breaks the stream with an error frame half way.
      mock.stream = { interval_ms: Math.max(50, Math.round(duration / 8)) };
      if (mock.outcome === "failed") mock.stream.fail_after = 4;
    }
    if (provider === "socaity" && els.socaityFileResult.value) mock.file_result = els.socaityFileResult.value;
    req.input.mock = mock;
  }
  return { req, upload };
}

/** How a new job will be followed: "stream" (Socaity SSE + status polls), "realtime" (deAPI), "poll". */
function plannedMode(provider) {
  if (provider === "socaity" && els.socaityStream.checked) return "stream";
  if (provider === "deapi" && els.deapiRealtime.checked && realtimeClientId() && "WebSocket" in globalThis) return "realtime";
  return "poll";
}

function realtimeClientId() {
  const typed = els.deapiClientId.value.trim();
  if (typed) return typed;
  return usingMock() ? MOCK_DEAPI_CLIENT_ID : "";
}

/** Which kind of request this is, for the per-job counts (and the channel inference). */
function requestKind(input, init, submitted) {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : (input && input.url) || "";
  const method = String((init && init.method) || (input && input.method) || "GET").toUpperCase();
  if (url.includes("/broadcasting/auth")) return "auth";
  if (/\/stream\/[^/]+$/.test(url.split("?")[0])) return "stream";
  if (method === "DELETE" || url.includes("/cancel/")) return "cancel";
  return submitted ? "status" : "submit";
}

/**
 * A client for one job, so that its requests (and its realtime socket) can be counted on their
 * own. `tracker` collects what happens before the job's entry exists (the submit).
 */
function makeClient(provider, mode, tracker) {
  const countingFetch = (input, init) => {
    const kind = requestKind(input, init, tracker.submitted);
    requestCount += 1;
    tracker.requests[kind] = (tracker.requests[kind] || 0) + 1;
    renderCounters();
    if (tracker.entry) renderRequests(tracker.entry);
    const sent = globalThis.fetch(input, init);
    if (kind === "status") {
      // A status answer is in: the next update (if any) came from it.
      sent.then(() => noteSource(tracker, "poll"), () => {});
    }
    return sent;
  };
  const poll = Number(els.pollInterval.value);
  const opts = {
    provider,
    apiKey: els.apiKey.value || DEFAULT_KEY,
    baseUrl: els.baseUrl.value.trim() || defaultBaseUrl(provider),
    fetch: countingFetch,
  };
  if (Number.isFinite(poll) && poll > 0) opts.pollIntervalMs = poll;
  if (mode === "realtime") {
    opts.realtime = { clientId: realtimeClientId(), WebSocket: observedWebSocket(tracker) };
    if (usingMock()) opts.realtime.wsUrl = location.origin.replace(/^http/, "ws") + "/deapi-ws";
  }
  return new lib.JobClient(opts);
}

/**
 * The global WebSocket, but every frame is seen by the page first (listeners registered in the
 * constructor run before the library's `onmessage`), so realtime events can be told apart from
 * polls. The library still does all the protocol work.
 */
function observedWebSocket(tracker) {
  const Base = globalThis.WebSocket;
  return class ObservedWebSocket extends Base {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (ev) => onSocketFrame(tracker, ev.data));
    }
  };
}

function onSocketFrame(tracker, data) {
  let frame;
  try {
    frame = JSON.parse(String(data));
  } catch {
    return;
  }
  if (!frame || typeof frame.event !== "string" || frame.event.startsWith("pusher")) return;
  let payload = frame.data;
  if (typeof payload === "string") {
    try {
      payload = JSON.parse(payload);
    } catch {
      return;
    }
  }
  const id = payload && (payload.request_id || payload.job_request_id);
  if (!tracker.submitted || !tracker.entry || !tracker.entry.job || id !== tracker.entry.job.id) return;
  tracker.socketEvents += 1;
  const word = String(payload.status || "").toLowerCase();
  if (word === "done" || word === "error" || word === "failed") tracker.realtimeEnd = true;
  noteSource(tracker, "realtime");
}

/** Records that a channel just delivered something for the job (newest wins). */
function noteSource(tracker, source) {
  tracker.pending[source] = (tracker.pending[source] || 0) + 1;
  tracker.last = source;
}

/** Which channel brought the update being applied now; resets the pending marks. */
function takeSource(tracker, job) {
  const { pending } = tracker;
  let via;
  if (isTerminal(job.status) && tracker.realtimeEnd && pending.realtime !== undefined) via = "realtime";
  else if (pending.poll && pending.realtime) via = tracker.last;
  else if (pending.realtime) via = "realtime";
  else if (pending.poll) via = "poll";
  else via = tracker.last || "poll";
  tracker.pending = {};
  return via;
}

async function onSubmit(ev) {
  ev.preventDefault();
  hideFormError();
  const provider = currentProvider();
  const mode = plannedMode(provider);
  const tracker = { entry: null, submitted: false, requests: {}, pending: {}, last: null, socketEvents: 0, realtimeEnd: false };
  let client;
  let req;
  let upload;
  try {
    ({ req, upload } = buildRequest(provider));
    client = makeClient(provider, mode, tracker);
  } catch (err) {
    showFormError(err, provider);
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
  tracker.submitted = true;
  const sent = upload && chosen && chosen.file === upload.file ? { ...upload, hash: chosen.hash } : upload && { ...upload, hash: sha256Hex(upload.file) };
  const entry = addEntry(provider, client, job, startedAt, controller, mode, tracker, sent);
  if (!isTerminal(job.status)) {
    if (mode === "stream") followStream(entry);
    follow(entry);
  }
}

function follow(entry) {
  // Realtime: "auto" (the socket, with a slow safety poll; the end is confirmed by one status
  // request). Stream jobs: their status is polled while the chunks come over SSE.
  const via = entry.mode === "realtime" ? "auto" : "poll";
  entry.client
    .wait(entry.job.id, {
      signal: entry.controller.signal,
      via,
      onUpdate: (job) => updateEntry(entry, job, takeSource(entry.tracker, job)),
    })
    .then((job) => updateEntry(entry, job, takeSource(entry.tracker, job)))
    .catch((err) => {
      if (err && err.code === "ABORTED") return;
      showEntryError(entry, err);
    });
}

async function followStream(entry) {
  const box = $(".stream-box", entry.el);
  box.hidden = false;
  box.dataset.state = "open";
  entry.streamController = new AbortController();
  try {
    const stream = entry.client.stream(entry.job.id, { signal: entry.streamController.signal });
    for await (const chunk of stream) appendChunk(entry, chunk);
    box.dataset.state = "done";
  } catch (err) {
    if (err && err.code === "ABORTED") {
      box.dataset.state = "closed";
      return;
    }
    box.dataset.state = "error";
    showStreamError(entry, err);
  }
}

function chunkText(chunk) {
  if (typeof chunk === "string") return chunk;
  const get = (o, k) => (o instanceof Map ? o.get(k) : o && o[k]);
  const choice = Array.isArray(get(chunk, "choices")) ? get(chunk, "choices")[0] : null;
  const content = get(get(choice, "delta"), "content") ?? get(choice, "text");
  if (typeof content === "string") return content;
  const text = get(chunk, "text") ?? get(chunk, "content");
  if (typeof text === "string") return text;
  return pretty(chunk).replace(/\s+/g, " ");
}

function appendChunk(entry, chunk) {
  const out = $(".stream-output", entry.el);
  const span = document.createElement("span");
  span.className = "chunk";
  span.dataset.index = String(entry.chunks);
  span.textContent = chunkText(chunk);
  out.append(span);
  entry.chunks += 1;
  entry.el.dataset.chunks = String(entry.chunks);
  $(".chunk-count", entry.el).textContent = `${entry.chunks} chunk${entry.chunks === 1 ? "" : "s"}`;
  recordUpdate(entry, "stream", `chunk ${entry.chunks}: ${span.textContent}`);
}

function showStreamError(entry, err) {
  const code = (err && err.code) || "ERROR";
  const out = $(".stream-output", entry.el);
  const note = document.createElement("span");
  note.className = "stream-error";
  note.dataset.code = code;
  note.append(Object.assign(document.createElement("code"), { textContent: code }), ` ${err && err.message ? err.message : err}`);
  out.append(note);
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

function addEntry(provider, client, job, startedAt, controller, mode, tracker, upload) {
  const el = els.template.content.firstElementChild.cloneNode(true);
  const key = String(nextKey++);
  el.dataset.key = key;
  el.dataset.provider = provider;
  el.dataset.mode = mode;
  el.dataset.previews = "0";
  el.dataset.chunks = "0";
  $(".provider-tag", el).textContent = provider;
  $(".provider-tag", el).dataset.provider = provider;
  const modeTag = $(".mode", el);
  modeTag.textContent = mode === "realtime" ? "realtime" : mode === "stream" ? "stream + poll" : "poll";
  modeTag.dataset.mode = mode;
  const entry = {
    key, provider, client, caps: safeCaps(client), job: null, el, startedAt, endedAt: null, controller, mode, tracker,
    updates: [], viaCounts: {}, previews: 0, lastPreview: null, chunks: 0, streamController: null,
    upload: null, filesKey: "", filesGen: 0, fileUrls: [],
  };
  el.dataset.files = "0";
  tracker.entry = entry;
  entries.set(key, entry);
  if (upload) renderInput(entry, upload);
  els.jobs.prepend(el);
  updateEntry(entry, job, "submit");
  renderRequests(entry);
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

function sameState(a, b) {
  return a && b && a.status === b.status && a.progress === b.progress && (a.preview ?? null) === (b.preview ?? null)
    && a.resultUrl === b.resultUrl && filesKey(a) === filesKey(b);
}

function updateEntry(entry, job, via) {
  if (!job) return;
  // A late answer (e.g. the wait resolving after a cancel already landed) must not move a terminal job back.
  if (entry.job && isTerminal(entry.job.status) && !isTerminal(job.status)) return;
  // The wait's own resolution repeats its last update; a cancel answer and the wait can both report the end.
  if (sameState(entry.job, job)) {
    entry.job = job;
    return;
  }
  entry.job = job;
  const { el } = entry;
  const status = job.status || "UNKNOWN";
  el.dataset.status = status;
  el.dataset.jobId = job.id;
  el.classList.toggle("is-terminal", isTerminal(status));

  $(".job-id", el).textContent = job.id || "(sync)";
  $(".job-id", el).title = `Job id ${job.id}`;
  const badge = $(".status", el);
  badge.textContent = status;
  badge.dataset.status = status;

  renderProgress(entry);

  if (isTerminal(status) && entry.endedAt === null) {
    entry.endedAt = performance.now();
    if (entry.streamController && status !== "FINISHED" && status !== "FAILED") entry.streamController.abort();
  }
  renderElapsed(entry);

  // Error
  const errBox = $(".error", el);
  if (job.error) {
    errBox.hidden = false;
    errBox.dataset.code = job.error.code || status;
    $(".error-code", el).textContent = job.error.code || status;
    $(".error-message", el).textContent = job.error.message;
  } else if (!errBox.dataset.local) {
    errBox.hidden = true;
  }

  renderPreview(entry);
  renderResult(entry);
  renderFiles(entry);
  renderReceived(entry);

  // Cancel button
  const cancel = $(".cancel", el);
  const canCancel = !!entry.caps.cancel && !isTerminal(status) && !!job.id;
  cancel.disabled = !canCancel || cancel.dataset.pending === "true";
  cancel.title = entry.caps.cancel
    ? isTerminal(status) ? "The job has ended" : "Cancel this job"
    : `${entry.provider} offers no cancel`;

  $(".raw-json", el).textContent = pretty(job.raw);
  const pct = typeof job.progress === "number" ? ` ${Math.round(job.progress * 100)}%` : "";
  const confirmed = via === "realtime" && isTerminal(status) ? " (announced over realtime, confirmed by one status request)" : "";
  recordUpdate(entry, via, `${status}${pct}${job.preview ? " + preview" : ""}${confirmed}`);
  renderCounters();
}

/** Adds one update to the job's channel strip (a dot per update, a count per channel). */
function recordUpdate(entry, via, what) {
  const at = performance.now() - entry.startedAt;
  entry.updates.push({ via, what, at: Math.round(at) });
  entry.viaCounts[via] = (entry.viaCounts[via] || 0) + 1;
  if (via === "realtime" || via === "stream") {
    pushCount += 1;
  }
  const { el } = entry;
  el.dataset.updates = String(entry.updates.length);
  el.dataset.lastVia = via;
  const dots = $(".updates", el);
  const dot = document.createElement("li");
  dot.className = `u via-${via}`;
  dot.dataset.via = via;
  dot.title = `+${formatDuration(at)} · ${via} · ${what}`;
  dots.append(dot);
  while (dots.children.length > MAX_UPDATE_DOTS) dots.firstElementChild.remove();
  $(".via-counts", el).replaceChildren(
    ...CHANNELS.filter((c) => entry.viaCounts[c]).map((c) => {
      const chip = document.createElement("span");
      chip.className = `via via-${c} via-count`;
      chip.dataset.via = c;
      chip.dataset.count = String(entry.viaCounts[c]);
      chip.textContent = `${c} ${entry.viaCounts[c]}`;
      return chip;
    }),
  );
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
    text.textContent = isTerminal(job.status)
      ? ""
      : job.status === "PROCESSING" || job.status === "STREAMING" ? "working…" : "waiting…";
  } else {
    const pct = Math.round(p * 100);
    bar.setAttribute("aria-valuenow", String(pct));
    fill.style.width = `${pct}%`;
    text.textContent = `${pct}%`;
  }
}

/** A preview is a URL, a data URL, or bare base64 (PNG/JPEG/WebP: the browser sniffs the bytes). */
function previewSrc(preview) {
  if (typeof preview !== "string" || !preview) return null;
  const p = preview.trim();
  if (/^(data:|https?:|blob:|\/)/i.test(p)) return p;
  if (/^[A-Za-z0-9+/=\s_-]+$/.test(p)) {
    const mime = p.startsWith("/9j/") ? "image/jpeg" : p.startsWith("UklGR") ? "image/webp" : "image/png";
    return `data:${mime};base64,${p.replace(/\s+/g, "")}`;
  }
  return null;
}

function renderPreview(entry) {
  const { el, job } = entry;
  const src = previewSrc(job.preview);
  if (!src || src === entry.lastPreview) return;
  // Keep the last preview shown: deAPI sends one on some progress steps only.
  entry.lastPreview = src;
  entry.previews += 1;
  el.dataset.previews = String(entry.previews);
  const fig = $(".preview-box", el);
  fig.hidden = false;
  const img = $("img.preview", el);
  img.src = src;
  img.alt = `Live preview ${entry.previews} of ${entry.provider} job ${job.id}`;
  $(".preview-caption", el).textContent = `live preview · ${entry.previews} received`;
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

/** The content type of the job's result URL: from its entry in `job.files`, else from the URL. */
function resultUrlType(job, url) {
  const file = jobFiles(job).find((f) => get(f, "url") === url);
  const reported = file && get(file, "contentType");
  return typeof reported === "string" && reported ? reported : guessType(file && get(file, "fileName"), url, null);
}

function renderResult(entry) {
  const { el, job } = entry;
  const box = $(".result-box", el);
  const url = resultImageUrl(job);
  const type = url ? resultUrlType(job, url) : null;
  // A result URL that is a picture (or of unknown type, as before files had types) is shown as one;
  // any other file (Optexity's first download, a CSV) is a link under the result JSON.
  if (url && (!type || /^image\//i.test(type))) {
    let img = $("img.result", box);
    if (!img || img.getAttribute("src") !== url) {
      img = document.createElement("img");
      img.className = "result";
      img.alt = `Result of ${entry.provider} job ${job.id}`;
      img.decoding = "async";
      img.src = url;
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "result-link";
      link.title = url;
      link.append(img);
      box.replaceChildren(link);
    }
    return;
  }
  const nodes = [];
  if (job.result !== null && job.result !== undefined) {
    const pre = $("pre.result", box) || Object.assign(document.createElement("pre"), { className: "result" });
    pre.textContent = typeof job.result === "string" ? shorten(job.result, 4000) : pretty(job.result, MAX_RESULT_STRING);
    nodes.push(pre);
  }
  if (url) {
    const link = $("a.result-url", box) || Object.assign(document.createElement("a"), { className: "result-url", target: "_blank", rel: "noopener" });
    link.href = url;
    link.title = url;
    link.textContent = `resultUrl: ${fileNameFromUrl(url) || url}${type ? ` (${type})` : ""}`;
    nodes.push(link);
  }
  if (nodes.length !== box.children.length || nodes.some((n, i) => box.children[i] !== n)) box.replaceChildren(...nodes);
}

// ---------------------------------------------------------------------------------------------
// Files: the input a job was sent with, and every output file of `job.files`

/** Reads a member of a plain object or a Map (what the package hands over for provider JSON). */
function get(o, k) {
  if (o instanceof Map) return o.get(k);
  return o && typeof o === "object" ? o[k] : undefined;
}

function extensionOf(name, type) {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(name || "");
  if (m) return m[1].toLowerCase();
  const t = /^[a-z]+\/([a-z0-9.+-]+)/i.exec(type || "");
  return t ? t[1].replace(/^x-|\+.*$/g, "").slice(0, 5).toLowerCase() : "";
}

const IMAGE_EXT = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", svg: "image/svg+xml", avif: "image/avif", bmp: "image/bmp" };
const OTHER_EXT = { mp4: "video/mp4", webm: "video/webm", mp3: "audio/mpeg", wav: "audio/wav", csv: "text/csv", json: "application/json", txt: "text/plain", pdf: "application/pdf", html: "text/html", zip: "application/zip" };

function looksLikeImage(type, name) {
  if (type) return /^image\//i.test(type);
  return extensionOf(name) in IMAGE_EXT;
}

/** A content type for a file the provider sent without one: from its name or URL, else from its bytes. */
function guessType(fileName, url, data) {
  for (const name of [fileName, url && String(url).split(/[?#]/)[0]]) {
    const dataUri = /^data:([^;,]+)[;,]/i.exec(name || "");
    if (dataUri) return dataUri[1].toLowerCase();
    const ext = extensionOf(name);
    if (ext && (IMAGE_EXT[ext] || OTHER_EXT[ext])) return IMAGE_EXT[ext] || OTHER_EXT[ext];
  }
  if (typeof data === "string") {
    if (data.startsWith("iVBORw0KGgo")) return "image/png";
    if (data.startsWith("/9j/")) return "image/jpeg";
    if (data.startsWith("UklGR")) return "image/webp";
    if (data.startsWith("R0lGOD")) return "image/gif";
  }
  return null;
}

function fileNameFromUrl(url) {
  if (typeof url !== "string" || url.startsWith("data:")) return null;
  try {
    const last = new URL(url, location.href).pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

function base64Size(data) {
  const clean = data.replace(/\s+/g, "");
  const pad = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - pad;
}

function jobFiles(job) {
  const files = get(job, "files");
  return Array.isArray(files) ? files : [];
}

/** Identity of a job's file list, to redraw it only when it changes. */
function filesKey(job) {
  return jobFiles(job)
    .map((f) => {
      const data = get(f, "data");
      const d = typeof data === "string" ? `${data.length}:${data.slice(0, 24)}:${data.slice(-24)}` : "";
      return [get(f, "role"), get(f, "url"), d, get(f, "contentType"), get(f, "fileName")].join("|");
    })
    .join("\n");
}

/** The job's input file: a thumbnail (or the file's kind), its field, size and SHA-256. */
function renderInput(entry, upload) {
  const { el } = entry;
  const box = $(".input-box", el);
  const url = URL.createObjectURL(upload.file);
  entry.upload = { ...upload, url, hex: null };
  box.hidden = false;
  box.dataset.field = upload.field;
  const img = $("img.input-thumb", box);
  const link = $(".input-link", box);
  link.href = url;
  link.title = `Open the input file ${upload.file.name || ""}`.trim();
  if (looksLikeImage(upload.file.type, upload.file.name)) {
    img.src = url;
    img.alt = `Input file ${upload.file.name || ""} sent as ${upload.field}`.trim();
  } else {
    img.replaceWith(Object.assign(document.createElement("span"), { className: "input-thumb file-kind", textContent: extensionOf(upload.file.name, upload.file.type) || "file" }));
  }
  $(".input-caption", box).textContent = `${upload.field} · ${upload.file.name || "(unnamed)"} · ${formatBytes(upload.file.size)}`;
  upload.hash.then((hex) => {
    if (!hex || !entries.has(entry.key)) return;
    entry.upload.hex = hex;
    box.dataset.sha256 = hex;
    const h = $(".input-hash", box);
    h.textContent = `sha256 ${hex.slice(0, 12)}…`;
    h.title = `SHA-256 of the bytes sent: ${hex}`;
    renderReceived(entry);
  });
}

/**
 * What the server says it received: the mock echoes every uploaded part in `result.received`
 * ({name, file_name, content_type, size, sha256}); shown next to the input, matched against the
 * hash of the bytes this page sent.
 */
function renderReceived(entry) {
  const { upload, job } = entry;
  if (!upload || !job) return;
  const received = get(job.result, "received");
  if (!Array.isArray(received) || received.length === 0) return;
  const part = received.find((p) => get(p, "name") === upload.field) || received[0];
  const out = $(".input-received", entry.el);
  const hex = get(part, "sha256");
  const match = upload.hex && typeof hex === "string" ? hex.toLowerCase() === upload.hex : null;
  out.hidden = false;
  out.dataset.match = match === null ? "unknown" : String(match);
  out.dataset.sha256 = typeof hex === "string" ? hex : "";
  const size = get(part, "size");
  out.textContent = `received as "${get(part, "name")}" · ${formatBytes(size)}${match === true ? " · same SHA-256 ✓" : match === false ? " · different SHA-256 ✗" : ""}`;
  out.title = `The server's record of the part: ${pretty(part).replace(/\s+/g, " ")}`;
}

/** Lists every output file of the job with its role: images as <img>, other files as download links. */
function renderFiles(entry) {
  const { el, job } = entry;
  const key = filesKey(job);
  if (key === entry.filesKey) return;
  entry.filesKey = key;
  entry.filesGen += 1;
  const gen = entry.filesGen;
  for (const url of entry.fileUrls) URL.revokeObjectURL(url);
  entry.fileUrls = [];
  const files = jobFiles(job);
  const box = $(".files-box", el);
  el.dataset.files = String(files.length);
  box.hidden = files.length === 0;
  $(".files-count", box).textContent = files.length ? `${files.length} · ${[...new Set(files.map((f) => get(f, "role") || "file"))].join(", ")}` : "";
  $(".files", box).replaceChildren(...files.map((f, i) => fileItem(entry, f, i, gen)));
}

function fileItem(entry, f, index, gen) {
  const role = String(get(f, "role") || "file");
  const url = typeof get(f, "url") === "string" && get(f, "url") ? get(f, "url") : null;
  const data = typeof get(f, "data") === "string" && get(f, "data") ? get(f, "data") : null;
  const reported = typeof get(f, "contentType") === "string" && get(f, "contentType") ? get(f, "contentType") : null;
  const type = reported || guessType(get(f, "fileName"), url, data);
  const name = get(f, "fileName") || fileNameFromUrl(url) || `${role}-${index + 1}${type && extensionOf("", type) ? `.${extensionOf("", type)}` : ""}`;
  const image = !!type && /^image\//i.test(type);

  const li = document.createElement("li");
  li.className = `file role-${role.replace(/[^a-z0-9-]/gi, "")}`;
  li.dataset.role = role;
  li.dataset.contentType = type || "";
  li.dataset.contentTypeFrom = reported ? "provider" : type ? "guessed" : "none";
  li.dataset.index = String(index);
  li.dataset.source = url ? "url" : data ? "data" : "none";
  li.dataset.loaded = "pending";

  const visual = document.createElement("div");
  visual.className = "file-visual";
  const meta = document.createElement("div");
  meta.className = "file-meta";
  const chip = Object.assign(document.createElement("span"), { className: `tag tag-role role-${role}`, textContent: role });
  const title = Object.assign(document.createElement("span"), { className: "file-name", textContent: name, title: name });
  const details = Object.assign(document.createElement("span"), { className: "file-details" });
  const source = Object.assign(document.createElement("span"), { className: "file-source" });
  const sizeOf = (n) => (typeof n === "number" ? formatBytes(n) : "");
  const describe = (extra) => {
    details.textContent = [type || "unknown type", ...extra].filter(Boolean).join(" · ");
  };
  describe([data ? sizeOf(base64Size(data)) : ""]);
  source.textContent = url ? (url.startsWith("data:") ? "inline data: URI" : "by URL") : data ? `inline base64 → ${lib.loadFile ? "loadFile" : "data: URL"}` : "no content";
  if (url && !url.startsWith("data:")) source.title = url;
  const head = document.createElement("div");
  head.className = "file-head";
  head.append(chip, title);
  meta.append(head, details, source);
  li.append(visual, meta);

  const show = (src) => {
    if (gen !== entry.filesGen) return;
    if (image) {
      const img = document.createElement("img");
      img.className = "file-image";
      img.alt = `${role} file ${name} of ${entry.provider} job ${entry.job && entry.job.id}`;
      img.decoding = "async";
      img.onload = () => {
        li.dataset.loaded = "true";
        li.dataset.width = String(img.naturalWidth);
        li.dataset.height = String(img.naturalHeight);
        describe([`${img.naturalWidth}×${img.naturalHeight}`, data ? sizeOf(base64Size(data)) : ""]);
      };
      img.onerror = () => {
        li.dataset.loaded = "error";
        describe(["could not be shown"]);
      };
      img.src = src;
      const open = Object.assign(document.createElement("a"), { className: "file-link", href: src, target: "_blank", rel: "noopener", title: `Open ${name}` });
      open.append(img);
      visual.append(open);
      const save = Object.assign(document.createElement("a"), { className: "file-save", href: src, download: name, textContent: "save" });
      meta.append(save);
    } else {
      visual.append(Object.assign(document.createElement("span"), { className: "file-kind", textContent: extensionOf(name, type) || "file" }));
      const link = Object.assign(document.createElement("a"), { className: "file-download", href: src, download: name, textContent: `Download ${name}` });
      if (url && !url.startsWith("data:")) {
        link.target = "_blank";
        link.rel = "noopener";
      }
      meta.append(link);
      li.dataset.loaded = "true";
    }
  };

  if (url) {
    show(url);
  } else if (data) {
    const fallback = () => `data:${type || "application/octet-stream"};base64,${data.replace(/\s+/g, "")}`;
    if (lib.loadFile) {
      lib.loadFile(f).then(
        (blob) => {
          if (gen !== entry.filesGen) return;
          const objectUrl = URL.createObjectURL(blob);
          entry.fileUrls.push(objectUrl);
          describe([formatBytes(blob.size)]);
          show(objectUrl);
        },
        (err) => {
          li.dataset.loadError = (err && err.code) || "ERROR";
          show(fallback());
        },
      );
    } else {
      show(fallback());
    }
  } else {
    li.dataset.loaded = "none";
    visual.append(Object.assign(document.createElement("span"), { className: "file-kind", textContent: "∅" }));
  }
  return li;
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
  const kinds = entry.tracker.requests;
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  el.textContent = `${total} req`;
  el.dataset.count = String(total);
  el.dataset.statusRequests = String(kinds.status || 0);
  el.title = `HTTP requests for this job: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(" · ") || "none"}`;
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
    .then((job) => {
      entry.tracker.pending = {};
      updateEntry(entry, job, "cancel");
      if (entry.streamController) entry.streamController.abort();
    })
    .catch((err) => showEntryError(entry, err))
    .finally(() => {
      btn.dataset.pending = "false";
      btn.textContent = "Cancel";
      const cancel = $(".cancel", entry.el);
      cancel.disabled = !entry.caps.cancel || !entry.job || isTerminal(entry.job.status);
    });
}

function clearFinished() {
  for (const [key, entry] of entries) {
    if (entry.job && isTerminal(entry.job.status)) {
      for (const url of entry.fileUrls) URL.revokeObjectURL(url);
      if (entry.upload) URL.revokeObjectURL(entry.upload.url);
      entry.filesGen += 1;
      entry.el.remove();
      entries.delete(key);
    }
  }
  renderCounters();
}

function renderCounters() {
  els.requestCount.textContent = String(requestCount);
  els.requestCount.dataset.count = String(requestCount);
  els.pushCount.textContent = String(pushCount);
  els.pushCount.dataset.count = String(pushCount);
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

/** JSON for display; with `maxString`, longer strings (base64 file contents) are cut short. */
function pretty(value, maxString) {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : maxString && typeof v === "string" ? shorten(v, maxString) : v), 2);
  } catch {
    return String(value);
  }
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, Math.max(16, max - 40))}… (${text.length.toLocaleString("en")} chars; "raw" has all)` : text;
}

function formatBytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} m ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
}
