//! Bulk import benchmark, as issue 7 asks: events per second importing a CSV file of
//! `RECOURSE_BENCH_IMPORT_EVENTS` events (default 1,000,000) about `RECOURSE_BENCH_IMPORT_SUBJECTS`
//! enrolled subjects (default 20,000), through the same path as the API and the form (the file
//! read as a stream, checked row by row, recorded in batches, each touched record rescored once,
//! one notice per event), on SQLite and, when `RECOURSE_TEST_POSTGRES_URL` is set, on a fresh
//! PostgreSQL database dropped afterwards. Prints the peak resident memory of the process (the
//! file is never held whole). `RECOURSE_BENCH_IMPORT_MODE=good_rows` measures the chunked mode;
//! the default is all-or-nothing (one transaction). Prints figures next to the targets; never
//! asserts a time.
//!
//! Run with `cargo bench --bench import`.

use std::{io::Write, path::Path, time::Instant};

use anyhow::Context;
use chrono::{Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use recourse::{
    api::{files, files::Format, rows::Defaults},
    db::{DatabaseUrl, Db},
    domain::{AuthorityId, SubjectId},
    store::{
        audit::Actor,
        import::{Importer, Mode, Origin},
    },
};
use sqlx::{AnyConnection, Connection, Executor};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let events = env_number("RECOURSE_BENCH_IMPORT_EVENTS", 1_000_000);
    let subjects = env_number("RECOURSE_BENCH_IMPORT_SUBJECTS", 20_000).max(1);
    let mode = std::env::var("RECOURSE_BENCH_IMPORT_MODE")
        .ok()
        .and_then(|m| Mode::parse(&m))
        .unwrap_or(Mode::AllOrNothing);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let dir = std::env::temp_dir().join(format!("recourse-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("bulk import: {events} events about {subjects} subjects, mode {}", mode.code());

    let sqlite = format!("sqlite:{}", dir.join("bench.db").display());
    let result = runtime.block_on(run("SQLite", &sqlite, &dir, events, subjects, mode));
    if let Ok(admin_url) = std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        let name = format!("recourse_bench_{}", uuid::Uuid::now_v7().simple());
        runtime.block_on(async {
            let mut admin = AnyConnection::connect(&admin_url).await?;
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
            let mut url = url::Url::parse(&admin_url)?;
            url.set_path(&name);
            let outcome = run("PostgreSQL", url.as_str(), &dir, events, subjects, mode).await;
            admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
            outcome
        })?;
    } else {
        println!("PostgreSQL: skipped (set RECOURSE_TEST_POSTGRES_URL)");
    }
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    println!("peak resident memory of the process: {} MB (target ≤ 300 MB)", peak_rss_kb() / 1024);
    Ok(())
}

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
    let file = dir.join("events.csv");
    write_file(&file, &members, events)?;
    let size = std::fs::metadata(&file)?.len();
    let authority: String = sqlx::query_scalar("SELECT id FROM authorities WHERE code = 'rc-traffic'")
        .fetch_one(&db.pool)
        .await?;
    let origin = Origin {
        authority: AuthorityId::parse(&authority)?,
        actor: Actor::cli("bench"),
        account: None,
        format: "csv",
    };
    let defaults = Defaults { recorded_by: "bench".into(), source: "import:csv".into() };
    let started = Instant::now();
    let importer = Importer::start(&db, origin, mode, false, Utc::now()).await?;
    let summary = files::import_file(importer, Format::Csv, defaults, file.clone()).await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.committed && summary.recorded == events as u64,
        "{label}: expected {events} recorded, got {} ({} problems, first {:?})",
        summary.recorded,
        summary.problems_total,
        summary.problems.first()
    );
    println!(
        "{label}: {events} events ({} MB of CSV) in {seconds:.1} s = {:.0} events/s (target ≥ 50,000 on SQLite)",
        size >> 20,
        events as f64 / seconds
    );
    if db.dialect == recourse::db::Dialect::Sqlite {
        // The import's commit leaves copying its log back into the database file to a
        // background checkpoint; waiting for it shows how long that takes.
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
    }
    println!("{label}: peak resident memory so far: {} MB", peak_rss_kb() / 1024);
    // Sending the file again records nothing twice; it is timed too.
    let origin = Origin {
        authority: AuthorityId::parse(&authority)?,
        actor: Actor::cli("bench"),
        account: None,
        format: "csv",
    };
    let started = Instant::now();
    let importer = Importer::start(&db, origin, mode, false, Utc::now()).await?;
    let defaults = Defaults { recorded_by: "bench".into(), source: "import:csv".into() };
    let again = files::import_file(importer, Format::Csv, defaults, file.clone()).await?;
    anyhow::ensure!(
        again.recorded == 0 && again.duplicates == events as u64,
        "{label}: a re-sent file recorded"
    );
    println!(
        "{label}: the same file again: {} duplicates, nothing recorded, in {:.1} s",
        again.duplicates,
        started.elapsed().as_secs_f64()
    );
    db.pool.close().await;
    let _ = std::fs::remove_file(&file);
    Ok(())
}

/// `count` new subjects enrolled in the Rongcheng scheme, written with multi-row statements.
async fn enrol(db: &Db, count: usize) -> anyhow::Result<Vec<SubjectId>> {
    let scheme: String =
        sqlx::query_scalar("SELECT id FROM schemes WHERE code = 'rongcheng'").fetch_one(&db.pool).await?;
    let now = recourse::store::to_micros(Utc::now() - Duration::days(400));
    let ids: Vec<SubjectId> = (0..count).map(|_| SubjectId::new()).collect();
    let mut tx = db.pool.begin().await?;
    for batch in ids.chunks(500) {
        let values: Vec<String> =
            (0..batch.len()).map(|i| format!("(${}, 'person', ${}, $1)", 2 * i + 2, 2 * i + 3)).collect();
        let sql =
            format!("INSERT INTO subjects (id, kind, display_name, created_at) VALUES {}", values.join(", "));
        let mut query = sqlx::query(&sql).bind(now);
        for (i, id) in batch.iter().enumerate() {
            query = query.bind(id.to_string()).bind(format!("Bench Subject {i}"));
        }
        query.execute(&mut *tx).await?;
        let values: Vec<String> = (0..batch.len()).map(|i| format!("(${}, $1, $2, $2)", i + 3)).collect();
        let sql = format!(
            "INSERT INTO scheme_memberships (subject_id, scheme_id, joined_at, last_write_at) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(&scheme).bind(now);
        for id in batch {
            query = query.bind(id.to_string());
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// A CSV file of `events` traffic tickets spread over `members`, each with its own reference.
fn write_file(path: &Path, members: &[SubjectId], events: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
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
            "{subject},rongcheng,TRAFFIC-01,{},,BENCH-{i:08},officer {},camera,EV-{i}",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            i % 97
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The peak resident set size of this process, in KiB (Linux).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
