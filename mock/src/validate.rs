//! deAPI's request validation, as its Laravel back end answers it.
//!
//! v2 resources (`images/edits`, ...) are checked by the rules of their v1 task ([`v1_task`]).
//!
//! Owns: the per-task rules — the text fields a task requires (`txt2img`: `prompt`, `model`), the
//! file fields of the upload tasks with their required-ness (field names and required-ness from
//! deAPI's Python SDK `resources/v1/*` and n8n-nodes-deapi `actions/`; see the table in
//! `mock/README.md`), the image checks (an image content type, at most 10240 KiB) — and
//! `webhook_secret` (32–255 characters). A field's messages use Laravel's attribute name (`_` →
//! space) and the first rule it fails. Must not touch: the error envelope (deAPI's module renders
//! it), multipart reading, jobs.

use crate::upload;
use crate::webhooks;
use serde_json::Value;

/// Largest image a deAPI upload field takes, in KiB (Laravel `max:10240`).
pub const IMAGE_MAX_KB: u64 = 10240;

/// What a file field must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Laravel `image`: a file with an `image/*` content type, at most [`IMAGE_MAX_KB`].
    Image,
    /// Any file (audio, video).
    File,
}

/// When a file field is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// Required unless the named field is present (`image` / `images`, `source_file` / `source_url`).
    Unless(&'static str),
    /// Required when the named text field has this value (`ref_audio` when `mode` is `voice_clone`).
    When(&'static str, &'static str),
}

/// One file field of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileField {
    pub name: &'static str,
    pub kind: FileKind,
    pub need: Need,
    /// A list of files (`images[]`): each element is checked as `name.N`.
    pub many: bool,
}

const fn file(name: &'static str, kind: FileKind, need: Need) -> FileField {
    FileField {
        name,
        kind,
        need,
        many: false,
    }
}

use FileKind::{File, Image};
use Need::{Optional, Required, Unless, When};

/// A task's rules: its file fields (checked first, in order), then its required text fields.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    pub name: &'static str,
    pub files: &'static [FileField],
    pub text: &'static [&'static str],
}

/// deAPI's v1 task paths (`POST /api/v1/client/{task}`, the SDK's `_constants.py`); any other
/// path is Laravel's route 404.
pub const V1_TASKS: &[&str] = &[
    "txt2img",
    "img2img",
    "img-upscale",
    "img-rmbg",
    "txt2audio",
    "txt2music",
    "txt2video",
    "img2video",
    "vid-upscale",
    "vid-rmbg",
    "aud2video",
    "videos/replace",
    "transcribe",
    "vid2txt",
    "aud2txt",
    "audiofile2txt",
    "videofile2txt",
    "txt2embedding",
    "img2txt",
    "prompt/image",
    "prompt/video",
    "prompt/speech",
    "prompt/image2image",
];

/// Every task the mock validates; the other [`V1_TASKS`] accept any JSON object (or form).
pub const TASKS: &[Task] = &[
    Task {
        name: "txt2img",
        files: &[],
        text: &["prompt", "model"],
    },
    Task {
        name: "img2img",
        files: &[
            file("image", Image, Unless("images")),
            FileField {
                name: "images",
                kind: Image,
                need: Optional,
                many: true,
            },
        ],
        text: &["prompt", "model"],
    },
    Task {
        name: "img-upscale",
        files: &[file("image", Image, Required)],
        text: &["model"],
    },
    Task {
        name: "img-rmbg",
        files: &[file("image", Image, Required)],
        text: &["model"],
    },
    Task {
        name: "img2video",
        files: &[
            file("first_frame_image", Image, Required),
            file("last_frame_image", Image, Optional),
        ],
        text: &["prompt", "model"],
    },
    Task {
        name: "img2txt",
        files: &[file("image", Image, Required)],
        text: &[],
    },
    Task {
        name: "transcribe",
        files: &[file("source_file", File, Unless("source_url"))],
        text: &[],
    },
    Task {
        name: "audiofile2txt",
        files: &[file("audio", File, Required)],
        text: &[],
    },
    Task {
        name: "videofile2txt",
        files: &[file("video", File, Required)],
        text: &[],
    },
    Task {
        name: "aud2txt",
        files: &[],
        text: &["audio_url"],
    },
    Task {
        name: "vid2txt",
        files: &[],
        text: &["video_url"],
    },
    Task {
        name: "vid-upscale",
        files: &[file("video", File, Required)],
        text: &[],
    },
    Task {
        name: "vid-rmbg",
        files: &[file("video", File, Required)],
        text: &[],
    },
    Task {
        name: "aud2video",
        files: &[
            file("audio", File, Required),
            file("first_frame_image", Image, Optional),
            file("last_frame_image", Image, Optional),
        ],
        text: &[],
    },
    Task {
        name: "videos/replace",
        files: &[
            file("video", File, Required),
            file("ref_image", Image, Required),
        ],
        text: &[],
    },
    Task {
        name: "txt2audio",
        files: &[file("ref_audio", File, When("mode", "voice_clone"))],
        text: &[],
    },
    Task {
        name: "prompt/image2image",
        files: &[file("image", Image, Required)],
        text: &[],
    },
    Task {
        name: "prompt/video",
        files: &[file("image", Image, Optional)],
        text: &[],
    },
];

/// deAPI v2's job resources and the v1 task each one is (deapi-tester's endpoint registry: the
/// same fields, files and rules), so a v2 submit is validated, priced and run as its v1 task.
/// `prompts/enhancements` (synchronous, not a job) is not among them.
pub const V2_RESOURCES: &[(&str, &str)] = &[
    ("images/generations", "txt2img"),
    ("images/edits", "img2img"),
    ("images/upscales", "img-upscale"),
    ("images/background-removals", "img-rmbg"),
    ("images/ocr", "img2txt"),
    ("videos/generations", "txt2video"),
    ("videos/animations", "img2video"),
    ("videos/audio-syncs", "aud2video"),
    ("videos/replacements", "videos/replace"),
    ("videos/upscales", "vid-upscale"),
    ("videos/background-removals", "vid-rmbg"),
    ("audio/speech", "txt2audio"),
    ("audio/music", "txt2music"),
    ("audio/transcriptions", "transcribe"),
    ("embeddings", "txt2embedding"),
];

/// The v1 task of v2 resource `resource` (`images/edits` → `img2img`); `None` for a path that is
/// no v2 job resource.
pub fn v1_task(resource: &str) -> Option<&'static str> {
    V2_RESOURCES
        .iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, task)| *task)
}

/// Laravel's display name of a field: `first_frame_image` → `first frame image`.
fn attr(field: &str) -> String {
    field.replace('_', " ")
}

/// Whether a value counts as given (Laravel: not null, not an empty or blank string, not `[]`).
fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Checks one file value; `form` says the body came from a multipart form (only there can a
/// value be a file).
fn check_file(
    v: &Value,
    key: &str,
    kind: FileKind,
    form: bool,
    errors: &mut Vec<(String, String)>,
) {
    let a = attr(key);
    let Some(f) = form.then(|| upload::as_file(v)).flatten() else {
        errors.push((key.to_owned(), format!("The {a} field must be a file.")));
        return;
    };
    if kind == FileKind::Image {
        let is_image = f
            .get("content_type")
            .and_then(Value::as_str)
            .is_some_and(|c| c.trim().to_ascii_lowercase().starts_with("image/"));
        if !is_image {
            errors.push((key.to_owned(), format!("The {a} field must be an image.")));
            return;
        }
        let size = f.get("size").and_then(Value::as_u64).unwrap_or(0);
        if size > IMAGE_MAX_KB * 1024 {
            errors.push((
                key.to_owned(),
                format!("The {a} field must not be greater than {IMAGE_MAX_KB} kilobytes."),
            ));
        }
    }
}

/// The validation errors of a price calculation for `task`: [`check`]'s, except that a missing
/// file field is no error (deAPI prices an upload task from its parameters — `width`/`height`,
/// `duration` — or from the file when one is sent; a file sent is still checked).
pub fn check_price(task: &str, body: &Value, form: bool) -> Vec<(String, String)> {
    let files: &[FileField] = TASKS
        .iter()
        .find(|t| t.name == task)
        .map_or(&[], |t| t.files);
    check(task, body, form)
        .into_iter()
        .filter(|(field, _)| !files.iter().any(|f| f.name == field) || present(body.get(field)))
        .collect()
}

/// The validation errors of a submit to `task` with `body` (a JSON object; `form`: decoded from a
/// multipart form), as `(field, message)` in Laravel's order. Empty = valid.
pub fn check(task: &str, body: &Value, form: bool) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if let Some(t) = TASKS.iter().find(|t| t.name == task) {
        for f in t.files {
            let v = body.get(f.name);
            if !present(v) {
                let needed = match f.need {
                    Need::Required => true,
                    Need::Optional => false,
                    Need::Unless(other) => !present(body.get(other)),
                    Need::When(field, value) => {
                        body.get(field).and_then(Value::as_str) == Some(value)
                    }
                };
                if needed {
                    let msg = match f.need {
                        Need::When(field, value) => format!(
                            "The {} field is required when {} is {value}.",
                            attr(f.name),
                            attr(field)
                        ),
                        _ => format!("The {} field is required.", attr(f.name)),
                    };
                    errors.push((f.name.to_owned(), msg));
                }
                continue;
            }
            let v = v.unwrap_or(&Value::Null);
            if !f.many {
                check_file(v, f.name, f.kind, form, &mut errors);
                continue;
            }
            let Value::Array(items) = v else {
                let msg = format!("The {} field must be an array.", attr(f.name));
                errors.push((f.name.to_owned(), msg));
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                check_file(item, &format!("{}.{i}", f.name), f.kind, form, &mut errors);
            }
        }
        for &field in t.text {
            match body.get(field) {
                None | Some(Value::Null) => errors.push((
                    field.to_owned(),
                    format!("The {} field is required.", attr(field)),
                )),
                Some(Value::String(s)) if s.trim().is_empty() => errors.push((
                    field.to_owned(),
                    format!("The {} field is required.", attr(field)),
                )),
                Some(Value::String(_)) => {}
                Some(_) => errors.push((
                    field.to_owned(),
                    format!("The {} field must be a string.", attr(field)),
                )),
            }
        }
    }
    let secret = "webhook_secret".to_owned();
    match body.get("webhook_secret") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if webhooks::SECRET_LEN.contains(&s.chars().count()) => {}
        Some(Value::String(s)) if s.chars().count() < *webhooks::SECRET_LEN.start() => {
            errors.push((
                secret,
                "The webhook secret field must be at least 32 characters.".to_owned(),
            ))
        }
        Some(Value::String(_)) => errors.push((
            secret,
            "The webhook secret field must not be greater than 255 characters.".to_owned(),
        )),
        Some(_) => errors.push((
            secret,
            "The webhook secret field must be a string.".to_owned(),
        )),
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::PartInfo;
    use serde_json::json;

    fn marker(name: &str, ct: Option<&str>, size: u64) -> Value {
        PartInfo {
            name: name.into(),
            file_name: Some("f".into()),
            content_type: ct.map(str::to_owned),
            size,
            sha256: String::new(),
        }
        .marker()
    }

    fn fields(e: &[(String, String)]) -> Vec<&str> {
        e.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn file_tasks() {
        let png = marker("image", Some("image/png"), 10);
        let body = json!({"image": png, "prompt": "p", "model": "m"});
        assert!(check("img2img", &body, true).is_empty());
        // The same body from JSON: a marker is just an object.
        assert_eq!(
            check("img2img", &body, false),
            vec![(
                "image".to_owned(),
                "The image field must be a file.".to_owned()
            )]
        );
        let e = check("img2img", &json!({"prompt": "p"}), true);
        assert_eq!(fields(&e), ["image", "model"]);
        assert_eq!(e[0].1, "The image field is required.");
        let many = json!({"images": [png, "x", marker("i", Some("text/plain"), 1)], "prompt": "p", "model": "m"});
        let e = check("img2img", &many, true);
        assert_eq!(
            e,
            vec![
                (
                    "images.1".to_owned(),
                    "The images.1 field must be a file.".to_owned()
                ),
                (
                    "images.2".to_owned(),
                    "The images.2 field must be an image.".to_owned()
                )
            ]
        );
        let big = json!({"first_frame_image": marker("f", Some("image/jpeg"), 10240 * 1024 + 1),
                         "prompt": "p", "model": "m"});
        assert_eq!(
            check("img2video", &big, true)[0].1,
            "The first frame image field must not be greater than 10240 kilobytes."
        );
        let ok = json!({"first_frame_image": marker("f", Some("image/jpeg"), 10240 * 1024),
                        "prompt": "p", "model": "m"});
        assert!(check("img2video", &ok, true).is_empty());
        assert!(check("transcribe", &json!({"source_url": "https://x"}), false).is_empty());
        assert_eq!(
            check("transcribe", &json!({}), false)[0].1,
            "The source file field is required."
        );
        assert!(check("txt2audio", &json!({"mode": "custom_voice"}), false).is_empty());
        assert_eq!(
            check("txt2audio", &json!({"mode": "voice_clone"}), false)[0].1,
            "The ref audio field is required when mode is voice_clone."
        );
        let audio = marker("audio", Some("audio/mpeg"), 5);
        assert!(check("audiofile2txt", &json!({"audio": audio}), true).is_empty());
        assert!(check("unknown-task", &json!({}), false).is_empty());
        // v2 resources map onto their v1 task's rules.
        assert_eq!(v1_task("images/edits"), Some("img2img"));
        assert_eq!(v1_task("audio/transcriptions"), Some("transcribe"));
        assert_eq!(v1_task("txt2img"), None);
        assert_eq!(v1_task("prompts/enhancements"), None);
        for (resource, task) in V2_RESOURCES {
            assert_eq!(v1_task(resource), Some(*task));
        }
        assert_eq!(
            fields(&check("txt2img", &json!({}), false)),
            ["prompt", "model"]
        );
    }
}
