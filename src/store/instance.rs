//! Facts about this database itself, such as whether it holds the demo data set.

use sqlx::Row;

use crate::db::{Db, Dialect};

const DEMO_KEY: &str = "demo";

/// What a database holds, as far as `recourse demo` is concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum Contents {
    Empty,
    Demo,
    Other,
}

/// Whether the database is empty, a demo database, or something else (never to be overwritten).
pub async fn contents(db: &Db) -> Result<Contents, sqlx::Error> {
    let tables_sql = match db.dialect {
        Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let tables: i64 = sqlx::query(tables_sql).fetch_one(&db.pool).await?.try_get(0)?;
    if tables == 0 {
        return Ok(Contents::Empty);
    }
    let marked = sqlx::query("SELECT value FROM instance_meta WHERE key = $1")
        .bind(DEMO_KEY)
        .fetch_optional(&db.pool)
        .await
        .ok()
        .flatten()
        .is_some();
    Ok(if marked { Contents::Demo } else { Contents::Other })
}

/// Marks the database as a demo database, which `recourse demo` may reset.
pub async fn mark_demo(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO instance_meta (key, value) VALUES ($1, 'true')")
        .bind(DEMO_KEY)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Drops everything in a PostgreSQL demo schema so it can be seeded afresh.
pub async fn reset_postgres_schema(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").execute(&db.pool).await?;
    Ok(())
}
