//! Notices to those who decide appeals: the review body's reviewers for appeals on records and
//! listings, the administrators for challenges to rules. A notice is written in the transaction
//! that made it so (a deadline lapse writes one with its consequence and the subject's notice),
//! once per appeal, level and kind, and stays on the deciders' pages until one of them marks it
//! seen.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};
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

/// The notices whose rows meet `condition`, ordered by `order`, each with its appeal (as
/// [`appeals::appeal`] reads it) and its lapse: one statement for a page of notices, where two a
/// notice made the reviewers' queue with twenty notices forty-one. The lapse's columns come last,
/// read by position ([`deadlines::lapse_from_row`]); the notice's are read by name.
fn statement(condition: &str, order: &str) -> String {
    format!(
        "SELECT {}, n.created_at AS notice_created_at, n.seen_at AS notice_seen_at, \
         c.display_name AS seen_by_name, lp.level, lp.outcome, lp.due_at, lp.lapsed_at, lp.void_event_id \
         FROM {} JOIN review_notices n ON n.subject_id = a.subject_id AND n.appeal_id = a.id \
         LEFT JOIN appeal_lapses lp ON lp.subject_id = n.subject_id AND lp.appeal_id = n.appeal_id \
         AND lp.level = n.level LEFT JOIN accounts c ON c.id = n.seen_by WHERE {condition} ORDER BY {order}",
        appeals::APPEAL_COLUMNS,
        appeals::APPEAL_FROM,
    )
}

/// The notices `audience` has not marked seen yet, oldest first, at most `limit`.
pub async fn unseen(
    conn: &mut AnyConnection,
    audience: Audience,
    limit: i64,
) -> Result<Vec<ReviewNotice>, StoreError> {
    static UNSEEN: LazyLock<String> = LazyLock::new(|| {
        statement("n.audience = $1 AND n.seen_at IS NULL", "n.created_at, n.appeal_id LIMIT $2")
    });
    let rows = sqlx::query(UNSEEN.as_str()).bind(audience.code()).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(notice_from_row).collect()
}

/// The notices sent to the deciders of appeal `id`, first level first.
pub async fn of_appeal(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<ReviewNotice>, StoreError> {
    static OF_APPEAL: LazyLock<String> = LazyLock::new(|| statement("n.appeal_id = $1", "n.level"));
    let rows = sqlx::query(OF_APPEAL.as_str()).bind(id.to_string()).fetch_all(&mut *conn).await?;
    rows.iter().map(notice_from_row).collect()
}

fn notice_from_row(row: &AnyRow) -> Result<ReviewNotice, StoreError> {
    let lapse_at = row.len() - 5;
    if row.try_get::<Option<i64>, _>(lapse_at)?.is_none() {
        return Err(StoreError::corrupt("a deadline notice without its lapse"));
    }
    let seen = match (
        row.try_get::<Option<i64>, _>("notice_seen_at")?,
        row.try_get::<Option<String>, _>("seen_by_name")?,
    ) {
        (Some(at), Some(name)) => Some((name, from_micros(at))),
        _ => None,
    };
    Ok(ReviewNotice {
        appeal: appeals::appeal_from_row(row)?,
        lapse: deadlines::lapse_from_row(row, lapse_at)?,
        created_at: from_micros(row.try_get("notice_created_at")?),
        seen,
    })
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
