//! The audit log: one row for every write, by a person through a page, by an authority's system
//! through the API, or by the command line. Written inside the same transaction as the write it
//! describes, so a rolled-back write leaves no audit row and a committed one always has its row.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{from_micros, to_micros, StoreError};

use crate::store::accounts::AccountId;

/// Who performed a write, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in account, when a person acted (an API token acts for its authority).
    pub account: Option<AccountId>,
    /// As shown in the log: a username, or `token:<prefix>` for an API token.
    pub label: String,
    /// The client address as the throttle sees it (IPv6 cut to /64), or `cli`.
    pub origin: String,
}

impl Actor {
    /// A person signed in through the web pages.
    pub fn person(account: AccountId, username: &str, origin: impl Into<String>) -> Self {
        Self { account: Some(account), label: username.to_string(), origin: origin.into() }
    }

    /// The command line (`recourse admin …`, the demo seed).
    pub fn cli(label: &str) -> Self {
        Self { account: None, label: label.to_string(), origin: "cli".into() }
    }
}

/// What was written: an action name such as `appeal.decide` and the thing it was done to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub origin: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// JSON; ids and codes only, never personal data.
    pub detail: String,
}

/// Appends one audit row inside the caller's transaction, to its chain (`store::chain`): the
/// subject's when the target concerns one subject, covering the records the transaction wrote
/// for them, else the catalogue's.
pub async fn write(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    target_kind: &str,
    target_id: &str,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::chain::write_one(
        conn,
        actor.account.map(|a| a.0.to_string()),
        &actor.label,
        &actor.origin,
        action,
        target_kind,
        target_id,
        detail.to_string(),
        at,
    )
    .await
}

/// The newest audit rows, newest first, at most `limit`; `before` pages back by time.
pub async fn recent(
    conn: &mut AnyConnection,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, actor, origin, action, target_kind, target_id, detail FROM audit_log \
         WHERE at < $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(before.map(to_micros).unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                at: from_micros(r.try_get(0)?),
                actor: r.try_get(1)?,
                origin: r.try_get(2)?,
                action: r.try_get(3)?,
                target_kind: r.try_get(4)?,
                target_id: r.try_get(5)?,
                detail: r.try_get(6)?,
            })
        })
        .collect()
}
