//! Subjects' proofs of status as stored: made only when their statement is true, signed with the
//! instance's key, found by code across shards, revoked by their subject, and each opening at
//! `/verify/{code}` recorded (when, and whether it held; nothing about who opened it).

use chrono::{DateTime, Duration, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{
    audit::{self, Actor},
    from_micros, register, standing,
    status::{answer, Question, QuestionError, QuestionKind},
    to_micros, StoreError,
};
use crate::{
    domain::{
        proof::{self, ProofCode, ProofDays},
        ProofId, SubjectId,
    },
    signing::InstanceKey,
};

/// The answer a proof's statement asserts: not restricted, not on any blacklist, or the grade
/// held. The statement is true exactly when [`answer`] gives this.
pub fn asserted(kind: QuestionKind) -> bool {
    match kind {
        QuestionKind::Restricted | QuestionKind::OnAnyBlacklist => false,
        QuestionKind::GradeAtLeast => true,
    }
}

/// The statement as signed, in English (pages show it in the reader's language).
pub fn statement_text(question: &Question) -> String {
    match question {
        Question::OnAnyBlacklist => "not on any blacklist".into(),
        Question::Restricted(r) => format!("not restricted from {}", r.code()),
        Question::GradeAtLeast { scheme_code, grade, .. } => {
            format!("grade {grade} or better in scheme {scheme_code}")
        }
    }
}

/// A proof as stored.
#[derive(Clone, Debug)]
pub struct Proof {
    pub id: ProofId,
    pub subject: SubjectId,
    pub code: ProofCode,
    pub question: Question,
    pub statement: String,
    /// The exact text signed ([`proof::message`]).
    pub message: String,
    pub as_of: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Hexadecimal, 128 digits.
    pub signature: String,
    /// Hexadecimal, 64 digits.
    pub public_key: String,
}

/// One opening of a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub held: bool,
}

/// Where a proof stands when it is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Within its validity, not revoked, and its statement still true now.
    Holds,
    /// Within its validity and not revoked, but its statement is no longer true.
    NoLongerHolds,
    Expired,
    Revoked,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::NoLongerHolds => "no_longer_holds",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// Why a proof was not made; nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The number of days is not 1 to 30.
    Days,
    /// The question cannot be asked (an unknown restriction, a scheme the subject is not in…).
    Question(QuestionError),
    /// The statement is not true of the subject now: Recourse signs only what is true.
    NotTrue,
}

impl Refusal {
    /// The form field the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Days => "days",
            Self::Question(e) => match e.field() {
                "question" => "statement",
                "scheme" => "grade",
                other => other,
            },
            Self::NotTrue => "statement",
        }
    }
}

const COLUMNS: &str = "id, subject_id, code, kind, parameter, statement, message, as_of, valid_until, \
                       revoked_at, signature, public_key";

async fn from_row(conn: &mut AnyConnection, row: &AnyRow) -> Result<Proof, StoreError> {
    let id: String = row.try_get(0)?;
    let subject: String = row.try_get(1)?;
    let code: String = row.try_get(2)?;
    let kind: String = row.try_get(3)?;
    let parameter: String = row.try_get(4)?;
    Ok(Proof {
        id: ProofId::parse(&id).map_err(StoreError::corrupt)?,
        subject: SubjectId::parse(&subject).map_err(StoreError::corrupt)?,
        code: ProofCode::parse(&code).map_err(StoreError::corrupt)?,
        question: Question::restore(conn, &kind, &parameter).await?,
        statement: row.try_get(5)?,
        message: row.try_get(6)?,
        as_of: from_micros(row.try_get(7)?),
        valid_until: from_micros(row.try_get(8)?),
        revoked_at: row.try_get::<Option<i64>, _>(9)?.map(from_micros),
        signature: row.try_get(10)?,
        public_key: row.try_get(11)?,
    })
}

/// Makes and signs a proof that `question`'s statement holds of `subject` from `now` for `days`,
/// inside the caller's write transaction (with its audit row), or refuses and writes nothing.
pub async fn make(
    conn: &mut AnyConnection,
    actor: &Actor,
    key: &InstanceKey,
    subject: SubjectId,
    question: &Question,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Result<Proof, Refusal>, StoreError> {
    let Some(days) = ProofDays::new(days) else { return Ok(Err(Refusal::Days)) };
    match answer(conn, standing::Reads::Direct, subject, question, now).await? {
        Err(e) => return Ok(Err(Refusal::Question(e))),
        Ok(answer) if answer != asserted(question.kind()) => return Ok(Err(Refusal::NotTrue)),
        Ok(_) => {}
    }
    let who =
        register::subject(conn, subject).await?.ok_or_else(|| StoreError::corrupt("no such subject"))?;
    // The signed instants are whole seconds; the stored ones are the same instants.
    let as_of = from_micros(now.timestamp() * 1_000_000);
    let valid_until = as_of + Duration::days(days.get());
    let id = ProofId::new();
    let code = ProofCode::generate(&mut rand::rngs::OsRng);
    let statement = statement_text(question);
    let public_key = key.public_hex();
    let message = proof::message(&code, &who.display_name, &statement, as_of, valid_until, &public_key);
    let signature = key.sign_hex(message.as_bytes());
    sqlx::query(
        "INSERT INTO status_proofs (subject_id, id, code, kind, parameter, statement, message, as_of, \
         valid_until, created_at, revoked_at, signature, public_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)",
    )
    .bind(subject.to_string())
    .bind(id.to_string())
    .bind(code.as_str())
    .bind(question.kind().code())
    .bind(question.parameter())
    .bind(&statement)
    .bind(&message)
    .bind(to_micros(as_of))
    .bind(to_micros(valid_until))
    .bind(to_micros(now))
    .bind(&signature)
    .bind(&public_key)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO proof_codes (code, subject_id, proof_id) VALUES ($1, $2, $3)")
        .bind(code.as_str())
        .bind(subject.to_string())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    audit::write(
        conn,
        actor,
        "proof.make",
        "status_proof",
        &id.to_string(),
        serde_json::json!({ "kind": question.kind().code(), "days": days.get() }),
        now,
    )
    .await?;
    Ok(Ok(Proof {
        id,
        subject,
        code,
        question: question.clone(),
        statement,
        message,
        as_of,
        valid_until,
        revoked_at: None,
        signature,
        public_key,
    }))
}

/// Revokes `subject`'s proof `id` inside the caller's write transaction; `false` when the
/// subject has no such proof. Revoking a revoked proof changes nothing.
pub async fn revoke(
    conn: &mut AnyConnection,
    actor: &Actor,
    subject: SubjectId,
    id: ProofId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let revoked: Option<Option<i64>> =
        sqlx::query_scalar("SELECT revoked_at FROM status_proofs WHERE subject_id = $1 AND id = $2")
            .bind(subject.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match revoked {
        None => Ok(false),
        Some(Some(_)) => Ok(true),
        Some(None) => {
            sqlx::query("UPDATE status_proofs SET revoked_at = $3 WHERE subject_id = $1 AND id = $2")
                .bind(subject.to_string())
                .bind(id.to_string())
                .bind(to_micros(now))
                .execute(&mut *conn)
                .await?;
            audit::write(
                conn,
                actor,
                "proof.revoke",
                "status_proof",
                &id.to_string(),
                serde_json::json!({}),
                now,
            )
            .await?;
            Ok(true)
        }
    }
}

/// The proof with `code`, if any.
pub async fn by_code(conn: &mut AnyConnection, code: &ProofCode) -> Result<Option<Proof>, StoreError> {
    let found = sqlx::query("SELECT subject_id, proof_id FROM proof_codes WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(found) = found else { return Ok(None) };
    let (subject, id): (String, String) = (found.try_get(0)?, found.try_get(1)?);
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM status_proofs WHERE subject_id = $1 AND id = $2"))
        .bind(&subject)
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(from_row(conn, &row).await?)),
        None => Err(StoreError::corrupt("a proof code names no proof")),
    }
}

/// Where `proof` stands at `now`: revoked and expired first, else whether its statement is
/// still true (a grade question about a scheme the subject has left no longer holds).
pub async fn standing_of(
    conn: &mut AnyConnection,
    reads: standing::Reads<'_>,
    proof: &Proof,
    now: DateTime<Utc>,
) -> Result<Standing, StoreError> {
    if proof.revoked_at.is_some_and(|at| at <= now) {
        return Ok(Standing::Revoked);
    }
    if now >= proof.valid_until {
        return Ok(Standing::Expired);
    }
    Ok(match answer(conn, reads, proof.subject, &proof.question, now).await? {
        Ok(answer) if answer == asserted(proof.question.kind()) => Standing::Holds,
        _ => Standing::NoLongerHolds,
    })
}

/// Records one opening of `proof` at `at`, inside the caller's write transaction.
pub async fn record_verification(
    conn: &mut AnyConnection,
    proof: &Proof,
    held: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO proof_verifications (subject_id, id, proof_id, verified_at, held) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(proof.subject.to_string())
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(proof.id.to_string())
    .bind(to_micros(at))
    .bind(i64::from(held))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A subject's proofs, newest first, each with its openings, newest first.
pub async fn of_subject(
    conn: &mut AnyConnection,
    subject: SubjectId,
) -> Result<Vec<(Proof, Vec<Verification>)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM status_proofs WHERE subject_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut proofs = Vec::with_capacity(rows.len());
    for row in &rows {
        proofs.push((from_row(conn, row).await?, Vec::new()));
    }
    let openings = sqlx::query(
        "SELECT proof_id, verified_at, held FROM proof_verifications WHERE subject_id = $1 \
         ORDER BY verified_at DESC, id DESC",
    )
    .bind(subject.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for row in &openings {
        let proof_id: String = row.try_get(0)?;
        let verification =
            Verification { at: from_micros(row.try_get(1)?), held: row.try_get::<i64, _>(2)? != 0 };
        if let Some((_, list)) = proofs.iter_mut().find(|(p, _)| p.id.to_string() == proof_id) {
            list.push(verification);
        }
    }
    Ok(proofs)
}
