//! Static assets. The stylesheet is compiled into the binary and served under a content-hashed
//! URL, so it can be cached for a year; files in `public/` are served with a one-day cache.

use std::sync::OnceLock;

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

const STYLESHEET: &str = include_str!("../../style/recourse.css");

fn stylesheet_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        // FNV-1a: stable across builds and platforms, enough to bust caches.
        let hash = STYLESHEET
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("{hash:016x}")
    })
}

/// The stylesheet's URL, changing whenever its content does.
pub fn stylesheet_href() -> String {
    format!("/style/recourse.css?v={}", stylesheet_version())
}

pub async fn stylesheet(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", stylesheet_version());
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            (header::ETAG, HeaderValue::from_str(&etag).expect("hex etag is a valid header")),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Adds a one-day cache to successful responses for files from `public/`.
pub fn cache_public_files<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("public, max-age=86400"));
    }
    response
}
