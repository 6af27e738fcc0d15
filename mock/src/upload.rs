//! Multipart uploads: `multipart/form-data` submit bodies (deAPI, Socaity).
//!
//! Owns: reading a multipart body as it streams (multer), hashing every part with SHA-256 on the
//! way and keeping only the text parts' values (file bytes are never held: a 100 MB upload costs
//! a few chunks of memory), the body-size limits, draining an oversized body before the 413 is
//! sent (so the client reads the answer instead of a reset), what introspection records of a part
//! ([`PartInfo`]), and the two ways a form becomes a JSON body: Laravel's bracket notation
//! ([`laravel_body`], deAPI) and a flat form whose JSON-text parts are decoded ([`socaity_body`]).
//! A file part appears in the body as a *file marker* `{"$file": <PartInfo>}`, which validation
//! reads (only in a body that came from a form: JSON can never carry a file). Must not touch:
//! provider wire formats, validation rules, jobs.

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use futures_util::Stream;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// The member name of a file marker in a form-decoded body.
pub const FILE_KEY: &str = "$file";
/// Most bytes of text parts kept in memory per request (more: the provider's 413).
pub const TEXT_LIMIT: u64 = 16 * 1024 * 1024;
/// Past this many bytes an oversized body is no longer drained; the connection is dropped.
const DRAIN_LIMIT: u64 = 1024 * 1024 * 1024;

/// What introspection records of one received part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartInfo {
    pub name: String,
    /// `None` for a text part (no `filename` in its `Content-Disposition`).
    pub file_name: Option<String>,
    /// The part's `Content-Type` header as sent, `None` when it has none.
    pub content_type: Option<String>,
    /// Bytes of the part's content.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

impl PartInfo {
    pub fn is_file(&self) -> bool {
        self.file_name.is_some()
    }

    /// `{"name","file_name","content_type","size","sha256"}`.
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "file_name": self.file_name, "content_type": self.content_type,
               "size": self.size, "sha256": self.sha256})
    }

    /// The file marker standing for this part in a form-decoded body.
    pub fn marker(&self) -> Value {
        json!({ FILE_KEY: self.to_json() })
    }
}

/// The parts of `parts` as introspection lists them.
pub fn parts_json(parts: &[PartInfo]) -> Value {
    Value::Array(parts.iter().map(PartInfo::to_json).collect())
}

/// The file parts of `parts`, as a finished job echoes them (`"received"`).
pub fn received(parts: &[PartInfo]) -> Option<Value> {
    let files: Vec<Value> = parts
        .iter()
        .filter(|p| p.is_file())
        .map(PartInfo::to_json)
        .collect();
    (!files.is_empty()).then(|| json!({ "received": files }))
}

/// The file marker's part, if `v` is one.
pub fn as_file(v: &Value) -> Option<&Map<String, Value>> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(FILE_KEY)?.as_object(),
        _ => None,
    }
}

/// One received part: what is recorded, and a text part's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub info: PartInfo,
    /// The value of a text part (lossy UTF-8); `None` for a file part.
    pub text: Option<String>,
}

/// Why a form was not read whole. Each carries the parts received completely before it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    /// The body (or its text parts) went over the limit.
    TooLarge(Vec<PartInfo>),
    /// Not a readable `multipart/form-data` body (no boundary, broken framing, cut short).
    Malformed(Vec<PartInfo>),
}

impl FormError {
    pub fn parts(&self) -> &[PartInfo] {
        match self {
            FormError::TooLarge(p) | FormError::Malformed(p) => p,
        }
    }
}

/// Whether the request's `Content-Type` is `multipart/*`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    crate::http::header(headers, CONTENT_TYPE.as_str())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/"))
}

/// [`read`], and the parts received (all, or those before a refusal) recorded in the request log
/// entry `log_id` (when the request was logged). Returns the form and those parts.
pub async fn read_logged(
    body: Body,
    headers: &HeaderMap,
    limit: u64,
    log: &crate::reqlog::RequestLog,
    log_id: Option<crate::reqlog::LogId>,
) -> (Result<Vec<Part>, FormError>, Vec<PartInfo>) {
    let read = read(body, headers, limit).await;
    let infos: Vec<PartInfo> = match &read {
        Ok(form) => form.iter().map(|p| p.info.clone()).collect(),
        Err(e) => e.parts().to_vec(),
    };
    if let Some(id) = log_id {
        log.set_parts(id, infos.clone());
    }
    (read, infos)
}

/// Reads a `multipart/form-data` body of at most `limit` bytes (the whole body as sent, boundaries
/// included). Every part is hashed as it streams; only text parts are kept (at most [`TEXT_LIMIT`]
/// bytes of them). An oversized body is read to its end (up to 1 GiB) and dropped, then
/// `TooLarge`.
pub async fn read(body: Body, headers: &HeaderMap, limit: u64) -> Result<Vec<Part>, FormError> {
    let content_type = crate::http::header(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Err(FormError::Malformed(Vec::new()));
    };
    let seen = Arc::new(AtomicU64::new(0));
    let stream = Paced {
        inner: body.into_data_stream(),
        seen: Arc::clone(&seen),
        yielded: false,
    };
    let mut form = multer::Multipart::new(stream, boundary);
    let over = || seen.load(Ordering::Relaxed) > limit;
    let mut parts: Vec<Part> = Vec::new();
    let mut text_total = 0u64;
    let infos = |parts: &[Part]| parts.iter().map(|p| p.info.clone()).collect::<Vec<_>>();
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) if over() => return Err(FormError::TooLarge(infos(&parts))),
            Err(_) => return Err(FormError::Malformed(infos(&parts))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
        let mut text = file_name.is_none().then(Vec::new);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut too_large = false;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    hasher.update(&bytes);
                    size += bytes.len() as u64;
                    if let Some(t) = text.as_mut() {
                        text_total += bytes.len() as u64;
                        too_large |= text_total > TEXT_LIMIT;
                        if !too_large {
                            t.extend_from_slice(&bytes);
                        }
                    }
                    too_large |= over();
                    if too_large {
                        break;
                    }
                }
                Ok(None) => break,
                Err(_) if over() => {
                    too_large = true;
                    break;
                }
                Err(_) => return Err(FormError::Malformed(infos(&parts))),
            }
        }
        drop(field);
        if too_large {
            drain(&mut form, &seen).await;
            return Err(FormError::TooLarge(infos(&parts)));
        }
        parts.push(Part {
            info: PartInfo {
                name,
                file_name,
                content_type,
                size,
                sha256: hex(&hasher.finalize()),
            },
            text: text.map(|t| String::from_utf8_lossy(&t).into_owned()),
        });
    }
    if over() {
        return Err(FormError::TooLarge(infos(&parts)));
    }
    Ok(parts)
}

/// The body as multer reads it: one chunk per poll (multer takes every chunk that is ready at
/// once, so a fast sender would otherwise fill its buffer with the whole upload), counting the
/// bytes received.
struct Paced<S> {
    inner: S,
    seen: Arc<AtomicU64>,
    /// A chunk went out on the last poll: the next one yields first.
    yielded: bool,
}

impl<S, E> Stream for Paced<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.yielded {
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(bytes))) = &next {
            self.seen.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            self.yielded = true;
        }
        next
    }
}

/// Reads (and drops) the rest of an oversized form, so the client gets to read the answer.
async fn drain(form: &mut multer::Multipart<'_>, seen: &AtomicU64) {
    while let Ok(Some(mut field)) = form.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {
            if seen.load(Ordering::Relaxed) > DRAIN_LIMIT {
                return;
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A part's value in a body: a text part's string, a file part's marker.
fn value_of(p: &Part) -> Value {
    match &p.text {
        Some(t) => Value::String(t.clone()),
        None => p.info.marker(),
    }
}

/// Socaity (FastAPI form): one member per name; a text part whose value is a JSON object or array
/// becomes that value (the `mock` part), any other text stays a string; a file part is a marker;
/// a name sent more than once becomes the list of its values, in order.
pub fn socaity_body(parts: &[Part]) -> Value {
    let mut out = Map::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in parts {
        let v = match &p.text {
            Some(t) => match serde_json::from_str::<Value>(t) {
                Ok(j @ (Value::Object(_) | Value::Array(_))) => j,
                _ => Value::String(t.clone()),
            },
            None => p.info.marker(),
        };
        let name = p.info.name.as_str();
        let n = counts.entry(name).or_insert(0);
        *n += 1;
        match (*n, out.get_mut(name)) {
            (1, _) | (_, None) => {
                out.insert(name.to_owned(), v);
            }
            (2, Some(first)) => {
                let first = first.take();
                out.insert(name.to_owned(), json!([first, v]));
            }
            (_, Some(Value::Array(list))) => list.push(v),
            (_, Some(other)) => *other = v,
        }
    }
    Value::Object(out)
}

/// A tree of PHP array keys, in insertion order, before it becomes JSON.
#[derive(Debug)]
enum Node {
    Leaf(Value),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn into_json(self) -> Value {
        match self {
            Node::Leaf(v) => v,
            Node::Map(entries) => {
                let is_list = entries
                    .iter()
                    .enumerate()
                    .all(|(i, (k, _))| *k == i.to_string());
                if is_list {
                    Value::Array(entries.into_iter().map(|(_, n)| n.into_json()).collect())
                } else {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, n)| (k, n.into_json()))
                            .collect(),
                    )
                }
            }
        }
    }
}

/// The keys of a form name in PHP's bracket notation: `a[b][]` → `a`, `b`, append (`None`). A name
/// whose brackets do not close is one plain key.
fn keys(name: &str) -> Vec<Option<String>> {
    let Some(open) = name.find('[').filter(|&i| i > 0) else {
        return vec![Some(name.to_owned())];
    };
    let mut out = vec![Some(name[..open].to_owned())];
    let mut rest = &name[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return vec![Some(name.to_owned())];
        };
        let key = &inner[..close];
        out.push((!key.is_empty()).then(|| key.to_owned()));
        rest = &inner[close + 1..];
    }
    // PHP ignores anything after the last closing bracket.
    out
}

fn insert(entries: &mut Vec<(String, Node)>, keys: &[Option<String>], value: Value) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let key = first.clone().unwrap_or_else(|| {
        // `[]` appends: one past the largest integer key so far (PHP).
        entries
            .iter()
            .filter_map(|(k, _)| k.parse::<u64>().ok())
            .max()
            .map_or(0, |m| m + 1)
            .to_string()
    });
    let pos = entries.iter().position(|(k, _)| *k == key);
    if rest.is_empty() {
        match pos {
            Some(i) => entries[i].1 = Node::Leaf(value),
            None => entries.push((key, Node::Leaf(value))),
        }
        return;
    }
    let i = match pos {
        Some(i) => {
            if !matches!(entries[i].1, Node::Map(_)) {
                entries[i].1 = Node::Map(Vec::new());
            }
            i
        }
        None => {
            entries.push((key, Node::Map(Vec::new())));
            entries.len() - 1
        }
    };
    if let Node::Map(children) = &mut entries[i].1 {
        insert(children, rest, value);
    }
}

/// deAPI (Laravel): the form as PHP decodes it. Bracket names nest (`loras[0][name]` →
/// `{"loras":[{"name":…}]}`, `images[]` appends), every text value is a string, a file part is a
/// marker at its place; an object whose keys are exactly 0..n-1 in order is a JSON array.
pub fn laravel_body(parts: &[Part]) -> Value {
    let mut root = Vec::new();
    for p in parts {
        insert(&mut root, &keys(&p.info.name), value_of(p));
    }
    match Node::Map(root).into_json() {
        // A form whose only names are `0`, `1`, … is still an object at the top.
        Value::Array(items) => Value::Object(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
        ),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, v: &str) -> Part {
        Part {
            info: PartInfo {
                name: name.into(),
                file_name: None,
                content_type: None,
                size: v.len() as u64,
                sha256: String::new(),
            },
            text: Some(v.into()),
        }
    }

    fn file(name: &str) -> Part {
        Part {
            info: PartInfo {
                name: name.into(),
                file_name: Some("a.png".into()),
                content_type: Some("image/png".into()),
                size: 3,
                sha256: "ab".into(),
            },
            text: None,
        }
    }

    #[test]
    fn bracket_notation() {
        let body = laravel_body(&[
            text("a", "v"),
            text("loras[0][name]", "style"),
            text("loras[0][weight]", "0.7"),
            text("loras[1][name]", "x"),
            file("images[]"),
            file("images[]"),
            text("mock[faults][0][kind]", "500"),
            text("mock[queue_ms]", "0"),
            text("odd[", "1"),
            text("m[k]", "1"),
            text("m[k][j]", "2"),
        ]);
        let marker = file("images[]").info.marker();
        assert_eq!(
            body,
            json!({"a": "v", "loras": [{"name": "style", "weight": "0.7"}, {"name": "x"}],
                   "images": [marker.clone(), marker.clone()],
                   "mock": {"faults": [{"kind": "500"}], "queue_ms": "0"}, "odd[": "1",
                   "m": {"k": {"j": "2"}}})
        );
        assert!(as_file(&body["images"][0]).is_some());
        assert!(as_file(&json!({"$file": 1})).is_none());
        assert_eq!(laravel_body(&[text("0", "x")]), json!({"0": "x"}));
        assert_eq!(
            keys("a[b][]"),
            vec![Some("a".into()), Some("b".into()), None]
        );
        assert_eq!(keys("[x]"), vec![Some("[x]".into())]);
    }

    #[test]
    fn flat_form_with_json_parts() {
        let body = socaity_body(&[
            text("prompt", "hi"),
            text("mock", r#"{"duration_ms":300}"#),
            text("n", "3"),
            file("image"),
            file("image"),
            file("image"),
        ]);
        let m = file("image").info.marker();
        assert_eq!(
            body,
            json!({"prompt": "hi", "mock": {"duration_ms": 300}, "n": "3", "image": [m, m, m]})
        );
    }

    #[test]
    fn received_lists_file_parts() {
        let parts = [text("a", "b").info, file("image").info];
        assert_eq!(
            received(&parts),
            Some(json!({"received": [file("image").info.to_json()]}))
        );
        assert_eq!(received(&parts[..1]), None);
    }
}
