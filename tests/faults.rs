//! Faults as a person meets them: a database that stops answers 503 pages (and JSON on the API),
//! never a redirect to sign in or a generic 500, and Recourse recovers by itself when it returns.
//! And what every answer says of itself: API answers are never cached, an unknown API address
//! answers JSON, pages name what their language depends on.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{for_each_database, sign_in, TestApp};
use reqwest::{header, StatusCode};
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
