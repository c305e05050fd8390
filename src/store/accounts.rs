//! Accounts people sign in with, the invitations that let a new person set their own password,
//! and the review bodies reviewers work for.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{from_micros, sql, to_micros};
use crate::db::{Columns, Conn, Read};
use crate::domain::{AuthorityId, SubjectId};

/// The four roles of DESIGN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Subject,
    Recorder,
    Reviewer,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Subject, Role::Recorder, Role::Reviewer, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Subject => "subject",
            Role::Recorder => "recorder",
            Role::Reviewer => "reviewer",
            Role::Administrator => "administrator",
        }
    }

    /// The role named by [`Role::as_str`]'s text.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
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

/// An account's identifier (UUIDv7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

impl AccountId {
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text.trim()).ok().map(Self)
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A stored password hash (PHC string), or none yet for an invited person. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    /// The PHC string, when a password has been set.
    pub fn phc(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(***)")
    }
}

/// An account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub credential: Credential,
    pub role: Role,
    pub subject_id: Option<SubjectId>,
    pub authority_id: Option<AuthorityId>,
    pub review_body_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Raised by a password change or a disable: sessions made under an older epoch are over.
    pub session_epoch: i64,
}

impl Account {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// Invited but no password set yet.
    pub fn is_invited(&self) -> bool {
        self.credential.phc().is_none()
    }
}

const ACCOUNT_COLUMNS: &str = "id, username, display_name, password_hash, role, subject_id, authority_id, \
     review_body_id, created_at, disabled_at, session_epoch";
/// How many columns [`account_from`] reads, from the first: counted from the list itself, so
/// the two cannot disagree.
pub(crate) const ACCOUNT_COLUMN_COUNT: usize = sql::column_count(ACCOUNT_COLUMNS);

/// The statement reading the account whose id is `id` (a parameter or a subquery).
pub(crate) fn by_id_sql(id: &str) -> String {
    format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = {id}")
}

pub(crate) fn account_from(row: &impl Columns) -> Result<Account, sqlx::Error> {
    let corrupt = |what: &str| sqlx::Error::Decode(format!("accounts: bad {what}").into());
    let id: String = row.column(0)?;
    let role: String = row.column(4)?;
    let subject: Option<String> = row.column(5)?;
    let authority: Option<String> = row.column(6)?;
    let body: Option<String> = row.column(7)?;
    Ok(Account {
        id: AccountId::parse(&id).ok_or_else(|| corrupt("id"))?,
        username: row.column(1)?,
        display_name: row.column(2)?,
        credential: Credential(row.column(3)?),
        role: Role::parse(&role).ok_or_else(|| corrupt("role"))?,
        subject_id: subject.map(|s| SubjectId::parse(&s)).transpose().map_err(|_| corrupt("subject_id"))?,
        authority_id: authority
            .map(|a| AuthorityId::parse(&a))
            .transpose()
            .map_err(|_| corrupt("authority_id"))?,
        review_body_id: body
            .map(|b| Uuid::parse_str(&b))
            .transpose()
            .map_err(|_| corrupt("review_body_id"))?,
        created_at: from_micros(row.column(8)?),
        disabled_at: row.column::<Option<i64>>(9)?.map(from_micros),
        session_epoch: row.column(10)?,
    })
}

/// Creates an account with an already-hashed password (empty: invited, none set yet).
pub async fn create(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<Uuid, AccountError> {
    let username = parse_username(username)?;
    let id = Uuid::now_v7();
    let now = to_micros(Utc::now());
    let taken = |e: sqlx::Error| match e {
        sqlx::Error::Database(e) if e.is_unique_violation() => AccountError::NameTaken(username.clone()),
        e => e.into(),
    };
    // The name's claim first: `account_usernames`, keyed by the name, keeps names unique where
    // accounts are distributed by id.
    sqlx::query("INSERT INTO account_usernames (username, account_id) VALUES ($1, $2)")
        .bind(&username)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(taken)?;
    sqlx::query(
        "INSERT INTO accounts (id, username, display_name, password_hash, role, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&username)
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .bind((!password_hash.is_empty()).then_some(now))
    .execute(&mut *conn)
    .await
    .map_err(taken)?;
    Ok(id)
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

/// Links a reviewer's account to the review body they work for.
pub async fn link_review_body(
    conn: &mut AnyConnection,
    account: AccountId,
    body: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET review_body_id = $1 WHERE id = $2")
        .bind(body.to_string())
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn by_id<'a>(from: impl Into<Conn<'a>>, id: AccountId) -> Result<Option<Account>, sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| by_id_sql("$1"));
    Read::new(&SQL).bind(id.to_string()).optional(from, |r| account_from(r)).await
}

/// The account with this sign-in name (compared as [`parse_username`] normalises it).
pub async fn by_username(conn: &mut AnyConnection, raw: &str) -> Result<Option<Account>, sqlx::Error> {
    let Ok(name) = parse_username(raw) else { return Ok(None) };
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = \
         (SELECT account_id FROM account_usernames WHERE username = $1)"
    );
    let row = sqlx::query(&sql).bind(name).fetch_optional(&mut *conn).await?;
    row.as_ref().map(account_from).transpose()
}

/// Every account, by sign-in name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY username");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(account_from).collect()
}

/// Sets a new password hash and raises the session epoch, which ends every earlier session.
/// Returns the new epoch.
pub async fn set_password(
    conn: &mut AnyConnection,
    id: AccountId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, session_epoch = session_epoch + 1 \
         WHERE id = $3",
    )
    .bind(password_hash)
    .bind(to_micros(now))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    let epoch: i64 = sqlx::query("SELECT session_epoch FROM accounts WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(epoch)
}

/// Disables an account and raises its session epoch; false when it was already disabled.
pub async fn disable(
    conn: &mut AnyConnection,
    id: AccountId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET disabled_at = $1, session_epoch = session_epoch + 1 \
         WHERE id = $2 AND disabled_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A review body reviewers work for.
#[derive(Clone, Debug)]
pub struct ReviewBody {
    pub id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
}

pub async fn insert_review_body(conn: &mut AnyConnection, body: &ReviewBody) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO review_bodies (id, code, name_en, name_zh) VALUES ($1, $2, $3, $4)")
        .bind(body.id.to_string())
        .bind(&body.code)
        .bind(&body.name_en)
        .bind(&body.name_zh)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn review_bodies(conn: &mut AnyConnection) -> Result<Vec<ReviewBody>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, code, name_en, name_zh FROM review_bodies ORDER BY code")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get(0)?;
            Ok(ReviewBody {
                id: Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?,
                code: r.try_get(1)?,
                name_en: r.try_get(2)?,
                name_zh: r.try_get(3)?,
            })
        })
        .collect()
}

/// An authority an account can record for, as offered in the administrator's form.
#[derive(Clone, Debug)]
pub struct AuthorityChoice {
    pub id: AuthorityId,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
}

pub async fn authority_choices(conn: &mut AnyConnection) -> Result<Vec<AuthorityChoice>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, code, name_en, name_zh FROM authorities ORDER BY code")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get(0)?;
            Ok(AuthorityChoice {
                id: AuthorityId::parse(&id).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
                code: r.try_get(1)?,
                name_en: r.try_get(2)?,
                name_zh: r.try_get(3)?,
            })
        })
        .collect()
}

/// Whether a subject with this id exists (for linking an account to it).
pub async fn subject_exists(conn: &mut AnyConnection, subject: SubjectId) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 FROM subjects WHERE id = $1")
        .bind(subject.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// The names of the subjects accounts speak for, by subject id (for the accounts list).
pub async fn linked_subject_names(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<SubjectId, String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.display_name FROM subjects s WHERE s.id IN (SELECT subject_id FROM accounts)",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get(0)?;
            let id = SubjectId::parse(&id).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?;
            Ok((id, r.try_get(1)?))
        })
        .collect()
}

/// An invitation as stored; the token itself is never stored, only its digest.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub account_id: AccountId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a new invitation for `account`, revoking any earlier one not yet used.
pub async fn create_invitation(
    conn: &mut AnyConnection,
    account: AccountId,
    created_by: Option<AccountId>,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE account_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(account.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO invitations (token_hash, account_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account.to_string())
    .bind(created_by.map(|a| a.to_string()))
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<Invitation>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT account_id, expires_at, used_at, revoked_at FROM invitations WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let account: String = r.try_get(0)?;
        Ok(Invitation {
            account_id: AccountId::parse(&account)
                .ok_or_else(|| sqlx::Error::Decode("invitations: bad account_id".into()))?,
            expires_at: from_micros(r.try_get(1)?),
            used_at: r.try_get::<Option<i64>, _>(2)?.map(from_micros),
            revoked_at: r.try_get::<Option<i64>, _>(3)?.map(from_micros),
        })
    })
    .transpose()
}

/// Marks an invitation used if it still can be (not used, revoked or expired); true when this
/// call is the one that used it. Run in the same transaction as the password it sets.
pub async fn use_invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invitations SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(to_micros(now))
    .bind(token_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_credential_never_prints_its_hash() {
        let c = Credential("$argon2id$v=19$secret".into());
        assert_eq!(format!("{c:?}"), "Credential(***)");
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(parse_username("  Ada.L ").unwrap(), "ada.l");
        assert!(parse_username("ab").is_err());
        assert!(parse_username("a b c").is_err());
    }
}
