//! Helpers of the API and import tests: the demo data, a token made through the administrator's
//! page, and an enrolled subject to record about.
#![allow(dead_code)]

use chrono::Utc;
use recourse::demo::ACCOUNTS;
use reqwest::{header, Client, StatusCode};
use serde_json::Value;

use crate::common::TestApp;

/// Seeds the demo data set.
pub async fn demo(app: &TestApp) {
    recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data seeds");
}

/// A client signed in as a demo account.
pub async fn signed_in(app: &TestApp, username: &str) -> Client {
    let account = ACCOUNTS.iter().find(|a| a.username == username).unwrap();
    let client = TestApp::new_client();
    let response = client
        .post(app.url("/sign-in"))
        .header(header::ORIGIN, &app.address)
        .form(&[("username", account.username), ("password", account.password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}: {username} signs in", app.label);
    client
}

/// The id of an authority by its code.
pub async fn authority_id(app: &TestApp, code: &str) -> String {
    sqlx::query_scalar("SELECT id FROM authorities WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Makes a token for the authority `code` through `/admin/tokens` and returns its secret, read
/// from the page that shows it once.
pub async fn make_token(app: &TestApp, admin: &Client, code: &str, label: &str) -> String {
    let authority = authority_id(app, code).await;
    let response = admin
        .post(app.url("/admin/tokens"))
        .header(header::ORIGIN, &app.address)
        .form(&[("authority_id", authority.as_str()), ("label", label)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{}: the token is made", app.label);
    let page = response.text().await.unwrap();
    let start = page.find("rct_").expect("the secret is shown");
    page[start..start + 4 + 64].to_string()
}

/// `count` subjects enrolled in the Rongcheng scheme.
pub async fn rongcheng_members(app: &TestApp, count: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT m.subject_id FROM scheme_memberships m JOIN schemes s ON s.id = m.scheme_id \
         WHERE s.code = 'rongcheng' ORDER BY m.subject_id LIMIT $1",
    )
    .bind(count)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// An event body about `subject` under TRAFFIC-01 with reference `reference`.
pub fn event(subject: &str, reference: &str, occurred_at: &str) -> Value {
    serde_json::json!({
        "subject_id": subject,
        "scheme": "rongcheng",
        "rule_code": "TRAFFIC-01",
        "occurred_at": occurred_at,
        "external_ref": reference,
    })
}

/// How many events an authority has recorded.
pub async fn events_of(app: &TestApp, authority_code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM events e JOIN authorities a ON a.id = e.authority_id WHERE a.code = $1",
    )
    .bind(authority_code)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// A day in the recent past, as the API reads it.
pub fn days_ago(days: i64) -> String {
    (Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Checks that a subject's derivation in the points scheme now adds up, line by line, to the
/// score it shows (invariant 1).
pub async fn standing_adds_up(app: &TestApp, subject: &str) {
    use recourse::{domain::SubjectId, store::catalogue};
    let subject = SubjectId::parse(subject).unwrap();
    let mut conn = app.db.pool.acquire().await.unwrap();
    let record = catalogue::scheme_by_code(&mut conn, "rongcheng").await.unwrap().unwrap();
    let ctx = catalogue::context(&mut conn, record.scheme.id()).await.unwrap().unwrap();
    let fresh =
        recourse::store::standing::derivation(&mut conn, &ctx, subject, chrono::Utc::now()).await.unwrap();
    assert_eq!(fresh.shown_total(), fresh.score, "{}: the lines add up to the score", app.label);
}
