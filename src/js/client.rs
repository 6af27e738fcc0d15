//! `JobClient`: the exported class. Each method converts its JS arguments, delegates to the
//! transport [`Engine`], and converts the result (or the error) back. Async methods return
//! promises that never reject with anything but a `PolyjobError`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::{self, capabilities_to_js, job_to_js};
use super::error::{to_js_error, to_js_error_for};
use super::stream::JobStream;
use super::watch::JobWatch;
use crate::core::permits::{DEFAULT_MAX_CONCURRENT_REQUESTS, MAX_CONCURRENT_REQUESTS_LIMIT};
use crate::core::retry::{RetryBudget, RetryPolicy};
use crate::core::schedule::PollPolicy;
use crate::core::{Channel, Error, Job, DEFAULT_REQUEST_TIMEOUT_MS};
use crate::providers::{adapter, ClientConfig};
use crate::transport::to_js;
use crate::transport::{
    Discover, Engine, Gate, PushRegistry, RealtimeHub, Stats, DEFAULT_MAX_RESPONSE_BYTES,
};

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A normalized job status. FINISHED, FAILED, TIMEOUT and CANCELLED are terminal. */
export type JobStatus = "PENDING" | "QUEUED" | "PROCESSING" | "STREAMING" | "FINISHED"
  | "FAILED" | "TIMEOUT" | "CANCELLED" | "UNKNOWN";
/** The statuses after which a job no longer changes (`isTerminal` narrows to these). */
export type TerminalStatus = "FINISHED" | "FAILED" | "TIMEOUT" | "CANCELLED";
/** The providers polyjob speaks to. */
export type ProviderName = "socaity" | "optexity" | "deapi" | "serika";
/** A provider job, normalized. */
export interface Job {
  id: string;
  provider: ProviderName;
  status: JobStatus;
  /** 0..1, or null when the provider reports none. */
  progress: number | null;
  result: unknown | null;
  resultUrl: string | null;
  error: { code: string | null; message: string } | null;
  /** ISO 8601 UTC. */
  createdAt: string | null;
  completedAt: string | null;
  estimatedCompletion: string | null;
  /** A live preview image of an unfinished job (deAPI realtime), or null. */
  preview: string | null;
  /** Every file the provider returned, in one shape (empty when none). */
  files: JobFile[];
  /** What the job costs, where the provider reports it on the job (deAPI v2, USD: null until
   * the job ends, `estimated` until deAPI settles it); null for every other provider. */
  cost: Cost | null;
  /** How this state reached you: the submit's answer, a status request ("poll", also `get` and
   * the confirmation of a pushed end), a cancel or list answer, the realtime socket, a verified
   * webhook, `notify()`, or a Socaity status-stream record ("stream"); null for a job you built. */
  via: JobVia | null;
  /** The provider's last response body, untouched. */
  raw: unknown;
  /** A Socaity service job's service base (`${baseUrl}/services/v1/${service}`): its relative
   * `links` resolve against it. Absent for every other job; keep the Job (not only its id) to
   * wait for, cancel or stream a service job. */
  serviceUrl?: string;
}
/** The channels a job state comes by (`Job.via`). */
export type JobVia = "submit" | "poll" | "cancel" | "list" | "realtime" | "webhook" | "notify" | "stream";
/** What a file is to its job. */
export type FileRole = "result" | "alternate" | "preview" | "download" | "screenshot";
/** One file of a job: a URL to download, or its bytes inline as base64. `loadFile` reads either. */
export interface JobFile {
  role: FileRole;
  /** Where to download it, when the provider gave a URL. */
  url: string | null;
  /** The bytes as base64, when the provider sent them inline (a data: URI is split). */
  data: string | null;
  /** The provider's, else from the URL's extension or the data: URI. */
  contentType: string | null;
  fileName: string | null;
}
/** A file in a submit's `input`: sent as a multipart upload (deAPI, Socaity). A `File`'s name and
 * a `Blob`'s type are used; bytes get their field's name and a type sniffed from their first bytes. */
export type FileInput = Blob | ArrayBuffer | ArrayBufferView;
/** What a submit's input may hold, at any depth: JSON values (a Date becomes its ISO text, an
 * object with `toJSON` its JSON form) and files (an array of files is a list of files). Anything
 * else (a function, a BigInt, NaN, a Map, a class instance, a cycle) rejects `CONFIG` naming its
 * path, and nothing is sent. */
export type InputValue = string | number | boolean | null | undefined | Date | FileInput
  | readonly InputValue[] | { [key: string]: InputValue } | { toJSON(key?: string): unknown };
export interface LoadFileOptions {
  signal?: AbortSignal;
  /** Default: the global fetch. No API key is ever sent to a file URL. */
  fetch?: typeof fetch;
}
/** Options of `new JobClient(...)`. */
export interface JobClientOptions<P extends ProviderName = ProviderName> {
  provider: P;
  apiKey?: string;
  /** Defaults to the provider's documented URL. http(s) only. */
  baseUrl?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Never poll more often than this (ms). */
  pollIntervalMs?: number;
  /** Never wait longer than this between polls (ms). */
  maxPollIntervalMs?: number;
  /** Per-request timeout (ms, default 60000). */
  requestTimeoutMs?: number;
  /** Retries per call for transient failures (default 3). */
  maxRetries?: number;
  /** Requests this client has in flight at most (default 32); the others wait their turn, in
   * order. Applies to every call and every wait's polls; streams and the realtime socket are
   * not counted. */
  maxConcurrentRequests?: number;
  /** The largest response body read (bytes, default 67108864 = 64 MiB); a larger one rejects
   * `TOO_LARGE`. */
  maxResponseBytes?: number;
  /** deAPI realtime (Pusher protocol): live progress and previews over a WebSocket. */
  realtime?: RealtimeOptions;
  /** deAPI's API version (default "v1"). With "v2" a request's `task` is a v2 resource path
   * (`"images/generations"`, `"images/edits"`, `"audio/speech"`, ...), submitted to
   * `/api/v2/{task}` and polled at `/api/v2/jobs/{id}`; jobs report their `cost`, and `estimate`,
   * `balance`, `models` use the v2 routes. Other providers: `CONFIG`. */
  apiVersion?: P extends "deapi" ? "v1" | "v2" : never;
}
export interface RealtimeOptions {
  /** Your deAPI client id: updates arrive on `private-client.{clientId}`. */
  clientId: string;
  /** App key (default "depin-api-prod-key"). */
  key?: string;
  /** Default "wss://soketi.deapi.ai:443". */
  wsUrl?: string;
  /** Default `${baseUrl}/broadcasting/auth`. */
  authUrl?: string;
  /** A WebSocket constructor, where the runtime has no global one (Node < 22: `ws`). */
  WebSocket?: new (url: string, protocols?: string | string[]) => unknown;
}
/** What to run, for any provider: Socaity, Optexity and Serika need `model`; deAPI needs `task`.
 * A client's own methods take the narrower `SubmitRequestFor<P>` of its provider. */
export interface SubmitRequest {
  model?: string;
  task?: string;
  /** Socaity services: the service and its endpoint (`{ service: "face2face", endpoint: "swap" }`)
   * post to `${baseUrl}/services/v1/${service}/${endpoint}`: the input as a multipart form when it
   * holds files, else URL-encoded form fields (nested values as their JSON text). Instead of
   * `model`; `CONFIG` on other providers. */
  service?: string;
  endpoint?: string;
  /** Socaity services: send the input as JSON, for an endpoint that declares a JSON schema. */
  jsonBody?: boolean;
  /** The model's parameters (`InputValue`s; typed `unknown` so interface-typed values fit).
   * Files (`FileInput`) are sent as multipart uploads: anywhere for deAPI (Laravel bracket
   * names), as top-level fields or top-level lists for Socaity; Optexity and Serika take none
   * (`CONFIG`). */
  input: Record<string, unknown>;
  /** Where the provider reports the job (deAPI `webhook_url`, Optexity `task_callback_url`);
   * Socaity and Serika have no webhooks (`UNSUPPORTED`). */
  webhookUrl?: string;
  /** The key the provider sends back with each delivery, for `verifyWebhook` to check: Optexity
   * `task_callback_api_key` (returned in `x-api-key`), deAPI `webhook_secret` (the job's own
   * signing secret, 32–255 characters). Sent in the body only. */
  webhookSecret?: string;
  /** Sent as `Idempotency-Key`; makes a submit safe to retry after a network failure. */
  idempotencyKey?: string;
}
/** A deAPI request: the task path (`"txt2img"`, `"img2img"`, ...); `model` goes in the body. */
export interface DeapiSubmitRequest extends SubmitRequest { task: string }
/** A Socaity, Optexity or Serika request: the model (Optexity: the endpoint name). */
export interface ModelSubmitRequest extends SubmitRequest { model: string; task?: undefined }
/** A Socaity service request: the service and its endpoint, no model. */
export interface ServiceSubmitRequest extends SubmitRequest { service: string; endpoint: string; model?: undefined; task?: undefined }
/** The request a client of provider `P` takes; a client whose provider is only known as
 * `ProviderName` takes any `SubmitRequest` (checked at run time: `CONFIG`). */
export type SubmitRequestFor<P extends ProviderName> = [ProviderName] extends [P] ? SubmitRequest
  : P extends "deapi" ? DeapiSubmitRequest
  : P extends "socaity" ? ModelSubmitRequest | ServiceSubmitRequest : ModelSubmitRequest;
export interface CallOptions { signal?: AbortSignal; via?: Via }
/** How a wait learns about the job: "auto" (default) uses the best channel the provider and
 * options allow (deAPI realtime) with a slow safety poll; "poll" only polls. */
export type Via = "auto" | "poll" | "realtime" | "stream";
export interface WaitOptions {
  signal?: AbortSignal;
  via?: Via;
  timeoutMs?: number;
  /** Called once per change of status or progress. */
  onUpdate?: (job: Job) => void;
}
/** Counters of what a client has sent, and of waits that lost their push channel (a realtime
 * socket dropped or refused) and fell back to polling. */
export interface ClientStats { requests: number; retries: number; retriesDenied: number; fallbacks: number }
/** What a provider offers; `files`: it takes file inputs (multipart uploads). */
export interface Capabilities {
  cancel: boolean; list: boolean; webhooks: boolean; realtime: boolean; streaming: boolean;
  estimate: boolean; balance: boolean; models: boolean; files: boolean;
  /** Job states pushed to a wait without a webhook receiver: deAPI realtime (when configured),
   * Socaity's status stream (a job whose state offers `links.stream`). */
  push: boolean;
}
/** A sum of money: `currency` an ISO 4217 code where the provider states one (deAPI: "USD"). */
export interface Amount { amount: number; currency: string | null }
/** A job's cost as the provider reports it; `estimated` until the provider has settled it. */
export interface Cost { amount: number; currency: string | null; estimated: boolean }
/** One model of a provider's catalogue: `id` is what a request's `model` takes; `tasks` the
 * tasks it runs in the provider's words (deAPI's inference types; empty where not said). */
export interface Model {
  id: string; name: string | null; tasks: string[]; provider: ProviderName; raw: unknown;
}
export interface ModelsOptions {
  signal?: AbortSignal;
  /** Only models for this task: deAPI's inference type, or a submit task (`"videos/replace"`, a v2
   * resource such as `"images/edits"`). */
  task?: string;
}
export type ErrorCode = "CONFIG" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "VALIDATION"
  | "RATE_LIMITED" | "UNAVAILABLE" | "SERVER" | "NETWORK" | "TIMEOUT" | "ABORTED"
  | "UNSUPPORTED" | "BAD_RESPONSE" | "JOB_FAILED" | "CONFLICT" | "WEBHOOK_SIGNATURE"
  | "WEBHOOK_EXPIRED" | "TOO_LARGE";
/** Every rejection and throw from polyjob is a `PolyjobError`: `err instanceof PolyjobError`
 * narrows it, `err.code` says what kind, the message what to fix. */
export class PolyjobError extends Error {
  constructor(message: string, fields?: { code?: ErrorCode; status?: number | null; provider?: ProviderName | null;
    retryable?: boolean; attempts?: number; retryAfterMs?: number; job?: Job; cause?: unknown });
  readonly name: "PolyjobError";
  code: ErrorCode;
  /** The HTTP status, when the failure was an HTTP answer. */
  status: number | null;
  provider: ProviderName | null;
  /** Whether the same call may succeed if made again. */
  retryable: boolean;
  /** HTTP attempts made for the failing call (0 when nothing was sent). */
  attempts: number;
  /** The provider's advised delay before a retry (`Retry-After`), in ms. */
  retryAfterMs?: number;
  /** The job, for `JOB_FAILED` (and a wait's `TIMEOUT`/`ABORTED` when its state is known). */
  job?: Job;
  /** What caused it: the host's network error, the abort signal's reason. */
  cause?: unknown;
}
"#;

/// A client for one provider. Construct with `new JobClient({ provider, apiKey, ... })`; bad
/// options throw a `PolyjobError` with code `CONFIG`. In TypeScript the class is generic over
/// its provider (`JobClient<"deapi">`), so a request missing what that provider needs (deAPI's
/// `task`, the others' `model`) does not compile.
///
/// `free()` (or `using client = new JobClient(...)`, i.e. `[Symbol.dispose]()`) releases the
/// client's wasm memory at once; calls still running keep what they need and finish. Calling
/// it is optional: garbage collection releases an unreachable client too.
#[wasm_bindgen]
pub struct JobClient {
    engine: Rc<Engine>,
}

fn reject(err: Error) -> JsValue {
    to_js_error(&err)
}

/// Calls `on_update(job)` when set; a throwing callback does not break the wait.
fn notify(on_update: Option<Function>) -> impl Fn(&Job) + 'static {
    move |job: &Job| {
        if let Some(f) = &on_update {
            let _ = f.call1(&JsValue::UNDEFINED, &job_to_js(job));
        }
    }
}

/// A promise of `job`'s outcome: the JS `Job`, or the JS error (an abort's with `signal`'s
/// reason as its cause).
fn job_promise(
    job: impl Future<Output = Result<Job, Error>> + 'static,
    signal: Option<AbortSignal>,
) -> Promise {
    super::promise(JobToJs(job, signal))
}

/// A job future with its outcome converted to JS values. A struct rather than an async block:
/// a block that awaits a future it captured keeps room for it twice (the captured value and
/// the one being awaited), and for a wait that is ~450 bytes more in every pending call.
struct JobToJs<F>(F, Option<AbortSignal>);

impl<F: Future<Output = Result<Job, Error>>> Future for JobToJs<F> {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning: the future is never moved out of a pinned `JobToJs`, and
        // the signal is only read.
        let this = unsafe { self.get_unchecked_mut() };
        let job = unsafe { Pin::new_unchecked(&mut this.0) };
        let signal = this.1.as_ref();
        job.poll(cx).map(|outcome| {
            outcome
                .map(|job| job_to_js(&job))
                .map_err(|e| to_js_error_for(&e, signal))
        })
    }
}

#[wasm_bindgen]
impl JobClient {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "JobClientOptions<P>")] options: JsValue,
    ) -> Result<JobClient, JsValue> {
        Self::build(&options).map_err(reject)
    }

    fn build(options: &JsValue) -> Result<JobClient, Error> {
        if !options.is_object() {
            return Err(Error::config(
                "options must be an object { provider, apiKey?, ... }",
            ));
        }
        let provider = convert::provider(options)?;
        let api_key = convert::opt_string(options, "apiKey")?;
        let base_url = convert::opt_string(options, "baseUrl")?;
        let headers = convert::headers(options)?;
        let cfg = ClientConfig::new(provider, api_key, base_url.as_deref(), headers)?;
        let cfg = convert::api_version(options, cfg)?;
        let realtime_cfg = convert::realtime(options, provider, &cfg.base_url)?;
        let fetch_fn = match convert::opt_function(options, "fetch")? {
            Some(f) => f,
            None => Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    Error::config("this runtime has no global fetch; pass options.fetch")
                })?,
        };
        let min = convert::opt_number(options, "pollIntervalMs", 1.0)?;
        let max = convert::opt_number(options, "maxPollIntervalMs", 1.0)?;
        let poll = PollPolicy::for_provider(provider).with_bounds(min, max);
        let request_timeout_ms = convert::opt_number(options, "requestTimeoutMs", 1.0)?
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS);
        let max_response_bytes = match convert::opt_number(options, "maxResponseBytes", 1.0)? {
            Some(n) if n.fract() != 0.0 || n > MAX_SAFE_INTEGER => {
                return Err(Error::config(
                    "maxResponseBytes must be a positive integer (bytes)",
                ));
            }
            Some(n) => n,
            None => DEFAULT_MAX_RESPONSE_BYTES,
        };
        let mut retry = RetryPolicy::default();
        if let Some(n) = convert::opt_number(options, "maxRetries", 0.0)? {
            if n.fract() != 0.0 || n > 100.0 {
                return Err(Error::config("maxRetries must be an integer from 0 to 100"));
            }
            retry.max_retries = n as u32;
        }
        let max_concurrent = match convert::opt_number(options, "maxConcurrentRequests", 1.0)? {
            Some(n) if n.fract() != 0.0 || n > f64::from(MAX_CONCURRENT_REQUESTS_LIMIT) => {
                return Err(Error::config(
                    "maxConcurrentRequests must be an integer from 1 to 10000",
                ));
            }
            Some(n) => n as u32,
            None => DEFAULT_MAX_CONCURRENT_REQUESTS,
        };
        let push = Rc::new(PushRegistry::default());
        let realtime = realtime_cfg.map(|rc| {
            RealtimeHub::new(
                rc,
                cfg.request_headers.clone(),
                fetch_fn.clone(),
                push.clone(),
            )
        });
        Ok(JobClient {
            engine: Rc::new(Engine {
                cfg,
                fetch_fn,
                poll: Rc::new(poll),
                retry,
                request_timeout_ms,
                max_response_bytes,
                budget: RefCell::new(RetryBudget::default()),
                stats: Cell::new(Stats::default()),
                push,
                realtime,
                gate: Gate::new(max_concurrent),
            }),
        })
    }

    /// The provider this client talks to.
    #[wasm_bindgen(getter, unchecked_return_type = "P")]
    pub fn provider(&self) -> String {
        self.engine.cfg.provider.as_str().to_string()
    }

    /// The base URL requests go to.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.engine.cfg.base_url.clone()
    }

    /// What the provider offers: `{ cancel, list, webhooks, realtime, streaming, estimate,
    /// balance, models, files }`.
    #[wasm_bindgen(getter, unchecked_return_type = "Capabilities")]
    pub fn capabilities(&self) -> JsValue {
        capabilities_to_js(adapter(self.engine.cfg.provider).capabilities())
    }

    /// What this client has sent so far: `{ requests, retries, retriesDenied, fallbacks }`
    /// (retries the policy wanted but the per-client retry budget refused; waits that lost their
    /// push channel and fell back to polling).
    #[wasm_bindgen(getter, unchecked_return_type = "ClientStats")]
    pub fn stats(&self) -> JsValue {
        let s = self.engine.stats.get();
        let o = js_sys::Object::new();
        let set = |k: &str, v: u64| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_f64(v as f64));
        };
        set("requests", s.requests);
        set("retries", s.retries);
        set("retriesDenied", s.retries_denied);
        set("fallbacks", s.fallbacks);
        o.into()
    }

    /// Feeds a job update received out of band — e.g. from your webhook receiver through
    /// `verifyWebhook` — to this client's waits on that job. Returns how many waits received it.
    /// A terminal update ends those waits (confirmed by one status request).
    pub fn notify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Job")] job: JsValue,
    ) -> Result<u32, JsValue> {
        let mut job = convert::job_from_js(&job).map_err(reject)?;
        if job.provider != self.engine.cfg.provider {
            return Err(reject(Error::config(
                "notify: the job is from another provider",
            )));
        }
        // A verified webhook's job says so; anything else came by notify().
        if job.via != Some(Channel::Webhook) {
            job.via = Some(Channel::Notify);
        }
        Ok(self.engine.push.deliver(&job) as u32)
    }

    /// Submits a job; resolves with its first state.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn submit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SubmitRequestFor<P>")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        // Converted now, not in the future: the input is read as it is at the call (bytes the
        // caller changes afterwards are not what gets sent).
        let (req, files, opts) = match (
            convert::submit_request(&request),
            convert::call_options(&options),
        ) {
            (Ok((req, files)), Ok(opts)) => (req, files, opts),
            (Err(e), _) | (_, Err(e)) => return Promise::reject(&reject(e)),
        };
        let engine = self.engine.clone();
        super::promise_at_call(async move {
            let job = engine
                .submit(&req, &files, opts.signal.as_ref())
                .await
                .map_err(|e| to_js_error_for(&e, opts.signal.as_ref()))?;
            Ok(job_to_js(&job))
        })
    }

    /// Reads a job's current state once: by id, or from a Job (whose links it follows: a Socaity
    /// service job needs its Job).
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Job")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let engine = self.engine.clone();
        super::promise(async move {
            let (id, known) = convert::job_target(&target, engine.cfg.provider).map_err(reject)?;
            let opts = convert::call_options(&options).map_err(reject)?;
            let job = engine
                .get(&id, known.as_ref(), opts.signal.as_ref())
                .await
                .map_err(|e| to_js_error_for(&e, opts.signal.as_ref()))?;
            Ok(job_to_js(&job))
        })
    }

    /// Cancels a job, by id or Job (as [`JobClient::get`]). Rejects `UNSUPPORTED` (sending
    /// nothing) where the provider has no cancel.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn cancel(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Job")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let engine = self.engine.clone();
        super::promise_at_call(async move {
            let (id, known) = convert::job_target(&target, engine.cfg.provider).map_err(reject)?;
            let opts = convert::call_options(&options).map_err(reject)?;
            let job = engine
                .cancel(&id, known.as_ref(), opts.signal.as_ref())
                .await
                .map_err(|e| to_js_error_for(&e, opts.signal.as_ref()))?;
            Ok(job_to_js(&job))
        })
    }

    /// Lists recent jobs. Rejects `UNSUPPORTED` (sending nothing) where the provider has no list.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job[]>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let engine = self.engine.clone();
        super::promise_at_call(async move {
            let opts = convert::call_options(&options).map_err(reject)?;
            let jobs = engine
                .list(opts.signal.as_ref())
                .await
                .map_err(|e| to_js_error_for(&e, opts.signal.as_ref()))?;
            let out = Array::new();
            for job in &jobs {
                out.push(&job_to_js(job));
            }
            Ok(out.into())
        })
    }

    /// What `request` would cost, asked with the submit's very body (files too); nothing runs.
    /// Rejects `UNSUPPORTED` (sending nothing) where the provider has no price call.
    #[wasm_bindgen(unchecked_return_type = "Promise<Amount>")]
    pub fn estimate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SubmitRequestFor<P>")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        // Converted now, as a submit's: the input as it is at the call.
        match convert::submit_request(&request) {
            Ok((req, files)) => self.discover(Discover::Estimate(req, files), &options),
            Err(e) => Promise::reject(&reject(e)),
        }
    }

    /// The account's balance. Rejects `UNSUPPORTED` (sending nothing) where the provider has
    /// none.
    #[wasm_bindgen(unchecked_return_type = "Promise<Amount>")]
    pub fn balance(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.discover(Discover::Balance, &options)
    }

    /// The provider's model catalogue, every page of it; `task` keeps the models for that task.
    /// Rejects `UNSUPPORTED` (sending nothing) where the provider has none.
    #[wasm_bindgen(unchecked_return_type = "Promise<Model[]>")]
    pub fn models(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ModelsOptions")] options: JsValue,
    ) -> Promise {
        match convert::task_option(&options) {
            Ok(task) => self.discover(Discover::Models(task), &options),
            Err(e) => Promise::reject(&reject(e)),
        }
    }

    /// Polls until the job is terminal and resolves with it, whatever its status. Takes a job
    /// id or a `Job` (a terminal one resolves at once, with no request). Calls `onUpdate` once
    /// per change. Rejects `TIMEOUT` after `timeoutMs`, `ABORTED` on the signal.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Job")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        // Converted before the future, which then keeps neither JS argument nor a copy.
        let provider = self.engine.cfg.provider;
        let ((id, known), options) = match (
            convert::job_target(&target, provider),
            convert::call_options(&options),
        ) {
            (Ok(target), Ok(options)) => (target, options),
            (Err(e), _) | (_, Err(e)) => return Promise::reject(&reject(e)),
        };
        let on_update = notify(options.on_update);
        if let Some(job) = known.as_ref().filter(|j| j.is_terminal()) {
            on_update(job);
            return Promise::resolve(&job_to_js(job));
        }
        let signal = options.signal.clone();
        match self.engine.wait(
            id.into(),
            known.map(Box::new),
            options.signal,
            options.timeout_ms,
            on_update,
            options.via,
        ) {
            Ok(waiting) => job_promise(waiting, signal),
            Err(e) => Promise::reject(&reject(e)),
        }
    }

    /// Submits and waits. Resolves only a FINISHED job; another terminal status rejects
    /// `JOB_FAILED` with `.job`. Aborting cancels the remote job where the provider can.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn run(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SubmitRequestFor<P>")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        // Converted before the future, which then keeps neither JS argument nor a copy.
        let (req, options) = match (
            convert::submit_request(&request),
            convert::call_options(&options),
        ) {
            (Ok(req), Ok(options)) => (req, options),
            (Err(e), _) | (_, Err(e)) => return Promise::reject(&reject(e)),
        };
        let (req, files) = req;
        let signal = options.signal.clone();
        job_promise(
            self.engine.clone().run(
                req,
                files,
                options.signal,
                options.timeout_ms,
                notify(options.on_update),
                options.via,
            ),
            signal,
        )
    }

    /// An async iterator over a Socaity job's output stream (SSE, read with the Authorization
    /// header): each chunk as parsed JSON or a string, ending at `[DONE]` (the gateway's
    /// `event: job` status records are not chunks: a wait reads those). Pass a job id, a Job (a
    /// service job needs its Job: its links lead to the stream), or a submit request to submit
    /// and stream its answer (direct SSE when the endpoint answers so).
    /// Rejects `UNSUPPORTED` for providers without streams, `CONFLICT` (409) when the job does
    /// not stream, `NOT_FOUND` (404), `JOB_FAILED` on an error frame.
    #[wasm_bindgen(unchecked_return_type = "JobStream & AsyncIterable<unknown>")]
    pub fn stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Job | SubmitRequestFor<P>")]
        target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        if !adapter(self.engine.cfg.provider).capabilities().streaming {
            return Err(reject(Error::unsupported(
                self.engine.cfg.provider,
                "stream",
            )));
        }
        let opts = convert::call_options(&options).map_err(reject)?;
        // A request has an `input`; a Job (as polyjob gave it) has a `status` and no input.
        let is_job = target.is_object()
            && js_sys::Reflect::has(&target, &"status".into()).unwrap_or(false)
            && !js_sys::Reflect::has(&target, &"input".into()).unwrap_or(false);
        let target = if target.is_string() || is_job {
            Ok(convert::job_target(&target, self.engine.cfg.provider).map_err(reject)?)
        } else {
            Err(convert::submit_request(&target).map_err(reject)?)
        };
        Ok(JobStream::new(self.engine.clone(), target, opts.signal))
    }

    /// An async iterator over the job's changes, ending after the terminal state:
    /// `for await (const job of client.watch(id)) { ... }`. Takes a job id or a `Job` (its state
    /// is the first yielded; a terminal one ends the watch with no request).
    #[wasm_bindgen(unchecked_return_type = "JobWatch & AsyncIterable<Job>")]
    pub fn watch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Job")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (id, known) = convert::job_target(&target, self.engine.cfg.provider).map_err(reject)?;
        let opts = convert::call_options(&options).map_err(reject)?;
        let lease = if known.as_ref().is_some_and(Job::is_terminal) {
            None
        } else {
            self.engine.push_lease(opts.via).map_err(reject)?
        };
        Ok(JobWatch::new(
            self.engine.clone(),
            id,
            known,
            opts.signal,
            lease,
        ))
    }
}

impl JobClient {
    /// `estimate`, `balance` and `models`: one promise over [`Engine::discover`].
    fn discover(&self, what: Discover, options: &JsValue) -> Promise {
        let opts = match convert::call_options(options) {
            Ok(opts) => opts,
            Err(e) => return Promise::reject(&reject(e)),
        };
        let engine = self.engine.clone();
        super::promise_at_call(async move {
            let value = engine
                .discover(&what, opts.signal.as_ref())
                .await
                .map_err(|e| to_js_error_for(&e, opts.signal.as_ref()))?;
            Ok(to_js(&value))
        })
    }
}
