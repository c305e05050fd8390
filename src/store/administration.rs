//! The administrators' writes to a scheme and its catalogue: scheme settings, rule drafts and
//! publishing. Each is checked by the domain first and runs in the caller's transaction, which
//! also writes its audit row. (Repeals live in `repeal`, accounts in `accounts`.)

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{catalogue, repeal, to_micros, StoreError};
use crate::domain::{RuleVersion, Scheme, SchemeId, SubjectId, Validity};

/// Stores a scheme's new bands, dispute policy and appeal deadline, then rescores every member:
/// bands decide grades, and a stored current score must equal a fresh derivation.
pub async fn update_scheme(
    conn: &mut AnyConnection,
    scheme: &Scheme,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let id = scheme.id().to_string();
    sqlx::query("UPDATE schemes SET dispute_policy = $1, appeal_deadline_days = $2 WHERE id = $3")
        .bind(scheme.dispute_policy().code())
        .bind(i64::from(scheme.appeal_deadline_days()))
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM scheme_bands WHERE scheme_id = $1").bind(&id).execute(&mut *conn).await?;
    for (position, band) in scheme.bands().bands().iter().enumerate() {
        sqlx::query(
            "INSERT INTO scheme_bands (scheme_id, position, grade, min_score) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(band.grade.as_str())
        .bind(band.min)
        .execute(&mut *conn)
        .await?;
    }
    let members: Vec<SubjectId> =
        sqlx::query("SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 ORDER BY subject_id")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(SubjectId::parse(&r.try_get::<String, _>(0)?)?))
            .collect::<Result<_, StoreError>>()?;
    let ctx = catalogue::context(conn, scheme.id())
        .await?
        .ok_or_else(|| StoreError::corrupt("a scheme vanished while it was updated"))?;
    repeal::rescore_all(conn, &ctx, &members, now).await?;
    Ok(members.len())
}

/// Replaces the content of a draft (checked by the domain's `Catalogue::edit_draft`). Returns
/// false when no draft with that id remains (published meanwhile): nothing changed.
pub async fn update_draft(conn: &mut AnyConnection, version: &RuleVersion) -> Result<bool, StoreError> {
    let c = version.content();
    let (min, max) = c.effect.range();
    let (unit, count) = match c.counts_for {
        Validity::Days(n) => ("days", n),
        Validity::Months(n) => ("months", n),
    };
    let done = sqlx::query(
        "UPDATE rule_versions SET title_en = $1, title_zh = $2, description_en = $3, description_zh = $4, \
         legal_basis = $5, component = $6, points_default = $7, points_min = $8, points_max = $9, \
         validity_unit = $10, validity_count = $11, effective_from = $12, effective_to = $13 \
         WHERE id = $14 AND status = 'draft'",
    )
    .bind(&c.title_en)
    .bind(&c.title_zh)
    .bind(&c.description_en)
    .bind(&c.description_zh)
    .bind(c.legal_basis.as_ref().map(|b| b.as_str().to_string()))
    .bind(c.effect.component().map(|x| x.as_str().to_string()))
    .bind(c.effect.default_points())
    .bind(min)
    .bind(max)
    .bind(unit)
    .bind(i64::from(count))
    .bind(to_micros(c.effective_from))
    .bind(c.effective_to.map(to_micros))
    .bind(version.id().to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Publishes a draft the domain has published (`Catalogue::publish_from`), from its effective
/// date. Returns false when it was no longer a draft: nothing changed.
pub async fn publish(conn: &mut AnyConnection, version: &RuleVersion) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE rule_versions SET status = 'published', effective_from = $1 WHERE id = $2 AND status = 'draft'",
    )
    .bind(to_micros(version.effective_from()))
    .bind(version.id().to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The scheme a rule version belongs to.
pub async fn scheme_of_version(
    conn: &mut AnyConnection,
    version: crate::domain::RuleVersionId,
) -> Result<Option<SchemeId>, StoreError> {
    let row = sqlx::query("SELECT scheme_id FROM rule_versions WHERE id = $1")
        .bind(version.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(SchemeId::parse(&r.try_get::<String, _>(0)?)?)).transpose()
}

/// Takes the write lock on a scheme's catalogue before it is read, so two administrators'
/// changes to one scheme serialise (as `records` locks a subject's record).
pub async fn lock_scheme(conn: &mut AnyConnection, scheme: SchemeId) -> Result<(), StoreError> {
    sqlx::query("UPDATE schemes SET code = code WHERE id = $1")
        .bind(scheme.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
