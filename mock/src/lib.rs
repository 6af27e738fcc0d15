//! polyjob-mock: a faithful local emulation of the job APIs polyjob speaks to (Socaity, Optexity,
//! deAPI, Serika), one port, one prefix per provider. The contract is `mock/README.md`.
//!
//! Owns: the shared state and the assembly of the router. Each provider lives in its own module
//! (routes, auth, exact bodies) and hands each answer to [`distort::respond`], which applies the
//! fault rules of [`faults`]; adding one is a new module and one line in [`app`]. The push
//! channels: [`push`] (a background task per deAPI job, and per Optexity task with a
//! `task_callback_url`) drives [`webhooks`] (deAPI's signed deliveries and Optexity's task
//! callbacks to a loopback receiver) and [`realtime`] (the Pusher protocol 7 server); [`sse`]
//! streams Socaity chunks. Uploads: [`upload`] reads multipart bodies as they stream (deAPI,
//! Socaity), [`validate`] holds deAPI's per-task rules, [`services`] the Socaity service endpoints
//! and their FastAPI validation, [`files`] serves the result files.

pub mod clock;
pub mod cors;
pub mod deapi;
pub mod discovery;
pub mod distort;
pub mod faults;
pub mod files;
pub mod http;
pub mod ids;
pub mod introspect;
pub mod jobs;
pub mod optexity;
pub mod push;
pub mod realtime;
pub mod reqlog;
pub mod serika;
pub mod service_spec;
pub mod services;
pub mod socaity;
pub mod sse;
pub mod statics;
pub mod upload;
pub mod validate;
pub mod webhooks;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

/// Server settings fixed at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The one key every provider accepts.
    pub api_key: String,
    /// Serve this directory's files for paths no route matches.
    pub static_dir: Option<PathBuf>,
    /// `HOST:PORT` for absolute links when a request carries no `Host` header.
    pub fallback_host: String,
    /// The rate mode of fault injection (`--fault-rate`, `--fault-seed`, `--fault-kinds`).
    pub fault_rate: faults::RateConfig,
    /// deAPI's account webhook secret (`--webhook-secret`); a job's `webhook_secret` overrides it.
    pub webhook_secret: String,
    /// First webhook retry delay, doubling per attempt (`--webhook-retry-base-ms`).
    pub webhook_retry_base_ms: u64,
    /// The Pusher app key clients connect with (`--pusher-key`).
    pub pusher_key: String,
    /// The Pusher app secret channel auth is signed with (`--pusher-secret`).
    pub pusher_secret: String,
    /// Seconds announced as `activity_timeout`; the server pings a socket idle that long.
    pub pusher_activity_timeout: u64,
    /// deAPI's client id of the valid key: its channel is `private-client.<id>`.
    pub deapi_client_id: String,
    /// Largest deAPI multipart submit body (64 MiB; tests lower it).
    pub deapi_form_limit: u64,
    /// Largest Socaity multipart submit body (512 MiB; tests lower it).
    pub socaity_form_limit: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: "test-key".to_owned(),
            static_dir: None,
            fallback_host: "127.0.0.1".to_owned(),
            fault_rate: faults::RateConfig::default(),
            webhook_secret: webhooks::DEFAULT_SECRET.to_owned(),
            webhook_retry_base_ms: 500,
            pusher_key: realtime::DEFAULT_KEY.to_owned(),
            pusher_secret: realtime::DEFAULT_SECRET.to_owned(),
            pusher_activity_timeout: 120,
            deapi_client_id: "1001".to_owned(),
            deapi_form_limit: deapi::FORM_LIMIT,
            socaity_form_limit: socaity::FORM_LIMIT,
        }
    }
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<jobs::Store>,
    pub log: Arc<reqlog::RequestLog>,
    pub faults: Arc<faults::Faults>,
    pub clock: clock::Clock,
    /// Open Pusher sockets and their subscriptions.
    pub hub: Arc<realtime::Hub>,
    /// Which deAPI jobs have their push task.
    pub push: Arc<push::Started>,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        AppState {
            faults: Arc::new(faults::Faults::new(config.fault_rate.clone())),
            config: Arc::new(config),
            store: Arc::default(),
            log: Arc::default(),
            clock: clock::Clock::new(),
            hub: Arc::default(),
            push: Arc::default(),
        }
    }

    /// Admits a submit: `job` is the job it would create from `body`. Returns the job the submit is
    /// about — the job of its `Idempotency-Key`, or the refused job an identical earlier submit left
    /// (a retry continues its fault counters), else `job`, stored after the rate mode had its say
    /// (one decision per created job, in submit order).
    pub fn admit(
        &self,
        mut job: jobs::Job,
        body: &serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> jobs::Job {
        let scope = format!("{}\n{}", job.provider.as_str(), job.api_key);
        let submit_key = format!("{scope}\n{}\n{body}", job.target);
        let idem = idempotency_key
            .filter(|k| !k.is_empty())
            .map(|k| format!("{scope}\n{k}"));
        let now = self.clock.now_ms();
        if let Some(existing) = self.store.reuse(&submit_key, idem.as_deref(), now) {
            return existing;
        }
        job.submit_key = submit_key;
        if let Some(rule) = self.faults.next_job() {
            job.faults
                .push(faults::Armed::new(rule, faults::Source::Rate));
        }
        self.store.insert_keyed(job.clone(), idem);
        job
    }

    /// Whether `key` is the accepted API key.
    pub fn key_ok(&self, key: Option<&str>) -> bool {
        key == Some(self.config.api_key.as_str())
    }
}

/// The whole server: every provider, the result files, introspection, static files, CORS and the
/// request log.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(socaity::routes())
        .merge(optexity::routes())
        .merge(deapi::routes())
        .merge(serika::routes())
        .merge(realtime::routes())
        .merge(files::routes())
        .merge(introspect::routes())
        .fallback(statics::handle)
        .layer(from_fn(cors::layer))
        .layer(from_fn_with_state(state.clone(), reqlog::record))
        .with_state(state)
}
