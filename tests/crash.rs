//! Kill -9 in the middle of an import, on the real binary: an all-or-nothing import leaves
//! nothing, a good-rows import keeps its committed chunks whole, the restarted server marks the
//! job `interrupted` with what it committed, and sending the file again records every row exactly
//! once. On a temporary SQLite file and, when `RECOURSE_TEST_POSTGRES_URL` is set, on a fresh
//! PostgreSQL database.

mod api_support;
mod common;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use api_support::{days_ago, make_token, rongcheng_members, signed_in};
use chrono::Utc;
use common::TestApp;
use recourse::{
    db::{DatabaseUrl, Db},
    store::import::COMMIT_ROWS,
};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use sqlx::{AnyConnection, Connection, Executor};

/// Rows of each file: three chunks, so a good-rows import has committed some and not all when
/// it is killed.
const ROWS: usize = 3 * COMMIT_ROWS as usize;

/// `recourse serve` on `url`, as a child process of the test.
struct Server {
    child: Child,
}

impl Server {
    async fn start(url: &str) -> (Server, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_recourse"))
            .args(["serve", "--database-url", url, "--addr", &format!("127.0.0.1:{port}")])
            // The restarted server marks the killed one's import within seconds, not minutes.
            .env("RECOURSE_IMPORT_STALE_SECONDS", "3")
            .env("RECOURSE_API_RATE_PER_SECOND", "1000")
            .env("RECOURSE_API_BURST", "1000")
            .env("RECOURSE_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the recourse binary starts");
        let address = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = Client::new().get(format!("{address}/healthz")).send().await;
            if up.is_ok_and(|r| r.status() == StatusCode::OK) {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not come up at {address}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (Server { child }, address)
    }

    /// SIGKILL: no chance to roll back, write a job row or close a file.
    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("the killed server is reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file(subjects: &[String], prefix: &str) -> Vec<u8> {
    let mut file = String::from(
        "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref\n",
    );
    for i in 0..ROWS {
        let subject = &subjects[i % subjects.len()];
        let at = days_ago(1 + (i % 300) as i64);
        file.push_str(&format!("{subject},rongcheng,TRAFFIC-01,{at},,{prefix}-{i},officer 7,ticket,EV-1\n"));
    }
    file.into_bytes()
}

async fn get(address: &str, token: &str, path: &str) -> Value {
    Client::new()
        .get(format!("{address}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn upload(address: &str, token: &str, mode: &str, body: Vec<u8>) -> tokio::task::JoinHandle<Option<Value>> {
    let request = Client::new()
        .post(format!("{address}/api/v1/imports?mode={mode}"))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(body);
    tokio::spawn(async move { request.send().await.ok()?.json().await.ok() })
}

async fn events_like(db: &Db, prefix: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE external_ref LIKE $1")
        .bind(format!("{prefix}-%"))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Polls the newest import until `ready` says so of it; answers it.
async fn wait_for(address: &str, token: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = get(address, token, "/api/v1/imports?limit=1").await;
        if let Some(newest) = page["imports"].get(0).filter(|i| ready(i)) {
            return newest.clone();
        }
        assert!(Instant::now() < deadline, "waited in vain for {what}: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Kills the server in the middle of an import in `mode`, restarts it, checks what was left and
/// that a re-send records every row once; answers the restarted server.
async fn kill_during_import(
    url: &str,
    db: &Db,
    token: &str,
    subjects: &[String],
    mode: &str,
    server: Server,
    address: &str,
) -> (Server, String) {
    let prefix = format!("CRASH-{mode}");
    let body = file(subjects, &prefix);
    let sent = upload(address, token, mode, body.clone());
    let running = if mode == "good_rows" {
        // Killed after its first commit, long before its last.
        wait_for(address, token, "a committed chunk", |i| {
            i["status"] == "running" && i["recorded"].as_u64().is_some_and(|r| r > 0)
        })
        .await
    } else {
        // Killed while rows are still being read: once every row is read, the commit may land
        // before the kill does.
        wait_for(address, token, "rows read, not all", |i| {
            i["status"] == "running" && i["rows"].as_u64().is_some_and(|r| r > 20_000 && r < ROWS as u64)
        })
        .await
    };
    server.kill();
    assert!(sent.await.unwrap().is_none(), "the upload got no answer: the server died under it");
    let id = running["import_id"].as_str().unwrap().to_string();

    let (server, address) = Server::start(url).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = get(&address, token, &format!("/api/v1/imports/{id}")).await;
        if job["status"] != "running" {
            break job;
        }
        assert!(Instant::now() < deadline, "the killed import is still running: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["status"], "interrupted", "{mode}: {job}");
    let recorded = events_like(db, &prefix).await;
    assert_eq!(job["recorded"].as_i64(), Some(recorded), "{mode}: the job row says what was committed");
    if mode == "good_rows" {
        assert!(recorded > 0 && (recorded as usize) < ROWS, "{mode}: some chunks, not all: {recorded}");
        assert_eq!(job["rows"].as_i64(), Some(recorded), "{mode}: whole chunks, every row of them recorded");
    } else {
        assert_eq!(recorded, 0, "{mode}: a killed all-or-nothing import leaves nothing");
    }

    let response = Client::new()
        .post(format!("{address}/api/v1/imports?mode={mode}"))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{mode}: the re-send");
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["recorded"].as_i64(), Some(ROWS as i64 - recorded), "{report}");
    assert_eq!(report["duplicates"].as_i64(), Some(recorded), "{report}");
    assert_eq!(events_like(db, &prefix).await, ROWS as i64, "{mode}: every row exactly once");
    (server, address)
}

async fn crash_scenario(url: &str, label: &'static str) {
    sqlx::any::install_default_drivers();
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    db.migrate().await.unwrap();
    recourse::demo::seed(&db, Utc::now()).await.unwrap();
    let (server, address) = Server::start(url).await;
    let app = TestApp { address: address.clone(), client: TestApp::new_client(), db: db.clone(), label };
    let admin = signed_in(&app, "demo-admin").await;
    let token = make_token(&app, &admin, "rc-traffic", "crash test").await;
    let subjects = rongcheng_members(&app, 200).await;
    let (server, address) =
        kill_during_import(url, &db, &token, &subjects, "all_or_nothing", server, &address).await;
    let (server, _) = kill_during_import(url, &db, &token, &subjects, "good_rows", server, &address).await;
    drop(server);
    db.close().await;
}

#[tokio::test]
async fn an_import_killed_mid_way_leaves_whole_chunks_an_interrupted_job_and_a_re_send_records_each_row_once()
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crash.db").display());
    crash_scenario(&url, "sqlite").await;

    if let Ok(admin_url) = std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        let name = format!("recourse_crash_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AnyConnection::connect(&admin_url).await.unwrap();
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(crash_scenario(
            url.as_str(),
            "postgres",
        )))
        .await;
        admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}
