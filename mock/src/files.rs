//! Result files: `GET /files/{stem}.{png,jpg,webp,wav,txt,csv}`.
//!
//! Owns: drawing a real 64×64 picture whose colour is derived from the stem, so result URLs (deAPI
//! `result_url` and `results_alt_formats`, previews, Serika `result.url`, Socaity FileModels) show
//! a picture, the same stem always the same picture, encoded as PNG, JPEG or lossless WebP; and
//! a short WAV tone (Socaity audio FileModels, e.g. speechcraft's), small text and CSV files
//! (Optexity `downloads`). Must not touch: jobs (any stem is served,
//! known job or not).

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
    url_of(base, stem, "png")
}

/// The absolute URL of file `stem.ext` (`http://HOST/files/STEM.EXT`).
pub fn url_of(base: &str, stem: &str, ext: &str) -> String {
    format!("{base}/files/{stem}.{ext}")
}

/// The PNG of `stem` in standard base64 (padded), as FileModels and screenshots carry it.
pub fn png_base64(stem: &str) -> String {
    data_encoding::BASE64.encode(&render(stem).unwrap_or_default())
}

async fn handle(Path(name): Path<String>) -> Response {
    let name = name.strip_prefix('/').unwrap_or(&name);
    let Some((stem, ext)) = name.rsplit_once('.').filter(|(s, _)| !s.is_empty()) else {
        return json(StatusCode::NOT_FOUND, &json!({"error": "Not Found"}));
    };
    let (content_type, bytes) = match ext {
        "png" => ("image/png", render(stem)),
        "jpg" => ("image/jpeg", render_jpeg(stem)),
        "webp" => ("image/webp", render_webp(stem)),
        "wav" => ("audio/wav", Some(wav(stem))),
        "txt" => ("text/plain", Some(text(stem).into_bytes())),
        "csv" => ("text/csv", Some(csv(stem).into_bytes())),
        _ => return json(StatusCode::NOT_FOUND, &json!({"error": "Not Found"})),
    };
    match bytes {
        Some(bytes) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(content_type)),
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
    }
}

/// Sample rate of [`wav`].
pub const WAV_RATE: u32 = 16_000;

/// The audio of `stem`: a RIFF/WAVE file, 16-bit PCM mono at 16 kHz, 0.5 s of a sine tone whose
/// pitch (220..660 Hz) is derived from the stem, faded in and out.
pub fn wav(stem: &str) -> Vec<u8> {
    let samples = WAV_RATE / 2;
    let freq = 220.0 + (fnv1a(stem) % 440) as f64;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&WAV_RATE.to_le_bytes());
    out.extend_from_slice(&(WAV_RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let fade = f64::from(WAV_RATE / 50); // 20 ms
    for i in 0..samples {
        let t = f64::from(i) / f64::from(WAV_RATE);
        let edge = f64::from(i.min(samples - 1 - i));
        let gain = (edge / fade).min(1.0) * 0.4;
        let v = (gain * (std::f64::consts::TAU * freq * t).sin() * f64::from(i16::MAX)) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The text file of `stem`.
pub fn text(stem: &str) -> String {
    format!("polyjob-mock result file {stem}\n")
}

/// The CSV file of `stem`: a header and three rows.
pub fn csv(stem: &str) -> String {
    let h = fnv1a(stem);
    let mut out = String::from("row,name,value\n");
    for i in 0..3u64 {
        out.push_str(&format!("{},{stem},{}\n", i + 1, (h >> (i * 16)) % 1000));
    }
    out
}

/// The PNG for `stem`: a diagonal gradient of the name's colour with a lighter band.
pub fn render(stem: &str) -> Option<Vec<u8>> {
    render_sized(stem, SIZE)
}

/// The same picture as [`render`], as a baseline JPEG (quality 90).
pub fn render_jpeg(stem: &str) -> Option<Vec<u8>> {
    let side = SIZE as u16;
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(
            &pixels(stem, SIZE),
            side,
            side,
            jpeg_encoder::ColorType::Rgb,
        )
        .ok()?;
    Some(out)
}

/// The same picture as [`render`], as a lossless WebP (VP8L).
pub fn render_webp(stem: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    image_webp::WebPEncoder::new(&mut out)
        .encode(&pixels(stem, SIZE), SIZE, SIZE, image_webp::ColorType::Rgb8)
        .ok()?;
    Some(out)
}

/// Like [`render`], `size`×`size` pixels (1..=64); the same pattern scaled (Pusher previews).
pub fn render_sized(stem: &str, size: u32) -> Option<Vec<u8>> {
    let size = size.clamp(1, SIZE);
    let pixels = pixels(stem, size);
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

/// The RGB pixels of `stem`'s picture, `size`×`size` (1..=64).
fn pixels(stem: &str, size: u32) -> Vec<u8> {
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
    pixels
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_png() {
        let a = super::render("abc").unwrap();
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(a, super::render("abc").unwrap());
        assert_ne!(a, super::render("abd").unwrap());
        let j = super::render_jpeg("abc").unwrap();
        assert!(j.starts_with(&[0xff, 0xd8, 0xff]) && j.ends_with(&[0xff, 0xd9]));
        let w = super::render_webp("abc").unwrap();
        assert!(w.starts_with(b"RIFF") && &w[8..16] == b"WEBPVP8L");
        assert_eq!(&w[4..8], &(w.len() as u32 - 8).to_le_bytes());
        assert!(super::csv("x").starts_with("row,name,value\n1,x,"));
        let a = super::wav("abc");
        assert!(a.starts_with(b"RIFF") && &a[8..16] == b"WAVEfmt ");
        assert_eq!(a.len(), 44 + super::WAV_RATE as usize);
        assert_eq!(&a[4..8], &(a.len() as u32 - 8).to_le_bytes());
        assert_ne!(a, super::wav("abd"));
    }
}
