//! Failed sign-ins, counted per account name and per client address so that every app server
//! behind a load balancer sees the same counts. Keys are stored only as digests.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{from_micros, to_micros};

/// What a failure is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }
}

pub async fn record_failure(
    conn: &mut AnyConnection,
    scope: Scope,
    key_hash: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sign_in_failures (id, scope, key_hash, failed_at) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7().to_string())
        .bind(scope.as_str())
        .bind(key_hash)
        .bind(to_micros(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The times of the failures against `key_hash` since `since`, oldest first.
pub async fn failures_since(
    conn: &mut AnyConnection,
    scope: Scope,
    key_hash: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT failed_at FROM sign_in_failures WHERE scope = $1 AND key_hash = $2 AND failed_at >= $3 \
         ORDER BY failed_at",
    )
    .bind(scope.as_str())
    .bind(key_hash)
    .bind(to_micros(since))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get::<i64, _>(0).map(from_micros)).collect()
}

/// Forgets the failures against one key (after a successful sign-in to that account).
pub async fn clear(conn: &mut AnyConnection, scope: Scope, key_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 AND key_hash = $2")
        .bind(scope.as_str())
        .bind(key_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets failures older than `before`, which no longer count against anyone.
pub async fn prune(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_failures WHERE failed_at < $1")
        .bind(to_micros(before))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
