//! The caller of the API: the authority whose token is in `Authorization: Bearer …`. A missing,
//! unknown or revoked token answers 401 with a code saying which; a session cookie is never
//! accepted in its place.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, StatusCode},
};
use chrono::Utc;

use super::ApiError;
use crate::{
    auth::throttle::client_address,
    domain::AuthorityId,
    http::AppState,
    store::{
        audit::Actor,
        tokens::{self, ApiToken},
    },
};

/// An authenticated API caller.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub token: ApiToken,
    /// How writes are audited: `token:<prefix>` from the client's address.
    pub actor: Actor,
}

impl ApiCaller {
    pub fn authority(&self) -> AuthorityId {
        self.token.authority
    }
}

fn unauthorized(code: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// The outcome of resolving a call's token, left in the request's extensions by the rate limiter
/// ([`super::limit`]) so the handler does not look the token up again.
#[derive(Clone, Debug)]
pub struct Resolved(pub Result<ApiCaller, ApiError>);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.remove::<Resolved>() {
            Some(Resolved(resolved)) => resolved,
            None => resolve(parts, state).await,
        }
    }
}

/// Finds the caller of a request by its bearer token: 401 with a specific code when it has none,
/// an unknown one or a revoked one.
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<ApiCaller, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "token_missing",
            "send your API token as Authorization: Bearer <token> (cookies are not accepted here)",
        ));
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(|| unauthorized("token_malformed", "the Authorization header must be Bearer <token>"))?;
    let mut conn = state.db.pool.acquire().await?;
    let token = tokens::by_secret(&mut conn, secret)
        .await?
        .ok_or_else(|| unauthorized("token_invalid", "this token is not known"))?;
    if let Some(at) = token.revoked_at {
        let message =
            format!("this token was revoked on {}; ask an administrator for a new one", at.to_rfc3339());
        return Err(unauthorized("token_revoked", &message));
    }
    let now = Utc::now();
    if tokens::needs_touch(&token, now) {
        // Best effort, off the request's path: a busy database must not refuse the call.
        let pool = state.db.pool.clone();
        let id = token.id;
        tokio::spawn(async move {
            let touched = match pool.acquire().await {
                Ok(mut conn) => tokens::touch(&mut conn, id, now).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = touched {
                tracing::warn!(error = %e, "could not stamp a token's last use");
            }
        });
    }
    let actor = Actor {
        account: None,
        label: token.actor_label(),
        origin: client_address(parts, state.config.trust_forwarded_for),
    };
    Ok(ApiCaller { token, actor })
}
