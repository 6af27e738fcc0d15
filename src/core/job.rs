//! The normalized [`Job`]: the one shape every provider's job bodies are translated into.
//! It holds data only; translating provider bodies is `providers/*`'s business.

use std::rc::Rc;

use super::discovery::Cost;
use super::files::{write_files_json, JobFile};
use super::json::{push_json_string, Json};
use super::raw::Raw;
use super::status::JobStatus;

/// The providers polyjob speaks to. Exposed to JS as the lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Socaity,
    Optexity,
    Deapi,
    Serika,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 4] = [
        Provider::Socaity,
        Provider::Optexity,
        Provider::Deapi,
        Provider::Serika,
    ];

    /// `"socaity"`, `"optexity"`, `"deapi"`, `"serika"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Socaity => "socaity",
            Provider::Optexity => "optexity",
            Provider::Deapi => "deapi",
            Provider::Serika => "serika",
        }
    }

    /// Parses the exact lower-case name.
    pub fn from_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// How a job state reached the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The submit's answer.
    Submit,
    /// A status request (`get`, a wait's poll, the confirmation of a pushed end).
    Poll,
    /// The cancel's answer.
    Cancel,
    /// A list's item.
    List,
    /// deAPI's realtime socket.
    Realtime,
    /// A verified webhook delivery (`verifyWebhook`).
    Webhook,
    /// Handed in by `client.notify(job)` (from a webhook receiver or anywhere else).
    Notify,
    /// A record of the job's status stream (Socaity's `event: job`, on `links.stream`).
    Stream,
}

impl Channel {
    /// Every channel, in the order of their names.
    pub const ALL: [Channel; 8] = [
        Channel::Submit,
        Channel::Poll,
        Channel::Cancel,
        Channel::List,
        Channel::Realtime,
        Channel::Webhook,
        Channel::Notify,
        Channel::Stream,
    ];

    /// `"submit"`, `"poll"`, `"cancel"`, `"list"`, `"realtime"`, `"webhook"`, `"notify"`,
    /// `"stream"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Submit => "submit",
            Channel::Poll => "poll",
            Channel::Cancel => "cancel",
            Channel::List => "list",
            Channel::Realtime => "realtime",
            Channel::Webhook => "webhook",
            Channel::Notify => "notify",
            Channel::Stream => "stream",
        }
    }

    /// Parses [`Channel::as_str`]'s names.
    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Why a job failed, as the provider put it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct JobError {
    /// The provider's machine-readable code, when it sends one (Optexity `error_code`).
    pub code: Option<String>,
    /// The provider's message, or a generic one when it sent none.
    pub message: String,
}

/// A provider job, normalized. Mirrors the JS `Job` interface field for field.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Shared, not copied: a watch's job states and its push subscription hold one id.
    pub id: Rc<str>,
    pub provider: Provider,
    pub status: JobStatus,
    /// Always within 0..=1 when present.
    pub progress: Option<f64>,
    /// The provider's result payload.
    pub result: Option<Json>,
    /// A URL where the result can be downloaded (deAPI `result_url`, Serika `result.url`).
    pub result_url: Option<String>,
    /// Why the job failed. Boxed: most states have none, and a watched job's last state is
    /// kept for as long as the watch lasts (4 bytes instead of 24 in each).
    pub error: Option<Box<JobError>>,
    /// ISO 8601 UTC.
    pub created_at: Option<String>,
    /// ISO 8601 UTC.
    pub completed_at: Option<String>,
    /// ISO 8601 UTC.
    pub estimated_completion: Option<String>,
    /// A live preview image of an unfinished job (deAPI realtime: base64 or a URL).
    pub preview: Option<String>,
    /// Every file the provider returned (results, alternate formats, previews, downloads,
    /// screenshots), in one shape; empty when there are none.
    pub files: Vec<JobFile>,
    /// What the job costs, when the provider reports it on the job (deAPI v2); `None` for every
    /// provider today. Boxed, as `error`: most states have none.
    pub cost: Option<Box<Cost>>,
    /// How this state reached the client; set by the transport (`None` from a bare parse).
    pub via: Option<Channel>,
    /// A Socaity service job's service base (`{base}/services/v1/{service}`): its relative links
    /// resolve against it. `None` for every other job.
    pub service_url: Option<Rc<str>>,
    /// The provider's last response body, as received (its text, when it came as text).
    pub raw: Raw,
}

impl Job {
    /// A job with only its identity and status set.
    pub fn new(provider: Provider, id: impl Into<Rc<str>>, status: JobStatus) -> Job {
        Job {
            id: id.into(),
            provider,
            status,
            progress: None,
            result: None,
            result_url: None,
            error: None,
            created_at: None,
            completed_at: None,
            estimated_completion: None,
            preview: None,
            files: Vec::new(),
            cost: None,
            via: None,
            service_url: None,
            raw: Raw::default(),
        }
    }

    /// The JS `Job` shape as compact JSON text: `id`, `provider`, `status`, `progress`, `result`,
    /// `resultUrl`, `error` (`{ code, message }`), `createdAt`, `completedAt`,
    /// `estimatedCompletion`, `preview`, `files`, `cost`, `via`, `raw`, every one present (`null`
    /// when absent), then `serviceUrl` when the job has one. The
    /// wasm surface hands this to one `JSON.parse`, which builds the object faster than setting
    /// its fields one by one across the boundary.
    pub fn to_json_string(&self) -> String {
        let mut out = String::with_capacity(160);
        self.write_json(&mut out);
        out
    }

    /// Appends the JSON text of [`Job::to_json_string`] to `out` (a reused buffer saves the
    /// growth steps of a fresh string per job).
    pub fn write_json(&self, out: &mut String) {
        fn opt_str(out: &mut String, key: &str, value: &Option<String>) {
            out.push_str(key);
            match value {
                Some(v) => push_json_string(out, v),
                None => out.push_str("null"),
            }
        }
        out.push_str("{\"id\":");
        push_json_string(out, &self.id);
        out.push_str(",\"provider\":\"");
        out.push_str(self.provider.as_str());
        out.push_str("\",\"status\":\"");
        out.push_str(self.status.as_str());
        out.push_str("\",\"progress\":");
        match self.progress {
            Some(p) => super::number::push_f64(out, p),
            None => out.push_str("null"),
        }
        out.push_str(",\"result\":");
        match &self.result {
            Some(r) => r.write_json(out),
            None => out.push_str("null"),
        }
        opt_str(out, ",\"resultUrl\":", &self.result_url);
        out.push_str(",\"error\":");
        match &self.error {
            Some(e) => {
                opt_str(out, "{\"code\":", &e.code);
                out.push_str(",\"message\":");
                push_json_string(out, &e.message);
                out.push('}');
            }
            None => out.push_str("null"),
        }
        opt_str(out, ",\"createdAt\":", &self.created_at);
        opt_str(out, ",\"completedAt\":", &self.completed_at);
        opt_str(out, ",\"estimatedCompletion\":", &self.estimated_completion);
        opt_str(out, ",\"preview\":", &self.preview);
        out.push_str(",\"files\":");
        write_files_json(&self.files, out);
        out.push_str(",\"cost\":");
        match &self.cost {
            Some(c) => c.to_json().write_json(out),
            None => out.push_str("null"),
        }
        out.push_str(",\"via\":");
        match self.via {
            Some(c) => {
                out.push('"');
                out.push_str(c.as_str());
                out.push('"');
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"raw\":");
        self.raw.write_json(out);
        if let Some(url) = &self.service_url {
            out.push_str(",\"serviceUrl\":");
            push_json_string(out, url);
        }
        out.push('}');
    }

    /// True when the status is terminal (see [`JobStatus::is_terminal`]).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// True when `other` differs in a way a watcher cares about: status, progress, result
    /// or error. Polls that return the same state are not changes.
    pub fn differs_from(&self, other: &Job) -> bool {
        self.status != other.status
            || self.progress != other.progress
            || self.result_url != other.result_url
            || self.error != other.error
            || self.preview != other.preview
            || (self.status.is_terminal()
                && (self.result != other.result
                    || self.files != other.files
                    || self.cost != other.cost))
    }
}

/// Clamps a progress value into 0..=1 after dividing by `scale` (100 for percent scales).
/// Non-finite input gives `None`.
pub fn normalize_progress(value: f64, scale: f64) -> Option<f64> {
    let p = value / scale;
    p.is_finite().then(|| p.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_scaled_and_clamped() {
        assert_eq!(normalize_progress(45.5, 100.0), Some(0.455));
        assert_eq!(normalize_progress(150.0, 100.0), Some(1.0));
        assert_eq!(normalize_progress(-3.0, 1.0), Some(0.0));
        assert_eq!(normalize_progress(f64::NAN, 1.0), None);
    }

    #[test]
    fn js_shape_as_json_text() {
        let mut job = Job::new(Provider::Deapi, "j\"1", JobStatus::Failed);
        job.progress = Some(0.35);
        job.result = Some(Json::object([("n", Json::from(1.5))]));
        job.error = Some(Box::new(JobError {
            code: None,
            message: "bad\nthing".into(),
        }));
        job.created_at = Some("2026-01-01T00:00:00Z".into());
        job.raw = Json::object([("status", Json::from("error"))]).into();
        let text = job.to_json_string();
        assert_eq!(
            text,
            r#"{"id":"j\"1","provider":"deapi","status":"FAILED","progress":0.35,"result":{"n":1.5},"resultUrl":null,"error":{"code":null,"message":"bad\nthing"},"createdAt":"2026-01-01T00:00:00Z","completedAt":null,"estimatedCompletion":null,"preview":null,"files":[],"cost":null,"via":null,"raw":{"status":"error"}}"#
        );
        // The text is valid JSON and round-trips through core's parser.
        let back = super::super::json::parse(&text).unwrap();
        assert_eq!(back.get_str("id"), Some("j\"1"));
        assert_eq!(back.get("progress").and_then(Json::as_f64), Some(0.35));
        let bare = Job::new(Provider::Serika, "x", JobStatus::Queued).to_json_string();
        assert!(bare.ends_with(r#""error":null,"createdAt":null,"completedAt":null,"estimatedCompletion":null,"preview":null,"files":[],"cost":null,"via":null,"raw":null}"#));
    }

    #[test]
    fn provider_names() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Provider::from_name("Socaity"), None);
    }
}
