//! API tokens of authorities' systems: created by an administrator for one authority, shown
//! once, stored only as a SHA-256 digest with a short visible prefix, revocable, and stamped with
//! the time they were last used.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{any::AnyRow, AnyConnection, Row};
use uuid::Uuid;

use super::{from_micros, to_micros, StoreError};
use crate::{domain::AuthorityId, store::accounts::AccountId};

/// Every token starts with this, so a leaked one is easy to recognise (and to search logs for).
pub const TOKEN_PREFIX: &str = "rct_";
/// How many characters of the secret are kept in clear to tell tokens apart.
const VISIBLE: usize = TOKEN_PREFIX.len() + 8;
/// Longest label, in characters.
pub const MAX_LABEL: usize = 100;
/// A token's last-used time is written at most this often (every request would be a write).
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// A fresh secret: 256 random bits. `Debug` never prints it.
pub struct TokenSecret(String);

impl TokenSecret {
    pub fn generate() -> Self {
        Self::generate_with(TOKEN_PREFIX)
    }

    /// A fresh secret starting with `prefix` (four characters, like [`TOKEN_PREFIX`]).
    pub fn generate_with(prefix: &str) -> Self {
        debug_assert_eq!(prefix.len(), TOKEN_PREFIX.len());
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{prefix}{}", hex::encode(bytes)))
    }

    /// The secret, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The part kept in clear.
    pub fn prefix(&self) -> &str {
        &self.0[..VISIBLE]
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

/// The digest under which a presented secret is looked up.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A token as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub authority: AuthorityId,
    pub label: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// How the token appears in the audit log.
    pub fn actor_label(&self) -> String {
        format!("token:{}", self.prefix)
    }
}

const COLUMNS: &str = "id, authority_id, label, prefix, created_at, last_used_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let id: String = row.try_get("id")?;
    Ok(ApiToken {
        id: Uuid::parse_str(&id).map_err(StoreError::corrupt)?,
        authority: AuthorityId::parse(&row.try_get::<String, _>("authority_id")?)?,
        label: row.try_get("label")?,
        prefix: row.try_get("prefix")?,
        created_at: from_micros(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_micros),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_micros),
    })
}

/// Stores a new token for `authority`; returns it with the secret to show once.
pub async fn create(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    label: &str,
    created_by: AccountId,
    now: DateTime<Utc>,
) -> Result<(ApiToken, TokenSecret), StoreError> {
    let secret = TokenSecret::generate();
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO api_tokens (id, authority_id, label, prefix, token_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(authority.to_string())
    .bind(label)
    .bind(secret.prefix())
    .bind(digest(secret.expose()))
    .bind(created_by.to_string())
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    let token = ApiToken {
        id,
        authority,
        label: label.to_string(),
        prefix: secret.prefix().to_string(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((token, secret))
}

/// The token a presented secret belongs to, revoked or not.
pub async fn by_secret(conn: &mut AnyConnection, secret: &str) -> Result<Option<ApiToken>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"))
        .bind(digest(secret))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: Uuid) -> Result<Option<ApiToken>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every token, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<ApiToken>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes a token; false when it was already revoked.
pub async fn revoke(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(to_micros(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a token's last-used time (an authority's or a relying party's) is old enough to be
/// written again.
pub fn needs_touch(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
}

/// Stamps the token's last use.
pub async fn touch(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(to_micros(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_prefixed_and_never_printed() {
        let a = TokenSecret::generate();
        let b = TokenSecret::generate();
        assert_eq!(a.expose().len(), TOKEN_PREFIX.len() + 64);
        assert!(a.expose().starts_with(TOKEN_PREFIX));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.prefix().len(), VISIBLE);
        assert!(a.expose().starts_with(a.prefix()));
        assert_eq!(format!("{a:?}"), "TokenSecret(***)");
        assert_ne!(digest(a.expose()), a.expose());
    }
}
