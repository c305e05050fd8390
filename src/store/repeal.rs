//! Repealing a rule: every published version of it is marked repealed, every record under it
//! that is not already corrected is voided, every open appeal on such a record is closed as
//! decided by the repeal, every subject touched is sent one notice saying why — all in the
//! caller's transaction, so a repeal happens entirely or not at all. Written set-based
//! (multi-row statements, a batch of subjects at a time) so a repeal touching 100,000 subjects
//! takes seconds and its memory does not grow with the subjects, with the same outcome as
//! voiding each record through `records::correct_in`: the same void records.

use std::{collections::BTreeMap, sync::Arc};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
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
    let per_batch = if sql::is_sqlite(conn) { SUBJECTS_PER_LIST } else { VOIDS_PER_ARRAY };
    repeal_rule_in_batches(conn, scheme, code, reason, actor, now, per_batch).await
}

/// [`repeal_rule`] with `per_batch` subjects a batch (tests use one, so that every path across
/// batches is taken).
pub async fn repeal_rule_in_batches(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    code: &RuleCode,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    per_batch: usize,
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
    let version_ids: Vec<String> = versions.iter().map(ToString::to_string).collect();

    // Lock every record touched, as each single write does, before reading their events: the
    // subjects locked are the only ones a void can be written for. On SQLite the write lock
    // taken above already holds every row; on PostgreSQL the row locks are taken without
    // writing a new version of each membership (an UPDATE did, 10 s of a repeal reaching
    // 740,000 subjects).
    let sql = format!(
        "SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 AND subject_id IN \
         (SELECT subject_id FROM events WHERE rule_version_id IN {}){}",
        sql::list(2, versions.len()),
        if sql::is_sqlite(conn) { "" } else { " FOR NO KEY UPDATE" }
    );
    let mut lock = sqlx::query(&sql).bind(scheme.to_string());
    for id in &version_ids {
        lock = lock.bind(id);
    }
    // Read as they come, kept as 16-byte ids: a repeal may reach every subject of the scheme.
    let mut reached: Vec<SubjectId> = lock
        .fetch(&mut *conn)
        .map_err(StoreError::from)
        .and_then(|row| async move { Ok(SubjectId::parse(&row.try_get::<String, _>(0)?)?) })
        .try_collect()
        .await?;
    reached.sort_unstable();
    // The grades of subjects with an appeal open under the rule, while the rule still stands.
    let mut open_appeals: BTreeMap<SubjectId, Vec<appeals::OpenBeforeRepeal>> = BTreeMap::new();
    for open in appeals::open_before_repeal(conn, before, code.as_str(), now).await? {
        open_appeals.entry(open.subject()).or_default().push(open);
    }

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
    let after = catalogue::context(conn, scheme)
        .await?
        .ok_or_else(|| StoreError::corrupt("a repeal in an unknown scheme"))?;

    // A batch of subjects at a time, so what a repeal holds does not grow with what it reaches:
    // their records voided, one notice each, their appeals on those records closed.
    let void_reason = crate::domain::wording::repealed(code.as_str(), reason);
    let decision_ref = format!("repeal:{code}");
    let per_statement = if sql::is_sqlite(conn) { sql::rows_per_statement(2) } else { VOIDS_PER_ARRAY };
    let mut touched: Vec<SubjectId> = Vec::new();
    let mut events_voided = 0;
    let mut appeals_closed = 0;
    // On SQLite each subject is a parameter, beside the scheme and the versions.
    let room =
        if sql::is_sqlite(conn) { sql::SQLITE_PARAMS.saturating_sub(1 + versions.len()) } else { usize::MAX };
    for batch in reached.chunks(per_batch.clamp(1, room.max(1))) {
        let voided = targets(conn, scheme, &version_ids, batch).await?;
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
        for (subject, _) in &first_voided {
            touched.push(SubjectId::parse(subject)?);
        }
        events_voided += voided.len();
        let open: Vec<_> = batch.iter().filter_map(|s| open_appeals.remove(s)).flatten().collect();
        appeals_closed +=
            appeals::close_on_repeal(conn, open, &after, code.as_str(), &void_reason, now).await?;
    }
    // Appeals whose subject had no record left to void (none expected: an appeal's record is
    // under the rule) are closed all the same, and their subjects' chains cover it.
    let rest: Vec<_> = std::mem::take(&mut open_appeals).into_values().flatten().collect();
    let subjects = touched.len();
    let mut chains = touched;
    chains.extend(rest.iter().map(appeals::OpenBeforeRepeal::subject));
    appeals_closed += appeals::close_on_repeal(conn, rest, &after, code.as_str(), &void_reason, now).await?;

    let kept = catalogue::RuleRepeal { rule_code: *code, repealed_at: now, reason: reason.to_string() };
    catalogue::insert_repeal(conn, scheme, &kept).await?;
    let target = format!("{}/{code}", ctx.scheme().code());
    let detail = serde_json::json!({
        "scheme": ctx.scheme().code(),
        "rule_code": code.as_str(),
        "versions": version_ids,
        "events_voided": events_voided,
        "subjects": subjects,
        "appeals_closed": appeals_closed,
    });
    audit::write(conn, actor, "rule.repeal", "rule", &target, detail.clone(), now).await?;
    // And one row in each subject's chain, covering the records the repeal wrote for them.
    super::chain::write_subjects(conn, actor, "rule.repeal", "rule", &target, &detail, now, &chains, false)
        .await?;
    Ok(Repealed { versions, events_voided, subjects })
}

/// The records of `subjects` under `versions` that a repeal voids, as (record, subject) by
/// subject and then as they occurred: every one that is not a void and not already corrected.
/// Read by the subjects' index: `|| ''` keeps SQLite from the index by rule, which its planner
/// prefers to a long `IN` list of subjects and which made every batch walk the whole rule's
/// records (a repeal reaching 740,000 subjects took 286 s instead of 156).
async fn targets(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    versions: &[String],
    subjects: &[SubjectId],
) -> Result<Vec<(String, String)>, StoreError> {
    let first = 2 + versions.len();
    let order = "subject_id, occurred_at, id";
    let statement = sql::among(conn, "e.subject_id", first, subjects.len(), order, |among| {
        format!(
            "SELECT e.id, e.subject_id, e.occurred_at FROM events e WHERE e.scheme_id = $1 \
             AND e.kind <> 'void' AND (e.rule_version_id || '') IN {} AND {among} AND NOT EXISTS \
             (SELECT 1 FROM events c WHERE c.subject_id = e.subject_id AND c.scheme_id = e.scheme_id \
             AND c.target_event_id = e.id)",
            sql::list(2, versions.len())
        )
    });
    let statement = sql::positional(conn, statement);
    let mut query = sqlx::query(&statement).bind(scheme.to_string());
    for id in versions {
        query = query.bind(id);
    }
    let subjects: Vec<String> = subjects.iter().map(ToString::to_string).collect();
    let query = sql::bind_among(conn, query, &subjects);
    query.fetch_all(&mut *conn).await?.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
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

/// Voids written per statement on PostgreSQL, where the targets go as arrays; also the subjects
/// of a batch there.
const VOIDS_PER_ARRAY: usize = 10_000;
/// Subjects of a batch on SQLite, one parameter each in the targets' statement (with room for
/// the scheme and the rule's versions).
const SUBJECTS_PER_LIST: usize = 4_000;

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
