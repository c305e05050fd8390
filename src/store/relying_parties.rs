//! Relying parties: organisations that act on a subject's standing (an airline, a railway ticket
//! office, a bank). An administrator registers each with its declared purpose, its legal basis
//! and the questions it may ask (`store::status::QuestionKind`); it calls the API with tokens of
//! its own (`rpt_…`), kept apart from authorities' tokens, stored only as a digest, revocable.

use chrono::{DateTime, Utc};
use sqlx::{any::AnyRow, AnyConnection, Row};
use uuid::Uuid;

use super::{
    from_micros,
    status::QuestionKind,
    to_micros,
    tokens::{digest, TokenSecret},
    StoreError,
};
use crate::domain::{text::required, DomainError};

/// Every relying party's token starts with this; authorities' start with `rct_`.
pub const PARTY_TOKEN_PREFIX: &str = "rpt_";
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 2000;

/// A registered relying party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: Uuid,
    pub name: String,
    pub purpose: String,
    pub legal_basis: String,
    /// What it may ask, in [`QuestionKind::ALL`] order.
    pub questions: Vec<QuestionKind>,
    pub created_at: DateTime<Utc>,
}

impl RelyingParty {
    pub fn may_ask(&self, kind: QuestionKind) -> bool {
        self.questions.contains(&kind)
    }
}

/// What an administrator (or `recourse relying-parties create`) registers.
#[derive(Clone, Debug, Default)]
pub struct NewParty {
    pub name: String,
    pub purpose: String,
    pub legal_basis: String,
    /// Question codes as sent.
    pub questions: Vec<String>,
}

impl NewParty {
    /// Checks every field; the first problem of each field, in form order.
    pub fn check(&self) -> Result<(String, String, String, Vec<QuestionKind>), Vec<DomainError>> {
        let mut problems = Vec::new();
        let mut keep = |r: Result<String, DomainError>| r.map_err(|e| problems.push(e)).unwrap_or_default();
        let name = keep(required("name", &self.name, MAX_NAME));
        let purpose = keep(required("purpose", &self.purpose, MAX_TEXT));
        let legal_basis = keep(required("legal_basis", &self.legal_basis, MAX_TEXT));
        let mut questions = Vec::new();
        for code in self.questions.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match QuestionKind::parse(code) {
                Some(kind) => questions.push(kind),
                None => {
                    problems.push(DomainError::UnknownQuestion { value: code.chars().take(64).collect() });
                    break;
                }
            }
        }
        questions.sort_unstable();
        questions.dedup();
        if questions.is_empty() && !problems.iter().any(|p| p.field() == Some("questions")) {
            problems.push(DomainError::EmptyField { field: "questions" });
        }
        if problems.is_empty() {
            Ok((name, purpose, legal_basis, questions))
        } else {
            Err(problems)
        }
    }
}

/// Why a party could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum PartyError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<DomainError>),
    #[error("a relying party named {0:?} is already registered")]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PartyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

const COLUMNS: &str = "id, name, purpose, legal_basis, questions, created_at";

fn from_row(row: &AnyRow) -> Result<RelyingParty, StoreError> {
    let id: String = row.try_get("id")?;
    let questions: String = row.try_get("questions")?;
    Ok(RelyingParty {
        id: Uuid::parse_str(&id).map_err(StoreError::corrupt)?,
        name: row.try_get("name")?,
        purpose: row.try_get("purpose")?,
        legal_basis: row.try_get("legal_basis")?,
        questions: questions.split(',').filter_map(QuestionKind::parse).collect(),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

/// Registers a party; `created_by` is the administrator's account id (none from the command line).
pub async fn create(
    conn: &mut AnyConnection,
    new: &NewParty,
    created_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RelyingParty, PartyError> {
    let (name, purpose, legal_basis, questions) = new.check().map_err(PartyError::Invalid)?;
    let id = Uuid::now_v7();
    let codes: Vec<&str> = questions.iter().map(|q| q.code()).collect();
    let inserted = sqlx::query(
        "INSERT INTO relying_parties (id, name, purpose, legal_basis, questions, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&name)
    .bind(&purpose)
    .bind(&legal_basis)
    .bind(codes.join(","))
    .bind(created_by)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(PartyError::NameTaken(name)),
        other => other?,
    };
    Ok(RelyingParty { id, name, purpose, legal_basis, questions, created_at: now })
}

/// Every party, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<RelyingParty>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM relying_parties ORDER BY name, id"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_id(conn: &mut AnyConnection, id: Uuid) -> Result<Option<RelyingParty>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM relying_parties WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A party's token as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyToken {
    pub id: Uuid,
    pub party: Uuid,
    pub label: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl PartyToken {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

const TOKEN_COLUMNS: &str = "id, party_id, label, prefix, created_at, last_used_at, revoked_at";

fn token_from_row(row: &AnyRow) -> Result<PartyToken, StoreError> {
    let uuid = |column: &str| -> Result<Uuid, StoreError> {
        Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(StoreError::corrupt)
    };
    Ok(PartyToken {
        id: uuid("id")?,
        party: uuid("party_id")?,
        label: row.try_get("label")?,
        prefix: row.try_get("prefix")?,
        created_at: from_micros(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_micros),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_micros),
    })
}

/// Stores a new token for `party`; returns it with the secret to show once.
pub async fn create_token(
    conn: &mut AnyConnection,
    party: Uuid,
    label: &str,
    created_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(PartyToken, TokenSecret), StoreError> {
    let label = required("label", label, super::tokens::MAX_LABEL)?;
    let secret = TokenSecret::generate_with(PARTY_TOKEN_PREFIX);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO relying_party_tokens (id, party_id, label, prefix, token_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(party.to_string())
    .bind(&label)
    .bind(secret.prefix())
    .bind(digest(secret.expose()))
    .bind(created_by)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    let token = PartyToken {
        id,
        party,
        label,
        prefix: secret.prefix().to_string(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((token, secret))
}

/// The token a presented secret belongs to, revoked or not.
pub async fn token_by_secret(
    conn: &mut AnyConnection,
    secret: &str,
) -> Result<Option<PartyToken>, StoreError> {
    let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM relying_party_tokens WHERE token_hash = $1"))
        .bind(digest(secret))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(token_from_row).transpose()
}

/// A party's tokens, newest first.
pub async fn tokens_of(conn: &mut AnyConnection, party: Uuid) -> Result<Vec<PartyToken>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM relying_party_tokens WHERE party_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(party.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes one of `party`'s tokens; false when it is not theirs or was already revoked.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    party: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE relying_party_tokens SET revoked_at = $1 WHERE id = $2 AND party_id = $3 AND revoked_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(id.to_string())
    .bind(party.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stamps a token's last use.
pub async fn touch_token(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE relying_party_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(to_micros(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
