//! Relying parties' checks and the corrections that follow them. A party asks one question it is
//! allowed (`store::status`) and learns only the answer; every check is kept for the subject to
//! read. When a rectification — an appeal decided, a deadline's default, a repeal, a record
//! voided by its authority, a listing that ended — changes what an answer given in the last 90
//! days would now be, the party that received it gets a correction in its feed and acknowledges
//! it; one not acknowledged within three working days is flagged.
//!
//! Corrections are found by construction, not remembered per handler: every write about a
//! subject appends a row to the subject's audit chain (`store::chain::append`), which calls
//! [`reconsider`] in the same transaction with the write's action; a background sweep
//! ([`sweep`]) catches what changes with time alone (a listing's expiry).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use sqlx::{any::AnyRow, AnyConnection, Row};
use uuid::Uuid;

use super::{
    from_micros, register,
    relying_parties::RelyingParty,
    sql,
    standing::Reads,
    status::{self, Question, QuestionError, QuestionKind},
    to_micros, StoreError,
};
use crate::{db::Db, domain::SubjectId};

/// How long an answer given is watched for corrections.
pub const WATCHED_DAYS: i64 = 90;
/// Working days (Monday to Friday) a party has to acknowledge a correction.
pub const ACKNOWLEDGE_WITHIN_WORKING_DAYS: u32 = 3;

/// One check: who asked what about whom, and the answer given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub id: Uuid,
    pub subject: SubjectId,
    pub party: Uuid,
    pub question: QuestionKind,
    /// [`Question::parameter`]: the restriction, or `scheme_code:grade`.
    pub parameter: String,
    pub answer: bool,
    pub asked_at: DateTime<Utc>,
}

/// Why a check was not answered; nothing is recorded.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("there is no such subject")]
    UnknownSubject,
    #[error("this relying party is not allowed to ask {0}")]
    NotAllowed(&'static str),
    #[error(transparent)]
    Question(#[from] QuestionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AskError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// What a party sends: the subject by id or by unified social credit code, and the question.
#[derive(Clone, Debug, Default)]
pub struct Asking<'a> {
    pub subject_id: Option<&'a str>,
    pub uscc: Option<&'a str>,
    pub question: &'a str,
    pub restriction: Option<&'a str>,
    pub scheme: Option<&'a str>,
    pub grade: Option<&'a str>,
}

/// Answers `asking` for `party` and records the check, in one write transaction (the answer
/// stored is the answer given).
pub async fn ask(
    db: &Db,
    party: &RelyingParty,
    asking: &Asking<'_>,
    now: DateTime<Utc>,
) -> Result<Check, AskError> {
    let mut conn = db.pool.acquire().await?;
    let question =
        Question::resolve(&mut conn, asking.question, asking.restriction, asking.scheme, asking.grade)
            .await??;
    if !party.may_ask(question.kind()) {
        return Err(AskError::NotAllowed(question.kind().code()));
    }
    let subject = match (asking.subject_id, asking.uscc) {
        (Some(id), _) => SubjectId::parse(id.trim()).ok(),
        (None, Some(code)) => register::by_uscc(&mut conn, code.trim()).await?,
        (None, None) => None,
    };
    drop(conn);
    let Some(subject) = subject else { return Err(AskError::UnknownSubject) };
    let mut tx = db.begin_write().await?;
    if register::subject(&mut tx, subject).await?.is_none() {
        return Err(AskError::UnknownSubject);
    }
    let answer = status::answer(&mut tx, Reads::Direct, subject, &question, now).await??;
    let check = Check {
        id: Uuid::now_v7(),
        subject,
        party: party.id,
        question: question.kind(),
        parameter: question.parameter(),
        answer,
        asked_at: now,
    };
    sqlx::query(
        "INSERT INTO standing_checks (subject_id, id, party_id, question, parameter, answer, asked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(subject.to_string())
    .bind(check.id.to_string())
    .bind(party.id.to_string())
    .bind(check.question.code())
    .bind(&check.parameter)
    .bind(i64::from(answer))
    .bind(to_micros(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(check)
}

/// Records a check as given at `asked_at` with `answer` (the demo's history; tests).
pub async fn record(conn: &mut AnyConnection, check: &Check) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO standing_checks (subject_id, id, party_id, question, parameter, answer, asked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(check.subject.to_string())
    .bind(check.id.to_string())
    .bind(check.party.to_string())
    .bind(check.question.code())
    .bind(&check.parameter)
    .bind(i64::from(check.answer))
    .bind(to_micros(check.asked_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn uuid_of(row: &AnyRow, column: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(StoreError::corrupt)
}

fn kind_of(row: &AnyRow) -> Result<QuestionKind, StoreError> {
    let code: String = row.try_get("question")?;
    QuestionKind::parse(&code).ok_or_else(|| StoreError::corrupt(format!("unknown question {code:?}")))
}

fn check_from_row(row: &AnyRow) -> Result<Check, StoreError> {
    Ok(Check {
        id: uuid_of(row, "id")?,
        subject: SubjectId::parse(&row.try_get::<String, _>("subject_id")?)?,
        party: uuid_of(row, "party_id")?,
        question: kind_of(row)?,
        parameter: row.try_get("parameter")?,
        answer: row.try_get::<i64, _>("answer")? != 0,
        asked_at: from_micros(row.try_get("asked_at")?),
    })
}

const CHECK_COLUMNS: &str = "subject_id, id, party_id, question, parameter, answer, asked_at";

/// Every check made about `subject`, newest first.
pub async fn checks_of(conn: &mut AnyConnection, subject: SubjectId) -> Result<Vec<Check>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CHECK_COLUMNS} FROM standing_checks WHERE subject_id = $1 ORDER BY asked_at DESC, id DESC"
    ))
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(check_from_row).collect()
}

/// A correction of an answer a party was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    pub id: Uuid,
    pub subject: SubjectId,
    pub party: Uuid,
    /// The check whose answer it corrects (the first one, when corrections follow each other).
    pub check: Uuid,
    pub question: QuestionKind,
    pub parameter: String,
    pub previous_answer: bool,
    pub answer: bool,
    /// The audit action of the write that changed the answer, or `time`.
    pub cause: String,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl Correction {
    /// When it must be acknowledged by: three working days after it was sent.
    pub fn due(&self) -> DateTime<Utc> {
        working_days_after(self.created_at, ACKNOWLEDGE_WITHIN_WORKING_DAYS)
    }

    /// Not acknowledged, and past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.acknowledged_at.is_none() && now > self.due()
    }
}

/// `at` plus `days` working days (Monday to Friday; public holidays are not known to Recourse).
pub fn working_days_after(at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut t = at;
    let mut left = days;
    while left > 0 {
        t += Duration::days(1);
        if !matches!(t.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    t
}

const CORRECTION_COLUMNS: &str = "subject_id, id, party_id, check_id, question, parameter, previous_answer, \
                                  answer, cause, created_at, acknowledged_at";

fn correction_from_row(row: &AnyRow) -> Result<Correction, StoreError> {
    Ok(Correction {
        id: uuid_of(row, "id")?,
        subject: SubjectId::parse(&row.try_get::<String, _>("subject_id")?)?,
        party: uuid_of(row, "party_id")?,
        check: uuid_of(row, "check_id")?,
        question: kind_of(row)?,
        parameter: row.try_get("parameter")?,
        previous_answer: row.try_get::<i64, _>("previous_answer")? != 0,
        answer: row.try_get::<i64, _>("answer")? != 0,
        cause: row.try_get("cause")?,
        created_at: from_micros(row.try_get("created_at")?),
        acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_micros),
    })
}

/// Every correction sent about `subject`, newest first.
pub async fn corrections_of(
    conn: &mut AnyConnection,
    subject: SubjectId,
) -> Result<Vec<Correction>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE subject_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(correction_from_row).collect()
}

/// A party's feed: its corrections after `after` (ids are UUIDv7, so in the order sent), at most
/// `limit`. Reads every shard on a distributed database (the feed is by party, not by subject).
pub async fn feed(
    conn: &mut AnyConnection,
    party: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Correction>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE party_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(party.to_string())
    .bind(after.map(|a| a.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(correction_from_row).collect()
}

/// Acknowledges one of `party`'s corrections (again: keeps the first time); `None` when it has no
/// such correction.
pub async fn acknowledge(
    db: &Db,
    party: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Correction>, StoreError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE check_corrections SET acknowledged_at = $1 WHERE id = $2 AND party_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(id.to_string())
    .bind(party.to_string())
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE id = $1 AND party_id = $2"
    ))
    .bind(id.to_string())
    .bind(party.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.as_ref().map(correction_from_row).transpose()
}

/// Per party: checks made, corrections sent, and corrections overdue (not acknowledged within
/// three working days) at `now`. Parties with none are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartyCounts {
    pub checks: i64,
    pub corrections: i64,
    pub overdue: i64,
}

pub async fn counts_by_party(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<BTreeMap<Uuid, PartyCounts>, StoreError> {
    let mut counts: BTreeMap<Uuid, PartyCounts> = BTreeMap::new();
    for row in sqlx::query("SELECT party_id, COUNT(*) FROM standing_checks GROUP BY party_id")
        .fetch_all(&mut *conn)
        .await?
    {
        counts.entry(uuid_of(&row, "party_id")?).or_default().checks = row.try_get(1)?;
    }
    for row in sqlx::query("SELECT party_id, COUNT(*) FROM check_corrections GROUP BY party_id")
        .fetch_all(&mut *conn)
        .await?
    {
        counts.entry(uuid_of(&row, "party_id")?).or_default().corrections = row.try_get(1)?;
    }
    // Only unacknowledged ones can be overdue; their due time counts working days, so in Rust.
    let cutoff = now - Duration::days(3);
    for row in sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE acknowledged_at IS NULL AND created_at < $1"
    ))
    .bind(to_micros(cutoff))
    .fetch_all(&mut *conn)
    .await?
    {
        let correction = correction_from_row(&row)?;
        if correction.is_overdue(now) {
            counts.entry(correction.party).or_default().overdue += 1;
        }
    }
    Ok(counts)
}

/// `party`'s corrections not acknowledged within three working days at `now`, oldest first.
pub async fn overdue_of(
    conn: &mut AnyConnection,
    party: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Correction>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE party_id = $1 AND acknowledged_at IS NULL \
         AND created_at < $2 ORDER BY id"
    ))
    .bind(party.to_string())
    .bind(to_micros(now - Duration::days(3)))
    .fetch_all(&mut *conn)
    .await?;
    let all: Result<Vec<_>, _> = rows.iter().map(correction_from_row).collect();
    Ok(all?.into_iter().filter(|c| c.is_overdue(now)).collect())
}

/// What changed a subject's answers: a rectification corrects in either direction; anything else
/// that merely moves in the subject's favour (a record voided by its authority, a listing that
/// expired) corrects only then — a new adverse record or listing is not a correction, and the
/// party learns of it only by asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cause<'a> {
    code: &'a str,
    either_way: bool,
}

impl<'a> Cause<'a> {
    /// The cause of a write with this audit action, or none when it never corrects.
    fn of(action: &'a str) -> Option<Self> {
        match action {
            "appeal.decide" | "appeal.lapse" | "rule.repeal" | "rule_challenge.decide" => {
                Some(Self { code: action, either_way: true })
            }
            "event.record" | "import.record" | "entry.lift" | "time" => {
                Some(Self { code: action, either_way: false })
            }
            _ => None,
        }
    }

    fn applies(self, kind: QuestionKind, before: bool, now: bool) -> bool {
        let favourable = match kind {
            QuestionKind::Restricted | QuestionKind::OnAnyBlacklist => before && !now,
            QuestionKind::GradeAtLeast => !before && now,
        };
        before != now && (self.either_way || favourable)
    }
}

/// Called by `store::chain::append` for every subject an audit row was written for, with the
/// row's action, inside its transaction: writes the corrections the write made due.
pub async fn reconsider(
    conn: &mut AnyConnection,
    touched: &[(String, String)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut causes: BTreeMap<&str, Cause> = BTreeMap::new();
    for (subject, action) in touched {
        if let Some(cause) = Cause::of(action) {
            let kept = causes.entry(subject.as_str()).or_insert(cause);
            if cause.either_way {
                *kept = cause;
            }
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    let cutoff = to_micros(at - Duration::days(WATCHED_DAYS));
    let subjects: Vec<&str> = causes.keys().copied().collect();
    let mut watched = Vec::new();
    for batch in subjects.chunks(sql::params(conn) - 1) {
        let statement = sql::positional(
            conn,
            format!(
                "SELECT DISTINCT subject_id FROM standing_checks WHERE asked_at >= $1 AND subject_id IN {}",
                sql::list(2, batch.len())
            ),
        );
        let mut query = sqlx::query(&statement).bind(cutoff);
        for subject in batch {
            query = query.bind(*subject);
        }
        for row in query.fetch_all(&mut *conn).await? {
            watched.push(row.try_get::<String, _>(0)?);
        }
    }
    for subject in watched {
        let cause = causes[subject.as_str()];
        reconsider_subject(conn, SubjectId::parse(&subject)?, cause, at).await?;
    }
    Ok(())
}

/// The latest answer a party holds for one question about one subject.
struct Held {
    /// The check or correction that gave it.
    id: Uuid,
    check: Uuid,
    answer: bool,
    at: DateTime<Utc>,
}

async fn reconsider_subject(
    conn: &mut AnyConnection,
    subject: SubjectId,
    cause: Cause<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let cutoff = at - Duration::days(WATCHED_DAYS);
    let mut held: BTreeMap<(Uuid, QuestionKind, String), Held> = BTreeMap::new();
    let rows = sqlx::query(&format!(
        "SELECT {CHECK_COLUMNS} FROM standing_checks WHERE subject_id = $1 AND asked_at >= $2"
    ))
    .bind(subject.to_string())
    .bind(to_micros(cutoff))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let c = check_from_row(row)?;
        let latest = Held { id: c.id, check: c.id, answer: c.answer, at: c.asked_at };
        keep_latest(&mut held, (c.party, c.question, c.parameter), latest);
    }
    let rows = sqlx::query(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM check_corrections WHERE subject_id = $1 AND created_at >= $2"
    ))
    .bind(subject.to_string())
    .bind(to_micros(cutoff))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let c = correction_from_row(row)?;
        let key = (c.party, c.question, c.parameter);
        // Only answers still watched: a correction of a check given before the window is not.
        if held.contains_key(&key) {
            keep_latest(
                &mut held,
                key,
                Held { id: c.id, check: c.check, answer: c.answer, at: c.created_at },
            );
        }
    }
    for ((party, kind, parameter), given) in held {
        // A question that no longer resolves (a grade removed from its scheme) or no longer
        // applies (the subject left the scheme) has no answer now to correct with.
        let Ok(question) = Question::restore(conn, kind.code(), &parameter).await else { continue };
        let Ok(now) = status::answer(conn, Reads::Direct, subject, &question, at).await? else { continue };
        if !cause.applies(kind, given.answer, now) {
            continue;
        }
        sqlx::query(
            "INSERT INTO check_corrections (subject_id, id, party_id, check_id, supersedes, question, parameter, \
             previous_answer, answer, cause, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (subject_id, supersedes) DO NOTHING",
        )
            .bind(subject.to_string())
            .bind(Uuid::now_v7().to_string())
            .bind(party.to_string())
            .bind(given.check.to_string())
            .bind(given.id.to_string())
            .bind(kind.code())
            .bind(&parameter)
            .bind(i64::from(given.answer))
            .bind(i64::from(now))
            .bind(cause.code)
            .bind(to_micros(at))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn keep_latest(
    held: &mut BTreeMap<(Uuid, QuestionKind, String), Held>,
    key: (Uuid, QuestionKind, String),
    new: Held,
) {
    match held.get(&key) {
        Some(old) if (old.at, old.id) >= (new.at, new.id) => {}
        _ => {
            held.insert(key, new);
        }
    }
}

/// Reconsiders every subject with an answer still watched, each in its own write transaction,
/// for what changes with time alone (a listing that expired). Safe on several servers at once:
/// a correction supersedes one answer, once. Returns the corrections written.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let cutoff = to_micros(now - Duration::days(WATCHED_DAYS));
    let subjects: Vec<String> = {
        let mut conn = db.pool.acquire().await?;
        sqlx::query("SELECT DISTINCT subject_id FROM standing_checks WHERE asked_at >= $1")
            .bind(cutoff)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?
    };
    let before = count(db).await?;
    for subject in subjects {
        let mut tx = db.begin_write().await?;
        reconsider_subject(
            &mut tx,
            SubjectId::parse(&subject)?,
            Cause { code: "time", either_way: false },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok((count(db).await? - before).max(0) as u64)
}

async fn count(db: &Db) -> Result<i64, StoreError> {
    let mut conn = db.pool.acquire().await?;
    Ok(sqlx::query("SELECT COUNT(*) FROM check_corrections").fetch_one(&mut *conn).await?.try_get(0)?)
}

/// Sweeps every `every`, from now on, in the background (a server's task).
pub fn spawn(db: Db, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match sweep(&db, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(corrections = n, "sent corrections of answers that changed with time")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sweeping relying parties' answers failed; trying again later")
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}
