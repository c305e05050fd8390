//! Baseline security headers on every response. No script is shipped, so the
//! Content-Security-Policy forbids all scripts (`default-src 'none'` with no `script-src`).

use axum::{
    http::{header, HeaderName, HeaderValue},
    response::Response,
};

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every response's headers, unless it set its own.
const HEADERS: [(HeaderName, &str); 6] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

/// Sent only when served over TLS.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Adds the headers a response has not set. One function for all of them, not a layer each:
/// every layer is one more future around every request.
pub fn add_headers(tls: bool) -> impl Fn(Response) -> Response + Clone + Send + Sync + 'static {
    move |mut response| {
        let headers = response.headers_mut();
        for (name, value) in HEADERS {
            headers.entry(name).or_insert(HeaderValue::from_static(value));
        }
        if tls {
            headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
        }
        response
    }
}
