//! Challenges to rules, decided by administrators: keep the rule with written reasons, or repeal
//! it. Every open challenge to the same rule is decided together, in one transaction with the
//! repeal (when there is one), each challenger's grade before and after, their notice and the
//! audit row.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{
    appeals::{self, Appeal, AppealFailure, Target},
    audit::{self, Actor},
    catalogue, from_micros,
    notices::{self, About, NoticeKind},
    repeal, standing, to_micros, StoreError,
};
use crate::domain::{
    appeal::{AppealError, Reasons, Status},
    RuleCode, SchemeId, SubjectId,
};

/// What administrators decided about a challenged rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The rule stays; the reasons say why.
    Kept,
    /// The rule is repealed: every record under it voided, everyone touched told.
    Repealed,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Self::Kept => "kept",
            Self::Repealed => "repealed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "kept" => Some(Self::Kept),
            "repealed" => Some(Self::Repealed),
            _ => None,
        }
    }
}

/// A challenge's decision, as the challenger and administrators read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeDecision {
    pub verdict: Verdict,
    pub reasons: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    /// The challenger's score and grade in the rule's scheme, before and after (none when they
    /// are not enrolled in it).
    pub before: Option<(i64, String)>,
    pub after: Option<(i64, String)>,
}

/// The open challenges to rule `code` of `scheme`, whichever version they name, soonest due first.
pub async fn open_on_rule(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    code: &RuleCode,
) -> Result<Vec<Appeal>, StoreError> {
    let filter = appeals::QueueFilter {
        rules: true,
        rule_code: Some(code.as_str().to_string()),
        status: Some(Status::Open),
        scheme: Some(scheme),
        ..appeals::QueueFilter::default()
    };
    // Every one: challenges to one rule are few, and are decided together.
    Ok(appeals::queue(conn, &filter, Utc::now(), i64::from(u32::MAX)).await?.0)
}

/// Decides challenge `id` and every other open challenge to the same rule. Refused, changing
/// nothing, when it is not an open challenge to a rule or the reasons are too short.
pub async fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    admin: Uuid,
    id: Uuid,
    verdict: Verdict,
    reasons: &Reasons,
    now: DateTime<Utc>,
) -> Result<usize, AppealFailure> {
    let challenge = appeals::lock(conn, id).await?;
    let Target::Rule(_) = challenge.target else { return Err(AppealFailure::NotFound) };
    if challenge.status != Status::Open {
        return Err(AppealError::AlreadyDecided.into());
    }
    let scheme = challenge.scheme.ok_or_else(|| StoreError::corrupt("a rule challenge without a scheme"))?;
    let code =
        RuleCode::parse(challenge.rule_code.as_deref().unwrap_or_default()).map_err(StoreError::from)?;
    let together = open_on_rule(conn, scheme, &code).await?;
    let ctx = catalogue::context(conn, scheme).await?.ok_or(AppealFailure::NotFound)?;
    let mut before = Vec::with_capacity(together.len());
    for a in &together {
        before.push(grade(conn, &ctx, a, now).await?);
    }
    if verdict == Verdict::Repealed {
        repeal::repeal_rule(conn, scheme, &code, reasons.as_str(), actor, now).await?;
    }
    let ctx = catalogue::context(conn, scheme).await?.ok_or(AppealFailure::NotFound)?;
    for (a, before) in together.iter().zip(before) {
        let after = grade(conn, &ctx, a, now).await?;
        sqlx::query(
            "UPDATE appeals SET status = 'decided', closed_at = $2 WHERE id = $1 AND status = 'open'",
        )
        .bind(a.id.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO rule_challenge_decisions (subject_id, appeal_id, verdict, reasons, decided_by, decided_at, \
             score_before, grade_before, score_after, grade_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(a.subject.to_string())
        .bind(a.id.to_string())
        .bind(verdict.code())
        .bind(reasons.as_str())
        .bind(admin.to_string())
        .bind(to_micros(now))
        .bind(before.as_ref().map(|b| b.0))
        .bind(before.as_ref().map(|b| b.1.clone()))
        .bind(after.as_ref().map(|b| b.0))
        .bind(after.as_ref().map(|b| b.1.clone()))
        .execute(&mut *conn)
        .await?;
        appeals::append_action(conn, a, "decided", Some(admin), verdict.code(), now).await?;
        notices::notify(conn, a.subject, NoticeKind::AppealDecided, About::Appeal(a.id), now).await?;
    }
    let target = format!("{}/{code}", ctx.scheme().code());
    let detail = serde_json::json!({
        "verdict": verdict.code(),
        "challenges": together.iter().map(|a| a.id.to_string()).collect::<Vec<_>>(),
    });
    audit::write(conn, actor, "rule_challenge.decide", "rule", &target, detail.clone(), now).await?;
    // Each challenger's chain covers the decision on their challenge.
    let challengers: Vec<SubjectId> = together.iter().map(|a| a.subject).collect();
    super::chain::write_subjects(
        conn,
        actor,
        "rule_challenge.decide",
        "rule",
        &target,
        &detail,
        now,
        &challengers,
        false,
    )
    .await?;
    Ok(together.len())
}

/// The challenger's score and grade in the rule's scheme, if they are enrolled in it.
async fn grade(
    conn: &mut AnyConnection,
    ctx: &catalogue::SchemeContext,
    a: &Appeal,
    at: DateTime<Utc>,
) -> Result<Option<(i64, String)>, StoreError> {
    let enrolled = sqlx::query("SELECT 1 FROM scheme_memberships WHERE subject_id = $1 AND scheme_id = $2")
        .bind(a.subject.to_string())
        .bind(ctx.scheme().id().to_string())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if !enrolled {
        return Ok(None);
    }
    let d = standing::derivation(conn, ctx, a.subject, at).await?;
    Ok(Some((d.score, d.grade.to_string())))
}

/// The decision of challenge `id` of `subject`, if it was decided.
pub async fn decision(
    conn: &mut AnyConnection,
    subject: SubjectId,
    id: Uuid,
) -> Result<Option<ChallengeDecision>, StoreError> {
    let row = sqlx::query(
        "SELECT d.verdict, d.reasons, COALESCE(c.display_name, ''), d.decided_at, d.score_before, d.grade_before, \
         d.score_after, d.grade_after FROM rule_challenge_decisions d LEFT JOIN accounts c ON c.id = d.decided_by \
         WHERE d.subject_id = $1 AND d.appeal_id = $2",
    )
    .bind(subject.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let pair = |score: Option<i64>, grade: Option<String>| score.zip(grade);
    Ok(Some(ChallengeDecision {
        verdict: Verdict::parse(&r.try_get::<String, _>(0)?)
            .ok_or_else(|| StoreError::corrupt("unknown verdict"))?,
        reasons: r.try_get(1)?,
        decided_by: r.try_get(2)?,
        decided_at: from_micros(r.try_get(3)?),
        before: pair(r.try_get(4)?, r.try_get(5)?),
        after: pair(r.try_get(6)?, r.try_get(7)?),
    }))
}
