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
    sync::{Arc, Mutex},
};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

use super::{
    catalogue::{self, SchemeContext},
    records::{self, StoredEvent},
    register::{self, Authority},
    StoreError,
};
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

#[derive(Default)]
pub struct ReadCache {
    catalogues: Mutex<Catalogues>,
    records: Mutex<KeptRecords>,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").finish_non_exhaustive()
    }
}

/// The current catalogue revision.
pub async fn catalogue_revision(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query("SELECT revision FROM catalogue_revision").fetch_one(&mut *conn).await?.try_get(0)?)
}

impl ReadCache {
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
        conn: &mut AnyConnection,
        revision: i64,
        scheme: SchemeId,
    ) -> Result<Option<Arc<SchemeContext>>, StoreError> {
        if let Some(found) = self.catalogues_at(revision).contexts.get(&scheme) {
            return Ok(Some(found.clone()));
        }
        let Some(ctx) = catalogue::context(conn, scheme).await? else { return Ok(None) };
        let ctx = Arc::new(ctx);
        self.catalogues_at(revision).contexts.insert(scheme, ctx.clone());
        Ok(Some(ctx))
    }

    /// Every authority, as of `revision`.
    pub async fn authorities(
        &self,
        conn: &mut AnyConnection,
        revision: i64,
    ) -> Result<Arc<Vec<Authority>>, StoreError> {
        if let Some(found) = &self.catalogues_at(revision).authorities {
            return Ok(found.clone());
        }
        let all = Arc::new(register::authorities(conn).await?);
        self.catalogues_at(revision).authorities = Some(all.clone());
        Ok(all)
    }

    /// Every record of `subject` in `scheme`, oldest first.
    pub async fn records(
        &self,
        conn: &mut AnyConnection,
        subject: SubjectId,
        scheme: SchemeId,
    ) -> Result<Arc<CachedRecords>, StoreError> {
        // Counted before reading: a record appended in between makes the next count differ, so
        // the worst a race does is one needless re-read.
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM events WHERE subject_id = $1 AND scheme_id = $2")
            .bind(subject.to_string())
            .bind(scheme.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let key = (subject, scheme);
        if let Some((kept, found)) = self.lock_records().get(&key) {
            if *kept == count {
                return Ok(found.clone());
            }
        }
        let stored = records::events_of(conn, subject, scheme).await?;
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
