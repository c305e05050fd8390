//! Sessions: the cookie, what a session holds, and resolving the signed-in [`Viewer`] on every
//! request. A session ends when it has been idle too long, when it is older than the absolute
//! lifetime, when its person signs out, changes their password elsewhere or is disabled: each of
//! these is checked against the database on every request, so no server trusts a stale cookie.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::{cookie::SameSite, Expiry, Session, SessionManagerLayer};

use super::access::Viewer;
use crate::{
    error::{AppError, AppResult},
    http::{AppState, Config},
    store::{
        accounts::{self, Account, AccountId, Role},
        from_micros, notices,
        sessions::{self, DbSessionStore, AUTH_KEY},
        to_micros,
    },
};

/// The cookie's name: `__Host-` prefixed over TLS, so the browser accepts it only when Secure,
/// for this host alone and for the whole site.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies {
        "__Host-recourse"
    } else {
        "recourse"
    }
}

/// The tower-sessions layer: database store, HttpOnly, SameSite=Lax (a link from an e-mail still
/// arrives signed in; cross-site posts are refused by the CSRF check), idle expiry.
pub fn layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    let idle =
        time::Duration::try_from(state.config.session_idle_timeout).unwrap_or(time::Duration::minutes(30));
    SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(cookie_name(&state.config))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// What a signed-in session holds. Times in microseconds since the epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SessionAuth {
    account: AccountId,
    /// The account's session epoch at sign-in; a raised epoch ends this session.
    epoch: i64,
    signed_in_at: i64,
    /// When the idle timer was last pushed back (at most once a minute, to spare writes).
    touched_at: i64,
}

/// How often an active session's expiry is pushed back.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Middleware: resolves the session to a [`Viewer`], a request extension for the extractors (the
/// page shell's [`crate::pages::PageContext`] among them), ending the session if it may no longer
/// be used.
pub async fn resolve_viewer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let viewer = match request.extensions().get::<Session>().cloned() {
        Some(session) => match sessions::keeping_holder(current(&state, &session)).await {
            Ok(viewer) => viewer,
            // A database that cannot be reached is said so (503), never taken for a signed-out
            // person and sent to sign in.
            Err(_) if !state.db.is_healthy().await => return unavailable(request),
            Err(e) => {
                tracing::error!(error = %e, "could not resolve the session; treating the request as signed out");
                None
            }
        },
        None => None,
    };
    if let Some(viewer) = &viewer {
        request.extensions_mut().insert(viewer.clone());
    }
    // Pages for a signed-in person, and invitation pages, must not stay in a shared browser's
    // cache (the back button after signing out) or in any proxy's.
    let private = viewer.is_some() || request.uri().path().starts_with("/invitation/");
    let mut response = next.run(request).await;
    if private {
        response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// The 503 answer while the database cannot be reached: JSON for the API, else the page.
fn unavailable(request: Request) -> Response {
    tracing::warn!("the database cannot be reached; answering 503");
    let (parts, _) = request.into_parts();
    if parts.uri.path().starts_with("/api/") {
        return crate::api::ApiError::unavailable("the session store cannot be reached").into_response();
    }
    let page = crate::error::ErrorPage::Unavailable;
    (page.status(), crate::pages::kit::errors::render(&crate::pages::PageContext::of(&parts), page))
        .into_response()
}

/// Who `session` speaks for, if anyone still: ends a session past its lifetime, of a disabled
/// account or from before a password change. The account and the unread count come with the
/// session's own statement inside [`sessions::keeping_holder`]; elsewhere (a session loaded
/// outside it) they are read on their own, to the same viewer.
pub async fn current(state: &AppState, session: &Session) -> anyhow::Result<Option<Viewer>> {
    let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await? else { return Ok(None) };
    let now = Utc::now();
    let max =
        chrono::Duration::from_std(state.config.session_max_lifetime).unwrap_or(chrono::Duration::hours(12));
    if now - from_micros(auth.signed_in_at) > max {
        tracing::info!("a session reached its absolute lifetime and was ended");
        session.flush().await?;
        return Ok(None);
    }
    // Read with the session (see `sessions::keeping_holder`) unless it was loaded elsewhere.
    let (account, unread) = match sessions::take_holder(auth.account) {
        Some(holder) => (Some(holder.account), Some(holder.unread_notices)),
        None => (accounts::by_id(&state.db, auth.account).await?, None),
    };
    let Some(account) = account.filter(|a| !a.is_disabled() && a.session_epoch == auth.epoch) else {
        tracing::info!("a session of a disabled account or from before a password change was ended");
        session.flush().await?;
        return Ok(None);
    };
    let mut viewer = Viewer::from_account(&account);
    // Every page's header shows a subject how many notices wait for them.
    if let Some(subject) = viewer.subject_id.filter(|_| viewer.role == Role::Subject) {
        viewer.unread_notices = match unread {
            Some(count) => count,
            None => notices::unread_count(&state.db, subject).await?,
        };
    }
    if now - from_micros(auth.touched_at) > TOUCH_EVERY {
        // Modifying the session makes tower-sessions save it with a fresh idle expiry.
        session.insert(AUTH_KEY, SessionAuth { touched_at: to_micros(now), ..auth }).await?;
    }
    Ok(Some(viewer))
}

/// Signs `account` in on this session: a new session id (no fixation), then the account.
pub async fn begin(session: &Session, account: &Account, now: DateTime<Utc>) -> AppResult<()> {
    session.cycle_id().await.map_err(internal)?;
    let auth = SessionAuth {
        account: account.id,
        epoch: account.session_epoch,
        signed_in_at: to_micros(now),
        touched_at: to_micros(now),
    };
    // The session layer stores it, and sets the new cookie, as the response leaves.
    session.insert(AUTH_KEY, auth).await.map_err(internal)
}

/// Keeps this session signed in after its own password change raised the epoch, under a new id.
pub async fn renew(session: &Session, epoch: i64) -> AppResult<()> {
    let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await.map_err(internal)? else {
        return Ok(());
    };
    session.cycle_id().await.map_err(internal)?;
    session.insert(AUTH_KEY, SessionAuth { epoch, ..auth }).await.map_err(internal)
}

/// Ends this session on the server and removes its cookie.
pub async fn end(session: &Session) -> AppResult<()> {
    session.flush().await.map_err(internal)
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("session: {e}"))
}

/// Defaults of the configuration: 30 minutes idle, 12 hours at most.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_MAX: Duration = Duration::from_secs(12 * 60 * 60);
