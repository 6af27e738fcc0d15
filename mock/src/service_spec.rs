//! Socaity service descriptions: each catalog service's OpenAPI document (what `fastsdk.connect`
//! loads from `GET /socaity/services/v1/{service}/openapi.json`) and its catalog record (what the
//! `socaity` SDK's `client.run` / `client.connect` read from the backend's
//! `GET /socaity/v1/catalog/services/{slug or id}`).
//!
//! Owns: writing both from the one table in `services`, so they cannot disagree with what the
//! submit route accepts. The document is what FastAPI + APIPod emit for such endpoints (OpenAPI
//! 3.1, `info.apipod = {compute: "serverless"}` — a job queue — a `Body_{name}_{path}_post` schema
//! per form endpoint with files as `{"type":"string","format":"binary"}` (FastAPI's `UploadFile`),
//! `application/x-www-form-urlencoded` without files, `multipart/form-data` with them, a JSON
//! model for a JSON endpoint, operation ids `{name}_{path}_post`, HTTP bearer security). The record
//! is the `socaity_schemas` `Service`: identity, `endpoints[]` (catalog rows keyed by
//! `operation_key`), and `details[0]` with the `contract` exactly as `apipod_registry` parses the
//! document (endpoints, parameters with `definition`/`location`/`param_schema`,
//! `request_body_content_type`, `has_job_queue`, `security_schemes`) and a `deployment` whose
//! address is redacted, as marketplace reads are (the SDK points it at its gate). Every endpoint
//! also declares the mock's own optional query parameter `mock` (the scenario object as JSON text),
//! so an SDK, which sends only declared parameters, can choose a scenario. The mock's JSON objects
//! keep their members sorted (FastAPI keeps declaration order), so the contract lists endpoints by
//! path and fields by name, as the parser reads them from the document.
//! Must not touch: routing, jobs, validation (`socaity`, `services`).

use crate::services::{self, BodyKind, Endpoint, Param, Service};
use serde_json::{json, Map, Value};

/// The APIPod version the documents claim.
const APIPOD_VERSION: &str = "1.0.32";
const MOCK_PARAM_DOC: &str = "polyjob-mock only: the scenario object (`mock`, see mock/README.md) \
as JSON text. Not a parameter of the real service.";

/// FastAPI's title of a field: `enhance_face_model` → `Enhance Face Model`.
fn title(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// FastAPI's default operation id: `{function}{path with non-word characters as _}_{method}`.
fn operation_id(e: &Endpoint) -> String {
    format!("{}_{}_post", e.path, e.path)
}

/// `apipod_registry`'s operation key: the function name in lowercase kebab-case.
pub fn operation_key(e: &Endpoint) -> String {
    e.path.replace('_', "-").to_ascii_lowercase()
}

/// The name of the component schema of a request body.
fn body_schema_name(e: &Endpoint) -> String {
    match e.body {
        BodyKind::Form => format!("Body_{}", operation_id(e)),
        BodyKind::Json => "PredictionInput".to_owned(),
    }
}

/// The media type of the request body.
fn content_type(e: &Endpoint) -> &'static str {
    match e.body {
        BodyKind::Json => "application/json",
        BodyKind::Form if e.params.iter().any(|p| p.1 == Param::File) => "multipart/form-data",
        BodyKind::Form => "application/x-www-form-urlencoded",
    }
}

/// The JSON schema of one field.
fn field_schema(name: &str, kind: Param) -> Value {
    match kind {
        Param::Text => json!({"type": "string", "title": title(name)}),
        Param::Bool => json!({"type": "boolean", "title": title(name)}),
        Param::File => json!({"type": "string", "format": "binary", "title": title(name)}),
    }
}

/// The component schema of an endpoint's body.
fn body_schema(e: &Endpoint) -> Value {
    let mut props = Map::new();
    for &(name, kind, _) in e.params {
        props.insert(name.to_owned(), field_schema(name, kind));
    }
    let required: Vec<&str> = e.params.iter().filter(|p| p.2).map(|p| p.0).collect();
    json!({
        "properties": props,
        "type": "object",
        "required": required,
        "title": body_schema_name(e),
    })
}

/// The schema of the `mock` query parameter.
fn mock_param_schema() -> Value {
    json!({"type": "string", "title": "Mock", "description": MOCK_PARAM_DOC})
}

fn responses() -> Value {
    json!({
        "200": {
            "description": "Successful Response",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobResult"}}},
        },
        "422": {
            "description": "Validation Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
        },
    })
}

/// The OpenAPI document of the service `slug` (`None`: not in the catalog).
pub fn openapi(slug: &str) -> Option<Value> {
    let svc = services::service(slug)?;
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for e in services::endpoints(svc.slug) {
        schemas.insert(body_schema_name(e), body_schema(e));
        let op = json!({
            "summary": e.summary,
            "operationId": operation_id(e),
            "parameters": [{
                "name": "mock", "in": "query", "required": false,
                "schema": mock_param_schema(), "description": MOCK_PARAM_DOC,
            }],
            "requestBody": {
                "content": {content_type(e): {"schema": {"$ref": format!("#/components/schemas/{}", body_schema_name(e))}}},
                "required": true,
            },
            "responses": responses(),
        });
        paths.insert(format!("/{}", e.path), json!({ "post": op }));
    }
    schemas.insert(
        "JobResult".into(),
        json!({
            "properties": {
                "job_id": {"type": "string", "title": "Job Id"},
                "status": {"type": "string", "title": "Status"},
                "result": {"title": "Result"},
                "error": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Error"},
                "progress": {"anyOf": [{"type": "number"}, {"type": "null"}], "title": "Progress"},
                "message": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Message"},
                "links": {"type": "object", "title": "Links"},
            },
            "type": "object",
            "required": ["job_id", "status"],
            "title": "JobResult",
        }),
    );
    schemas.insert(
        "HTTPValidationError".into(),
        json!({
            "properties": {"detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array", "title": "Detail"}},
            "type": "object",
            "title": "HTTPValidationError",
        }),
    );
    schemas.insert(
        "ValidationError".into(),
        json!({
            "properties": {
                "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array", "title": "Location"},
                "msg": {"type": "string", "title": "Message"},
                "type": {"type": "string", "title": "Error Type"},
            },
            "type": "object",
            "required": ["loc", "msg", "type"],
            "title": "ValidationError",
        }),
    );
    Some(json!({
        "openapi": "3.1.0",
        "info": {
            "title": svc.slug,
            "description": svc.description,
            "version": "0.1.0",
            "apipod": {"compute": "serverless", "version": APIPOD_VERSION},
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"HTTPBearer": []}],
    }))
}

/// A contract parameter as `apipod_registry` makes it (`EndpointParameter`).
fn parameter(
    name: &str,
    schema: Value,
    location: &str,
    required: bool,
    description: Option<&str>,
) -> Value {
    let definition = json!({
        "type": schema.get("type").cloned().unwrap_or(json!("object")),
        "format": schema.get("format").cloned().unwrap_or(Value::Null),
    });
    json!({
        "name": name,
        "definition": definition,
        "required": required,
        "default": null,
        "location": location,
        "param_schema": schema,
        "description": description,
    })
}

/// The contract endpoint of `e` (`socaity_schemas` `Endpoint`).
fn contract_endpoint(e: &Endpoint) -> Value {
    let mut params = vec![parameter(
        "mock",
        mock_param_schema(),
        "query",
        false,
        Some(MOCK_PARAM_DOC),
    )];
    match e.body {
        BodyKind::Form => {
            // In the document's order: its objects' members are sorted by name.
            let mut fields = e.params.to_vec();
            fields.sort_by_key(|p| p.0);
            for (name, kind, required) in fields {
                params.push(parameter(
                    name,
                    field_schema(name, kind),
                    "body",
                    required,
                    None,
                ));
            }
        }
        // A JSON body stays one object parameter named after its model.
        BodyKind::Json => params.push(parameter(
            "prediction_input",
            body_schema(e),
            "body",
            true,
            None,
        )),
    }
    json!({
        "operation_key": operation_key(e),
        "path": format!("/{}", e.path),
        "method": "POST",
        "operation_id": operation_id(e),
        "display_name": e.summary,
        "description": e.summary,
        "parameters": params,
        "responses": responses(),
        "request_body_content_type": content_type(e),
        "supports_streaming": false,
        "timeout_hint_s": null,
        "security": null,
        "standard_schema": null,
    })
}

/// The endpoints of `svc` in the order of its document's `paths` (sorted by path).
fn sorted_endpoints(svc: &Service) -> Vec<&'static Endpoint> {
    let mut eps: Vec<_> = services::endpoints(svc.slug).collect();
    eps.sort_by_key(|e| e.path);
    eps
}

/// The `ServiceContract` of `svc`.
fn contract(svc: &Service) -> Value {
    let endpoints: Vec<Value> = sorted_endpoints(svc)
        .into_iter()
        .map(contract_endpoint)
        .collect();
    json!({
        "title": svc.slug,
        "description": svc.description,
        "specification": "apipod",
        "specification_hash": null,
        "has_job_queue": true,
        "endpoints": endpoints,
        "security_schemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        "security": ["HTTPBearer"],
    })
}

/// The catalog record (`Service`, with `details.contract` and `endpoints` expanded) of the service
/// whose slug or id is `ident`; `None` when there is none.
pub fn catalog_record(ident: &str) -> Option<Value> {
    let svc = services::service(ident)?;
    let details_id = format!("det_{}", &svc.id[4..]);
    let endpoints: Vec<Value> = sorted_endpoints(svc)
        .into_iter()
        .map(|e| {
            json!({
                "id": format!("ep_{}_{}", svc.slug.replace('-', "_"), e.path),
                "service_id": svc.id,
                "operation_key": operation_key(e),
                "display_name": e.summary,
                "description": e.summary,
                "is_public": true,
                "nsfw": false,
                "model_ids": [],
            })
        })
        .collect();
    Some(json!({
        "id": svc.id,
        "slug": svc.slug,
        "display_name": svc.display_name,
        "description": svc.description,
        "short_desc": svc.description,
        "kind": "compute",
        "categories": [],
        "models": [],
        "endpoints": endpoints,
        "details": [{
            "id": details_id,
            "service_id": svc.id,
            "execution": "provisioned",
            "contract": contract(svc),
            "deployment": {
                "id": format!("dep_{}", &svc.id[4..]),
                "service_id": svc.id,
                "details_id": details_id,
                "provider": "socaity",
                "address": null,
            },
        }],
        "is_public": true,
        "is_validated": true,
        "is_official": true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_records_follow_the_catalog() {
        let doc = openapi("face2face").unwrap();
        let swap = &doc["paths"]["/swap"]["post"];
        assert_eq!(swap["operationId"], "swap_swap_post");
        assert!(swap["requestBody"]["content"]["multipart/form-data"].is_object());
        let body = &doc["components"]["schemas"]["Body_swap_swap_post"];
        assert_eq!(body["properties"]["media"]["format"], "binary");
        assert_eq!(body["required"], json!(["faces", "media"]));
        let tts = openapi("speechcraft").unwrap();
        assert!(
            tts["paths"]["/text2voice"]["post"]["requestBody"]["content"]
                ["application/x-www-form-urlencoded"]
                .is_object()
        );
        assert_eq!(tts["info"]["apipod"]["compute"], "serverless");
        assert!(openapi("nope").is_none());

        let rec = catalog_record("face2face").unwrap();
        let keys: Vec<&str> = rec["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["operation_key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["add-face", "swap", "swap-img-to-img"]);
        let c = &rec["details"][0]["contract"];
        assert_eq!(c["has_job_queue"], true);
        assert_eq!(c["endpoints"][1]["parameters"][0]["location"], "query");
        assert_eq!(c["endpoints"][1]["parameters"][3]["name"], "media");
        // By id too; an endpoint path is not a service.
        let id = rec["id"].as_str().unwrap();
        assert_eq!(catalog_record(id).unwrap()["slug"], "face2face");
        assert!(catalog_record("speechcraft/text2voice").is_none());
        assert_eq!(title("enhance_face_model"), "Enhance Face Model");
    }
}
