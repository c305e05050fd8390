//! Sessions kept in the database (tower-sessions' [`SessionStore`]), so any number of app
//! servers share them and signing out ends a session everywhere at once. Session ids are stored
//! only as SHA-256 digests: a copy of this table lets no one act as a signed-in person.

use std::{cell::RefCell, collections::HashMap, sync::LazyLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

use super::{
    accounts::{self, Account, AccountId},
    notices, to_micros,
};
use crate::db::{Columns, Db, Read};

/// The session key under which the signed-in account is kept; its `account` field is copied
/// into the `account_id` column so all of an account's sessions can be ended together.
pub const AUTH_KEY: &str = "auth";

/// Who a session speaks for: its account and, for a subject, their unread notices (every page's
/// header shows the count), read in the same statement as the session itself.
#[derive(Debug)]
pub struct Holder {
    pub account: Account,
    pub unread_notices: i64,
}

tokio::task_local! {
    static HOLDER: RefCell<Option<Holder>>;
}

/// Runs `work` (resolving a request's viewer) so that a session loaded in it keeps its
/// [`Holder`] for [`take_holder`]: one statement instead of three on every signed-in request, each
/// a round trip on PostgreSQL.
pub async fn keeping_holder<T>(work: impl std::future::Future<Output = T>) -> T {
    HOLDER.scope(RefCell::new(None), work).await
}

/// The holder read with this request's session, if that session speaks for `account`.
pub fn take_holder(account: AccountId) -> Option<Holder> {
    HOLDER.try_with(|kept| kept.borrow_mut().take()).ok().flatten().filter(|h| h.account.id == account)
}

/// How many columns of [`SESSION_WITH_HOLDER`] are the account's; the session's data, its expiry
/// and the unread count follow.
const HOLDER_COLUMNS: usize = accounts::ACCOUNT_COLUMN_COUNT;

/// A live session with its account (none if gone) and the account's subject's unread notices.
/// Every part is a subquery looked up by its own key and none refers to another: sessions,
/// accounts and notices are distributed by different keys (`store::distribution`), and a
/// distributed engine runs such a statement as three single-shard look-ups.
static SESSION_WITH_HOLDER: LazyLock<String> = LazyLock::new(|| {
    let session = "SELECT account_id FROM sessions WHERE id_hash = $1 AND expires_at > $2";
    format!(
        "SELECT a.*, s.data, s.expires_at, ({unread}) \
         FROM (SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2) s \
         LEFT JOIN ({accounts}) a ON TRUE",
        accounts = accounts::by_id_sql(&format!("({session})")),
        unread = notices::unread_sql(&format!("(SELECT subject_id FROM accounts WHERE id = ({session}))")),
    )
});

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
        // Every signed-in request begins here: a read on the calling thread (see `Read`), which
        // also reads who the session speaks for (see `SESSION_WITH_HOLDER`).
        let row = Read::new(&SESSION_WITH_HOLDER)
            .bind(id_hash(id))
            .bind(to_micros(Utc::now()))
            .optional(&self.db, |r| {
                let holder = match r.column::<Option<String>>(0)? {
                    Some(_) => Some(Holder {
                        account: accounts::account_from(r)?,
                        unread_notices: r.column(HOLDER_COLUMNS + 2)?,
                    }),
                    None => None,
                };
                Ok::<_, sqlx::Error>((
                    r.column::<String>(HOLDER_COLUMNS)?,
                    r.column::<i64>(HOLDER_COLUMNS + 1)?,
                    holder,
                ))
            })
            .await
            .map_err(backend)?;
        let Some((data, expires, holder)) = row else { return Ok(None) };
        // Outside `keeping_holder` (no request resolving its viewer) there is nowhere to keep it.
        let _ = HOLDER.try_with(|kept| *kept.borrow_mut() = holder);
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
