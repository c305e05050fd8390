//! What the record page reads on every request, kept in memory between requests: the published
//! catalogue of each scheme with the authorities' names, and each subject's records.
//!
//! Nothing here can go stale unnoticed. The catalogue is keyed by `catalogue_revision`, a number
//! every catalogue write bumps in its own transaction (`catalogue::touch`), so every server
//! process sharing the database sees the change at its next request. A subject's records are keyed
//! by their count: records are only ever appended (a correction is a new record), so a different
//! count means a different record and an equal count the same one. Each check is one small query
//! where the full read is several large ones.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering::SeqCst},
        Arc, LazyLock, Mutex,
    },
};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use tokio::sync::watch;

use super::{
    blacklist,
    catalogue::{self, SchemeContext},
    records::{self, StoredEvent},
    register::{self, Authority},
    to_micros, StoreError,
};
use crate::db::{Columns, Conn, Db, Read};
use crate::domain::{Event, SchemeId, SubjectId};

/// How many subjects' records are kept; past it the cache starts again empty (cheap and enough:
/// the records a server is asked for again and again are few).
const RECORDS_KEPT: usize = 2_000;

/// Scores at instants, oldest first.
pub type ScorePoints = Arc<[(DateTime<Utc>, i64)]>;

/// Each kept record with the count of records it was read at.
type KeptRecords = HashMap<(SubjectId, SchemeId), (i64, Arc<CachedRecords>)>;

/// A subject's records in one scheme, as stored and as the domain derives from them.
#[derive(Debug)]
pub struct CachedRecords {
    pub stored: Vec<StoredEvent>,
    pub events: Vec<Event>,
    /// The score history before a day (see the record page), for one catalogue revision.
    history: Mutex<Option<(i64, NaiveDate, ScorePoints)>>,
}

impl CachedRecords {
    pub fn new(stored: Vec<StoredEvent>) -> Self {
        let events = stored.iter().map(|s| s.event.clone()).collect();
        Self { stored, events, history: Mutex::default() }
    }

    /// The past score points for `day` under catalogue `revision`, computed by `derive` once.
    pub fn memo(
        &self,
        revision: i64,
        day: NaiveDate,
        derive: impl FnOnce() -> Vec<(DateTime<Utc>, i64)>,
    ) -> ScorePoints {
        let mut kept = self.history.lock().unwrap_or_else(|e| e.into_inner());
        match &*kept {
            Some((r, d, points)) if *r == revision && *d == day => points.clone(),
            _ => {
                let points: ScorePoints = derive().into();
                *kept = Some((revision, day, points.clone()));
                points
            }
        }
    }
}

#[derive(Default)]
struct Catalogues {
    revision: i64,
    contexts: HashMap<SchemeId, Arc<SchemeContext>>,
    authorities: Option<Arc<Vec<Authority>>>,
}

pub struct ReadCache {
    catalogues: Mutex<Catalogues>,
    records: Mutex<KeptRecords>,
    revisions: Arc<RevisionReads>,
    db: Db,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").finish_non_exhaustive()
    }
}

/// One scheme a subject belongs to, with what a standing's cached reads check before reading
/// more: the count of the subject's records in it (what [`ReadCache::records_counted`] checks
/// kept records by) and of their appeals on its records (none: no dispute to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountedMembership {
    pub scheme: SchemeId,
    pub records: i64,
    pub appeals: i64,
}

/// A subject's schemes with the counts of [`CountedMembership`], `$1` the subject.
const MEMBERSHIPS_COUNTED: &str = "SELECT m.scheme_id, \
     (SELECT COUNT(*) FROM events e WHERE e.subject_id = m.subject_id AND e.scheme_id = m.scheme_id) AS records, \
     (SELECT COUNT(*) FROM appeals a WHERE a.subject_id = m.subject_id AND a.scheme_id = m.scheme_id \
      AND a.target_kind = 'event') AS appeals \
     FROM scheme_memberships m WHERE m.subject_id = $1";

/// The membership in [`MEMBERSHIPS_COUNTED`]'s columns from `first` on; none in a row that is
/// not a membership's (the subject's rows of [`ReadCache::subject_now`]).
fn counted_membership(r: &impl Columns, first: usize) -> Result<Option<CountedMembership>, StoreError> {
    let Some(scheme) = r.column::<Option<String>>(first)? else { return Ok(None) };
    Ok(Some(CountedMembership {
        scheme: SchemeId::parse(&scheme)?,
        records: r.column(first + 1)?,
        appeals: r.column(first + 2)?,
    }))
}

/// What [`ReadCache::subject_now`] reads.
#[derive(Debug)]
pub struct SubjectNow {
    pub revision: i64,
    pub memberships: Vec<CountedMembership>,
    pub subject: register::Subject,
    pub entries: Vec<blacklist::StoredEntry>,
}

/// The current catalogue revision.
pub async fn catalogue_revision<'a>(from: impl Into<Conn<'a>>) -> Result<i64, sqlx::Error> {
    Read::new("SELECT revision FROM catalogue_revision").one(from, |r| r.column(0)).await
}

/// Reads of the catalogue revision shared by the requests that wait for them: a request takes
/// the answer of a read that began after it arrived, so it sees every catalogue change committed
/// before it arrived (through any server), exactly as its own query would; but while one read is
/// under way, every request arriving meanwhile waits for the next single read instead of making
/// its own. Under load that is one query for many pages instead of one each.
///
/// The reads are [`Read`]s, on PostgreSQL's native read connections outside the pool: a page
/// waits for the revision while holding a pooled connection, so with every pooled connection
/// held by a waiting page a read from the pool would never begin.
struct RevisionReads {
    /// Reads begun so far; a read's number is the count once it began.
    begun: AtomicU64,
    /// Whether a read is under way.
    reading: AtomicBool,
    /// The latest read's number and answer.
    latest: watch::Sender<(u64, Answer)>,
}

/// A shared read's answer; an error as much of it as every waiter can be given.
#[derive(Clone, Debug)]
enum Answer {
    None,
    Revision(i64),
    /// The database cannot be used just now (a 503), or another error (a 500).
    Failed {
        outage: bool,
        message: String,
    },
}

impl RevisionReads {
    fn new() -> Self {
        Self {
            begun: AtomicU64::new(0),
            reading: AtomicBool::new(false),
            latest: watch::Sender::new((0, Answer::None)),
        }
    }

    async fn current(self: &Arc<Self>, db: &Db) -> Result<i64, StoreError> {
        let db = db.clone();
        self.shared(move || {
            let db = db.clone();
            async move { catalogue_revision(&db).await }
        })
        .await
    }

    /// The answer of a `read` begun after this call arrived, made by this call or shared.
    async fn shared<R, F>(self: &Arc<Self>, read: R) -> Result<i64, StoreError>
    where
        R: Fn() -> F + Send + Sync + 'static,
        F: std::future::Future<Output = Result<i64, sqlx::Error>> + Send + 'static,
    {
        let read = Arc::new(read);
        let arrived = self.begun.load(SeqCst);
        let mut latest = self.latest.subscribe();
        loop {
            let (number, answer) = latest.borrow_and_update().clone();
            if number > arrived {
                return match answer {
                    Answer::Revision(revision) => Ok(revision),
                    Answer::Failed { outage: true, message } => {
                        Err(sqlx::Error::Io(std::io::Error::other(message)).into())
                    }
                    Answer::Failed { message, .. } => Err(sqlx::Error::Protocol(message).into()),
                    // Only the value before any read has none, and its number is 0.
                    Answer::None => Err(StoreError::corrupt("a revision read without an answer")),
                };
            }
            if !self.reading.swap(true, SeqCst) {
                // In a task of its own, so a request that goes away cannot leave it unfinished.
                let (reads, read) = (self.clone(), read.clone());
                tokio::spawn(async move {
                    let number = reads.begun.fetch_add(1, SeqCst) + 1;
                    let answer = match read().await {
                        Ok(revision) => Answer::Revision(revision),
                        Err(e) => {
                            Answer::Failed { outage: crate::db::is_unavailable(&e), message: e.to_string() }
                        }
                    };
                    // Cleared before the answer is sent: a waiter woken by it for whom it is too
                    // old can then begin the next read.
                    reads.reading.store(false, SeqCst);
                    reads.latest.send_replace((number, answer));
                });
            }
            if latest.changed().await.is_err() {
                return Err(StoreError::corrupt("the revision reads ended"));
            }
        }
    }
}

impl ReadCache {
    pub fn new(db: Db) -> Self {
        Self {
            catalogues: Mutex::default(),
            records: Mutex::default(),
            revisions: Arc::new(RevisionReads::new()),
            db,
        }
    }

    /// The schemes `subject` belongs to, counted (see [`CountedMembership`]): one query where a
    /// membership list, a count per scheme and a dispute read per scheme took one each. One
    /// subject's rows, so one shard once distributed; read on the calling thread (see `Read`).
    pub async fn memberships_counted(
        &self,
        subject: SubjectId,
    ) -> Result<Vec<CountedMembership>, StoreError> {
        static STATEMENT: LazyLock<String> =
            LazyLock::new(|| format!("{MEMBERSHIPS_COUNTED} ORDER BY m.scheme_id"));
        Read::new(&STATEMENT)
            .bind(subject.to_string())
            .all(&self.db, |r| {
                counted_membership(r, 0)?.ok_or_else(|| StoreError::corrupt("a membership without a scheme"))
            })
            .await
    }

    /// What a page about one subject reads first (the record page), in one statement where it
    /// was three: the catalogue revision committed now, the subject's memberships counted (as
    /// [`Self::memberships_counted`]) and the subject with their blacklist entries as known at
    /// `as_of` (as [`blacklist::subject_with_entries`]). None when there is no such subject. A
    /// `UNION ALL` of the subject's rows and their memberships, both looked up by the subject,
    /// with the revision from a reference table: one shard's statement once distributed. The
    /// revision is read after the caller arrived, as [`Self::revision`]'s.
    pub async fn subject_now(
        &self,
        subject: SubjectId,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Option<SubjectNow>, StoreError> {
        // The subject's rows carry the revision and no membership; the memberships' rows carry
        // nothing else.
        static STATEMENT: LazyLock<String> = LazyLock::new(|| {
            let columns = blacklist::SUBJECT_WITH_ENTRIES_COLUMNS;
            format!(
                "{} UNION ALL SELECT {}, NULL, m.* FROM ({MEMBERSHIPS_COUNTED}) m ORDER BY {}, {}",
                blacklist::subject_with_entries_sql(
                    ", (SELECT revision FROM catalogue_revision) AS revision, NULL, NULL, NULL"
                ),
                vec!["NULL"; columns].join(", "),
                blacklist::ENTRY_ORDER.as_str(),
                columns + 2,
            )
        });
        let columns = blacklist::SUBJECT_WITH_ENTRIES_COLUMNS;
        let (mut reader, mut memberships) = (blacklist::EntryRows::new(subject), Vec::new());
        // The subject's rows, each with the revision; the memberships are kept aside.
        let rows = Read::new(&STATEMENT)
            .bind(subject.to_string())
            .bind(as_of.map(to_micros).unwrap_or(i64::MAX))
            .all(&self.db, |row| -> Result<_, StoreError> {
                match counted_membership(row, columns + 1)? {
                    Some(membership) => {
                        memberships.push(membership);
                        Ok(None)
                    }
                    None => Ok(Some((row.column::<i64>(columns)?, reader.read(row)?))),
                }
            })
            .await?;
        let revision = rows.iter().flatten().map(|(revision, _)| *revision).next();
        let rows = rows.into_iter().flatten().map(|(_, row)| row);
        let (Some(revision), Some((subject, entries))) = (revision, blacklist::EntryRows::finish(rows)?)
        else {
            return Ok(None);
        };
        Ok(Some(SubjectNow { revision, memberships, subject, entries }))
    }

    /// The catalogue revision as committed when the caller asked, or later (see
    /// [`RevisionReads`]): for pages; a write reads [`catalogue_revision`] in its transaction.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        // Where a read costs no hand-off to another thread, sharing one would cost more.
        if self.db.reads_on_calling_thread() {
            return Ok(catalogue_revision(&self.db).await?);
        }
        self.revisions.current(&self.db).await
    }

    /// Drops what was read under an older catalogue revision.
    fn catalogues_at(&self, revision: i64) -> std::sync::MutexGuard<'_, Catalogues> {
        let mut guard = self.catalogues.lock().unwrap_or_else(|e| e.into_inner());
        if guard.revision != revision {
            *guard = Catalogues { revision, ..Catalogues::default() };
        }
        guard
    }

    /// A scheme with its catalogue as of `revision` (from [`catalogue_revision`]).
    pub async fn context(
        &self,
        conn: &mut Conn<'_>,
        revision: i64,
        scheme: SchemeId,
    ) -> Result<Option<Arc<SchemeContext>>, StoreError> {
        if let Some(found) = self.catalogues_at(revision).contexts.get(&scheme) {
            return Ok(Some(found.clone()));
        }
        let Some(ctx) = catalogue::context(conn.get().await?, scheme).await? else { return Ok(None) };
        let ctx = Arc::new(ctx);
        self.catalogues_at(revision).contexts.insert(scheme, ctx.clone());
        Ok(Some(ctx))
    }

    /// Every authority, as of `revision`.
    pub async fn authorities<'c>(
        &self,
        conn: impl Into<Conn<'c>>,
        revision: i64,
    ) -> Result<Arc<Vec<Authority>>, StoreError> {
        if let Some(found) = &self.catalogues_at(revision).authorities {
            return Ok(found.clone());
        }
        let all = Arc::new(register::authorities(conn.into().get().await?).await?);
        self.catalogues_at(revision).authorities = Some(all.clone());
        Ok(all)
    }

    /// Every record of `subject` in `scheme`, oldest first.
    pub async fn records(
        &self,
        conn: &mut Conn<'_>,
        subject: SubjectId,
        scheme: SchemeId,
    ) -> Result<Arc<CachedRecords>, StoreError> {
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM events WHERE subject_id = $1 AND scheme_id = $2")
            .bind(subject.to_string())
            .bind(scheme.to_string())
            .fetch_one(conn.get().await?)
            .await?
            .try_get(0)?;
        self.records_counted(conn, subject, scheme, count).await
    }

    /// Every record of `subject` in `scheme`, oldest first, given their `count` read by the
    /// caller just before ([`memberships_counted`]). Counted before reading: a record appended
    /// in between makes the next count differ, so the worst a race does is one needless re-read.
    pub async fn records_counted(
        &self,
        conn: &mut Conn<'_>,
        subject: SubjectId,
        scheme: SchemeId,
        count: i64,
    ) -> Result<Arc<CachedRecords>, StoreError> {
        let key = (subject, scheme);
        if let Some((kept, found)) = self.lock_records().get(&key) {
            if *kept == count {
                return Ok(found.clone());
            }
        }
        let stored = records::events_of(conn.get().await?, subject, scheme).await?;
        let loaded = Arc::new(CachedRecords::new(stored));
        let mut records = self.lock_records();
        if records.len() >= RECORDS_KEPT {
            records.clear();
        }
        records.insert(key, (count, loaded.clone()));
        Ok(loaded)
    }

    fn lock_records(&self) -> std::sync::MutexGuard<'_, KeptRecords> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DatabaseUrl, Db};

    /// An SQLite database in a temporary folder, migrated or not.
    async fn sqlite(dir: &tempfile::TempDir, migrated: bool) -> Db {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite:{}", dir.path().join("r.db").display());
        let db = Db::connect(&DatabaseUrl::parse(&url).unwrap()).await.unwrap();
        if migrated {
            db.migrate().await.unwrap();
        }
        db
    }

    async fn set(db: &Db, revision: i64) {
        sqlx::query("UPDATE catalogue_revision SET revision = $1")
            .bind(revision)
            .execute(&db.pool)
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_arriving_together_share_reads_and_each_sees_what_was_committed_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, true).await;
        // Shared, as on PostgreSQL: on SQLite `revision` reads on the calling thread alone.
        let cache = Arc::new(ReadCache::new(db.clone()));
        let shared = |cache: Arc<ReadCache>, db: Db| async move { cache.revisions.current(&db).await };
        set(&db, 41).await;
        assert_eq!(shared(cache.clone(), db.clone()).await.unwrap(), 41);

        // 64 callers arrive while a read is under way (held until all of them wait): they share
        // it or the one read after it. On SQLite a read is too quick to overlap by itself.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let held_read = {
            let (gate, db) = (gate.clone(), db.clone());
            move || {
                let (gate, db) = (gate.clone(), db.clone());
                async move {
                    drop(gate.acquire().await);
                    catalogue_revision(&db).await
                }
            }
        };
        let before = cache.revisions.begun.load(SeqCst);
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let (cache, read) = (cache.clone(), held_read.clone());
                tokio::spawn(async move { cache.revisions.shared(read).await })
            })
            .collect();
        while cache.revisions.latest.receiver_count() < 64 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1);
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap(), 41);
        }
        let reads = cache.revisions.begun.load(SeqCst) - before;
        assert!((1..=2).contains(&reads), "64 callers at once shared reads: {reads} reads");

        // Committed before the next caller arrives: it sees it, every time.
        for revision in 42..52 {
            set(&db, revision).await;
            assert_eq!(shared(cache.clone(), db.clone()).await.unwrap(), revision);
            assert_eq!(cache.revision().await.unwrap(), revision);
        }

        // Pages wait for the revision holding pooled connections: with all of them held, it is
        // still read.
        let mut held = Vec::new();
        for _ in 0..db.pool.options().get_max_connections() {
            held.push(db.pool.acquire().await.unwrap());
        }
        let read = tokio::time::timeout(std::time::Duration::from_secs(3), shared(cache.clone(), db.clone()));
        assert_eq!(read.await.expect("read with every pooled connection held").unwrap(), 51);
        assert_eq!(cache.revision().await.unwrap(), 51);
    }

    /// A record page's standing whose reads all hit the cache needs no pooled connection: with
    /// every one held it still loads, the same as when it filled the cache.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_standing_read_from_the_cache_takes_no_pooled_connection() {
        use crate::store::standing::{self, Reads};
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, true).await;
        let now = chrono::Utc::now();
        crate::demo::seed(&db, now).await.unwrap();
        let subject: String = sqlx::query_scalar("SELECT subject_id FROM events GROUP BY subject_id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let subject = SubjectId::parse(&subject).unwrap();
        let cache = ReadCache::new(db.clone());
        let scores = |s: &standing::Standing| -> Vec<(SchemeId, i64, usize)> {
            s.schemes.iter().map(|s| (s.scheme_id(), s.score_on(now), s.records.stored.len())).collect()
        };
        let first = standing::load(&db, Reads::cached(&cache).await.unwrap(), subject, now).await.unwrap();
        assert!(first.schemes.iter().any(|s| !s.records.stored.is_empty()), "{:?}", scores(&first));

        let mut held = Vec::new();
        for _ in 0..db.pool.options().get_max_connections() {
            held.push(db.pool.acquire().await.unwrap());
        }
        let again = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            standing::load(&db, Reads::cached(&cache).await?, subject, now).await
        });
        let again = again.await.expect("loaded with every pooled connection held").unwrap();
        assert_eq!(scores(&again), scores(&first));
    }

    #[tokio::test]
    async fn a_failed_read_is_an_error_and_the_next_read_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir, false).await;
        // Not migrated: the table is missing, so every read fails, as a fault of Recourse's
        // (not as the database being unavailable).
        // Both ways: shared (PostgreSQL's) and on the calling thread alone (SQLite's).
        let cache = ReadCache::new(db.clone());
        for read in [cache.revisions.current(&db).await, cache.revision().await] {
            match read {
                Err(StoreError::Db(e)) => assert!(!crate::db::is_unavailable(&e), "{e}"),
                other => panic!("{other:?}"),
            }
        }
        // Once it is there, the next read answers.
        db.migrate().await.unwrap();
        assert_eq!(cache.revisions.current(&db).await.unwrap(), 0);
        assert_eq!(cache.revision().await.unwrap(), 0);
    }
}
