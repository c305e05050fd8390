//! Bulk import benchmark, as issues 7 and 16 ask: events per second importing a CSV file of
//! `RECOURSE_BENCH_IMPORT_EVENTS` events (default 1,000,000) about `RECOURSE_BENCH_IMPORT_SUBJECTS`
//! enrolled subjects (default 20,000), through the same path as the API and the form (the file
//! read as a stream, checked row by row, recorded in batches, one notice per touched record), on
//! SQLite and, when `RECOURSE_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database dropped
//! afterwards. `RECOURSE_BENCH_IMPORT_MODE=good_rows` measures the chunked mode; the default is
//! all-or-nothing (one transaction).
//!
//! Each database gets three imports, each timed: the file into the empty database; the same
//! file again (nothing recorded, every row a duplicate); and a second file of as many events
//! with new references about the same subjects, into the database already holding the first
//! file's events, with its time as a multiple of the first's. After each it prints the peak
//! (VmHWM) and current (VmRSS) resident memory of the process, which holds the whole server
//! (the files are never held whole), and the size of the database (on SQLite, its `-wal` log as
//! the import left it and the database file once the background checkpoint has copied the log
//! back into it). Prints figures next to the targets; never asserts a time.
//!
//! Run with `cargo bench --bench import`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::Context;
use chrono::{Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use recourse::{
    db::{DatabaseUrl, Db, Dialect},
    domain::{AuthorityId, SubjectId},
    store::import::Mode,
};
use sqlx::{AnyConnection, Connection, Executor};

#[path = "support/mod.rs"]
mod support;
use support::{enrol, env_number, import, memory};

fn main() -> anyhow::Result<()> {
    let events = env_number("RECOURSE_BENCH_IMPORT_EVENTS", 1_000_000);
    let subjects = env_number("RECOURSE_BENCH_IMPORT_SUBJECTS", 20_000).max(1);
    let mode = std::env::var("RECOURSE_BENCH_IMPORT_MODE")
        .ok()
        .and_then(|m| Mode::parse(&m))
        .unwrap_or(Mode::AllOrNothing);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!("bulk import: {events} events about {subjects} subjects, mode {}", mode.code());

    let dir = Scratch::new("sqlite")?;
    let sqlite = format!("sqlite:{}", dir.0.join("bench.db").display());
    runtime.block_on(run("SQLite", &sqlite, &dir.0, events, subjects, mode))?;
    // Its files go before PostgreSQL fills the same disk.
    drop(dir);
    if let Ok(admin_url) = std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        let dir = Scratch::new("postgres")?;
        let name = format!("recourse_bench_{}", uuid::Uuid::now_v7().simple());
        runtime.block_on(async {
            let mut admin = AnyConnection::connect(&admin_url).await?;
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
            let mut url = url::Url::parse(&admin_url)?;
            url.set_path(&name);
            let outcome = run("PostgreSQL", url.as_str(), &dir.0, events, subjects, mode).await;
            admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
            outcome
        })?;
    } else {
        println!("PostgreSQL: skipped (set RECOURSE_TEST_POSTGRES_URL)");
    }
    println!("{}", memory());
    Ok(())
}

/// A folder for one database's files (its CSV files; on SQLite the database), removed with
/// them when dropped, after an error too.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("recourse-bench-import-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The three imports into one database (see the module comment).
async fn run(
    label: &str,
    url: &str,
    dir: &Path,
    events: usize,
    subjects: usize,
    mode: Mode,
) -> anyhow::Result<()> {
    let db = Db::connect(&DatabaseUrl::parse(url)?).await?;
    db.migrate().await?;
    recourse::demo::seed(&db, Utc::now()).await.context("demo data")?;
    let members = enrol(&db, subjects).await?;
    let authority: String = sqlx::query_scalar("SELECT id FROM authorities WHERE code = 'rc-traffic'")
        .fetch_one(&db.pool)
        .await?;
    let authority = AuthorityId::parse(&authority)?;
    let events64 = events as u64;

    let file = dir.join("events.csv");
    write_file(&file, &members, events, 1)?;
    let size = std::fs::metadata(&file)?.len();
    let (first, empty) = import(&db, authority, mode, &file).await?;
    anyhow::ensure!(
        first.committed && first.recorded == events64,
        "{label}: expected {events} recorded, got {} ({} problems, first {:?})",
        first.recorded,
        first.problems_total,
        first.problems.first()
    );
    println!(
        "{label}: {events} events ({} MB of CSV) into an empty database in {empty:.1} s = {:.0} events/s \
         (target ≥ 50,000 on SQLite)",
        size >> 20,
        events as f64 / empty
    );
    settled(label, &db, dir).await?;

    // Sending the file again records nothing twice.
    let (again, seconds) = import(&db, authority, mode, &file).await?;
    anyhow::ensure!(again.recorded == 0 && again.duplicates == events64, "{label}: a re-sent file recorded");
    println!(
        "{label}: the same file again: {} duplicates, nothing recorded, in {seconds:.1} s",
        again.duplicates
    );
    println!("{label}: {}", memory());

    // As many new events about the same subjects, each of which already holds its share.
    write_file(&file, &members, events, 2)?;
    let (second, full) = import(&db, authority, mode, &file).await?;
    anyhow::ensure!(
        second.committed && second.recorded == events64,
        "{label}: expected {events} more recorded, got {}",
        second.recorded
    );
    println!(
        "{label}: {events} events into a database already holding {events} events in {full:.1} s = \
         {:.0} events/s, {:.2}× the time into an empty one (target ≤ 2×)",
        events as f64 / full,
        full / empty
    );
    settled(label, &db, dir).await?;
    db.pool.close().await;
    Ok(())
}

/// After an import: on SQLite, waits for the background checkpoint that copies the import's log
/// back into the database file (and says how long that took); then prints the memory and the
/// size of the database.
async fn settled(label: &str, db: &Db, dir: &Path) -> anyhow::Result<()> {
    let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len()) >> 20;
    let storage = if db.dialect == Dialect::Sqlite {
        let log = size("bench.db-wal");
        let started = Instant::now();
        loop {
            // (busy, frames in the log, frames copied back): busy while the background one runs.
            let (busy, log, copied): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&db.pool).await?;
            if busy == 0 && log == copied {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        println!(
            "{label}: the log copied back into the database file (in the background) {:.1} s later",
            started.elapsed().as_secs_f64()
        );
        format!("database file {} MB, its -wal log {log} MB at the import's end", size("bench.db"))
    } else {
        let bytes: i64 =
            sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&db.pool).await?;
        format!("database {} MB", bytes >> 20)
    };
    println!("{label}: {storage}; {}", memory());
    Ok(())
}

/// A CSV file of `events` traffic tickets spread over `members`, each with its own reference
/// (`BENCH{round}-…`: the files of two rounds share none).
fn write_file(path: &Path, members: &[SubjectId], events: usize, round: u64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(round);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref"
    )?;
    let now = Utc::now();
    for i in 0..events {
        let subject = members[rng.gen_range(0..members.len())];
        let at = now - Duration::minutes(rng.gen_range(60..300 * 24 * 60));
        writeln!(
            out,
            "{subject},rongcheng,TRAFFIC-01,{},,BENCH{round}-{i:08},officer {},camera,EV-{round}-{i}",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            i % 97
        )?;
    }
    out.flush()?;
    Ok(())
}
