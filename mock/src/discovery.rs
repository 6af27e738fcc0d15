//! Discovery and money: deAPI's price calculation, balance and model catalogue, and Serika's
//! model list.
//!
//! Owns: deAPI `POST /api/v1/client/{task}/price-calculation` (v2: `POST /api/v2/{resource}/price`,
//! priced as the resource's v1 task) (and `videos/replace/price`, the
//! one task whose price path differs) → `{"data":{"price"}}` from the request's parameters
//! (the formula is in `mock/README.md`); `GET /api/v1/client/balance` → `{"data":{"balance"}}`;
//! `GET /api/v1/client/models` → the catalogue as Laravel paginates it (`limit` 1..=50, default
//! 25, larger clamped; `per_page` accepted and ignored; `page`; `filter[inference_types]` a
//! comma-separated list, a model matching any; an unknown type gives an empty `data`; v2's
//! `/api/v2/models` the same with `inference_types` an object keyed by type; `links`
//! carry only `?page=N`, as Laravel's paginator writes them without `withQueryString()`); and
//! Serika `GET /models` → the OpenAI-style list `{"object":"list","data":[{id, object, created,
//! owned_by}]}`. Must not touch: jobs (a price calculation creates none), error envelopes (each
//! provider's module renders them), request validation rules (`validate`).

use serde_json::{json, Map, Value};

/// The balance every key has (the documented example, in USD).
pub const DEAPI_BALANCE: f64 = 19.72;

/// deAPI's most models a page holds (`limit` above it is clamped to it).
pub const MAX_LIMIT: u64 = 50;
/// deAPI's page size without `limit`.
pub const DEFAULT_LIMIT: u64 = 25;

/// The task a price-calculation path is about, from the segments after `/api/v1/client/`:
/// `[txt2img, price-calculation]` → `txt2img`, `[videos, replace, price]` → `videos/replace`.
pub fn price_task(segs: &[&str]) -> Option<String> {
    match segs {
        ["videos", "replace", "price"] => Some("videos/replace".to_owned()),
        [task @ .., "price-calculation"] if !task.is_empty() => Some(task.join("/")),
        _ => None,
    }
}

/// A number member (JSON number or numeric text, as a form sends it).
fn num(body: &Value, key: &str) -> Option<f64> {
    match body.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite() && *n > 0.0)
}

/// The price of running `task` with `body`, in USD, rounded to 6 decimals: deAPI's published
/// rates (docs.deapi.ai/pricing) where they depend on the request, a flat rate elsewhere.
pub fn price(task: &str, body: &Value) -> f64 {
    let p = match task {
        // 0.00136 USD for 512×512 at 4 steps, linear in pixels and steps.
        "txt2img" | "img2img" => {
            let w = num(body, "width").unwrap_or(512.0);
            let h = num(body, "height").unwrap_or(512.0);
            let steps = num(body, "steps").unwrap_or(4.0);
            0.00136 * (w * h) / (512.0 * 512.0) * steps / 4.0
        }
        // 0.77 USD per million characters (`text`, or `count_text` to skip sending it).
        "txt2audio" => {
            let chars = num(body, "count_text").unwrap_or_else(|| {
                body.get("text")
                    .and_then(Value::as_str)
                    .map_or(0.0, |t| t.chars().count() as f64)
            });
            (0.77 * chars / 1_000_000.0).max(0.000001)
        }
        // 0.001737 USD for 2 s at 256×256.
        "txt2video" | "img2video" | "aud2video" => {
            let w = num(body, "width").unwrap_or(256.0);
            let h = num(body, "height").unwrap_or(256.0);
            let seconds = match (num(body, "frames"), num(body, "fps")) {
                (Some(frames), Some(fps)) => frames / fps,
                _ => num(body, "duration").unwrap_or(2.0),
            };
            0.001737 * (w * h) / (256.0 * 256.0) * seconds / 2.0
        }
        _ => 0.01,
    };
    crate::http::round(p, 6)
}

/// The price-calculation answer.
pub fn price_body(task: &str, body: &Value) -> Value {
    json!({ "data": { "price": price(task, body) } })
}

/// The balance answer.
pub fn balance_body() -> Value {
    json!({ "data": { "balance": DEAPI_BALANCE } })
}

/// One catalogue entry: `(slug, display name, inference types)`.
type Entry = (&'static str, &'static str, &'static [&'static str]);

/// deAPI's models as its docs name them (slugs from its OpenAPI examples, guides and pricing
/// page; the `Ben2`, `SeedVR2_3B` and `Nanonets_Ocr_S_F16` slugs are stand-ins for the
/// background-removal, video-upscale and OCR models), one per documented inference type at least.
/// [`catalogue`] adds synthetic image models so that the list outgrows one page of 50, as the
/// docs say it may, and a client must follow `page`.
const DOCUMENTED: &[Entry] = &[
    ("Flux1schnell", "FLUX.1 schnell", &["txt2img"]),
    ("ZImageTurbo_INT8", "Z-Image-Turbo INT8", &["txt2img"]),
    (
        "Flux_2_Klein_4B_BF16",
        "FLUX.2 Klein 4B BF16",
        &["txt2img", "img2img"],
    ),
    (
        "QwenImageEdit_Plus_NF4",
        "Qwen Image Edit Plus",
        &["img2img"],
    ),
    ("gpt-image-2", "GPT Image 2", &["img2img", "txt2img"]),
    ("RealESRGAN_x4", "RealESRGAN x4", &["img-upscale"]),
    ("Ben2", "BEN2", &["img-rmbg", "vid-rmbg"]),
    (
        "Ltxv_13B_0_9_8_Distilled_FP8",
        "LTX-Video 13B 0.9.8 Distilled",
        &["txt2video", "img2video"],
    ),
    (
        "Ltx2_3_22B_Dist_INT8",
        "LTX-2.3 22B Distilled",
        &["audio2video"],
    ),
    (
        "Wan2_2_Animate_14B_INT8",
        "Wan 2.2 Animate 14B",
        &["video-replace"],
    ),
    ("SeedVR2_3B", "SeedVR2 3B", &["vid-upscale"]),
    ("Kokoro", "Kokoro", &["txt2audio"]),
    ("AceStep_1_5_Turbo", "ACE-Step 1.5 Turbo", &["txt2music"]),
    (
        "WhisperLargeV3",
        "Whisper Large V3",
        &[
            "audio2text",
            "video2text",
            "audio_file2text",
            "video_file2text",
        ],
    ),
    ("WhisperLargeV3Ct2", "Whisper Large V3 CT2", &["video2text"]),
    ("Bge_M3_FP16", "BGE M3 FP16", &["txt2embedding"]),
    ("Nanonets_Ocr_S_F16", "Nanonets OCR S", &["img2txt"]),
];

/// How many synthetic `MockImage_NN` txt2img models follow the documented ones.
const SYNTHETIC: usize = 50;

/// The whole catalogue (documented + synthetic), in a stable order.
pub fn catalogue() -> Vec<Value> {
    let mut all: Vec<Value> = DOCUMENTED
        .iter()
        .map(|(slug, name, types)| model(slug, name, types))
        .collect();
    for i in 1..=SYNTHETIC {
        let slug = format!("MockImage_{i:02}");
        let name = format!("Mock Image {i:02}");
        all.push(model(&slug, &name, &["txt2img"]));
    }
    all
}

fn model(slug: &str, name: &str, types: &[&str]) -> Value {
    let image = types.iter().any(|t| *t == "txt2img" || *t == "img2img");
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("slug".into(), json!(slug));
    m.insert("inference_types".into(), json!(types));
    // Laravel writes an empty `info` as `[]` (deAPI's Python SDK normalizes it).
    let info = if image {
        json!({
            "limits": {"min_width": 256, "max_width": 2048, "min_height": 256, "max_height": 2048,
                       "min_steps": 1, "max_steps": 50},
            "features": {"supports_guidance": true, "supports_negative_prompt": true,
                         "supports_steps": true},
            "defaults": {"width": 512, "height": 512, "steps": 4, "guidance": 3.5}
        })
    } else {
        json!([])
    };
    m.insert("info".into(), info);
    if slug == "Flux1schnell" {
        m.insert(
            "loras".into(),
            json!([{"display_name": "Pixel Art", "name": "pixel_art"}]),
        );
    }
    if slug == "Kokoro" {
        m.insert(
            "languages".into(),
            json!([{"name": "English (US)", "slug": "en-us",
                    "voices": [{"name": "Heart", "slug": "af_heart", "gender": "female"}]}]),
        );
    }
    if slug == "gpt-image-2" {
        m.insert("tags".into(), json!(["experimental"]));
        m.insert("status".into(), json!("test_model"));
    }
    Value::Object(m)
}

/// A query parameter, percent-decoded (`+` is a space), the first of its name.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(k) == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes
            .get(i + 1)
            .copied()
            .and_then(hex)
            .zip(bytes.get(i + 2).copied().and_then(hex));
        match (bytes[i], pair) {
            (b'+', _) => out.push(b' '),
            (b'%', Some((hi, lo))) => {
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A positive integer parameter; anything else is `None` (Laravel falls back to its default).
fn int_param(query: &str, name: &str) -> Option<u64> {
    query_param(query, name)?
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// The models page for `query` (the request's query string). `base` is `http://HOST`; `path` is
/// the route's path (for `links` and `meta.path`). `v2`: each model's `inference_types` is an
/// object keyed by type (`{"txt2img": {}}`, as v2's schema and deapi-tester have it) instead of
/// v1's list.
pub fn models_page(query: &str, base: &str, path: &str, v2: bool) -> Value {
    let limit = int_param(query, "limit")
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT);
    let page = int_param(query, "page").unwrap_or(1);
    let filter: Option<Vec<String>> = query_param(query, "filter[inference_types]").map(|f| {
        f.split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    });
    let matching: Vec<Value> = catalogue()
        .into_iter()
        .filter(|m| match &filter {
            None => true,
            Some(types) => m["inference_types"]
                .as_array()
                .is_some_and(|have| have.iter().any(|t| types.iter().any(|w| t == w))),
        })
        .collect();
    let total = matching.len() as u64;
    let last_page = total.div_ceil(limit).max(1);
    let from = (page - 1).saturating_mul(limit);
    let mut data: Vec<Value> = matching
        .into_iter()
        .skip(from.min(total) as usize)
        .take(limit as usize)
        .collect();
    if v2 {
        for m in &mut data {
            let types: Map<String, Value> = m["inference_types"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|t| (t.to_owned(), json!({})))
                .collect();
            m["inference_types"] = Value::Object(types);
        }
    }
    let url = format!("{base}{path}");
    let link = |n: u64| json!(format!("{url}?page={n}"));
    let count = data.len() as u64;
    json!({
        "data": data,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": if page > 1 { link(page - 1) } else { Value::Null },
            "next": if page < last_page { link(page + 1) } else { Value::Null },
        },
        "meta": {
            "current_page": page,
            "from": if count > 0 { json!(from + 1) } else { Value::Null },
            "last_page": last_page,
            "path": url,
            "per_page": limit,
            "to": if count > 0 { json!(from + count) } else { Value::Null },
            "total": total,
        }
    })
}

/// Serika's models: the documented image models (docs/api/image-generation.md) and chat models
/// (developers dashboard), as an OpenAI-style list.
pub fn serika_models() -> Value {
    const MODELS: &[(&str, &str)] = &[
        ("novelai/nai-diffusion-4-full", "novelai"),
        ("novelai/nai-diffusion-3", "novelai"),
        ("novelai/nai-diffusion-2", "novelai"),
        ("gpt-image-1-low", "openai"),
        ("novelai/nai-diffusion-4-5-full", "novelai"),
        ("novelai/nai-diffusion-4-5-curated", "novelai"),
        ("gpt-image-1-medium", "openai"),
        ("gpt-image-1-high", "openai"),
        ("tensorart-illustrious-xl-v2-aesthetic", "tensorart"),
        ("tensorart-rizmix-noob-illustrious-pastel", "tensorart"),
        ("tensorart-toxic-echo-il", "tensorart"),
        ("tensorart-animagine-xl", "tensorart"),
        ("tensorart-one-obsession", "tensorart"),
        ("tensorart-nova-orange-xl", "tensorart"),
        ("tensorart-wai-illustrious-v11", "tensorart"),
        ("tensorart-wai-illustrious-v14", "tensorart"),
        ("tensorart-wai-illustrious-v15", "tensorart"),
        ("tensorart-illustrious-multistyle-variation-ar", "tensorart"),
        ("gpt-4o", "openrouter"),
        ("gemini-2.0-flash", "zukijourney"),
    ];
    let data: Vec<Value> = MODELS
        .iter()
        .map(|(id, owner)| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": owner}))
        .collect();
    json!({ "object": "list", "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_paths() {
        assert_eq!(
            price_task(&["txt2img", "price-calculation"]).as_deref(),
            Some("txt2img")
        );
        assert_eq!(
            price_task(&["prompt", "image", "price-calculation"]).as_deref(),
            Some("prompt/image")
        );
        assert_eq!(
            price_task(&["videos", "replace", "price"]).as_deref(),
            Some("videos/replace")
        );
        assert_eq!(price_task(&["price-calculation"]), None);
        assert_eq!(price_task(&["txt2img"]), None);
    }

    #[test]
    fn documented_rates() {
        let b = json!({"width": 512, "height": 512, "steps": 4});
        assert_eq!(price("txt2img", &b), 0.00136);
        let b = json!({"width": "1024", "height": "1024", "steps": "4"});
        assert_eq!(price("txt2img", &b), 0.00544);
        assert_eq!(price("txt2audio", &json!({"count_text": 1_000_000})), 0.77);
        assert_eq!(
            price(
                "txt2video",
                &json!({"width": 256, "height": 256, "duration": 2})
            ),
            0.001737
        );
        assert_eq!(price("img-rmbg", &json!({})), 0.01);
    }

    #[test]
    fn query_decoding() {
        let q = "limit=50&filter%5Binference_types%5D=txt2img%2Cimg2img&page=2";
        assert_eq!(
            query_param(q, "filter[inference_types]").as_deref(),
            Some("txt2img,img2img")
        );
        assert_eq!(query_param(q, "page").as_deref(), Some("2"));
        assert_eq!(query_param("a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(query_param("", "a"), None);
    }

    #[test]
    fn pages_and_filters() {
        let all = catalogue().len() as u64;
        assert!(all > MAX_LIMIT, "the catalogue must outgrow one page");
        let p1 = models_page("limit=50", "http://h", "/m", false);
        assert_eq!(p1["data"].as_array().unwrap().len(), 50);
        assert_eq!(p1["meta"]["last_page"], json!(2));
        assert_eq!(p1["links"]["next"], json!("http://h/m?page=2"));
        let p2 = models_page("limit=50&page=2", "http://h", "/m", false);
        assert_eq!(p2["data"].as_array().unwrap().len() as u64, all - 50);
        assert_eq!(p2["links"]["next"], Value::Null);
        let p9 = models_page("limit=50&page=9", "http://h", "/m", false);
        assert_eq!(p9["data"], json!([]));
        // Default 25; per_page ignored; limit clamped.
        let d = models_page("per_page=5", "http://h", "/m", false);
        assert_eq!(d["meta"]["per_page"], json!(25));
        assert_eq!(
            models_page("limit=500", "http://h", "/m", false)["meta"]["per_page"],
            json!(50)
        );
        // Filters: any of a list; unknown → empty.
        let f = models_page(
            "limit=50&filter[inference_types]=video-replace",
            "http://h",
            "/m",
            false,
        );
        assert_eq!(f["data"][0]["slug"], json!("Wan2_2_Animate_14B_INT8"));
        assert_eq!(f["meta"]["total"], json!(1));
        let f = models_page(
            "limit=50&filter[inference_types]=img-rmbg,img-upscale",
            "http://h",
            "/m",
            false,
        );
        assert_eq!(f["meta"]["total"], json!(2));
        let f = models_page("filter[inference_types]=nope", "http://h", "/m", false);
        assert_eq!(f["data"], json!([]));
        assert_eq!(f["meta"]["last_page"], json!(1));
        // v2: inference_types keyed by type, the same filter.
        let v2 = models_page(
            "limit=50&filter[inference_types]=img-rmbg,img-upscale",
            "http://h",
            "/api/v2/models",
            true,
        );
        assert_eq!(v2["meta"]["total"], json!(2));
        assert_eq!(v2["data"][0]["inference_types"], json!({"img-upscale": {}}));
        assert_eq!(
            v2["data"][1]["inference_types"],
            json!({"img-rmbg": {}, "vid-rmbg": {}})
        );
    }
}
