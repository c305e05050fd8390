//! Sessions kept in the database (tower-sessions' [`SessionStore`]), so any number of app
//! servers share them and signing out ends a session everywhere at once. Session ids are stored
//! only as SHA-256 digests: a copy of this table lets no one act as a signed-in person.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

use super::{accounts::AccountId, to_micros};
use crate::db::{Columns, Db, Read};

/// The session key under which the signed-in account is kept; its `account` field is copied
/// into the `account_id` column so all of an account's sessions can be ended together.
pub const AUTH_KEY: &str = "auth";

/// The database-backed session store.
#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// The digest under which a session id is stored.
pub fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn micros_of(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

fn account_of(record: &Record) -> Option<String> {
    let account = record.data.get(AUTH_KEY)?.get("account")?.as_str()?;
    AccountId::parse(account).map(|a| a.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Sessions are created only at sign-in: a good moment to forget expired ones.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(to_micros(Utc::now()))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        let data =
            serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        loop {
            let result = sqlx::query(
                "INSERT INTO sessions (id_hash, account_id, data, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id_hash(&record.id))
            .bind(account_of(record))
            .bind(&data)
            .bind(micros_of(record.expiry_date))
            .execute(&self.db.pool)
            .await;
            match result {
                Ok(_) => return Ok(()),
                // A 128-bit collision: draw another id.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    /// Updates only: a session deleted meanwhile (signed out, ended by a password change)
    /// stays deleted even if a request that loaded it earlier finishes later.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data =
            serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query("UPDATE sessions SET account_id = $1, data = $2, expires_at = $3 WHERE id_hash = $4")
            .bind(account_of(record))
            .bind(data)
            .bind(micros_of(record.expiry_date))
            .bind(id_hash(&record.id))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // Every signed-in request begins here: a read on the calling thread (see `Read`).
        let row = Read::new("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash(id))
            .bind(to_micros(Utc::now()))
            .optional(&self.db, |r| Ok::<_, sqlx::Error>((r.column::<String>(0)?, r.column::<i64>(1)?)))
            .await
            .map_err(backend)?;
        let Some((data, expires)) = row else { return Ok(None) };
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires) * 1000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash(id))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of `account`, except the one whose id is `keep` (the person's own, after
/// they changed their password). Returns how many were ended.
pub async fn end_sessions_of(
    conn: &mut AnyConnection,
    account: AccountId,
    keep: Option<&Id>,
) -> Result<u64, sqlx::Error> {
    let keep = keep.map(id_hash).unwrap_or_default();
    let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
        .bind(account.to_string())
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// How many unexpired sessions `account` has (for tests and the account page).
pub async fn count_of(
    conn: &mut AnyConnection,
    account: AccountId,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND expires_at > $2")
        .bind(account.to_string())
        .bind(to_micros(now))
        .fetch_one(&mut *conn)
        .await?;
    row.try_get(0)
}
