//! A connection the caller holds, or one taken from the pool only when a read needs it.

use sqlx::{pool::PoolConnection, Any, AnyConnection};

use super::Db;

/// Where reads run: on a connection the caller holds, or on the database, where a
/// [`super::Read`] runs on the calling thread (SQLite) and anything else read through sqlx takes
/// a pooled connection at the first read that needs it ([`Conn::get`]).
pub enum Conn<'a> {
    /// A connection or transaction the caller holds: every read shares it, and its snapshot.
    Held(&'a mut AnyConnection),
    /// None taken yet: a page whose reads all come from the cache or the calling thread takes
    /// none (on SQLite each connection handed back costs sqlx's ping on its worker thread).
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
