//! The administrators' writes to a scheme and its catalogue (scheme settings, rule drafts and
//! publishing) and to the bodies around it (authorities, review bodies). Each is checked first
//! and runs in the caller's transaction, which also writes its audit row. (Repeals live in
//! `repeal`, accounts in `accounts`.)

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{catalogue::touch, register::Authority, to_micros, StoreError};
use crate::domain::{AuthorityId, Grade, Publication, RuleVersion, Scheme, SchemeId, SubjectId, Validity};

/// Stores a scheme's new bands (with their grades' Chinese names), dispute policy and appeal
/// deadline. Returns how many members the change reaches (their grades are derived under the new
/// bands from the next read on).
pub async fn update_scheme(
    conn: &mut AnyConnection,
    scheme: &Scheme,
    grade_names_zh: &[(Grade, String)],
) -> Result<usize, StoreError> {
    let id = scheme.id().to_string();
    sqlx::query(
        "UPDATE schemes SET dispute_policy = $1, appeal_deadline_days = $2, on_deadline = $4 WHERE id = $3",
    )
    .bind(scheme.dispute_policy().code())
    .bind(i64::from(scheme.appeal_deadline_days()))
    .bind(&id)
    .bind(scheme.on_deadline().code())
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM scheme_bands WHERE scheme_id = $1").bind(&id).execute(&mut *conn).await?;
    super::catalogue::write_bands(conn, scheme, grade_names_zh).await?;
    touch(conn).await?;
    let members: Vec<SubjectId> =
        sqlx::query("SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 ORDER BY subject_id")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(SubjectId::parse(&r.try_get::<String, _>(0)?)?))
            .collect::<Result<_, StoreError>>()?;
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
         validity_unit = $10, validity_count = $11, effective_from = $12, effective_to = $13, \
         legal_basis_zh = $15 WHERE id = $14 AND status = 'draft'",
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
    .bind(c.legal_basis_zh.as_ref().map(|b| b.as_str().to_string()))
    .execute(&mut *conn)
    .await?;
    touch(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Publishes a draft the domain has published (`Catalogue::publish_from`), from its effective
/// date, and ends the versions it ended. Returns false when it was no longer a draft: nothing
/// changed.
pub async fn publish(conn: &mut AnyConnection, publication: &Publication) -> Result<bool, StoreError> {
    let version = &publication.published;
    let done = sqlx::query(
        "UPDATE rule_versions SET status = 'published', effective_from = $1, effective_to = $2 \
         WHERE id = $3 AND status = 'draft'",
    )
    .bind(to_micros(version.effective_from()))
    .bind(version.effective_to().map(to_micros))
    .bind(version.id().to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    for ended in &publication.ended {
        sqlx::query("UPDATE rule_versions SET effective_to = $1 WHERE id = $2")
            .bind(ended.effective_to().map(to_micros))
            .bind(ended.id().to_string())
            .execute(&mut *conn)
            .await?;
    }
    touch(conn).await?;
    Ok(true)
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

/// Which table of bodies a code is looked up in: authorities and review bodies each have codes
/// of their own.
#[derive(Clone, Copy)]
enum Codes {
    Authorities,
    ReviewBodies,
}

/// Fails with [`StoreError::Conflict`] when a body of that table already has `code`.
async fn refuse_taken_code(conn: &mut AnyConnection, codes: Codes, code: &str) -> Result<(), StoreError> {
    let sql = match codes {
        Codes::Authorities => "SELECT 1 FROM authorities WHERE code = $1",
        Codes::ReviewBodies => "SELECT 1 FROM review_bodies WHERE code = $1",
    };
    match sqlx::query(sql).bind(code).fetch_optional(&mut *conn).await? {
        Some(_) => Err(StoreError::Conflict(code.to_string())),
        None => Ok(()),
    }
}

/// A unique-key violation (a code taken by a concurrent insert) becomes a
/// [`StoreError::Conflict`] naming the code.
fn conflict_on_duplicate(e: sqlx::Error, code: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(code.to_string()),
        _ => StoreError::Db(e),
    }
}

/// Stores a new authority; a code already used is a [`StoreError::Conflict`] and stores nothing.
pub async fn insert_authority(conn: &mut AnyConnection, authority: &Authority) -> Result<(), StoreError> {
    refuse_taken_code(conn, Codes::Authorities, &authority.code).await?;
    sqlx::query("INSERT INTO authorities (id, code, name_en, name_zh) VALUES ($1, $2, $3, $4)")
        .bind(authority.id.to_string())
        .bind(&authority.code)
        .bind(&authority.name_en)
        .bind(&authority.name_zh)
        .execute(&mut *conn)
        .await
        .map_err(|e| conflict_on_duplicate(e, &authority.code))?;
    touch(conn).await?;
    Ok(())
}

/// Renames an authority (its code, which imports and tokens refer to, never changes). Returns
/// false when there is no such authority.
pub async fn rename_authority(
    conn: &mut AnyConnection,
    id: AuthorityId,
    name_en: &str,
    name_zh: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE authorities SET name_en = $1, name_zh = $2 WHERE id = $3")
        .bind(name_en)
        .bind(name_zh)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    touch(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// A review body with the authority it belongs to (if any) and the accounts that review for it.
#[derive(Clone, Debug)]
pub struct ReviewBodyListing {
    pub id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// An authority's own office: its reviewers may not decide on that authority's records.
    pub authority: Option<AuthorityId>,
    pub reviewers: Vec<BodyReviewer>,
}

/// An account linked to a review body.
#[derive(Clone, Debug)]
pub struct BodyReviewer {
    pub account: Uuid,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
}

fn uuid_of(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::corrupt("an id that is not a UUID"))
}

/// Every review body, by code, with its reviewers by username.
pub async fn review_bodies(conn: &mut AnyConnection) -> Result<Vec<ReviewBodyListing>, StoreError> {
    let rows =
        sqlx::query("SELECT id, code, name_en, name_zh, authority_id FROM review_bodies ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    let mut bodies = rows
        .iter()
        .map(|r| {
            Ok(ReviewBodyListing {
                id: uuid_of(&r.try_get::<String, _>(0)?)?,
                code: r.try_get(1)?,
                name_en: r.try_get(2)?,
                name_zh: r.try_get(3)?,
                authority: r.try_get::<Option<String>, _>(4)?.map(|a| AuthorityId::parse(&a)).transpose()?,
                reviewers: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let members = sqlx::query(
        "SELECT review_body_id, id, username, display_name, disabled_at FROM accounts \
         WHERE review_body_id IS NOT NULL ORDER BY username",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in &members {
        let body = uuid_of(&r.try_get::<String, _>(0)?)?;
        let reviewer = BodyReviewer {
            account: uuid_of(&r.try_get::<String, _>(1)?)?,
            username: r.try_get(2)?,
            display_name: r.try_get(3)?,
            disabled: r.try_get::<Option<i64>, _>(4)?.is_some(),
        };
        if let Some(b) = bodies.iter_mut().find(|b| b.id == body) {
            b.reviewers.push(reviewer);
        }
    }
    Ok(bodies)
}

/// Stores a new review body, optionally an authority's own; a code already used is a
/// [`StoreError::Conflict`] and stores nothing.
pub async fn insert_review_body(
    conn: &mut AnyConnection,
    body: &ReviewBodyListing,
) -> Result<(), StoreError> {
    refuse_taken_code(conn, Codes::ReviewBodies, &body.code).await?;
    sqlx::query(
        "INSERT INTO review_bodies (id, code, name_en, name_zh, authority_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(body.id.to_string())
    .bind(&body.code)
    .bind(&body.name_en)
    .bind(&body.name_zh)
    .bind(body.authority.map(|a| a.to_string()))
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict_on_duplicate(e, &body.code))?;
    Ok(())
}
