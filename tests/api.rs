//! The JSON API over HTTP on both databases: tokens made, shown once, used, revoked; one event,
//! duplicates and reused references; batches in both modes; reading back only one's own; the
//! OpenAPI document matching the routes; every write audited.

mod api_support;
mod common;

use api_support::*;
use common::{for_each_database, TestApp};
use recourse::http::route_table;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Client::new().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::GET, path, None).await
}

#[tokio::test]
async fn tokens_are_shown_once_checked_on_every_call_and_revocable() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let token = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let list = admin.get(app.url("/admin/tokens")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains(&token[..12]), "{}: the list shows the prefix", app.label);
        assert!(!list.contains(&token), "{}: the list never shows the secret", app.label);
        let stored: String =
            sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
        assert_ne!(stored, token, "only a digest is stored");

        // No token, a session cookie instead of a token, a token nobody made.
        let (status, body) = get(&app, "", "/api/v1/events").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_malformed")));
        let response = admin.get(app.url("/api/v1/events")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{}: a cookie is not a token", app.label);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let (status, body) = get(&app, "rct_0000", "/api/v1/events").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")));

        let (status, _) = get(&app, &token, "/api/v1/events").await;
        assert_eq!(status, StatusCode::OK);
        // The last use is stamped off the request's path.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let used: Option<i64> =
            sqlx::query_scalar("SELECT last_used_at FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
        assert!(used.is_some(), "{}: the last use is shown", app.label);

        let id: String =
            sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
        let response = admin
            .post(app.url(&format!("/admin/tokens/{id}/revoke")))
            .header(header::ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (status, body) = get(&app, &token, "/api/v1/events").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));
        let audited: Vec<String> =
            sqlx::query_scalar("SELECT action FROM audit_log WHERE target_kind = 'api_token' ORDER BY at")
                .fetch_all(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(audited, ["token.create", "token.revoke"], "{}", app.label);

        // Only administrators make tokens.
        let recorder = signed_in(&app, "demo-recorder").await;
        let response = recorder.get(app.url("/admin/tokens")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn one_event_is_recorded_once_audited_notified_and_read_back_by_its_authority_only() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let subject = rongcheng_members(&app, 1).await.remove(0);
        let at = days_ago(2);

        let (status, body) = post(&app, &traffic, "/api/v1/events", event(&subject, "TP-1", &at)).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.label);
        assert_eq!(body["outcome"], "recorded");
        let id = body["event"]["id"].as_str().unwrap().to_string();
        assert_eq!(body["event"]["recorded_by"], "ticketing");
        let (status, body) = post(&app, &traffic, "/api/v1/events", event(&subject, "TP-1", &at)).await;
        assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("duplicate")), "{}", app.label);
        assert_eq!(body["event"]["id"], id.as_str());
        let (status, body) =
            post(&app, &traffic, "/api/v1/events", event(&subject, "TP-1", &days_ago(3))).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("reference_reused")));
        assert_eq!(events_of(&app, "rc-traffic").await, 1 + demo_events(&app, "rc-traffic").await);

        let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE event_id = $1")
            .bind(&id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(notices, 1, "{}: the subject is notified", app.label);
        let (actor, action): (String, String) =
            sqlx::query_as("SELECT actor, action FROM audit_log WHERE target_id = $1")
                .bind(&id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert!(actor.starts_with("token:rct_"), "{actor}");
        assert_eq!(action, "event.record");
        standing_adds_up(&app, &subject).await;

        let (status, body) = get(&app, &traffic, &format!("/api/v1/events/{id}")).await;
        assert_eq!((status, body["external_ref"].as_str()), (StatusCode::OK, Some("TP-1")));
        assert_eq!(body["scheme"], "rongcheng");
        let (status, body) = get(&app, &court, &format!("/api/v1/events/{id}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{}",
            app.label
        );
        let (_, page) = get(&app, &court, "/api/v1/events").await;
        assert!(page["events"].as_array().unwrap().iter().all(|e| e["id"] != id.as_str()));
        let (_, page) = get(&app, &traffic, "/api/v1/events?limit=1000").await;
        assert!(page["events"].as_array().unwrap().iter().any(|e| e["id"] == id.as_str()));
        let (status, _) = get(&app, &traffic, "/api/v1/events?limit=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

/// Demo events recorded by an authority before the test's own.
async fn demo_events(app: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM events e JOIN authorities a ON a.id = e.authority_id \
         WHERE a.code = $1 AND e.external_ref <> 'TP-1'",
    )
    .bind(code)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn bad_events_get_a_specific_answer_naming_the_field_and_nothing_is_written() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let token = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let subject = rongcheng_members(&app, 1).await.remove(0);
        let before = events_of(&app, "rc-traffic").await;
        let cases = [
            (event(&subject, "B-1", &days_ago(-3)), "occurred_at", "future_date"),
            (event(&subject, "B-2", "2019-01-01"), "occurred_at", "before_rule_effective"),
            (
                event("0193a5b2-7c1e-7d3a-9f00-1234567890ab", "B-3", &days_ago(1)),
                "subject_id",
                "unknown_subject",
            ),
            (event("not-an-id", "B-4", &days_ago(1)), "subject_id", "invalid_id"),
            (
                json!({"subject_id": subject, "scheme": "rongcheng", "rule_code": "NO-SUCH-RULE",
                    "occurred_at": days_ago(1), "external_ref": "B-5"}),
                "rule_code",
                "unknown_rule",
            ),
            (
                json!({"subject_id": subject, "scheme": "atlantis", "rule_code": "TRAFFIC-01",
                    "occurred_at": days_ago(1), "external_ref": "B-6"}),
                "scheme",
                "unknown_scheme",
            ),
            (
                json!({"subject_id": subject, "scheme": "rongcheng", "rule_code": "TRAFFIC-01",
                    "occurred_at": days_ago(1), "external_ref": "B-7", "points": -500}),
                "points",
                "points_out_of_range",
            ),
            (
                json!({"subject_id": subject, "scheme": "rongcheng", "rule_code": "TRAFFIC-01",
                    "occurred_at": days_ago(1), "external_ref": "B-8", "authority_id": "x"}),
                "authority_id",
                "invalid_object",
            ),
            (
                json!({"subject_id": subject, "scheme": "rongcheng", "rule_code": "TRAFFIC-01",
                    "occurred_at": "last tuesday", "external_ref": "B-9"}),
                "occurred_at",
                "invalid_time",
            ),
        ];
        for (body, field, code) in cases {
            let (status, answer) = post(&app, &token, "/api/v1/events", body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {code}: {answer}", app.label);
            let problem = &answer["problems"][0];
            assert_eq!(problem["code"], code, "{}: {answer}", app.label);
            assert_eq!(problem["field"], field, "{}: {answer}", app.label);
            assert!(!problem["message"].as_str().unwrap().is_empty());
        }
        let response = Client::new()
            .post(app.url("/api/v1/events"))
            .bearer_auth(&token)
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"subject_id\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let response =
            Client::new().post(app.url("/api/v1/events")).bearer_auth(&token).body("x").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(events_of(&app, "rc-traffic").await, before, "{}: nothing was written", app.label);
    })
    .await;
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_by_default_or_records_the_good_rows() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let token = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let subjects = rongcheng_members(&app, 2).await;
        let before = events_of(&app, "rc-traffic").await;
        let events = json!([
            event(&subjects[0], "BA-1", &days_ago(5)),
            event(&subjects[1], "BA-2", &days_ago(4)),
            event(&subjects[1], "BA-3", &days_ago(-2)),
            event(&subjects[0], "BA-1", &days_ago(6)),
        ]);
        let (status, report) = post(&app, &token, "/api/v1/events/batch", json!({ "events": events })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {report}", app.label);
        assert_eq!(report["committed"], false);
        assert_eq!(report["recorded"], 0);
        let problems: Vec<(u64, String)> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["row"].as_u64().unwrap(), p["code"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(problems, [(3, "future_date".to_string()), (4, "duplicate_reference".to_string())], "{}", app.label);
        assert_eq!(events_of(&app, "rc-traffic").await, before, "{}: nothing of it was recorded", app.label);

        let (status, report) =
            post(&app, &token, "/api/v1/events/batch", json!({ "mode": "good_rows", "events": events })).await;
        assert_eq!(status, StatusCode::OK, "{}: {report}", app.label);
        assert_eq!((report["recorded"].as_u64(), report["refused"].as_u64()), (Some(2), Some(2)));
        assert_eq!(report["results"].as_array().unwrap().len(), 2);
        assert_eq!(events_of(&app, "rc-traffic").await, before + 2);
        for subject in &subjects {
            standing_adds_up(&app, subject).await;
        }
        // Sent again: nothing twice.
        let (_, report) =
            post(&app, &token, "/api/v1/events/batch", json!({ "mode": "good_rows", "events": events })).await;
        assert_eq!((report["recorded"].as_u64(), report["duplicates"].as_u64()), (Some(0), Some(2)), "{report}");
        assert_eq!(events_of(&app, "rc-traffic").await, before + 2);
        let notices: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notices n JOIN events e ON e.id = n.event_id WHERE e.external_ref LIKE 'BA-%'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(notices, 2, "{}: one notice per recorded event", app.label);

        let (status, report) = post(&app, &token, "/api/v1/events/batch", json!({ "events": [] })).await;
        assert_eq!((status, report["problems"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_size")));
        let (status, _) = post(&app, &token, "/api/v1/events/batch", json!({ "mode": "sometimes", "events": events })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    for_each_database(|app| async move {
        let response = app.get("/api/v1/openapi.json").await;
        assert_eq!(response.status(), StatusCode::OK);
        let doc: Value = response.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        for route in route_table() {
            let Some(rest) = route.path.strip_prefix("/api/v1") else { continue };
            if rest == "/openapi.json" {
                continue;
            }
            let method = route.verb.as_str().to_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{} {} is missing from the OpenAPI document (rest {rest})",
                route.verb.as_str(),
                route.path
            );
        }
        let documented = doc["paths"].as_object().unwrap().len();
        let served = route_table()
            .iter()
            .filter(|r| r.path.starts_with("/api/v1") && r.path != "/api/v1/openapi.json")
            .map(|r| r.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert_eq!(documented, served, "the document describes exactly the routes served");
    })
    .await;
}
