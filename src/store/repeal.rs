//! Repealing a rule: every published version of it is marked repealed, every record under it
//! that is not already corrected is voided, every open appeal on such a record is closed as
//! decided by the repeal, every subject touched is sent one notice saying why — all in the
//! caller's transaction, so a repeal happens entirely or not at all. Written set-based
//! (multi-row statements) so a repeal touching 100,000 subjects takes seconds, with the same
//! outcome as voiding each record through `records::correct_in`: the same void records.

use std::{collections::HashSet, sync::Arc};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{
    appeals,
    audit::{self, Actor},
    catalogue,
    notices::{self, NoticeKind},
    sql, to_micros, StoreError,
};
use crate::domain::{event::MAX_REASON, DomainError, EventId, RuleCode, RuleVersionId, SchemeId, SubjectId};

/// Longest repeal reason accepted: the void records quote it after the rule's code.
pub const MAX_REPEAL_REASON: usize = MAX_REASON - 100;

/// What a repeal did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repealed {
    /// The versions marked repealed.
    pub versions: Vec<RuleVersionId>,
    /// Records voided.
    pub events_voided: usize,
    /// Subjects whose records were voided, each notified.
    pub subjects: usize,
}

/// Repeals rule `code` of `scheme` for `reason`, inside the caller's transaction. Refused
/// (nothing written) when the reason is empty or too long, or the rule has no published version.
pub async fn repeal_rule(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    code: &RuleCode,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Repealed, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::EmptyField { field: "reason" }.into());
    }
    let len = reason.chars().count();
    if len > MAX_REPEAL_REASON {
        return Err(DomainError::TooLong { field: "reason", len, max: MAX_REPEAL_REASON }.into());
    }
    // Write first: it takes the lock (SQLite's write lock, PostgreSQL's row locks) before
    // anything is read, so two repeals of one rule serialise.
    sqlx::query("UPDATE rule_versions SET status = status WHERE scheme_id = $1 AND rule_code = $2")
        .bind(scheme.to_string())
        .bind(code.as_str())
        .execute(&mut *conn)
        .await?;
    let mut ctx = catalogue::context(conn, scheme)
        .await?
        .ok_or_else(|| StoreError::corrupt("a repeal in an unknown scheme"))?;
    let before = Arc::new(ctx.clone());
    let versions = ctx.catalogue.repeal_rule(code)?;
    let version_list = sql::list(2, versions.len());
    let version_ids: Vec<String> = versions.iter().map(ToString::to_string).collect();

    // Lock every record touched, as each single write does, before reading their events.
    let sql = format!(
        "UPDATE scheme_memberships SET last_write_at = $1 WHERE scheme_id = $2 AND subject_id IN \
         (SELECT subject_id FROM events WHERE rule_version_id IN {})",
        sql::list(3, versions.len())
    );
    let mut lock = sqlx::query(&sql).bind(to_micros(now)).bind(scheme.to_string());
    for id in &version_ids {
        lock = lock.bind(id);
    }
    lock.execute(&mut *conn).await?;
    // The grades of subjects with an appeal open under the rule, while the rule still stands.
    let open_appeals = appeals::open_before_repeal(conn, before, code.as_str(), now).await?;

    for id in &versions {
        let version = ctx.catalogue.get(*id).expect("just repealed");
        let ends_now = version.effective_from() < now && version.effective_to().is_none_or(|to| to > now);
        let effective_to = if ends_now { Some(now) } else { version.effective_to() };
        sqlx::query("UPDATE rule_versions SET status = 'repealed', effective_to = $1 WHERE id = $2")
            .bind(effective_to.map(to_micros))
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    catalogue::touch(conn).await?;

    let corrected: HashSet<String> = sqlx::query(
        "SELECT target_event_id FROM events WHERE scheme_id = $1 AND target_event_id IS NOT NULL",
    )
    .bind(scheme.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT id, subject_id FROM events WHERE scheme_id = $1 AND kind <> 'void' AND rule_version_id IN \
         {version_list} ORDER BY subject_id, occurred_at, id"
    );
    let mut targets = sqlx::query(&sql).bind(scheme.to_string());
    for id in &version_ids {
        targets = targets.bind(id);
    }
    let mut voided: Vec<(String, String)> = Vec::new();
    for row in targets.fetch_all(&mut *conn).await? {
        let id: String = row.try_get(0)?;
        if !corrected.contains(&id) {
            voided.push((id, row.try_get(1)?));
        }
    }

    let void_reason = crate::domain::wording::repealed(code.as_str(), reason);
    let decision_ref = format!("repeal:{code}");
    let per_statement = if sql::is_sqlite(conn) { sql::rows_per_statement(2) } else { VOIDS_PER_ARRAY };
    for chunk in voided.chunks(per_statement) {
        insert_voids(conn, chunk, actor, &void_reason, &decision_ref, now).await?;
    }
    // One notice per subject, about the first of their records voided (targets come by subject).
    let mut first_voided: Vec<(&str, &str)> = Vec::new();
    for (event, subject) in &voided {
        if first_voided.last().is_none_or(|(s, _)| *s != subject.as_str()) {
            first_voided.push((subject, event));
        }
    }
    notices::notify_each(conn, NoticeKind::RuleRepealed, &first_voided, now).await?;
    let after = catalogue::context(conn, scheme)
        .await?
        .ok_or_else(|| StoreError::corrupt("a repeal in an unknown scheme"))?;
    let appeals_closed =
        appeals::close_on_repeal(conn, open_appeals, &after, code.as_str(), &void_reason, now).await?;
    let subjects: Vec<SubjectId> =
        first_voided.iter().map(|(s, _)| SubjectId::parse(s)).collect::<Result<_, _>>()?;

    let kept = catalogue::RuleRepeal { rule_code: *code, repealed_at: now, reason: reason.to_string() };
    catalogue::insert_repeal(conn, scheme, &kept).await?;
    let target = format!("{}/{code}", ctx.scheme().code());
    let detail = serde_json::json!({
        "scheme": ctx.scheme().code(),
        "rule_code": code.as_str(),
        "versions": version_ids,
        "events_voided": voided.len(),
        "subjects": subjects.len(),
        "appeals_closed": appeals_closed,
    });
    audit::write(conn, actor, "rule.repeal", "rule", &target, detail.clone(), now).await?;
    // And one row in each subject's chain, covering the records the repeal wrote for them.
    let subject_ids: Vec<String> = subjects.iter().map(ToString::to_string).collect();
    super::chain::write_subjects(
        conn,
        actor,
        "rule.repeal",
        "rule",
        &target,
        &detail,
        now,
        &subject_ids,
        false,
    )
    .await?;
    Ok(Repealed { versions, events_voided: voided.len(), subjects: subjects.len() })
}

/// Appends one void record per (target event, subject): by the target's own authority (external
/// references are unique per authority, and `repeal:<event id>` is unique), 0 points, now.
async fn insert_voids(
    conn: &mut AnyConnection,
    targets: &[(String, String)],
    actor: &Actor,
    reason: &str,
    decision_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<String> = targets.iter().map(|_| EventId::new().to_string()).collect();
    if !sql::is_sqlite(conn) {
        return insert_voids_postgres(conn, &ids, targets, actor, reason, decision_ref, now).await;
    }
    // Each void's reference claim first (see `records::claim_reference`).
    let sql = format!(
        "INSERT INTO event_references (authority_id, external_ref, subject_id, event_id) \
         SELECT e.authority_id, 'repeal:' || e.id, e.subject_id, v.column1 \
         FROM (VALUES {}) AS v JOIN events e ON e.id = v.column2",
        sql::rows(1, 2, targets.len())
    );
    let mut claim = sqlx::query(&sql);
    for (id, (event, _)) in ids.iter().zip(targets) {
        claim = claim.bind(id).bind(event);
    }
    claim.execute(&mut *conn).await?;
    let sql = format!(
        "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
         recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind, target_event_id, \
         reason, decision_ref) \
         SELECT v.column1, e.subject_id, e.scheme_id, e.rule_version_id, e.rule_code, 0, $1, $1, e.authority_id, \
         $2, 'rule repeal', $3, 'repeal:' || e.id, 'void', e.id, $4, $3 \
         FROM (VALUES {}) AS v JOIN events e ON e.id = v.column2",
        sql::rows(5, 2, targets.len())
    );
    let mut insert =
        sqlx::query(&sql).bind(to_micros(now)).bind(&actor.label).bind(decision_ref).bind(reason);
    for (id, (event, _)) in ids.iter().zip(targets) {
        insert = insert.bind(id).bind(event);
    }
    let done = insert.execute(&mut *conn).await?;
    if done.rows_affected() != targets.len() as u64 {
        return Err(StoreError::corrupt("a repeal's target vanished"));
    }
    Ok(())
}

/// Voids written per statement on PostgreSQL, where the targets go as arrays.
const VOIDS_PER_ARRAY: usize = 10_000;

/// [`insert_voids`] on PostgreSQL: the same two statements over arrays of (void id, target,
/// subject), joined on the target's key (its subject and id), so a repeal touching every subject
/// takes two statements per [`VOIDS_PER_ARRAY`] voids instead of two per 128 (see
/// `store::import::postgres`).
async fn insert_voids_postgres(
    conn: &mut AnyConnection,
    ids: &[String],
    targets: &[(String, String)],
    actor: &Actor,
    reason: &str,
    decision_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let voids = sql::text_array(ids.iter());
    let events = sql::text_array(targets.iter().map(|(event, _)| event));
    let subjects = sql::text_array(targets.iter().map(|(_, subject)| subject));
    const TARGETS: &str = "FROM unnest($1::text[], $2::text[], $3::text[]) AS v (id, target, subject) \
         JOIN events e ON e.subject_id = v.subject AND e.id = v.target";
    sqlx::query(&format!(
        "INSERT INTO event_references (authority_id, external_ref, subject_id, event_id) \
         SELECT e.authority_id, 'repeal:' || e.id, e.subject_id, v.id {TARGETS}"
    ))
    .bind(&voids)
    .bind(&events)
    .bind(&subjects)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(&format!(
        "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
         recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind, target_event_id, \
         reason, decision_ref) \
         SELECT v.id, e.subject_id, e.scheme_id, e.rule_version_id, e.rule_code, 0, $4, $4, e.authority_id, \
         $5, 'rule repeal', $6, 'repeal:' || e.id, 'void', e.id, $7, $6 {TARGETS}"
    ))
    .bind(&voids)
    .bind(&events)
    .bind(&subjects)
    .bind(to_micros(now))
    .bind(&actor.label)
    .bind(decision_ref)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != targets.len() as u64 {
        return Err(StoreError::corrupt("a repeal's target vanished"));
    }
    Ok(())
}
