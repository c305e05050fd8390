//! A connection the caller holds, or one taken from the pool only when a read needs it.

use sqlx::{pool::PoolConnection, Any, AnyConnection};

use super::Db;

/// Where a loader that mostly reads from the cache (or on the calling thread, see
/// [`super::Read`]) gets a connection for what it must read through sqlx.
pub enum Conn<'a> {
    /// A connection or transaction the caller holds: every read shares it.
    Held(&'a mut AnyConnection),
    /// None yet: one is taken from the readers' pool at the first read that needs it, so a page
    /// whose reads all come from the cache takes none (on SQLite, each connection handed back
    /// costs sqlx's ping on its worker thread).
    OnDemand(&'a Db, Option<PoolConnection<Any>>),
}

impl Conn<'_> {
    /// The connection, taken from the pool now if none is held yet.
    pub async fn get(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        match self {
            Conn::Held(conn) => Ok(&mut **conn),
            Conn::OnDemand(db, taken) => {
                if taken.is_none() {
                    *taken = Some(db.pool.acquire().await?);
                }
                taken.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
            }
        }
    }
}

impl<'a> From<&'a Db> for Conn<'a> {
    fn from(db: &'a Db) -> Self {
        Conn::OnDemand(db, None)
    }
}

impl<'a> From<&'a mut AnyConnection> for Conn<'a> {
    fn from(conn: &'a mut AnyConnection) -> Self {
        Conn::Held(conn)
    }
}

impl<'a> From<&'a mut PoolConnection<Any>> for Conn<'a> {
    fn from(conn: &'a mut PoolConnection<Any>) -> Self {
        Conn::Held(&mut *conn)
    }
}

impl<'a, 't> From<&'a mut sqlx::Transaction<'t, Any>> for Conn<'a> {
    fn from(tx: &'a mut sqlx::Transaction<'t, Any>) -> Self {
        Conn::Held(&mut *tx)
    }
}
