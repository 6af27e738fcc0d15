//! Socaity services — the endpoints the mock serves under `/socaity/services/v1/{service}/…`, and
//! how APIPod (FastAPI) reads and validates their parameters.
//!
//! Owns: the catalog ([`find`]), reading a submit body the way FastAPI reads the endpoint's
//! declared parameters ([`read`]: form fields, URL-encoded or multipart, unless the endpoint
//! declares a JSON body), and FastAPI's 422 list for what does not fit ([`validate`]: a missing
//! field, a file where text is expected and the reverse, a boolean that is not one, a JSON
//! endpoint sent a form). The catalog is the face2face and speechcraft endpoints of Socaity's
//! SDK (`socaity` `face2face_service_client.py`: `/swap_img_to_img`, `/swap`, `/add_face`;
//! speechcraft `/text2voice`), plus `flux-schnell/predictions`, an endpoint that declares a JSON
//! body (a Replicate-style `/predictions`). Routing, jobs and their wire format stay in `socaity`.
//! Must not touch: job timing, other providers.

use serde_json::{json, Map, Value};

/// What an endpoint reads its parameters from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// Form fields (`application/x-www-form-urlencoded` or `multipart/form-data`).
    Form,
    /// A JSON object (the endpoint declares a JSON schema).
    Json,
}

/// The type FastAPI checks a parameter against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Text,
    Bool,
    File,
}

/// What a finished job of an endpoint returns when the submit asked for nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `{"text":"echo: <prompt>"}` (or the files it received).
    Echo,
    /// An audio FileModel: `{"file_name":"<id>.wav","content_type":"audio/wav","content":<URL>}`.
    Audio,
}

/// One endpoint of a service.
#[derive(Debug)]
pub struct Endpoint {
    pub service: &'static str,
    pub path: &'static str,
    pub body: BodyKind,
    /// `(name, type, required)`.
    pub params: &'static [(&'static str, Param, bool)],
    pub output: Output,
    /// The OpenAPI `summary` (and the catalog's display name).
    pub summary: &'static str,
}

/// A catalog service: its catalog identity (`GET /v1/catalog/services/{slug or id}`).
#[derive(Debug)]
pub struct Service {
    pub slug: &'static str,
    pub id: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
}

const SERVICES: &[Service] = &[
    Service {
        slug: "face2face",
        id: "svc_9b1f4c2e7a3d4e5f8a6b0c1d2e3f4a5b",
        display_name: "Face2Face",
        description: "Swap faces in images and videos.",
    },
    Service {
        slug: "speechcraft",
        id: "svc_2c7e9a1b3d5f4a6c8e0b2d4f6a8c0e1b",
        display_name: "SpeechCraft",
        description: "Text to speech and voice cloning.",
    },
    Service {
        slug: "flux-schnell",
        id: "svc_5d3a8f0c2e4b4d6a9c1e3f5a7b9d0c2e",
        display_name: "FLUX.1 [schnell]",
        description: "Fast text-to-image generation.",
    },
];

const CATALOG: &[Endpoint] = &[
    Endpoint {
        service: "face2face",
        path: "swap_img_to_img",
        body: BodyKind::Form,
        params: &[
            ("source_img", Param::File, true),
            ("target_img", Param::File, true),
            ("enhance_face_model", Param::Text, false),
        ],
        output: Output::Echo,
        summary: "Swap Img To Img",
    },
    Endpoint {
        service: "face2face",
        path: "swap",
        body: BodyKind::Form,
        params: &[
            ("faces", Param::Text, true),
            ("media", Param::File, true),
            ("enhance_face_model", Param::Text, false),
        ],
        output: Output::Echo,
        summary: "Swap",
    },
    Endpoint {
        service: "face2face",
        path: "add_face",
        body: BodyKind::Form,
        params: &[
            ("face_name", Param::Text, true),
            ("image", Param::File, true),
            ("save", Param::Bool, false),
        ],
        output: Output::Echo,
        summary: "Add Face",
    },
    Endpoint {
        service: "speechcraft",
        path: "text2voice",
        body: BodyKind::Form,
        params: &[("text", Param::Text, true), ("voice", Param::Text, false)],
        output: Output::Audio,
        summary: "Text2Voice",
    },
    Endpoint {
        service: "flux-schnell",
        path: "predictions",
        body: BodyKind::Json,
        params: &[("prompt", Param::Text, true)],
        output: Output::Echo,
        summary: "Predictions",
    },
];

/// The endpoint `path` (its segments joined by `/`) of `service`, if the catalog has it.
pub fn find(service: &str, path: &str) -> Option<&'static Endpoint> {
    CATALOG
        .iter()
        .find(|e| e.service == service && e.path == path)
}

/// True when the catalog has `service`.
pub fn known_service(service: &str) -> bool {
    CATALOG.iter().any(|e| e.service == service)
}

/// The endpoint a job's target (`service/endpoint`) names, if it is a catalog endpoint.
pub fn find_target(target: &str) -> Option<&'static Endpoint> {
    let (service, path) = target.split_once('/')?;
    find(service, path)
}

/// The catalog service whose slug or id is `ident`.
pub fn service(ident: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.slug == ident || s.id == ident)
}

/// The endpoints of the service `slug`, in catalog order.
pub fn endpoints(slug: &str) -> impl Iterator<Item = &'static Endpoint> + '_ {
    CATALOG.iter().filter(move |e| e.service == slug)
}

/// The fields of an `application/x-www-form-urlencoded` body, as the multipart reader gives
/// them (`upload::socaity_body`): one member per name, a repeated name as the list of its values,
/// a value that is a JSON object or array (the `mock` field) as that value.
pub fn url_encoded_body(bytes: &[u8]) -> Value {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(bytes) {
        let v = match serde_json::from_str::<Value>(&value) {
            Ok(j @ (Value::Object(_) | Value::Array(_))) => j,
            _ => Value::String(value.into_owned()),
        };
        match out.get_mut(name.as_ref()) {
            None => {
                out.insert(name.into_owned(), v);
            }
            Some(Value::Array(list)) if name != "mock" => list.push(v),
            Some(first) => {
                let first = first.take();
                *out.get_mut(name.as_ref()).expect("present") = json!([first, v]);
            }
        }
    }
    Value::Object(out)
}

/// FastAPI's 422 items for `body` (the submit as read: form fields with file markers, or the
/// JSON object) against `endpoint`; empty when it fits. `form` says the body came as a form.
pub fn validate(endpoint: &Endpoint, body: &Value, form: bool) -> Vec<Value> {
    if endpoint.body == BodyKind::Json && (form || !body.is_object()) {
        return vec![json!({
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": if form { Value::String(String::new()) } else { body.clone() },
        })];
    }
    let empty = Map::new();
    let fields = match (endpoint.body, body) {
        // A form endpoint sent JSON reads no form fields at all.
        (BodyKind::Form, _) if !form => &empty,
        (_, Value::Object(m)) => m,
        _ => &empty,
    };
    let mut errors = Vec::new();
    for &(name, kind, required) in endpoint.params {
        let Some(value) = fields.get(name) else {
            if required {
                errors.push(json!({
                    "type": "missing", "loc": ["body", name], "msg": "Field required", "input": null,
                }));
            }
            continue;
        };
        let is_file = crate::upload::as_file(value).is_some();
        match kind {
            Param::File if !is_file => errors.push(json!({
                "type": "value_error",
                "loc": ["body", name],
                "msg": "Value error, Expected UploadFile, received: <class 'str'>",
                "input": value,
            })),
            Param::Text | Param::Bool if is_file => errors.push(json!({
                "type": "string_type",
                "loc": ["body", name],
                "msg": "Input should be a valid string",
                "input": "UploadFile",
            })),
            Param::Bool if form && !is_bool_text(value) => errors.push(json!({
                "type": "bool_parsing",
                "loc": ["body", name],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "input": value,
            })),
            _ => {}
        }
    }
    errors
}

/// A form value pydantic reads as a boolean.
fn is_bool_text(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "1" | "0" | "yes" | "no" | "on" | "off" | "t" | "f" | "y" | "n"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_fields_repeat_and_carry_the_mock_object() {
        let v = url_encoded_body(
            b"text=hi%20%26%20bye&voice=a&voice=b&mock=%7B%22sync%22%3Atrue%7D&n=1",
        );
        assert_eq!(
            v,
            json!({"text": "hi & bye", "voice": ["a", "b"], "mock": {"sync": true}, "n": "1"})
        );
    }

    #[test]
    fn fastapi_422_items() {
        let swap = find("face2face", "swap").unwrap();
        let file = json!({"$file": {"name": "media"}});
        assert!(validate(swap, &json!({"faces": "me", "media": file}), true).is_empty());
        let errs = validate(swap, &json!({"media": "not a file"}), true);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0]["loc"], json!(["body", "faces"]));
        assert_eq!(errs[0]["type"], "missing");
        assert_eq!(errs[1]["type"], "value_error");
        // JSON to a form endpoint: no form fields at all.
        let errs = validate(swap, &json!({"faces": "me"}), false);
        assert_eq!(errs.len(), 2);
        let add = find("face2face", "add_face").unwrap();
        let errs = validate(
            add,
            &json!({"face_name": "x", "image": file, "save": "maybe"}),
            true,
        );
        assert_eq!(errs[0]["type"], "bool_parsing");
        let pred = find("flux-schnell", "predictions").unwrap();
        assert!(validate(pred, &json!({"prompt": "x"}), false).is_empty());
        assert_eq!(
            validate(pred, &json!({"prompt": "x"}), true)[0]["type"],
            "model_attributes_type"
        );
        assert!(find("face2face", "nope").is_none());
        assert!(known_service("speechcraft") && !known_service("nope"));
    }
}
