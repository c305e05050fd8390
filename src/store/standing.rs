//! A subject's standing: in each scheme they belong to, the scheme with its published catalogue,
//! their records, the disputes their appeals opened, and the derivation at an instant. This is
//! the one place the inputs of a derivation are put together (DESIGN.md invariant 10): every
//! page, export and stored score that shows a subject's score or grade takes it from here, so no
//! two views can differ by what they forgot to pass (the disputes, say).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{
    appeals,
    catalogue::{self, SchemeContext},
    read_cache::{CachedRecords, CountedMembership, ReadCache},
    records::{self, StoredEvent},
    register, StoreError,
};
use crate::db::Conn;
use crate::domain::{self, Derivation, Dispute, EventId, Reason, SchemeId, SubjectId};

/// Where the loader reads the catalogue and the records from.
#[derive(Clone, Copy, Debug)]
pub enum Reads<'a> {
    /// Through the read cache, which checks the database on every use, with the catalogue as of
    /// `revision` (read once for the request: [`Reads::cached`]): for pages and exports.
    Cached { cache: &'a ReadCache, revision: i64 },
    /// From the connection alone: inside a write transaction, whose rows may still roll back
    /// and so must never reach the cache.
    Direct,
}

impl<'a> Reads<'a> {
    /// Cached reads at the catalogue revision committed now: one read of it for whatever the
    /// caller loads with these (a page's every scheme, say).
    pub async fn cached(cache: &'a ReadCache) -> Result<Self, StoreError> {
        Ok(Self::Cached { cache, revision: cache.revision().await? })
    }
}

/// A subject's standing in one scheme at one instant.
#[derive(Debug)]
pub struct SchemeStanding {
    pub ctx: Arc<SchemeContext>,
    pub records: Arc<CachedRecords>,
    /// Every dispute the subject's appeals opened in this scheme, open or closed.
    pub disputes: Vec<Dispute>,
    /// The derivation at the instant the standing was loaded for.
    pub derivation: Derivation,
}

impl SchemeStanding {
    /// Derives from already-read inputs; the loaders below are the only ways to get these.
    fn derive(
        ctx: Arc<SchemeContext>,
        records: Arc<CachedRecords>,
        disputes: Vec<Dispute>,
        at: DateTime<Utc>,
    ) -> Self {
        let derivation = domain::derive(ctx.scheme(), &ctx.catalogue, &records.events, &disputes, at);
        Self { ctx, records, disputes, derivation }
    }

    pub fn scheme_id(&self) -> SchemeId {
        self.ctx.scheme().id()
    }

    /// The score from the same inputs at another instant (the history chart's points).
    pub fn score_on(&self, at: DateTime<Utc>) -> i64 {
        domain::score_at(self.ctx.scheme(), &self.ctx.catalogue, &self.records.events, &self.disputes, at)
    }

    /// The derivation from the same inputs at another instant.
    pub fn derivation_at(&self, at: DateTime<Utc>) -> Derivation {
        domain::derive(self.ctx.scheme(), &self.ctx.catalogue, &self.records.events, &self.disputes, at)
    }

    /// The derivation at `at` as it would stand if the dispute open on `contested` were not: what
    /// the subject had before the appeal, to show beside the result of a decision.
    pub fn without_dispute_on(&self, contested: EventId, at: DateTime<Utc>) -> Derivation {
        let others: Vec<Dispute> =
            self.disputes.iter().filter(|d| !(d.event == contested && d.is_open_at(at))).cloned().collect();
        domain::derive(self.ctx.scheme(), &self.ctx.catalogue, &self.records.events, &others, at)
    }

    /// Every record on file, oldest first, as stored (with its provenance).
    pub fn stored(&self) -> &[StoredEvent] {
        &self.records.stored
    }

    /// What a record is at the derivation's instant: counting (with the points that count), not
    /// counting and why, or a voiding record (which is never a line itself).
    pub fn status_of(&self, event: EventId) -> RecordStatus<'_> {
        if let Some(line) = self.derivation.lines.iter().find(|l| l.event == event) {
            return RecordStatus::Counts { points: line.points };
        }
        if let Some(n) = self.derivation.not_counting.iter().find(|n| n.event == event) {
            return RecordStatus::DoesNotCount(&n.reason);
        }
        let voids = self.records.events.iter().find(|e| e.id == event).and_then(|e| match &e.kind {
            domain::EventKind::Void { target, .. } => Some(*target),
            _ => None,
        });
        match voids {
            Some(target) => RecordStatus::Voids(target),
            None => RecordStatus::NotYetOnFile,
        }
    }

    /// Whether an appeal on `event` is open at the derivation's instant.
    pub fn is_under_appeal(&self, event: EventId) -> bool {
        self.disputes.iter().any(|d| d.event == event && d.is_open_at(self.derivation.at))
    }

    /// Where records keep counting while disputed and some counting record is under appeal: the
    /// derivation without the records under appeal, to show beside the one that applies (the
    /// grade if every open appeal succeeded). `None` when nothing counting is under appeal.
    pub fn without_disputed(&self) -> Option<Derivation> {
        let any = self.derivation.lines.iter().any(|l| self.is_under_appeal(l.event));
        any.then(|| {
            domain::derive_without_disputed(
                self.ctx.scheme(),
                &self.ctx.catalogue,
                &self.records.events,
                &self.disputes,
                self.derivation.at,
            )
        })
    }

    /// Whether `event` is suspended at the derivation's instant because it is disputed.
    pub fn is_suspended(&self, event: EventId) -> bool {
        matches!(self.status_of(event), RecordStatus::DoesNotCount(Reason::SuspendedWhileDisputed { .. }))
    }
}

/// What one record is in a derivation; see [`SchemeStanding::status_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordStatus<'a> {
    Counts {
        points: i64,
    },
    DoesNotCount(&'a Reason),
    /// A voiding record: it takes the record it names out of the score.
    Voids(EventId),
    /// Recorded after the derivation's instant.
    NotYetOnFile,
}

impl RecordStatus<'_> {
    /// A stable snake_case code, for localisation and exports.
    pub fn code(&self) -> &'static str {
        match self {
            RecordStatus::Counts { .. } => "counting",
            RecordStatus::DoesNotCount(reason) => reason.code(),
            RecordStatus::Voids(_) => "voids",
            RecordStatus::NotYetOnFile => "not_yet_on_file",
        }
    }
}

/// A subject's standing in every scheme they belong to (or those a loader was asked for), at
/// one instant.
#[derive(Debug)]
pub struct Standing {
    pub subject: SubjectId,
    pub at: DateTime<Utc>,
    /// By scheme id, as the memberships are listed.
    pub schemes: Vec<SchemeStanding>,
    /// The subject's other schemes, left out by [`load_among`]'s choice (none for [`load`]).
    pub left_out: usize,
}

impl Standing {
    pub fn in_scheme(&self, scheme: SchemeId) -> Option<&SchemeStanding> {
        self.schemes.iter().find(|s| s.scheme_id() == scheme)
    }
}

/// The subject's standing at `at` in every scheme they belong to.
pub async fn load<'c>(
    conn: impl Into<Conn<'c>>,
    reads: Reads<'_>,
    subject: SubjectId,
    at: DateTime<Utc>,
) -> Result<Standing, StoreError> {
    load_among(conn, reads, subject, at, |_| true).await
}

/// The subject's standing at `at` in those of their schemes `among` chooses (a recorder's
/// mandated schemes, say); the others are counted in [`Standing::left_out`], never read.
pub async fn load_among<'c>(
    conn: impl Into<Conn<'c>>,
    reads: Reads<'_>,
    subject: SubjectId,
    at: DateTime<Utc>,
    among: impl Fn(SchemeId) -> bool,
) -> Result<Standing, StoreError> {
    let conn = &mut conn.into();
    // Cached reads count each scheme's records and appeals with the memberships.
    let memberships: Vec<(SchemeId, Option<CountedMembership>)> = match reads {
        Reads::Cached { cache, .. } => {
            cache.memberships_counted(subject).await?.into_iter().map(|m| (m.scheme, Some(m))).collect()
        }
        Reads::Direct => {
            register::memberships(conn.get().await?, subject).await?.into_iter().map(|s| (s, None)).collect()
        }
    };
    in_memberships(conn, reads, subject, at, memberships, among).await
}

/// The subject's standing at `at` in every scheme they belong to, through `cache` at
/// `revision`, from their memberships just counted at that revision by the caller (in the
/// statement of [`ReadCache::subject_now`]): for pages that read those first (the record page).
pub async fn load_counted<'c>(
    conn: impl Into<Conn<'c>>,
    cache: &ReadCache,
    revision: i64,
    counted: Vec<CountedMembership>,
    subject: SubjectId,
    at: DateTime<Utc>,
) -> Result<Standing, StoreError> {
    let memberships = counted.into_iter().map(|m| (m.scheme, Some(m))).collect();
    in_memberships(&mut conn.into(), Reads::Cached { cache, revision }, subject, at, memberships, |_| true)
        .await
}

/// The standing in those of `memberships` that `among` chooses.
async fn in_memberships(
    conn: &mut Conn<'_>,
    reads: Reads<'_>,
    subject: SubjectId,
    at: DateTime<Utc>,
    mut memberships: Vec<(SchemeId, Option<CountedMembership>)>,
    among: impl Fn(SchemeId) -> bool,
) -> Result<Standing, StoreError> {
    let all = memberships.len();
    memberships.retain(|(scheme, _)| among(*scheme));
    let left_out = all - memberships.len();
    let mut schemes = Vec::new();
    for (scheme, counted) in memberships {
        let ctx = context(conn, reads, scheme)
            .await?
            .ok_or_else(|| StoreError::corrupt("a membership of an unknown scheme"))?;
        schemes.push(counted_in_context(conn, reads, ctx, subject, counted, at).await?);
    }
    Ok(Standing { subject, at, schemes, left_out })
}

/// The subject's standing at `at` in one scheme, if the scheme exists.
pub async fn in_scheme<'c>(
    conn: impl Into<Conn<'c>>,
    reads: Reads<'_>,
    subject: SubjectId,
    scheme: SchemeId,
    at: DateTime<Utc>,
) -> Result<Option<SchemeStanding>, StoreError> {
    let conn = &mut conn.into();
    let Some(ctx) = context(conn, reads, scheme).await? else { return Ok(None) };
    Ok(Some(counted_in_context(conn, reads, ctx, subject, None, at).await?))
}

/// The subject's standing at `at` in the scheme of `ctx`, already read by the caller.
pub async fn in_context<'c>(
    conn: impl Into<Conn<'c>>,
    reads: Reads<'_>,
    ctx: Arc<SchemeContext>,
    subject: SubjectId,
    at: DateTime<Utc>,
) -> Result<SchemeStanding, StoreError> {
    counted_in_context(&mut conn.into(), reads, ctx, subject, None, at).await
}

/// [`in_context`]; `counted`, when the caller has just counted the subject's records and
/// appeals in the scheme, spares the cache its own count, and the dispute read when there is no
/// appeal (an appeal's filing and its first action are written together).
async fn counted_in_context(
    conn: &mut Conn<'_>,
    reads: Reads<'_>,
    ctx: Arc<SchemeContext>,
    subject: SubjectId,
    counted: Option<CountedMembership>,
    at: DateTime<Utc>,
) -> Result<SchemeStanding, StoreError> {
    let scheme = ctx.scheme().id();
    let records = match (reads, counted) {
        (Reads::Cached { cache, .. }, Some(c)) => {
            cache.records_counted(conn, subject, scheme, c.records).await?
        }
        (Reads::Cached { cache, .. }, None) => cache.records(conn, subject, scheme).await?,
        (Reads::Direct, _) => {
            Arc::new(CachedRecords::new(records::events_of(conn.get().await?, subject, scheme).await?))
        }
    };
    let disputes = match counted {
        Some(c) if c.appeals == 0 => Vec::new(),
        _ => appeals::disputes(conn.get().await?, subject, scheme).await?,
    };
    Ok(SchemeStanding::derive(ctx, records, disputes, at))
}

async fn context(
    conn: &mut Conn<'_>,
    reads: Reads<'_>,
    scheme: SchemeId,
) -> Result<Option<Arc<SchemeContext>>, StoreError> {
    match reads {
        Reads::Cached { cache, revision } => cache.context(conn, revision, scheme).await,
        Reads::Direct => Ok(catalogue::context(conn.get().await?, scheme).await?.map(Arc::new)),
    }
}

/// The derivation alone, read directly (never through the cache): inside write transactions (a
/// decision's grade after), and for tests that compare a view with a fresh derivation.
pub async fn derivation(
    conn: &mut AnyConnection,
    ctx: &SchemeContext,
    subject: SubjectId,
    at: DateTime<Utc>,
) -> Result<Derivation, StoreError> {
    Ok(in_context(conn, Reads::Direct, Arc::new(ctx.clone()), subject, at).await?.derivation)
}
