//! Webhook verification for JS: `verifyWebhook` (async, also takes a `Request`),
//! `verifyWebhookSync`, and the `WebhookDeduper` class. deAPI's webhooks are checked by their
//! signature over the raw bytes received — never re-serialized JSON — and timestamp; Optexity's
//! task callbacks by their key (`x-api-key`, or the password of `Authorization: Basic`); then
//! the body is parsed and mapped to a `Job`. Socaity and Serika send no webhooks: `UNSUPPORTED`.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{job_to_js, opt_number, opt_string};
use super::error::to_js_error;
use crate::core::webhook::{
    verify_deapi, verify_optexity, WebhookDeduper as CoreDeduper, DEAPI_TOLERANCE_SEC,
};
use crate::core::{json, Error, ErrorCode, Job, Provider};
use crate::providers::{deapi_webhook, optexity_callback};

#[wasm_bindgen(typescript_custom_section)]
const TS_WEBHOOK: &'static str = r#"
/** A deAPI webhook: `X-DeAPI-Signature` over the raw body, `X-DeAPI-Timestamp` in the window. */
export interface DeapiVerifyWebhookOptions {
  provider: "deapi";
  /** The raw body as received. */
  body: string | Uint8Array | ArrayBuffer;
  headers: Headers | Record<string, string> | [string, string][];
  /** Your webhook secret (account-wide or the job's `webhook_secret` / `webhookSecret`). */
  secret: string;
  /** Allowed clock distance for X-DeAPI-Timestamp, seconds (default 300). */
  toleranceSec?: number;
  /** The current time (ms since epoch, or a Date); defaults to now. */
  now?: number | Date;
}
/** An Optexity task callback: its key in `x-api-key`, or as the password of
 * `Authorization: Basic` (any username). Optexity signs nothing and sends no timestamp. */
export interface OptexityVerifyWebhookOptions {
  provider: "optexity";
  /** The body as received. */
  body: string | Uint8Array | ArrayBuffer;
  headers: Headers | Record<string, string> | [string, string][];
  /** The callback key: the job's `webhookSecret` (sent as `task_callback_api_key`), or the
   * API key / password of the callback configured in Optexity's dashboard. Not your Optexity
   * API key. */
  apiKey: string;
}
/** What `verifyWebhook` needs, per provider. */
export type VerifyWebhookOptions = DeapiVerifyWebhookOptions | OptexityVerifyWebhookOptions;
/** With a Request, the options other than body/headers (no `provider`: deAPI). */
export type VerifyRequestOptions =
  | (Omit<DeapiVerifyWebhookOptions, "body" | "headers" | "provider"> & { provider?: "deapi" })
  | Omit<OptexityVerifyWebhookOptions, "body" | "headers">;
"#;

struct Parsed {
    check: Check,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

/// What authenticates a delivery, per provider.
enum Check {
    Deapi {
        secret: Vec<u8>,
        tolerance_sec: f64,
        now_ms: f64,
    },
    Optexity {
        key: Vec<u8>,
    },
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn bytes_of(body: &JsValue) -> Result<Vec<u8>, Error> {
    if let Some(s) = body.as_string() {
        return Ok(s.into_bytes());
    }
    if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(body).to_vec());
    }
    if let Some(view) = body.dyn_ref::<js_sys::Object>() {
        // Other ArrayBuffer views (Buffer, DataView...).
        let buffer = get(view, "buffer");
        if buffer.is_instance_of::<js_sys::ArrayBuffer>() {
            let offset = get(view, "byteOffset").as_f64().unwrap_or(0.0) as u32;
            let len = get(view, "byteLength").as_f64().unwrap_or(0.0) as u32;
            return Ok(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len).to_vec());
        }
    }
    Err(Error::config(
        "body must be the raw body: a string, Uint8Array or ArrayBuffer",
    ))
}

fn headers_of(value: &JsValue) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let entries = get(value, "entries");
    let list: JsValue = if Array::is_array(value) {
        value.clone()
    } else if let Some(f) = entries.dyn_ref::<Function>() {
        // Headers (or a Map): entries() is an iterator of [name, value].
        let iter = f
            .call0(value)
            .map_err(|_| Error::config("headers could not be read"))?;
        Array::from(&iter).into()
    } else if value.is_object() {
        Object::entries(value.unchecked_ref()).into()
    } else {
        return Err(Error::config(
            "headers must be a Headers object, a record or [name, value] pairs",
        ));
    };
    for pair in Array::from(&list).iter() {
        let pair = Array::from(&pair);
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            out.push((k, v));
        }
    }
    Ok(out)
}

fn common(options: &JsValue, default_provider: Option<Provider>) -> Result<Check, Error> {
    let provider = match opt_string(options, "provider")? {
        Some(name) => Provider::from_name(&name)
            .ok_or_else(|| Error::config("provider must be a provider name"))?,
        None => default_provider
            .ok_or_else(|| Error::config("provider is required (\"deapi\" or \"optexity\")"))?,
    };
    match provider {
        Provider::Deapi => {}
        Provider::Optexity => {
            let key = opt_string(options, "apiKey")?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Error::config(
                        "apiKey is required: the callback key (the job's webhookSecret, sent as task_callback_api_key)",
                    )
                })?;
            return Ok(Check::Optexity {
                key: key.into_bytes(),
            });
        }
        _ => {
            return Err(Error::new(
                ErrorCode::Unsupported,
                "only deAPI (signed webhooks) and Optexity (task callbacks) send webhooks",
            )
            .with_provider(provider))
        }
    }
    let secret = opt_string(options, "secret")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::config("secret is required"))?;
    let tolerance = opt_number(options, "toleranceSec", 0.0)?.unwrap_or(DEAPI_TOLERANCE_SEC);
    let now = get(options, "now");
    let now_ms = if now.is_undefined() || now.is_null() {
        js_sys::Date::now()
    } else if let Some(d) = now.dyn_ref::<js_sys::Date>() {
        d.get_time()
    } else {
        now.as_f64()
            .filter(|n| n.is_finite())
            .ok_or_else(|| Error::config("now must be a number of ms or a Date"))?
    };
    Ok(Check::Deapi {
        secret: secret.into_bytes(),
        tolerance_sec: tolerance,
        now_ms,
    })
}

fn parse_options(options: &JsValue) -> Result<Parsed, Error> {
    if !options.is_object() {
        return Err(Error::config(
            "verifyWebhook takes { provider, body, headers, secret } (Optexity: apiKey for secret)",
        ));
    }
    Ok(Parsed {
        check: common(options, None)?,
        body: bytes_of(&get(options, "body"))?,
        headers: headers_of(&get(options, "headers"))?,
    })
}

fn verify(p: Parsed) -> Result<Job, Error> {
    let mut job = match &p.check {
        Check::Deapi {
            secret,
            tolerance_sec,
            now_ms,
        } => {
            verify_deapi(secret, &p.headers, &p.body, *now_ms, *tolerance_sec)?;
            let text = String::from_utf8(p.body).map_err(|_| {
                Error::bad_response(Provider::Deapi, "deapi: webhook body is not UTF-8")
            })?;
            let payload = json::parse(&text).map_err(|_| {
                Error::bad_response(Provider::Deapi, "deapi: webhook body is not JSON")
            })?;
            deapi_webhook(&payload)?
        }
        Check::Optexity { key } => {
            verify_optexity(key, &p.headers)?;
            let text = String::from_utf8(p.body).map_err(|_| {
                Error::bad_response(Provider::Optexity, "optexity: callback body is not UTF-8")
            })?;
            optexity_callback(&text)?
        }
    };
    job.via = Some(crate::core::Channel::Webhook);
    Ok(job)
}

fn is_request(value: &JsValue) -> bool {
    value.is_object()
        && get(value, "arrayBuffer").is_instance_of::<Function>()
        && get(value, "headers").is_object()
}

/// Verifies a webhook and returns its `Job`. deAPI: the HMAC-SHA256 signature of
/// `"{X-DeAPI-Timestamp}." + raw body` (constant-time), then the timestamp within
/// `toleranceSec`; takes `{ provider: "deapi", body, headers, secret, toleranceSec?, now? }`.
/// Optexity: the task callback's key in `x-api-key` (or the password of `Authorization: Basic`),
/// constant-time; takes `{ provider: "optexity", body, headers, apiKey }`. Or a `Request` plus
/// the other options (`provider` defaults to deAPI). Rejects `WEBHOOK_SIGNATURE` (missing or
/// wrong signature / key), `WEBHOOK_EXPIRED` (deAPI), `BAD_RESPONSE` (not the provider's
/// payload), `CONFIG`, `UNSUPPORTED` (Socaity, Serika).
#[wasm_bindgen(js_name = verifyWebhook, unchecked_return_type = "Promise<Job>")]
pub fn verify_webhook(
    #[wasm_bindgen(unchecked_param_type = "VerifyWebhookOptions | Request")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyRequestOptions")] options: JsValue,
) -> Promise {
    super::promise_at_call(async move {
        let parsed = if is_request(&input) {
            let opts = if options.is_object() {
                options
            } else {
                Object::new().into()
            };
            let check = common(&opts, Some(Provider::Deapi)).map_err(|e| to_js_error(&e))?;
            let body = crate::transport::read_bytes(&input)
                .await
                .map_err(|()| to_js_error(&Error::config("the request body could not be read")))?;
            Parsed {
                check,
                body,
                headers: headers_of(&get(&input, "headers")).map_err(|e| to_js_error(&e))?,
            }
        } else {
            parse_options(&input).map_err(|e| to_js_error(&e))?
        };
        verify(parsed)
            .map(|job| job_to_js(&job))
            .map_err(|e| to_js_error(&e))
    })
}

/// The synchronous `verifyWebhook` for a body you already hold: same checks, same errors
/// (thrown). Takes `{ provider: "deapi", body, headers, secret, toleranceSec?, now? }` or
/// `{ provider: "optexity", body, headers, apiKey }`.
#[wasm_bindgen(js_name = verifyWebhookSync, unchecked_return_type = "Job")]
pub fn verify_webhook_sync(
    #[wasm_bindgen(unchecked_param_type = "VerifyWebhookOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let parsed = parse_options(&options).map_err(|e| to_js_error(&e))?;
    verify(parsed)
        .map(|job| job_to_js(&job))
        .map_err(|e| to_js_error(&e))
}

/// Remembers the last `capacity` (default 10,000) delivery ids, so a webhook retried by the
/// provider (deAPI: up to 10 times, same `X-DeAPI-Delivery-Id`) is handled once. In memory
/// only: one per process or Durable Object.
#[wasm_bindgen]
pub struct WebhookDeduper {
    inner: CoreDeduper,
}

#[wasm_bindgen]
impl WebhookDeduper {
    #[wasm_bindgen(constructor)]
    pub fn new(capacity: Option<u32>) -> WebhookDeduper {
        WebhookDeduper {
            inner: CoreDeduper::new(capacity.unwrap_or(10_000) as usize),
        }
    }

    /// True the first time `deliveryId` is seen, false for a repeat.
    #[wasm_bindgen(js_name = firstDelivery)]
    pub fn first_delivery(
        &mut self,
        #[wasm_bindgen(js_name = "deliveryId")] delivery_id: &str,
    ) -> bool {
        self.inner.first_delivery(delivery_id)
    }
}
