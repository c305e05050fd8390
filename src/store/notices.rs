//! Notices to subjects, written in the same transaction as the change they announce, and the
//! access records of staff who opened a subject's record.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{from_micros, sql, to_micros, StoreError};
use crate::db::{Columns, Conn, Read};
use crate::domain::{EntryId, EventId, SubjectId};

/// What a notice announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    EventRecorded,
    EventCorrected,
    EntryRecorded,
    EntryChanged,
    /// A rule was repealed and the records under it voided; about the first record voided.
    RuleRepealed,
    /// An appeal of the subject was filed (or a second-level review asked for).
    AppealFiled,
    /// An appeal of the subject was decided.
    AppealDecided,
    /// The deadline for deciding an appeal of the subject passed; its scheme's consequence applied.
    AppealOverdue,
    /// A bulk import added records to the subject's file; about the first of them.
    EventsImported,
}

impl NoticeKind {
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::EventRecorded => "event_recorded",
            NoticeKind::EventCorrected => "event_corrected",
            NoticeKind::EntryRecorded => "entry_recorded",
            NoticeKind::EntryChanged => "entry_changed",
            NoticeKind::RuleRepealed => "rule_repealed",
            NoticeKind::AppealFiled => "appeal_filed",
            NoticeKind::AppealDecided => "appeal_decided",
            NoticeKind::AppealOverdue => "appeal_overdue",
            NoticeKind::EventsImported => "events_imported",
        }
    }

    pub const ALL: [NoticeKind; 9] = [
        NoticeKind::EventRecorded,
        NoticeKind::EventCorrected,
        NoticeKind::EntryRecorded,
        NoticeKind::EntryChanged,
        NoticeKind::RuleRepealed,
        NoticeKind::AppealFiled,
        NoticeKind::AppealDecided,
        NoticeKind::AppealOverdue,
        NoticeKind::EventsImported,
    ];

    fn parse(code: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| StoreError::corrupt("unknown notice kind"))
    }
}

/// What a notice is about: a record, a blacklist entry or an appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum About {
    Event(EventId),
    Entry(EntryId),
    Appeal(Uuid),
}

#[derive(Clone, Debug)]
pub struct Notice {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub about: About,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Writes a notice to `subject`, inside the caller's transaction.
pub async fn notify(
    conn: &mut AnyConnection,
    subject: SubjectId,
    kind: NoticeKind,
    about: About,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (event, entry, appeal) = match about {
        About::Event(e) => (Some(e.to_string()), None, None),
        About::Entry(e) => (None, Some(e.to_string()), None),
        About::Appeal(a) => (None, None, Some(a.to_string())),
    };
    sqlx::query(
        "INSERT INTO notices (id, subject_id, kind, event_id, entry_id, created_at, appeal_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(subject.to_string())
    .bind(kind.code())
    .bind(event)
    .bind(entry)
    .bind(to_micros(at))
    .bind(appeal)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes one notice of `kind` to each (subject, event) pair, a few hundred per statement,
/// inside the caller's transaction.
pub async fn notify_each(
    conn: &mut AnyConnection,
    kind: NoticeKind,
    about: &[(&str, &str)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !sql::is_sqlite(conn) {
        // PostgreSQL: columns of arrays, one statement per 10,000 notices (an import or a
        // repeal sends one to every subject it touched).
        for batch in about.chunks(10_000) {
            sqlx::query(
                "INSERT INTO notices (id, subject_id, kind, event_id, created_at) \
                 SELECT n.id, n.subject_id, $1, n.event_id, $2 \
                 FROM unnest($3::text[], $4::text[], $5::text[]) AS n (id, subject_id, event_id)",
            )
            .bind(kind.code())
            .bind(to_micros(at))
            .bind(sql::text_array(batch.iter().map(|_| Uuid::now_v7().to_string())))
            .bind(sql::text_array(batch.iter().map(|(s, _)| *s)))
            .bind(sql::text_array(batch.iter().map(|(_, e)| *e)))
            .execute(&mut *conn)
            .await?;
        }
        return Ok(());
    }
    for batch in about.chunks(sql::rows_per_statement(3)) {
        let values: Vec<String> = (0..batch.len())
            .map(|i| format!("(${}, ${}, $1, ${}, $2)", 3 + 3 * i, 4 + 3 * i, 5 + 3 * i))
            .collect();
        let sql = format!(
            "INSERT INTO notices (id, subject_id, kind, event_id, created_at) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql).bind(kind.code()).bind(to_micros(at));
        for (subject, event) in batch {
            insert = insert.bind(Uuid::now_v7().to_string()).bind(*subject).bind(*event);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A subject's notices, newest first.
pub async fn inbox(conn: &mut AnyConnection, subject: SubjectId) -> Result<Vec<Notice>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, event_id, entry_id, created_at, read_at, appeal_id FROM notices WHERE subject_id = $1 \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let (event, entry) = (r.try_get::<Option<String>, _>(2)?, r.try_get::<Option<String>, _>(3)?);
            let about = match (event, entry, r.try_get::<Option<String>, _>(6)?) {
                (_, _, Some(a)) => About::Appeal(Uuid::parse_str(&a).map_err(StoreError::corrupt)?),
                (Some(e), _, None) => About::Event(EventId::parse(&e)?),
                (None, Some(e), None) => About::Entry(EntryId::parse(&e)?),
                (None, None, None) => return Err(StoreError::corrupt("a notice about nothing")),
            };
            Ok(Notice {
                id: Uuid::parse_str(&r.try_get::<String, _>(0)?).map_err(StoreError::corrupt)?,
                kind: NoticeKind::parse(&r.try_get::<String, _>(1)?)?,
                about,
                created_at: from_micros(r.try_get(4)?),
                read_at: r.try_get::<Option<i64>, _>(5)?.map(from_micros),
            })
        })
        .collect()
}

/// The statement counting the unread notices of the subject `subject` (a parameter or a
/// subquery), as `unread`.
pub(crate) fn unread_sql(subject: &str) -> String {
    format!("SELECT COUNT(*) AS unread FROM notices WHERE subject_id = {subject} AND read_at IS NULL")
}

/// How many notices the subject has not read.
pub async fn unread_count<'a>(from: impl Into<Conn<'a>>, subject: SubjectId) -> Result<i64, StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| unread_sql("$1"));
    Ok(Read::new(&SQL).bind(subject.to_string()).one(from, |r| r.column(0)).await?)
}

/// Marks every notice of the subject read.
pub async fn mark_all_read(
    conn: &mut AnyConnection,
    subject: SubjectId,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query("UPDATE notices SET read_at = $1 WHERE subject_id = $2 AND read_at IS NULL")
        .bind(to_micros(now))
        .bind(subject.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// A staff member's read of a subject's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    pub account_name: String,
    pub body: String,
    pub role: String,
    pub purpose: String,
    pub at: DateTime<Utc>,
}

/// Records that a staff account opened a subject's record, and why.
pub async fn record_access(
    conn: &mut AnyConnection,
    subject: SubjectId,
    account: Uuid,
    body: &str,
    role: &str,
    purpose: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO access_records (id, subject_id, account_id, body, role, purpose, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(subject.to_string())
    .bind(account.to_string())
    .bind(body)
    .bind(role)
    .bind(purpose)
    .bind(to_micros(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who has looked at a subject's record, newest first.
pub async fn accesses(conn: &mut AnyConnection, subject: SubjectId) -> Result<Vec<AccessRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.display_name, r.body, r.role, r.purpose, r.at FROM access_records r \
         JOIN accounts a ON a.id = r.account_id WHERE r.subject_id = $1 ORDER BY r.at DESC, r.id DESC",
    )
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AccessRecord {
                account_name: r.try_get(0)?,
                body: r.try_get(1)?,
                role: r.try_get(2)?,
                purpose: r.try_get(3)?,
                at: from_micros(r.try_get(4)?),
            })
        })
        .collect()
}
