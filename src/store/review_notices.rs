//! Notices to those who decide appeals: the review body's reviewers for appeals on records and
//! listings, the administrators for challenges to rules. A notice is written in the transaction
//! that made it so (a deadline lapse writes one with its consequence and the subject's notice),
//! once per appeal, level and kind, and stays on the deciders' pages until one of them marks it
//! seen.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{
    accounts::AccountId,
    appeals::{self, Appeal, Target},
    audit::{self, Actor},
    deadlines::{self, Lapse},
    from_micros, to_micros, StoreError,
};

/// Who a notice is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Reviewers,
    Administrators,
}

impl Audience {
    pub fn code(self) -> &'static str {
        match self {
            Audience::Reviewers => "reviewers",
            Audience::Administrators => "administrators",
        }
    }

    /// Who decides `target`: administrators decide challenges to rules.
    pub fn deciding(target: Target) -> Self {
        match target {
            Target::Rule(_) => Audience::Administrators,
            _ => Audience::Reviewers,
        }
    }
}

/// The only kind so far: an appeal's deadline passed undecided.
const DEADLINE_LAPSED: &str = "deadline_lapsed";

/// A deadline lapse as told to the deciders.
#[derive(Clone, Debug)]
pub struct ReviewNotice {
    pub appeal: Appeal,
    pub lapse: Lapse,
    pub created_at: DateTime<Utc>,
    /// Who marked it seen, by name, and when.
    pub seen: Option<(String, DateTime<Utc>)>,
}

/// Tells the deciders of `a` that its deadline at its level lapsed, in the caller's transaction.
pub async fn deadline_lapsed(
    conn: &mut AnyConnection,
    a: &Appeal,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_notices (subject_id, appeal_id, level, kind, audience, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.subject.to_string())
    .bind(a.id.to_string())
    .bind(i64::from(a.level))
    .bind(DEADLINE_LAPSED)
    .bind(Audience::deciding(a.target).code())
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "n.appeal_id, n.level, n.created_at, n.seen_at, c.display_name";
const FROM: &str = "review_notices n LEFT JOIN accounts c ON c.id = n.seen_by";

/// The notices `audience` has not marked seen yet, oldest first, at most `limit`.
pub async fn unseen(
    conn: &mut AnyConnection,
    audience: Audience,
    limit: i64,
) -> Result<Vec<ReviewNotice>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE n.audience = $1 AND n.seen_at IS NULL \
         ORDER BY n.created_at, n.appeal_id LIMIT $2"
    ))
    .bind(audience.code())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    notices_from(conn, &rows).await
}

/// The notices sent to the deciders of appeal `id`, first level first.
pub async fn of_appeal(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<ReviewNotice>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE n.appeal_id = $1 ORDER BY n.level"))
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    notices_from(conn, &rows).await
}

/// Each row read with [`COLUMNS`] as a notice, with its appeal and lapse.
async fn notices_from(
    conn: &mut AnyConnection,
    rows: &[sqlx::any::AnyRow],
) -> Result<Vec<ReviewNotice>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(notice_from_row(conn, row).await?);
    }
    Ok(out)
}

async fn notice_from_row(
    conn: &mut AnyConnection,
    row: &sqlx::any::AnyRow,
) -> Result<ReviewNotice, StoreError> {
    let id = Uuid::parse_str(&row.try_get::<String, _>(0)?).map_err(StoreError::corrupt)?;
    let level = u8::try_from(row.try_get::<i64, _>(1)?).map_err(StoreError::corrupt)?;
    let appeal = appeals::appeal(conn, id).await?.ok_or_else(|| StoreError::corrupt("noticed appeal"))?;
    let Some(lapse) = deadlines::lapses(conn, id).await?.into_iter().find(|l| l.level == level) else {
        return Err(StoreError::corrupt("a deadline notice without its lapse"));
    };
    let seen = match (row.try_get::<Option<i64>, _>(3)?, row.try_get::<Option<String>, _>(4)?) {
        (Some(at), Some(name)) => Some((name, from_micros(at))),
        _ => None,
    };
    Ok(ReviewNotice { appeal, lapse, created_at: from_micros(row.try_get(2)?), seen })
}

/// What marking a notice seen did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Marked seen now.
    Marked,
    /// Someone had marked it seen already: nothing changed.
    Already,
    /// `audience` has no such notice.
    NoNotice,
}

/// Marks the notice of appeal `id` at `level` seen by `by`, in the caller's transaction, if
/// `audience` has one that is unseen; a second press changes nothing.
pub async fn mark_seen(
    conn: &mut AnyConnection,
    actor: &Actor,
    audience: Audience,
    id: Uuid,
    level: u8,
    by: AccountId,
    now: DateTime<Utc>,
) -> Result<Seen, StoreError> {
    let Some(a) = appeals::appeal(conn, id).await? else { return Ok(Seen::NoNotice) };
    let key = "WHERE subject_id = $1 AND appeal_id = $2 AND level = $3 AND kind = $4 AND audience = $5";
    let seen_at: Option<Option<i64>> =
        sqlx::query_scalar(&format!("SELECT seen_at FROM review_notices {key}"))
            .bind(a.subject.to_string())
            .bind(id.to_string())
            .bind(i64::from(level))
            .bind(DEADLINE_LAPSED)
            .bind(audience.code())
            .fetch_optional(&mut *conn)
            .await?;
    match seen_at {
        None => return Ok(Seen::NoNotice),
        Some(Some(_)) => return Ok(Seen::Already),
        Some(None) => {}
    }
    let marked = sqlx::query(&format!(
        "UPDATE review_notices SET seen_at = $6, seen_by = $7 {key} AND seen_at IS NULL"
    ))
    .bind(a.subject.to_string())
    .bind(id.to_string())
    .bind(i64::from(level))
    .bind(DEADLINE_LAPSED)
    .bind(audience.code())
    .bind(to_micros(now))
    .bind(by.0.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // Two deciders at once: the second finds it seen.
    if marked == 0 {
        return Ok(Seen::Already);
    }
    let detail = serde_json::json!({ "level": level, "kind": DEADLINE_LAPSED });
    audit::write(conn, actor, "appeal.notice_seen", "appeal", &id.to_string(), detail, now).await?;
    Ok(Seen::Marked)
}
