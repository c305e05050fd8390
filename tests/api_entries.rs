//! Blacklist entries through the JSON API on both databases: recorded pending notice, notified,
//! audited and shown on the subject's record; sent again harmlessly; bad fields named with nothing
//! written; another authority's entries hidden; revoked tokens refused; and the API's rate limit.

mod api_support;
mod common;

use api_support::*;
use common::{count, for_each_database, TestApp};
use recourse::{
    api::limit::ApiLimit,
    http::{self, AppState, Config},
};
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = Client::new().post(app.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = Client::new().get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The subject the demo account `demo-subject` speaks for (Wang Fang).
async fn demo_subject(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT subject_id FROM accounts WHERE username = 'demo-subject'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A court listing of `subject` under `case`, with no notice delivered yet.
fn entry(subject: &str, case: &str) -> Value {
    json!({
        "subject_id": subject,
        "list": "dishonest-judgment-debtors",
        "case_number": case,
        "legal_basis": "Provisions of the Supreme People's Court on Publishing the List of Dishonest Judgment Debtors, art. 1",
        "reason": "Did not pay the sum the judgment of 3 March ordered, though able to.",
        "restrictions": ["flights", "loans"],
        "effective_from": days_ago(1),
        "removal": "pay_amount",
        "amount": "5000.00",
        "currency": "CNY",
    })
}

/// Rows that recording an entry writes, to check that a refusal wrote none.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM blacklist_entries").await,
        count(app, "SELECT COUNT(*) FROM notices").await,
        count(app, "SELECT COUNT(*) FROM audit_log").await,
    )
}

#[tokio::test]
async fn an_entry_recorded_through_the_api_is_pending_notified_audited_and_on_the_subjects_record() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let subject = demo_subject(&app).await;
        let (entries, notices, audits) = written(&app).await;

        let first = entry(&subject, "(2026) API 1");
        let (status, body) = post(&app, &court, "/api/v1/entries", &first).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.label);
        assert_eq!(body["outcome"], "recorded");
        let e = &body["entry"];
        assert_eq!(e["status"], "pending_notice", "{}: no notice delivered yet", app.label);
        assert_eq!(e["restrictions"], json!(["flights", "loans"]));
        assert_eq!(e["removal"], json!({"kind": "pay_amount", "amount": "5000.00", "currency": "CNY"}));
        assert_eq!(e["list"], "dishonest-judgment-debtors");
        assert!(e["notice_delivered_at"].is_null());
        let id = e["id"].as_str().unwrap().to_string();
        assert_eq!(written(&app).await, (entries + 1, notices + 1, audits + 1), "{}", app.label);

        let notice = count(
            &app,
            &format!("SELECT COUNT(*) FROM notices WHERE entry_id = '{id}' AND kind = 'entry_recorded'"),
        )
        .await;
        assert_eq!(notice, 1, "{}: the subject is notified", app.label);
        let (actor, action): (String, String) =
            sqlx::query_as("SELECT actor, action FROM audit_log WHERE target_id = $1")
                .bind(&id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert!(actor.starts_with("token:rct_"), "{}: {actor}", app.label);
        assert_eq!(action, "entry.record");

        // The subject sees it on their record, restricting nothing until its notice is delivered.
        let person = signed_in(&app, "demo-subject").await;
        let record = person.get(app.url("/record")).send().await.unwrap().text().await.unwrap();
        assert!(record.contains("(2026) API 1"), "{}: the entry is on the record", app.label);
        let response = person.get(app.url(&format!("/record/entries/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("notice not yet delivered") && page.contains("restricts nothing until its notice"),
            "{}: {page}",
            app.label
        );

        // Sent again: the same entry, nothing written; the same case number for something else: 409.
        let mut again = first.clone();
        again["case_number"] = json!(" (2026) API 1 ");
        let (status, body) = post(&app, &court, "/api/v1/entries", &again).await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (StatusCode::OK, Some("duplicate")),
            "{}: {body}",
            app.label
        );
        assert_eq!(body["entry"]["id"], id.as_str());
        let mut changed = first.clone();
        changed["reason"] = json!("Another reason altogether.");
        let (status, body) = post(&app, &court, "/api/v1/entries", &changed).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("case_number_reused")),
            "{}: {body}",
            app.label
        );
        assert_eq!(written(&app).await, (entries + 1, notices + 1, audits + 1), "{}", app.label);
        // Another authority with a mandate for the list may use the same case number for its own entry.
        let list: String =
            sqlx::query_scalar("SELECT id FROM blacklist_lists WHERE code = 'dishonest-judgment-debtors'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let list = recourse::domain::ListId::parse(&list).unwrap();
        let traffic_id =
            recourse::domain::AuthorityId::parse(&authority_id(&app, "rc-traffic").await).unwrap();
        common::grant_mandate(&app.db, traffic_id, recourse::domain::MandateScope::List { list }).await;
        let (status, _) = post(&app, &traffic, "/api/v1/entries", &entry(&subject, "(2026) API 1")).await;
        assert_eq!(status, StatusCode::CREATED, "{}", app.label);

        // Read back by its authority only.
        let (status, body) = get(&app, &court, &format!("/api/v1/entries/{id}")).await;
        assert_eq!((status, body["case_number"].as_str()), (StatusCode::OK, Some("(2026) API 1")));
        let (status, body) = get(&app, &traffic, &format!("/api/v1/entries/{id}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{}",
            app.label
        );
        let (status, _) = get(&app, &court, "/api/v1/entries/not-an-id").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, page) = get(&app, &traffic, "/api/v1/entries").await;
        assert!(page["entries"].as_array().unwrap().iter().all(|e| e["id"] != id.as_str()));
        let (_, page) = get(&app, &court, "/api/v1/entries?limit=1000").await;
        let all = page["entries"].as_array().unwrap().clone();
        assert!(all.iter().any(|e| e["id"] == id.as_str()), "{}", app.label);
        assert!(all.len() >= 2, "{}: the demo court's entries too", app.label);
        // Keyset pages: one at a time, every entry once.
        let mut seen = Vec::new();
        let mut path = "/api/v1/entries?limit=1".to_string();
        loop {
            let (status, page) = get(&app, &court, &path).await;
            assert_eq!(status, StatusCode::OK);
            seen.extend(page["entries"].as_array().unwrap().iter().map(|e| e["id"].clone()));
            match page["next_after"].as_str() {
                Some(after) => path = format!("/api/v1/entries?limit=1&after={after}"),
                None => break,
            }
        }
        assert_eq!(seen, all.iter().map(|e| e["id"].clone()).collect::<Vec<_>>(), "{}", app.label);
        let (status, _) = get(&app, &court, "/api/v1/entries?limit=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = get(&app, &court, "/api/v1/entries?after=junk").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn bad_entries_get_an_answer_naming_the_field_and_nothing_is_written() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let subject = demo_subject(&app).await;
        let before = written(&app).await;
        let with = |field: &str, value: Value| {
            let mut body = entry(&subject, "(2026) BAD 1");
            body[field] = value;
            body
        };
        let cases = [
            (with("subject_id", json!("not-an-id")), "subject_id", "invalid_id"),
            (
                with("subject_id", json!("0193a5b2-7c1e-7d3a-9f00-1234567890ab")),
                "subject_id",
                "unknown_subject",
            ),
            (with("list", json!("no-such-list")), "list", "unknown_list"),
            (with("case_number", json!("  ")), "case_number", "empty_field"),
            (with("legal_basis", json!("")), "legal_basis", "empty_field"),
            (with("reason", json!("")), "reason", "empty_field"),
            (with("restrictions", json!(["teleportation"])), "restrictions", "unknown_restriction"),
            (with("restrictions", json!([])), "restrictions", "empty_field"),
            (with("effective_from", json!("soon")), "effective_from", "invalid_time"),
            (with("effective_from", json!("")), "effective_from", "empty_field"),
            (with("notice_delivered_at", json!(days_ago(-2))), "notice_delivered_at", "future_date"),
            (with("notice_delivered_at", json!(days_ago(0))), "effective_from", "effective_before_notice"),
            (with("expires_at", json!(days_ago(2))), "expires_at", "date_order"),
            (with("amount", json!("-3")), "amount", "invalid_amount"),
            (with("amount", json!("0")), "amount", "not_positive"),
            (with("currency", json!("yuan")), "currency", "invalid_currency"),
            (with("removal", json!("forgiveness")), "removal", "invalid_removal"),
            (with("authority_id", json!("x")), "authority_id", "invalid_object"),
        ];
        for (body, field, code) in cases {
            let (status, answer) = post(&app, &court, "/api/v1/entries", &body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {code}: {answer}", app.label);
            let problem = &answer["problems"][0];
            assert_eq!(
                (problem["field"].as_str(), problem["code"].as_str()),
                (Some(field), Some(code)),
                "{}: {answer}",
                app.label
            );
            assert!(!problem["message"].as_str().unwrap().is_empty());
        }
        // Several problems at once are all named.
        let mut body = with("list", json!(""));
        body["restrictions"] = json!(["teleportation"]);
        let (_, answer) = post(&app, &court, "/api/v1/entries", &body).await;
        let fields: Vec<&str> =
            answer["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["list", "restrictions"], "{}: {answer}", app.label);
        // A number is read as an amount too.
        let mut body = with("amount", json!(1250.5));
        body["case_number"] = json!("(2026) NUM 1");
        let (status, answer) = post(&app, &court, "/api/v1/entries", &body).await;
        assert_eq!(
            (status, answer["entry"]["removal"]["amount"].as_str()),
            (StatusCode::CREATED, Some("1250.50"))
        );
        let after = written(&app).await;
        assert_eq!(
            after,
            (before.0 + 1, before.1 + 1, before.2 + 1),
            "{}: only the good one was written",
            app.label
        );
    })
    .await;
}

#[tokio::test]
async fn a_revoked_or_missing_token_cannot_record_an_entry() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let subject = demo_subject(&app).await;
        let id: String =
            sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
        let response = admin
            .post(app.url(&format!("/admin/tokens/{id}/revoke")))
            .header(header::ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let before = written(&app).await;
        let (status, body) = post(&app, &court, "/api/v1/entries", &entry(&subject, "(2026) REV 1")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("token_revoked")),
            "{}",
            app.label
        );
        let response = Client::new()
            .post(app.url("/api/v1/entries"))
            .json(&entry(&subject, "(2026) REV 2"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = admin.get(app.url("/api/v1/entries")).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{}: a session cookie is not a token",
            app.label
        );
        assert_eq!(written(&app).await, before, "{}: nothing was written", app.label);
    })
    .await;
}

/// Another server on the same database with its own configuration.
async fn spawn_with(db: recourse::db::Db, config: Config, label: &'static str) -> TestApp {
    let state = AppState::new(db.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp { address, client: TestApp::new_client(), db, label }
}

/// Sends a GET; the status and the `Retry-After` header's seconds, if any.
async fn limited(app: &TestApp, token: Option<&str>, path: &str) -> (StatusCode, Option<u64>, Value) {
    let mut request = Client::new().get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry = response.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_gets_429_with_retry_after_per_token_and_per_address() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let config = Config { api_limit: ApiLimit { per_second: 1, burst: 3 }, ..Config::default() };
        let small = spawn_with(app.db.clone(), config, app.label).await;

        for _ in 0..3 {
            let (status, _, _) = limited(&small, Some(&court), "/api/v1/entries").await;
            assert_eq!(status, StatusCode::OK, "{}: within the burst", app.label);
        }
        let (status, retry, body) = limited(&small, Some(&court), "/api/v1/entries").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{}: {body}", app.label);
        assert_eq!(body["code"], "rate_limited");
        let retry = retry.expect("a Retry-After header");
        assert!((1..=2).contains(&retry), "{retry}");
        // Refused before the handler: a write over the limit records nothing.
        let before = written(&app).await;
        let subject = demo_subject(&app).await;
        let (status, _) = post(&small, &court, "/api/v1/entries", &entry(&subject, "(2026) RL 1")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(written(&app).await, before);

        // Another token has its own count; calls without a valid token count by address.
        let (status, _, _) = limited(&small, Some(&traffic), "/api/v1/events").await;
        assert_eq!(status, StatusCode::OK, "{}: another token is not limited", app.label);
        for _ in 0..3 {
            let (status, _, _) = limited(&small, None, "/api/v1/entries").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, retry, body) = limited(&small, Some("rct_nonsense"), "/api/v1/entries").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
        assert!(retry.is_some());
        // Pages are not counted.
        assert_eq!(small.get("/rules").await.status(), StatusCode::OK);

        // After the wait, the token may call again; the default server never limited anyone.
        tokio::time::sleep(std::time::Duration::from_secs(retry.unwrap())).await;
        let (status, _, _) = limited(&small, Some(&court), "/api/v1/entries").await;
        assert_eq!(status, StatusCode::OK, "{}: allowed again after Retry-After", app.label);
        let (status, _, _) = limited(&app, Some(&court), "/api/v1/entries").await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_entries_and_the_rate_limit() {
    for_each_database(|app| async move {
        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        for (path, method) in
            [("/api/v1/entries", "post"), ("/api/v1/entries", "get"), ("/api/v1/entries/{id}", "get")]
        {
            let operation = &doc["paths"][path][method];
            assert!(operation.is_object(), "{method} {path}");
            assert!(operation["responses"]["429"]["headers"]["Retry-After"].is_object(), "{method} {path}");
        }
        let responses = &doc["paths"]["/api/v1/entries"]["post"]["responses"];
        for status in ["200", "201", "401", "409", "422"] {
            assert!(responses[status].is_object(), "{status}");
        }
        assert!(doc["paths"]["/api/v1/imports"]["post"]["responses"]["429"].is_object());
        assert!(doc["components"]["schemas"]["EntryInput"]["properties"]["case_number"].is_object());
    })
    .await;
}

#[tokio::test]
async fn on_a_list_whose_in_app_notice_counts_as_delivery_an_entry_is_delivered_when_recorded() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let subject = demo_subject(&app).await;
        sqlx::query(
            "UPDATE blacklist_lists SET in_app_delivery = 1 WHERE code = 'dishonest-judgment-debtors'",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        let before = chrono::Utc::now();
        let (status, body) = post(&app, &court, "/api/v1/entries", &entry(&subject, "(2026) API 9")).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.label);
        let e = &body["entry"];
        assert_eq!(e["status"], "active", "{}: delivered by the notice written with it: {body}", app.label);
        let delivered: chrono::DateTime<chrono::Utc> =
            e["notice_delivered_at"].as_str().unwrap().parse().unwrap();
        assert!(delivered >= before - chrono::Duration::seconds(1), "{}: {body}", app.label);
        assert_eq!(e["effective_from"], e["notice_delivered_at"], "never in effect before its notice");

        // The subject's notice says it was delivered.
        let person = signed_in(&app, "demo-subject").await;
        let inbox = person.get(app.url("/notices")).send().await.unwrap().text().await.unwrap();
        let about = inbox.split("case (2026) API 9 on ").nth(1).unwrap_or_default();
        assert!(
            about.split("</span>").next().unwrap_or_default().contains("Its notice was delivered on "),
            "{inbox}"
        );
    })
    .await;
}
