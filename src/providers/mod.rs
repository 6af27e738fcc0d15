//! Pure translators, one file per provider: a user request becomes an [`HttpRequest`], a
//! provider response becomes a [`Job`] (or an [`Amount`], a [`ModelPage`], an [`Error`]). Nothing
//! here performs I/O, reads a clock or keeps state between calls.
//!
//! Adding a provider is one new file implementing [`Adapter`] and one line in [`adapter`].

mod common;
pub mod deapi;
mod optexity;
mod serika;
pub mod socaity;

use crate::core::{
    Amount, Error, FilePath, HttpRequest, HttpResponse, Job, Json, ModelPage, Provider,
};

pub use common::{join_url, timestamp_to_iso};
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use common::{origin as origin_of, resolve_link};
pub use deapi::{
    parse_realtime_event as deapi_realtime_event, parse_webhook as deapi_webhook,
    webhook_info as deapi_webhook_info, WebhookInfo as DeapiWebhookInfo,
};
pub use optexity::parse_callback as optexity_callback;
pub use socaity::{
    classify_stream_data, offers_stream as socaity_offers_stream,
    parse_stream_record as socaity_stream_record, StreamItem,
};

/// What a client is configured with, validated. The key is only ever placed in the provider's
/// auth header.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    pub provider: Provider,
    pub api_key: Option<String>,
    /// `http(s)://host[:port][/path]`, without a trailing slash.
    pub base_url: String,
    /// Extra headers sent with every request (the auth header wins on a clash).
    pub headers: Vec<(String, String)>,
    /// What every request carries: `accept`, `headers`, the auth header; built once, shared by
    /// every request of the client.
    pub request_headers: crate::core::Headers,
    /// deAPI's API version (`apiVersion`); [`ApiVersion::V1`] on every other provider.
    pub api_version: ApiVersion,
}

/// Which of deAPI's APIs a client speaks: v1 (`/api/v1/client/{task}`, the default) or v2
/// (`/api/v2/{resource}`, polled at `/api/v2/jobs/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ApiVersion {
    #[default]
    V1,
    V2,
}

impl ApiVersion {
    /// `"v1"` → V1, `"v2"` → V2.
    pub fn from_name(name: &str) -> Option<ApiVersion> {
        match name {
            "v1" => Some(ApiVersion::V1),
            "v2" => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

impl ClientConfig {
    /// Validates `base_url` (http or https, no query or fragment, no credentials) and trims its
    /// trailing slashes; `None` selects the provider's documented URL.
    pub fn new(
        provider: Provider,
        api_key: Option<String>,
        base_url: Option<&str>,
        headers: Vec<(String, String)>,
    ) -> Result<ClientConfig, Error> {
        let base = match base_url {
            Some(url) => common::validate_base_url(url)?,
            None => adapter(provider).default_base_url().to_string(),
        };
        if let Some(key) = &api_key {
            if key.is_empty() || key.chars().any(|c| c.is_control()) {
                return Err(Error::config(
                    "apiKey must be a non-empty string without control characters",
                ));
            }
        }
        for (name, value) in &headers {
            if !common::is_token(name) || value.chars().any(|c| c == '\r' || c == '\n') {
                return Err(Error::config(
                    "headers must be valid HTTP header names and values",
                ));
            }
        }
        let auth = api_key
            .as_deref()
            .map(|key| adapter(provider).auth_header(key));
        Ok(ClientConfig {
            request_headers: common::request_headers(&headers, auth),
            provider,
            api_key,
            base_url: base,
            headers,
            api_version: ApiVersion::V1,
        })
    }

    /// Selects deAPI's API `version`; `CONFIG` on any other provider (only deAPI has versions
    /// to choose from).
    pub fn with_api_version(mut self, version: ApiVersion) -> Result<ClientConfig, Error> {
        if self.provider != Provider::Deapi {
            let mut msg = String::from(
                "apiVersion is a deAPI option (\"v1\" or \"v2\"); this client's provider is ",
            );
            msg.push_str(self.provider.as_str());
            return Err(Error::config(msg));
        }
        self.api_version = version;
        Ok(self)
    }
}

/// What the user asks to run. Which fields a provider needs differs: Socaity, Optexity and
/// Serika need `model`, deAPI needs `task`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SubmitRequest {
    pub model: Option<String>,
    pub task: Option<String>,
    /// Socaity services: the service (`face2face`) and its endpoint path (`swap`); the submit goes
    /// to `{base}/services/v1/{service}/{endpoint}`. `None` on every other provider.
    pub service: Option<String>,
    pub endpoint: Option<String>,
    /// Socaity services: the input as JSON (an endpoint that declares a JSON schema) instead of
    /// a form.
    pub json_body: bool,
    /// A JSON object: the model's parameters. A file's place holds `null`; `files` says where.
    pub input: Json,
    /// Where each file of the request sits in `input` (file `i` at `files[i]`); the files
    /// themselves stay host objects, held by the transport.
    pub files: Vec<FilePath>,
    pub webhook_url: Option<String>,
    /// The key the provider sends back with its webhooks (Optexity `task_callback_api_key`,
    /// deAPI `webhook_secret`); providers without webhooks refuse it.
    pub webhook_secret: Option<String>,
    /// Sent as `Idempotency-Key` when present.
    pub idempotency_key: Option<String>,
}

/// The operations and push channels a provider offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub cancel: bool,
    pub list: bool,
    pub webhooks: bool,
    pub realtime: bool,
    pub streaming: bool,
    /// A price for a request before it is sent (deAPI `price-calculation`).
    pub estimate: bool,
    /// The account's balance.
    pub balance: bool,
    /// The model catalogue.
    pub models: bool,
    /// File inputs (multipart uploads).
    pub files: bool,
    /// Job states pushed to a waiting client without a webhook receiver: deAPI's realtime
    /// socket (when configured), Socaity's status stream (`links.stream`).
    pub push: bool,
}

/// How a provider takes the API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key as the value of this header (Optexity: `x-api-key`).
    Header(&'static str),
}

/// What is fixed about a provider: its documented base URL, what it offers, how it takes the
/// key. One table for all four ([`info`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProviderInfo {
    pub base_url: &'static str,
    pub capabilities: Capabilities,
    pub auth: Auth,
}

/// Capabilities from their names, in [`Capabilities`]' order (`CANCEL | LIST | ...`).
const fn caps(bits: u16) -> Capabilities {
    Capabilities {
        cancel: bits & CANCEL != 0,
        list: bits & LIST != 0,
        webhooks: bits & WEBHOOKS != 0,
        realtime: bits & REALTIME != 0,
        streaming: bits & STREAMING != 0,
        estimate: bits & ESTIMATE != 0,
        balance: bits & BALANCE != 0,
        models: bits & MODELS != 0,
        files: bits & FILES != 0,
        push: bits & PUSH != 0,
    }
}
const CANCEL: u16 = 1;
const LIST: u16 = 2;
const WEBHOOKS: u16 = 4;
const REALTIME: u16 = 8;
const STREAMING: u16 = 16;
const ESTIMATE: u16 = 32;
const BALANCE: u16 = 64;
const MODELS: u16 = 128;
const FILES: u16 = 256;
const PUSH: u16 = 512;

/// [`ProviderInfo`] by provider, in [`Provider::ALL`]'s order.
const INFO: [ProviderInfo; 4] = [
    ProviderInfo {
        base_url: "https://api.socaity.ai",
        capabilities: caps(CANCEL | STREAMING | FILES | PUSH),
        auth: Auth::Bearer,
    },
    ProviderInfo {
        base_url: "https://api.optexity.com",
        capabilities: caps(LIST | WEBHOOKS),
        auth: Auth::Header("x-api-key"),
    },
    ProviderInfo {
        base_url: "https://api.deapi.ai",
        capabilities: caps(WEBHOOKS | REALTIME | ESTIMATE | BALANCE | MODELS | FILES | PUSH),
        auth: Auth::Bearer,
    },
    ProviderInfo {
        base_url: "https://api.serika.dev/api/openai/v1",
        capabilities: caps(LIST | MODELS),
        auth: Auth::Bearer,
    },
];

/// What is fixed about `provider`.
pub fn info(provider: Provider) -> &'static ProviderInfo {
    match provider {
        Provider::Socaity => &INFO[0],
        Provider::Optexity => &INFO[1],
        Provider::Deapi => &INFO[2],
        Provider::Serika => &INFO[3],
    }
}

/// One provider's translators. `parse_*` receive only 2xx responses: [`parse_submit`],
/// [`parse_status`], [`parse_cancel`], [`parse_list`], [`parse_estimate`], [`parse_balance`] and
/// [`parse_models`] turn the others into errors first.
pub trait Adapter: Sync {
    fn provider(&self) -> Provider;
    /// The documented base URL.
    fn default_base_url(&self) -> &'static str {
        info(self.provider()).base_url
    }
    fn capabilities(&self) -> Capabilities {
        info(self.provider()).capabilities
    }
    /// The auth header for `key`: `(name, value)`.
    fn auth_header(&self, key: &str) -> (&'static str, String) {
        match info(self.provider()).auth {
            Auth::Bearer => ("authorization", ["Bearer ", key].concat()),
            Auth::Header(name) => (name, key.to_string()),
        }
    }

    fn submit(&self, cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error>;
    fn parse_submit(&self, resp: &HttpResponse) -> Result<Job, Error>;
    /// Where the links of the job `req` starts live, when not at the base URL (a Socaity
    /// service's base): the engine keeps it in [`Job::service_url`].
    fn service_url(&self, _cfg: &ClientConfig, _req: &SubmitRequest) -> Option<String> {
        None
    }

    /// The status request for job `id`; `last` is the job as last seen, whose links (Socaity's
    /// `refresh_job_url`, `links.status`) take precedence.
    fn status(&self, cfg: &ClientConfig, id: &str, last: Option<&Job>) -> HttpRequest;
    fn parse_status(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error>;

    /// The cancel request; `UNSUPPORTED` where the provider has none.
    fn cancel(
        &self,
        _cfg: &ClientConfig,
        _id: &str,
        _last: Option<&Job>,
    ) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "cancel"))
    }
    fn parse_cancel(&self, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
        self.parse_status(id, resp)
    }

    /// The request that opens the job's output stream (`text/event-stream`); `UNSUPPORTED`
    /// where the provider has none.
    fn stream(
        &self,
        _cfg: &ClientConfig,
        _id: &str,
        _last: Option<&Job>,
    ) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "stream"))
    }

    /// The list request; `UNSUPPORTED` where the provider has none.
    fn list(&self, _cfg: &ClientConfig) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "list"))
    }
    fn parse_list(&self, _resp: &HttpResponse) -> Result<Vec<Job>, Error> {
        Err(Error::unsupported(self.provider(), "list"))
    }

    /// The price request for `req` (the submit's body, files included, at the provider's
    /// price path); `UNSUPPORTED` where the provider has none.
    fn estimate(&self, _cfg: &ClientConfig, _req: &SubmitRequest) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "estimate"))
    }
    fn parse_estimate(&self, _resp: &HttpResponse) -> Result<Amount, Error> {
        Err(Error::unsupported(self.provider(), "estimate"))
    }

    /// The balance request; `UNSUPPORTED` where the provider has none.
    fn balance(&self, _cfg: &ClientConfig) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "balance"))
    }
    fn parse_balance(&self, _resp: &HttpResponse) -> Result<Amount, Error> {
        Err(Error::unsupported(self.provider(), "balance"))
    }

    /// The request for one page of the model catalogue: the first (`cursor` `None`) or the one
    /// a [`ModelPage::next`] named; only models for `task` when given. `UNSUPPORTED` where the
    /// provider has no catalogue.
    fn models(
        &self,
        _cfg: &ClientConfig,
        _task: Option<&str>,
        _cursor: Option<&str>,
    ) -> Result<HttpRequest, Error> {
        Err(Error::unsupported(self.provider(), "models"))
    }
    fn parse_models(&self, _resp: &HttpResponse) -> Result<ModelPage, Error> {
        Err(Error::unsupported(self.provider(), "models"))
    }
}

/// The adapter for `provider`.
pub fn adapter(provider: Provider) -> &'static dyn Adapter {
    match provider {
        Provider::Socaity => &socaity::Socaity,
        Provider::Optexity => &optexity::Optexity,
        Provider::Deapi => &deapi::Deapi,
        Provider::Serika => &serika::Serika,
    }
}

/// The submit request for `req`: the provider's, after the checks all providers share (a
/// Socaity service's fields on another provider are `CONFIG`).
pub fn submit(cfg: &ClientConfig, req: &SubmitRequest) -> Result<HttpRequest, Error> {
    if cfg.provider != Provider::Socaity
        && (req.service.is_some() || req.endpoint.is_some() || req.json_body)
    {
        let mut msg = String::from(
            "service, endpoint and jsonBody select a Socaity service; this client's provider is ",
        );
        msg.push_str(cfg.provider.as_str());
        return Err(Error::config(msg));
    }
    adapter(cfg.provider).submit(cfg, req)
}

/// Parses a submit response: non-2xx → the mapped error.
pub fn parse_submit(provider: Provider, resp: &HttpResponse) -> Result<Job, Error> {
    check(provider, resp)?;
    adapter(provider).parse_submit(resp)
}

/// Parses a status response for job `id`: non-2xx → the mapped error.
pub fn parse_status(provider: Provider, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
    check(provider, resp)?;
    adapter(provider).parse_status(id, resp)
}

/// Parses a cancel response for job `id`: non-2xx → the mapped error.
pub fn parse_cancel(provider: Provider, id: &str, resp: &HttpResponse) -> Result<Job, Error> {
    check(provider, resp)?;
    adapter(provider).parse_cancel(id, resp)
}

/// Parses a list response: non-2xx → the mapped error.
pub fn parse_list(provider: Provider, resp: &HttpResponse) -> Result<Vec<Job>, Error> {
    check(provider, resp)?;
    adapter(provider).parse_list(resp)
}

/// Parses a price answer: non-2xx → the mapped error.
pub fn parse_estimate(provider: Provider, resp: &HttpResponse) -> Result<Amount, Error> {
    check(provider, resp)?;
    adapter(provider).parse_estimate(resp)
}

/// Parses a balance answer: non-2xx → the mapped error.
pub fn parse_balance(provider: Provider, resp: &HttpResponse) -> Result<Amount, Error> {
    check(provider, resp)?;
    adapter(provider).parse_balance(resp)
}

/// Parses one page of the model catalogue: non-2xx → the mapped error.
pub fn parse_models(provider: Provider, resp: &HttpResponse) -> Result<ModelPage, Error> {
    check(provider, resp)?;
    adapter(provider).parse_models(resp)
}

fn check(provider: Provider, resp: &HttpResponse) -> Result<(), Error> {
    if resp.is_success() {
        Ok(())
    } else {
        Err(Error::from_response(provider, resp))
    }
}
