//! Public pages that change only with the catalogue (home, the catalogue's index, a scheme's
//! page, a rule's page) are rendered once per catalogue revision, language and address for
//! people not signed in, and every public answer carries an `ETag`, so a browser that already
//! has the page gets `304 Not Modified` and no body. The revision is read from the database on
//! every request, so a change made through any server shows at the next request on every
//! server; a page that changes with time alone (a rule coming into force) says until when its
//! rendering holds.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Request},
    http::{header, request::Parts, HeaderValue, Method, StatusCode},
    response::{Html, IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{
    error::AppResult,
    http::AppState,
    i18n::{locale_in, Locale},
    pages::kit::PageContext,
};

/// Most renderings kept: every page of a large catalogue in both languages, with room to spare;
/// beyond it (addresses that are not pages are answered 404 and never kept) the oldest go.
const MOST_KEPT: usize = 4096;

/// A public page as its loader rendered it, and until when that rendering holds (`None`: until
/// the catalogue changes).
pub struct Fresh {
    pub html: Html<String>,
    pub until: Option<DateTime<Utc>>,
}

/// One rendering, ready to send.
struct Rendered {
    body: Bytes,
    etag: HeaderValue,
    until: Option<DateTime<Utc>>,
}

impl Rendered {
    fn new(fresh: Fresh, revision: i64) -> Self {
        let body = Bytes::from(fresh.html.0);
        let digest = Sha256::digest(&body);
        let etag = format!("\"{revision}-{}\"", hex::encode(&digest[..12]));
        Self { body, etag: HeaderValue::from_str(&etag).expect("hex is a valid header"), until: fresh.until }
    }

    fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// The page, or 304 when the browser's copy is this one; either says what it varies on, as
    /// every page does (see `http::finish_answer`).
    fn answer(&self, request: &IfNoneMatch) -> Response {
        let headers = [
            (header::ETAG, self.etag.clone()),
            // A browser may keep the page but must ask whether it still holds before showing it.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::VARY, HeaderValue::from_static(crate::http::PAGES_VARY)),
        ];
        if matches(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let html = [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))];
        (headers, html, self.body.clone()).into_response()
    }
}

/// The request's `If-None-Match`: the one header these answers depend on, taken alone (a
/// `HeaderMap` extractor would copy every header of every request).
#[derive(Debug, Default)]
pub struct IfNoneMatch(Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(header::IF_NONE_MATCH).cloned()))
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches(request: &IfNoneMatch, etag: &HeaderValue) -> bool {
    let Some(wanted) = request.0.as_ref().and_then(|v| v.to_str().ok()) else { return false };
    let etag = etag.to_str().unwrap_or_default();
    wanted.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// The renderings kept, all of one catalogue revision.
#[derive(Default)]
pub struct PublicPages {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    revision: i64,
    pages: HashMap<(Locale, String), Arc<Rendered>>,
}

impl std::fmt::Debug for PublicPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicPages").finish_non_exhaustive()
    }
}

impl PublicPages {
    fn kept(&self, revision: i64, key: &(Locale, String), now: DateTime<Utc>) -> Option<Arc<Rendered>> {
        self.holding(key, now).filter(|(of, _)| *of == revision).map(|(_, page)| page)
    }

    /// The rendering kept for `key` that still holds at `now`, with the revision it was rendered
    /// for (to be checked against the catalogue's before it is sent).
    fn holding(&self, key: &(Locale, String), now: DateTime<Utc>) -> Option<(i64, Arc<Rendered>)> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let page = kept.pages.get(key).filter(|page| page.holds_at(now))?;
        Some((kept.revision, page.clone()))
    }

    fn keep(&self, revision: i64, key: (Locale, String), page: Arc<Rendered>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.revision != revision {
            if kept.revision > revision {
                return; // rendered from an older catalogue than what is kept
            }
            *kept = Kept { revision, pages: HashMap::new() };
        }
        if kept.pages.len() >= MOST_KEPT {
            kept.pages.clear();
        }
        kept.pages.insert(key, page);
    }
}

/// An anonymous `GET` of a page kept by [`serve`], answered as `serve` would answer it, before
/// the layers every other request passes (session, snapshot, viewer, router, the page's
/// handler); `None` sends the request that way. Only a request that cannot be signed in (no
/// session cookie), for an address without a query string, whose kept rendering holds for the
/// catalogue's revision now; a revision that cannot be read goes the usual way too, to be
/// answered as any page is when the database cannot be reached.
pub fn kept_answer<'s>(
    state: &'s AppState,
    request: &Request,
) -> impl Future<Output = Option<Response>> + Send + 's {
    // What the request says is read now: a request's body cannot be shared across an await.
    let found = kept_for(state, request);
    async move {
        let (revision, page, asked) = found?;
        (state.cache.revision().await.ok()? == revision).then(|| page.answer(&asked))
    }
}

/// The rendering kept for `request`, if it may have one, with the revision it was rendered for
/// and the request's `If-None-Match`.
fn kept_for(state: &AppState, request: &Request) -> Option<(i64, Arc<Rendered>, IfNoneMatch)> {
    let uri = request.uri();
    if request.method() != Method::GET || uri.query().is_some() || uri.scheme().is_some() {
        return None;
    }
    let headers = request.headers();
    let cookies = CookieJar::from_headers(headers);
    if cookies.get(crate::auth::session::cookie_name(&state.config)).is_some() {
        return None;
    }
    let key = (locale_in(&cookies, headers), uri.path().to_string());
    // The database is asked only for an address that has a page kept: every other anonymous
    // request (the sign-in page, files) costs no more than a look here.
    let (revision, page) = state.public_pages.holding(&key, Utc::now())?;
    Some((revision, page, IfNoneMatch(headers.get(header::IF_NONE_MATCH).cloned())))
}

/// Answers a public page: the kept rendering when the person is not signed in and the
/// catalogue has not changed since, else `render`'s (kept for the next person); 304 when the
/// browser's copy is current. Signed-in people see their own header, so their pages are
/// rendered each time (and still answered 304 when unchanged).
pub async fn serve<F, Fut>(
    state: &AppState,
    shell: &PageContext,
    request: &IfNoneMatch,
    render: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Fresh>>,
{
    let revision = state.cache.revision().await?;
    let now = Utc::now();
    // Only the address's path: a query string is not part of these pages.
    let keep = shell.viewer.is_none() && !shell.path.contains('?');
    let key = (shell.locale, shell.path.clone());
    if keep {
        if let Some(page) = state.public_pages.kept(revision, &key, now) {
            return Ok(page.answer(request));
        }
    }
    // Boxed: the loader's future is large, and inline it would make every answer's future (moved
    // into place on each request, kept page or not) as large.
    let page = Arc::new(Rendered::new(Box::pin(render()).await?, revision));
    if keep {
        state.public_pages.keep(revision, key, page.clone());
    }
    Ok(page.answer(request))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tag: &str) -> IfNoneMatch {
        IfNoneMatch(Some(HeaderValue::from_str(tag).unwrap()))
    }

    #[test]
    fn a_browser_with_the_current_copy_gets_304() {
        let page = Rendered::new(Fresh { html: Html("<p>rules</p>".into()), until: None }, 7);
        let etag = page.etag.to_str().unwrap().to_string();
        assert!(etag.starts_with("\"7-"));
        assert_eq!(page.answer(&request(&etag)).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(page.answer(&request(&format!("\"x\", W/{etag}"))).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(page.answer(&request("\"7-other\"")).status(), StatusCode::OK);
        assert_eq!(page.answer(&IfNoneMatch::default()).status(), StatusCode::OK);
    }

    #[test]
    fn a_rendering_is_kept_for_its_revision_and_until_it_stops_holding() {
        let pages = PublicPages::default();
        let now = Utc::now();
        let key = (Locale::En, "/rules".to_string());
        let until = Some(now + chrono::Duration::minutes(1));
        pages.keep(3, key.clone(), Arc::new(Rendered::new(Fresh { html: Html("a".into()), until }, 3)));
        assert!(pages.kept(3, &key, now).is_some());
        assert!(pages.kept(4, &key, now).is_none(), "a newer catalogue renders again");
        assert!(pages.kept(3, &key, now + chrono::Duration::minutes(2)).is_none(), "a rule came into force");
        pages.keep(
            2,
            key.clone(),
            Arc::new(Rendered::new(Fresh { html: Html("old".into()), until: None }, 2)),
        );
        assert!(pages.kept(3, &key, now).is_some(), "an older rendering never replaces a newer one");
    }
}
