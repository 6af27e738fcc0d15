//! Result files in one shape: [`JobFile`] (a URL to download, or the bytes inline as base64)
//! with its [`FileRole`], and the small readers the providers share to make them: a file from
//! a URL (content type from the extension), from content that may be a URL, a `data:` URI or
//! base64 ([`JobFile::from_content`]), and the content type of a file extension.

use super::json::{push_json_string, Json};

/// What a file is to its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// The job's output (deAPI `result_url`, Socaity FileModels, Serika `result.url`).
    Result,
    /// The same output in another format (deAPI `results_alt_formats`).
    Alternate,
    /// A live preview of an unfinished job (deAPI `preview`).
    Preview,
    /// A file the job produced along the way (Optexity `downloads`).
    Download,
    /// A screenshot (Optexity `final_screenshot`).
    Screenshot,
}

impl FileRole {
    /// `"result"`, `"alternate"`, `"preview"`, `"download"`, `"screenshot"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Result => "result",
            FileRole::Alternate => "alternate",
            FileRole::Preview => "preview",
            FileRole::Download => "download",
            FileRole::Screenshot => "screenshot",
        }
    }

    /// Parses [`FileRole::as_str`]'s names.
    pub fn from_name(name: &str) -> Option<FileRole> {
        [
            FileRole::Result,
            FileRole::Alternate,
            FileRole::Preview,
            FileRole::Download,
            FileRole::Screenshot,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// One file of a job: where to download it (`url`), or its bytes as base64 (`data`).
#[derive(Clone, Debug, PartialEq)]
pub struct JobFile {
    pub role: FileRole,
    pub url: Option<String>,
    /// Standard base64, as the provider sent it (a `data:` URI's payload without its prefix).
    pub data: Option<String>,
    /// The provider's, else from the URL's extension or the `data:` URI.
    pub content_type: Option<String>,
    pub file_name: Option<String>,
}

impl JobFile {
    /// A file at `url`; the content type from `url`'s extension.
    pub fn from_url(role: FileRole, url: &str) -> JobFile {
        JobFile {
            role,
            url: Some(url.to_string()),
            data: None,
            content_type: content_type_of_name(url).map(str::to_string),
            file_name: None,
        }
    }

    /// A file from `content` that is a URL (`http(s)://`), a `data:` URI, or base64. `None`
    /// for anything else (an empty string, plain text).
    pub fn from_content(role: FileRole, content: &str) -> Option<JobFile> {
        let content = content.trim();
        if content.starts_with("https://") || content.starts_with("http://") {
            return Some(JobFile::from_url(role, content));
        }
        if let Some(rest) = strip_prefix_ignore_case(content, "data:") {
            let (meta, payload) = rest.split_once(',')?;
            let mut fields = meta.split(';');
            let media = fields.next().unwrap_or("").trim();
            let base64 = fields.any(|f| f.trim().eq_ignore_ascii_case("base64"));
            return Some(JobFile {
                role,
                // A data URI that is not base64 is percent-encoded text: keep it whole as a
                // URL (`fetch` and `loadFile` read data: URLs).
                url: (!base64).then(|| content.to_string()),
                data: base64.then(|| payload.to_string()),
                content_type: Some(if media.is_empty() {
                    "text/plain".to_string()
                } else {
                    media.to_ascii_lowercase()
                }),
                file_name: None,
            });
        }
        is_base64(content).then(|| JobFile {
            role,
            url: None,
            data: Some(content.to_string()),
            content_type: None,
            file_name: None,
        })
    }

    /// Sets the file name, and the content type from its extension when there is none yet.
    pub fn named(mut self, file_name: Option<&str>) -> JobFile {
        if let Some(name) = file_name.map(str::trim).filter(|n| !n.is_empty()) {
            if self.content_type.is_none() {
                self.content_type = content_type_of_name(name).map(str::to_string);
            }
            self.file_name = Some(name.to_string());
        }
        self
    }

    /// Sets the content type when `content_type` is a non-empty value (the provider's word
    /// wins over a guess).
    pub fn typed(mut self, content_type: Option<&str>) -> JobFile {
        if let Some(t) = content_type.map(str::trim).filter(|t| !t.is_empty()) {
            self.content_type = Some(t.to_string());
        }
        self
    }

    /// Appends the JS `JobFile` shape as JSON text.
    pub fn write_json(&self, out: &mut String) {
        fn opt(out: &mut String, key: &str, value: &Option<String>) {
            out.push_str(key);
            match value {
                Some(v) => push_json_string(out, v),
                None => out.push_str("null"),
            }
        }
        out.push_str("{\"role\":\"");
        out.push_str(self.role.as_str());
        out.push('"');
        opt(out, ",\"url\":", &self.url);
        opt(out, ",\"data\":", &self.data);
        opt(out, ",\"contentType\":", &self.content_type);
        opt(out, ",\"fileName\":", &self.file_name);
        out.push('}');
    }
}

/// Appends `files` as a JSON array.
pub fn write_files_json(files: &[JobFile], out: &mut String) {
    out.push('[');
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        f.write_json(out);
    }
    out.push(']');
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len()
        && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes()))
    .then(|| &s[prefix.len()..])
}

/// True for non-empty standard or URL-safe base64 (padding and line breaks allowed).
fn is_base64(s: &str) -> bool {
    let mut significant = 0usize;
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'-' | b'_' => significant += 1,
            b'=' | b'\r' | b'\n' => {}
            _ => return false,
        }
    }
    significant >= 4
}

/// The content type of a file name's or URL's extension (the URL's query and fragment are
/// ignored), for the types AI jobs return. `None` when unknown.
pub fn content_type_of_name(name: &str) -> Option<&'static str> {
    let path = name.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let (_, ext) = last.rsplit_once('.')?;
    content_type_of_extension(ext)
}

/// The content type of a file extension (`png`, `JPG`, `.webp`); `None` when unknown.
pub fn content_type_of_extension(ext: &str) -> Option<&'static str> {
    let ext = ext.trim_start_matches('.').to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "flac" => "audio/flac",
        "m4a" => "audio/mp4",
        "json" => "application/json",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "glb" => "model/gltf-binary",
        "npy" => "application/octet-stream",
        _ => return None,
    })
}

/// Reads a JS `JobFile`-shaped JSON object back (`role` must be one of the names).
pub fn job_file_from_json(value: &Json) -> Option<JobFile> {
    let text = |k: &str| value.get_str(k).map(str::to_string);
    Some(JobFile {
        role: FileRole::from_name(value.get_str("role")?)?,
        url: text("url"),
        data: text("data"),
        content_type: text("contentType"),
        file_name: text("fileName"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_from_names_and_urls() {
        assert_eq!(content_type_of_name("out.PNG"), Some("image/png"));
        assert_eq!(
            content_type_of_name("https://cdn.x/a/b.jpg?sig=1.webp#x"),
            Some("image/jpeg")
        );
        assert_eq!(content_type_of_name("https://x.y/noext"), None);
        assert_eq!(content_type_of_name("https://x.y/dir.v2/file"), None);
        assert_eq!(content_type_of_name("clip.webm"), Some("video/webm"));
        assert_eq!(content_type_of_extension(".mp3"), Some("audio/mpeg"));
        assert_eq!(content_type_of_extension("exe"), None);
    }

    #[test]
    fn content_as_url_data_uri_or_base64() {
        let f = JobFile::from_content(FileRole::Result, "https://h/r/1.png").unwrap();
        assert_eq!(f.url.as_deref(), Some("https://h/r/1.png"));
        assert_eq!(
            (f.data, f.content_type.as_deref()),
            (None, Some("image/png"))
        );

        let f =
            JobFile::from_content(FileRole::Preview, "data:image/jpeg;base64,/9j/4AAQ").unwrap();
        assert_eq!(f.url, None);
        assert_eq!(f.data.as_deref(), Some("/9j/4AAQ"));
        assert_eq!(f.content_type.as_deref(), Some("image/jpeg"));

        let f = JobFile::from_content(FileRole::Result, "DATA:,hello%20world").unwrap();
        assert_eq!(f.url.as_deref(), Some("DATA:,hello%20world"));
        assert_eq!(f.content_type.as_deref(), Some("text/plain"));

        let f = JobFile::from_content(FileRole::Screenshot, "iVBORw0KGgo=\n").unwrap();
        assert_eq!(f.data.as_deref(), Some("iVBORw0KGgo="));
        assert_eq!(f.content_type, None);

        for junk in [
            "",
            "hello world",
            "abc",
            "data:image/png;base64",
            "/relative/path.png",
        ] {
            assert_eq!(
                JobFile::from_content(FileRole::Result, junk),
                None,
                "{junk}"
            );
        }
    }

    #[test]
    fn names_and_types() {
        let f = JobFile::from_content(FileRole::Result, "iVBORw0KGgo=")
            .unwrap()
            .named(Some("face.png"));
        assert_eq!(f.content_type.as_deref(), Some("image/png"));
        let f = f.typed(Some("image/x-custom")).named(Some("other.jpg"));
        assert_eq!(f.content_type.as_deref(), Some("image/x-custom"));
        assert_eq!(f.file_name.as_deref(), Some("other.jpg"));
        assert_eq!(f.clone().typed(Some(" ")), f);
    }

    #[test]
    fn json_shape_round_trips() {
        let f = JobFile::from_url(FileRole::Alternate, "https://h/x.webp").named(Some("x.webp"));
        let mut text = String::new();
        write_files_json(std::slice::from_ref(&f), &mut text);
        assert_eq!(
            text,
            r#"[{"role":"alternate","url":"https://h/x.webp","data":null,"contentType":"image/webp","fileName":"x.webp"}]"#
        );
        let back = crate::core::json::parse(&text).unwrap();
        let Json::Array(items) = back else { panic!() };
        assert_eq!(job_file_from_json(&items[0]), Some(f));
        assert_eq!(
            job_file_from_json(&crate::core::json::parse(r#"{"role":"other"}"#).unwrap()),
            None
        );
    }
}
