//! Cross-site request forgery protection without tokens, so it works with JavaScript off: a
//! state-changing request (anything but GET, HEAD, OPTIONS, TRACE) is accepted only when the
//! browser says it comes from this site. Browsers send `Sec-Fetch-Site` (and `Origin`) on every
//! form post; `Referer` is a last resort for old browsers (the Referrer-Policy is same-origin,
//! so our own pages send it). Anything else gets a 403 page in the person's language.

use axum::{
    extract::{Request, State},
    http::{header, request::Parts, HeaderMap, Method},
    middleware::Next,
    response::Response,
};

use crate::{http::AppState, pages::kit::refusal::Refusal};

/// Middleware on every route outside `/api/` (through `http::route_checks`; not on the 404
/// fallback: an unknown address stays a 404).
pub async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The API takes bearer tokens only, never cookies: a forged cross-site request carries none.
    if is_safe(request.method()) || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match verdict(&parts.headers, host_of(&parts).as_deref(), state.config.secure_cookies) {
        Verdict::SameOrigin => next.run(Request::from_parts(parts, body)).await,
        refused => {
            tracing::warn!(method = %parts.method, path = parts.uri.path(), reason = ?refused, "refused a cross-site request");
            Refusal::CrossSite.respond(&parts)
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// The host (and port) the request was sent to.
fn host_of(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    SameOrigin,
    /// `Sec-Fetch-Site` says another site (or a sibling subdomain) sent it.
    CrossSite,
    /// `Origin` or `Referer` names another origin.
    ForeignOrigin,
    /// Nothing says where the request came from.
    Unknown,
}

fn verdict(headers: &HeaderMap, host: Option<&str>, tls: bool) -> Verdict {
    let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        // `none`: the person typed or bookmarked it; `same-origin`: one of our own pages.
        return if matches!(site, "same-origin" | "none") { Verdict::SameOrigin } else { Verdict::CrossSite };
    }
    let Some(host) = host else { return Verdict::Unknown };
    if let Some(origin) = text(header::ORIGIN) {
        return if same_origin(origin, host, tls) { Verdict::SameOrigin } else { Verdict::ForeignOrigin };
    }
    if let Some(referer) = text(header::REFERER) {
        return if same_origin(referer, host, tls) { Verdict::SameOrigin } else { Verdict::ForeignOrigin };
    }
    Verdict::Unknown
}

/// Whether `url` (an Origin or a Referer) is on `host`, over https when served over TLS.
fn same_origin(url: &str, host: &str, tls: bool) -> bool {
    let Ok(url) = url::Url::parse(url) else { return false };
    let scheme_ok = if tls { url.scheme() == "https" } else { matches!(url.scheme(), "http" | "https") };
    let Some(url_host) = url.host_str() else { return false };
    let authority = match url.port() {
        Some(port) => format!("{url_host}:{port}"),
        None => url_host.to_string(),
    };
    scheme_ok && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const HOST: Option<&str> = Some("recourse.example:8080");

    #[test]
    fn sec_fetch_site_decides_when_present() {
        assert_eq!(verdict(&headers(&[("sec-fetch-site", "same-origin")]), HOST, false), Verdict::SameOrigin);
        assert_eq!(verdict(&headers(&[("sec-fetch-site", "none")]), HOST, false), Verdict::SameOrigin);
        for other in ["cross-site", "same-site"] {
            let h = headers(&[("sec-fetch-site", other), ("origin", "http://recourse.example:8080")]);
            assert_eq!(verdict(&h, HOST, false), Verdict::CrossSite, "{other}");
        }
    }

    #[test]
    fn origin_must_match_the_host() {
        assert_eq!(
            verdict(&headers(&[("origin", "http://recourse.example:8080")]), HOST, false),
            Verdict::SameOrigin
        );
        assert_eq!(
            verdict(&headers(&[("origin", "http://evil.example:8080")]), HOST, false),
            Verdict::ForeignOrigin
        );
        assert_eq!(
            verdict(&headers(&[("origin", "http://recourse.example")]), HOST, false),
            Verdict::ForeignOrigin
        );
        assert_eq!(verdict(&headers(&[("origin", "null")]), HOST, false), Verdict::ForeignOrigin);
        let tls = Some("recourse.example");
        assert_eq!(
            verdict(&headers(&[("origin", "https://recourse.example")]), tls, true),
            Verdict::SameOrigin
        );
        assert_eq!(
            verdict(&headers(&[("origin", "http://recourse.example")]), tls, true),
            Verdict::ForeignOrigin
        );
    }

    #[test]
    fn referer_is_the_last_resort_and_nothing_at_all_is_refused() {
        let own = headers(&[("referer", "http://recourse.example:8080/sign-in?next=%2Fme")]);
        assert_eq!(verdict(&own, HOST, false), Verdict::SameOrigin);
        let foreign = headers(&[("referer", "http://recourse.example.evil.example/")]);
        assert_eq!(verdict(&foreign, HOST, false), Verdict::ForeignOrigin);
        assert_eq!(verdict(&HeaderMap::new(), HOST, false), Verdict::Unknown);
    }
}
