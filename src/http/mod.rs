//! The web edge: routes, the layers every request passes through (request id, tracing,
//! compression, security headers, localised error pages), and the server with graceful shutdown.

pub mod assets;
pub mod form;
pub mod query;
pub mod redirect;
pub mod route_table;
pub mod routes;
pub mod security;
pub mod server;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum::{
    extract::{Path, Request, State},
    http::{header, HeaderName, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    Router,
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use tower::{util::MapResponseLayer, ServiceBuilder};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::ServeDir,
    trace::TraceLayer,
};

use crate::{
    db::Db,
    error::ErrorPage,
    i18n::{Locale, LANG_COOKIE},
    pages::{self, PageContext},
    store::read_cache::ReadCache,
};
use query::Query;
use route_table::Route;

/// Settings of the web server that handlers may need.
#[derive(Clone, Debug)]
pub struct Config {
    /// Cookies get `Secure` (and HSTS is sent) when Recourse is served over TLS.
    pub secure_cookies: bool,
    /// Folder whose files are served at the site root (favicon, robots.txt).
    pub public_dir: PathBuf,
    /// A signed-in session unused this long ends.
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_max_lifetime: Duration,
    /// Behind a reverse proxy: take the client's address (for sign-in throttling) from the last
    /// `X-Forwarded-For` entry instead of the connection.
    pub trust_forwarded_for: bool,
    /// Calls a second (sustained) and burst allowed to each API token, and to each client address
    /// for calls without a valid token; `per_second` 0 turns the limit off.
    pub api_limit: crate::api::limit::ApiLimit,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            public_dir: default_public_dir(),
            session_idle_timeout: crate::auth::session::DEFAULT_IDLE,
            session_max_lifetime: crate::auth::session::DEFAULT_MAX,
            trust_forwarded_for: false,
            api_limit: crate::api::limit::ApiLimit::DEFAULT,
        }
    }
}

/// `public/` beside the working directory, else the one in the source tree.
pub fn default_public_dir() -> PathBuf {
    let local = PathBuf::from("public");
    if local.is_dir() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public")
    }
}

/// Shared by every handler: the database pool, the configuration, a read cache that checks
/// the database before every use, and the API's rate limiter. Holds no per-user state that the
/// database does not also hold (the limiter's counters are a per-server guard of capacity, see
/// [`crate::api::limit`]), so any number of servers can run behind a load balancer.
///
/// One `Arc` around it all: the router clones the state into every layer and handler of every
/// request, and with its parts each in an `Arc` of its own, the two cores spent an eighth of a
/// public page's time counting those references up and down.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares, read through it (`state.db`, `state.config`, …).
#[derive(Clone, Debug)]
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub cache: Arc<ReadCache>,
    /// Public pages rendered once per catalogue revision and language.
    pub public_pages: Arc<crate::pages::public::cache::PublicPages>,
    /// `None` when the API's limit is off.
    pub api_limiter: Option<Arc<crate::api::limit::ApiLimiter>>,
    /// The instance's key, which signs subjects' proofs of status; a fresh one unless
    /// [`AppState::with_signing_key`] gives the instance's.
    pub signing_key: Arc<crate::signing::InstanceKey>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        let api_limiter = crate::api::limit::ApiLimiter::new(config.api_limit).map(Arc::new);
        Self(Arc::new(Shared {
            cache: Arc::new(ReadCache::new(db.clone())),
            db,
            config: Arc::new(config),
            public_pages: Arc::default(),
            api_limiter,
            signing_key: Arc::new(crate::signing::InstanceKey::generate()),
        }))
    }

    /// The same state signing with `key` (the instance's key file).
    pub fn with_signing_key(self, key: crate::signing::InstanceKey) -> Self {
        let shared = Arc::unwrap_or_clone(self.0);
        Self(Arc::new(Shared { signing_key: Arc::new(key), ..shared }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub use routes::routes;

/// The (method, path) pairs the router serves.
pub fn route_table() -> Vec<Route> {
    routes().table().to_vec()
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let public_files = ServeDir::new(&state.config.public_dir)
        .call_fallback_on_method_not_allowed(true)
        .fallback(axum::handler::HandlerWithoutStateExt::into_service(not_found));
    let pages = routes()
        .into_router()
        // On matched routes only: an unknown address stays a plain 404.
        .route_layer(middleware::from_fn_with_state(state.clone(), route_checks))
        .fallback_service(
            ServiceBuilder::new().map_response(assets::cache_public_files).service(public_files),
        )
        .with_state(state.clone())
        .layer(middleware::from_fn(finish_answer))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::session::resolve_viewer))
        .layer(middleware::from_fn_with_state(state.clone(), one_snapshot))
        .layer(crate::auth::session::layer(&state));
    // Before routing, so a kept page costs none of the layers the router puts on every route.
    let app = Router::new()
        .fallback_service(KeptPublicPages { state: state.clone(), pages })
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            ErrorPage::Internal.into_response()
        }))
        .layer(MapResponseLayer::new(security::add_headers(state.config.secure_cookies)));
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                // Path only: query strings may carry personal data.
                let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
                let path = crate::auth::loggable_path(req.uri().path());
                tracing::info_span!("request", method = %req.method(), path = %path, id = id.unwrap_or("-"))
            }))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            // Brotli's default (quality 11) costs more CPU than the rest of a record page; at 1
            // it costs a fifth of the page and still sends a quarter of the bytes.
            .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(1))),
    )
}

/// What every matched route checks before its group's gate, in one layer: an API call is
/// counted against the API's rate limit (the API takes no cookies, so a forged cross-site call
/// carries no credential), any other request must come from this site.
async fn route_checks(state: State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/api/") {
        crate::api::limit::limit(state, request, next).await
    } else {
        crate::auth::csrf::refuse_cross_site(state, request, next).await
    }
}

/// The pages, behind a look for a public page kept for everyone: an anonymous `GET` of one is
/// answered here, without the session, snapshot, viewer, router and page layers it would
/// otherwise pass for the same answer (see [`pages::public::cache::kept_answer`]).
#[derive(Clone)]
struct KeptPublicPages {
    state: AppState,
    pages: Router,
}

impl tower::Service<Request> for KeptPublicPages {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        // A router is always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (state, mut pages) = (self.state.clone(), self.pages.clone());
        Box::pin(async move {
            if let Some(answer) = pages::public::cache::kept_answer(&state, &request).await {
                return Ok(answer);
            }
            tower::Service::call(&mut pages, request).await
        })
    }
}

/// A request that only reads (GET, HEAD) reads one state of the database, the session's and the
/// signed-in person's included (see [`crate::db::Db::in_one_snapshot`]).
async fn one_snapshot(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        state.db.in_one_snapshot(next.run(request)).await
    } else {
        next.run(request).await
    }
}

/// What a page's language and header follow, so no cache serves one person's page to another.
pub const PAGES_VARY: &str = "cookie, accept-language";

/// What every answer gets beyond its handler's: the error page in the person's language where
/// the handler marked an [`ErrorPage`], and what the answer says of itself. API answers are never
/// cached and an unknown `/api/` address answers JSON like every other API refusal; a page says
/// that its language follows the language cookie and `Accept-Language`, so no cache serves one
/// person's language to another. One layer for both: every layer is one more future a request.
async fn finish_answer(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let shell = shell_parts(&request);
    let mut response = next.run(request).await;
    if let Some(page) = response.extensions().get::<ErrorPage>().copied() {
        response =
            (page.status(), pages::kit::errors::render(&PageContext::of(&shell), page)).into_response();
    }
    let json = |r: &Response| {
        r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    };
    if api {
        // An unknown address's 404 arrives here as the HTML page.
        if response.status() == StatusCode::NOT_FOUND && !json(&response) {
            response =
                crate::api::ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such API address")
                    .into_response();
        }
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    } else {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let said = response.headers().get_all(header::VARY).iter().any(|v| v == PAGES_VARY);
        if html && !said {
            response.headers_mut().append(header::VARY, header::HeaderValue::from_static(PAGES_VARY));
        }
    }
    response
}

/// What the page shell reads of a request (its address, the language cookie and
/// `Accept-Language`, who is signed in), copied cheaply before the handler takes the request, so
/// an error page can be drawn after it; the shell itself is drawn only for an error.
fn shell_parts(request: &Request) -> axum::http::request::Parts {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.uri = request.uri().clone();
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE] {
        for value in request.headers().get_all(&name) {
            parts.headers.append(name.clone(), value.clone());
        }
    }
    if let Some(viewer) = request.extensions().get::<crate::auth::access::Viewer>() {
        parts.extensions.insert(viewer.clone());
    }
    parts
}

async fn not_found() -> ErrorPage {
    ErrorPage::NotFound
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn health(State(state): State<AppState>) -> Response {
    if state.db.is_healthy().await {
        (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], "database unavailable")
            .into_response()
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /language/{code}?next=/path`: remembers the language in a cookie and goes back.
/// A plain link, so it works without JavaScript; `next` must be a local path.
async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<NextQuery>,
    jar: CookieJar,
) -> Response {
    let Some(locale) = Locale::from_code(&code) else {
        return ErrorPage::NotFound.into_response();
    };
    let next = query.next.as_deref().and_then(redirect::local_path).unwrap_or("/").to_string();
    let cookie = Cookie::build((LANG_COOKIE, locale.code()))
        .path("/")
        .max_age(time_one_year())
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(state.config.secure_cookies)
        .build();
    (jar.add(cookie), Redirect::to(&next)).into_response()
}

fn time_one_year() -> time::Duration {
    time::Duration::days(365)
}

/// Binds the address, serves until SIGTERM or SIGINT, then lets in-flight requests finish
/// within the grace period of `limits`.
pub async fn serve(state: AppState, addr: SocketAddr, limits: server::Limits) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Bind { addr, reason: bind_reason(&e) })?;
    let local = listener.local_addr().map_err(|e| ServeError::Bind { addr, reason: e.to_string() })?;
    tracing::info!("Recourse is listening on http://{local}");
    server::run(listener, router(state), limits, shutdown_signal()).await;
    tracing::info!("Recourse stopped");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
}

fn bind_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "the address is already in use (is another server running there?)".into()
        }
        std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need privileges)".into(),
        std::io::ErrorKind::AddrNotAvailable => "this machine has no such address".into(),
        _ => e.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown asked for");
}
