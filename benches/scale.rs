//! Rongcheng's scale, measured, as issue 18 asks: `RECOURSE_SCALE_SUBJECTS` subjects (default
//! 740,000, Rongcheng's adults) with `RECOURSE_SCALE_RECORDS` records each (default 10), loaded
//! through the bulk import (good-rows files of at most a million rows), on SQLite and, when
//! `RECOURSE_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database dropped afterwards.
//!
//! Prints, per database: the time to load and the database's size; the record page's p50/p99
//! and requests/s at 16 clients for a typical subject (`RECOURSE_SCALE_RECORDS` records) and a
//! 1,000-record one; the same for the reviewers' queue (`/review`); and a repeal of a rule
//! every subject has a record under; `recourse audit verify` over the loaded database, run as a
//! process of its own (its time and peak memory). Figures only: it never asserts a time.
//! `RECOURSE_BENCH_SECONDS` sets the measured seconds per page (default 5);
//! `RECOURSE_SCALE_SKIP_SQLITE=1` measures PostgreSQL alone; `RECOURSE_SCALE_KEEP_SQLITE=1` keeps
//! the SQLite database (its path is printed) to run other commands on it.
//!
//! Run with `cargo bench --bench scale`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{ensure, Context};
use chrono::{Duration as Span, SubsecRound, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use recourse::{
    db::{DatabaseUrl, Db, Dialect},
    domain::{AuthorityId, RuleCode, SubjectId},
    store::{audit::Actor, catalogue, import::Mode, repeal},
};
use tokio::runtime::Runtime;

#[path = "support/mod.rs"]
mod support;
use support::{
    create_database, drop_database, enrol, env_number, hammer, import, memory, peak_since, percentile,
    reset_peak_memory, seed_subject, serve, sign_in, sign_in_with, status_kb, CLIENTS,
};

/// Rows per import file.
const FILE_ROWS: usize = 1_000_000;
/// The rule every loaded subject has one record under, repealed at the end.
const REPEALED: &str = "TRAFFIC-02";

fn main() -> anyhow::Result<()> {
    let subjects = env_number("RECOURSE_SCALE_SUBJECTS", 740_000).max(1);
    let records = env_number("RECOURSE_SCALE_RECORDS", 10).max(1);
    let measure = Duration::from_secs_f64(
        std::env::var("RECOURSE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0),
    );
    sqlx::any::install_default_drivers();
    let server = tokio::runtime::Builder::new_multi_thread().thread_name("server").enable_all().build()?;
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()?;
    println!(
        "Rongcheng scale: {subjects} subjects × {records} records = {} events · {CLIENTS} clients · \
         {:.1} s measured per page · {} cores",
        subjects * records,
        measure.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let scale = Scale { subjects, records, measure };

    if std::env::var_os("RECOURSE_SCALE_SKIP_SQLITE").is_none() {
        let mut dir = tempfile::tempdir().context("temp dir")?;
        dir.disable_cleanup(std::env::var_os("RECOURSE_SCALE_KEEP_SQLITE").is_some());
        let sqlite = format!("sqlite:{}", dir.path().join("scale.db").display());
        scale.run(&server, &load, &sqlite, "sqlite", dir.path())?;
        if std::env::var_os("RECOURSE_SCALE_KEEP_SQLITE").is_some() {
            println!("sqlite: kept at {sqlite}");
        }
    }
    match std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let dir = tempfile::tempdir().context("temp dir")?;
            let name = format!("recourse_scale_{}", uuid::Uuid::now_v7().simple());
            let url = server.block_on(create_database(&admin_url, &name))?;
            let outcome = scale.run(&server, &load, &url, "postgres", dir.path());
            server.block_on(drop_database(&admin_url, &name))?;
            outcome?;
        }
        Err(_) => println!("(PostgreSQL skipped: set RECOURSE_TEST_POSTGRES_URL to measure it too)"),
    }
    println!("{}", memory());
    Ok(())
}

struct Scale {
    subjects: usize,
    records: usize,
    measure: Duration,
}

impl Scale {
    fn run(
        &self,
        server: &Runtime,
        load: &Runtime,
        url: &str,
        label: &str,
        dir: &Path,
    ) -> anyhow::Result<()> {
        let db = server.block_on(async {
            let db = Db::connect(&DatabaseUrl::parse(url)?).await?;
            db.migrate().await?;
            recourse::demo::seed(&db, Utc::now().trunc_subsecs(6)).await.context("demo data")?;
            anyhow::Ok(db)
        })?;
        let outcome = (|| {
            let started = Instant::now();
            server.block_on(self.load(&db, dir, label))?;
            let loaded = started.elapsed().as_secs_f64();
            println!(
                "{label}: loaded {} events about {} subjects in {loaded:.0} s ({:.0} events/s); {}; {}",
                self.subjects * self.records,
                self.subjects,
                (self.subjects * self.records) as f64 / loaded,
                server.block_on(size(&db, dir))?,
                memory()
            );
            verify(server, url, &db, label)?;
            let address = server.block_on(async {
                let now = Utc::now().trunc_subsecs(6);
                seed_subject(&db, "Typical Scale Subject", "scale-typical", self.records, 1, now).await?;
                seed_subject(&db, "Heavy Scale Subject", "scale-heavy", 1_000, 2, now).await?;
                serve(&db).await
            })?;
            let pages = [
                ("typical record page", "scale-typical", None, "/record"),
                ("1,000-record page", "scale-heavy", None, "/record"),
                ("reviewers' queue", "demo-reviewer", Some("review-demo-2026"), "/review"),
            ];
            for (page, username, password, path) in pages {
                let client = load.block_on(async {
                    match password {
                        Some(p) => sign_in_with(&address, username, p).await,
                        None => sign_in(&address, username).await,
                    }
                })?;
                let url = format!("{address}{path}");
                load.block_on(hammer(&client, &url, None, (self.measure / 4).min(Duration::from_secs(2))));
                let (mut latencies, elapsed, errors) =
                    load.block_on(hammer(&client, &url, None, self.measure));
                latencies.sort_unstable();
                println!(
                    "{label}: {page:<20} {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {errors} errors)",
                    latencies.len() as f64 / elapsed.as_secs_f64(),
                    percentile(&latencies, 50.0),
                    percentile(&latencies, 99.0),
                    latencies.len()
                );
            }
            server.block_on(self.repeal(&db, label))
        })();
        server.block_on(db.pool.close());
        outcome
    }

    /// Enrols the subjects and imports their records, a file of at most [`FILE_ROWS`] at a time.
    async fn load(&self, db: &Db, dir: &Path, label: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let members = enrol(db, self.subjects).await?;
        println!("{label}: enrolled {} subjects in {:.1} s", self.subjects, started.elapsed().as_secs_f64());
        let authority: String = sqlx::query_scalar("SELECT id FROM authorities WHERE code = 'rc-traffic'")
            .fetch_one(&db.pool)
            .await?;
        let authority = AuthorityId::parse(&authority)?;
        let file = dir.join("scale.csv");
        let per_file = (FILE_ROWS / self.records).max(1);
        for (part, group) in members.chunks(per_file).enumerate() {
            write_file(&file, group, self.records, part)?;
            let (summary, seconds) = import(db, authority, Mode::GoodRows, &file).await?;
            let expected = (group.len() * self.records) as u64;
            ensure!(
                summary.recorded == expected,
                "{label}: file {part}: {} of {expected} recorded (first problem {:?})",
                summary.recorded,
                summary.problems.first()
            );
            println!("{label}: file {part}: {expected} events in {seconds:.1} s");
        }
        Ok(())
    }

    /// Repeals [`REPEALED`], which every loaded subject has a record under.
    async fn repeal(&self, db: &Db, label: &str) -> anyhow::Result<()> {
        let held = reset_peak_memory();
        let started = Instant::now();
        let mut tx = db.pool.begin().await?;
        let scheme =
            catalogue::scheme_by_code(&mut tx, "rongcheng").await?.context("the Rongcheng scheme")?;
        let done = repeal::repeal_rule(
            &mut tx,
            scheme.scheme.id(),
            &RuleCode::parse(REPEALED)?,
            "Scale benchmark: the rule was struck down",
            &Actor::cli("bench"),
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{label}: repeal of {REPEALED} voided {} records and notified {} subjects in {seconds:.1} s \
             ({:.0} subjects/s); the bench's {}",
            done.events_voided,
            done.subjects,
            done.subjects as f64 / seconds,
            peak_since(held)
        );
        Ok(())
    }
}

/// A CSV file of `records` traffic records for each of `subjects`: the first under
/// [`REPEALED`], the rest ordinary tickets, over the last 300 days.
fn write_file(path: &PathBuf, subjects: &[SubjectId], records: usize, part: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(part as u64);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref"
    )?;
    let now = Utc::now();
    for (s, subject) in subjects.iter().enumerate() {
        for r in 0..records {
            let rule = if r == 0 { REPEALED } else { "TRAFFIC-01" };
            let at = now - Span::minutes(rng.gen_range(60..300 * 24 * 60));
            writeln!(
                out,
                "{subject},rongcheng,{rule},{},,SCALE-{part}-{s:07}-{r:04},officer {},camera,EV-{part}-{s}-{r}",
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                s % 97
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Signs a tree head over the loaded database, then runs `recourse audit verify` on it as a
/// process of its own, so that its peak memory is its own.
fn verify(server: &Runtime, url: &str, db: &Db, label: &str) -> anyhow::Result<()> {
    let key = recourse::signing::InstanceKey::from_seed([3; 32]);
    server.block_on(recourse::store::chain::produce_tree_head(db, &key, Utc::now()))?;
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_recourse"))
        .args(["audit", "verify", "--database-url", url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("recourse audit verify")?;
    let peak = watch_peak_memory(child.id());
    let output = child.wait_with_output()?;
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "{label}: the loaded database does not verify: {stdout}");
    let checked = stdout.lines().find(|l| l.starts_with("Checked")).unwrap_or_default();
    let peak = peak.join().unwrap_or(0);
    println!(
        "{label}: recourse audit verify: {checked} (process: {seconds:.1} s, peak resident memory {peak} MB)"
    );
    Ok(())
}

/// A process's peak resident memory in MB, read from `/proc` every 50 ms until it exits.
/// (`getrusage` of children would count the bench's own memory, which the child shares until
/// it executes the command.)
fn watch_peak_memory(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        // Until it exits (a zombie has no VmHWM).
        while let Some(kb) = status_kb(&pid.to_string(), "VmHWM:") {
            peak = peak.max(kb / 1024);
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    })
}

/// The database's size: SQLite's file and its log; PostgreSQL's `pg_database_size`.
async fn size(db: &Db, dir: &Path) -> anyhow::Result<String> {
    Ok(if db.dialect == Dialect::Sqlite {
        let mb = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len()) >> 20;
        format!("database file {} MB + log {} MB", mb("scale.db"), mb("scale.db-wal"))
    } else {
        let bytes: i64 =
            sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&db.pool).await?;
        format!("database {} MB", bytes >> 20)
    })
}
