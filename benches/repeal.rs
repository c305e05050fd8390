//! Benchmark of a rule repeal, as issue 7 asks (≤ 30 s for 100,000 subjects): one transaction
//! that marks the rule repealed, voids its record for every subject, rescores each subject and
//! writes one notice each. Runs on SQLite and, when `RECOURSE_TEST_POSTGRES_URL` is set, on a
//! fresh PostgreSQL database dropped afterwards.
//!
//! Run with `cargo bench --bench repeal`. `RECOURSE_BENCH_SUBJECTS` sets the subjects touched
//! (default 100,000); each has one record under the repealed rule and one under a rule that
//! stays. Prints the seconds and subjects per second next to the target, then checks a sample of
//! current scores against fresh derivations; never asserts a time.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use recourse::{
    db::{DatabaseUrl, Db},
    domain::{
        AuthorityId, Band, DisputePolicy, Effect, EventId, Grade, GradeBands, LegalBasis, RuleCode,
        RuleContent, RuleStatus, RuleVersion, RuleVersionId, Scheme, SchemeId, SchemeKind, SubjectId,
        Validity,
    },
    store::{
        audit::Actor,
        catalogue::{self, SchemeRecord},
        register::{self, Authority},
        repeal, to_micros,
    },
};

#[path = "support/mod.rs"]
mod support;
use support::{create_database, drop_database, peak_since, reset_peak_memory};

/// Rows per seeding statement.
const BATCH: usize = 1_000;

fn main() -> anyhow::Result<()> {
    let subjects: usize =
        std::env::var("RECOURSE_BENCH_SUBJECTS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("runtime")?;
    println!(
        "Repeal of a rule touching {subjects} subjects (one record each), one transaction · target ≤ 30 s"
    );
    let dir = tempfile::tempdir().context("temp dir")?;
    let sqlite = format!("sqlite:{}", dir.path().join("bench.db").display());
    runtime.block_on(run(&sqlite, "sqlite", subjects))?;
    match std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let name = format!("recourse_bench_{}", uuid::Uuid::now_v7().simple());
            let url = runtime.block_on(create_database(&admin_url, &name))?;
            let outcome = runtime.block_on(run(&url, "postgres", subjects));
            runtime.block_on(drop_database(&admin_url, &name))?;
            outcome?;
        }
        Err(_) => println!("(PostgreSQL skipped: set RECOURSE_TEST_POSTGRES_URL to measure it too)"),
    }
    Ok(())
}

async fn run(url: &str, label: &str, subjects: usize) -> anyhow::Result<()> {
    let db = Db::connect(&DatabaseUrl::parse(url)?).await?;
    db.migrate().await?;
    let seeding = Instant::now();
    let (scheme, ids) = seed(&db, subjects).await?;
    println!("{label:>8}: seeded {subjects} subjects in {:.1} s", seeding.elapsed().as_secs_f64());

    let code = RuleCode::parse("BENCH-REPEALED")?;
    let held = reset_peak_memory();
    let started = Instant::now();
    let mut tx = db.pool.begin().await?;
    let done = repeal::repeal_rule(
        &mut tx,
        scheme,
        &code,
        "Benchmark: the rule was struck down",
        &Actor::cli("bench"),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label:>8}: repeal voided {} records, notified {} subjects in {seconds:.2} s \
         ({:.0} subjects/s; target ≤ 30 s)",
        done.events_voided,
        done.subjects,
        done.subjects as f64 / seconds
    );
    println!("{label:>8}: repeal's {}", peak_since(held));

    let mut conn = db.pool.acquire().await?;
    let ctx = catalogue::context(&mut conn, scheme).await?.context("the scheme")?;
    let step = (ids.len() / 200).max(1);
    let mut checked = 0;
    for subject in ids.iter().step_by(step) {
        let fresh = recourse::store::standing::derivation(&mut conn, &ctx, *subject, Utc::now()).await?;
        anyhow::ensure!(
            fresh.lines.iter().all(|l| l.rule_code != code),
            "{label}: subject {subject} still has a repealed record counting"
        );
        checked += 1;
    }
    println!("{label:>8}: {checked} sampled subjects have nothing under the repealed rule counting");
    db.pool.close().await;
    Ok(())
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

/// A points scheme with two rules, an authority, and `n` subjects with one record under each.
async fn seed(db: &Db, n: usize) -> anyhow::Result<(SchemeId, Vec<SubjectId>)> {
    let mut tx = db.pool.begin().await?;
    let bands = ["A", "B", "C"]
        .iter()
        .zip([Some(990), Some(900), None])
        .map(|(g, min)| Ok(Band { grade: Grade::parse(g)?, min }))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let scheme = Scheme::new(
        SchemeId::new(),
        "bench",
        SchemeKind::Points { base: 1_000 },
        GradeBands::new(bands)?,
        DisputePolicy::KeepsCounting,
        30,
    )?;
    let id = scheme.id();
    let record = SchemeRecord {
        scheme,
        name_en: "Bench".into(),
        name_zh: "基准".into(),
        operator_en: "Bench".into(),
        operator_zh: "基准".into(),
        component_names: vec![],
        grade_names_zh: vec![],
    };
    catalogue::insert_scheme(&mut tx, &record).await?;
    let mut rules = Vec::new();
    for (code, points) in [("BENCH-REPEALED", -20), ("BENCH-KEPT", 5)] {
        let content = RuleContent {
            title_en: code.into(),
            title_zh: code.into(),
            description_en: "Benchmark rule.".into(),
            description_zh: "基准规则。".into(),
            legal_basis: Some(LegalBasis::parse("Benchmark regulation, art. 1")?),
            legal_basis_zh: Some(LegalBasis::parse_zh("基准条例第一条")?),
            category: recourse::domain::Category::Other,
            effect: Effect::Points { default: points, min: points, max: points },
            counts_for: Validity::Months(60),
            effective_from: day(2020, 1, 1),
            effective_to: None,
        };
        let version = RuleVersion::new(
            RuleVersionId::new(),
            RuleCode::parse(code)?,
            1,
            content,
            RuleStatus::Published,
        )?;
        catalogue::insert_rule_version(&mut tx, id, &version).await?;
        rules.push((version.id(), code, points));
    }
    let authority = AuthorityId::new();
    register::insert_authority(
        &mut tx,
        &Authority { id: authority, code: "bench".into(), name_en: "Bench".into(), name_zh: "基准".into() },
    )
    .await?;
    let now = Utc::now();
    let occurred = to_micros(now - Duration::days(100));
    let ids: Vec<SubjectId> = (0..n).map(|_| SubjectId::new()).collect();
    for (c, chunk) in ids.chunks(BATCH).enumerate() {
        let rows = |cols: usize| {
            (0..chunk.len())
                .map(|r| {
                    let cells: Vec<String> = (1..=cols).map(|k| format!("${}", r * cols + k)).collect();
                    format!("({})", cells.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!("INSERT INTO subjects (id, kind, display_name, created_at) VALUES {}", rows(4));
        let mut q = sqlx::query(&sql);
        for (i, s) in chunk.iter().enumerate() {
            q = q
                .bind(s.to_string())
                .bind("person")
                .bind(format!("Bench {}", c * BATCH + i))
                .bind(to_micros(now));
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO scheme_memberships (subject_id, scheme_id, joined_at, last_write_at) VALUES {}",
            rows(4)
        );
        let mut q = sqlx::query(&sql);
        for s in chunk {
            q = q.bind(s.to_string()).bind(id.to_string()).bind(to_micros(now)).bind(to_micros(now));
        }
        q.execute(&mut *tx).await?;
        for (rule, code, points) in &rules {
            let sql = format!(
                "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
                 recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind) VALUES {}",
                rows(14)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                let event = EventId::new();
                q = q
                    .bind(event.to_string())
                    .bind(s.to_string())
                    .bind(id.to_string())
                    .bind(rule.to_string())
                    .bind(*code)
                    .bind(*points)
                    .bind(occurred)
                    .bind(occurred)
                    .bind(authority.to_string())
                    .bind("bench")
                    .bind("bench")
                    .bind("")
                    .bind(format!("{code}-{event}"))
                    .bind("fact");
            }
            q.execute(&mut *tx).await?;
        }
    }
    // Each record's reference claim, as every write path makes it.
    sqlx::query(
        "INSERT INTO event_references (authority_id, external_ref, subject_id, event_id) \
         SELECT authority_id, external_ref, subject_id, id FROM events WHERE recorded_by = 'bench'",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, ids))
}
