//! Authorities' mandates as stored: read for every recording and listing (the domain checks
//! them), granted and revoked by administrators in the caller's transaction with an audit row.
//! Nothing is deleted: a revoked mandate stays with who revoked it, when and why.

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{
    audit::{self, Actor},
    from_micros, to_micros, StoreError,
};
use crate::domain::{
    AuthorityId, DomainError, LegalBasis, ListId, Mandate, MandateId, MandateScope, Mandates, RuleCode,
    RulePattern, SchemeId,
};

/// Longest reason for a revocation, in characters.
pub const MAX_REVOKE_REASON: usize = 2_000;

const COLUMNS: &str = "id, authority_id, scheme_id, rules, list_id, legal_basis, valid_from, revoked_at, \
                       granted_at, granted_by, revoked_by, revoke_reason";

/// A mandate with who granted and revoked it, for the administrators' pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MandateRecord {
    pub mandate: Mandate,
    pub granted_at: DateTime<Utc>,
    pub granted_by: String,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

fn from_row(row: &AnyRow) -> Result<MandateRecord, StoreError> {
    let scope = match (
        row.try_get::<Option<String>, _>("scheme_id")?,
        row.try_get::<Option<String>, _>("list_id")?,
    ) {
        (Some(scheme), None) => MandateScope::Rules {
            scheme: SchemeId::parse(&scheme)?,
            rules: RulePattern::parse(&row.try_get::<Option<String>, _>("rules")?.unwrap_or_default())?,
        },
        (None, Some(list)) => MandateScope::List { list: ListId::parse(&list)? },
        _ => return Err(StoreError::corrupt("a mandate for neither rules nor a list")),
    };
    Ok(MandateRecord {
        mandate: Mandate {
            id: MandateId::parse(&row.try_get::<String, _>("id")?)?,
            authority: AuthorityId::parse(&row.try_get::<String, _>("authority_id")?)?,
            scope,
            legal_basis: LegalBasis::parse(&row.try_get::<String, _>("legal_basis")?)?,
            valid_from: from_micros(row.try_get("valid_from")?),
            revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_micros),
        },
        granted_at: from_micros(row.try_get("granted_at")?),
        granted_by: row.try_get("granted_by")?,
        revoked_by: row.try_get("revoked_by")?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}

/// Every mandate `authority` holds or held, oldest first, for the domain to check writes with.
pub async fn of(conn: &mut AnyConnection, authority: AuthorityId) -> Result<Mandates, StoreError> {
    let held = history(conn, Some(authority)).await?.into_iter().map(|r| r.mandate);
    Ok(Mandates::of(authority, held))
}

/// Every mandate with its history (of one authority, or of all), oldest first.
pub async fn history(
    conn: &mut AnyConnection,
    authority: Option<AuthorityId>,
) -> Result<Vec<MandateRecord>, StoreError> {
    let rows = match authority {
        Some(a) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM mandates WHERE authority_id = $1 ORDER BY granted_at, id"
            ))
            .bind(a.to_string())
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM mandates ORDER BY granted_at, id"))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// The authorities whose mandates let them record under rule `code` of `scheme` at `at`.
pub async fn holders_of_rule(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    code: &RuleCode,
    at: DateTime<Utc>,
) -> Result<Vec<AuthorityId>, StoreError> {
    let mut holders: Vec<AuthorityId> = history(conn, None)
        .await?
        .into_iter()
        .filter(|r| r.mandate.covers_rule(scheme, code, at))
        .map(|r| r.mandate.authority)
        .collect();
    holders.sort();
    holders.dedup();
    Ok(holders)
}

/// What an administrator grants.
#[derive(Clone, Debug)]
pub struct Grant {
    pub authority: AuthorityId,
    pub scope: MandateScope,
    pub legal_basis: LegalBasis,
    pub valid_from: DateTime<Utc>,
}

/// Stores a grant with its audit row. The scheme or list must exist (the foreign keys refuse
/// anything else).
pub async fn grant(
    conn: &mut AnyConnection,
    grant: Grant,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MandateId, StoreError> {
    let id = MandateId::new();
    let (scheme, rules, list) = match &grant.scope {
        MandateScope::Rules { scheme, rules } => (Some(scheme.to_string()), Some(rules.as_text()), None),
        MandateScope::List { list } => (None, None, Some(list.to_string())),
    };
    sqlx::query(
        "INSERT INTO mandates (id, authority_id, scheme_id, rules, list_id, legal_basis, valid_from, granted_at, \
         granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(grant.authority.to_string())
    .bind(scheme.clone())
    .bind(rules.clone())
    .bind(list.clone())
    .bind(grant.legal_basis.as_str())
    .bind(to_micros(grant.valid_from))
    .bind(to_micros(now))
    .bind(&actor.label)
    .execute(&mut *conn)
    .await?;
    // Public rule pages name who may record each rule: they are rendered again.
    super::catalogue::touch(conn).await?;
    audit::write(
        conn,
        actor,
        "mandate.grant",
        "authority",
        &grant.authority.to_string(),
        serde_json::json!({ "mandate": id, "scheme": scheme, "rules": rules, "list": list }),
        now,
    )
    .await?;
    Ok(id)
}

/// Revokes a mandate of `authority` from `now` on, with its reason and audit row. Refused when
/// it is not that authority's, or was already revoked (nothing changes).
pub async fn revoke(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    id: MandateId,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::EmptyField { field: "reason" }.into());
    }
    let len = reason.chars().count();
    if len > MAX_REVOKE_REASON {
        return Err(DomainError::TooLong { field: "reason", len, max: MAX_REVOKE_REASON }.into());
    }
    let done = sqlx::query(
        "UPDATE mandates SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
         WHERE id = $4 AND authority_id = $5 AND revoked_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(&actor.label)
    .bind(reason)
    .bind(id.to_string())
    .bind(authority.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("This mandate is not in force; nothing was changed.".into()));
    }
    super::catalogue::touch(conn).await?;
    audit::write(
        conn,
        actor,
        "mandate.revoke",
        "authority",
        &authority.to_string(),
        serde_json::json!({ "mandate": id }),
        now,
    )
    .await
}

/// The first instant after `at` at which a mandate granted ahead of time comes into force (a
/// revocation takes effect when it is made).
pub async fn next_start_after(
    conn: &mut AnyConnection,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let first: Option<i64> = sqlx::query_scalar("SELECT MIN(valid_from) FROM mandates WHERE valid_from > $1")
        .bind(to_micros(at))
        .fetch_one(&mut *conn)
        .await?;
    Ok(first.map(super::from_micros))
}
