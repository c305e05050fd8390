//! The database handle: one code path over SQLite (embedded default) and PostgreSQL, chosen by
//! the URL's scheme at run time. Queries use `$1` placeholders, which both dialects accept.

use std::{
    fmt,
    path::Path,
    str::FromStr,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::Duration,
};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    postgres::PgConnectOptions,
    AnyConnection, AnyPool, ConnectOptions, Connection, Executor,
};

mod conn;
mod inline;
mod pg_reads;

pub use conn::Conn;
pub use inline::{Column, Columns, Index, Param, Read, Row};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which SQL dialect is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A validated database URL. `Debug` and `Display` never show a password.
#[derive(Clone)]
pub struct DatabaseUrl {
    raw: String,
    dialect: Dialect,
}

/// Why the database could not be opened, in one sentence a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL {0:?} is not understood: it must start with sqlite: or postgres://")]
    UnknownScheme(String),
    #[error("the database URL is malformed: {0}")]
    Malformed(String),
    #[error("cannot open the SQLite database at {path}: {reason}")]
    SqliteUnavailable { path: String, reason: String },
    #[error("cannot reach the PostgreSQL server {target}: {reason}")]
    PostgresUnreachable { target: String, reason: String },
    #[error("applying the database migrations failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl DatabaseUrl {
    /// Parses a URL, adding `mode=rwc` to SQLite URLs so a missing file is created.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:") {
            let path = sqlite_path(raw);
            if path.is_empty() {
                return Err(DbError::Malformed("the SQLite URL names no file".into()));
            }
            let raw = if raw.contains("mode=") || path == ":memory:" {
                raw.to_string()
            } else if raw.contains('?') {
                format!("{raw}&mode=rwc")
            } else {
                format!("{raw}?mode=rwc")
            };
            Ok(Self { raw, dialect: Dialect::Sqlite })
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| DbError::Malformed(e.to_string()))?;
            Ok(Self { raw: raw.to_string(), dialect: Dialect::Postgres })
        } else {
            let scheme = raw.split(':').next().unwrap_or_default();
            Err(DbError::UnknownScheme(format!("{scheme}:…")))
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The SQLite file path, when this is an SQLite URL.
    pub fn sqlite_file(&self) -> Option<&str> {
        (self.dialect == Dialect::Sqlite).then(|| sqlite_path(&self.raw))
    }

    /// Host, port and database of a PostgreSQL URL, without user or password.
    fn postgres_target(&self) -> String {
        match url::Url::parse(&self.raw) {
            Ok(u) => format!(
                "at {}:{} (database {})",
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(5432),
                u.path().trim_start_matches('/')
            ),
            Err(_) => "named in the URL".into(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dialect {
            Dialect::Sqlite => write!(f, "sqlite:{}", sqlite_path(&self.raw)),
            Dialect::Postgres => write!(f, "postgres {}", self.postgres_target()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn sqlite_path(raw: &str) -> &str {
    let rest = raw.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or_default()
}

/// The shared pools plus the dialect, cheap to clone into app state.
#[derive(Clone)]
pub struct Db {
    /// For reads and single statements; never for a transaction (see [`Db::begin_write`]).
    pub pool: AnyPool,
    /// Where write transactions come from: on SQLite a pool of its own, whose connections are
    /// checked for a transaction left behind as they come back; on PostgreSQL `pool` itself.
    writes: AnyPool,
    pub dialect: Dialect,
    /// SQLite: a cap on the database's size in pages, set on every connection as it is handed
    /// out (0: none). Only tests set it, to fill the disk without filling a disk.
    page_limit: Arc<AtomicU32>,
    /// Where a [`Read`] on the database runs, when not through `pool`.
    reads: Option<Arc<Reads>>,
}

/// The connections of [`Read`]s, beside the pools.
#[allow(clippy::large_enum_variant, reason = "one per database, behind an Arc")]
enum Reads {
    /// SQLite on a file: read-only connections used on the calling thread.
    Inline(Arc<inline::InlineReads>),
    /// PostgreSQL: read-only connections handed back without a round trip.
    Postgres(pg_reads::PgReads),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("dialect", &self.dialect).finish()
    }
}

impl Db {
    /// Opens a pool (SQLite: WAL, foreign keys on, busy timeout) and checks it answers.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        if let Some(path) = url.sqlite_file() {
            check_sqlite_parent(path)?;
        }
        let options = AnyConnectOptions::from_str(url.as_str())
            .map_err(|e| DbError::Malformed(e.to_string()))
            .map(logged)?;
        // One direct connection first: a pool retries until its timeout and hides the cause.
        let probe = options.connect().await.map_err(|e| open_error(url, e))?;
        probe.close().await.map_err(|e| open_error(url, e))?;
        let dialect = url.dialect();
        let page_limit = Arc::new(AtomicU32::new(0));
        // Readers: a page makes several acquires. On SQLite each check of a connection is a
        // hand-off to its worker thread and back, and one that never opened a transaction needs
        // no probe on its return; write transactions come from a pool of their own, whose
        // connections are probed (one writer at a time holds SQLite's lock anyway).
        let readers = if dialect == Dialect::Sqlite { 8 } else { 16 };
        let pool = pool_options(dialect, &page_limit, readers, false)
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(url, e))?;
        let writes = match dialect {
            Dialect::Sqlite => pool_options(dialect, &page_limit, 8, true)
                .connect_with(options)
                .await
                .map_err(|e| open_error(url, e))?,
            Dialect::Postgres => pool.clone(),
        };
        let reads = match url.sqlite_file() {
            Some(path) if path != ":memory:" && !url.as_str().contains("mode=memory") => {
                Some(Reads::Inline(Arc::new(inline::InlineReads::new(path))))
            }
            Some(_) => None,
            None => {
                let options = PgConnectOptions::from_str(url.as_str())
                    .map_err(|e| DbError::Malformed(e.to_string()))
                    .map(logged)?;
                Some(Reads::Postgres(pg_reads::PgReads::new(options, readers as usize)))
            }
        };
        Ok(Self { pool, writes, dialect, page_limit, reads: reads.map(Arc::new) })
    }

    /// Whether [`Read`]s on this database run on the calling thread (SQLite on a file).
    pub fn reads_on_calling_thread(&self) -> bool {
        matches!(self.reads.as_deref(), Some(Reads::Inline(_)))
    }

    /// Runs `work` (the answer to a request that only reads) with its [`Read`]s in one read
    /// transaction on SQLite, until it takes a pooled connection (every write does): one state
    /// of the database for the whole page, and its locks taken once instead of once a read.
    /// On PostgreSQL each read stays a transaction of its own.
    pub async fn in_one_snapshot<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        match self.reads.as_deref() {
            Some(Reads::Inline(inline)) => inline::Snapshot::around(inline.clone(), work).await,
            _ => work.await,
        }
    }

    /// SQLite, for tests: caps the database at `pages` pages (0: no cap beyond SQLite's own),
    /// on every connection from the next time it is handed out, so a write that needs more
    /// space fails as on a full disk.
    pub fn limit_sqlite_pages(&self, pages: u32) {
        let pages = if pages == 0 { 0xFFFF_FFFE } else { pages };
        self.page_limit.store(pages, Ordering::Relaxed);
    }

    /// Opens a write transaction: the one way every write path begins. On SQLite it takes the
    /// write lock at `BEGIN` (`BEGIN IMMEDIATE`), waiting its turn under the busy timeout; a
    /// deferred transaction that read first would fail at once ("database is locked") when a
    /// simultaneous writer held the lock as it tried to upgrade. On PostgreSQL a plain `BEGIN`:
    /// writes there take row locks as they go.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.writes.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.writes.begin().await,
        }
    }

    /// SQLite: copies the write-ahead log back into the database file, in the background on a
    /// pooled connection. Bulk imports turn off the automatic checkpoint on their connection
    /// (it would run inside their COMMIT, copying back every page the import wrote, a tenth of
    /// a million-row import's time) and call this once committed: their rows are committed and
    /// readable either way. A checkpoint already under way makes this one return at once.
    pub fn checkpoint_soon(&self) {
        if self.dialect != Dialect::Sqlite {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            match db.pool.acquire().await {
                Ok(mut conn) => db.checkpoint(&mut conn).await,
                Err(e) => tracing::warn!(error = %e, "a checkpoint failed; the next write's will do it"),
            }
        });
    }

    /// SQLite: copies the write-ahead log back into the database file now, on `conn` (outside
    /// a transaction), as far as readers of older snapshots let it. Once the log is wholly
    /// copied, the next write starts it over from its beginning instead of making it longer.
    /// A failure is only logged: what was committed stays committed.
    pub async fn checkpoint(&self, conn: &mut AnyConnection) {
        if self.dialect != Dialect::Sqlite {
            return;
        }
        if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "a checkpoint failed; the next write's will do it");
        }
    }

    /// Closes every pool: what is running finishes, nothing new starts.
    pub async fn close(&self) {
        match self.reads.as_deref() {
            Some(Reads::Inline(reads)) => reads.close(),
            Some(Reads::Postgres(reads)) => reads.close(),
            None => {}
        }
        self.pool.close().await;
        self.writes.close().await;
    }

    /// Applies the migrations of this dialect.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(|e| DbError::Migration(e.to_string()))
    }

    /// True when the database answers a trivial query.
    /// Whether the schema answers: a read of a real table, so a deleted or unreadable file
    /// (which still opens) is not healthy.
    pub async fn is_healthy(&self) -> bool {
        sqlx::query("SELECT revision FROM catalogue_revision").fetch_one(&self.pool).await.is_ok()
    }
}

/// Every statement at trace level, and one over half a second as a warning: the same for the
/// pools' connections and the point reads' (`Read`).
fn logged<O: ConnectOptions>(options: O) -> O {
    options
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
}

/// How long a PostgreSQL connection may sit idle in the pool and still be handed out unpinged.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Every PostgreSQL connection's: no JIT compilation. Recourse's statements are index look-ups
/// that run in well under a millisecond, but a planner's estimate gone wide (at 740,000 subjects,
/// 4,302 memberships expected of one subject) lifts one over `jit_above_cost`, and PostgreSQL
/// then compiled and inlined it with LLVM at every execution: a second each, 29 record pages a
/// second instead of thousands (`cargo bench --bench scale`).
pub(crate) const NO_JIT: &str = "SET jit = off";

/// What every pool of a database shares: the size cap of tests, SQLite's settings on each new
/// connection, a ping only for a connection idle a while and, on SQLite where
/// `probe_on_release`, the check that a connection comes back outside any transaction.
fn pool_options(
    dialect: Dialect,
    page_limit: &Arc<AtomicU32>,
    max_connections: u32,
    probe_on_release: bool,
) -> AnyPoolOptions {
    let (limit_on_connect, limit_on_acquire) = (page_limit.clone(), page_limit.clone());
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| {
            // Called in the task that takes the connection: a pooled connection, for a write
            // above all, ends the task's snapshot (see `Db::in_one_snapshot`).
            inline::Snapshot::end();
            let limit = limit_on_connect.load(Ordering::Relaxed);
            Box::pin(async move {
                if limit > 0 {
                    conn.execute(format!("PRAGMA max_page_count = {limit}").as_str()).await?;
                }
                if dialect == Dialect::Sqlite {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                } else {
                    conn.execute(NO_JIT).await?;
                }
                Ok(())
            })
        })
        .before_acquire(move |conn, meta| {
            inline::Snapshot::end();
            let limit = limit_on_acquire.load(Ordering::Relaxed);
            Box::pin(async move {
                if limit > 0 {
                    conn.execute(format!("PRAGMA max_page_count = {limit}").as_str()).await?;
                }
                // sqlx pings every connection as it comes back to the pool, so one in steady use
                // is known to be alive; one idle for a while may have been dropped by the server
                // meanwhile (a restart, a failover) and is pinged before it is handed out, instead
                // of pinging on every acquire (a round trip each, three a page).
                if dialect == Dialect::Postgres && meta.idle_for > IDLE_BEFORE_PING {
                    return Ok(conn.ping().await.is_ok());
                }
                Ok(true)
            })
        })
        .after_release(move |conn, _| {
            Box::pin(async move {
                if dialect != Dialect::Sqlite {
                    return Ok(true);
                }
                if !probe_on_release {
                    return Ok(!conn.is_in_transaction());
                }
                // A connection goes back to the pool only outside any transaction. After a
                // statement failed with SQLITE_FULL or SQLITE_IOERR, SQLite may have rolled the
                // transaction back itself: the driver's own ROLLBACK then fails and it still
                // counts one open, so every later `BEGIN IMMEDIATE` on the connection was
                // refused and the pool never recovered. Or one may be left open, holding the
                // write lock ("database is locked" for everyone else). The first statement runs
                // whatever rollback the driver queued; a `BEGIN` succeeds only outside a
                // transaction. Either doubt closes the connection.
                let outside = conn.execute("BEGIN; ROLLBACK").await.is_ok();
                Ok(outside && !conn.is_in_transaction())
            })
        })
}

fn check_sqlite_parent(path: &str) -> Result<(), DbError> {
    if path == ":memory:" {
        return Ok(());
    }
    let parent = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        if !dir.is_dir() {
            return Err(DbError::SqliteUnavailable {
                path: path.into(),
                reason: format!("the folder {} does not exist", dir.display()),
            });
        }
    }
    Ok(())
}

fn open_error(url: &DatabaseUrl, e: sqlx::Error) -> DbError {
    let reason = match &e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "no answer within 5 seconds".into(),
        other => other.to_string(),
    };
    match url.dialect() {
        Dialect::Sqlite => {
            DbError::SqliteUnavailable { path: url.sqlite_file().unwrap_or_default().into(), reason }
        }
        Dialect::Postgres => DbError::PostgresUnreachable { target: url.postgres_target(), reason },
    }
}

/// Why the database cannot be used just now: a person is told so with a 503, not a generic 500,
/// and nothing was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// Unreachable, out of connections, shutting down, gone.
    Unreachable,
    /// Out of disk space, or an I/O error: the database answers but cannot store.
    Storage,
}

/// Whether (and why) `e` means the database cannot be used just now. Anything else is a fault
/// of Recourse's.
pub fn outage(e: &sqlx::Error) -> Option<Outage> {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            Some(Outage::Unreachable)
        }
        sqlx::Error::Database(d) => {
            // SQLite: SQLITE_FULL (13) and SQLITE_IOERR (10, and its extended codes) are
            // storage; SQLITE_CANTOPEN, SQLITE_BUSY/LOCKED after the busy timeout are not.
            // PostgreSQL: 53100 (disk full) and 58030 (I/O error) are storage; class 08
            // (connection), 53 (insufficient resources), 57P (operator intervention: shutdown,
            // starting up), 55000 (the database is not accepting connections), 3D000 (it is gone).
            let code = d.code().unwrap_or_default();
            let sqlite = code.parse::<i64>().ok().map(|c| c & 0xff);
            if matches!(sqlite, Some(10 | 13)) || code == "53100" || code == "58030" {
                Some(Outage::Storage)
            } else if matches!(sqlite, Some(5 | 6 | 14))
                || ["08", "53", "57P"].iter().any(|class| code.starts_with(class))
                || code == "55000"
                || code == "3D000"
            {
                Some(Outage::Unreachable)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether `e` means the database cannot be used at all just now (see [`outage`]).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    outage(e).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let url = DatabaseUrl::parse("sqlite:recourse.db").unwrap();
        assert_eq!(url.as_str(), "sqlite:recourse.db?mode=rwc");
        assert_eq!(url.sqlite_file(), Some("recourse.db"));
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_scheme_named() {
        let err = DatabaseUrl::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("mysql:"), "{err}");
    }

    #[test]
    fn postgres_urls_never_print_their_password() {
        let url = DatabaseUrl::parse("postgres://bob:s3cret@db.example:6543/recourse").unwrap();
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example:6543"), "{shown}");
    }
}
