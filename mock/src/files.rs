//! Result images: `GET /files/{name}.png`.
//!
//! Owns: drawing a real 64×64 PNG whose colour is derived from the name, so result URLs (deAPI
//! `result_url`, Serika `result.url`) show a picture, and the same name always the same picture.
//! Must not touch: jobs (any name is served, known job or not).

use crate::http::json;
use crate::ids::fnv1a;
use crate::AppState;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

/// Side of the square image, in pixels.
pub const SIZE: u32 = 64;

pub fn routes() -> Router<AppState> {
    Router::new().route("/files/{name}", get(handle))
}

/// The absolute URL of the image for `stem` (`http://HOST/files/STEM.png`).
pub fn url(base: &str, stem: &str) -> String {
    format!("{base}/files/{stem}.png")
}

async fn handle(Path(name): Path<String>) -> Response {
    match name.strip_prefix('/').unwrap_or(&name).strip_suffix(".png") {
        Some(stem) if !stem.is_empty() => match render(stem) {
            Some(bytes) => (
                [
                    (CONTENT_TYPE, HeaderValue::from_static("image/png")),
                    (
                        CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=3600"),
                    ),
                ],
                bytes,
            )
                .into_response(),
            None => json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": "could not encode image"}),
            ),
        },
        _ => json(StatusCode::NOT_FOUND, &json!({"error": "Not Found"})),
    }
}

/// The PNG for `stem`: a diagonal gradient of the name's colour with a lighter band.
pub fn render(stem: &str) -> Option<Vec<u8>> {
    render_sized(stem, SIZE)
}

/// Like [`render`], `size`×`size` pixels (1..=64); the same pattern scaled (Pusher previews).
pub fn render_sized(stem: &str, size: u32) -> Option<Vec<u8>> {
    let size = size.clamp(1, SIZE);
    let scale = SIZE / size;
    let h = fnv1a(stem);
    let base = [(h >> 16) as u8, (h >> 8) as u8, h as u8];
    let mut pixels = Vec::with_capacity((size * size * 3) as usize);
    for y in 0..size {
        for x in 0..size {
            let d = (x + y) * scale; // 0..=126
            let band = (d / 8).is_multiple_of(4);
            for c in base {
                let shade = u32::from(c) * (64 + d) / 190;
                let v = if band { (shade + 255) / 2 } else { shade };
                pixels.push(v.min(255) as u8);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().ok()?;
        w.write_image_data(&pixels).ok()?;
        w.finish().ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_png() {
        let a = super::render("abc").unwrap();
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(a, super::render("abc").unwrap());
        assert_ne!(a, super::render("abd").unwrap());
    }
}
