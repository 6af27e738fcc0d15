//! Conversions between JS values and the core types: client options, call options, submit
//! requests, and [`Job`] → the JS `Job` object. Invalid input becomes a `CONFIG` error; nothing
//! here throws or panics on user values.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::core::files::{job_file_from_json, write_files_json};
use crate::core::form::display_path;
use crate::core::{
    Channel, Cost, Error, FilePath, Job, JobError, JobStatus, Json, PathSeg, Provider, Raw,
};
use crate::providers::{ApiVersion, Capabilities, ClientConfig, SubmitRequest};
use crate::transport::RealtimeConfig;
use crate::transport::{from_js, Via};

fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

fn config_err(field: &str, expected: &str) -> Error {
    let mut m = String::from(field);
    m.push_str(" must be ");
    m.push_str(expected);
    Error::config(m)
}

/// An optional string field.
pub(crate) fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| config_err(key, "a string"))
}

/// An optional boolean field.
pub(crate) fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| config_err(key, "a boolean"))
}

/// An optional finite number field, at least `min`.
pub(crate) fn opt_number(obj: &JsValue, key: &str, min: f64) -> Result<Option<f64>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= min => Ok(Some(n)),
        _ => Err(config_err(
            key,
            if min > 0.0 {
                "a positive finite number"
            } else {
                "a finite number >= 0"
            },
        )),
    }
}

/// An optional function field.
pub(crate) fn opt_function(obj: &JsValue, key: &str) -> Result<Option<Function>, Error> {
    let v = get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|_| config_err(key, "a function"))
}

/// The provider named in the options.
pub(crate) fn provider(options: &JsValue) -> Result<Provider, Error> {
    let name = opt_string(options, "provider")?;
    name.as_deref()
        .and_then(Provider::from_name)
        .ok_or_else(|| {
            config_err(
                "provider",
                "one of \"socaity\", \"optexity\", \"deapi\", \"serika\"",
            )
        })
}

/// The `apiVersion` option (deAPI: `"v1"`, the default, or `"v2"`) applied to `cfg`; `CONFIG`
/// on another provider, whatever its value, or for any other value.
pub(crate) fn api_version(options: &JsValue, cfg: ClientConfig) -> Result<ClientConfig, Error> {
    let v = get(options, "apiVersion");
    if absent(&v) {
        return Ok(cfg);
    }
    let version = match v.as_string().as_deref().and_then(ApiVersion::from_name) {
        Some(version) => version,
        // Another provider's message first: no value would do there.
        None if cfg.provider != Provider::Deapi => ApiVersion::V1,
        None => {
            return Err(config_err(
                "apiVersion",
                "\"v1\" or \"v2\" (deAPI's API version)",
            ))
        }
    };
    cfg.with_api_version(version)
}

/// The `realtime` option (deAPI): `{ clientId, key?, wsUrl?, authUrl?, WebSocket? }`.
/// `Ok(None)` when absent; `CONFIG` when no `WebSocket` constructor is given or global (never a
/// silent fallback to polling).
pub(crate) fn realtime(
    options: &JsValue,
    provider: Provider,
    base_url: &str,
) -> Result<Option<RealtimeConfig>, Error> {
    let v = get(options, "realtime");
    if absent(&v) {
        return Ok(None);
    }
    if provider != Provider::Deapi {
        return Err(config_err("realtime", "used with provider \"deapi\" only"));
    }
    if !v.is_object() {
        return Err(config_err(
            "realtime",
            "an object { clientId, key?, wsUrl?, authUrl?, WebSocket? }",
        ));
    }
    let client_id = opt_string(&v, "clientId")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            config_err(
                "realtime.clientId",
                "your deAPI client id (a non-empty string)",
            )
        })?;
    let mut ws_url = opt_string(&v, "wsUrl")?.unwrap_or_else(|| "wss://soketi.deapi.ai:443".into());
    if !(ws_url.starts_with("wss://") || ws_url.starts_with("ws://")) {
        return Err(config_err("realtime.wsUrl", "a ws:// or wss:// URL"));
    }
    let mut key = opt_string(&v, "key")?;
    // The full form `wss://host/app/KEY` is accepted: its base is used, and its key must agree
    // with `realtime.key` (or becomes it).
    if let Some((base, url_key)) = crate::core::pusher::PusherConnection::split_app_url(&ws_url) {
        match &key {
            Some(k) if k != url_key => {
                return Err(Error::config(
                    "realtime.wsUrl names another app key than realtime.key: give the socket server's base URL (wss://host[:port][/path], without /app/KEY) and the key in realtime.key",
                ))
            }
            _ => key = Some(url_key.to_string()),
        }
        ws_url = base.to_string();
    }
    let auth_url = match opt_string(&v, "authUrl")? {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => u,
        Some(_) => return Err(config_err("realtime.authUrl", "an http(s) URL")),
        None => crate::providers::join_url(base_url, "/broadcasting/auth"),
    };
    let ctor = match opt_function(&v, "WebSocket")? {
        Some(f) => f,
        None => match Reflect::get(&js_sys::global(), &JsValue::from_str("WebSocket"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            Some(f) => f,
            None => {
                return Err(Error::config(
                    "realtime needs a WebSocket, and this runtime has no global one: pass realtime.WebSocket (e.g. the ws package's constructor), or on Node 20 run with --experimental-websocket",
                ))
            }
        },
    };
    Ok(Some(RealtimeConfig {
        key: key.unwrap_or_else(|| "depin-api-prod-key".into()),
        ws_url,
        auth_url,
        client_id,
        ws_ctor: ctor,
    }))
}

/// `headers`: a record of strings.
pub(crate) fn headers(options: &JsValue) -> Result<Vec<(String, String)>, Error> {
    let v = get(options, "headers");
    if absent(&v) {
        return Ok(Vec::new());
    }
    if !v.is_object() {
        return Err(config_err("headers", "an object of strings"));
    }
    let mut out = Vec::new();
    for entry in Object::entries(v.unchecked_ref::<Object>()).iter() {
        let pair: Array = entry.unchecked_into();
        let (k, val) = (pair.get(0).as_string(), pair.get(1).as_string());
        match (k, val) {
            (Some(k), Some(val)) => out.push((k, val)),
            _ => return Err(config_err("headers", "an object of strings")),
        }
    }
    Ok(out)
}

/// The per-call options every method takes: `{ signal?, timeoutMs?, onUpdate? }`.
pub(crate) struct CallOptions {
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) timeout_ms: Option<f64>,
    pub(crate) on_update: Option<Function>,
    pub(crate) via: Via,
}

pub(crate) fn call_options(options: &JsValue) -> Result<CallOptions, Error> {
    if !absent(options) && !options.is_object() {
        return Err(config_err("options", "an object"));
    }
    let signal = get(options, "signal");
    let signal = if absent(&signal) {
        None
    } else if Reflect::has(&signal, &JsValue::from_str("aborted")).unwrap_or(false) {
        Some(signal.unchecked_into::<AbortSignal>())
    } else {
        return Err(config_err("signal", "an AbortSignal"));
    };
    Ok(CallOptions {
        signal,
        timeout_ms: opt_number(options, "timeoutMs", 0.0)?,
        on_update: opt_function(options, "onUpdate")?,
        via: match opt_string(options, "via")? {
            None => Via::Auto,
            Some(name) => Via::from_name(&name).ok_or_else(|| {
                config_err("via", "one of \"auto\", \"poll\", \"realtime\", \"stream\"")
            })?,
        },
    })
}

#[wasm_bindgen(module = "/src/js/input.js")]
extern "C" {
    /// Reads a submit's input: `{ text, files, paths }` or `{ badPath, what }` (see input.js).
    #[wasm_bindgen(js_name = readInput, catch)]
    fn js_read_input(input: &JsValue) -> Result<JsValue, JsValue>;
}

/// A path as input.js reports it (an array of keys and indexes).
fn path_of(value: &JsValue) -> FilePath {
    Array::from(value)
        .iter()
        .map(|seg| match seg.as_f64() {
            Some(i) => PathSeg::Index(i as usize),
            None => PathSeg::Key(seg.as_string().unwrap_or_default()),
        })
        .collect()
}

/// A submit's input: the JSON data (each file's place `null`), where each file sits, and the
/// files themselves (JS `File`s, in the order of the paths). `CONFIG` naming the path of a
/// value JSON cannot carry faithfully; nothing is sent then.
fn input(value: &JsValue) -> Result<(Json, Vec<FilePath>, Array), Error> {
    let read = js_read_input(value).map_err(|e| {
        let mut m = String::from("input could not be read: ");
        m.push_str(
            &get(&e, "message")
                .as_string()
                .unwrap_or_else(|| "a getter or toJSON threw".into()),
        );
        Error::config(m)
    })?;
    let bad = get(&read, "badPath");
    if !absent(&bad) {
        let mut m = display_path(&path_of(&bad));
        m.push_str(" is ");
        m.push_str(&get(&read, "what").as_string().unwrap_or_default());
        m.push_str(": input must hold JSON values (objects, arrays, strings, finite numbers, booleans, null, Dates) and files (Blob, File, ArrayBuffer, typed arrays)");
        return Err(Error::config(m));
    }
    let text = get(&read, "text").as_string().unwrap_or_default();
    let json =
        crate::core::json::parse(&text).map_err(|_| config_err("input", "JSON-serializable"))?;
    let paths = Array::from(&get(&read, "paths"))
        .iter()
        .map(|p| path_of(&p))
        .collect();
    Ok((json, paths, Array::from(&get(&read, "files"))))
}

/// `{ model?, task?, service?, endpoint?, jsonBody?, input, webhookUrl?, webhookSecret?,
/// idempotencyKey? }` → [`SubmitRequest`], and the files
/// of its input (see [`input`]).
pub(crate) fn submit_request(value: &JsValue) -> Result<(SubmitRequest, Array), Error> {
    if !value.is_object() {
        return Err(config_err(
            "the request",
            "an object { model?, task?, input, webhookUrl? }",
        ));
    }
    let (input, files, uploads) = input(&get(value, "input"))?;
    if !matches!(input, Json::Object(_) | Json::Null) {
        return Err(config_err("input", "an object"));
    }
    let webhook_url = opt_string(value, "webhookUrl")?;
    if let Some(url) = &webhook_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(config_err("webhookUrl", "an http(s) URL"));
        }
    }
    let webhook_secret = opt_string(value, "webhookSecret")?;
    if webhook_secret
        .as_deref()
        .is_some_and(|s| s.is_empty() || s.chars().any(char::is_control))
    {
        return Err(config_err(
            "webhookSecret",
            "a non-empty string without control characters",
        ));
    }
    let request = SubmitRequest {
        model: opt_string(value, "model")?,
        task: opt_string(value, "task")?,
        service: opt_string(value, "service")?,
        endpoint: opt_string(value, "endpoint")?,
        json_body: opt_bool(value, "jsonBody")?.unwrap_or(false),
        input,
        files,
        webhook_url,
        webhook_secret,
        idempotency_key: opt_string(value, "idempotencyKey")?,
    };
    Ok((request, uploads))
}

/// The `task` of `models()`'s options: absent, or a non-empty string.
pub(crate) fn task_option(options: &JsValue) -> Result<Option<String>, Error> {
    match opt_string(options, "task")? {
        Some(t) if t.is_empty() => Err(config_err("task", "a non-empty string")),
        t => Ok(t),
    }
}

/// A job id argument: a non-empty string.
pub(crate) fn job_id(value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(config_err("id", "a non-empty string")),
    }
}

/// What `wait` and `watch` follow: a job id, or a `Job` of `provider` (its state known; a
/// terminal one needs no request, so a Socaity SYNC job with no id works too).
pub(crate) fn job_target(
    value: &JsValue,
    provider: Provider,
) -> Result<(String, Option<Job>), Error> {
    if value.is_string() {
        return job_id(value).map(|id| (id, None));
    }
    if !value.is_object() {
        return Err(config_err("id", "a non-empty string or a Job"));
    }
    let job = job_from_js(value)?;
    if job.provider != provider {
        return Err(Error::config(
            "the job is from another provider than this client's",
        ));
    }
    if job.id.is_empty() && !job.is_terminal() {
        return Err(config_err(
            "job.id",
            "a non-empty string for a job that is not terminal",
        ));
    }
    Ok((job.id.to_string(), Some(job)))
}

#[wasm_bindgen(module = "/src/js/job.js")]
extern "C" {
    /// Builds the JS `Job` object (see job.js for the argument conventions).
    #[wasm_bindgen(js_name = makeJob)]
    #[allow(clippy::too_many_arguments)]
    fn js_make_job(
        id: &str,
        provider: u32,
        status: u32,
        progress: f64,
        result: Option<&str>,
        result_url: Option<&str>,
        error_code: Option<&str>,
        error_message: Option<&str>,
        created_at: Option<&str>,
        completed_at: Option<&str>,
        estimated_completion: Option<&str>,
        preview: Option<&str>,
        files: Option<&str>,
        cost: Option<&str>,
        via: Option<&str>,
        raw: &str,
        service_url: Option<&str>,
    ) -> JsValue;
}

/// The index of `item` in `all` (the order job.js's name tables follow).
fn index_in<T: PartialEq>(all: &[T], item: &T) -> u32 {
    all.iter().position(|x| x == item).unwrap_or(0) as u32
}

/// The JS `Job` object for `job`: its fields handed to job.js in one call, with `result` and
/// `raw` as JSON text (a body's raw text as received, without a copy).
pub(crate) fn job_to_js(job: &Job) -> JsValue {
    thread_local! {
        /// The text buffer of the last conversion, reused (its capacity fits typical values).
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with(|buffer| {
        let mut text = buffer.take();
        text.clear();
        // `result`, then `files`, then `cost`, then a built `raw` after them, in the one buffer.
        if let Some(result) = &job.result {
            result.write_json(&mut text);
        }
        let result_end = job.result.as_ref().map(|_| text.len());
        let files_start = text.len();
        if !job.files.is_empty() {
            write_files_json(&job.files, &mut text);
        }
        let files_end = text.len();
        if let Some(cost) = &job.cost {
            cost.to_json().write_json(&mut text);
        }
        let cost_end = text.len();
        let raw_text: &str = match &job.raw {
            Raw::Text(received) => received,
            Raw::Value(value) => {
                value.write_json(&mut text);
                &text[cost_end..]
            }
        };
        let value = js_make_job(
            &job.id,
            index_in(&Provider::ALL, &job.provider),
            index_in(&JobStatus::ALL, &job.status),
            job.progress.unwrap_or(f64::NAN),
            result_end.map(|end| &text[..end]),
            job.result_url.as_deref(),
            job.error.as_ref().and_then(|e| e.code.as_deref()),
            job.error.as_ref().map(|e| e.message.as_str()),
            job.created_at.as_deref(),
            job.completed_at.as_deref(),
            job.estimated_completion.as_deref(),
            job.preview.as_deref(),
            (files_end > files_start).then(|| &text[files_start..files_end]),
            (cost_end > files_end).then(|| &text[files_end..cost_end]),
            job.via.map(Channel::as_str),
            raw_text,
            job.service_url.as_deref(),
        );
        // A huge job's buffer is not kept.
        if text.capacity() <= 64 * 1024 {
            *buffer.borrow_mut() = text;
        }
        value
    })
}

/// A JS `Job` (as polyjob produces, e.g. from `verifyWebhook`) back to a [`Job`].
pub(crate) fn job_from_js(value: &JsValue) -> Result<Job, Error> {
    if !value.is_object() {
        return Err(config_err("job", "a Job object"));
    }
    let id = opt_string(value, "id")?.ok_or_else(|| config_err("job.id", "a string"))?;
    let provider = opt_string(value, "provider")?
        .as_deref()
        .and_then(Provider::from_name)
        .ok_or_else(|| config_err("job.provider", "a provider name"))?;
    let status = opt_string(value, "status")?
        .as_deref()
        .and_then(JobStatus::from_normalized)
        .ok_or_else(|| config_err("job.status", "a JobStatus"))?;
    let mut job = Job::new(provider, id, status);
    job.progress = opt_number(value, "progress", 0.0)?.map(|p| p.min(1.0));
    let result = get(value, "result");
    job.result = if absent(&result) {
        None
    } else {
        from_js(&result)
    };
    job.result_url = opt_string(value, "resultUrl")?;
    let error = get(value, "error");
    if !absent(&error) {
        job.error = Some(Box::new(JobError {
            code: opt_string(&error, "code")?,
            message: opt_string(&error, "message")?.unwrap_or_default(),
        }));
    }
    job.created_at = opt_string(value, "createdAt")?;
    job.completed_at = opt_string(value, "completedAt")?;
    job.estimated_completion = opt_string(value, "estimatedCompletion")?;
    job.preview = opt_string(value, "preview")?;
    let files = get(value, "files");
    if !absent(&files) {
        let Some(Json::Array(items)) = from_js(&files) else {
            return Err(config_err("job.files", "an array of JobFile objects"));
        };
        job.files = items
            .iter()
            .map(job_file_from_json)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| config_err("job.files", "an array of JobFile objects"))?;
    }
    job.cost = from_js(&get(value, "cost"))
        .as_ref()
        .and_then(Cost::from_json)
        .map(Box::new);
    job.via = match opt_string(value, "via")? {
        None => None,
        Some(name) => {
            Some(Channel::from_name(&name).ok_or_else(|| config_err("job.via", "a JobVia name"))?)
        }
    };
    job.raw = from_js(&get(value, "raw")).unwrap_or_default().into();
    job.service_url = opt_string(value, "serviceUrl")?.map(Into::into);
    Ok(job)
}

/// The JS `capabilities` object.
pub(crate) fn capabilities_to_js(c: Capabilities) -> JsValue {
    let o = Object::new();
    set(&o, "cancel", &JsValue::from_bool(c.cancel));
    set(&o, "list", &JsValue::from_bool(c.list));
    set(&o, "webhooks", &JsValue::from_bool(c.webhooks));
    set(&o, "realtime", &JsValue::from_bool(c.realtime));
    set(&o, "streaming", &JsValue::from_bool(c.streaming));
    set(&o, "estimate", &JsValue::from_bool(c.estimate));
    set(&o, "balance", &JsValue::from_bool(c.balance));
    set(&o, "models", &JsValue::from_bool(c.models));
    set(&o, "files", &JsValue::from_bool(c.files));
    set(&o, "push", &JsValue::from_bool(c.push));
    Object::freeze(&o).into()
}
