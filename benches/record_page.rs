//! Load benchmark of the signed-in subject's record page (`GET /record`), as issues 5 and 18 ask:
//! p50 and p99 latency and requests per second for a typical subject (20 records) and a heavy
//! one (1,000 records), then a public page that changes only with the catalogue beside a bare
//! server sending its bytes from memory (with the ratio), 16 concurrent clients on loopback, on
//! SQLite and, when `RECOURSE_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database dropped
//! afterwards. Also
//! prints each page's size plus the stylesheet's against the 60 KB budget.
//!
//! Run with `cargo bench --bench record_page`. `RECOURSE_BENCH_SECONDS` sets the measured
//! seconds per case (default 8; the warm-up before each is a quarter of it, at most 2 s). Each
//! subject is measured twice: without compression, and with the `Accept-Encoding` Chromium
//! sends, so the figures include what the compression layer costs. Prints figures next to the
//! targets; never asserts a time. `RECOURSE_BENCH_BREAKDOWN=1` also prints, per subject, the time
//! of each store call and domain step the page makes, one request at a time.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use chrono::{Duration as Span, SubsecRound, Utc};
use recourse::{
    db::{DatabaseUrl, Db},
    store::{accounts, catalogue, records, register},
};
use tokio::runtime::Runtime;

#[path = "support/mod.rs"]
mod support;
use support::{
    create_database, drop_database, fetch, hammer, percentile, seed_subject, serve, sign_in, Visitor, CLIENTS,
};

/// The public page measured beside a static server (it changes only with the catalogue).
const PUBLIC_PAGE: &str = "/rules/rongcheng";
/// HTML + CSS budget of every page, in bytes (60 KiB).
const BUDGET: usize = 60 * 1024;
/// What Chromium sends; the server picks its preferred encoding among these.
const BROWSER_ENCODING: &str = "gzip, deflate, br, zstd";

/// The two subjects measured: (label, records on file, username, display name).
const SUBJECTS: [(&str, usize, &str, &str); 2] = [
    ("typical", 20, "bench-typical", "Typical Bench Subject"),
    ("heavy", 1_000, "bench-heavy", "Heavy Bench Subject"),
];

fn main() -> anyhow::Result<()> {
    let measure = Duration::from_secs_f64(
        std::env::var("RECOURSE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8.0),
    );
    let warm_up = (measure / 4).min(Duration::from_secs(2));
    sqlx::any::install_default_drivers();
    // The server gets its own runtime (its worker threads), so the load generator below does not
    // share its executor; on a small machine they still share the cores, as oha or wrk would.
    let server = tokio::runtime::Builder::new_multi_thread()
        .thread_name("server")
        .enable_all()
        .build()
        .context("server runtime")?;
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .context("load runtime")?;

    println!(
        "GET /record · {CLIENTS} concurrent clients · {:.1} s warm-up + {:.1} s measured per case · loopback · {} cores",
        warm_up.as_secs_f64(),
        measure.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    );
    let mut results = Vec::new();
    let mut sizes = Vec::new();

    let dir = tempfile::tempdir().context("temp dir")?;
    let sqlite = format!("sqlite:{}", dir.path().join("bench.db").display());
    run_database(&server, &load, &sqlite, "sqlite", warm_up, measure, &mut results, &mut sizes)?;

    match std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let name = format!("recourse_bench_{}", uuid::Uuid::now_v7().simple());
            let url = server.block_on(create_database(&admin_url, &name))?;
            let outcome =
                run_database(&server, &load, &url, "postgres", warm_up, measure, &mut results, &mut sizes);
            server.block_on(drop_database(&admin_url, &name))?;
            outcome?;
        }
        Err(_) => println!("(PostgreSQL skipped: set RECOURSE_TEST_POSTGRES_URL to measure it too)"),
    }

    print_results(&results);
    print_sizes(&sizes);
    Ok(())
}

/// One measured case.
struct Measured {
    database: &'static str,
    subject: &'static str,
    encoding: String,
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
}

/// The sizes of one subject's page.
struct PageSize {
    database: &'static str,
    subject: &'static str,
    html: usize,
    html_zh: usize,
    compressed: usize,
    encoding: String,
    stylesheet: usize,
    stylesheet_compressed: usize,
    pages: usize,
    largest_page: usize,
}

#[allow(clippy::too_many_arguments)]
fn run_database(
    server: &Runtime,
    load: &Runtime,
    url: &str,
    label: &'static str,
    warm_up: Duration,
    measure: Duration,
    results: &mut Vec<Measured>,
    sizes: &mut Vec<PageSize>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (db, address) = server.block_on(prepare(url))?;
    println!("{label}: seeded and serving in {:.1} s", started.elapsed().as_secs_f64());
    let outcome = (|| -> anyhow::Result<()> {
        for (subject, _, username, display_name) in SUBJECTS {
            let client = load.block_on(sign_in(&address, username))?;
            sizes.push(load.block_on(page_size(&client, &address, display_name, label, subject))?);
            if std::env::var_os("RECOURSE_BENCH_BREAKDOWN").is_some() {
                breakdown(server, load, &db, &client, &address, username, label, subject)?;
            }
            let url = format!("{address}/record");
            for encoding in [None, Some(BROWSER_ENCODING)] {
                load.block_on(hammer(&client, &url, encoding, warm_up));
                let (latencies, elapsed, errors) = load.block_on(hammer(&client, &url, encoding, measure));
                let encoding = match encoding {
                    None => "identity".to_string(),
                    Some(e) => load.block_on(content_encoding(&client, &url, e))?,
                };
                results.push(Measured { database: label, subject, encoding, latencies, elapsed, errors });
            }
        }
        // A public page that changes only with the catalogue, beside a bare server sending the
        // same bytes from memory: the ceiling of this machine for that page.
        let anonymous = Visitor::anonymous();
        let public = format!("{address}{PUBLIC_PAGE}");
        let (status, bytes, _) = load.block_on(fetch(&anonymous, &public, &[]))?;
        ensure!(status.is_success(), "{PUBLIC_PAGE}: {status}");
        let copy = server.block_on(static_server(bytes))?;
        for (subject, url) in [("public", public), ("static", format!("{copy}{PUBLIC_PAGE}"))] {
            load.block_on(hammer(&anonymous, &url, None, warm_up));
            let (latencies, elapsed, errors) = load.block_on(hammer(&anonymous, &url, None, measure));
            let encoding = "identity".to_string();
            results.push(Measured { database: label, subject, encoding, latencies, elapsed, errors });
        }
        Ok(())
    })();
    server.block_on(db.pool.close());
    outcome
}

/// Serves `page` from memory at every address, as a static file server would.
async fn static_server(page: Vec<u8>) -> anyhow::Result<String> {
    let page = axum::body::Bytes::from(page);
    let app = axum::Router::new().fallback(move || {
        let page = page.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], page) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("static server runs") });
    Ok(address)
}

/// A migrated database with the demo data set plus the two bench subjects, served on port 0.
async fn prepare(url: &str) -> anyhow::Result<(Db, String)> {
    let db = Db::connect(&DatabaseUrl::parse(url)?).await?;
    db.migrate().await?;
    let now = Utc::now().trunc_subsecs(6);
    recourse::demo::seed(&db, now).await?;
    for (i, (_, count, username, display_name)) in SUBJECTS.into_iter().enumerate() {
        seed_subject(&db, display_name, username, count, i as u64, now).await?;
    }
    let address = serve(&db).await?;
    Ok((db, address))
}

async fn content_encoding(client: &reqwest::Client, url: &str, accept: &str) -> anyhow::Result<String> {
    Ok(fetch(client, url, &[("accept-encoding", accept)]).await?.2)
}

/// The page's size in English and Chinese, compressed as a browser gets it, the stylesheet's,
/// and the largest of the derivation's pages.
async fn page_size(
    client: &reqwest::Client,
    address: &str,
    display_name: &str,
    database: &'static str,
    subject: &'static str,
) -> anyhow::Result<PageSize> {
    let url = format!("{address}/record");
    let (status, html, _) = fetch(client, &url, &[]).await?;
    let text = String::from_utf8(html)?;
    ensure!(status.is_success() && text.contains(display_name), "{subject}: {status} {text}");
    let (_, html_zh, _) = fetch(client, &url, &[("accept-language", "zh-CN,zh;q=0.9")]).await?;
    let (_, compressed, encoding) = fetch(client, &url, &[("accept-encoding", BROWSER_ENCODING)]).await?;
    let css_url = format!("{address}/style/recourse.css");
    let (_, css, _) = fetch(client, &css_url, &[]).await?;
    let (_, css_compressed, _) = fetch(client, &css_url, &[("accept-encoding", BROWSER_ENCODING)]).await?;
    let pages = text.matches("href=\"/record?page=").count().max(1);
    let mut largest_page = text.len();
    for page in 2..=pages {
        largest_page = largest_page.max(fetch(client, &format!("{url}?page={page}"), &[]).await?.1.len());
    }
    Ok(PageSize {
        database,
        subject,
        html: text.len(),
        html_zh: html_zh.len(),
        compressed: compressed.len(),
        encoding,
        stylesheet: css.len(),
        stylesheet_compressed: css_compressed.len(),
        pages,
        largest_page,
    })
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Requests per second and sorted latencies of one case.
fn rate_of(m: &Measured) -> (f64, Vec<Duration>) {
    let mut sorted = m.latencies.clone();
    sorted.sort_unstable();
    (sorted.len() as f64 / m.elapsed.as_secs_f64(), sorted)
}

fn print_results(results: &[Measured]) {
    println!();
    println!(
        "{:<9} {:<8} {:<9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}  against the targets",
        "database", "page", "encoding", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let rate_where = |database: &str, subject: &str| {
        results
            .iter()
            .find(|m| m.database == database && m.subject == subject && m.encoding == "identity")
            .map(|m| rate_of(m).0)
    };
    for m in results {
        let (rate, sorted) = rate_of(m);
        let (p50, p99) = (percentile(&sorted, 50.0), percentile(&sorted, 99.0));
        let targets = match m.subject {
            "typical" => {
                let mut t = format!(
                    "p99 ≤ 10 ms: {}; ≥ 10,000 req/s: {}",
                    verdict(p99 <= 10.0),
                    verdict(rate >= 10_000.0)
                );
                if m.database == "postgres" && m.encoding == "identity" {
                    if let Some(sqlite) = rate_where("sqlite", "typical") {
                        t += &format!(
                            "; {:.2}× SQLite's time (≤ 1.5×): {}",
                            sqlite / rate,
                            verdict(sqlite / rate <= 1.5)
                        );
                    }
                }
                t
            }
            "heavy" => format!("p50 ≤ 15 ms: {}", verdict(p50 <= 15.0)),
            "public" => match rate_where(m.database, "static") {
                Some(bare) => format!(
                    "{:.0} % of the static server (≥ 50 %): {}",
                    100.0 * rate / bare,
                    verdict(rate >= bare / 2.0)
                ),
                None => String::new(),
            },
            _ => "the same bytes from memory".to_string(),
        };
        println!(
            "{:<9} {:<8} {:<9} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7}  {targets}",
            m.database,
            m.subject,
            m.encoding,
            sorted.len(),
            rate,
            p50,
            p99,
            percentile(&sorted, 100.0),
            m.errors,
        );
    }
    println!(
        "Pages: typical/heavy = GET /record of a subject with 20 / 1,000 records; public = GET {PUBLIC_PAGE} \
         not signed in; static = the same bytes from a bare handler on this machine."
    );
    println!(
        "Targets (issue 18): typical page ≥ 10,000 req/s with p99 ≤ 10 ms on SQLite, PostgreSQL within 1.5×; \
         heavy page p50 ≤ 15 ms; public page ≥ 50 % of the static server."
    );
}

fn print_sizes(sizes: &[PageSize]) {
    println!();
    println!(
        "{:<9} {:<8} {:>9} {:>9} {:>11} {:>9} {:>12} {:>6} {:>13}  budget 60 KB = {BUDGET} B",
        "database",
        "subject",
        "HTML B",
        "HTML zh",
        "compressed",
        "CSS B",
        "HTML+CSS B",
        "pages",
        "largest page"
    );
    for s in sizes {
        let total = s.html.max(s.html_zh).max(s.largest_page) + s.stylesheet;
        println!(
            "{:<9} {:<8} {:>9} {:>9} {:>11} {:>9} {:>12} {:>6} {:>13}  {} ({:.1} KB; {} + {} B sent {})",
            s.database,
            s.subject,
            s.html,
            s.html_zh,
            s.compressed,
            s.stylesheet,
            total,
            s.pages,
            s.largest_page,
            verdict(total <= BUDGET),
            total as f64 / 1024.0,
            s.compressed,
            s.stylesheet_compressed,
            s.encoding,
        );
    }
    println!("HTML+CSS: the largest of the English, Chinese and every derivation page, plus the stylesheet, uncompressed.");
}

/// Where one request's time goes, one request at a time: each store call the page makes, the
/// domain work, and whole requests (the page, and a signed-in 404 for the fixed cost).
#[allow(clippy::too_many_arguments)]
fn breakdown(
    server: &Runtime,
    load: &Runtime,
    db: &Db,
    client: &reqwest::Client,
    address: &str,
    username: &str,
    database: &str,
    subject: &str,
) -> anyhow::Result<()> {
    use recourse::domain::{derive, if_overturned, recovery_path, score_at, smallest_lift};
    use recourse::store::blacklist;
    const N: u32 = 40;
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    let mut add = |name: &'static str, d: Duration| match timings.iter_mut().find(|(n, _)| *n == name) {
        Some((_, t)) => *t += d,
        None => timings.push((name, d)),
    };
    for _ in 0..N {
        server.block_on(async {
            let mut conn = db.pool.acquire().await?;
            let account = accounts::by_username(&mut conn, username).await?.context("account")?;
            let subject_id = account.subject_id.context("subject")?;
            let now = Utc::now();
            let t = Instant::now();
            register::subject(&mut conn, subject_id).await?;
            add("store: subject", t.elapsed());
            let t = Instant::now();
            blacklist::entries_of(&mut conn, subject_id, None).await?;
            add("store: entries_of", t.elapsed());
            let t = Instant::now();
            let schemes = register::memberships(&mut conn, subject_id).await?;
            add("store: memberships", t.elapsed());
            for scheme in schemes {
                let t = Instant::now();
                let ctx = catalogue::context(&mut conn, scheme).await?.context("scheme")?;
                add("store: catalogue::context", t.elapsed());
                let t = Instant::now();
                let events = records::events_of(&mut conn, subject_id, scheme).await?;
                add("store: records::events_of", t.elapsed());
                let t = Instant::now();
                let plain: Vec<_> = events.iter().map(|s| s.event.clone()).collect();
                add("page: clone events", t.elapsed());
                let t = Instant::now();
                let d = derive(ctx.scheme(), &ctx.catalogue, &plain, &[], now);
                add("domain: derive", t.elapsed());
                let t = Instant::now();
                for months_back in 0..36 {
                    std::hint::black_box(score_at(
                        ctx.scheme(),
                        &ctx.catalogue,
                        &plain,
                        &[],
                        now - Span::days(30 * months_back),
                    ));
                }
                // As `pages::record::history_points` draws it.
                add("domain: history (36 × score_at)", t.elapsed());
                let t = Instant::now();
                std::hint::black_box((
                    if_overturned(ctx.scheme(), &d),
                    smallest_lift(ctx.scheme(), &d),
                    recovery_path(ctx.scheme(), &d),
                ));
                add("domain: what-if (3 calls)", t.elapsed());
            }
            let t = Instant::now();
            register::authorities(&mut conn).await?;
            add("store: authorities", t.elapsed());
            anyhow::Ok(())
        })?;
        let url = format!("{address}/record");
        let t = Instant::now();
        load.block_on(fetch(client, &url, &[]))?;
        add("HTTP: GET /record", t.elapsed());
        let t = Instant::now();
        load.block_on(fetch(client, &format!("{address}/record/events/not-an-id"), &[]))?;
        add("HTTP: signed-in 404 (fixed cost)", t.elapsed());
        let t = Instant::now();
        load.block_on(fetch(client, &url, &[("accept-encoding", BROWSER_ENCODING)]))?;
        add("HTTP: GET /record, br", t.elapsed());
    }
    println!("{database} {subject}: mean of {N}, one at a time");
    for (name, total) in timings {
        println!("  {name:<36} {:>8.3} ms", total.as_secs_f64() * 1e3 / f64::from(N));
    }
    Ok(())
}
