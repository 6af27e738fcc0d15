//! The sans-IO core: normalized job model, statuses, errors, HTTP request/response values,
//! amounts, costs and models (discovery.rs), and the retry and poll-schedule policies. Nothing here performs I/O or reads a clock.

pub mod deadline;
mod discovery;
pub mod encoding;
mod error;
pub mod files;
pub mod form;
mod http;
mod job;
pub mod json;
pub mod number;
pub mod permits;
pub mod pusher;
mod raw;
pub mod retry;
pub mod schedule;
pub mod sse;
mod status;
pub mod time;
pub mod utf8;
pub mod webhook;

pub use deadline::Deadline;
pub use discovery::{Amount, Cost, Model, ModelPage};
pub use error::{Error, ErrorCode, HostValue};

/// The per-request timeout when the caller sets none: long enough for SYNC endpoints, short
/// enough that a server which never answers cannot hang a wait.
pub const DEFAULT_REQUEST_TIMEOUT_MS: f64 = 60_000.0;
pub use files::{FileRole, JobFile};
pub use form::{FilePath, FormPart, PartValue, PathSeg};
pub use http::{header_contains, Body, Headers, HttpRequest, HttpResponse, Method, RequestBody};
pub use job::{normalize_progress, Channel, Job, JobError, Provider};
pub use json::Json;
pub use raw::Raw;
pub use status::JobStatus;
