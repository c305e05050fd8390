//! The integration-test harness: each scenario runs against the real app on port 0, once on a
//! fresh SQLite file and, when `RECOURSE_TEST_POSTGRES_URL` is set, once more on a freshly
//! created PostgreSQL database that is dropped afterwards.
#![allow(dead_code)]

use std::{future::Future, panic::AssertUnwindSafe};

use futures::FutureExt;
use recourse::{
    db::{DatabaseUrl, Db},
    domain::{AuthorityId, LegalBasis, MandateScope, SchemeId, SubjectId},
    http::{self, AppState, Config},
    store::catalogue,
};
use reqwest::StatusCode;
use sqlx::{AnyConnection, Connection, Executor, Row};

/// A running app and a client that keeps cookies and does not follow redirects.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// "sqlite" or "postgres", to say which run failed.
    pub label: &'static str,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }

    /// GET with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request failed")
    }

    /// The same app seen by another visitor: a client with a cookie jar of its own.
    pub fn another_visitor(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: Self::new_client(),
            db: self.db.clone(),
            label: self.label,
        }
    }

    /// A second client with its own cookie jar (another person in another browser).
    pub fn new_client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client builds")
    }
}

/// Runs `scenario` on every configured database.
pub async fn for_each_database<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    // SQLite: a file in a temporary folder removed when `dir` drops.
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    run_on(&url, "sqlite", &scenario).await;

    if let Ok(admin_url) = std::env::var("RECOURSE_TEST_POSTGRES_URL") {
        let name = format!("recourse_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AnyConnection::connect(&admin_url).await.expect("PostgreSQL admin connection");
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("RECOURSE_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let outcome = AssertUnwindSafe(run_on(url.as_str(), "postgres", &scenario)).catch_unwind().await;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .expect("drop test database");
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

async fn run_on<F, Fut>(url: &str, label: &'static str, scenario: &F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    sqlx::any::install_default_drivers();
    let db = Db::connect(&DatabaseUrl::parse(url).expect("test URL parses")).await.expect("connect");
    db.migrate().await.expect("migrate");
    let app = spawn_app(db.clone(), label).await;
    if let Err(panic) = AssertUnwindSafe(scenario(app)).catch_unwind().await {
        eprintln!("scenario failed on {label}");
        db.close().await;
        std::panic::resume_unwind(panic);
    }
    db.close().await;
}

/// Starts the app on a free port against `db`.
pub async fn spawn_app(db: Db, label: &'static str) -> TestApp {
    let state = AppState::new(db.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("local addr"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    TestApp { address, client: TestApp::new_client(), db, label }
}

/// A client of its own (cookie jar and all), signed in as (username, password).
pub async fn signed_in(app: &TestApp, (username, password): (&str, &str)) -> reqwest::Client {
    let client = TestApp::new_client();
    sign_in_client(app, &client, username, password).await;
    client
}

/// Signs the app's client in and checks it worked.
pub async fn sign_in(app: &TestApp, username: &str, password: &str) {
    sign_in_client(app, &app.client, username, password).await;
}

/// Signs `client` in through the sign-in form and checks it worked.
async fn sign_in_client(app: &TestApp, client: &reqwest::Client, username: &str, password: &str) {
    let response = client
        .post(app.url("/sign-in"))
        .header("origin", &app.address)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
}

/// A form post from Recourse's own pages: (status, Location, body).
pub async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response =
        app.client.post(app.url(path)).header("origin", &app.address).form(form).send().await.unwrap();
    let status = response.status();
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// A GET: (status, body).
pub async fn text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    (response.status(), response.text().await.unwrap())
}

/// The single number an SQL query answers.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(&app.db.pool).await.unwrap().get(0)
}

/// The numbers some `SELECT COUNT(*) …` queries answer, in order: what a write may change, to
/// compare before and after.
pub async fn counts(app: &TestApp, queries: &[&str]) -> Vec<i64> {
    let mut numbers = Vec::with_capacity(queries.len());
    for sql in queries {
        numbers.push(count(app, sql).await);
    }
    numbers
}

/// The single text an SQL query answers (an id, a code).
pub async fn id_of(app: &TestApp, sql: &str) -> String {
    sqlx::query(sql).fetch_one(&app.db.pool).await.unwrap().get(0)
}

/// Every member of `scheme` with their derivation now, fresh from the rows, each checked to add
/// up line by line to the score it shows.
pub async fn member_derivations(
    app: &TestApp,
    scheme: SchemeId,
) -> Vec<(SubjectId, recourse::domain::Derivation)> {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let ctx = catalogue::context(&mut conn, scheme).await.unwrap().unwrap();
    let members: Vec<String> =
        sqlx::query("SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 ORDER BY subject_id")
            .bind(scheme.to_string())
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    let now = chrono::Utc::now();
    let mut all = Vec::new();
    for member in &members {
        let subject = SubjectId::parse(member).unwrap();
        let fresh = recourse::store::standing::derivation(&mut conn, &ctx, subject, now).await.unwrap();
        assert_eq!(fresh.shown_total(), fresh.score, "{}: subject {member}", app.label);
        all.push((subject, fresh));
    }
    all
}

/// Grants `authority` a mandate for `scope` from long ago, as an administrator would.
pub async fn grant_mandate(db: &Db, authority: AuthorityId, scope: MandateScope) {
    use recourse::store::{audit::Actor, mandates};
    let from = chrono::DateTime::UNIX_EPOCH;
    let grant = mandates::Grant {
        authority,
        scope,
        legal_basis: LegalBasis::parse("Granted for the test").unwrap(),
        valid_from: from,
    };
    let mut tx = db.begin_write().await.unwrap();
    mandates::grant(&mut tx, grant, &Actor::cli("test"), from).await.unwrap();
    tx.commit().await.unwrap();
}

/// A multipart body built by hand (the test client has no multipart feature).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "recourse-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (file, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{file}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `recourse serve` on `url` as a child process of the test (the real binary), listening on a
/// free port of 127.0.0.1 with `flags` added; waits until `/healthz` answers. Killed when dropped,
/// also when the test panics.
pub struct ServeProcess {
    child: std::process::Child,
    pub address: String,
}

impl ServeProcess {
    pub async fn start(url: &str, flags: &[&str], env: &[(&str, &str)]) -> ServeProcess {
        use std::{
            process::{Command, Stdio},
            time::{Duration, Instant},
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_recourse"))
            .args(["serve", "--database-url", url, "--addr", &format!("127.0.0.1:{port}")])
            .args(flags)
            .env("RECOURSE_LOG", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the recourse binary starts");
        // Killed by the guard's drop if it never comes up.
        let mut server = ServeProcess { child, address: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("recourse serve at {} exited at start: {status}", server.address);
            }
            let up = reqwest::Client::new().get(format!("{}/healthz", server.address)).send().await;
            if up.is_ok_and(|r| r.status() == StatusCode::OK) {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not come up at {}", server.address);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One scheme's section of the recorder's page of a subject, read from its markup.
pub struct RecorderSection {
    /// The section as written, from its heading to the next.
    pub html: String,
    /// The score it shows.
    pub score: i64,
    /// Each record's rule code and the points it counts for (none when it does not count).
    pub rows: Vec<(String, Option<i64>)>,
    /// The points that count of the records under rules outside the mandate, when there are any.
    pub others: Option<i64>,
}

impl RecorderSection {
    /// The points the listed records count for, and the other records' sum.
    pub fn counted(&self) -> i64 {
        self.rows.iter().filter_map(|(_, points)| *points).sum::<i64>() + self.others.unwrap_or(0)
    }
}

/// The section of the scheme named `scheme` on the recorder's page of a subject, if it is shown.
pub fn recorder_section(page: &str, scheme: &str) -> Option<RecorderSection> {
    let html = page.split("<h2>").find(|s| s.starts_with(scheme))?.to_string();
    let points = |cell: &str| -> i64 {
        cell.trim()
            .replace('\u{2212}', "-")
            .replace('+', "")
            .parse()
            .unwrap_or_else(|_| panic!("a points cell: {cell:?}"))
    };
    let score = html.split("Score ").nth(1)?.split(',').next()?.parse().ok()?;
    let body = html.split("<tbody>").nth(1)?.split("</tbody>").next()?;
    let rows = body
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let code = row.split("<code>").nth(1).and_then(|c| c.split('<').next()).unwrap_or_default();
            let counted = row
                .split("<td class=\"num\">")
                .nth(2)
                .and_then(|c| c.split('<').next())
                .filter(|c| !c.trim().is_empty())
                .map(points);
            (code.to_string(), counted)
        })
        .collect();
    let others = html
        .split("<tr class=\"others\">")
        .nth(1)
        .and_then(|row| row.split("<td class=\"num\">").nth(1))
        .and_then(|c| c.split('<').next())
        .map(points);
    Some(RecorderSection { html, score, rows, others })
}
