//! Accounts people sign in with.

use chrono::Utc;
use uuid::Uuid;

use sqlx::AnyConnection;

use crate::domain::{AuthorityId, SubjectId};

/// The four roles of DESIGN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Subject,
    Recorder,
    Reviewer,
    Administrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Subject => "subject",
            Role::Recorder => "recorder",
            Role::Reviewer => "reviewer",
            Role::Administrator => "administrator",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the sign-in name {0:?} is already taken")]
    NameTaken(String),
    #[error("the sign-in name must be 3 to 64 letters, digits, '.', '-' or '_'")]
    BadName,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A sign-in name: 3–64 letters, digits, `.`, `-` or `_`, compared case-insensitively.
pub fn parse_username(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.chars().count())
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name)
    } else {
        Err(AccountError::BadName)
    }
}

/// Creates an account with an already-hashed password; returns its id.
pub async fn create(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<Uuid, AccountError> {
    let username = parse_username(username)?;
    let id = Uuid::now_v7();
    let result = sqlx::query(
        "INSERT INTO accounts (id, username, display_name, password_hash, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(&username)
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(super::to_micros(Utc::now()))
    .execute(&mut *conn)
    .await;
    match result {
        Ok(_) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(AccountError::NameTaken(username)),
        Err(e) => Err(e.into()),
    }
}

/// Links an account to the subject it speaks for or the authority it records for.
pub async fn link(
    conn: &mut AnyConnection,
    account: Uuid,
    subject: Option<SubjectId>,
    authority: Option<AuthorityId>,
) -> Result<(), AccountError> {
    sqlx::query("UPDATE accounts SET subject_id = $1, authority_id = $2 WHERE id = $3")
        .bind(subject.map(|s| s.to_string()))
        .bind(authority.map(|a| a.to_string()))
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
