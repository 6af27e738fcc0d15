//! The normalized [`Job`]: the one shape every provider's job bodies are translated into.
//! It holds data only; translating provider bodies is `providers/*`'s business.

use super::json::Json;
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
    pub id: String,
    pub provider: Provider,
    pub status: JobStatus,
    /// Always within 0..=1 when present.
    pub progress: Option<f64>,
    /// The provider's result payload.
    pub result: Option<Json>,
    /// A URL where the result can be downloaded (deAPI `result_url`, Serika `result.url`).
    pub result_url: Option<String>,
    pub error: Option<JobError>,
    /// ISO 8601 UTC.
    pub created_at: Option<String>,
    /// ISO 8601 UTC.
    pub completed_at: Option<String>,
    /// ISO 8601 UTC.
    pub estimated_completion: Option<String>,
    /// A live preview image of an unfinished job (deAPI realtime: base64 or a URL).
    pub preview: Option<String>,
    /// The provider's last response body, as received.
    pub raw: Json,
}

impl Job {
    /// A job with only its identity and status set.
    pub fn new(provider: Provider, id: impl Into<String>, status: JobStatus) -> Job {
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
            raw: Json::Null,
        }
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
            || (self.status.is_terminal() && self.result != other.result)
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
    fn provider_names() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Provider::from_name("Socaity"), None);
    }
}
