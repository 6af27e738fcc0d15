//! What providers say about money and models, normalized: an [`Amount`] (a price estimate or an
//! account balance), a job's [`Cost`], and the [`Model`]s of a provider's catalogue, a page at a
//! time ([`ModelPage`]). Data only; translating provider bodies is `providers/*`'s business.

use super::json::Json;

/// A sum of money as the provider states it: `currency` is an ISO 4217 code when the provider
/// documents one (deAPI: USD), else `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Amount {
    pub amount: f64,
    pub currency: Option<String>,
}

/// What a job costs, when the provider reports it on the job (deAPI v2's `price: {amount,
/// is_estimated}`): `estimated` until the provider has settled it.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    pub amount: f64,
    pub currency: Option<String>,
    pub estimated: bool,
}

/// One model of a provider's catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// What to pass as the request's `model` (deAPI's `slug`, Serika's `id`).
    pub id: String,
    /// The display name, when the provider gives one.
    pub name: Option<String>,
    /// The tasks it runs, in the provider's words (deAPI's `inference_types`); empty when the
    /// provider does not say.
    pub tasks: Vec<String>,
    /// The provider's entry, untouched.
    pub raw: Json,
}

/// One page of a catalogue, and where the next one starts (`next`: an opaque cursor for the
/// provider's `models` request; `None` on the last page).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ModelPage {
    pub models: Vec<Model>,
    pub next: Option<String>,
}

/// An object of `members` (built without a generic iterator per shape: wasm size).
fn object(members: Vec<(&str, Json)>) -> Json {
    let mut out = Vec::with_capacity(members.len());
    for (k, v) in members {
        out.push((k.to_string(), v));
    }
    Json::Object(out)
}

impl Amount {
    /// `{"amount": n, "currency": "USD" | null}`.
    pub fn to_json(&self) -> Json {
        object(vec![
            ("amount", Json::Number(self.amount)),
            ("currency", opt_text(&self.currency)),
        ])
    }
}

impl Cost {
    /// `{"amount": n, "currency": "USD" | null, "estimated": bool}`.
    pub fn to_json(&self) -> Json {
        object(vec![
            ("amount", Json::Number(self.amount)),
            ("currency", opt_text(&self.currency)),
            ("estimated", Json::Bool(self.estimated)),
        ])
    }

    /// Reads [`Cost::to_json`]'s shape back; `None` when `amount` is not a finite number.
    pub fn from_json(value: &Json) -> Option<Cost> {
        let amount = value.get("amount")?.as_f64().filter(|n| n.is_finite())?;
        Some(Cost {
            amount,
            currency: value.get_str("currency").map(str::to_string),
            estimated: value.get("estimated").and_then(Json::as_bool) == Some(true),
        })
    }
}

impl Model {
    /// The JS `Model` shape: `{id, name, tasks, provider, raw}`.
    pub fn into_json(self, provider: &str) -> Json {
        let mut tasks = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            tasks.push(Json::String(task));
        }
        object(vec![
            ("id", Json::String(self.id)),
            ("name", self.name.map_or(Json::Null, Json::String)),
            ("tasks", Json::Array(tasks)),
            ("provider", Json::String(provider.to_string())),
            ("raw", self.raw),
        ])
    }
}

fn opt_text(s: &Option<String>) -> Json {
    s.clone().map_or(Json::Null, Json::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let a = Amount {
            amount: 0.25,
            currency: Some("USD".into()),
        };
        assert_eq!(
            a.to_json().to_json_string(),
            r#"{"amount":0.25,"currency":"USD"}"#
        );
        let c = Cost {
            amount: 1.5,
            currency: None,
            estimated: true,
        };
        let j = c.to_json();
        assert_eq!(
            j.to_json_string(),
            r#"{"amount":1.5,"currency":null,"estimated":true}"#
        );
        assert_eq!(Cost::from_json(&j), Some(c));
        assert_eq!(Cost::from_json(&Json::Null), None);
        let m = Model {
            id: "Flux1schnell".into(),
            name: None,
            tasks: vec!["txt2img".into()],
            raw: Json::object([("slug", Json::from("Flux1schnell"))]),
        };
        assert_eq!(
            m.into_json("deapi").to_json_string(),
            r#"{"id":"Flux1schnell","name":null,"tasks":["txt2img"],"provider":"deapi","raw":{"slug":"Flux1schnell"}}"#
        );
    }
}
