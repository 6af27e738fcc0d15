//! File inputs, as the core sees them: where in a submit's `input` each file sits
//! ([`FilePath`]), and the `multipart/form-data` body a provider asks for ([`FormPart`]s that
//! name a text value or a file by its number). The files themselves never come here: they stay
//! host objects (`Blob`s) held by the transport, which builds the host's `FormData` from the
//! parts. Two encodings, pure functions of the input: Laravel's bracket notation
//! ([`laravel_form`], deAPI) and flat fields with JSON text for nested values ([`flat_form`],
//! Socaity / APIPod), and the same flat fields URL-encoded ([`url_encoded`]) when there is no file.
//!
//! In the input [`Json`], a file's place holds `null`; [`FilePath`]s say which places those are
//! (the file with number `i` is at `paths[i]`).

use super::json::Json;
use super::number::push_u64;

/// One step into a JSON value: an object member or an array element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// Where a file sits in the input, from the input's top.
pub type FilePath = Vec<PathSeg>;

/// What one form part carries.
#[derive(Clone, Debug, PartialEq)]
pub enum PartValue {
    Text(String),
    /// The file with this number (its index in the request's file list).
    File(usize),
}

/// One part of a `multipart/form-data` body.
#[derive(Clone, Debug, PartialEq)]
pub struct FormPart {
    pub name: String,
    pub value: PartValue,
}

impl FormPart {
    fn text(name: String, value: String) -> FormPart {
        FormPart {
            name,
            value: PartValue::Text(value),
        }
    }

    fn file(name: String, index: usize) -> FormPart {
        FormPart {
            name,
            value: PartValue::File(index),
        }
    }
}

/// The path as a user wrote it in the request: `input.images[1]`, `input["a b"]`.
pub fn display_path(path: &[PathSeg]) -> String {
    let mut out = String::from("input");
    for seg in path {
        match seg {
            PathSeg::Key(k) if is_identifier(k) => {
                out.push('.');
                out.push_str(k);
            }
            PathSeg::Key(k) => {
                out.push('[');
                super::json::push_json_string(&mut out, k);
                out.push(']');
            }
            PathSeg::Index(i) => {
                out.push('[');
                push_u64(&mut out, *i as u64);
                out.push(']');
            }
        }
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The number of the file at `path`, if one is there.
fn file_at(files: &[FilePath], path: &[PathSeg]) -> Option<usize> {
    files.iter().position(|p| p.as_slice() == path)
}

/// True when `items` (at `path`) is a non-empty list of files only.
fn all_files(files: &[FilePath], path: &mut FilePath, items: &[Json]) -> bool {
    !items.is_empty()
        && (0..items.len()).all(|i| {
            path.push(PathSeg::Index(i));
            let found = file_at(files, path).is_some();
            path.pop();
            found
        })
}

/// A scalar as form text: numbers in decimal (as JSON writes them), strings as they are,
/// booleans as `bools` gives them. `None` for null and containers.
fn scalar_text(value: &Json, bools: (&str, &str)) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(_) => Some(value.to_json_string()),
        Json::Bool(b) => Some(if *b { bools.0 } else { bools.1 }.to_string()),
        _ => None,
    }
}

/// The form of a JSON object `body` in Laravel's conventions (deAPI): each member a part named
/// after its key; nested arrays and objects in bracket notation (`loras[0][name]`); a list of
/// files as repeated `key[]` parts; booleans `"1"`/`"0"`, numbers as decimal text; `null` and
/// empty arrays or objects send nothing (a form cannot carry them; Laravel reads a missing
/// field as they would be read).
pub fn laravel_form(body: &Json, files: &[FilePath]) -> Vec<FormPart> {
    let mut out = Vec::new();
    if let Json::Object(members) = body {
        let mut path = Vec::new();
        for (key, value) in members {
            path.push(PathSeg::Key(key.clone()));
            laravel_value(value, key.clone(), &mut path, files, &mut out);
            path.pop();
        }
    }
    out
}

fn laravel_value(
    value: &Json,
    name: String,
    path: &mut FilePath,
    files: &[FilePath],
    out: &mut Vec<FormPart>,
) {
    if let Some(i) = file_at(files, path) {
        out.push(FormPart::file(name, i));
        return;
    }
    match value {
        Json::Array(items) if all_files(files, path, items) => {
            for i in 0..items.len() {
                path.push(PathSeg::Index(i));
                if let Some(file) = file_at(files, path) {
                    out.push(FormPart::file([&name, "[]"].concat(), file));
                }
                path.pop();
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut inner = name.clone();
                inner.push('[');
                push_u64(&mut inner, i as u64);
                inner.push(']');
                path.push(PathSeg::Index(i));
                laravel_value(item, inner, path, files, out);
                path.pop();
            }
        }
        Json::Object(members) => {
            for (key, item) in members {
                let inner = [name.as_str(), "[", key, "]"].concat();
                path.push(PathSeg::Key(key.clone()));
                laravel_value(item, inner, path, files, out);
                path.pop();
            }
        }
        scalar => {
            if let Some(text) = scalar_text(scalar, ("1", "0")) {
                out.push(FormPart::text(name, text));
            }
        }
    }
}

/// The form of a JSON object `body` as flat fields (Socaity / APIPod, FastAPI `Form` and
/// `UploadFile` parameters): a file, or a list of files, as parts named after its key;
/// strings as they are, numbers as decimal text, booleans `true`/`false`, arrays and objects as
/// their JSON text; `null` sends nothing. A file deeper in the input cannot be carried: `Err`
/// with its path.
pub fn flat_form(body: &Json, files: &[FilePath]) -> Result<Vec<FormPart>, FilePath> {
    let mut out = Vec::new();
    let Json::Object(members) = body else {
        return Ok(out);
    };
    for (key, value) in members {
        let mut path = vec![PathSeg::Key(key.clone())];
        if let Some(i) = file_at(files, &path) {
            out.push(FormPart::file(key.clone(), i));
            continue;
        }
        match value {
            Json::Array(items) if all_files(files, &mut path, items) => {
                for i in 0..items.len() {
                    path.push(PathSeg::Index(i));
                    if let Some(file) = file_at(files, &path) {
                        out.push(FormPart::file(key.clone(), file));
                    }
                    path.pop();
                }
            }
            Json::Array(_) | Json::Object(_) => {
                if let Some(nested) = files.iter().find(|p| p.len() > 1 && p[0] == path[0]) {
                    return Err(nested.clone());
                }
                out.push(FormPart::text(key.clone(), value.to_json_string()));
            }
            scalar => {
                if let Some(text) = scalar_text(scalar, ("true", "false")) {
                    out.push(FormPart::text(key.clone(), text));
                }
            }
        }
    }
    Ok(out)
}

/// The `application/x-www-form-urlencoded` text of the text parts of `parts` (files have no
/// place in it), in order: `name=value` joined by `&`, each percent-encoded (a space as `%20`,
/// which every form decoder reads as `+` is).
pub fn url_encoded(parts: &[FormPart]) -> String {
    let mut out = String::new();
    for part in parts {
        if let PartValue::Text(text) = &part.value {
            if !out.is_empty() {
                out.push('&');
            }
            super::encoding::push_percent_encoded(&mut out, &part.name);
            out.push('=');
            super::encoding::push_percent_encoded(&mut out, text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;

    fn key(k: &str) -> PathSeg {
        PathSeg::Key(k.into())
    }

    fn parts(form: &[FormPart]) -> Vec<(String, String)> {
        form.iter()
            .map(|p| match &p.value {
                PartValue::Text(t) => (p.name.clone(), t.clone()),
                PartValue::File(i) => (p.name.clone(), format!("<file {i}>")),
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn paths_read_as_written() {
        assert_eq!(display_path(&[]), "input");
        assert_eq!(
            display_path(&[key("options"), key("cb")]),
            "input.options.cb"
        );
        assert_eq!(
            display_path(&[key("images"), PathSeg::Index(1)]),
            "input.images[1]"
        );
        assert_eq!(
            display_path(&[key("a b"), key("1x")]),
            r#"input["a b"]["1x"]"#
        );
        assert_eq!(display_path(&[key("_$x9")]), "input._$x9");
        assert_eq!(display_path(&[key("")]), r#"input[""]"#);
    }

    #[test]
    fn laravel_conventions() {
        let body = parse(
            r#"{"image":null,"prompt":"a fox","steps":20,"guidance":7.5,"seed":-1,
                "enhance":true,"tiled":false,"negative_prompt":null,
                "loras":[{"name":"l1","weight":0.8},{"name":"l2","weight":1}],
                "images":[null,null],"tags":["a","b"],"empty":[],"none":{},
                "mock":{"duration_ms":300,"faults":[{"kind":"429","times":1}]}}"#,
        )
        .unwrap();
        let files = vec![
            vec![key("image")],
            vec![key("images"), PathSeg::Index(0)],
            vec![key("images"), PathSeg::Index(1)],
        ];
        let form = laravel_form(&body, &files);
        assert_eq!(
            parts(&form),
            pairs(&[
                ("image", "<file 0>"),
                ("prompt", "a fox"),
                ("steps", "20"),
                ("guidance", "7.5"),
                ("seed", "-1"),
                ("enhance", "1"),
                ("tiled", "0"),
                ("loras[0][name]", "l1"),
                ("loras[0][weight]", "0.8"),
                ("loras[1][name]", "l2"),
                ("loras[1][weight]", "1"),
                ("images[]", "<file 1>"),
                ("images[]", "<file 2>"),
                ("tags[0]", "a"),
                ("tags[1]", "b"),
                ("mock[duration_ms]", "300"),
                ("mock[faults][0][kind]", "429"),
                ("mock[faults][0][times]", "1"),
            ])
        );
    }

    #[test]
    fn laravel_files_nested_and_mixed() {
        // A file inside an object, and a list that mixes files and text: bracket notation.
        let body = parse(r#"{"ref":{"audio":null,"text":"hi"},"media":[null,"https://x/y.png"]}"#)
            .unwrap();
        let files = vec![
            vec![key("ref"), key("audio")],
            vec![key("media"), PathSeg::Index(0)],
        ];
        assert_eq!(
            parts(&laravel_form(&body, &files)),
            pairs(&[
                ("ref[audio]", "<file 0>"),
                ("ref[text]", "hi"),
                ("media[0]", "<file 1>"),
                ("media[1]", "https://x/y.png"),
            ])
        );
        // A real null next to a file stays unsent.
        let body = parse(r#"{"image":null,"mask":null}"#).unwrap();
        assert_eq!(
            parts(&laravel_form(&body, &[vec![key("image")]])),
            pairs(&[("image", "<file 0>")])
        );
        assert!(laravel_form(&Json::Null, &[]).is_empty());
    }

    #[test]
    fn flat_conventions() {
        let body = parse(
            r#"{"image":null,"prompt":"swap","strength":0.5,"upscale":true,"faces":[null,null],
                "options":{"a":[1,2]},"list":["x"],"skip":null,"mock":{"queue_ms":0}}"#,
        )
        .unwrap();
        let files = vec![
            vec![key("image")],
            vec![key("faces"), PathSeg::Index(0)],
            vec![key("faces"), PathSeg::Index(1)],
        ];
        assert_eq!(
            parts(&flat_form(&body, &files).unwrap()),
            pairs(&[
                ("image", "<file 0>"),
                ("prompt", "swap"),
                ("strength", "0.5"),
                ("upscale", "true"),
                ("faces", "<file 1>"),
                ("faces", "<file 2>"),
                ("options", r#"{"a":[1,2]}"#),
                ("list", r#"["x"]"#),
                ("mock", r#"{"queue_ms":0}"#),
            ])
        );
    }

    #[test]
    fn flat_refuses_nested_files() {
        let body = parse(r#"{"job":{"image":null}}"#).unwrap();
        let nested = vec![key("job"), key("image")];
        assert_eq!(flat_form(&body, std::slice::from_ref(&nested)), Err(nested));
        let body = parse(r#"{"media":[null,"text"]}"#).unwrap();
        let mixed = vec![key("media"), PathSeg::Index(0)];
        assert_eq!(flat_form(&body, std::slice::from_ref(&mixed)), Err(mixed));
    }
}
