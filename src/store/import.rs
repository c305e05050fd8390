//! Bulk recording: the fast path behind batches and file imports. It keeps exactly the rules of
//! [`records::record_fact_in`] — the domain checks each event ([`domain::record_fact`]), the same
//! external reference with the same content is a duplicate and with other content is refused, the
//! subject must be enrolled, every new event gets its notice — but does the work in batches:
//! schemes are loaded once, subjects and earlier references are looked up and membership rows
//! locked a chunk at a time, events and notices are inserted with multi-row statements. No score
//! is stored, so a commit never re-reads a subject's earlier records.
//!
//! All-or-nothing imports run in one transaction, rolled back if any row is refused (the report
//! still lists every problem); a crash leaves nothing. Good-rows imports commit every
//! [`COMMIT_ROWS`] rows: a crash leaves the chunks committed so far (each with its audit row and
//! the job's `rows_done`), and re-sending the file records nothing twice.

use std::{
    collections::{hash_map::RandomState, HashMap, HashSet},
    hash::BuildHasher,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use chrono::{DateTime, Utc};
use sqlx::{pool::PoolConnection, Any, AnyConnection, Executor, Row};
use uuid::Uuid;

use super::{
    audit::Actor,
    catalogue::{self, SchemeContext},
    chain, mandates,
    notices::{self, NoticeKind},
    records::{self, Provenance, EVENT_COLUMNS},
    sql, to_micros, StoreError,
};
use crate::{
    db::{Db, Dialect},
    domain::{self, AuthorityId, Event, EventId, Fact, Mandates, SchemeId, Source, SubjectId},
    store::accounts::AccountId,
};

mod postgres;

/// Good-rows imports commit after this many rows.
pub const COMMIT_ROWS: u64 = 50_000;
/// A commit of this many new rows or more has its log copied back into the database file by a
/// checkpoint (see `Importer::commit`); a smaller one's is copied by the next ordinary write's
/// automatic checkpoint.
const CHECKPOINT_ROWS: u64 = 2_000;
/// Problems kept for the report; beyond this they are only counted.
pub const MAX_PROBLEMS_KEPT: usize = 1_000;

/// One event to record, as read from a row of a batch or a file.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// The row number in the file (1 = first data row), or the position in a batch.
    pub row: u64,
    pub subject: SubjectId,
    /// The scheme's code, as in public URLs.
    pub scheme: String,
    pub fact: Fact,
    pub external_ref: String,
    pub provenance: Provenance,
}

/// What to do with a file in which some rows are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One transaction: any refused row records nothing at all.
    AllOrNothing,
    /// Refused rows are reported and skipped; the others are recorded.
    GoodRows,
}

impl Mode {
    pub fn code(self) -> &'static str {
        match self {
            Mode::AllOrNothing => "all_or_nothing",
            Mode::GoodRows => "good_rows",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Mode::AllOrNothing, Mode::GoodRows].into_iter().find(|m| m.code() == code.trim())
    }
}

/// One problem of one row: which field, a stable code and a message naming the fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 0 for the file as a whole (its header, its encoding).
    pub row: u64,
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn new(row: u64, field: &str, code: &str, message: impl Into<String>) -> Self {
        Self { row, field: field.into(), code: code.into(), message: message.into() }
    }

    fn domain(row: u64, e: &domain::DomainError) -> Self {
        Self::new(row, e.field().unwrap_or(""), e.code(), e.to_string())
    }
}

/// What happened to a row that was not refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowOutcome {
    Recorded(EventId),
    /// Sent before with the same content: nothing written.
    Duplicate(EventId),
}

/// The report of a batch or an import.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub import_id: Uuid,
    pub rows: u64,
    pub recorded: u64,
    pub duplicates: u64,
    pub refused: u64,
    /// The first [`MAX_PROBLEMS_KEPT`] problems, in row order.
    pub problems: Vec<Problem>,
    pub problems_total: u64,
    /// False when an all-or-nothing import was rolled back: then nothing was recorded.
    pub committed: bool,
    /// Per-row outcomes, when asked for (batches; never for files).
    pub outcomes: Vec<(u64, RowOutcome)>,
}

impl Summary {
    /// Keeps a problem for the report (the first [`MAX_PROBLEMS_KEPT`]) and counts it.
    fn note(&mut self, problem: Problem) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(problem);
        }
    }

    /// A row refused for `problems`.
    fn refuse(&mut self, problems: Vec<Problem>) {
        self.refused += 1;
        for problem in problems {
            self.note(problem);
        }
    }
}

/// Where an import came from, for its job row and audit rows.
#[derive(Clone, Debug)]
pub struct Origin {
    pub authority: AuthorityId,
    pub actor: Actor,
    pub account: Option<AccountId>,
    /// `csv` or `json`.
    pub format: &'static str,
}

/// An import in progress. Feed it chunks of rows with [`Importer::push`], then [`Importer::finish`].
pub struct Importer {
    db: Db,
    origin: Origin,
    mode: Mode,
    now: DateTime<Utc>,
    /// The import's own connection (see [`Importer::tx`]), opened on first use.
    conn: Option<PoolConnection<Any>>,
    /// Whether a transaction is open on it (between commits, none is).
    in_tx: bool,
    contexts: HashMap<String, Option<Arc<SchemeContext>>>,
    references: References,
    /// Rows checked and accepted but not yet inserted: they are written while the next chunk
    /// is checked, or at the commit.
    pending: Vec<(Event, Provenance)>,
    /// Records written to since the last commit, with the first event recorded on each: its
    /// subject is sent one notice (about that event) before the commit.
    touched: HashMap<(SubjectId, SchemeId), EventId>,
    /// Memberships found and locked in the open transaction: a subject's row is locked once per
    /// transaction, not once per chunk (the lock holds until the commit).
    locked: HashSet<(SubjectId, SchemeId)>,
    /// The open transaction's audit rows, and the heads of their chains, written by the commit.
    audit: chain::ImportRows,
    since_commit: u64,
    keep_outcomes: bool,
    summary: Summary,
    /// The counts as of the last commit: what a failure leaves recorded.
    committed: Committed,
    /// Keeps the job row's heartbeat fresh while the import lives (see [`Heartbeat`]).
    _heartbeat: Option<Heartbeat>,
    /// Rows read so far, for a progress page.
    pub progress: Arc<AtomicU64>,
}

impl Importer {
    /// Opens the import's job row (committed at once, so a progress page can find it).
    pub async fn start(
        db: &Db,
        origin: Origin,
        mode: Mode,
        keep_outcomes: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let id = Uuid::now_v7();
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "INSERT INTO imports (id, authority_id, account_id, actor, format, mode, status, started_at, \
             owner, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(origin.authority.to_string())
        .bind(origin.account.map(|a| a.to_string()))
        .bind(&origin.actor.label)
        .bind(origin.format)
        .bind(mode.code())
        .bind(to_micros(now))
        .bind(INSTANCE.to_string())
        .bind(to_micros(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let detail = serde_json::json!({ "authority": origin.authority.to_string(), "mode": mode.code() });
        let audit = chain::ImportRows::new(&origin.actor, &id.to_string(), &detail, now);
        Ok(Self {
            db: db.clone(),
            origin,
            mode,
            now,
            conn: None,
            in_tx: false,
            contexts: HashMap::new(),
            references: References::default(),
            pending: Vec::new(),
            touched: HashMap::new(),
            locked: HashSet::new(),
            audit,
            since_commit: 0,
            keep_outcomes,
            summary: Summary { import_id: id, committed: true, ..Summary::default() },
            committed: Committed::default(),
            _heartbeat: Heartbeat::start(db, id),
            progress: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn id(&self) -> Uuid {
        self.summary.import_id
    }

    /// Whether an all-or-nothing import already has a refused row (nothing more will be written).
    fn doomed(&self) -> bool {
        self.mode == Mode::AllOrNothing && self.summary.refused > 0
    }

    /// A problem of the file as a whole (a bad header, unreadable bytes): counted, not a row.
    pub fn file_problem(&mut self, problem: Problem) {
        self.summary.note(problem);
        // An all-or-nothing file with an unreadable part records nothing.
        if self.mode == Mode::AllOrNothing {
            self.summary.refused = self.summary.refused.max(1);
        }
    }

    async fn context(&mut self, code: &str) -> Result<Option<Arc<SchemeContext>>, StoreError> {
        if let Some(found) = self.contexts.get(code) {
            return Ok(found.clone());
        }
        // Read inside the import's transaction, and kept only until its commit: a repeal that
        // commits meanwhile is either seen or (PostgreSQL: the versions are share-locked, as a
        // single write locks the one it uses) waits for the commit and voids what it wrote.
        let postgres = self.db.dialect == Dialect::Postgres;
        let conn = self.tx().await?;
        let found = match catalogue::scheme_by_code(conn, code).await? {
            Some(record) => {
                if postgres {
                    sqlx::query("SELECT id FROM rule_versions WHERE scheme_id = $1 FOR SHARE")
                        .bind(record.scheme.id().to_string())
                        .execute(&mut *conn)
                        .await?;
                }
                let catalogue = catalogue::catalogue(conn, &record.scheme).await?;
                Some(Arc::new(SchemeContext { record, catalogue }))
            }
            None => None,
        };
        self.contexts.insert(code.to_string(), found.clone());
        Ok(found)
    }

    /// The open transaction, begun on first use. It runs on a connection of its own, kept
    /// from one commit to the next (with its page cache) and closed, never handed back to the
    /// pool, when the import lets go of it: on SQLite that connection does not enforce foreign
    /// keys, and a transaction dropped half-way (the request cancelled) is rolled back by the
    /// close.
    async fn tx(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if self.conn.is_none() {
            let mut conn = self.db.pool.acquire().await?;
            conn.close_on_drop();
            if self.db.dialect == Dialect::Sqlite {
                // Every reference an event carries is checked by the importer itself inside
                // this write transaction (the subject and scheme by its locked membership row,
                // the rule version by the catalogue read in it, the authority by the job row
                // written at the start), and nothing ever deletes those rows. Without the
                // database's own checks — four index lookups a row — and with `INSERT OR FAIL`
                // (see `insert`), no statement can need undoing on its own, so SQLite keeps no
                // statement journal, which copied every index page each multi-row insert
                // touched to a temporary file. Together a third of the insert time.
                // (Only outside a transaction does this setting take effect.)
                conn.execute("PRAGMA foreign_keys = OFF").await?;
                // A large transaction's pages stay in memory instead of spilling to the log and
                // being read back (a third of the insert time at SQLite's default 2 MB). 96 MB:
                // at 128 MB a million-row import re-read a little less, but a good-rows import
                // of it peaked at 292 MB against a budget of 300 MB. The cache goes with the
                // connection, closed when the import lets go of it.
                conn.execute("PRAGMA cache_size = -98304").await?;
                // Its commit does not copy the log back into the database file: a checkpoint
                // after it does (see `commit`).
                conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
            }
            self.conn = Some(conn);
        }
        let conn = self.conn.as_deref_mut().expect("just opened");
        if !self.in_tx {
            if self.db.dialect == Dialect::Sqlite {
                // The write lock now, waiting its turn, instead of failing later when a read
                // snapshot cannot be upgraded.
                conn.execute("BEGIN IMMEDIATE").await?;
            } else {
                conn.execute("BEGIN").await?;
                // A generic plan for "reference IN ($2, …, $255)", made while the statistics
                // showed a small table, walked every event of the authority and rebuilt the
                // list for each (PostgreSQL ran at a few hundred events/s); plans made for the
                // values at hand use the unique index.
                conn.execute("SET LOCAL plan_cache_mode = force_custom_plan").await?;
            }
            self.in_tx = true;
        }
        Ok(conn)
    }

    /// Checks and records one chunk of rows; rows already refused while reading come as `Err`.
    pub async fn push(&mut self, rows: Vec<Result<NewEvent, Vec<Problem>>>) -> Result<(), StoreError> {
        self.summary.rows += rows.len() as u64;
        self.progress.fetch_add(rows.len() as u64, Ordering::Relaxed);
        let mut candidates = Vec::with_capacity(rows.len());
        for row in rows {
            match row {
                Ok(event) => candidates.push(event),
                Err(problems) => self.summary.refuse(problems),
            }
        }
        // The scheme of each row.
        let mut by_scheme: Vec<(Arc<SchemeContext>, NewEvent)> = Vec::with_capacity(candidates.len());
        for event in candidates {
            match self.context(event.scheme.trim()).await? {
                Some(ctx) => by_scheme.push((ctx, event)),
                None => {
                    let message = format!("no scheme has the code {:?}", event.scheme);
                    self.summary.refuse(vec![Problem::new(event.row, "scheme", "unknown_scheme", message)]);
                }
            }
        }
        let write = !self.doomed();
        let (members, known) = self.memberships(&by_scheme, write).await?;
        let existing = self.existing(&by_scheme).await?;
        // Read per chunk, in its transaction: a mandate revoked meanwhile stops the next chunk.
        let authority = self.origin.authority;
        let mandates = mandates::of(self.tx().await?, authority).await?;
        let found = Found { members, known, existing, mandates };
        let sieve = Sieve {
            summary: &mut self.summary,
            references: &mut self.references,
            touched: &mut self.touched,
            since_commit: &mut self.since_commit,
            keep_outcomes: self.keep_outcomes,
            authority: self.origin.authority,
            now: self.now,
        };
        let pending = std::mem::take(&mut self.pending);
        let accepted = match self.conn.take() {
            Some(mut conn) if write && !pending.is_empty() => {
                // The previous chunk's rows are written, and their audit rows when due, by a
                // task of their own while this chunk's are checked here: two threads at once.
                // (Polling the write once before checking overlapped its first statement alone;
                // the rest of it, the audit rows' digests among it, then ran while the database
                // waited.)
                let mut audit = self.audit.take();
                let writer = tokio::spawn(async move {
                    let written = write_batch(&mut conn, &mut audit, &pending).await;
                    (conn, audit, written)
                });
                let accepted = sieve.sift(by_scheme, &found);
                let (conn, audit, written) = match writer.await {
                    Ok(done) => done,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(_) => {
                        // The runtime is stopping; the connection went with the task, and its
                        // transaction with it, rolled back by the close.
                        self.in_tx = false;
                        return Err(StoreError::Db(sqlx::Error::WorkerCrashed));
                    }
                };
                self.conn = Some(conn);
                self.audit = audit;
                written?;
                accepted
            }
            conn => {
                self.conn = conn;
                sieve.sift(by_scheme, &found)
            }
        };
        if !self.doomed() {
            self.pending = accepted;
        }
        if self.mode == Mode::GoodRows && self.since_commit >= COMMIT_ROWS {
            self.commit(More::Rows).await?;
        }
        Ok(())
    }

    /// The (subject, scheme) pairs of the chunk that are enrolled (their rows locked when the
    /// chunk will be written, before anything of theirs is read), and the subjects that exist.
    async fn memberships(
        &mut self,
        rows: &[(Arc<SchemeContext>, NewEvent)],
        lock: bool,
    ) -> Result<(HashSet<(SubjectId, SchemeId)>, HashSet<SubjectId>), StoreError> {
        let mut members = HashSet::new();
        let mut known = HashSet::new();
        let mut wanted: HashMap<SchemeId, Vec<SubjectId>> = HashMap::new();
        for (ctx, new) in rows {
            let pair = (new.subject, ctx.scheme().id());
            if lock && self.locked.contains(&pair) {
                members.insert(pair);
                known.insert(new.subject);
            } else {
                wanted.entry(pair.1).or_default().push(new.subject);
            }
        }
        let now = to_micros(self.now);
        let postgres = self.db.dialect == Dialect::Postgres;
        let conn = self.tx().await?;
        let lookup = sql::params(conn) - 2;
        for (scheme, mut subjects) in wanted {
            subjects.sort_unstable();
            subjects.dedup();
            if postgres {
                let (enrolled, exist) = postgres::memberships(conn, scheme, &subjects, lock).await?;
                members.extend(enrolled.into_iter().map(|s| (s, scheme)));
                known.extend(exist);
                continue;
            }
            for batch in subjects.chunks(lookup) {
                if lock {
                    // Sorted, so two imports lock in the same order.
                    let sql = sql::positional(
                        conn,
                        format!(
                            "UPDATE scheme_memberships SET last_write_at = $1 WHERE scheme_id = $2 AND subject_id IN {}",
                            sql::list(3, batch.len())
                        ),
                    );
                    let mut query = sqlx::query(&sql).bind(now).bind(scheme.to_string());
                    for s in batch {
                        query = query.bind(s.to_string());
                    }
                    query.execute(&mut *conn).await?;
                }
                let sql = sql::positional(
                    conn,
                    format!(
                        "SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 AND subject_id IN {}",
                        sql::list(2, batch.len())
                    ),
                );
                let mut query = sqlx::query(&sql).bind(scheme.to_string());
                for s in batch {
                    query = query.bind(s.to_string());
                }
                for row in query.fetch_all(&mut *conn).await? {
                    let subject = SubjectId::parse(&row.try_get::<String, _>(0)?)?;
                    members.insert((subject, scheme));
                    known.insert(subject);
                }
                let missing: Vec<&SubjectId> =
                    batch.iter().filter(|s| !members.contains(&(**s, scheme))).collect();
                if !missing.is_empty() {
                    let sql = sql::positional(
                        conn,
                        format!("SELECT id FROM subjects WHERE id IN {}", sql::list(1, missing.len())),
                    );
                    let mut query = sqlx::query(&sql);
                    for s in &missing {
                        query = query.bind(s.to_string());
                    }
                    for row in query.fetch_all(&mut *conn).await? {
                        known.insert(SubjectId::parse(&row.try_get::<String, _>(0)?)?);
                    }
                }
            }
        }
        if lock {
            self.locked.extend(members.iter().copied());
        }
        Ok((members, known))
    }

    /// This authority's records that already carry one of the chunk's references.
    async fn existing(
        &mut self,
        rows: &[(Arc<SchemeContext>, NewEvent)],
    ) -> Result<HashMap<String, Event>, StoreError> {
        let mut refs: Vec<&str> = rows.iter().map(|(_, n)| n.external_ref.trim()).collect();
        refs.sort_unstable();
        refs.dedup();
        let postgres = self.db.dialect == Dialect::Postgres;
        let authority = self.origin.authority;
        let conn = self.tx().await?;
        let mut found = HashMap::new();
        if postgres {
            for event in postgres::existing(conn, authority, &refs).await? {
                found.insert(event.external_ref.clone(), event);
            }
            return Ok(found);
        }
        let authority = authority.to_string();
        for batch in refs.chunks(sql::params(conn) - 1) {
            let sql = sql::positional(
                conn,
                format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE id IN (SELECT event_id FROM event_references \
                     WHERE authority_id = $1 AND external_ref IN {})",
                    sql::list(2, batch.len())
                ),
            );
            let mut query = sqlx::query(&sql).bind(&authority);
            for r in batch {
                query = query.bind(*r);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let stored = records::event_from_row(&row)?;
                found.insert(stored.event.external_ref.clone(), stored.event);
            }
        }
        Ok(found)
    }

    /// Writes the chunk's records, notices, audit row and progress, and commits.
    async fn commit(&mut self, more: More) -> Result<(), StoreError> {
        let Some(tx) = self.conn.as_deref_mut().filter(|_| self.in_tx) else { return Ok(()) };
        let pending = std::mem::take(&mut self.pending);
        write_batch(tx, &mut self.audit, &pending).await?;
        self.audit.write(tx).await?;
        notify_touched(tx, &self.touched, self.now).await?;
        self.touched.clear();
        self.locked.clear();
        progress_row(tx, &self.summary, "running").await?;
        tx.execute("COMMIT").await?;
        self.in_tx = false;
        self.committed = Committed::of(&self.summary);
        if self.since_commit >= CHECKPOINT_ROWS {
            match more {
                // Before the next chunk: a checkpoint in the background, racing it, never found
                // the log wholly copied when a chunk began, so the log was never started over
                // and grew by every chunk (to 4 GB over two million-row good-rows imports, the
                // second taking 2.5 times as long as the first).
                More::Rows => self.db.checkpoint(tx).await,
                More::Nothing => self.db.checkpoint_soon(),
            }
        }
        self.since_commit = 0;
        // The next transaction reads the catalogue afresh (see `context`).
        self.contexts.clear();
        Ok(())
    }

    /// Commits (or, for an all-or-nothing import with a refused row, rolls back) and closes the
    /// job row with the report.
    /// On an error, the job row says `failed` and the error carries what stays recorded.
    pub async fn finish(mut self) -> Result<Summary, Failed> {
        let ended = if self.doomed() {
            self.summary.committed = false;
            self.summary.recorded = 0;
            self.summary.outcomes.clear();
            self.rollback().await
        } else {
            self.commit(More::Nothing).await
        };
        if let Err(error) = ended {
            let kept = self.fail(reason_of(&error)).await;
            return Err(Failed { error, kept });
        }
        let _ = self.close().await;
        let status = if self.summary.committed { "done" } else { "refused" };
        // The rows are committed (or rolled back) now: if the report cannot be written, the error
        // says what stays recorded, and the job row keeps the counts of the commit.
        let report = async {
            let mut tx = self.db.begin_write().await?;
            progress_row(&mut tx, &self.summary, status).await?;
            for (position, p) in self.summary.problems.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO import_problems (import_id, position, row_number, field, code, message) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(self.summary.import_id.to_string())
                .bind(position as i64)
                .bind(p.row as i64)
                .bind(&p.field)
                .bind(&p.code)
                .bind(&p.message)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await.map_err(StoreError::from)
        };
        if let Err(error) = report.await {
            let kept = Summary { problems: Vec::new(), outcomes: Vec::new(), ..self.summary.clone() };
            return Err(Failed { error, kept });
        }
        Ok(self.summary)
    }

    /// Rolls back the open transaction, if any.
    async fn rollback(&mut self) -> Result<(), StoreError> {
        if let Some(conn) = self.conn.as_deref_mut().filter(|_| self.in_tx) {
            conn.execute("ROLLBACK").await?;
            self.in_tx = false;
            self.audit.forget();
        }
        Ok(())
    }

    /// Closes the import's own connection now, freeing its page cache before the import
    /// returns (dropped, it would be closed by a task spawned for it, a little later: a file
    /// sent right after could then find two caches in memory).
    async fn close(&mut self) -> Result<(), StoreError> {
        if let Some(conn) = self.conn.take() {
            conn.close().await?;
            if self.db.dialect == Dialect::Sqlite {
                release_freed_memory();
            }
        }
        Ok(())
    }

    /// Gives up after an error: the open transaction is rolled back and the job row says so.
    pub async fn abandon(self) {
        self.fail("stopped by an error").await;
    }

    /// Gives up after an error: the open transaction is rolled back, and the job row says
    /// `failed`, why, and what the commits before recorded. Returns those counts. (If even that
    /// cannot be written, the job stays `running` until its stale heartbeat has it marked
    /// `interrupted`, with the same counts, written at the last commit.)
    pub async fn fail(mut self, reason: &str) -> Summary {
        let _ = self.rollback().await;
        let _ = self.close().await;
        let c = self.committed;
        let kept = Summary {
            import_id: self.summary.import_id,
            rows: c.rows,
            recorded: c.recorded,
            duplicates: c.duplicates,
            refused: c.refused,
            problems_total: c.problems,
            committed: c.rows > 0,
            ..Summary::default()
        };
        let written = async {
            let mut tx = self.db.begin_write().await?;
            progress_row(&mut tx, &kept, "failed").await?;
            sqlx::query("UPDATE imports SET reason = $1 WHERE id = $2")
                .bind(reason)
                .bind(kept.import_id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map_err(StoreError::from)
        };
        if let Err(e) = written.await {
            tracing::warn!(import = %kept.import_id, error = %e, "the failed import's job row could not be closed");
        }
        kept
    }
}

/// Hands the freed memory of a closed import connection's page cache back to the system.
/// SQLite allocates with the C library's `malloc`, not the Rust allocator, and glibc kept what
/// the cache freed: 175 MB stayed resident after a million-row import where 67 MB was in use,
/// and the next import's cache, on its own connection's thread, could come from another arena
/// on top of it (a good-rows import right after another peaked at 323 MB, over the 300 MB
/// budget).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_freed_memory() {
    // SAFETY: `malloc_trim` has no preconditions; it only returns free memory to the system.
    unsafe { libc::malloc_trim(0) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

/// Whether an import goes on after a commit.
#[derive(Clone, Copy)]
enum More {
    /// Another chunk of a good-rows import.
    Rows,
    /// The import ends with this commit.
    Nothing,
}

/// What a chunk's rows are checked against: its subjects' memberships, this authority's
/// records that already carry one of its references, and its mandates.
struct Found {
    members: HashSet<(SubjectId, SchemeId)>,
    /// Subjects that exist (to tell an unknown subject from one not enrolled).
    known: HashSet<SubjectId>,
    existing: HashMap<String, Event>,
    mandates: Mandates,
}

/// The external references claimed by rows of one file: by the first row that records one or
/// is found to re-send it. A later row with the same reference is refused, in whichever chunk
/// it comes.
#[derive(Default)]
struct References {
    /// Fingerprints of the claimed references, with the claiming row.
    claimed: HashMap<u64, u64>,
    hasher: RandomState,
}

impl References {
    fn claimed_by(&self, reference: &str) -> Option<u64> {
        self.claimed.get(&self.hasher.hash_one(reference)).copied()
    }

    fn claim(&mut self, reference: &str, row: u64) {
        self.claimed.insert(self.hasher.hash_one(reference), row);
    }
}

/// The row checks of an import, over the importer's state they update: apart from the
/// importer's connection, so they can run while it writes the previous chunk.
struct Sieve<'a> {
    summary: &'a mut Summary,
    references: &'a mut References,
    touched: &'a mut HashMap<(SubjectId, SchemeId), EventId>,
    since_commit: &'a mut u64,
    keep_outcomes: bool,
    authority: AuthorityId,
    now: DateTime<Utc>,
}

impl Sieve<'_> {
    /// Checks each row in turn; returns the events to record. Refused rows and re-sent ones are
    /// counted in the summary.
    fn sift(self, rows: Vec<(Arc<SchemeContext>, NewEvent)>, found: &Found) -> Vec<(Event, Provenance)> {
        let mut accepted = Vec::with_capacity(rows.len());
        for (ctx, new) in rows {
            let scheme = ctx.scheme().id();
            if !found.members.contains(&(new.subject, scheme)) {
                let problem = if found.known.contains(&new.subject) {
                    Problem::new(
                        new.row,
                        "subject_id",
                        "not_a_member",
                        "the subject is not enrolled in this scheme",
                    )
                } else {
                    Problem::new(new.row, "subject_id", "unknown_subject", "no subject has this id")
                };
                self.summary.refuse(vec![problem]);
                continue;
            }
            let reference = new.external_ref.trim();
            if let Some(first) = self.references.claimed_by(reference) {
                let message =
                    format!("the external reference {:?} is already used by row {first}", new.external_ref);
                self.summary.refuse(vec![Problem::new(
                    new.row,
                    "external_ref",
                    "duplicate_reference",
                    message,
                )]);
                continue;
            }
            let source = Source {
                subject: new.subject,
                scheme,
                authority: self.authority,
                external_ref: new.external_ref.clone(),
            };
            if let Some(earlier) = found.existing.get(reference) {
                if records::is_resent(earlier, &source, &new.fact) {
                    self.references.claim(reference, new.row);
                    self.summary.duplicates += 1;
                    if self.keep_outcomes {
                        self.summary.outcomes.push((new.row, RowOutcome::Duplicate(earlier.id)));
                    }
                } else {
                    let message = format!(
                        "the external reference {:?} was already used for a different record",
                        new.external_ref
                    );
                    self.summary.refuse(vec![Problem::new(
                        new.row,
                        "external_ref",
                        "reference_reused",
                        message,
                    )]);
                }
                continue;
            }
            let event = match domain::record_fact(&ctx.catalogue, &found.mandates, source, new.fact, self.now)
            {
                Ok(event) => event,
                Err(e) => {
                    self.summary.refuse(vec![Problem::domain(new.row, &e)]);
                    continue;
                }
            };
            self.references.claim(reference, new.row);
            self.touched.entry((event.subject, scheme)).or_insert(event.id);
            self.summary.recorded += 1;
            *self.since_commit += 1;
            if self.keep_outcomes {
                self.summary.outcomes.push((new.row, RowOutcome::Recorded(event.id)));
            }
            accepted.push((event, new.provenance));
        }
        accepted
    }
}

/// Columns of an inserted event, and of its reference claim.
const INSERT_COLUMNS: usize = 14;
const REFERENCE_COLUMNS: usize = 4;

/// Binds one row of a multi-row insert after what `query` already binds.
type BindRow = for<'q> fn(
    sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    &'q (Event, Provenance),
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Writes a batch of accepted rows and takes them into the transaction's audit rows
/// (`store::chain`), which go out when due and all before the commit, so no record commits
/// without its row.
async fn write_batch(
    conn: &mut AnyConnection,
    audit: &mut chain::ImportRows,
    rows: &[(Event, Provenance)],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    insert(conn, rows).await?;
    audit.add(conn, rows).await
}

/// Inserts checked events with multi-row statements (their notices go out at the commit): first
/// their reference claims (`event_references`, the guard that keeps references unique across
/// subjects), then the records.
async fn insert(conn: &mut AnyConnection, rows: &[(Event, Provenance)]) -> Result<(), StoreError> {
    if !sql::is_sqlite(conn) {
        return postgres::insert(conn, rows).await.map_err(conflict);
    }
    insert_rows(
        conn,
        rows,
        "event_references (authority_id, external_ref, subject_id, event_id)",
        REFERENCE_COLUMNS,
        |query, (event, _)| records::bind_reference(query, event),
    )
    .await?;
    insert_rows(
        conn,
        rows,
        "events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, recorded_at, \
         authority_id, recorded_by, source, evidence_ref, external_ref, kind)",
        INSERT_COLUMNS,
        |query, (event, provenance)| records::bind_record(query, event, provenance),
    )
    .await
}

/// Inserts one row per event into `into` (a table and its column list) with multi-row
/// statements, each bound while the one before it runs.
async fn insert_rows(
    conn: &mut AnyConnection,
    rows: &[(Event, Provenance)],
    into: &str,
    columns: usize,
    bind_row: BindRow,
) -> Result<(), StoreError> {
    let per_statement = sql::INSERT_PARAMS / columns;
    // An insert that fails ends the import and rolls back its open transaction, so the rows
    // a failing statement wrote before the failure need no undoing of their own.
    let verb = if sql::is_sqlite(conn) { "INSERT OR FAIL" } else { "INSERT" };
    let statements = sql::Batched::new(rows.len(), per_statement, |n| {
        sql::positional(conn, format!("{verb} INTO {into} VALUES {}", sql::rows(1, columns, n)))
    });
    let bind = |batch| bind_batch(statements.sql(<[_]>::len(batch)), batch, bind_row);
    let mut batches = rows.chunks(per_statement);
    let mut next = batches.next().map(bind);
    while let Some(query) = next {
        let (written, following) =
            sql::overlapped(query.execute(&mut *conn), || batches.next().map(bind)).await;
        next = following;
        written.map_err(conflict)?;
    }
    Ok(())
}

/// An insert's error, as the import reports it.
fn conflict(e: sqlx::Error) -> StoreError {
    match e {
        // Another write took one of these references a moment ago; the caller re-sends.
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(
            "an external reference of this chunk was recorded by another request at the same \
             time; nothing of the chunk was recorded, send it again"
                .into(),
        ),
        other => other.into(),
    }
}

/// One insert statement with its batch of rows bound.
fn bind_batch<'q>(
    sql: &'q str,
    batch: &'q [(Event, Provenance)],
    bind_row: BindRow,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    batch.iter().fold(sqlx::query(sql), |query, row| bind_row(query, row))
}

/// One notice per record the transaction added to, about its first new event: an import is one
/// change to each record it touches, however many rows it carried (DESIGN: every change is
/// notified; a notice per row would bury everything else in the inbox).
async fn notify_touched(
    conn: &mut AnyConnection,
    touched: &HashMap<(SubjectId, SchemeId), EventId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<(String, String)> =
        touched.iter().map(|((subject, _), event)| (subject.to_string(), event.to_string())).collect();
    let about: Vec<(&str, &str)> = ids.iter().map(|(s, e)| (s.as_str(), e.as_str())).collect();
    notices::notify_each(conn, NoticeKind::EventsImported, &about, now).await
}

/// Writes an import's counts and status to its job row.
async fn progress_row(conn: &mut AnyConnection, s: &Summary, status: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE imports SET status = $1, rows_done = $2, recorded = $3, duplicates = $4, refused = $5, \
         problems = $6, finished_at = $7, heartbeat_at = $9 WHERE id = $8",
    )
    .bind(status)
    .bind(s.rows as i64)
    .bind(s.recorded as i64)
    .bind(s.duplicates as i64)
    .bind(s.refused as i64)
    .bind(s.problems_total as i64)
    .bind((status != "running").then(|| to_micros(Utc::now())))
    .bind(s.import_id.to_string())
    .bind(to_micros(Utc::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A finished or running import as its job row tells it.
#[derive(Clone, Debug)]
pub struct ImportJob {
    pub id: Uuid,
    pub authority: AuthorityId,
    pub account: Option<String>,
    pub format: String,
    pub mode: String,
    pub status: String,
    pub rows_done: i64,
    pub recorded: i64,
    pub duplicates: i64,
    pub refused: i64,
    pub problems: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why a `failed` or `interrupted` import stopped.
    pub reason: Option<String>,
}

const JOB_COLUMNS: &str =
    "id, authority_id, account_id, format, mode, status, rows_done, recorded, duplicates, \
     refused, problems, started_at, finished_at, reason";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<ImportJob, StoreError> {
    Ok(ImportJob {
        id: Uuid::parse_str(&r.try_get::<String, _>(0)?).map_err(|_| StoreError::corrupt("an import id"))?,
        authority: AuthorityId::parse(&r.try_get::<String, _>(1)?)?,
        account: r.try_get(2)?,
        format: r.try_get(3)?,
        mode: r.try_get(4)?,
        status: r.try_get(5)?,
        rows_done: r.try_get(6)?,
        recorded: r.try_get(7)?,
        duplicates: r.try_get(8)?,
        refused: r.try_get(9)?,
        problems: r.try_get(10)?,
        started_at: super::from_micros(r.try_get(11)?),
        finished_at: r.try_get::<Option<i64>, _>(12)?.map(super::from_micros),
        reason: r.try_get(13)?,
    })
}

/// One import's job row and its kept problems.
pub async fn job(
    conn: &mut AnyConnection,
    id: Uuid,
) -> Result<Option<(ImportJob, Vec<Problem>)>, StoreError> {
    let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM imports WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let job = job_from_row(&r)?;
    let problems = sqlx::query(
        "SELECT row_number, field, code, message FROM import_problems WHERE import_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|p| {
        Ok(Problem {
            row: u64::try_from(p.try_get::<i64, _>(0)?).unwrap_or_default(),
            field: p.try_get(1)?,
            code: p.try_get(2)?,
            message: p.try_get(3)?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some((job, problems)))
}

/// What `authority` recorded, oldest first, after the record `after` (ids are time-ordered), at
/// most `limit`.
pub async fn recorded_by(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    after: Option<EventId>,
    limit: i64,
) -> Result<Vec<records::StoredEvent>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE authority_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(authority.to_string())
    .bind(after.map(|a| a.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(records::event_from_row).collect()
}

/// An import that stopped on an error, with what stays recorded: the counts of its last commit
/// (nothing for an all-or-nothing import that had not committed).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Failed {
    pub error: StoreError,
    pub kept: Summary,
}

/// Why an import stopped, as its job row says it: no SQL, nothing of the data.
pub fn reason_of(e: &StoreError) -> &'static str {
    match e {
        StoreError::Db(e) => match crate::db::outage(e) {
            Some(crate::db::Outage::Storage) => {
                "the database could not store more (its storage is full or failing)"
            }
            Some(crate::db::Outage::Unreachable) => "the database could not be reached",
            None => "an error on our side",
        },
        StoreError::Conflict(_) => "another request recorded one of its references at the same time",
        _ => "an error on our side",
    }
}

/// The counts as of an import's last commit.
#[derive(Clone, Copy, Debug, Default)]
struct Committed {
    rows: u64,
    recorded: u64,
    duplicates: u64,
    refused: u64,
    problems: u64,
}

impl Committed {
    fn of(s: &Summary) -> Self {
        Self {
            rows: s.rows,
            recorded: s.recorded,
            duplicates: s.duplicates,
            refused: s.refused,
            problems: s.problems_total,
        }
    }
}

/// This server process, as the owner of the imports it runs: a new id at every start.
pub static INSTANCE: std::sync::LazyLock<Uuid> = std::sync::LazyLock::new(Uuid::now_v7);

/// How long a running import's heartbeat may go unrefreshed before its process is taken to be
/// gone (`RECOURSE_IMPORT_STALE_SECONDS`, default 120; the crash tests shorten it). Heartbeats
/// come four times as often.
pub fn stale_after() -> std::time::Duration {
    let seconds = std::env::var("RECOURSE_IMPORT_STALE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(120);
    std::time::Duration::from_secs(seconds)
}

/// Refreshes a running import's heartbeat until dropped (with the importer).
///
/// SQLite needs none between commits: an import holds the database's one write lock from its
/// first row to its commit, so no other process can mark its job meanwhile, and every commit
/// refreshes the heartbeat (see `progress_row`). PostgreSQL has no such lock, so a long
/// all-or-nothing import's job is kept fresh from beside it.
struct Heartbeat(tokio::task::AbortHandle);

impl Heartbeat {
    fn start(db: &Db, id: Uuid) -> Option<Self> {
        if db.dialect != Dialect::Postgres {
            return None;
        }
        let pool = db.pool.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(stale_after() / 4);
            loop {
                tick.tick().await;
                let beat =
                    sqlx::query("UPDATE imports SET heartbeat_at = $1 WHERE id = $2 AND status = 'running'")
                        .bind(to_micros(Utc::now()))
                        .bind(id.to_string())
                        .execute(&pool)
                        .await;
                if let Err(e) = beat {
                    tracing::warn!(import = %id, error = %e, "an import's heartbeat failed");
                }
            }
        });
        Some(Self(task.abort_handle()))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Marks as `interrupted` every running import whose heartbeat is older than [`stale_after`]:
/// its process is gone (killed, crashed, its machine lost), never to finish it. Its counts stay
/// those of its last commit, which is what it recorded. Returns how many were marked.
pub async fn mark_interrupted(db: &Db, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let stale = chrono::Duration::from_std(stale_after()).unwrap_or(chrono::Duration::MAX);
    let mut tx = db.begin_write().await?;
    let marked = sqlx::query(
        "UPDATE imports SET status = 'interrupted', finished_at = $1, \
         reason = 'the server running it stopped before it finished' \
         WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $2)",
    )
    .bind(to_micros(now))
    .bind(to_micros(now - stale))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(marked)
}

/// The start-up hook of a server: marks the imports of processes that are gone (see
/// [`mark_interrupted`]) now and then every heartbeat period.
pub fn watch_for_interrupted(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(stale_after() / 4);
        loop {
            tick.tick().await;
            match mark_interrupted(&db, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(imports = n, "imports of a stopped server marked interrupted"),
                Err(e) => tracing::warn!(error = %e, "checking for interrupted imports failed; will retry"),
            }
        }
    });
}

/// The authority's imports, newest first, older than the import `after` (ids are time-ordered),
/// at most `limit`.
pub async fn jobs(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ImportJob>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM imports WHERE authority_id = $1 AND ($2 = '' OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(authority.to_string())
    .bind(after.map(|a| a.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(job_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_codes() {
        for mode in [Mode::AllOrNothing, Mode::GoodRows] {
            assert_eq!(Mode::parse(mode.code()), Some(mode));
        }
        assert_eq!(Mode::parse("sometimes"), None);
    }
}
