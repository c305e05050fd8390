//! Point reads on the calling thread. sqlx runs every SQLite statement on its connection's
//! worker thread and hands the rows back through a channel: two thread switches a statement,
//! most of a point read's cost on a busy server (README, "Speed"). The reads every signed-in
//! page makes (the session, the account, the unread notices) and the record page's own go
//! through [`Read`], which on SQLite runs them on a read-only connection of its own, on the
//! thread that asks; on PostgreSQL on a read-only connection of its own too, without the pool's
//! round trip on release (see `pg_reads.rs`); given a connection held (see [`Conn`]), through
//! sqlx as every other statement. Only short reads by an index belong here: on SQLite the
//! thread is one of the runtime's, blocked while SQLite works.
//!
//! On SQLite the reads of one page share one read transaction (see [`Snapshot`]): beginning and
//! ending one takes the file's and the log's locks, each a system call, which cost a point read
//! more than the read itself.

use std::{
    borrow::Cow,
    cell::RefCell,
    error::Error as StdError,
    fmt,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use sqlx::{
    any::AnyRow,
    error::{DatabaseError, ErrorKind},
    postgres::PgRow,
    Any, Postgres, Row as _,
};

use super::{Conn, Reads};

/// SQLite's read-only connections beside sqlx's pools, each used by one thread at a time.
pub(super) struct InlineReads {
    path: String,
    /// `None` once the database is closed.
    idle: Mutex<Option<Vec<rusqlite::Connection>>>,
    /// Connections held by snapshots just now.
    held: AtomicUsize,
}

/// At most this many snapshots hold a connection at once; past it, a page's reads each take
/// their own transaction again, as outside a snapshot, so a crowd of slow requests cannot open
/// a connection each.
const SNAPSHOTS_HELD: usize = 64;

tokio::task_local! {
    /// The snapshot of the request this task serves (see [`Snapshot`]).
    static SNAPSHOT: RefCell<Snapshot>;
}

/// The one read transaction a request's reads share, from its first read until the request is
/// answered or the task takes a pooled connection, whichever is first: a write (and every write
/// takes a pooled connection) ends it, so a read after the request's own write sees that write.
/// Reads through sqlx are not in it; each of those is its own transaction, as before.
pub(super) struct Snapshot {
    reads: Arc<InlineReads>,
    /// The connection in a transaction, once the first read opened it.
    conn: Option<rusqlite::Connection>,
}

impl Snapshot {
    /// Runs `work` with its reads on `reads` in one snapshot.
    pub(super) async fn around<T>(reads: Arc<InlineReads>, work: impl std::future::Future<Output = T>) -> T {
        SNAPSHOT.scope(RefCell::new(Snapshot { reads, conn: None }), work).await
    }

    /// Ends the calling task's snapshot, if it has one: its next read begins another.
    pub(super) fn end() {
        let _ = SNAPSHOT.try_with(|cell| cell.borrow_mut().release());
    }

    fn release(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.reads.held.fetch_sub(1, Ordering::Relaxed);
            self.reads.finish(conn);
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.release();
    }
}

impl InlineReads {
    pub(super) fn new(path: &str) -> Self {
        Self { path: path.to_string(), idle: Mutex::new(Some(Vec::new())), held: AtomicUsize::new(0) }
    }

    /// A read's connection: its task's snapshot's (opened at the snapshot's first read) when
    /// the task has one on this database, else one of its own (`false`).
    fn checkout(self: &Arc<Self>) -> Result<(rusqlite::Connection, bool), sqlx::Error> {
        let mine = |s: &Snapshot| Arc::ptr_eq(&s.reads, self);
        let kept = SNAPSHOT.try_with(|cell| {
            let mut snapshot = cell.borrow_mut();
            mine(&snapshot).then(|| snapshot.conn.take())
        });
        match kept {
            Ok(Some(Some(conn))) => Ok((conn, true)),
            Ok(Some(None)) if self.held.fetch_add(1, Ordering::Relaxed) < SNAPSHOTS_HELD => {
                let conn = self.take().inspect_err(|_| {
                    self.held.fetch_sub(1, Ordering::Relaxed);
                })?;
                // Deferred: the snapshot is taken at the first statement.
                let begun = conn.prepare_cached("BEGIN").and_then(|mut begin| begin.execute([]));
                match begun {
                    Ok(_) => Ok((conn, true)),
                    Err(e) => {
                        self.held.fetch_sub(1, Ordering::Relaxed);
                        Err(fault(e))
                    }
                }
            }
            Ok(Some(None)) => {
                self.held.fetch_sub(1, Ordering::Relaxed);
                Ok((self.take()?, false))
            }
            _ => Ok((self.take()?, false)),
        }
    }

    /// Puts a read's connection back: into its snapshot after a read that succeeded, else to
    /// the idle ones, its transaction ended.
    fn checkin(&self, conn: rusqlite::Connection, in_snapshot: bool, succeeded: bool) {
        if !in_snapshot {
            return self.give_back(conn);
        }
        let unplaced = match succeeded {
            true => SNAPSHOT.try_with(|cell| cell.borrow_mut().conn.replace(conn)).ok().flatten(),
            false => Some(conn),
        };
        if let Some(conn) = unplaced {
            self.held.fetch_sub(1, Ordering::Relaxed);
            self.finish(conn);
        }
    }

    /// Ends a snapshot's transaction and keeps its connection, unless it cannot be ended.
    fn finish(&self, conn: rusqlite::Connection) {
        let ended = || conn.prepare_cached("ROLLBACK").and_then(|mut end| end.execute([]));
        if conn.is_autocommit() || ended().is_ok() {
            self.give_back(conn);
        }
    }

    /// Drops every idle connection; later reads fail as a closed pool's would.
    pub(super) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            *idle = None;
        }
    }

    fn take(&self) -> Result<rusqlite::Connection, sqlx::Error> {
        let kept = match self.idle.lock() {
            Ok(mut idle) => match idle.as_mut() {
                Some(idle) => idle.pop(),
                None => return Err(sqlx::Error::PoolClosed),
            },
            Err(_) => None,
        };
        match kept {
            Some(conn) => Ok(conn),
            None => self.open().map_err(fault),
        }
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if let Some(idle) = idle.as_mut() {
                idle.push(conn);
            }
        }
    }

    /// The pool's settings that matter to a reader, and `query_only`: nothing is written here.
    fn open(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Runs `sql` with `params` ($1 … $n), mapping at most `limit` rows.
    fn run<T, E: From<sqlx::Error>>(
        self: &Arc<Self>,
        sql: &str,
        params: &[Param],
        limit: usize,
        mut map: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<Vec<T>, E> {
        let (conn, in_snapshot) = self.checkout()?;
        let result = (|| -> Result<Vec<T>, E> {
            let mut statement = conn.prepare_cached(sql).map_err(fault)?;
            if statement.parameter_count() != params.len() {
                return Err(sqlx::Error::Protocol(format!(
                    "the statement takes {} parameters, {} were given",
                    statement.parameter_count(),
                    params.len()
                ))
                .into());
            }
            for (i, param) in params.iter().enumerate() {
                let name = format!("${}", i + 1);
                let index = statement
                    .parameter_index(&name)
                    .map_err(fault)?
                    .ok_or_else(|| sqlx::Error::Protocol(format!("the statement has no parameter {name}")))?;
                statement.raw_bind_parameter(index, param).map_err(fault)?;
            }
            let mut rows = statement.raw_query();
            let mut out = Vec::new();
            while out.len() < limit {
                let Some(row) = rows.next().map_err(fault)? else { break };
                out.push(map(&Row::Sqlite(row))?);
            }
            Ok(out)
        })();
        self.checkin(conn, in_snapshot, result.is_ok());
        result
    }
}

/// A statement's parameter.
#[derive(Clone, Debug)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        })
    }
}

/// One read: its SQL (with `$1 … $n`) and parameters.
pub struct Read<'q> {
    sql: &'q str,
    params: Vec<Param>,
}

impl<'q> Read<'q> {
    pub fn new(sql: &'q str) -> Self {
        Self { sql, params: Vec::new() }
    }

    pub fn bind(mut self, param: impl Into<Param>) -> Self {
        self.params.push(param.into());
        self
    }

    /// The first row, mapped, if any.
    pub async fn optional<'a, T, E: From<sqlx::Error>>(
        self,
        from: impl Into<Conn<'a>>,
        map: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        Ok(self.fetch(from.into(), 1, map).await?.into_iter().next())
    }

    /// The one row a statement always returns (a count), mapped.
    pub async fn one<'a, T, E: From<sqlx::Error>>(
        self,
        from: impl Into<Conn<'a>>,
        map: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.optional(from, map).await?.ok_or(E::from(sqlx::Error::RowNotFound))
    }

    /// Every row, mapped.
    pub async fn all<'a, T, E: From<sqlx::Error>>(
        self,
        from: impl Into<Conn<'a>>,
        map: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<Vec<T>, E> {
        self.fetch(from.into(), usize::MAX, map).await
    }

    async fn fetch<T, E: From<sqlx::Error>>(
        self,
        from: Conn<'_>,
        limit: usize,
        map: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<Vec<T>, E> {
        let (sql, params) = (self.sql, &self.params[..]);
        match from {
            Conn::OnDemand(db, taken) => match (db.reads.as_deref(), taken) {
                (Some(Reads::Inline(inline)), _) => inline.run(sql, params, limit, map),
                // A pooled connection already taken serves the rest: no second one for a page.
                (_, Some(mut taken)) => mapped(sqlx_rows(&mut *taken, sql, params, limit).await?, map),
                (Some(Reads::Postgres(reads)), None) => mapped(reads.rows(sql, params, limit).await?, map),
                (None, None) => mapped(sqlx_rows(&db.pool, sql, params, limit).await?, map),
            },
            Conn::Held(conn) => mapped(sqlx_rows(conn, sql, params, limit).await?, map),
        }
    }
}

/// `sql` with `params` bound in order, through either of sqlx's drivers: at most `limit` rows.
pub(super) async fn sqlx_rows<'q, 'e, DB>(
    executor: impl sqlx::Executor<'e, Database = DB>,
    sql: &'q str,
    params: &'q [Param],
    limit: usize,
) -> Result<Vec<DB::Row>, sqlx::Error>
where
    'q: 'e,
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let mut query = sqlx::query::<DB>(sql);
    for param in params {
        query = match param {
            Param::Text(s) => query.bind(s.as_str()),
            Param::Int(i) => query.bind(*i),
        };
    }
    let mut rows = if limit == 1 {
        query.fetch_optional(executor).await?.into_iter().collect()
    } else {
        query.fetch_all(executor).await?
    };
    rows.truncate(limit);
    Ok(rows)
}

/// A driver's rows, each mapped as a [`Row`].
fn mapped<R: AsRow, T, E>(rows: Vec<R>, mut map: impl FnMut(&Row<'_>) -> Result<T, E>) -> Result<Vec<T>, E> {
    rows.iter().map(|r| map(&r.as_row())).collect()
}

/// A row of one of sqlx's drivers, as a [`Row`].
trait AsRow {
    fn as_row(&self) -> Row<'_>;
}

impl AsRow for AnyRow {
    fn as_row(&self) -> Row<'_> {
        Row::Any(self)
    }
}

impl AsRow for PgRow {
    fn as_row(&self) -> Row<'_> {
        Row::Postgres(self)
    }
}

/// A row of any driver, read by column index.
pub enum Row<'r> {
    Any(&'r AnyRow),
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r PgRow),
}

/// A column's position or name, as every driver takes it.
pub trait Index:
    sqlx::ColumnIndex<AnyRow> + sqlx::ColumnIndex<PgRow> + rusqlite::RowIndex + fmt::Display + Copy
{
}

impl Index for usize {}
impl Index for &str {}

/// A value every driver decodes.
pub trait Column: Sized {
    fn from_any(row: &AnyRow, i: impl Index) -> Result<Self, sqlx::Error>;
    fn from_sqlite(row: &rusqlite::Row<'_>, i: impl Index) -> Result<Self, sqlx::Error>;
    fn from_postgres(row: &PgRow, i: impl Index) -> Result<Self, sqlx::Error>;
}

impl<T> Column for T
where
    T: for<'r> sqlx::Decode<'r, Any>
        + sqlx::Type<Any>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + rusqlite::types::FromSql,
{
    fn from_any(row: &AnyRow, i: impl Index) -> Result<Self, sqlx::Error> {
        row.try_get(i)
    }

    fn from_postgres(row: &PgRow, i: impl Index) -> Result<Self, sqlx::Error> {
        row.try_get(i)
    }

    fn from_sqlite(row: &rusqlite::Row<'_>, i: impl Index) -> Result<Self, sqlx::Error> {
        row.get(i).map_err(|e| sqlx::Error::ColumnDecode { index: i.to_string(), source: Box::new(e) })
    }
}

/// Reading a row's columns, whichever driver gave it: the one mapping of a table's rows.
pub trait Columns {
    fn column<T: Column>(&self, i: impl Index) -> Result<T, sqlx::Error>;
}

impl Columns for AnyRow {
    fn column<T: Column>(&self, i: impl Index) -> Result<T, sqlx::Error> {
        T::from_any(self, i)
    }
}

impl Columns for Row<'_> {
    fn column<T: Column>(&self, i: impl Index) -> Result<T, sqlx::Error> {
        match self {
            Row::Any(r) => T::from_any(r, i),
            Row::Sqlite(r) => T::from_sqlite(r, i),
            Row::Postgres(r) => T::from_postgres(r, i),
        }
    }
}

/// SQLite's failures keep their code, so [`super::outage`] tells a full disk or a locked file
/// from a fault of ours as it does for sqlx's; anything else is a decoding fault.
fn fault(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => sqlx::Error::Database(Box::new(SqliteFault {
            code: failure.extended_code,
            message: message.unwrap_or_else(|| failure.to_string()),
        })),
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

#[derive(Debug)]
struct SqliteFault {
    code: i32,
    message: String,
}

impl fmt::Display for SqliteFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl StdError for SqliteFault {}

impl DatabaseError for SqliteFault {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    /// A `query_only` connection breaks no constraint.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}
