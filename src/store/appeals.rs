//! Appeals as stored: filing with evidence, withdrawal, claiming and assigning, decisions, and the
//! second-level review. Each write runs in the caller's transaction and, where it touches a
//! record, corrects and rescores it, notifies the subject and writes the audit row in that same
//! transaction. The appeals row is the current state (for the queue); the timeline, decisions and
//! evidence are appended, never changed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{any::AnyRow, AnyConnection, Row};
use uuid::Uuid;

use super::{
    audit::{self, Actor},
    blacklist::{self, EntryAction},
    catalogue::{self},
    from_micros,
    notices::{self, About, NoticeKind},
    records::{self, Correction, Provenance, RecordError},
    standing::{self, Reads},
    to_micros, StoreError,
};
use crate::domain::{
    appeal::{
        self, AppealError, Decision, EvidenceKind, Grounds, Outcome, Recorded, Reviewer, Statement, Status,
        TargetKind, DEFAULT_DEADLINE_DAYS, MAX_FILES,
    },
    AuthorityId, Dispute, EntryId, EventId, Fact, RuleVersionId, SchemeId, Source, SubjectId,
};

/// What an appeal contests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Event(EventId),
    Entry(EntryId),
    Rule(RuleVersionId),
}

impl Target {
    pub fn kind(self) -> TargetKind {
        match self {
            Target::Event(_) => TargetKind::Event,
            Target::Entry(_) => TargetKind::Entry,
            Target::Rule(_) => TargetKind::Rule,
        }
    }

    fn id(self) -> String {
        match self {
            Target::Event(id) => id.to_string(),
            Target::Entry(id) => id.to_string(),
            Target::Rule(id) => id.to_string(),
        }
    }
}

/// An appeal's current state.
#[derive(Clone, Debug)]
pub struct Appeal {
    pub id: Uuid,
    pub subject: SubjectId,
    pub subject_name: String,
    pub target: Target,
    pub scheme: Option<SchemeId>,
    pub authority: Option<AuthorityId>,
    pub rule_code: Option<String>,
    pub grounds: Grounds,
    pub statement: String,
    pub filed_at: DateTime<Utc>,
    pub status: Status,
    pub level: u8,
    pub due_at: DateTime<Utc>,
    pub assigned_to: Option<Uuid>,
    pub assigned_name: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Closed because its deadline passed undecided where the scheme voids by default
    /// (`store::deadlines`), not by a reviewer's decision.
    pub voided_by_default: bool,
    /// What it contests, for naming it in lists without another query.
    pub summary: TargetSummary,
}

impl Appeal {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        appeal::is_overdue(self.status, self.due_at, now)
    }

    /// A short reference people can quote (the end of the id, which is random in UUIDv7).
    pub fn reference(&self) -> String {
        reference(self.id)
    }
}

/// The short reference of an appeal id.
pub fn reference(id: Uuid) -> String {
    let simple = id.simple().to_string();
    format!("A-{}", simple[simple.len() - 8..].to_uppercase())
}

/// A decision as recorded.
#[derive(Clone, Debug)]
pub struct StoredDecision {
    pub level: u8,
    pub outcome: Outcome,
    pub reasons: String,
    pub reviewer: Uuid,
    pub reviewer_name: String,
    pub body_en: String,
    pub body_zh: String,
    pub correction: Option<EventId>,
    pub score_before: Option<i64>,
    pub grade_before: Option<String>,
    pub score_after: Option<i64>,
    pub grade_after: Option<String>,
    pub decided_at: DateTime<Utc>,
}

/// One line of the timeline.
#[derive(Clone, Debug)]
pub struct Action {
    pub action: String,
    pub who: Option<String>,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// An evidence file's description (its bytes are read only for a download).
#[derive(Clone, Debug)]
pub struct Evidence {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content, as stored when the file was added.
    pub sha256: String,
    pub added_at: DateTime<Utc>,
}

/// A file checked by [`appeal::sniff`], ready to store.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub name: String,
    pub kind: EvidenceKind,
    pub bytes: Vec<u8>,
}

/// Why an appeal write was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AppealFailure {
    /// Bad input or a step the appeal's state does not allow: shown to the person.
    #[error(transparent)]
    Refused(#[from] AppealError),
    /// The correction was refused by the record's own checks (e.g. points outside the rule's range).
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppealFailure {
    fn from(e: sqlx::Error) -> Self {
        AppealFailure::Store(e.into())
    }
}

pub(super) const APPEAL_COLUMNS: &str = "a.id, a.subject_id, s.display_name, a.target_kind, a.event_id, a.entry_id, \
     a.rule_version_id, a.scheme_id, a.authority_id, a.rule_code, a.grounds, a.statement, a.filed_at, a.status, \
     a.level, a.due_at, a.assigned_to, r.display_name AS assigned_name, a.closed_at, \
     e.rule_code, v.rule_code, v.title_en, v.title_zh, sc.code, e.occurred_at, e.points, b.case_number, \
     (SELECT COUNT(*) FROM appeal_lapses l WHERE l.subject_id = a.subject_id AND l.appeal_id = a.id \
      AND l.outcome = 'void') AS voided_by_default";
/// The appeal with what it contests, joined so that a list of appeals is one query: the record
/// (by subject and id), the entry, and the rule version (the record's, or the contested rule).
pub(super) const APPEAL_FROM: &str = "appeals a JOIN subjects s ON s.id = a.subject_id \
     LEFT JOIN accounts r ON r.id = a.assigned_to \
     LEFT JOIN events e ON e.subject_id = a.subject_id AND e.id = a.event_id \
     LEFT JOIN blacklist_entries b ON b.subject_id = a.subject_id AND b.id = a.entry_id \
     LEFT JOIN rule_versions v ON v.id = COALESCE(a.rule_version_id, e.rule_version_id) \
     LEFT JOIN schemes sc ON sc.id = v.scheme_id";
/// The first column of [`TargetSummary`] in [`APPEAL_COLUMNS`].
const SUMMARY_AT: usize = 19;

/// What an appeal contests, in the words a page needs to name it, read with the appeal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSummary {
    /// The contested record's rule code, or the contested rule's.
    pub rule_code: Option<String>,
    pub title_en: Option<String>,
    pub title_zh: Option<String>,
    pub scheme_code: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub points: Option<i64>,
    pub case_number: Option<String>,
}

fn summary_from_row(row: &AnyRow, at: usize) -> Result<TargetSummary, StoreError> {
    let text =
        |i: usize| -> Result<Option<String>, StoreError> { Ok(row.try_get::<Option<String>, _>(at + i)?) };
    Ok(TargetSummary {
        rule_code: text(0)?.or(text(1)?),
        title_en: text(2)?,
        title_zh: text(3)?,
        scheme_code: text(4)?,
        occurred_at: row.try_get::<Option<i64>, _>(at + 5)?.map(from_micros),
        points: row.try_get::<Option<i64>, _>(at + 6)?,
        case_number: text(7)?,
    })
}

/// What `target` is, before any appeal on it exists (the filing form names it).
pub async fn target_summary(
    conn: &mut AnyConnection,
    target: Target,
) -> Result<Option<TargetSummary>, StoreError> {
    const COLUMNS: &str =
        "e.rule_code, v.rule_code, v.title_en, v.title_zh, sc.code, e.occurred_at, e.points, b.case_number";
    let (from, id) = match target {
        Target::Event(id) => (
            "events e JOIN rule_versions v ON v.id = e.rule_version_id JOIN schemes sc ON sc.id = v.scheme_id \
             LEFT JOIN blacklist_entries b ON 1 = 0 WHERE e.id = $1",
            id.to_string(),
        ),
        Target::Entry(id) => (
            "blacklist_entries b LEFT JOIN events e ON 1 = 0 LEFT JOIN rule_versions v ON 1 = 0 \
             LEFT JOIN schemes sc ON 1 = 0 WHERE b.id = $1",
            id.to_string(),
        ),
        Target::Rule(id) => (
            "rule_versions v JOIN schemes sc ON sc.id = v.scheme_id LEFT JOIN events e ON 1 = 0 \
             LEFT JOIN blacklist_entries b ON 1 = 0 WHERE v.id = $1",
            id.to_string(),
        ),
    };
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {from}")).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(|r| summary_from_row(r, 0)).transpose()
}

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(StoreError::corrupt)
}

pub(super) fn appeal_from_row(row: &AnyRow) -> Result<Appeal, StoreError> {
    let text = |i: usize| -> Result<Option<String>, StoreError> { Ok(row.try_get::<Option<String>, _>(i)?) };
    let missing = || StoreError::corrupt("an appeal without its target");
    let target = match row.try_get::<String, _>(3)?.as_str() {
        "event" => Target::Event(EventId::parse(&text(4)?.ok_or_else(missing)?)?),
        "entry" => Target::Entry(EntryId::parse(&text(5)?.ok_or_else(missing)?)?),
        _ => Target::Rule(RuleVersionId::parse(&text(6)?.ok_or_else(missing)?)?),
    };
    Ok(Appeal {
        id: uuid(&row.try_get::<String, _>(0)?)?,
        subject: SubjectId::parse(&row.try_get::<String, _>(1)?)?,
        subject_name: row.try_get(2)?,
        target,
        scheme: text(7)?.map(|s| SchemeId::parse(&s)).transpose()?,
        authority: text(8)?.map(|s| AuthorityId::parse(&s)).transpose()?,
        rule_code: text(9)?,
        grounds: Grounds::parse(&row.try_get::<String, _>(10)?).map_err(StoreError::corrupt)?,
        statement: row.try_get(11)?,
        filed_at: from_micros(row.try_get(12)?),
        status: Status::parse(&row.try_get::<String, _>(13)?).ok_or_else(|| StoreError::corrupt("status"))?,
        level: u8::try_from(row.try_get::<i64, _>(14)?).map_err(StoreError::corrupt)?,
        due_at: from_micros(row.try_get(15)?),
        assigned_to: text(16)?.map(|s| uuid(&s)).transpose()?,
        assigned_name: text(17)?,
        closed_at: row.try_get::<Option<i64>, _>(18)?.map(from_micros),
        voided_by_default: row.try_get::<i64, _>("voided_by_default")? > 0,
        summary: summary_from_row(row, SUMMARY_AT)?,
    })
}

/// One appeal by id, whoever it belongs to; callers check who may see it.
pub async fn appeal(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Appeal>, StoreError> {
    let row = sqlx::query(&format!("SELECT {APPEAL_COLUMNS} FROM {APPEAL_FROM} WHERE a.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(appeal_from_row).transpose()
}

/// A subject's appeals, newest first.
pub async fn of_subject(conn: &mut AnyConnection, subject: SubjectId) -> Result<Vec<Appeal>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {APPEAL_COLUMNS} FROM {APPEAL_FROM} WHERE a.subject_id = $1 ORDER BY a.filed_at DESC, a.id DESC"
    ))
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(appeal_from_row).collect()
}

/// The subject's open appeal on a target, if any (one at a time per item; several subjects may
/// each challenge one rule).
pub async fn open_on(
    conn: &mut AnyConnection,
    subject: SubjectId,
    target: Target,
) -> Result<Option<Uuid>, StoreError> {
    let row = sqlx::query(
        "SELECT id FROM appeals WHERE subject_id = $1 AND status = 'open' \
         AND COALESCE(event_id, entry_id, rule_version_id) = $2",
    )
    .bind(subject.to_string())
    .bind(target.id())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| uuid(&r.try_get::<String, _>(0)?)).transpose()
}

/// The disputes of a subject's records in a scheme, for the derivation: a record is disputed from
/// the filing (or the request for a second-level review) until the decision or the withdrawal.
/// One query over the append-only timeline, so past instants replay exactly; then the lapsed
/// deadlines (`store::deadlines`): from a lapse the record is suspended whatever the policy, or,
/// where the scheme voids by default, the dispute ends (the void record takes it out).
pub async fn disputes(
    conn: &mut AnyConnection,
    subject: SubjectId,
    scheme: SchemeId,
) -> Result<Vec<Dispute>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.id, a.event_id, d.correction_event_id, x.action, x.at FROM appeal_actions x \
         JOIN appeals a ON a.id = x.appeal_id \
         LEFT JOIN appeal_decisions d ON d.appeal_id = a.id AND d.level = 1 \
         WHERE a.subject_id = $1 AND a.scheme_id = $2 AND a.target_kind = 'event' \
         AND x.action IN ('filed', 'second_level_requested', 'withdrawn', 'decided') \
         ORDER BY a.id, x.at, x.id",
    )
    .bind(subject.to_string())
    .bind(scheme.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<Dispute> = Vec::new();
    // The appeal and level of each dispute, to find its lapse.
    let mut keys: Vec<(String, i64)> = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for r in &rows {
        let appeal: String = r.try_get(0)?;
        let event = EventId::parse(&r.try_get::<Option<String>, _>(1)?.unwrap_or_default())?;
        let at = from_micros(r.try_get(4)?);
        match r.try_get::<String, _>(3)?.as_str() {
            "filed" => {
                out.push(Dispute { event, opened_at: at, closed_at: None, lapsed_at: None });
                keys.push((appeal.clone(), 1));
                open = Some((appeal, out.len() - 1));
            }
            "second_level_requested" => {
                // After a partial correction, the correction is what the subject contests now.
                let now_contested = r
                    .try_get::<Option<String>, _>(2)?
                    .map(|c| EventId::parse(&c))
                    .transpose()?
                    .unwrap_or(event);
                out.push(Dispute { event: now_contested, opened_at: at, closed_at: None, lapsed_at: None });
                keys.push((appeal.clone(), 2));
                open = Some((appeal, out.len() - 1));
            }
            _ => {
                if let Some((a, i)) = open.take() {
                    if a == appeal {
                        out[i].closed_at = Some(at);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    let lapses = sqlx::query(
        "SELECT l.appeal_id, l.level, l.outcome, l.lapsed_at FROM appeal_lapses l \
         JOIN appeals a ON a.id = l.appeal_id WHERE l.subject_id = $1 AND a.scheme_id = $2",
    )
    .bind(subject.to_string())
    .bind(scheme.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for l in &lapses {
        let key = (l.try_get::<String, _>(0)?, l.try_get::<i64, _>(1)?);
        let at = from_micros(l.try_get(3)?);
        let void = l.try_get::<String, _>(2)? == "void";
        if let Some(i) = keys.iter().position(|k| *k == key) {
            if void {
                out[i].closed_at = Some(out[i].closed_at.map_or(at, |c| c.min(at)));
            } else {
                out[i].lapsed_at = Some(at);
            }
        }
    }
    Ok(out)
}

/// The items of a subject under an open appeal, with the appeal (for "under appeal" markers).
pub async fn open_targets(
    conn: &mut AnyConnection,
    subject: SubjectId,
) -> Result<Vec<(String, Uuid)>, StoreError> {
    let rows = sqlx::query(
        "SELECT COALESCE(event_id, entry_id, rule_version_id), id FROM appeals \
         WHERE subject_id = $1 AND status = 'open'",
    )
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, uuid(&r.try_get::<String, _>(1)?)?))).collect()
}

pub(crate) async fn append_action(
    conn: &mut AnyConnection,
    appeal: &Appeal,
    action: &str,
    account: Option<Uuid>,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO appeal_actions (id, appeal_id, subject_id, action, account_id, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(appeal.id.to_string())
    .bind(appeal.subject.to_string())
    .bind(action)
    .bind(account.map(|a| a.to_string()))
    .bind(note)
    .bind(to_micros(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An open appeal on a record a repeal is about to void, with the grade its subject had with
/// that record counting: read by [`open_before_repeal`] before the repeal writes anything.
#[derive(Clone, Debug)]
pub struct OpenBeforeRepeal {
    appeal: Appeal,
    before: (i64, String),
}

impl OpenBeforeRepeal {
    /// Whose appeal it is.
    pub fn subject(&self) -> SubjectId {
        self.appeal.subject
    }
}

/// The open appeals on records under rule `code` of the scheme of `ctx` (the catalogue as it
/// stands before the repeal), each with its subject's grade before.
pub async fn open_before_repeal(
    conn: &mut AnyConnection,
    ctx: Arc<catalogue::SchemeContext>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<OpenBeforeRepeal>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {APPEAL_COLUMNS} FROM {APPEAL_FROM} WHERE a.status = 'open' AND a.target_kind = 'event' \
         AND a.scheme_id = $1 AND a.rule_code = $2 ORDER BY a.id"
    ))
    .bind(ctx.scheme().id().to_string())
    .bind(code)
    .fetch_all(&mut *conn)
    .await?;
    let mut open = Vec::with_capacity(rows.len());
    for row in &rows {
        let appeal = appeal_from_row(row)?;
        let Target::Event(original) = appeal.target else { continue };
        // At the second level the record contested is the first decision's correction.
        let corrected: Option<String> = sqlx::query_scalar(
            "SELECT correction_event_id FROM appeal_decisions WHERE appeal_id = $1 AND level = 1",
        )
        .bind(appeal.id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
        let contested = corrected.map(|c| EventId::parse(&c)).transpose()?.unwrap_or(original);
        let standing =
            standing::in_context(&mut *conn, Reads::Direct, ctx.clone(), appeal.subject, now).await?;
        let without = standing.without_dispute_on(contested, now);
        open.push(OpenBeforeRepeal { appeal, before: (without.score, without.grade.to_string()) });
    }
    Ok(open)
}

/// Closes the appeals [`open_before_repeal`] found as decided by the repeal of rule `code`, in
/// the repeal's transaction, once its records are void: the repeal's reasons on the timeline (a
/// `decided` action by no reviewer, which also ends the dispute), the
/// grade before and after (`ctx` is the catalogue after the repeal), a notice to each subject.
/// Returns how many it closed.
pub async fn close_on_repeal(
    conn: &mut AnyConnection,
    open: Vec<OpenBeforeRepeal>,
    ctx: &catalogue::SchemeContext,
    code: &str,
    reasons: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut closed = 0;
    for OpenBeforeRepeal { appeal: a, before } in open {
        let done = sqlx::query(
            "UPDATE appeals SET status = 'decided', closed_at = $2 WHERE id = $1 AND status = 'open'",
        )
        .bind(a.id.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        append_action(conn, &a, "decided", None, reasons, now).await?;
        let after = standing::derivation(conn, ctx, a.subject, now).await?;
        sqlx::query(
            "INSERT INTO appeal_repeal_closures (subject_id, appeal_id, rule_code, reasons, score_before, \
             grade_before, score_after, grade_after, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(a.subject.to_string())
        .bind(a.id.to_string())
        .bind(code)
        .bind(reasons)
        .bind(before.0)
        .bind(before.1)
        .bind(after.score)
        .bind(after.grade.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
        notices::notify(conn, a.subject, NoticeKind::AppealDecided, About::Appeal(a.id), now).await?;
        closed += 1;
    }
    Ok(closed)
}

/// How a repeal closed an appeal: its reasons and the subject's grade before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepealClosure {
    pub rule_code: String,
    pub reasons: String,
    pub score_before: i64,
    pub grade_before: String,
    pub score_after: i64,
    pub grade_after: String,
    pub closed_at: DateTime<Utc>,
}

/// The repeal that closed appeal `id` of `subject`, if one did.
pub async fn repeal_closure(
    conn: &mut AnyConnection,
    subject: SubjectId,
    id: Uuid,
) -> Result<Option<RepealClosure>, StoreError> {
    let row = sqlx::query(
        "SELECT rule_code, reasons, score_before, grade_before, score_after, grade_after, closed_at \
         FROM appeal_repeal_closures WHERE subject_id = $1 AND appeal_id = $2",
    )
    .bind(subject.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(RepealClosure {
            rule_code: r.try_get(0)?,
            reasons: r.try_get(1)?,
            score_before: r.try_get(2)?,
            grade_before: r.try_get(3)?,
            score_after: r.try_get(4)?,
            grade_after: r.try_get(5)?,
            closed_at: from_micros(r.try_get(6)?),
        })
    })
    .transpose()
}

async fn insert_evidence(
    conn: &mut AnyConnection,
    appeal: &Appeal,
    files: Vec<NewEvidence>,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM appeal_evidence WHERE appeal_id = $1")
        .bind(appeal.id.to_string())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if existing as usize + files.len() > MAX_FILES {
        return Err(AppealError::TooManyFiles { max: MAX_FILES }.into());
    }
    for file in files {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO appeal_evidence (id, appeal_id, subject_id, original_name, content_type, size_bytes, \
             sha256, content, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(appeal.id.to_string())
        .bind(appeal.subject.to_string())
        .bind(appeal::clean_file_name(&file.name))
        .bind(file.kind.content_type())
        .bind(file.bytes.len() as i64)
        .bind(hex::encode(Sha256::digest(&file.bytes)))
        .bind(file.bytes)
        .bind(account.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
        append_action(conn, appeal, "evidence_added", Some(account), &file.name, now).await?;
    }
    Ok(())
}

/// A new appeal, checked by the domain types it carries.
#[derive(Clone, Debug)]
pub struct NewAppeal {
    pub subject: SubjectId,
    pub target: Target,
    pub grounds: Grounds,
    pub statement: Statement,
    pub files: Vec<NewEvidence>,
}

/// What filing an appeal on a target means, told on the form before filing and applied by
/// [`file`]: the days until a decision is due, and for a record whether it stops counting while
/// the appeal is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilingTerms {
    pub deadline_days: u32,
    /// For a record: whether its scheme suspends disputed records. `None` for entries and rules.
    pub suspends: Option<bool>,
}

/// The terms of filing on `target` (`None` when it does not exist).
pub async fn filing_terms(
    conn: &mut AnyConnection,
    target: Target,
) -> Result<Option<FilingTerms>, StoreError> {
    let scheme = match target {
        Target::Event(id) => records::event(conn, id).await?.map(|e| e.event.scheme),
        Target::Entry(_) => {
            return Ok(Some(FilingTerms { deadline_days: DEFAULT_DEADLINE_DAYS, suspends: None }));
        }
        Target::Rule(version) => rule_scheme(conn, version).await?,
    };
    let Some(scheme) = scheme else { return Ok(None) };
    let Some(ctx) = catalogue::context(conn, scheme).await? else { return Ok(None) };
    let suspends = ctx.scheme().dispute_policy() == crate::domain::DisputePolicy::SuspendedWhileDisputed;
    Ok(Some(FilingTerms {
        deadline_days: ctx.scheme().appeal_deadline_days(),
        suspends: matches!(target, Target::Event(_)).then_some(suspends),
    }))
}

/// Files an appeal. The target must be the subject's (callers answer 404 otherwise, before this).
/// A contested event is disputed from now: under a scheme that suspends disputed records the
/// subject is rescored at once, in this transaction.
pub async fn file(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: Uuid,
    new: NewAppeal,
    now: DateTime<Utc>,
) -> Result<Uuid, AppealFailure> {
    if new.files.len() > MAX_FILES {
        return Err(AppealError::TooManyFiles { max: MAX_FILES }.into());
    }
    if !Grounds::offered_for(new.target.kind()).contains(&new.grounds) {
        return Err(AppealError::GroundsDoNotFit.into());
    }
    let deadline = filing_terms(conn, new.target).await?.ok_or(AppealFailure::NotFound)?.deadline_days;
    let (scheme, authority, rule_code) = match new.target {
        Target::Event(id) => {
            let stored = records::event(conn, id).await?.ok_or(AppealFailure::NotFound)?;
            let e = stored.event;
            if e.subject != new.subject {
                return Err(AppealFailure::NotFound);
            }
            records::lock_record(conn, e.subject, e.scheme).await?;
            let existing: Vec<_> =
                records::events_of(conn, e.subject, e.scheme).await?.into_iter().map(|s| s.event).collect();
            crate::domain::validate_target(&existing, e.subject, e.scheme, e.id)
                .map_err(|_| AppealError::NotContestable)?;
            (Some(e.scheme), Some(e.authority), Some(e.rule_code.to_string()))
        }
        Target::Entry(id) => {
            let stored = blacklist::entry(conn, id).await?.ok_or(AppealFailure::NotFound)?;
            if stored.entry.subject() != new.subject {
                return Err(AppealFailure::NotFound);
            }
            if stored.entry.status_at(now) == crate::domain::EntryStatus::Lifted {
                return Err(AppealError::NotContestable.into());
            }
            (None, Some(stored.entry.authority()), None)
        }
        Target::Rule(version) => {
            let scheme = rule_scheme(conn, version).await?.ok_or(AppealFailure::NotFound)?;
            let ctx = catalogue::context(conn, scheme).await?.ok_or(AppealFailure::NotFound)?;
            let code = ctx.catalogue.get(version).map(|v| v.rule_code().to_string());
            (Some(scheme), None, code)
        }
    };
    if open_on(conn, new.subject, new.target).await?.is_some() {
        return Err(AppealError::AlreadyUnderAppeal.into());
    }
    let id = Uuid::now_v7();
    let due = appeal::due_at(now, deadline);
    let (event, entry, rule) = match new.target {
        Target::Event(e) => (Some(e.to_string()), None, None),
        Target::Entry(e) => (None, Some(e.to_string()), None),
        Target::Rule(r) => (None, None, Some(r.to_string())),
    };
    sqlx::query(
        "INSERT INTO appeals (id, subject_id, target_kind, event_id, entry_id, rule_version_id, scheme_id, \
         authority_id, rule_code, grounds, statement, filed_by, filed_at, status, level, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', 1, $14)",
    )
    .bind(id.to_string())
    .bind(new.subject.to_string())
    .bind(new.target.kind().code())
    .bind(event)
    .bind(entry)
    .bind(rule)
    .bind(scheme.map(|s| s.to_string()))
    .bind(authority.map(|a| a.to_string()))
    .bind(rule_code)
    .bind(new.grounds.code())
    .bind(new.statement.as_str())
    .bind(account.to_string())
    .bind(to_micros(now))
    .bind(to_micros(due))
    .execute(&mut *conn)
    .await?;
    let stored = appeal(conn, id).await?.ok_or_else(|| StoreError::corrupt("the appeal just filed"))?;
    append_action(conn, &stored, "filed", Some(account), new.grounds.code(), now).await?;
    let files = new.files.len();
    insert_evidence(conn, &stored, new.files, account, now).await?;
    notices::notify(conn, new.subject, NoticeKind::AppealFiled, About::Appeal(id), now).await?;
    audit::write(
        conn,
        actor,
        "appeal.file",
        "appeal",
        &id.to_string(),
        serde_json::json!({ "target": new.target.kind().code(), "target_id": new.target.id(),
                            "grounds": new.grounds.code(), "files": files }),
        now,
    )
    .await?;
    Ok(id)
}

async fn rule_scheme(
    conn: &mut AnyConnection,
    version: RuleVersionId,
) -> Result<Option<SchemeId>, StoreError> {
    let row = sqlx::query("SELECT scheme_id FROM rule_versions WHERE id = $1")
        .bind(version.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok(SchemeId::parse(&r.try_get::<String, _>(0)?)?)).transpose()
}

/// Takes the appeal's row lock before anything is read, so concurrent steps on one appeal
/// serialise (a no-op UPDATE: the row lock on PostgreSQL, the write lock on SQLite).
pub(crate) async fn lock(conn: &mut AnyConnection, id: Uuid) -> Result<Appeal, AppealFailure> {
    let locked = sqlx::query("UPDATE appeals SET level = level WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(AppealFailure::NotFound);
    }
    appeal(conn, id).await?.ok_or(AppealFailure::NotFound)
}

/// Adds evidence to an open appeal (the subject's own).
pub async fn add_evidence(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: Uuid,
    id: Uuid,
    files: Vec<NewEvidence>,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let a = lock(conn, id).await?;
    if a.status != Status::Open {
        return Err(AppealError::Closed.into());
    }
    let count = files.len();
    insert_evidence(conn, &a, files, account, now).await?;
    audit::write(
        conn,
        actor,
        "appeal.add_evidence",
        "appeal",
        &id.to_string(),
        serde_json::json!({ "files": count }),
        now,
    )
    .await?;
    Ok(())
}

/// Withdraws an open appeal: the dispute ends and the record counts again as before.
pub async fn withdraw(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let a = lock(conn, id).await?;
    appeal::check_decidable(a.status)?;
    sqlx::query("UPDATE appeals SET status = 'withdrawn', closed_at = $2 WHERE id = $1 AND status = 'open'")
        .bind(id.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
    append_action(conn, &a, "withdrawn", Some(account), "", now).await?;
    audit::write(conn, actor, "appeal.withdraw", "appeal", &id.to_string(), serde_json::json!({}), now)
        .await?;
    Ok(())
}

/// Assigns an open appeal to `reviewer` (claiming it when the reviewer is the actor).
pub async fn assign(
    conn: &mut AnyConnection,
    actor: &Actor,
    by: Uuid,
    id: Uuid,
    reviewer: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let a = lock(conn, id).await?;
    appeal::check_decidable(a.status)?;
    // Only someone who may decide it may hold it: an appeal claimed by, or assigned to, a
    // reviewer who is not independent would sit with someone who cannot decide it.
    let assignee = reviewer_accounts(conn, Some(reviewer)).await?.pop().ok_or(AppealError::NoAssignee)?;
    let first = decisions(conn, id).await?.into_iter().find(|d| d.level == 1).map(|d| d.reviewer);
    appeal::check_independence(&assignee, &recorded(conn, &a).await?, first)
        .map_err(AppealError::Conflict)?;
    let name = assignee.display_name;
    sqlx::query("UPDATE appeals SET assigned_to = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(reviewer.to_string())
        .execute(&mut *conn)
        .await?;
    let (action, note) = if by == reviewer { ("claimed", String::new()) } else { ("assigned", name) };
    append_action(conn, &a, action, Some(by), &note, now).await?;
    audit::write(
        conn,
        actor,
        &format!("appeal.{}", if by == reviewer { "claim" } else { "assign" }),
        "appeal",
        &id.to_string(),
        serde_json::json!({ "reviewer": reviewer.to_string() }),
        now,
    )
    .await?;
    Ok(())
}

/// The active reviewers (or the one with id `only`), as independence needs them, by name.
async fn reviewer_accounts(
    conn: &mut AnyConnection,
    only: Option<Uuid>,
) -> Result<Vec<Reviewer>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.username, c.display_name, c.authority_id, c.review_body_id, b.authority_id FROM accounts c \
         LEFT JOIN review_bodies b ON b.id = c.review_body_id \
         WHERE c.role = 'reviewer' AND c.disabled_at IS NULL AND ($1 IS NULL OR c.id = $1) ORDER BY c.display_name",
    )
    .bind(only.map(|id| id.to_string()))
    .fetch_all(&mut *conn)
    .await?;
    let authority = |r: &AnyRow, i: usize| -> Result<Option<AuthorityId>, StoreError> {
        Ok(r.try_get::<Option<String>, _>(i)?.map(|a| AuthorityId::parse(&a)).transpose()?)
    };
    rows.iter()
        .map(|r| {
            Ok(Reviewer {
                account: uuid(&r.try_get::<String, _>(0)?)?,
                username: r.try_get(1)?,
                display_name: r.try_get(2)?,
                authority: authority(r, 3)?,
                review_body: r.try_get::<Option<String>, _>(4)?.map(|b| uuid(&b)).transpose()?,
                body_authority: authority(r, 5)?,
            })
        })
        .collect()
}

/// The reviewers who may decide `a`, and so may be given it: independent of its record and,
/// at the second level, not its first decider.
pub async fn reviewers(conn: &mut AnyConnection, a: &Appeal) -> Result<Vec<(Uuid, String)>, StoreError> {
    let recorded = recorded(conn, a).await?;
    let first = decisions(conn, a.id).await?.into_iter().find(|d| d.level == 1).map(|d| d.reviewer);
    Ok(reviewer_accounts(conn, None)
        .await?
        .into_iter()
        .filter(|r| appeal::check_independence(r, &recorded, first).is_ok())
        .map(|r| (r.account, r.display_name))
        .collect())
}

/// A review body with the authority it belongs to, if any.
#[derive(Clone, Debug)]
pub struct Body {
    pub id: Uuid,
    pub name_en: String,
    pub name_zh: String,
    pub authority: Option<AuthorityId>,
}

/// Makes a review body part of an authority: its reviewers may not decide on that authority's records.
pub async fn set_body_authority(
    conn: &mut AnyConnection,
    body: Uuid,
    authority: AuthorityId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE review_bodies SET authority_id = $1 WHERE id = $2")
        .bind(authority.to_string())
        .bind(body.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn body(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Body>, StoreError> {
    let row = sqlx::query("SELECT name_en, name_zh, authority_id FROM review_bodies WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(Body {
            id,
            name_en: r.try_get(0)?,
            name_zh: r.try_get(1)?,
            authority: r.try_get::<Option<String>, _>(2)?.map(|a| AuthorityId::parse(&a)).transpose()?,
        })
    })
    .transpose()
}

/// Who made the contested record (for independence), and what a second level now contests.
pub async fn recorded(conn: &mut AnyConnection, a: &Appeal) -> Result<Recorded, StoreError> {
    Ok(match a.target {
        Target::Event(id) => {
            let e = records::event(conn, id).await?.ok_or_else(|| StoreError::corrupt("contested event"))?;
            Recorded { authority: Some(e.event.authority), recorded_by: Some(e.provenance.recorded_by) }
        }
        Target::Entry(_) => Recorded { authority: a.authority, recorded_by: None },
        Target::Rule(_) => Recorded::default(),
    })
}

/// The decisions on an appeal, first level first.
pub async fn decisions(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<StoredDecision>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.level, d.outcome, d.reasons, d.reviewer_id, r.display_name, b.name_en, b.name_zh, \
         d.correction_event_id, d.new_points, d.score_before, d.grade_before, d.score_after, d.grade_after, \
         d.decided_at FROM appeal_decisions d JOIN accounts r ON r.id = d.reviewer_id \
         JOIN review_bodies b ON b.id = d.review_body_id WHERE d.appeal_id = $1 ORDER BY d.level",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let outcome = match r.try_get::<String, _>(1)?.as_str() {
                "upheld" => Outcome::Upheld,
                "partly_upheld" => {
                    Outcome::PartlyUpheld { points: r.try_get::<Option<i64>, _>(8)?.unwrap_or_default() }
                }
                _ => Outcome::Rejected,
            };
            Ok(StoredDecision {
                level: u8::try_from(r.try_get::<i64, _>(0)?).map_err(StoreError::corrupt)?,
                outcome,
                reasons: r.try_get(2)?,
                reviewer: uuid(&r.try_get::<String, _>(3)?)?,
                reviewer_name: r.try_get(4)?,
                body_en: r.try_get(5)?,
                body_zh: r.try_get(6)?,
                correction: r.try_get::<Option<String>, _>(7)?.map(|c| EventId::parse(&c)).transpose()?,
                score_before: r.try_get(9)?,
                grade_before: r.try_get(10)?,
                score_after: r.try_get(11)?,
                grade_after: r.try_get(12)?,
                decided_at: from_micros(r.try_get(13)?),
            })
        })
        .collect()
}

/// Decides an open appeal, all in the caller's transaction: lock, check it is still open and the
/// reviewer independent, close it, correct the record (void / supersede / lift), rescore, record
/// the decision with the grade before and after, notify, audit. Two reviewers deciding at once:
/// the second waits on the lock, then finds the appeal decided and is refused.
pub async fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    reviewer: &Reviewer,
    id: Uuid,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let a = lock(conn, id).await?;
    appeal::check_decidable(a.status)?;
    if a.target.kind() == TargetKind::Rule {
        return Err(AppealFailure::NotFound);
    }
    let earlier = decisions(conn, id).await?;
    let first = earlier.iter().find(|d| d.level == 1);
    appeal::check_independence(reviewer, &recorded(conn, &a).await?, first.map(|d| d.reviewer))
        .map_err(AppealError::Conflict)?;
    let body_id = reviewer.review_body.ok_or(AppealError::Conflict(appeal::Conflict::NoReviewBody))?;
    let closed = sqlx::query(
        "UPDATE appeals SET status = 'decided', closed_at = $2 WHERE id = $1 AND status = 'open'",
    )
    .bind(id.to_string())
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    if closed.rows_affected() != 1 {
        return Err(AppealError::AlreadyDecided.into());
    }
    append_action(conn, &a, "decided", Some(reviewer.account), decision.outcome.code(), now).await?;

    let mut before = None;
    let mut after = None;
    let mut correction = None;
    let reasons = decision.reasons.as_str();
    match a.target {
        Target::Event(original) => {
            let scheme = a.scheme.ok_or_else(|| StoreError::corrupt("an event appeal without a scheme"))?;
            records::lock_record(conn, a.subject, scheme).await?;
            let ctx = catalogue::context(conn, scheme).await?.ok_or(AppealFailure::NotFound)?;
            // After a partial correction, a second level reviews the correction.
            let contested = first.and_then(|d| d.correction).unwrap_or(original);
            let standing =
                standing::in_context(&mut *conn, Reads::Direct, Arc::new(ctx.clone()), a.subject, now)
                    .await?;
            let without = standing.without_dispute_on(contested, now);
            before = Some((without.score, without.grade.to_string()));
            let target = records::event(conn, contested).await?.ok_or(AppealFailure::NotFound)?.event;
            let source = Source {
                subject: a.subject,
                scheme,
                authority: target.authority,
                external_ref: format!("APPEAL-{}-{}", a.id.simple(), a.level),
            };
            let provenance = Provenance {
                recorded_by: reviewer.username.clone(),
                source: "appeal decision".into(),
                evidence_ref: a.reference(),
            };
            let fix = match decision.outcome {
                Outcome::Upheld => {
                    Some(Correction::Void { reason: reasons.into(), decision_ref: Some(a.id.to_string()) })
                }
                Outcome::PartlyUpheld { points } => Some(Correction::Supersede {
                    fact: Fact {
                        rule_code: target.rule_code,
                        points: Some(points),
                        occurred_at: target.occurred_at,
                    },
                    reason: reasons.into(),
                }),
                Outcome::Rejected => None,
            };
            if let Some(fix) = fix {
                let done = records::correct_in(conn, &ctx, source, contested, fix, provenance, now).await?;
                if let records::Recorded::New(event) = done {
                    correction = Some(event.id);
                }
            }
            let d = standing::derivation(conn, &ctx, a.subject, now).await?;
            after = Some((d.score, d.grade.to_string()));
        }
        Target::Entry(entry) => {
            if decision.outcome == Outcome::Upheld {
                blacklist::act(conn, entry, EntryAction::Lifted, now, reasons, now).await?;
            }
        }
        Target::Rule(_) => unreachable!("refused above"),
    }
    let (new_points, outcome) = match decision.outcome {
        Outcome::PartlyUpheld { points } => (Some(points), "partly_upheld"),
        o => (None, o.code()),
    };
    let inserted = sqlx::query(
        "INSERT INTO appeal_decisions (id, appeal_id, subject_id, level, outcome, reasons, reviewer_id, \
         review_body_id, correction_event_id, new_points, score_before, grade_before, score_after, grade_after, \
         decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(id.to_string())
    .bind(a.subject.to_string())
    .bind(i64::from(a.level))
    .bind(outcome)
    .bind(reasons)
    .bind(reviewer.account.to_string())
    .bind(body_id.to_string())
    .bind(correction.map(|c| c.to_string()))
    .bind(new_points)
    .bind(before.as_ref().map(|b: &(i64, String)| b.0))
    .bind(before.map(|b| b.1))
    .bind(after.as_ref().map(|b: &(i64, String)| b.0))
    .bind(after.map(|b| b.1))
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppealError::AlreadyDecided.into())
        }
        Err(e) => return Err(e.into()),
    }
    notices::notify(conn, a.subject, NoticeKind::AppealDecided, About::Appeal(id), now).await?;
    audit::write(
        conn,
        actor,
        "appeal.decide",
        "appeal",
        &id.to_string(),
        serde_json::json!({ "level": a.level, "outcome": outcome, "body": body_id.to_string(),
                            "correction": correction.map(|c| c.to_string()) }),
        now,
    )
    .await?;
    Ok(())
}

/// The subject asks, once, for a second-level review of a decision; a different reviewer must do
/// it, with a new due date. A contested record is disputed again meanwhile.
pub async fn request_second_level(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: Uuid,
    id: Uuid,
    why: &Statement,
    now: DateTime<Utc>,
) -> Result<(), AppealFailure> {
    let a = lock(conn, id).await?;
    let first = decisions(conn, id).await?.into_iter().find(|d| d.level == 1).map(|d| d.outcome);
    appeal::check_second_level(a.status, a.level, first)?;
    let deadline = match a.scheme {
        Some(scheme) => catalogue::scheme(conn, scheme)
            .await?
            .map(|s| s.scheme.appeal_deadline_days())
            .unwrap_or(DEFAULT_DEADLINE_DAYS),
        None => DEFAULT_DEADLINE_DAYS,
    };
    sqlx::query(
        "UPDATE appeals SET status = 'open', level = 2, due_at = $2, assigned_to = NULL, closed_at = NULL \
         WHERE id = $1 AND status = 'decided' AND level = 1",
    )
    .bind(id.to_string())
    .bind(to_micros(appeal::due_at(now, deadline)))
    .execute(&mut *conn)
    .await?;
    append_action(conn, &a, "second_level_requested", Some(account), why.as_str(), now).await?;
    audit::write(conn, actor, "appeal.second_level", "appeal", &id.to_string(), serde_json::json!({}), now)
        .await?;
    Ok(())
}

/// The timeline of an appeal, oldest first.
pub async fn timeline(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<Action>, StoreError> {
    let rows = sqlx::query(
        "SELECT x.action, c.display_name, x.note, x.at FROM appeal_actions x \
         LEFT JOIN accounts c ON c.id = x.account_id WHERE x.appeal_id = $1 ORDER BY x.at, x.id",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Action {
                action: r.try_get(0)?,
                who: r.try_get(1)?,
                note: r.try_get(2)?,
                at: from_micros(r.try_get(3)?),
            })
        })
        .collect()
}

/// The evidence files of an appeal, oldest first.
pub async fn evidence(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<Evidence>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, original_name, content_type, size_bytes, added_at, sha256 FROM appeal_evidence \
         WHERE appeal_id = $1 ORDER BY added_at, id",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Evidence {
                id: uuid(&r.try_get::<String, _>(0)?)?,
                name: r.try_get(1)?,
                content_type: r.try_get(2)?,
                size_bytes: r.try_get(3)?,
                sha256: r.try_get(5)?,
                added_at: from_micros(r.try_get(4)?),
            })
        })
        .collect()
}

/// One evidence file of an appeal with its bytes.
pub async fn evidence_file(
    conn: &mut AnyConnection,
    appeal: Uuid,
    file: Uuid,
) -> Result<Option<(Evidence, Vec<u8>)>, StoreError> {
    let row = sqlx::query(
        "SELECT original_name, content_type, size_bytes, added_at, content, sha256 FROM appeal_evidence \
         WHERE id = $1 AND appeal_id = $2",
    )
    .bind(file.to_string())
    .bind(appeal.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            Evidence {
                id: file,
                name: r.try_get(0)?,
                content_type: r.try_get(1)?,
                size_bytes: r.try_get(2)?,
                sha256: r.try_get(5)?,
                added_at: from_micros(r.try_get(3)?),
            },
            r.try_get::<Vec<u8>, _>(4)?,
        ))
    })
    .transpose()
}

/// What a queue of appeals shows, filtered: the reviewers' (appeals on records and listings) or
/// the administrators' (challenges to rules).
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// Challenges to rules (the administrators' queue) rather than appeals on records.
    pub rules: bool,
    /// Only challenges to this rule (with `scheme`).
    pub rule_code: Option<String>,
    pub status: Option<Status>,
    pub scheme: Option<SchemeId>,
    pub grounds: Option<Grounds>,
    pub overdue_only: bool,
    pub assigned_to: Option<Uuid>,
    /// Keyset: the (due date, id) of the last appeal on the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// One page of a queue, sorted by due date; `limit + 1` rows are read to know if more follow.
/// Rule challenges are in the administrators' queue only (`filter.rules`).
pub async fn queue(
    conn: &mut AnyConnection,
    filter: &QueueFilter,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<(Vec<Appeal>, bool), StoreError> {
    let kind = if filter.rules { "a.target_kind = 'rule'" } else { "a.target_kind <> 'rule'" };
    let mut clauses = vec![kind.to_string()];
    let mut binds = Vec::new();
    let mut push = |clause: &str, values: Vec<Bind>| {
        let mut clause = clause.to_string();
        for v in values {
            binds.push(v);
            clause = clause.replacen('?', &format!("${}", binds.len()), 1);
        }
        clauses.push(clause);
    };
    if let Some(s) = filter.status {
        push("a.status = ?", vec![Bind::Text(s.code().into())]);
    }
    if let Some(s) = filter.scheme {
        push("a.scheme_id = ?", vec![Bind::Text(s.to_string())]);
    }
    if let Some(code) = &filter.rule_code {
        push("a.rule_code = ?", vec![Bind::Text(code.clone())]);
    }
    if let Some(g) = filter.grounds {
        push("a.grounds = ?", vec![Bind::Text(g.code().into())]);
    }
    if filter.overdue_only {
        push("a.status = 'open' AND a.due_at < ?", vec![Bind::Int(to_micros(now))]);
    }
    if let Some(r) = filter.assigned_to {
        push("a.assigned_to = ?", vec![Bind::Text(r.to_string())]);
    }
    if let Some((due, id)) = filter.after {
        push(
            "(a.due_at > ? OR (a.due_at = ? AND a.id > ?))",
            vec![Bind::Int(to_micros(due)), Bind::Int(to_micros(due)), Bind::Text(id.to_string())],
        );
    }
    let sql = format!(
        "SELECT {APPEAL_COLUMNS} FROM {APPEAL_FROM} WHERE {} ORDER BY a.due_at, a.id LIMIT {}",
        clauses.join(" AND "),
        limit + 1
    );
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t),
            Bind::Int(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut out: Vec<Appeal> = rows.iter().map(appeal_from_row).collect::<Result<_, _>>()?;
    let more = out.len() as i64 > limit;
    out.truncate(limit as usize);
    Ok((out, more))
}

/// Figures for reviewers.
#[derive(Clone, Debug, Default)]
pub struct Statistics {
    pub filed: i64,
    pub decided: i64,
    pub overturned: i64,
    pub overdue: i64,
    pub median_days_to_decide: Option<f64>,
    /// (rule code, decided, overturned)
    pub by_rule: Vec<(String, i64, i64)>,
    /// (authority id, decided, overturned)
    pub by_authority: Vec<(Option<String>, i64, i64)>,
}

/// Appeals filed, decided, overturned, overdue, the median time to a first decision, and
/// overturn rates by rule and by recording authority (each decision counted once).
pub async fn statistics(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<Statistics, StoreError> {
    let counts = sqlx::query(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'open' AND due_at < $1 THEN 1 ELSE 0 END), 0) \
         FROM appeals WHERE target_kind <> 'rule'",
    )
    .bind(to_micros(now))
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT a.rule_code, a.authority_id, d.outcome, d.level, d.decided_at - a.filed_at FROM appeal_decisions d \
         JOIN appeals a ON a.id = d.appeal_id ORDER BY d.decided_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut stats =
        Statistics { filed: counts.try_get(0)?, overdue: counts.try_get(1)?, ..Default::default() };
    let mut durations = Vec::new();
    for r in &rows {
        let rule: Option<String> = r.try_get(0)?;
        let authority: Option<String> = r.try_get(1)?;
        let overturned = r.try_get::<String, _>(2)? != "rejected";
        if r.try_get::<i64, _>(3)? == 1 {
            durations.push(r.try_get::<i64, _>(4)?);
        }
        stats.decided += 1;
        stats.overturned += i64::from(overturned);
        let rule = rule.unwrap_or_default();
        match stats.by_rule.iter_mut().find(|(k, ..)| *k == rule) {
            Some(row) => {
                row.1 += 1;
                row.2 += i64::from(overturned);
            }
            None => stats.by_rule.push((rule, 1, i64::from(overturned))),
        }
        match stats.by_authority.iter_mut().find(|(k, ..)| *k == authority) {
            Some(row) => {
                row.1 += 1;
                row.2 += i64::from(overturned);
            }
            None => stats.by_authority.push((authority, 1, i64::from(overturned))),
        }
    }
    stats.by_rule.sort();
    stats.by_authority.sort();
    durations.sort_unstable();
    stats.median_days_to_decide = median(&durations).map(|micros| micros / 86_400_000_000.0);
    Ok(stats)
}

fn median(sorted: &[i64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2] as f64),
        n => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    }

    #[test]
    fn references_are_short_and_stable() {
        let id = Uuid::parse_str("01936b2e-0000-7000-8000-0000abcdef12").unwrap();
        assert_eq!(reference(id), "A-ABCDEF12");
    }
}
