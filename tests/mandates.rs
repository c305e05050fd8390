//! Mandates on both databases: an authority records only under the rules, and lists only on the
//! lists, it holds a mandate for — through the recorder's forms, the event API, batches, file
//! imports and the entry API — and every refusal names the field and changes nothing. A grant
//! lets a write through from then on; a revocation stops it.

mod api_support;
mod common;

use api_support::*;
use chrono::{Duration, Utc};
use common::{count, for_each_database, post as post_form, sign_in, text, TestApp};
use recourse::{
    domain::{AuthorityId, LegalBasis, MandateScope, RulePattern, SchemeId},
    store::{
        audit::Actor,
        mandates::{self, Grant},
    },
};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = Client::new().post(app.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Rows any recording or listing writes.
async fn written(app: &TestApp) -> Vec<i64> {
    let mut all = Vec::new();
    for table in ["events", "blacklist_entries", "notices", "audit_log"] {
        all.push(count(app, &format!("SELECT COUNT(*) FROM {table}")).await);
    }
    all
}

async fn wang(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT subject_id FROM accounts WHERE username = 'demo-subject'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn liu(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT subject_id FROM accounts WHERE username = 'demo-liu'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

fn event(subject: &str, scheme: &str, rule: &str, reference: &str) -> Value {
    json!({"subject_id": subject, "scheme": scheme, "rule_code": rule, "occurred_at": days_ago(2),
           "external_ref": reference, "recorded_by": "Officer Li", "source": "ticket"})
}

fn court_listing(subject: &str, case: &str) -> Value {
    json!({
        "subject_id": subject,
        "list": "dishonest-judgment-debtors",
        "case_number": case,
        "legal_basis": "None at all",
        "reason": "Because we can.",
        "restrictions": ["flights"],
        "effective_from": days_ago(1),
        "removal": "appeal",
    })
}

fn problem(body: &Value) -> (String, String) {
    let p = &body["problems"][0];
    (p["field"].as_str().unwrap_or_default().to_string(), p["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn the_traffic_police_cannot_record_a_courts_or_a_credit_bureaus_rule_through_the_api() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let (wang, liu) = (wang(&app).await, liu(&app).await);
        let before = written(&app).await;

        let (status, body) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "COURT-01", "M-1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {body}", app.label);
        assert_eq!(problem(&body), ("rule_code".into(), "outside_mandate".into()), "{body}");
        assert!(body["problems"][0]["message"].as_str().unwrap().contains("COURT-01"), "{body}");
        let (status, body) =
            post(&app, &traffic, "/api/v1/events", &event(&liu, "coastal-credit", "PAY-LATE", "M-2")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {body}", app.label);
        assert_eq!(problem(&body), ("rule_code".into(), "outside_mandate".into()));
        let (status, body) =
            post(&app, &traffic, "/api/v1/entries", &court_listing(&wang, "(2026) NONE 1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {body}", app.label);
        assert_eq!(problem(&body), ("list".into(), "outside_mandate".into()));
        assert_eq!(written(&app).await, before, "{}: nothing was written", app.label);

        let (status, body) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "TRAFFIC-01", "M-3")).await;
        assert_eq!(status, StatusCode::CREATED, "{}: its own rule is recorded: {body}", app.label);
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let (status, body) =
            post(&app, &court, "/api/v1/entries", &court_listing(&wang, "(2026) COURT 1")).await;
        assert_eq!(status, StatusCode::CREATED, "{}: the court lists on its own list: {body}", app.label);
    })
    .await;
}

#[tokio::test]
async fn batches_and_imports_refuse_each_row_outside_the_mandate_by_its_number() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "nightly").await;
        let wang = wang(&app).await;
        let before = written(&app).await;
        let rows = json!([
            event(&wang, "rongcheng", "TRAFFIC-01", "MB-1"),
            event(&wang, "rongcheng", "COURT-01", "MB-2"),
            event(&wang, "rongcheng", "VOLUNTEER-01", "MB-3"),
        ]);
        let (status, report) = post(&app, &traffic, "/api/v1/events/batch", &json!({ "events": rows })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {report}", app.label);
        let refused: Vec<(u64, &str, &str)> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["row"].as_u64().unwrap(), p["field"].as_str().unwrap(), p["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            refused,
            [(2, "rule_code", "outside_mandate"), (3, "rule_code", "outside_mandate")],
            "{report}"
        );
        assert_eq!(written(&app).await, before, "{}: all or nothing", app.label);

        let file = format!(
            "subject_id,scheme,rule_code,occurred_at,external_ref\n{wang},rongcheng,TRAFFIC-01,{d},MI-1\n\
             {wang},rongcheng,TAX-01,{d},MI-2\n",
            d = days_ago(3)
        );
        let response = Client::new()
            .post(app.url("/api/v1/imports?mode=good_rows"))
            .bearer_auth(&traffic)
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let report: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{}: {status} {report}", app.label);
        assert_eq!(report["recorded"], 1, "{report}");
        assert_eq!(problem(&report), ("rule_code".into(), "outside_mandate".into()), "{report}");
        assert_eq!(report["problems"][0]["row"], 3, "{}: the file's third line: {report}", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE external_ref LIKE 'MI-%'").await, 1);
    })
    .await;
}

#[tokio::test]
async fn the_recorders_forms_refuse_a_rule_or_a_list_outside_the_mandate_and_change_nothing() {
    for_each_database(|app| async move {
        demo(&app).await;
        let wang = wang(&app).await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let (_, form) = text(&app, &format!("/recording/subjects/{wang}/events")).await;
        assert!(
            form.contains("TRAFFIC-01") && !form.contains("COURT-01"),
            "only mandated rules are offered: {form}"
        );
        let (_, form) = text(&app, &format!("/recording/subjects/{wang}/entries")).await;
        assert!(!form.contains(r#"value="dishonest-judgment-debtors""#), "no list is offered: {form}");
        let (_, rule) = text(&app, "/rules/rongcheng/COURT-01").await;
        // The court alone holds a mandate for its rule.
        assert!(
            rule.contains("Who may record it") && rule.contains("<dd>Rongcheng People's Court</dd>"),
            "{rule}"
        );
        let before = written(&app).await;
        let occurred = (Utc::now() - Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
        let form = [
            ("scheme", "rongcheng"),
            ("rule_code", "COURT-01"),
            ("occurred_at", occurred.as_str()),
            ("points", ""),
            ("source", "Judgment"),
            ("evidence_ref", ""),
            ("external_ref", "MF-1"),
        ];
        let (status, _, page) = post_form(&app, &format!("/recording/subjects/{wang}/events"), &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(page.contains("holds no mandate to record under rule COURT-01"), "{page}");
        let today = Utc::now().format("%Y-%m-%d").to_string();
        let entry = [
            ("list", "dishonest-judgment-debtors"),
            ("case_number", "(2026) NONE 2"),
            ("legal_basis", "None at all"),
            ("reason", "Because we can"),
            ("effective_from", today.as_str()),
            ("removal", "appeal"),
            ("restrictions", "flights"),
        ];
        let (status, _, page) = post_form(&app, &format!("/recording/subjects/{wang}/entries"), &entry).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(page.contains("holds no mandate to list subjects on this list"), "{page}");
        assert_eq!(written(&app).await, before, "{}: nothing was written", app.label);
    })
    .await;
}

#[tokio::test]
async fn a_grant_opens_a_rule_from_then_on_and_a_revocation_closes_it() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let wang = wang(&app).await;
        let authority = AuthorityId::parse(&authority_id(&app, "rc-traffic").await).unwrap();
        let scheme: String = sqlx::query_scalar("SELECT id FROM schemes WHERE code = 'rongcheng'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let scheme = SchemeId::parse(&scheme).unwrap();
        let actor = Actor::cli("test");

        let mut tx = app.db.begin_write().await.unwrap();
        let scope = MandateScope::Rules { scheme, rules: RulePattern::parse("VOLUNTEER-01").unwrap() };
        let legal_basis = LegalBasis::parse("Rongcheng order 12/2026").unwrap();
        let grant = Grant { authority, scope, legal_basis, valid_from: Utc::now() };
        let granted = mandates::grant(&mut tx, grant, &actor, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        let (status, body) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "VOLUNTEER-01", "MG-1")).await;
        assert_eq!(status, StatusCode::CREATED, "{}: granted: {body}", app.label);

        let mut tx = app.db.begin_write().await.unwrap();
        let refused = mandates::revoke(&mut tx, authority, granted, "  ", &actor, Utc::now()).await;
        assert!(refused.is_err(), "a revocation needs a reason");
        mandates::revoke(&mut tx, authority, granted, "Order 12/2026 expired", &actor, Utc::now())
            .await
            .unwrap();
        let again = mandates::revoke(&mut tx, authority, granted, "twice", &actor, Utc::now()).await;
        assert!(again.is_err(), "a revoked mandate cannot be revoked again");
        tx.commit().await.unwrap();
        let (status, body) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "VOLUNTEER-01", "MG-2")).await;
        assert_eq!(
            (status, problem(&body).1.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "outside_mandate"),
            "{body}"
        );

        let mut conn = app.db.pool.acquire().await.unwrap();
        let history = mandates::history(&mut conn, Some(authority)).await.unwrap();
        let kept = history.iter().find(|r| r.mandate.id == granted).expect("kept as history");
        assert_eq!(kept.revoke_reason.as_deref(), Some("Order 12/2026 expired"));
        let audited =
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('mandate.grant', 'mandate.revoke')")
                .await;
        assert!(audited >= 2, "{}: {audited}", app.label);
    })
    .await;
}

#[tokio::test]
async fn an_administrator_grants_and_revokes_a_mandate_through_the_pages_with_reasons_kept() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "ticketing").await;
        let wang = wang(&app).await;
        let authority = authority_id(&app, "rc-traffic").await;
        let page = format!("/admin/authorities/{authority}/mandates");
        let send = |form: Vec<(&'static str, String)>, path: String| {
            let admin = admin.clone();
            let origin = app.address.clone();
            let url = app.url(&path);
            async move {
                let response = admin.post(url).header("origin", origin).form(&form).send().await.unwrap();
                let status = response.status();
                let location = response
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string())
                    .unwrap_or_default();
                (status, location, response.text().await.unwrap())
            }
        };
        let shown = admin.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(shown.contains("Rules TRAFFIC-* of Rongcheng"), "{}: {shown}", app.label);
        let audits = count(&app, "SELECT COUNT(*) FROM audit_log").await;

        let bad = vec![
            ("scope", "rules:rongcheng".to_string()),
            ("rules", "traffic*".to_string()),
            ("legal_basis", " ".to_string()),
            ("valid_from", "someday".to_string()),
        ];
        let (status, _, body) = send(bad, page.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(body.contains("traffic* is not a rule pattern"), "{body}");
        assert!(body.contains("Legal basis must be filled in"), "{body}");
        assert!(body.contains(r##"href="#valid_from""##), "{body}");
        let (status, _, body) =
            send(vec![("scope", "list:nowhere".into()), ("legal_basis", "x".into())], page.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("Choose a scheme's rules or a list"), "{body}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, audits, "refusals write nothing");

        let grant = vec![
            ("scope", "rules:rongcheng".to_string()),
            ("rules", "VOLUNTEER-01".to_string()),
            ("legal_basis", "Rongcheng order 7/2026".to_string()),
            ("valid_from", String::new()),
        ];
        let (status, location, _) = send(grant, page.clone()).await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, format!("{page}?done=granted").as_str())
        );
        let (status, _) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "VOLUNTEER-01", "MA-1")).await;
        assert_eq!(status, StatusCode::CREATED, "{}: granted through the page", app.label);

        let mandate: String = sqlx::query_scalar("SELECT id FROM mandates WHERE rules = 'VOLUNTEER-01'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let revoke = format!("{page}/{mandate}/revoke");
        let (status, _, body) = send(vec![("reason", "".into())], revoke.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("Reason must be filled in"), "{body}");
        let (status, _, _) = send(vec![("reason", "Order 7/2026 lapsed".into())], revoke.clone()).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) =
            post(&app, &traffic, "/api/v1/events", &event(&wang, "rongcheng", "VOLUNTEER-01", "MA-2")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: revoked through the page", app.label);
        let shown = admin.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(shown.contains("Order 7/2026 lapsed"), "the revoked mandate stays listed with its reason");
        let (status, _, _) = send(vec![("reason", "again".into())], revoke).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a revoked mandate cannot be revoked again");
    })
    .await;
}
