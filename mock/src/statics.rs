//! Static files for paths no route matches (`--static DIR`, used by the demo page).
//!
//! Owns: mapping a URL path to a file under the directory (`/` and directories → `index.html`),
//! refusing anything that would leave it, and the content type by extension. Without `--static`
//! (or when no file matches) the answer is `404 {"error":"Not Found"}`. Must not touch: the
//! provider prefixes, which answer their own 404s.

use crate::http::json;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The fallback handler.
pub async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let not_found = || json(StatusCode::NOT_FOUND, &json!({"error": "Not Found"}));
    let Some(dir) = st.config.static_dir.as_deref() else {
        return not_found();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return not_found();
    }
    let Some(mut path) = resolve(dir, req.uri().path()) else {
        return not_found();
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(content_type(&path))),
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(),
    }
}

/// The file under `dir` for a URL path, or `None` if the path tries to leave `dir`.
pub fn resolve(dir: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut out = dir.to_path_buf();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') => return None,
            s => out.push(s),
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_only() {
        let d = Path::new("/srv");
        assert_eq!(resolve(d, "/a/b.js"), Some(PathBuf::from("/srv/a/b.js")));
        assert_eq!(resolve(d, "/"), Some(PathBuf::from("/srv")));
        assert_eq!(resolve(d, "/a/../../etc/passwd"), None);
        assert_eq!(resolve(d, "/%2e%2e/x"), None);
        assert_eq!(resolve(d, "/a%20b"), Some(PathBuf::from("/srv/a b")));
        assert_eq!(resolve(d, "/%zz"), None);
        assert_eq!(content_type(Path::new("x.WASM")), "application/wasm");
    }
}
