//! Helpers shared by the benchmarks (each bench includes this file with `#[path]`): fresh
//! PostgreSQL databases, seeding, imports, signed-in clients and the load generator.
#![allow(dead_code)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{ensure, Context};
use bytes::Bytes;
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rand::{rngs::StdRng, Rng, SeedableRng};
use recourse::{
    api::{files, files::Format, rows::Defaults},
    auth::password::{self, NewPassword},
    db::Db,
    domain::{AuthorityId, Fact, RuleCode, Source, SubjectId},
    http::{self, AppState, Config},
    store::{
        accounts::{self, Role},
        audit::Actor,
        catalogue,
        import::{Importer, Mode, Origin, Summary},
        records::{self, Provenance},
        register::{self, Subject, SubjectKind},
    },
};
use sqlx::{AnyConnection, Connection, Executor};

/// Concurrent clients of the load generator.
pub const CLIENTS: usize = 16;
/// The password of the accounts the benchmarks make.
pub const PASSWORD: &str = "record-page-bench-2026";

/// A person in the points scheme with `count` records spread over the last four years (so some
/// have stopped counting), written in one transaction, and an account that speaks for them.
pub async fn seed_subject(
    db: &Db,
    display_name: &str,
    username: &str,
    count: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let hash = password::hash(NewPassword::parse(PASSWORD.into())?).await?;
    let mut rng = StdRng::seed_from_u64(0x5EED_0000 + seed);
    let mut tx = db.pool.begin().await?;
    let scheme = catalogue::scheme_by_code(&mut tx, "rongcheng").await?.context("the demo points scheme")?;
    let ctx = catalogue::context(&mut tx, scheme.scheme.id()).await?.context("its catalogue")?;
    let authorities = register::authorities(&mut tx).await?;
    let authority = |code: &str| authorities.iter().find(|a| a.code == code).map(|a| a.id);
    let subject = SubjectId::new();
    let joined = Utc.with_ymd_and_hms(2021, 1, 1, 9, 0, 0).single().context("a date")?;
    register::insert_subject(
        &mut tx,
        &Subject { id: subject, kind: SubjectKind::Person, display_name: display_name.into(), uscc: None },
        joined,
    )
    .await?;
    records::enrol(&mut tx, &ctx, subject, joined).await?;
    for n in 0..count {
        // The demo's mix: mostly traffic tickets, some deductions that weigh, some rewards.
        let (code, authority_code) = match rng.gen_range(0..100) {
            0..=34 => ("TRAFFIC-01", "rc-traffic"),
            35..=39 => ("TRAFFIC-02", "rc-traffic"),
            40..=44 => ("TAX-01", "rc-tax"),
            45..=47 => ("COURT-01", "rc-court"),
            48..=64 => ("VOLUNTEER-01", "rc-civil"),
            65..=79 => ("BLOOD-01", "rc-civil"),
            80..=94 => ("CHARITY-01", "rc-civil"),
            _ => ("HEROIC-01", "rc-civil"),
        };
        let occurred = now - Span::days(rng.gen_range(5..4 * 365)) - Span::hours(rng.gen_range(0..24));
        let recorded = (occurred + Span::days(rng.gen_range(1..=10))).min(now);
        let source = Source {
            subject,
            scheme: ctx.scheme().id(),
            authority: authority(authority_code).context("a demo authority")?,
            external_ref: format!("BENCH-{username}-{n:05}"),
        };
        let fact = Fact { rule_code: RuleCode::parse(code)?, points: None, occurred_at: occurred };
        let provenance = Provenance {
            recorded_by: "Officer Bench".into(),
            source: format!("{} case file", code.to_lowercase()),
            evidence_ref: format!("EV-{code}-{n:05}"),
        };
        records::record_fact_in(&mut tx, &ctx, source, fact, provenance, recorded).await?;
    }
    let account = accounts::create(&mut tx, username, display_name, &hash, Role::Subject).await?;
    accounts::link(&mut tx, account, Some(subject), None).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let mut admin = AnyConnection::connect(admin_url).await.context("PostgreSQL admin connection")?;
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    admin.close().await?;
    let mut url = url::Url::parse(admin_url).context("RECOURSE_TEST_POSTGRES_URL is a URL")?;
    url.set_path(name);
    Ok(url.to_string())
}

pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = AnyConnection::connect(admin_url).await.context("PostgreSQL admin connection")?;
    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
    admin.close().await?;
    Ok(())
}

/// A client of the server: reqwest for single requests (it keeps the session cookie), and the
/// cookie alone for [`hammer`]'s connections.
pub struct Visitor {
    pub client: reqwest::Client,
    /// The `Cookie` header a signed-in visitor sends; none when not signed in.
    pub cookie: Option<String>,
}

impl Visitor {
    pub fn anonymous() -> Self {
        Self { client: reqwest::Client::new(), cookie: None }
    }
}

impl std::ops::Deref for Visitor {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        &self.client
    }
}

/// A client signed in as `username`, keeping the session cookie, sharing connections.
pub async fn sign_in(address: &str, username: &str) -> anyhow::Result<Visitor> {
    sign_in_with(address, username, PASSWORD).await
}

/// A client signed in as `username` with `password`.
pub async fn sign_in_with(address: &str, username: &str, password: &str) -> anyhow::Result<Visitor> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .pool_max_idle_per_host(CLIENTS * 2)
        .build()?;
    let response = client
        .post(format!("{address}/sign-in"))
        .header("origin", address)
        .form(&[("username", username), ("password", password)])
        .send()
        .await?;
    ensure!(
        response.status() == reqwest::StatusCode::SEE_OTHER,
        "sign-in as {username}: {}",
        response.status()
    );
    // `name=value` of every cookie set, as a browser sends them back.
    let cookie =
        response.cookies().map(|c| format!("{}={}", c.name(), c.value())).collect::<Vec<_>>().join("; ");
    ensure!(!cookie.is_empty(), "sign-in as {username} set no cookie");
    Ok(Visitor { client, cookie: Some(cookie) })
}

/// Fetches `url` once; (status, body bytes as sent, Content-Encoding).
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>, String)> {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    let status = response.status();
    let encoding = response
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_string();
    Ok((status, response.bytes().await?.to_vec(), encoding))
}

/// Sends requests from `CLIENTS` tasks for `period`, each on its own kept-alive connection, as
/// `wrk -c16` would; returns each successful request's latency (the whole body read), the wall
/// time, and how many failed. Bare hyper connections with the request's parts prepared once:
/// reqwest parsed the URL and consulted its cookie jar on every request, a fifth of the two
/// cores' time at the record page's rate, taken from the server measured.
pub async fn hammer(
    visitor: &Visitor,
    url: &str,
    encoding: Option<&'static str>,
    period: Duration,
) -> (Vec<Duration>, Duration, usize) {
    let uri: hyper::Uri = url.parse().expect("a benchmark's URL");
    let authority = uri.authority().expect("a URL with a host").to_string();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let started = Instant::now();
    let deadline = started + period;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (authority, path, cookie) = (authority.clone(), path.clone(), visitor.cookie.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::with_capacity(16_384), 0);
                let mut connection = None;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let sender = match &mut connection {
                        Some(sender) => sender,
                        None => match connect(&authority).await {
                            Ok(sender) => connection.insert(sender),
                            Err(_) => {
                                errors += 1;
                                tokio::time::sleep(Duration::from_millis(10)).await;
                                continue;
                            }
                        },
                    };
                    let mut request =
                        hyper::Request::get(path.as_str()).header(hyper::header::HOST, &authority);
                    if let Some(cookie) = &cookie {
                        request = request.header(hyper::header::COOKIE, cookie);
                    }
                    if let Some(encoding) = encoding {
                        request = request.header(hyper::header::ACCEPT_ENCODING, encoding);
                    }
                    let request = request.body(Empty::<Bytes>::new()).expect("a well-formed request");
                    let answered = match sender.send_request(request).await {
                        Ok(response) => {
                            let success = response.status().is_success();
                            response.into_body().collect().await.is_ok().then_some(success)
                        }
                        Err(_) => None,
                    };
                    match answered {
                        Some(true) => latencies.push(sent.elapsed()),
                        Some(false) => errors += 1,
                        // The connection is gone: the next request opens another.
                        None => {
                            errors += 1;
                            connection = None;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.expect("a load task panicked");
        latencies.extend(l);
        errors += e;
    }
    (latencies, started.elapsed(), errors)
}

/// A kept-alive HTTP/1.1 connection to `authority`, driven by a task of its own.
async fn connect(authority: &str) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// The nearest-rank percentile `p` (0–100) of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// Imports `file` as the API does; returns the report and the seconds it took.
pub async fn import(
    db: &Db,
    authority: AuthorityId,
    mode: Mode,
    file: &Path,
) -> anyhow::Result<(Summary, f64)> {
    let origin = Origin { authority, actor: Actor::cli("bench"), account: None, format: "csv" };
    let defaults = Defaults { recorded_by: "bench".into(), source: "import:csv".into() };
    let started = Instant::now();
    let importer = Importer::start(db, origin, mode, false, Utc::now()).await?;
    let summary = files::import_file(importer, Format::Csv, defaults, file.to_path_buf()).await?;
    Ok((summary, started.elapsed().as_secs_f64()))
}

/// `count` new subjects enrolled in the Rongcheng scheme, written with multi-row statements.
pub async fn enrol(db: &Db, count: usize) -> anyhow::Result<Vec<SubjectId>> {
    let scheme: String =
        sqlx::query_scalar("SELECT id FROM schemes WHERE code = 'rongcheng'").fetch_one(&db.pool).await?;
    let now = recourse::store::to_micros(Utc::now() - Span::days(400));
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

/// The process's peak and current resident memory (Linux), against the server's budget.
pub fn memory() -> String {
    let mb = |key| status_kb("self", key).unwrap_or(0) / 1024;
    format!("resident memory: peak {} MB, now {} MB (target ≤ 300 MB)", mb("VmHWM:"), mb("VmRSS:"))
}

/// A figure in kB of `/proc/<pid>/status` (`pid` may be `self`), such as `VmHWM:`; `None` once
/// the process has gone or is a zombie.
pub fn status_kb(pid: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

/// Resets this process's peak resident memory to what it holds now (Linux ≥ 4.0), so the next
/// [`peak_since`] is the peak of what follows alone; returns what it holds, in MB.
pub fn reset_peak_memory() -> u64 {
    // Writing 5 to clear_refs resets the peak; a bench without it still prints the process's peak.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kb("self", "VmRSS:").unwrap_or(0) / 1024
}

/// What [`reset_peak_memory`] returned (`held`) and the peak since, for a bench's line.
pub fn peak_since(held: u64) -> String {
    format!(
        "resident memory {held} MB before, peak {} MB during it",
        status_kb("self", "VmHWM:").unwrap_or(0) / 1024
    )
}

/// Serves Recourse on `db` at a free loopback port (on the current runtime); returns its address.
pub async fn serve(db: &Db) -> anyhow::Result<String> {
    let state = AppState::new(db.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        axum::serve(
            listener,
            http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    Ok(address)
}
