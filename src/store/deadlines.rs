//! Deadlines with consequences. When an open appeal passes its due date undecided, its scheme's
//! consequence applies, once, in one transaction with its notice and audit row:
//!
//! - `suspend`: the contested record stops counting from the lapse until the appeal is decided,
//!   whatever the dispute policy (`appeals::disputes` reads the lapse, so every derivation
//!   honours it); the appeal stays open and is still to be decided.
//! - `void`: the contested record is voided by default, "not verified in time" (a void record
//!   like a decision's), and the appeal is closed; the subject has nothing more to do and the
//!   authority may record the fact again with evidence.
//!
//! Appeals on blacklist entries (no scheme; an entry is a court's or an agency's order) and
//! challenges to rules touch no record: their lapse is recorded and announced only, and they
//! stay open to be decided.
//!
//! Once due, the subject is notified and so are those who decide the appeal (`review_notices`:
//! the reviewers, or the administrators for a rule challenge), in the same transaction.
//!
//! The row of `appeal_lapses` (primary key subject, appeal, level) is the guard that makes the
//! consequence apply exactly once when several servers run [`spawn`]: the appeal row is locked
//! first, and a lapse already recorded means there is nothing to do.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};
use uuid::Uuid;

use super::{
    appeals::{self, AppealFailure, Target},
    audit::{self, Actor},
    catalogue, from_micros,
    notices::{self, About, NoticeKind},
    records::{self, Correction, Provenance},
    review_notices,
    standing::{self, Reads},
    to_micros, StoreError,
};
use crate::domain::{appeal::Status, EventId, OnDeadline, Source};

/// The reason a void by default gives (shown translated: `deadline.not_verified_in_time`).
pub use crate::domain::wording::NOT_VERIFIED_IN_TIME;

/// Appeals applied per transaction batch read.
const BATCH: i64 = 50;

/// A deadline that lapsed, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lapse {
    pub level: u8,
    pub outcome: OnDeadline,
    pub due_at: DateTime<Utc>,
    pub lapsed_at: DateTime<Utc>,
    /// The void record a `void` lapse wrote.
    pub void_event: Option<EventId>,
}

/// The lapses of an appeal, first level first.
pub async fn lapses(conn: &mut AnyConnection, appeal: Uuid) -> Result<Vec<Lapse>, StoreError> {
    let rows = sqlx::query(
        "SELECT level, outcome, due_at, lapsed_at, void_event_id FROM appeal_lapses \
         WHERE appeal_id = $1 ORDER BY level",
    )
    .bind(appeal.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| lapse_from_row(r, 0)).collect()
}

/// The lapse in the columns from `first` on: level, outcome, due_at, lapsed_at, void_event_id.
pub(super) fn lapse_from_row(r: &AnyRow, first: usize) -> Result<Lapse, StoreError> {
    Ok(Lapse {
        level: u8::try_from(r.try_get::<i64, _>(first)?).map_err(StoreError::corrupt)?,
        outcome: OnDeadline::parse(&r.try_get::<String, _>(first + 1)?)
            .ok_or_else(|| StoreError::corrupt("unknown lapse outcome"))?,
        due_at: from_micros(r.try_get(first + 2)?),
        lapsed_at: from_micros(r.try_get(first + 3)?),
        void_event: r.try_get::<Option<String>, _>(first + 4)?.map(|e| EventId::parse(&e)).transpose()?,
    })
}

/// The lapse of an appeal at its current level, if its deadline lapsed.
pub async fn current(conn: &mut AnyConnection, a: &appeals::Appeal) -> Result<Option<Lapse>, StoreError> {
    Ok(lapses(conn, a.id).await?.into_iter().find(|l| l.level == a.level))
}

/// Open appeals past their due date whose lapse at their level is not recorded yet, soonest due
/// first, at most `limit`.
async fn overdue(conn: &mut AnyConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.id FROM appeals a WHERE a.status = 'open' AND a.due_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM appeal_lapses l WHERE l.subject_id = a.subject_id AND l.appeal_id = a.id \
          AND l.level = a.level) ORDER BY a.due_at, a.id LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Uuid::parse_str(&r.try_get::<String, _>(0)?).map_err(StoreError::corrupt)).collect()
}

/// Applies the lapse of appeal `id` in the caller's transaction, if it is open, overdue at `now`
/// and its lapse at this level not yet recorded. Returns the consequence applied.
pub async fn apply_one(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<OnDeadline>, StoreError> {
    let a = match appeals::lock(conn, id).await {
        Ok(a) => a,
        Err(AppealFailure::NotFound) => return Ok(None),
        Err(AppealFailure::Store(e)) => return Err(e),
        Err(e) => return Err(StoreError::corrupt(e)),
    };
    if a.status != Status::Open || now <= a.due_at || current(conn, &a).await?.is_some() {
        return Ok(None);
    }
    let ctx = match (a.target, a.scheme) {
        (Target::Event(_), Some(scheme)) => Some(
            catalogue::context(conn, scheme).await?.ok_or_else(|| StoreError::corrupt("appeal scheme"))?,
        ),
        _ => None,
    };
    let outcome = ctx.as_ref().map_or(OnDeadline::Suspend, |c| c.scheme().on_deadline());
    let mut void_event = None;
    let mut detail = serde_json::json!({ "level": a.level, "outcome": outcome.code() });
    if let (OnDeadline::Void, Some(ctx), Target::Event(original)) = (outcome, &ctx, a.target) {
        let scheme = ctx.scheme().id();
        // After a partial correction, a second level contests the correction.
        let first = appeals::decisions(conn, id).await?.into_iter().find(|d| d.level == 1);
        let contested = first.and_then(|d| d.correction).unwrap_or(original);
        let before = standing::in_context(&mut *conn, Reads::Direct, Arc::new(ctx.clone()), a.subject, now)
            .await?
            .derivation;
        let target =
            records::event(conn, contested).await?.ok_or_else(|| StoreError::corrupt("contested"))?;
        let source = Source {
            subject: a.subject,
            scheme,
            authority: target.event.authority,
            external_ref: format!("LAPSE-{}-{}", a.id.simple(), a.level),
        };
        let provenance = Provenance {
            recorded_by: "recourse".into(),
            source: "appeal deadline".into(),
            evidence_ref: a.reference(),
        };
        let fix =
            Correction::Void { reason: NOT_VERIFIED_IN_TIME.into(), decision_ref: Some(a.id.to_string()) };
        match records::correct_in(conn, ctx, source, contested, fix, provenance, now).await {
            Ok(records::Recorded::New(event)) => void_event = Some(event.id),
            Ok(records::Recorded::Duplicate(event)) => void_event = Some(event),
            Err(records::RecordError::Store(e)) => return Err(e),
            // Already voided or superseded meanwhile: nothing left to take out.
            Err(_) => {}
        }
        sqlx::query(
            "UPDATE appeals SET status = 'decided', closed_at = $2 WHERE id = $1 AND status = 'open'",
        )
        .bind(id.to_string())
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
        let after = standing::derivation(conn, ctx, a.subject, now).await?;
        detail = serde_json::json!({ "level": a.level, "outcome": outcome.code(),
            "void_event": void_event.map(|e| e.to_string()),
            "score_before": before.score, "score_after": after.score });
    }
    let inserted = sqlx::query(
        "INSERT INTO appeal_lapses (subject_id, appeal_id, level, outcome, due_at, lapsed_at, void_event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.subject.to_string())
    .bind(id.to_string())
    .bind(i64::from(a.level))
    .bind(outcome.code())
    .bind(to_micros(a.due_at))
    .bind(to_micros(now))
    .bind(void_event.map(|e| e.to_string()))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        // Another server applied it first: the caller's transaction is rolled back.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(StoreError::Conflict("the lapse was already applied".into()))
        }
        Err(e) => return Err(e.into()),
    }
    notices::notify(conn, a.subject, NoticeKind::AppealOverdue, About::Appeal(id), now).await?;
    review_notices::deadline_lapsed(conn, &a, now).await?;
    audit::write(conn, actor, "appeal.lapse", "appeal", &id.to_string(), detail, now).await?;
    Ok(Some(outcome))
}

/// Applies every lapse due at `now`, each appeal in its own write transaction, a batch at a
/// time. Returns how many were applied. Safe while other servers do the same.
pub async fn apply_due(db: &crate::db::Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let actor = Actor::cli("recourse deadlines");
    let mut applied = 0;
    let mut skipped = std::collections::HashSet::new();
    loop {
        let ids = {
            let mut conn = db.pool.acquire().await?;
            overdue(&mut conn, now, BATCH + skipped.len() as i64).await?
        };
        let ids: Vec<Uuid> = ids.into_iter().filter(|id| !skipped.contains(id)).collect();
        if ids.is_empty() {
            return Ok(applied);
        }
        for id in ids {
            let mut tx = db.begin_write().await?;
            match apply_one(&mut tx, &actor, id, now).await {
                Ok(Some(_)) => {
                    tx.commit().await?;
                    applied += 1;
                }
                Ok(None) | Err(StoreError::Conflict(_)) => {
                    tx.rollback().await?;
                    skipped.insert(id);
                }
                Err(e) => {
                    tx.rollback().await?;
                    tracing::warn!(appeal = %id, error = %e, "applying a lapsed deadline failed");
                    skipped.insert(id);
                }
            }
        }
    }
}

/// Applies lapsed deadlines every `every`, from now on, in the background (a server's task;
/// several servers are safe: each lapse applies once).
pub fn spawn(db: crate::db::Db, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match apply_due(&db, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(appeals = n, "applied the consequences of lapsed appeal deadlines"),
                Err(e) => tracing::warn!(error = %e, "applying lapsed deadlines failed; trying again later"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
