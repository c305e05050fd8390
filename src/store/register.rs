//! The register of who is who: subjects (persons and organisations), authorities, and which
//! schemes each subject belongs to.

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{to_micros, StoreError};
use crate::db::Columns;
use crate::domain::{AuthorityId, SchemeId, SubjectId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Person,
    Organisation,
}

impl SubjectKind {
    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Person => "person",
            SubjectKind::Organisation => "organisation",
        }
    }
}

/// A person or an organisation; organisations carry a unified social credit code.
#[derive(Clone, Debug)]
pub struct Subject {
    pub id: SubjectId,
    pub kind: SubjectKind,
    pub display_name: String,
    pub uscc: Option<String>,
}

/// An authority that records events or issues blacklist entries.
#[derive(Clone, Debug)]
pub struct Authority {
    pub id: AuthorityId,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
}

pub async fn insert_subject(
    conn: &mut AnyConnection,
    subject: &Subject,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A unified social credit code names one organisation: `subject_usccs`, keyed by the code,
    // keeps it unique across subjects (and shards); claimed first, in the same transaction.
    if let Some(uscc) = &subject.uscc {
        sqlx::query("INSERT INTO subject_usccs (uscc, subject_id) VALUES ($1, $2)")
            .bind(uscc)
            .bind(subject.id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO subjects (id, kind, display_name, uscc, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(subject.id.to_string())
    .bind(subject.kind.code())
    .bind(&subject.display_name)
    .bind(&subject.uscc)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn subject(conn: &mut AnyConnection, id: SubjectId) -> Result<Option<Subject>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SUBJECT_COLUMNS} FROM subjects WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| subject_from_row(&r, id)).transpose()
}

/// What [`subject_from_row`] reads, first in a row.
pub(super) const SUBJECT_COLUMNS: &str = "kind, display_name, uscc";

/// The subject `id` from the first columns of a row, as [`SUBJECT_COLUMNS`] names them.
pub(super) fn subject_from_row(r: &impl Columns, id: SubjectId) -> Result<Subject, StoreError> {
    let kind =
        if r.column::<String>(0)? == "person" { SubjectKind::Person } else { SubjectKind::Organisation };
    Ok(Subject { id, kind, display_name: r.column(1)?, uscc: r.column(2)? })
}

/// The organisation a unified social credit code names, if any.
pub async fn by_uscc(conn: &mut AnyConnection, uscc: &str) -> Result<Option<SubjectId>, StoreError> {
    let row = sqlx::query("SELECT subject_id FROM subject_usccs WHERE uscc = $1")
        .bind(uscc)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(SubjectId::parse(&r.try_get::<String, _>(0)?)?)).transpose()
}

/// Enrols a subject in a scheme.
pub async fn join_scheme(
    conn: &mut AnyConnection,
    subject: SubjectId,
    scheme: SchemeId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO scheme_memberships (subject_id, scheme_id, joined_at, last_write_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(subject.to_string())
    .bind(scheme.to_string())
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The schemes a subject belongs to.
pub async fn memberships(conn: &mut AnyConnection, subject: SubjectId) -> Result<Vec<SchemeId>, StoreError> {
    let rows =
        sqlx::query("SELECT scheme_id FROM scheme_memberships WHERE subject_id = $1 ORDER BY scheme_id")
            .bind(subject.to_string())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(|r| Ok(SchemeId::parse(&r.try_get::<String, _>(0)?)?)).collect()
}

pub async fn insert_authority(conn: &mut AnyConnection, authority: &Authority) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO authorities (id, code, name_en, name_zh) VALUES ($1, $2, $3, $4)")
        .bind(authority.id.to_string())
        .bind(&authority.code)
        .bind(&authority.name_en)
        .bind(&authority.name_zh)
        .execute(&mut *conn)
        .await?;
    super::catalogue::touch(conn).await?;
    Ok(())
}

/// Every authority (a small table), by code.
pub async fn authorities(conn: &mut AnyConnection) -> Result<Vec<Authority>, StoreError> {
    let rows = sqlx::query("SELECT id, code, name_en, name_zh FROM authorities ORDER BY code")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(authority_of).collect()
}

/// One authority, or `None`.
pub async fn authority(conn: &mut AnyConnection, id: AuthorityId) -> Result<Option<Authority>, StoreError> {
    let row = sqlx::query("SELECT id, code, name_en, name_zh FROM authorities WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(authority_of).transpose()
}

/// An authority from a row of (id, code, name_en, name_zh).
fn authority_of(r: &AnyRow) -> Result<Authority, StoreError> {
    Ok(Authority {
        id: AuthorityId::parse(&r.try_get::<String, _>(0)?)?,
        code: r.try_get(1)?,
        name_en: r.try_get(2)?,
        name_zh: r.try_get(3)?,
    })
}
