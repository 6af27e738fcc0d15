//! Helpers every provider translator shares: URL building and validation, header assembly,
//! body access, and the lenient readers for progress, timestamps, error fields, amounts and
//! model entries.

use super::ClientConfig;
use crate::core::form::display_path;
use crate::core::time::{iso_to_unix_ms, unix_ms_to_iso};
use crate::core::{
    Amount, Body, Error, FileRole, Headers, HttpRequest, HttpResponse, Job, JobError, JobFile,
    Json, Method, Model, Provider, RequestBody,
};

/// Checks a user-supplied base URL and returns it without trailing slashes.
pub(crate) fn validate_base_url(url: &str) -> Result<String, Error> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Error::config("baseUrl must be an http:// or https:// URL"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(Error::config("baseUrl has no host"));
    }
    if host.contains('@') {
        return Err(Error::config(
            "baseUrl must not carry credentials; pass apiKey instead",
        ));
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(Error::config("baseUrl must not have a query or fragment"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::config("baseUrl must not contain whitespace"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// True when `s` is a valid HTTP header name (RFC 9110 token).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `base` + `path`, where `path` starts with `/`.
pub fn join_url(base: &str, path: &str) -> String {
    let mut url = String::with_capacity(base.len() + path.len());
    url.push_str(base.trim_end_matches('/'));
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    url
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL.
pub(crate) fn origin(url: &str) -> Option<&str> {
    // A byte scan rather than `find("://")` (core's substring searcher: ~2 KB of wasm).
    let scheme_end = url.as_bytes().windows(3).position(|w| w == b"://")? + 3;
    let end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    Some(&url[..end])
}

/// Resolves a provider-sent link for use with the key: a path (`/status/ID`) is appended to the
/// base URL; an absolute URL is used only when it has the base URL's origin (the key must not
/// travel to another host). Anything else gives `None`.
pub(crate) fn resolve_link(base: &str, link: &str) -> Option<String> {
    let link = link.trim();
    if link.starts_with('/') && !link.starts_with("//") {
        return Some(join_url(base, link));
    }
    if (link.starts_with("https://") || link.starts_with("http://")) && origin(link) == origin(base)
    {
        return Some(link.to_string());
    }
    None
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass through).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::core::encoding::push_percent_encoded(&mut out, s);
    out
}

/// Encodes a `/`-separated path (a model like `org/model`, a task like `prompt/image`),
/// keeping the slashes. Empty segments and `.`/`..` are refused.
pub(crate) fn encode_path(path: &str, what: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(path.len());
    for (i, seg) in path.split('/').enumerate() {
        if seg.is_empty() || seg == "." || seg == ".." {
            let mut msg = String::from(what);
            msg.push_str(" must be a non-empty path without empty, '.' or '..' segments");
            return Err(Error::config(msg));
        }
        if i > 0 {
            out.push('/');
        }
        out.push_str(&encode_segment(seg));
    }
    Ok(out)
}

/// A request with the client's usual headers ([`request_headers`], shared, not copied).
pub(crate) fn request(
    cfg: &ClientConfig,
    method: Method,
    url: String,
    body: Option<Json>,
) -> HttpRequest {
    HttpRequest {
        method,
        url,
        headers: cfg.request_headers.clone(),
        body: body.map(RequestBody::Json),
    }
}

/// The headers every request of a client carries: `accept: application/json`, the configured
/// extra headers (replacing one of any case), then the auth header (which wins over them).
pub(crate) fn request_headers(
    extra: &[(String, String)],
    auth: Option<(&'static str, String)>,
) -> Headers {
    let mut headers: Vec<(String, String)> = Vec::with_capacity(extra.len() + 2);
    headers.push(("accept".into(), "application/json".into()));
    for (k, v) in extra {
        if let Some(slot) = headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
            slot.1 = v.clone();
        } else {
            headers.push((k.clone(), v.clone()));
        }
    }
    if let Some((name, value)) = auth {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_string(), value));
    }
    headers.into()
}

/// The input as an object to add fields to; `CONFIG` when it is not an object (or null → `{}`).
pub(crate) fn input_object(provider: Provider, input: &Json) -> Result<Json, Error> {
    match input {
        Json::Object(_) => Ok(input.clone()),
        Json::Null => Ok(Json::Object(Vec::new())),
        _ => {
            let mut msg = String::from(provider.as_str());
            msg.push_str(": input must be a JSON object");
            Err(Error::config(msg))
        }
    }
}

/// `CONFIG` when the request holds a file: `provider` takes no uploads, and `instead` says
/// what it takes. Names the first file's place in the input.
pub(crate) fn refuse_files(
    provider: Provider,
    req: &super::SubmitRequest,
    instead: &str,
) -> Result<(), Error> {
    let Some(path) = req.files.first() else {
        return Ok(());
    };
    let mut msg = String::from(provider.as_str());
    msg.push_str(": ");
    msg.push_str(&display_path(path));
    msg.push_str(" is a file, but ");
    msg.push_str(provider.as_str());
    msg.push_str(" takes no file uploads; ");
    msg.push_str(instead);
    Err(Error::config(msg))
}

/// Sets `resultUrl` to the URL of the job's first `result` file, when it has one.
pub(crate) fn result_url_from_files(job: &mut Job) {
    if let Some(url) = job
        .files
        .iter()
        .find(|f| f.role == FileRole::Result)
        .and_then(|f| f.url.clone())
    {
        job.result_url = Some(url);
    }
}

/// A file from a non-empty URL string member `key` of `obj`.
pub(crate) fn url_file(obj: &Json, key: &str, role: FileRole) -> Option<JobFile> {
    obj.get_str(key)
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| JobFile::from_url(role, u))
}

/// The JSON body of a 2xx response, or `BAD_RESPONSE`.
pub(crate) fn json_body(provider: Provider, resp: &HttpResponse) -> Result<&Json, Error> {
    match &resp.body {
        Body::Json(j) => Ok(j),
        Body::Empty => Err(Error::bad_response(
            provider,
            bad_msg(provider, "empty response body", resp.status),
        )
        .with_status(resp.status)),
        Body::Text(_) => Err(Error::bad_response(
            provider,
            bad_msg(provider, "response body is not JSON", resp.status),
        )
        .with_status(resp.status)),
    }
}

/// The JSON object body of a 2xx response, or `BAD_RESPONSE`.
pub(crate) fn object_body(provider: Provider, resp: &HttpResponse) -> Result<&Json, Error> {
    let body = json_body(provider, resp)?;
    if body.is_object() {
        Ok(body)
    } else {
        Err(Error::bad_response(
            provider,
            bad_msg(provider, "response body is not a JSON object", resp.status),
        )
        .with_status(resp.status))
    }
}

fn bad_msg(provider: Provider, what: &str, status: u16) -> String {
    let mut m = String::from(provider.as_str());
    m.push_str(": ");
    m.push_str(what);
    m.push_str(" (HTTP ");
    crate::core::number::push_u64(&mut m, u64::from(status));
    m.push(')');
    m
}

/// A required id field (string or number) or `BAD_RESPONSE`.
pub(crate) fn required_id(provider: Provider, obj: &Json, keys: &[&str]) -> Result<String, Error> {
    keys.iter()
        .find_map(|k| obj.get(k).and_then(Json::to_text))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            let mut m = String::from(provider.as_str());
            m.push_str(": response has no job id (");
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    m.push_str(", ");
                }
                m.push_str(key);
            }
            m.push(')');
            Error::bad_response(provider, m)
        })
}

/// Progress from a number, a numeric string or an object `{progress}`, divided by `scale`
/// and clamped to 0..=1.
pub(crate) fn progress(value: Option<&Json>, scale: f64) -> Option<f64> {
    let v = value?;
    let n = match v {
        Json::Object(_) => v.get("progress")?.as_number_lenient()?,
        _ => v.as_number_lenient()?,
    };
    crate::core::normalize_progress(n, scale)
}

/// A timestamp as ISO 8601 UTC: ISO strings are normalized; numbers (and numeric strings) are
/// unix seconds, or milliseconds when larger than 10^11.
pub fn timestamp_to_iso(value: Option<&Json>) -> Option<String> {
    let ms = match value? {
        Json::Number(n) => unix_number_to_ms(*n)?,
        Json::String(s) => match crate::core::number::parse_decimal(s) {
            Some(n) => unix_number_to_ms(n)?,
            None => iso_to_unix_ms(s)?,
        },
        _ => return None,
    };
    unix_ms_to_iso(ms)
}

/// The first of `candidates` that reads as a timestamp (nulls and junk are skipped).
pub(crate) fn first_timestamp(candidates: &[Option<&Json>]) -> Option<String> {
    candidates.iter().find_map(|c| timestamp_to_iso(*c))
}

fn unix_number_to_ms(n: f64) -> Option<f64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    Some(if n > 1e11 { n } else { n * 1000.0 })
}

/// A job error from `error` (string or `{message, code}` object) plus an optional code field.
/// `None` when the body carries no error.
pub(crate) fn job_error(
    obj: &Json,
    code_keys: &[&str],
    message_keys: &[&str],
) -> Option<Box<JobError>> {
    let mut code = code_keys
        .iter()
        .find_map(|k| obj.get(k).and_then(Json::to_text));
    let mut message = message_keys
        .iter()
        .find_map(|k| obj.get(k).and_then(Json::as_str).map(str::to_string));
    match obj.get_non_null("error") {
        Some(Json::String(s)) if message.is_none() => message = Some(s.clone()),
        Some(e @ Json::Object(_)) => {
            if message.is_none() {
                message = e.get_str("message").map(str::to_string);
            }
            if code.is_none() {
                code = e.get("code").and_then(Json::to_text);
            }
        }
        _ => {}
    }
    if message.is_none() && code.is_none() {
        return None;
    }
    Some(Box::new(JobError {
        message: message.unwrap_or_else(|| code.clone().unwrap_or_default()),
        code,
    }))
}

/// Fills a failed job's error with a generic message when the provider sent none.
pub(crate) fn ensure_failure_error(job: &mut Job) {
    use crate::core::JobStatus;
    if job.error.is_none() && matches!(job.status, JobStatus::Failed | JobStatus::Timeout) {
        job.error = Some(Box::new(JobError {
            code: None,
            message: if job.status == JobStatus::Timeout {
                "The job exceeded the provider's time limit".into()
            } else {
                "The job failed".into()
            },
        }));
    }
}

/// Lower-cases and trims a provider status word for table lookup.
pub(crate) fn status_word(obj: &Json, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Json::as_str)
        .map(|s| s.trim().to_ascii_lowercase())
}

/// An amount from a number or a numeric string (`"0.25"`), in `currency`; `BAD_RESPONSE` naming
/// `what` when there is none.
pub(crate) fn amount(
    provider: Provider,
    value: Option<&Json>,
    currency: Option<&str>,
    what: &str,
) -> Result<Amount, Error> {
    match value.and_then(Json::as_number_lenient) {
        Some(amount) => Ok(Amount {
            amount,
            currency: currency.map(str::to_string),
        }),
        None => {
            let mut m = String::from(provider.as_str());
            m.push_str(": the answer has no ");
            m.push_str(what);
            Err(Error::bad_response(provider, m))
        }
    }
}

/// The array of entries of a list answer: the first of `keys` that holds one, or the body itself
/// when it is an array; `BAD_RESPONSE` otherwise.
pub(crate) fn entries<'a>(
    provider: Provider,
    resp: &'a HttpResponse,
    keys: &[&str],
) -> Result<&'a [Json], Error> {
    let body = json_body(provider, resp)?;
    body.as_array()
        .or_else(|| {
            keys.iter()
                .find_map(|k| body.get(k).and_then(Json::as_array))
        })
        .ok_or_else(|| {
            let mut m = String::from(provider.as_str());
            m.push_str(": the answer has no list of entries");
            Error::bad_response(provider, m).with_status(resp.status)
        })
}

/// The models of a catalogue answer: each entry of the first of `list_keys` that holds an
/// array (or of the body when it is one), its id from the first of `id_keys`, `name`, and the
/// tasks from `inference_types` or `tasks` (an array of strings, or an object keyed by task);
/// `BAD_RESPONSE` without the list or for an entry without an id. `raw` is the entry. Plain
/// loops, one copy for every provider (wasm size).
pub(crate) fn models(
    provider: Provider,
    resp: &HttpResponse,
    list_keys: &[&str],
    id_keys: &[&str],
) -> Result<Vec<Model>, Error> {
    let items = entries(provider, resp, list_keys)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(id) = id_keys
            .iter()
            .find_map(|k| item.get(k).and_then(Json::to_text))
            .filter(|id| !id.trim().is_empty())
        else {
            let mut m = String::from(provider.as_str());
            m.push_str(": a model entry has no id (");
            m.push_str(id_keys.first().copied().unwrap_or_default());
            m.push(')');
            return Err(Error::bad_response(provider, m));
        };
        let mut tasks = Vec::new();
        match item.get("inference_types").or_else(|| item.get("tasks")) {
            Some(Json::Array(list)) => {
                for task in list {
                    if let Some(task) = task.as_str() {
                        tasks.push(task.to_string());
                    }
                }
            }
            Some(Json::Object(members)) => {
                for (task, _) in members {
                    tasks.push(task.clone());
                }
            }
            _ => {}
        }
        out.push(Model {
            id,
            name: item
                .get_str("name")
                .filter(|n| !n.trim().is_empty())
                .map(str::to_string),
            tasks,
            raw: item.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            validate_base_url("http://127.0.0.1:8080/socaity/").unwrap(),
            "http://127.0.0.1:8080/socaity"
        );
        for bad in [
            "ftp://x",
            "127.0.0.1",
            "http://",
            "https://user:pw@host",
            "http://h/?a=1",
            "javascript:alert(1)",
            "http://h/a b",
        ] {
            assert!(validate_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_stay_on_origin() {
        let base = "http://127.0.0.1:9/socaity";
        assert_eq!(
            resolve_link(base, "/status/j1").as_deref(),
            Some("http://127.0.0.1:9/socaity/status/j1")
        );
        assert_eq!(
            resolve_link(base, "http://127.0.0.1:9/socaity/v1/jobs/j1").as_deref(),
            Some("http://127.0.0.1:9/socaity/v1/jobs/j1")
        );
        assert_eq!(resolve_link(base, "http://evil.example/steal"), None);
        assert_eq!(resolve_link(base, "//evil.example/steal"), None);
        assert_eq!(resolve_link(base, "http://127.0.0.1:99/x"), None);
    }

    #[test]
    fn path_encoding() {
        assert_eq!(
            encode_path("org/my model", "model").unwrap(),
            "org/my%20model"
        );
        assert_eq!(encode_segment("a?b#c"), "a%3Fb%23c");
        assert!(encode_path("../admin", "model").is_err());
        assert!(encode_path("", "model").is_err());
        assert!(encode_path("a//b", "model").is_err());
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp_to_iso(Some(&Json::Number(1_677_858_242.0))).as_deref(),
            Some("2023-03-03T15:44:02Z")
        );
        assert_eq!(
            timestamp_to_iso(Some(&Json::Number(1_677_858_242_000.0))).as_deref(),
            Some("2023-03-03T15:44:02Z")
        );
        assert_eq!(
            timestamp_to_iso(Some(&"2024-01-15T11:30:00+01:00".into())).as_deref(),
            Some("2024-01-15T10:30:00Z")
        );
        assert_eq!(timestamp_to_iso(Some(&"yesterday".into())), None);
        assert_eq!(timestamp_to_iso(Some(&Json::Number(-5.0))), None);
    }

    #[test]
    fn progress_forms() {
        assert_eq!(progress(Some(&Json::Number(0.45)), 1.0), Some(0.45));
        assert_eq!(progress(Some(&Json::Number(1.0000001)), 1.0), Some(1.0));
        assert_eq!(progress(Some(&"45.50".into()), 100.0), Some(0.455));
        assert_eq!(progress(Some(&Json::Number(250.0)), 100.0), Some(1.0));
        let obj = Json::object([("progress", Json::Number(0.3)), ("message", "x".into())]);
        assert_eq!(progress(Some(&obj), 1.0), Some(0.3));
        assert_eq!(progress(Some(&Json::Null), 1.0), None);
        assert_eq!(progress(None, 1.0), None);
    }

    #[test]
    fn user_headers_cannot_replace_auth() {
        let cfg = ClientConfig::new(
            Provider::Socaity,
            Some("k".into()),
            Some("http://h"),
            vec![
                ("Authorization".into(), "Bearer other".into()),
                ("X-Trace".into(), "1".into()),
            ],
        )
        .unwrap();
        let req = request(&cfg, Method::Get, "http://h/x".into(), None);
        assert_eq!(req.header("authorization"), Some("Bearer k"));
        assert_eq!(req.header("x-trace"), Some("1"));
        assert_eq!(
            req.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .count(),
            1
        );
        // Every request of the client shares the one list; a per-request header copies it.
        let mut other = request(&cfg, Method::Post, "http://h/y".into(), None);
        assert!(std::rc::Rc::ptr_eq(&req.headers, &other.headers));
        other.set_header("Idempotency-Key", "abc".into());
        other.set_header("idempotency-key", "abd".into());
        assert_eq!(other.header("idempotency-key"), Some("abd"));
        assert_eq!(other.headers.len(), req.headers.len() + 1);
        assert_eq!(req.header("idempotency-key"), None);
    }
}
