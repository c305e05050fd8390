//! What a recorder's pages read: finding a subject, the blacklist lists, and the entries of the
//! recorder's authority still waiting for their notice to be delivered. (The writes themselves go
//! through `records` and `blacklist`.)

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{blacklist::BlacklistList, from_micros, StoreError};
use crate::domain::{AuthorityId, EntryId, ListId, SubjectId};

/// Most subjects a search lists.
pub const SEARCH_LIMIT: i64 = 50;

/// A subject as a search lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: SubjectId,
    pub display_name: String,
    pub kind: String,
    pub uscc: Option<String>,
}

/// Subjects whose name contains `query` (any case), whose unified social credit code is `query`,
/// or whose id is `query`; by name, at most [`SEARCH_LIMIT`].
pub async fn find_subjects(conn: &mut AnyConnection, query: &str) -> Result<Vec<Found>, StoreError> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let escaped: String = query
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let rows = sqlx::query(
        "SELECT id, display_name, kind, uscc FROM subjects \
         WHERE LOWER(display_name) LIKE $1 ESCAPE '\\' OR id = $2 OR uscc = $3 \
         ORDER BY display_name, id LIMIT $4",
    )
    .bind(format!("%{escaped}%"))
    .bind(query.to_lowercase())
    .bind(query.to_uppercase())
    .bind(SEARCH_LIMIT)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Found {
                id: SubjectId::parse(&r.try_get::<String, _>(0)?)?,
                display_name: r.try_get(1)?,
                kind: r.try_get(2)?,
                uscc: r.try_get(3)?,
            })
        })
        .collect()
}

/// Every blacklist list, by code.
pub async fn lists(conn: &mut AnyConnection) -> Result<Vec<BlacklistList>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, code, name_en, name_zh, authority_id, in_app_delivery FROM blacklist_lists ORDER BY code",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BlacklistList {
                id: ListId::parse(&r.try_get::<String, _>(0)?)?,
                code: r.try_get(1)?,
                name_en: r.try_get(2)?,
                name_zh: r.try_get(3)?,
                authority: AuthorityId::parse(&r.try_get::<String, _>(4)?)?,
                in_app_delivery: r.try_get::<i64, _>(5)? == 1,
            })
        })
        .collect()
}

/// An entry whose notice has not been delivered yet: it restricts nothing until it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub entry: EntryId,
    pub subject: SubjectId,
    pub subject_name: String,
    pub case_number: String,
    pub recorded_at: DateTime<Utc>,
}

/// The entries of `authority` still pending notice, newest first.
pub async fn pending_notice(
    conn: &mut AnyConnection,
    authority: AuthorityId,
) -> Result<Vec<Pending>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.subject_id, s.display_name, e.case_number, e.recorded_at FROM blacklist_entries e \
         JOIN subjects s ON s.id = e.subject_id \
         WHERE e.authority_id = $1 AND e.notice_delivered_at IS NULL AND NOT EXISTS \
         (SELECT 1 FROM blacklist_entry_actions a WHERE a.entry_id = e.id AND a.action = 'notice_delivered') \
         ORDER BY e.recorded_at DESC, e.id DESC LIMIT 200",
    )
    .bind(authority.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                entry: EntryId::parse(&r.try_get::<String, _>(0)?)?,
                subject: SubjectId::parse(&r.try_get::<String, _>(1)?)?,
                subject_name: r.try_get(2)?,
                case_number: r.try_get(3)?,
                recorded_at: from_micros(r.try_get(4)?),
            })
        })
        .collect()
}
