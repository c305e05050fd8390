//! Blacklist lists and entries. An entry row is written once; notice delivery, lifting,
//! suspension and resumption are appended as actions and folded through the domain's
//! transitions, so an entry's status can be replayed at any past instant.

use std::{collections::HashMap, sync::LazyLock};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{
    from_micros,
    notices::{self, About, NoticeKind},
    register::{self, Subject},
    sql, to_micros, StoreError,
};
use crate::db::{Columns, Conn, Read};
use crate::domain::{
    AuthorityId, Currency, DomainError, Entry, EntryDraft, EntryId, LegalBasis, ListId, RemovalCondition,
    Restriction, SubjectId,
};

/// A list such as the Supreme People's Court's list of dishonest persons subject to enforcement.
#[derive(Clone, Debug)]
pub struct BlacklistList {
    pub id: ListId,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub authority: AuthorityId,
    /// The in-app notice of a new entry counts as the delivery of its notice.
    pub in_app_delivery: bool,
}

/// Something that happened to an entry after it was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryAction {
    NoticeDelivered,
    Lifted,
    Suspended,
    Resumed,
}

impl EntryAction {
    pub fn code(self) -> &'static str {
        match self {
            EntryAction::NoticeDelivered => "notice_delivered",
            EntryAction::Lifted => "lifted",
            EntryAction::Suspended => "suspended",
            EntryAction::Resumed => "resumed",
        }
    }

    fn parse(code: &str) -> Result<Self, StoreError> {
        Ok(match code {
            "notice_delivered" => EntryAction::NoticeDelivered,
            "lifted" => EntryAction::Lifted,
            "suspended" => EntryAction::Suspended,
            "resumed" => EntryAction::Resumed,
            other => return Err(StoreError::corrupt(format!("unknown entry action {other}"))),
        })
    }
}

/// One appended action with its written reason.
#[derive(Clone, Debug)]
pub struct ActionRecord {
    pub action: EntryAction,
    pub at: DateTime<Utc>,
    pub reason: String,
    pub recorded_at: DateTime<Utc>,
}

/// An entry as it stood at the instant it was loaded for, with the actions on file then (a
/// replay never lists an action recorded after the instant it shows).
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub entry: Entry,
    pub recorded_at: DateTime<Utc>,
    pub actions: Vec<ActionRecord>,
}

pub async fn insert_list(conn: &mut AnyConnection, list: &BlacklistList) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO blacklist_lists (id, code, name_en, name_zh, authority_id, in_app_delivery) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(list.id.to_string())
    .bind(&list.code)
    .bind(&list.name_en)
    .bind(&list.name_zh)
    .bind(list.authority.to_string())
    .bind(i64::from(list.in_app_delivery))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Checks a new entry with the domain and stores it. On a list whose in-app notice counts as
/// delivery, an entry recorded without a delivered notice is delivered by the notice written
/// here, now: it takes effect then at the earliest (an entry never restricts before its notice).
pub async fn insert_entry(
    conn: &mut AnyConnection,
    mut draft: EntryDraft,
    now: DateTime<Utc>,
) -> Result<Entry, StoreError> {
    let in_app: Option<i64> = sqlx::query_scalar("SELECT in_app_delivery FROM blacklist_lists WHERE id = $1")
        .bind(draft.list.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if in_app == Some(1) && draft.notice_delivered_at.is_none() {
        draft.notice_delivered_at = Some(now);
        draft.effective_from = draft.effective_from.max(now);
    }
    let mandates = super::mandates::of(conn, draft.authority).await?;
    let entry = Entry::new(draft, &mandates, now)?;
    let (cents, currency, text) = match entry.removal() {
        RemovalCondition::PayAmount { cents, currency } => {
            (Some(*cents), Some(currency.as_str().to_string()), None)
        }
        RemovalCondition::Appeal => (None, None, None),
        RemovalCondition::Other { text } => (None, None, Some(text.clone())),
    };
    let restrictions: Vec<&str> = entry.restrictions().iter().map(|r| r.code()).collect();
    // The case number's claim first: `entry_case_numbers`, keyed by (case number, authority),
    // keeps an authority's case numbers unique across subjects (and shards).
    let claimed = sqlx::query(
        "INSERT INTO entry_case_numbers (authority_id, case_number, subject_id, entry_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(entry.authority().to_string())
    .bind(entry.case_number())
    .bind(entry.subject().to_string())
    .bind(entry.id().to_string())
    .execute(&mut *conn)
    .await;
    let inserted = match claimed {
        Ok(_) => sqlx::query(
        "INSERT INTO blacklist_entries (id, subject_id, list_id, authority_id, case_number, legal_basis, reason, \
         restrictions, notice_delivered_at, effective_from, expires_at, removal_kind, removal_cents, \
         removal_currency, removal_text, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(entry.id().to_string())
    .bind(entry.subject().to_string())
    .bind(entry.list().to_string())
    .bind(entry.authority().to_string())
    .bind(entry.case_number())
    .bind(entry.legal_basis().as_str())
    .bind(entry.reason())
    .bind(restrictions.join(","))
    .bind(entry.notice_delivered_at().map(to_micros))
    .bind(to_micros(entry.effective_from()))
    .bind(entry.expires_at().map(to_micros))
    .bind(entry.removal().code())
    .bind(cents)
    .bind(currency)
    .bind(text)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await,
        Err(e) => Err(e),
    };
    match inserted {
        Ok(_) => {
            notices::notify(conn, entry.subject(), NoticeKind::EntryRecorded, About::Entry(entry.id()), now)
                .await?;
            Ok(entry)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
            "case number {:?} is already listed by this authority",
            entry.case_number()
        ))),
        Err(e) => Err(e.into()),
    }
}

const ENTRY_COLUMNS: &str = "id, subject_id, list_id, authority_id, case_number, legal_basis, reason, \
     restrictions, notice_delivered_at, effective_from, expires_at, removal_kind, removal_cents, \
     removal_currency, removal_text, recorded_at";

fn draft_from_row(row: &impl Columns) -> Result<(EntryDraft, DateTime<Utc>), StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.column::<String>(c)?) };
    let restrictions = text("restrictions")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(Restriction::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let removal = match text("removal_kind")?.as_str() {
        "pay_amount" => RemovalCondition::PayAmount {
            cents: row.column::<Option<i64>>("removal_cents")?.unwrap_or_default(),
            currency: Currency::parse(
                &row.column::<Option<String>>("removal_currency")?.unwrap_or_default(),
            )?,
        },
        "appeal" => RemovalCondition::Appeal,
        _ => RemovalCondition::Other {
            text: row.column::<Option<String>>("removal_text")?.unwrap_or_default(),
        },
    };
    let draft = EntryDraft {
        id: EntryId::parse(&text("id")?)?,
        subject: SubjectId::parse(&text("subject_id")?)?,
        list: ListId::parse(&text("list_id")?)?,
        authority: AuthorityId::parse(&text("authority_id")?)?,
        case_number: text("case_number")?,
        legal_basis: LegalBasis::parse(&text("legal_basis")?)?,
        reason: text("reason")?,
        restrictions,
        notice_delivered_at: row.column::<Option<i64>>("notice_delivered_at")?.map(from_micros),
        effective_from: from_micros(row.column("effective_from")?),
        expires_at: row.column::<Option<i64>>("expires_at")?.map(from_micros),
        removal,
    };
    Ok((draft, from_micros(row.column("recorded_at")?)))
}

/// Folds the actions read with the entry into it; a reader as of an instant reads only the
/// actions recorded by then.
fn restore(
    draft: EntryDraft,
    recorded_at: DateTime<Utc>,
    actions: Vec<ActionRecord>,
) -> Result<StoredEntry, StoreError> {
    let mut entry = Entry::restore(draft, None, None)?;
    for a in &actions {
        match a.action {
            EntryAction::NoticeDelivered => entry.deliver_notice(a.at)?,
            EntryAction::Lifted => entry.lift(a.at)?,
            EntryAction::Suspended => entry.suspend(a.at)?,
            EntryAction::Resumed => entry.resume(a.at)?,
        }
    }
    Ok(StoredEntry { entry, recorded_at, actions })
}

async fn actions_of(conn: &mut AnyConnection, entry: EntryId) -> Result<Vec<ActionRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT action, at, reason, recorded_at FROM blacklist_entry_actions WHERE entry_id = $1 \
         ORDER BY recorded_at, id",
    )
    .bind(entry.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| action_from_row(r, 0)).collect()
}

/// The action in the columns from `first` on: action, at, reason, recorded_at.
fn action_from_row(r: &impl Columns, first: usize) -> Result<ActionRecord, StoreError> {
    Ok(ActionRecord {
        action: EntryAction::parse(&r.column::<String>(first)?)?,
        at: from_micros(r.column(first + 1)?),
        reason: r.column(first + 2)?,
        recorded_at: from_micros(r.column(first + 3)?),
    })
}

/// A subject's entries as known at `as_of` (now when `None`), oldest first.
pub async fn entries_of(
    conn: &mut AnyConnection,
    subject: SubjectId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<StoredEntry>, StoreError> {
    Ok(subject_with_entries(conn, subject, as_of).await?.map(|(_, entries)| entries).unwrap_or_default())
}

/// A subject and their entries as known at `as_of` (now when `None`), oldest first, each with
/// the actions recorded by then: one statement, where the subject, the entries and their
/// actions were three. The three tables are the subject's own rows, on one shard once
/// distributed.
pub async fn subject_with_entries<'a>(
    from: impl Into<Conn<'a>>,
    subject: SubjectId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Option<(Subject, Vec<StoredEntry>)>, StoreError> {
    // Built once: the record page runs it on every request.
    static STATEMENT: LazyLock<String> =
        LazyLock::new(|| format!("{} ORDER BY {}", subject_with_entries_sql(""), ENTRY_ORDER.as_str()));
    let mut reader = EntryRows::new(subject);
    let rows = Read::new(&STATEMENT)
        .bind(subject.to_string())
        .bind(as_of.map(to_micros).unwrap_or(i64::MAX))
        .all(from, |row| reader.read(row))
        .await?;
    EntryRows::finish(rows)
}

/// The statement [`EntryRows`] reads, `$1` the subject and `$2` the instant (in microseconds),
/// with `extra` columns after the reader's ("" for none, else starting with a comma), without
/// its order ([`ENTRY_ORDER`]) so that a caller can make it one part of a `UNION ALL`.
pub(crate) fn subject_with_entries_sql(extra: &str) -> String {
    // The subject's columns come first and the action's next, read by position; the entry's
    // are read by name, so the action's that share a name are renamed.
    format!(
        "SELECT {}, a.action, a.at AS action_at, a.reason AS action_reason, \
         a.recorded_at AS action_recorded_at, a.id AS action_id, {}{extra} FROM subjects s \
         LEFT JOIN blacklist_entries e ON e.subject_id = s.id AND e.recorded_at <= $2 \
         LEFT JOIN blacklist_entry_actions a ON a.subject_id = e.subject_id AND a.entry_id = e.id \
         AND a.recorded_at <= $2 WHERE s.id = $1",
        sql::qualified(register::SUBJECT_COLUMNS, "s"),
        sql::qualified(ENTRY_COLUMNS, "e"),
    )
}

/// How many columns [`subject_with_entries_sql`] has before the extra ones.
pub(crate) const SUBJECT_WITH_ENTRIES_COLUMNS: usize =
    FIRST_ACTION_COLUMN + ACTION_COLUMNS + sql::column_count(ENTRY_COLUMNS);
/// Where [`subject_with_entries_sql`]'s action columns begin (from 0): after the subject's.
const FIRST_ACTION_COLUMN: usize = sql::column_count(register::SUBJECT_COLUMNS);
/// The action's columns.
const ACTION_COLUMNS: usize = 5;

/// The order [`EntryRows`] reads [`subject_with_entries_sql`]'s rows in: by the entry's start,
/// its id, then its actions' time and id. By position, so it also orders a union of it.
pub(crate) static ENTRY_ORDER: LazyLock<String> = LazyLock::new(|| {
    // SQL counts positions from 1.
    let entry_column = |name: &str| {
        let at = ENTRY_COLUMNS.split(',').position(|c| c.trim() == name).expect("an entry column");
        FIRST_ACTION_COLUMN + ACTION_COLUMNS + at + 1
    };
    let (action_recorded_at, action_id) = (FIRST_ACTION_COLUMN + 4, FIRST_ACTION_COLUMN + 5);
    format!("{}, {}, {action_recorded_at}, {action_id}", entry_column("effective_from"), entry_column("id"))
});

/// One row of [`subject_with_entries_sql`], as [`EntryRows::read`] reads it: the subject (the
/// first row's), the entry when it is not the previous row's, and the action.
pub(crate) struct EntryRow(Option<Subject>, Option<(EntryDraft, DateTime<Utc>)>, Option<ActionRecord>);

/// Reads a subject and their entries from [`subject_with_entries_sql`]'s rows, in
/// [`ENTRY_ORDER`].
pub(crate) struct EntryRows {
    subject: SubjectId,
    first: bool,
    previous: Option<String>,
}

impl EntryRows {
    pub(crate) fn new(subject: SubjectId) -> Self {
        Self { subject, first: true, previous: None }
    }

    /// One row; rows are read in order. A subject without entries has one row, with none of
    /// the entry's columns.
    pub(crate) fn read(&mut self, row: &impl Columns) -> Result<EntryRow, StoreError> {
        let subject = if std::mem::take(&mut self.first) {
            Some(register::subject_from_row(row, self.subject)?)
        } else {
            None
        };
        let Some(id) = row.column::<Option<String>>("id")? else { return Ok(EntryRow(subject, None, None)) };
        let action = match row.column::<Option<String>>(FIRST_ACTION_COLUMN)? {
            Some(_) => Some(action_from_row(row, FIRST_ACTION_COLUMN)?),
            None => None,
        };
        let entry =
            if self.previous.as_deref() != Some(id.as_str()) { Some(draft_from_row(row)?) } else { None };
        self.previous = Some(id);
        Ok(EntryRow(subject, entry, action))
    }

    /// The subject and their entries from every row read; none without a row (no such subject).
    pub(crate) fn finish(
        rows: impl IntoIterator<Item = EntryRow>,
    ) -> Result<Option<(Subject, Vec<StoredEntry>)>, StoreError> {
        let mut rows = rows.into_iter().peekable();
        let Some(found) = rows.peek_mut().and_then(|EntryRow(subject, _, _)| subject.take()) else {
            return Ok(None);
        };
        let mut entries = Vec::new();
        let mut reading: Option<(EntryDraft, DateTime<Utc>, Vec<ActionRecord>)> = None;
        for EntryRow(_, entry, action) in rows {
            if let Some((draft, recorded_at)) = entry {
                if let Some((draft, recorded_at, actions)) = reading.replace((draft, recorded_at, Vec::new()))
                {
                    entries.push(restore(draft, recorded_at, actions)?);
                }
            }
            if let Some(action) = action {
                let (_, _, actions) = reading
                    .as_mut()
                    .ok_or_else(|| StoreError::corrupt("an entry's action before its entry"))?;
                actions.push(action);
            }
        }
        if let Some((draft, recorded_at, actions)) = reading {
            entries.push(restore(draft, recorded_at, actions)?);
        }
        Ok(Some((found, entries)))
    }
}

/// One entry by id, whoever it belongs to; callers check ownership.
pub async fn entry(conn: &mut AnyConnection, id: EntryId) -> Result<Option<StoredEntry>, StoreError> {
    let row = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM blacklist_entries WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (draft, recorded_at) = draft_from_row(&row)?;
    let actions = actions_of(conn, draft.id).await?;
    Ok(Some(restore(draft, recorded_at, actions)?))
}

/// Appends an action after checking it against the entry's current state.
pub async fn act(
    conn: &mut AnyConnection,
    id: EntryId,
    action: EntryAction,
    at: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Entry, StoreError> {
    let mut stored = entry(conn, id).await?.ok_or_else(|| StoreError::corrupt("no such entry"))?;
    if at > now {
        return Err(DomainError::FutureDate { field: "at" }.into());
    }
    match action {
        EntryAction::NoticeDelivered => stored.entry.deliver_notice(at)?,
        EntryAction::Lifted => stored.entry.lift(at)?,
        EntryAction::Suspended => stored.entry.suspend(at)?,
        EntryAction::Resumed => stored.entry.resume(at)?,
    }
    sqlx::query(
        "INSERT INTO blacklist_entry_actions (id, entry_id, subject_id, action, at, reason, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(id.to_string())
    .bind(stored.entry.subject().to_string())
    .bind(action.code())
    .bind(to_micros(at))
    .bind(reason)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    notices::notify(conn, stored.entry.subject(), NoticeKind::EntryChanged, About::Entry(id), now).await?;
    Ok(stored.entry)
}

/// The entries `authority` recorded, oldest first by id (UUIDv7), after `after`: a keyset page.
pub async fn recorded_by(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    after: Option<EntryId>,
    limit: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM blacklist_entries WHERE authority_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(authority.to_string())
    .bind(after.map(|a| a.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let drafts = rows.iter().map(draft_from_row).collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = drafts.iter().map(|(draft, _)| draft.id.to_string()).collect();
    let mut actions = actions_of_each(conn, &ids).await?;
    drafts
        .into_iter()
        .map(|(draft, recorded_at)| {
            let of_entry = actions.remove(&draft.id.to_string()).unwrap_or_default();
            restore(draft, recorded_at, of_entry)
        })
        .collect()
}

/// The actions of each of `entries`, in the order they were recorded: one statement for a page
/// of entries, where one an entry made a page of the API's listing up to 1,001 statements.
async fn actions_of_each(
    conn: &mut AnyConnection,
    entries: &[String],
) -> Result<HashMap<String, Vec<ActionRecord>>, StoreError> {
    let mut out: HashMap<String, Vec<ActionRecord>> = HashMap::new();
    if entries.is_empty() {
        return Ok(out);
    }
    let statement = sql::among(conn, "entry_id", 1, entries.len(), "entry_id, recorded_at, id", |among| {
        format!(
            "SELECT entry_id, action, at, reason, recorded_at, id FROM blacklist_entry_actions WHERE {among}"
        )
    });
    let statement = sql::positional(conn, statement);
    let query = sql::bind_among(conn, sqlx::query(&statement), entries);
    for row in query.fetch_all(&mut *conn).await? {
        out.entry(row.try_get(0)?).or_default().push(action_from_row(&row, 1)?);
    }
    Ok(out)
}

/// The entry `authority` recorded under `case_number` (unique per authority), if any.
pub async fn by_case_number(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    case_number: &str,
) -> Result<Option<StoredEntry>, StoreError> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT entry_id FROM entry_case_numbers WHERE authority_id = $1 AND case_number = $2",
    )
    .bind(authority.to_string())
    .bind(case_number)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => entry(conn, EntryId::parse(&id)?).await,
        None => Ok(None),
    }
}
