//! A subject's record in a scheme: append-only events. Every write checks its input with the
//! domain first, then appends in the caller's transaction. No score is stored: every view derives
//! it through `standing`, so nothing can drift from a fresh derivation.

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{
    catalogue::SchemeContext,
    from_micros,
    notices::{self, About, NoticeKind},
    to_micros, StoreError,
};
use crate::{
    db::Db,
    domain::{
        self, AuthorityId, DomainError, Event, EventId, EventKind, Fact, RuleCode, RuleVersionId, SchemeId,
        Source, SubjectId,
    },
};

/// Who wrote a record down, from what, beside the domain's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The officer or system that entered it.
    pub recorded_by: String,
    /// Where the fact comes from (a ticket, a judgment, a registry).
    pub source: String,
    /// Reference of the evidence held by the authority.
    pub evidence_ref: String,
}

/// An event as stored: the domain's record plus its provenance.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub event: Event,
    pub provenance: Provenance,
}

/// The outcome of an idempotent write.
#[derive(Debug)]
pub enum Recorded {
    /// Appended now.
    New(Box<Event>),
    /// The same external reference was already recorded with the same content: nothing written.
    Duplicate(EventId),
}

/// Why a write was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("the subject is not enrolled in this scheme")]
    NotAMember,
    #[error("the external reference {external_ref:?} was already used for a different record")]
    ReferenceReused { external_ref: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RecordError {
    fn from(e: sqlx::Error) -> Self {
        RecordError::Store(e.into())
    }
}

/// Records a fact in its own transaction.
pub async fn record_fact(
    db: &Db,
    ctx: &SchemeContext,
    source: Source,
    fact: Fact,
    provenance: Provenance,
    now: DateTime<Utc>,
) -> Result<Recorded, RecordError> {
    let mut tx = db.begin_write().await?;
    let recorded = record_fact_in(&mut tx, ctx, source, fact, provenance, now).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Records a fact inside the caller's transaction: idempotent by (authority, external reference).
pub async fn record_fact_in(
    conn: &mut AnyConnection,
    ctx: &SchemeContext,
    source: Source,
    fact: Fact,
    provenance: Provenance,
    now: DateTime<Utc>,
) -> Result<Recorded, RecordError> {
    // `ctx` was loaded before this transaction; a repeal may have committed since. On PostgreSQL
    // the rule version is share-locked before the record (the order a repeal takes them in), so
    // a repeal either waits for this write and voids it, or commits first and is seen here.
    // SQLite takes the write lock first and then reads the committed state.
    let mandates = super::mandates::of(conn, source.authority).await?;
    let checked = domain::record_fact(&ctx.catalogue, &mandates, source.clone(), fact.clone(), now);
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut in_force = None;
    if let (true, Ok(event)) = (postgres, &checked) {
        in_force = Some(still_in_force(conn, event).await?);
    }
    lock_record(conn, source.subject, source.scheme).await?;
    if let Some(existing) = by_external_ref(conn, source.authority, &source.external_ref).await? {
        return if is_resent(&existing.event, &source, &fact) {
            Ok(Recorded::Duplicate(existing.event.id))
        } else {
            Err(RecordError::ReferenceReused { external_ref: source.external_ref })
        };
    }
    let event = checked?;
    let in_force = match in_force {
        Some(known) => known,
        None => still_in_force(conn, &event).await?,
    };
    if !in_force {
        // What the same request gets once the repeal is in the catalogue it reads.
        return Err(DomainError::UnknownRule { code: event.rule_code.to_string() }.into());
    }
    append(conn, &event, &provenance, now).await?;
    Ok(Recorded::New(Box::new(event)))
}

/// Whether the rule version `event` falls under is still published (not repealed since the
/// caller's catalogue was loaded). Takes a share lock on it on PostgreSQL.
async fn still_in_force(conn: &mut AnyConnection, event: &Event) -> Result<bool, RecordError> {
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT status FROM rule_versions WHERE id = $1 FOR SHARE"
    } else {
        "SELECT status FROM rule_versions WHERE id = $1"
    };
    let status: Option<String> =
        sqlx::query_scalar(sql).bind(event.rule_version.to_string()).fetch_optional(&mut *conn).await?;
    Ok(status.as_deref() == Some("published"))
}

/// Whether `fact` about `source` is `existing` sent again (same reference, same content): a
/// duplicate, not an error. The same reference with other content is refused.
pub(super) fn is_resent(existing: &Event, source: &Source, fact: &Fact) -> bool {
    existing.subject == source.subject
        && existing.scheme == source.scheme
        && existing.rule_code == fact.rule_code
        && to_micros(existing.occurred_at) == to_micros(fact.occurred_at)
        && fact.points.is_none_or(|p| p == existing.points)
}

/// How a record is corrected: voided, or superseded by a correction that counts in its place.
#[derive(Clone, Debug)]
pub enum Correction {
    Void { reason: String, decision_ref: Option<String> },
    Supersede { fact: Fact, reason: String },
}

/// Corrects `target` inside the caller's transaction. The target stays on file.
pub async fn correct_in(
    conn: &mut AnyConnection,
    ctx: &SchemeContext,
    source: Source,
    target: EventId,
    correction: Correction,
    provenance: Provenance,
    now: DateTime<Utc>,
) -> Result<Recorded, RecordError> {
    lock_record(conn, source.subject, source.scheme).await?;
    if let Some(existing) = by_external_ref(conn, source.authority, &source.external_ref).await? {
        return if existing.event.kind.target() == Some(target) {
            Ok(Recorded::Duplicate(existing.event.id))
        } else {
            Err(RecordError::ReferenceReused { external_ref: source.external_ref })
        };
    }
    let existing: Vec<Event> =
        events_of(conn, source.subject, source.scheme).await?.into_iter().map(|s| s.event).collect();
    let event = match correction {
        Correction::Void { reason, decision_ref } => {
            domain::record_void(&existing, source, target, &reason, decision_ref.as_deref(), now)?
        }
        Correction::Supersede { fact, reason } => {
            domain::record_supersede(&ctx.catalogue, &existing, source, fact, target, &reason, now)?
        }
    };
    append(conn, &event, &provenance, now).await?;
    Ok(Recorded::New(Box::new(event)))
}

/// Locks a subject's record in a scheme before anything is read, so concurrent writes to one
/// record serialise: a no-op UPDATE takes the row lock on PostgreSQL and the write lock on
/// SQLite (whose deferred transactions would otherwise fail to upgrade a stale read).
pub(crate) async fn lock_record(
    conn: &mut AnyConnection,
    subject: SubjectId,
    scheme: SchemeId,
) -> Result<(), RecordError> {
    let locked = sqlx::query(
        "UPDATE scheme_memberships SET last_write_at = last_write_at WHERE subject_id = $1 AND scheme_id = $2",
    )
    .bind(subject.to_string())
    .bind(scheme.to_string())
    .execute(&mut *conn)
    .await?;
    if locked.rows_affected() == 0 {
        return Err(RecordError::NotAMember);
    }
    Ok(())
}

/// Appends a checked record to a locked record, with its notice.
async fn append(
    conn: &mut AnyConnection,
    event: &Event,
    provenance: &Provenance,
    now: DateTime<Utc>,
) -> Result<(), RecordError> {
    sqlx::query("UPDATE scheme_memberships SET last_write_at = $1 WHERE subject_id = $2 AND scheme_id = $3")
        .bind(to_micros(now))
        .bind(event.subject.to_string())
        .bind(event.scheme.to_string())
        .execute(&mut *conn)
        .await?;
    let (target, reason, decision_ref) = match &event.kind {
        EventKind::Fact => (None, None, None),
        EventKind::Void { target, reason, decision_ref } => {
            (Some(*target), Some(reason), decision_ref.as_ref())
        }
        EventKind::Supersede { target, reason } => (Some(*target), Some(reason), None),
    };
    // Another subject's record took this reference a moment ago.
    let reused = |e: sqlx::Error| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            RecordError::ReferenceReused { external_ref: event.external_ref.clone() }
        }
        other => other.into(),
    };
    claim_reference(conn, event).await.map_err(reused)?;
    let insert = sqlx::query(
        "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
         recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind, target_event_id, \
         reason, decision_ref) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    );
    bind_record(insert, event, provenance)
        .bind(target.map(|t| t.to_string()))
        .bind(reason)
        .bind(decision_ref)
        .execute(&mut *conn)
        .await
        .map_err(reused)?;
    let kind =
        if event.kind.target().is_some() { NoticeKind::EventCorrected } else { NoticeKind::EventRecorded };
    notices::notify(conn, event.subject, kind, About::Event(event.id), now).await?;
    Ok(())
}

/// Claims the record's external reference for it: `event_references`, keyed by (reference,
/// authority), keeps an authority's references unique across subjects, and across the shards of
/// a database distributed by subject, where `events` cannot. A reference already taken is a
/// unique violation. Written before the record, in its transaction.
async fn claim_reference(conn: &mut AnyConnection, event: &Event) -> Result<(), sqlx::Error> {
    bind_reference(
        sqlx::query(
            "INSERT INTO event_references (authority_id, external_ref, subject_id, event_id) \
             VALUES ($1, $2, $3, $4)",
        ),
        event,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Binds a record's reference claim: authority_id, external_ref, subject_id, event_id.
pub(super) fn bind_reference<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    event: &'q Event,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(event.authority.to_string())
        .bind(event.external_ref.as_str())
        .bind(event.subject.to_string())
        .bind(event.id.to_string())
}

/// Binds the 14 columns every record has, after what `query` already binds, in this order:
/// id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, recorded_at,
/// authority_id, recorded_by, source, evidence_ref, external_ref, kind.
pub(super) fn bind_record<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    event: &'q Event,
    provenance: &'q Provenance,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(event.id.to_string())
        .bind(event.subject.to_string())
        .bind(event.scheme.to_string())
        .bind(event.rule_version.to_string())
        .bind(event.rule_code.as_str())
        .bind(event.points)
        .bind(to_micros(event.occurred_at))
        .bind(to_micros(event.recorded_at))
        .bind(event.authority.to_string())
        .bind(&provenance.recorded_by)
        .bind(&provenance.source)
        .bind(&provenance.evidence_ref)
        .bind(&event.external_ref)
        .bind(event.kind.code())
}

pub(super) const EVENT_COLUMNS: &str = "id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
     recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind, target_event_id, reason, \
     decision_ref";

pub(super) fn event_from_row(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    EventRow {
        id: row.try_get("id")?,
        subject_id: row.try_get("subject_id")?,
        scheme_id: row.try_get("scheme_id")?,
        rule_version_id: row.try_get("rule_version_id")?,
        rule_code: row.try_get("rule_code")?,
        points: row.try_get("points")?,
        occurred_at: row.try_get("occurred_at")?,
        recorded_at: row.try_get("recorded_at")?,
        authority_id: row.try_get("authority_id")?,
        recorded_by: row.try_get("recorded_by")?,
        source: row.try_get("source")?,
        evidence_ref: row.try_get("evidence_ref")?,
        external_ref: row.try_get("external_ref")?,
        kind: row.try_get("kind")?,
        target_event_id: row.try_get("target_event_id")?,
        reason: row.try_get("reason")?,
        decision_ref: row.try_get("decision_ref")?,
    }
    .into_stored()
}

/// An event as stored, column for column in the order of [`EVENT_COLUMNS`]: read from a row, or
/// from a JSON array of those columns (see `repeal::rescore_all`).
#[derive(Debug, serde::Deserialize)]
pub(super) struct EventRow {
    id: String,
    subject_id: String,
    scheme_id: String,
    rule_version_id: String,
    rule_code: String,
    points: i64,
    occurred_at: i64,
    recorded_at: i64,
    authority_id: String,
    recorded_by: String,
    source: String,
    evidence_ref: String,
    external_ref: String,
    kind: String,
    target_event_id: Option<String>,
    reason: Option<String>,
    decision_ref: Option<String>,
}

impl EventRow {
    pub(super) fn into_stored(self) -> Result<StoredEvent, StoreError> {
        let target = self
            .target_event_id
            .map(|t| EventId::parse(&t))
            .transpose()?
            .ok_or_else(|| StoreError::corrupt("a correction without a target"));
        let reason = self.reason.unwrap_or_default();
        let kind = match self.kind.as_str() {
            "fact" => EventKind::Fact,
            "void" => EventKind::Void { target: target?, reason, decision_ref: self.decision_ref },
            _ => EventKind::Supersede { target: target?, reason },
        };
        Ok(StoredEvent {
            event: Event {
                id: EventId::parse(&self.id)?,
                subject: SubjectId::parse(&self.subject_id)?,
                scheme: SchemeId::parse(&self.scheme_id)?,
                rule_version: RuleVersionId::parse(&self.rule_version_id)?,
                rule_code: RuleCode::parse(&self.rule_code)?,
                points: self.points,
                occurred_at: from_micros(self.occurred_at),
                recorded_at: from_micros(self.recorded_at),
                authority: AuthorityId::parse(&self.authority_id)?,
                external_ref: self.external_ref,
                kind,
            },
            provenance: Provenance {
                recorded_by: self.recorded_by,
                source: self.source,
                evidence_ref: self.evidence_ref,
            },
        })
    }
}

async fn by_external_ref(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    external_ref: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE id IN \
         (SELECT event_id FROM event_references WHERE authority_id = $1 AND external_ref = $2)"
    ))
    .bind(authority.to_string())
    .bind(external_ref.trim())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(event_from_row).transpose()
}

/// Every record of a subject in a scheme, oldest first.
pub async fn events_of(
    conn: &mut AnyConnection,
    subject: SubjectId,
    scheme: SchemeId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE subject_id = $1 AND scheme_id = $2 ORDER BY occurred_at, id"
    ))
    .bind(subject.to_string())
    .bind(scheme.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// One record by id, whoever it belongs to; callers check ownership.
pub async fn event(conn: &mut AnyConnection, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
    let row = sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(event_from_row).transpose()
}

/// Enrols a subject in a scheme.
pub async fn enrol(
    conn: &mut AnyConnection,
    ctx: &SchemeContext,
    subject: SubjectId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::register::join_scheme(conn, subject, ctx.scheme().id(), now).await
}
