//! PostgreSQL's point reads on connections of their own. sqlx's pool pings every connection it
//! takes back (a round trip, as many as the statements a page makes), and its Any driver copies
//! every row into a form of its own; a [`super::Read`] on the database runs here instead, on a
//! native connection handed back with no round trip once the read completes. A read dropped
//! half-way (a client gone) drops its connection rather than hand back one in an unknown state,
//! which is what sqlx's ping on release guards against.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use sqlx::{
    postgres::{PgConnectOptions, PgRow},
    ConnectOptions, Connection, Executor, PgConnection,
};
use tokio::sync::Semaphore;

use super::inline::{sqlx_rows, Param};

/// How long a connection may sit idle and still be used unpinged (as the pool's, see `db.rs`).
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);
/// How long a read waits for a connection when all are in use, as the pool's acquire.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(5);
/// Connections unused this long are closed, so a burst's do not hold server slots for good (as
/// the pool's idle timeout).
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

pub(super) struct PgReads {
    options: PgConnectOptions,
    /// At most this many connections at once (the read pool's size).
    permits: Semaphore,
    /// Idle connections with when each was last used; `None` once the database is closed.
    idle: Mutex<Option<Vec<(PgConnection, Instant)>>>,
}

impl PgReads {
    pub(super) fn new(options: PgConnectOptions, connections: usize) -> Self {
        Self { options, permits: Semaphore::new(connections), idle: Mutex::new(Some(Vec::new())) }
    }

    /// Drops every idle connection; later reads fail as a closed pool's would.
    pub(super) fn close(&self) {
        self.permits.close();
        if let Ok(mut idle) = self.idle.lock() {
            *idle = None;
        }
    }

    fn kept(&self) -> Result<Option<(PgConnection, Instant)>, sqlx::Error> {
        match self.idle.lock() {
            Ok(mut idle) => Ok(idle.as_mut().ok_or(sqlx::Error::PoolClosed)?.pop()),
            Err(_) => Ok(None),
        }
    }

    /// An idle connection (pinged first if idle a while: the server may have dropped it), or a
    /// new one.
    async fn take(&self) -> Result<PgConnection, sqlx::Error> {
        while let Some((mut conn, since)) = self.kept()? {
            if since.elapsed() <= IDLE_BEFORE_PING || conn.ping().await.is_ok() {
                return Ok(conn);
            }
        }
        let mut conn = self.options.connect().await?;
        // Nothing is written here. Set by a statement rather than in the startup packet's
        // `options`, which a connection pooler such as PgBouncer refuses by default.
        conn.execute("SET default_transaction_read_only = on").await?;
        conn.execute(super::NO_JIT).await?;
        Ok(conn)
    }

    fn give_back(&self, conn: PgConnection) {
        let unused = match self.idle.lock() {
            Ok(mut idle) => match idle.as_mut() {
                Some(idle) => {
                    // The most recently used are taken first, so the long unused are the first.
                    let stale = idle.iter().take_while(|(_, since)| since.elapsed() >= IDLE_TIMEOUT).count();
                    idle.push((conn, Instant::now()));
                    idle.drain(..stale).map(|(conn, _)| conn).collect()
                }
                None => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        if !unused.is_empty() {
            tokio::spawn(async move {
                for conn in unused {
                    let _ = conn.close().await;
                }
            });
        }
    }

    /// The rows of `sql` with `params`, at most `limit`.
    pub(super) async fn rows(
        &self,
        sql: &str,
        params: &[Param],
        limit: usize,
    ) -> Result<Vec<PgRow>, sqlx::Error> {
        let _permit = tokio::time::timeout(WAIT_FOR_CONNECTION, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let mut conn = self.take().await?;
        let rows = sqlx_rows(&mut conn, sql, params, limit).await;
        // The connection goes back only after a complete exchange: a read that succeeded, or one
        // the server refused (its error ends the exchange as a result does).
        if matches!(&rows, Ok(_) | Err(sqlx::Error::Database(_))) {
            self.give_back(conn);
        }
        rows
    }
}
