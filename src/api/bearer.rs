//! The caller of the API: the authority (`rct_…`) or the relying party (`rpt_…`) whose token is
//! in `Authorization: Bearer …`. A missing, unknown or revoked token answers 401 with a code
//! saying which; a token of the other kind answers 403 `wrong_token_kind`; a session cookie is
//! never accepted in its place.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, StatusCode},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ApiError;
use crate::{
    auth::throttle::client_address,
    domain::AuthorityId,
    http::AppState,
    store::{
        audit::Actor,
        relying_parties::{self, PartyToken, RelyingParty, PARTY_TOKEN_PREFIX},
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

/// An authenticated relying party.
#[derive(Clone, Debug)]
pub struct PartyCaller {
    pub token: PartyToken,
    pub party: RelyingParty,
}

/// The outcome of resolving a call's token, left in the request's extensions by the rate limiter
/// ([`super::limit`]) so the handler does not look the token up again.
#[derive(Clone, Debug)]
pub struct Resolved(pub Result<ApiCaller, ApiError>);

/// The same for a relying party's call.
#[derive(Clone, Debug)]
pub struct ResolvedParty(pub Result<PartyCaller, ApiError>);

/// Whether the call presents a relying party's token (by its prefix), so that the limiter
/// resolves the right kind.
pub fn presents_party_token(parts: &Parts) -> bool {
    secret_of(parts).is_ok_and(|s| s.starts_with(PARTY_TOKEN_PREFIX))
}

fn wrong_kind(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "wrong_token_kind", message)
}

impl FromRequestParts<AppState> for PartyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.remove::<ResolvedParty>() {
            Some(ResolvedParty(resolved)) => resolved,
            None => resolve_party(parts, state).await,
        }
    }
}

/// Finds the relying party calling by its bearer token, as [`resolve`] does for authorities.
pub async fn resolve_party(parts: &Parts, state: &AppState) -> Result<PartyCaller, ApiError> {
    let secret = secret_of(parts)?;
    if secret.starts_with(tokens::TOKEN_PREFIX) {
        return Err(wrong_kind(
            "this is an authority's token; checks and corrections take a relying party's token (rpt_…)",
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let token = relying_parties::token_by_secret(&mut conn, secret)
        .await?
        .ok_or_else(|| unauthorized("token_invalid", "this token is not known"))?;
    refuse_revoked(token.revoked_at)?;
    let party = relying_parties::by_id(&mut conn, token.party)
        .await?
        .ok_or_else(|| unauthorized("token_invalid", "this token's relying party is not known"))?;
    stamp_last_use(state, Stamp::Party(token.id), token.last_used_at);
    Ok(PartyCaller { token, party })
}

/// The secret of `Authorization: Bearer <secret>`, or the refusal saying what is wrong with it.
fn secret_of(parts: &Parts) -> Result<&str, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "token_missing",
            "send your API token as Authorization: Bearer <token> (cookies are not accepted here)",
        ));
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(|| unauthorized("token_malformed", "the Authorization header must be Bearer <token>"))
}

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
    let secret = secret_of(parts)?;
    if secret.starts_with(PARTY_TOKEN_PREFIX) {
        return Err(wrong_kind(
            "this is a relying party's token; it may only ask checks and read corrections",
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let token = tokens::by_secret(&mut conn, secret)
        .await?
        .ok_or_else(|| unauthorized("token_invalid", "this token is not known"))?;
    refuse_revoked(token.revoked_at)?;
    stamp_last_use(state, Stamp::Authority(token.id), token.last_used_at);
    let actor = Actor {
        account: None,
        label: token.actor_label(),
        origin: client_address(parts, state.config.trust_forwarded_for),
    };
    Ok(ApiCaller { token, actor })
}

/// 401 `token_revoked` for a token revoked at `revoked_at`.
fn refuse_revoked(revoked_at: Option<DateTime<Utc>>) -> Result<(), ApiError> {
    match revoked_at {
        None => Ok(()),
        Some(at) => {
            let message =
                format!("this token was revoked on {}; ask an administrator for a new one", at.to_rfc3339());
            Err(unauthorized("token_revoked", &message))
        }
    }
}

/// Whose token's last use to stamp.
#[derive(Clone, Copy)]
enum Stamp {
    Authority(Uuid),
    Party(Uuid),
}

/// Stamps a token's last use, at most once a minute, best effort and off the request's path: a
/// busy database must not refuse the call.
fn stamp_last_use(state: &AppState, stamp: Stamp, last_used_at: Option<DateTime<Utc>>) {
    let now = Utc::now();
    if !tokens::needs_touch(last_used_at, now) {
        return;
    }
    let pool = state.db.pool.clone();
    tokio::spawn(async move {
        let touched = match pool.acquire().await {
            Ok(mut conn) => match stamp {
                Stamp::Authority(id) => tokens::touch(&mut conn, id, now).await,
                Stamp::Party(id) => relying_parties::touch_token(&mut conn, id, now).await,
            }
            .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = touched {
            tracing::warn!(error = %e, "could not stamp a token's last use");
        }
    });
}
