//! Notices, who has looked, and the download of a subject's data, over HTTP on both databases.

mod common;

use chrono::Utc;
use common::{for_each_database, TestApp};
use reqwest::StatusCode;
use sqlx::Row;

async fn sign_in(app: &TestApp, username: &str, password: &str) {
    let response = app
        .client
        .post(app.url("/sign-in"))
        .header("origin", &app.address)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
}

async fn text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn every_change_to_the_record_reaches_the_inbox_and_can_be_marked_read() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let (status, page) = text(&app, "/notices").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("A record was added to your file"));
        assert!(
            page.contains("A record on your file was corrected or voided"),
            "the supersede sent a notice"
        );
        assert!(page.contains("You were placed on a blacklist"));
        assert!(!page.contains(">0 unread<"), "{page}");
        let unread: i64 = sqlx::query(
            "SELECT COUNT(*) FROM notices n JOIN accounts a ON a.subject_id = n.subject_id \
             WHERE a.username = 'demo-subject' AND n.read_at IS NULL",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        assert!(unread > 0);
        let (_, home) = text(&app, "/").await;
        assert!(
            home.contains(&format!("Notices ({unread} unread)")),
            "every page's header counts them: {home}"
        );

        let read =
            app.client.post(app.url("/notices/read")).header("origin", &app.address).send().await.unwrap();
        assert_eq!(read.status(), StatusCode::SEE_OTHER);
        let (_, after) = text(&app, "/notices").await;
        assert!(after.contains("0 unread") && !after.contains("Mark all as read"), "{after}");
        let (_, home) = text(&app, "/").await;
        assert!(home.contains(">Notices</a>") && !home.contains("unread)"), "{home}");

        let forged = app
            .client
            .post(app.url("/notices/read"))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a cross-site post changes nothing");
    })
    .await;
}

#[tokio::test]
async fn a_subject_sees_each_staff_read_of_their_record() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let (status, none) = text(&app, "/record/access").await;
        assert_eq!(status, StatusCode::OK);
        assert!(none.contains("No member of staff has opened your record."));

        let row = sqlx::query(
            "SELECT s.subject_id, r.id FROM accounts s, accounts r WHERE s.username = 'demo-subject' AND r.username = 'demo-reviewer'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let subject = recourse::domain::SubjectId::parse(&row.try_get::<String, _>(0).unwrap()).unwrap();
        let reviewer = uuid::Uuid::parse_str(&row.try_get::<String, _>(1).unwrap()).unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        recourse::store::notices::record_access(&mut conn, subject, reviewer, "Rongcheng Review Board", "reviewer", "Deciding appeal A-17", Utc::now())
            .await
            .unwrap();
        drop(conn);
        let (_, page) = text(&app, "/record/access").await;
        assert!(page.contains("Rongcheng Review Board") && page.contains("Deciding appeal A-17") && page.contains("reviewer"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_subject_downloads_everything_as_json_and_the_events_as_safe_csv() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let json = app.get("/record/export.json").await;
        assert_eq!(json.status(), StatusCode::OK);
        assert!(json.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let body: serde_json::Value = json.json().await.unwrap();
        assert_eq!(body["subject"]["name"], "Wang Fang");
        assert_eq!(body["schemes"].as_array().unwrap().len(), 2);
        assert!(!body["schemes"][0]["events"].as_array().unwrap().is_empty());
        assert_eq!(body["blacklist_entries"][0]["entry"]["case_number"], "(2025) Lu 1082 Zhi 1423");
        assert!(!body["notices"].as_array().unwrap().is_empty());

        let csv = app.get("/record/events.csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("scheme,event_id,kind,rule_code,points"));
        let rows: Vec<_> = lines.collect();
        assert!(rows.len() >= 6, "{csv}");
        assert!(
            rows.iter().any(|r| r.contains(",'-100,")),
            "negative points start with '-' and are neutralised: {csv}"
        );
        assert!(!rows.iter().any(|r| r.contains(",-")), "no cell starts with a bare minus: {csv}");
    })
    .await;
}

#[tokio::test]
async fn staff_have_no_own_record_inbox_or_download() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-reviewer", "review-demo-2026").await;
        for path in ["/notices", "/record/access", "/record/export.json", "/record/events.csv", "/record"] {
            assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}
