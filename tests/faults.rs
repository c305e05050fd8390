//! Faults as a person meets them: a database that stops answers 503 pages (and JSON on the API),
//! never a redirect to sign in or a generic 500, and Recourse recovers by itself when it returns.
//! And what every answer says of itself: API answers are never cached, an unknown API address
//! answers JSON, pages name what their language depends on. A full disk answers 503 and records
//! nothing, an import it stops part-way says exactly what its commits kept, and the pool recovers
//! by itself once there is space again.

mod api_support;
mod common;

use std::time::Duration;

use api_support::{days_ago, demo, make_token, rongcheng_members, signed_in};
use chrono::Utc;
use common::{for_each_database, sign_in, TestApp};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use sqlx::{AnyConnection, Connection, Executor};

#[tokio::test]
async fn an_unknown_api_address_answers_json_api_answers_are_not_cached_and_pages_vary_by_language() {
    for_each_database(|app| async move {
        let unknown = app.get("/api/v1/nothing-here").await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND, "{}", app.label);
        assert_eq!(unknown.headers()[header::CACHE_CONTROL], "no-store");
        assert!(unknown.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
        let body: serde_json::Value = unknown.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
        let document = app.get("/api/v1/openapi.json").await;
        assert_eq!(document.status(), StatusCode::OK);
        assert_eq!(document.headers()[header::CACHE_CONTROL], "no-store");
        for path in ["/", "/rules", "/no-such-page"] {
            let page = app.get(path).await;
            let vary: Vec<String> = page
                .headers()
                .get_all(header::VARY)
                .iter()
                .map(|v| v.to_str().unwrap().to_lowercase())
                .collect();
            let vary = vary.join(", ");
            assert!(
                vary.contains("cookie") && vary.contains("accept-language"),
                "{}: {path} varies by {vary}",
                app.label
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_query_parameter_given_twice_answers_the_400_page_in_the_persons_language() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let (code, page) = status(&app, "/language/zh-CN?next=/&next=/rules").await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{}", app.label);
        assert!(
            page.contains("This address could not be read") && page.contains("Nothing was changed"),
            "{page}"
        );
        let wang = app.another_visitor();
        sign_in(&wang, "demo-subject", "wang-fang-demo-2026").await;
        let response = wang
            .client
            .get(wang.url("/record?as_of=2026-01-01&as_of=2026-02-01"))
            .header(header::ACCEPT_LANGUAGE, "zh-CN")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{}", app.label);
        let page = response.text().await.unwrap();
        assert!(page.contains("无法读取此地址"), "{page}");
        let reviewer = app.another_visitor();
        sign_in(&reviewer, "demo-reviewer", "review-demo-2026").await;
        assert_eq!(status(&reviewer, "/review?status=open&status=all").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(status(&reviewer, "/review?status=open").await.0, StatusCode::OK, "one of each is fine");
    })
    .await;
}

async fn status(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_database_that_stops_answers_503_and_recovery_needs_no_restart() {
    let Ok(admin_url) = std::env::var("RECOURSE_TEST_POSTGRES_URL") else { return };
    for_each_database(|app| {
        let admin_url = admin_url.clone();
        async move {
            // PostgreSQL can refuse a database's connections and end the open ones; an SQLite
            // file cannot be taken away from the process that holds it open.
            if app.label != "postgres" {
                return;
            }
            recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
            let wang = app.another_visitor();
            sign_in(&wang, "demo-subject", "wang-fang-demo-2026").await;
            let name: String =
                sqlx::query_scalar("SELECT current_database()::text").fetch_one(&app.db.pool).await.unwrap();
            let mut admin = AnyConnection::connect(&admin_url).await.unwrap();
            admin
                .execute(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false").as_str())
                .await
                .unwrap();
            admin
                .execute(
                    format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                    )
                    .as_str(),
                )
                .await
                .unwrap();

            let (code, page) = status(&app, "/rules").await;
            assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "a public page");
            assert!(
                page.contains("cannot reach its database") && page.contains("nothing was changed"),
                "{page}"
            );
            let (code, page) = status(&wang, "/record").await;
            assert_eq!(
                code,
                StatusCode::SERVICE_UNAVAILABLE,
                "a signed-in page, not a redirect to sign in: {page}"
            );
            let (code, _) = status(&app, "/healthz").await;
            assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
            let api = app
                .client
                .get(app.url("/api/v1/events"))
                .header(header::AUTHORIZATION, "Bearer rct_not_a_real_token")
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
            let body: serde_json::Value = api.json().await.unwrap();
            assert_eq!(body["code"], "database_unavailable", "{body}");

            admin
                .execute(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true").as_str())
                .await
                .unwrap();
            let mut recovered = false;
            for _ in 0..20 {
                if status(&app, "/rules").await.0 == StatusCode::OK {
                    recovered = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            assert!(recovered, "the pool reconnects by itself");
            let (code, page) = status(&wang, "/record").await;
            assert_eq!(code, StatusCode::OK, "still signed in: {page}");
        }
    })
    .await;
}

/// A CSV file of `count` TRAFFIC-01 records about `subjects` in turn, references `{prefix}-{i}`.
fn traffic_file(subjects: &[String], prefix: &str, count: usize) -> Vec<u8> {
    let mut file = String::from(
        "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref\n",
    );
    for i in 0..count {
        let subject = &subjects[i % subjects.len()];
        let at = days_ago(1 + (i % 300) as i64);
        file.push_str(&format!("{subject},rongcheng,TRAFFIC-01,{at},,{prefix}-{i},officer 7,ticket,EV-1\n"));
    }
    file.into_bytes()
}

async fn import_file(app: &TestApp, token: &str, mode: &str, file: Vec<u8>) -> (StatusCode, Value) {
    let response = Client::new()
        .post(app.url(&format!("/api/v1/imports?mode={mode}")))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn events_like(app: &TestApp, prefix: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE external_ref LIKE $1")
        .bind(format!("{prefix}-%"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn sqlite_pages(app: &TestApp) -> u32 {
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&app.db.pool).await.unwrap();
    pages as u32
}

/// The demo data, a token of the traffic police and fifty Rongcheng members.
async fn traffic_setup(app: &TestApp) -> (String, Vec<String>) {
    demo(app).await;
    let admin = signed_in(app, "demo-admin").await;
    let token = make_token(app, &admin, "rc-traffic", "nightly import").await;
    (token, rongcheng_members(app, 50).await)
}

#[tokio::test]
async fn a_full_disk_answers_503_records_nothing_and_the_next_write_succeeds_without_a_restart() {
    for_each_database(|app| async move {
        // A PostgreSQL server's disk cannot be filled from a test; SQLite's can be capped.
        if app.label != "sqlite" {
            return;
        }
        let (token, subjects) = traffic_setup(&app).await;
        app.db.limit_sqlite_pages(sqlite_pages(&app).await);
        for attempt in 0..3 {
            let (status, body) =
                import_file(&app, &token, "all_or_nothing", traffic_file(&subjects, "FULL", 3_000)).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "attempt {attempt}: {body}");
            assert_eq!(body["code"], "storage_unavailable", "{body}");
            assert!(body["message"].as_str().unwrap().contains("nothing was recorded"), "{body}");
            assert_eq!(body["kept"]["recorded"], 0, "{body}");
        }
        // Single records too, each in a transaction of a pooled connection.
        for i in 0..app.db.pool.size() + 2 {
            let response = Client::new()
                .post(app.url("/api/v1/events"))
                .bearer_auth(&token)
                .json(&api_support::event(&subjects[0], &format!("ONE-{i}"), &days_ago(2)))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert!(
                status == StatusCode::CREATED || body["code"] == "storage_unavailable",
                "a single record fits or meets the same answer: {status} {body}"
            );
        }
        assert_eq!(events_like(&app, "FULL").await, 0, "nothing of the files was recorded");

        app.db.limit_sqlite_pages(0);
        let (status, body) =
            import_file(&app, &token, "all_or_nothing", traffic_file(&subjects, "FULL", 3_000)).await;
        assert_eq!(status, StatusCode::OK, "space again, no restart: {body}");
        assert_eq!(body["recorded"], 3_000, "{body}");
        // Every pooled connection takes its turn, and none was left in a failed transaction.
        for i in 0..app.db.pool.size() + 2 {
            let response = Client::new()
                .post(app.url("/api/v1/events"))
                .bearer_auth(&token)
                .json(&api_support::event(&subjects[1], &format!("AFTER-{i}"), &days_ago(3)))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::CREATED,
                "write {i}: {}",
                response.text().await.unwrap()
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_good_rows_import_stopped_by_a_full_disk_says_exactly_what_its_commits_recorded() {
    for_each_database(|app| async move {
        if app.label != "sqlite" {
            return;
        }
        let (token, subjects) = traffic_setup(&app).await;
        // How many pages a tenth of a chunk takes; then room for one and a half chunks.
        let before = sqlite_pages(&app).await;
        let (status, body) =
            import_file(&app, &token, "good_rows", traffic_file(&subjects, "CAL", 5_000)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let tenth = sqlite_pages(&app).await - before;
        app.db.limit_sqlite_pages(sqlite_pages(&app).await + 15 * tenth);
        let chunk = recourse::store::import::COMMIT_ROWS;
        let file = traffic_file(&subjects, "PART", 2 * chunk as usize);
        let (status, body) = import_file(&app, &token, "good_rows", file.clone()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["code"], "storage_unavailable", "{body}");
        assert_eq!(body["kept"]["status"], "failed", "{body}");
        assert_eq!(
            (body["kept"]["rows"].as_u64(), body["kept"]["recorded"].as_u64()),
            (Some(chunk), Some(chunk))
        );
        let message = body["message"].as_str().unwrap();
        assert!(!message.contains("nothing was recorded") && message.contains("stay recorded"), "{message}");
        assert_eq!(events_like(&app, "PART").await, chunk as i64, "the first chunk, whole");
        let id = body["kept"]["import_id"].as_str().unwrap();
        let job: Value = Client::new()
            .get(app.url(&format!("/api/v1/imports/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (job["status"].as_str(), job["recorded"].as_u64()),
            (Some("failed"), Some(chunk)),
            "{job}"
        );
        assert!(job["reason"].as_str().unwrap().contains("storage"), "{job}");

        app.db.limit_sqlite_pages(0);
        let (status, body) = import_file(&app, &token, "good_rows", file).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["recorded"].as_u64(), body["duplicates"].as_u64()), (Some(chunk), Some(chunk)));
        assert_eq!(events_like(&app, "PART").await, 2 * chunk as i64, "every row once");
    })
    .await;
}
