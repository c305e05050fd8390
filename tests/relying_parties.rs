//! Relying parties over HTTP on both databases: registered by administrators (bad input refused,
//! nothing written), tokens of their own; checks that answer only the question, refused when not
//! allowed, unknown or about nobody; every check on the subject's page and in the export; an
//! appeal decision that changes an answer sends a correction to the party that received it, which
//! acknowledges it; an expiry found by the sweep; overdue corrections flagged to administrators
//! and counted on the transparency report; the command that registers a party.

mod common;

use chrono::Utc;
use common::{count, for_each_database, multipart, signed_in, TestApp};
use recourse::domain::SubjectId;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ADMIN: (&str, &str) = ("demo-admin", "admin-demo-2026");
const WANG: (&str, &str) = ("demo-subject", "wang-fang-demo-2026");
const REVIEWER: (&str, &str) = ("demo-reviewer", "review-demo-2026");

async fn seeded(app: &TestApp) {
    recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let response =
        client.post(app.url(path)).header("origin", &app.address).form(fields).send().await.unwrap();
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (response.status(), location, response.text().await.unwrap())
}

async fn api(
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

async fn ask(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    api(app, token, reqwest::Method::POST, "/api/v1/checks", Some(body)).await
}

async fn subject_id(app: &TestApp, name: &str) -> String {
    common::id_of(app, &format!("SELECT id FROM subjects WHERE display_name = '{name}'")).await
}

async fn party_id(app: &TestApp, name: &str) -> String {
    common::id_of(app, &format!("SELECT id FROM relying_parties WHERE name = '{name}'")).await
}

/// A token for the party, made through its administration page; the secret from the page.
async fn party_token(app: &TestApp, admin: &Client, party: &str) -> String {
    let (status, _, created) =
        form(app, admin, &format!("/admin/relying-parties/{party}/tokens"), &[("label", "desk")]).await;
    assert_eq!(status, StatusCode::CREATED, "{}: {created}", app.label);
    let start = created.find("rpt_").expect("the secret is shown once");
    created[start..start + 4 + 64].to_string()
}

#[tokio::test]
async fn a_party_asks_only_what_it_may_and_the_subject_reads_every_check() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let admin = signed_in(&app, ADMIN).await;
        let parties_before = count(&app, "SELECT COUNT(*) FROM relying_parties").await;

        // Bad input names each field and registers nothing.
        let (status, _, refused) = form(&app, &admin, "/admin/relying-parties", &[("name", " "), ("purpose", "Boarding")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(refused.contains("Name must be filled in."), "{refused}");
        assert!(refused.contains("href=\"#legal_basis\"") && refused.contains("href=\"#questions\""), "{refused}");
        let (status, _, refused) = form(
            &app,
            &admin,
            "/admin/relying-parties",
            &[("name", "Air Rongcheng"), ("purpose", "Boarding"), ("legal_basis", "Civil Aviation Law"), ("questions", "score")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.contains("“score” is not a question Recourse knows"), "{refused}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM relying_parties").await, parties_before, "nothing registered");

        let (status, location, _) = form(
            &app,
            &admin,
            "/admin/relying-parties",
            &[
                ("name", "Air Rongcheng"),
                ("purpose", "To refuse tickets to people a court has restricted from flying."),
                ("legal_basis", "Provisions on Restricting High Consumption (2015), art. 3"),
                ("questions", "restricted"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let air = party_id(&app, "Air Rongcheng").await;
        assert_eq!(location, format!("/admin/relying-parties/{air}"));
        let token = party_token(&app, &admin, &air).await;
        let stored: i64 = count(&app, &format!("SELECT COUNT(*) FROM relying_party_tokens WHERE token_hash = '{token}'")).await;
        assert_eq!(stored, 0, "only a digest is stored");

        // The answer and nothing else.
        let wang = subject_id(&app, "Wang Fang").await;
        let checks_before = count(&app, "SELECT COUNT(*) FROM standing_checks").await;
        let (status, answer) =
            ask(&app, &token, json!({ "subject_id": wang, "question": "restricted", "restriction": "flights" })).await;
        assert_eq!(status, StatusCode::OK, "{}: {answer}", app.label);
        assert_eq!(answer["answer"], json!(true), "her listing restricts flights");
        let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["answer", "as_of", "check_id"], "nothing but the answer: {answer}");
        let (_, answer) =
            ask(&app, &token, json!({ "subject_id": wang, "question": "restricted", "restriction": "loans" })).await;
        assert_eq!(answer["answer"], json!(false), "her listing does not restrict loans");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM standing_checks").await, checks_before + 2);

        // Each refusal is specific and records nothing.
        // (body, status, code: the answer's, or for 422 its first problem's)
        let refusals = [
            (json!({ "subject_id": wang, "question": "grade_at_least", "scheme": "rongcheng", "grade": "B" }), StatusCode::FORBIDDEN, "question_not_allowed"),
            (json!({ "subject_id": wang, "question": "score" }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_question"),
            (json!({ "subject_id": wang, "question": "restricted", "restriction": "boats" }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_restriction"),
            (json!({ "subject_id": wang, "question": "restricted" }), StatusCode::UNPROCESSABLE_ENTITY, "missing_field"),
            (json!({ "subject_id": SubjectId::new().to_string(), "question": "restricted", "restriction": "flights" }), StatusCode::NOT_FOUND, "subject_not_found"),
            (json!({ "subject_id": "not-an-id", "question": "restricted", "restriction": "flights" }), StatusCode::NOT_FOUND, "subject_not_found"),
            (json!({ "question": "restricted", "restriction": "flights" }), StatusCode::UNPROCESSABLE_ENTITY, "subject_required"),
            (json!({ "subject_id": wang, "question": "restricted", "restriction": "flights", "score": 1 }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_object"),
        ];
        for (body, status, code) in refusals {
            let (got, answer) = ask(&app, &token, body.clone()).await;
            let got_code = if got == StatusCode::UNPROCESSABLE_ENTITY { &answer["problems"][0]["code"] } else { &answer["code"] };
            assert_eq!((got, got_code.as_str()), (status, Some(code)), "{}: {body} → {answer}", app.label);
        }
        let (_, answer) = ask(&app, &token, json!({ "subject_id": wang, "question": "restricted", "restriction": "boats" })).await;
        assert_eq!(answer["problems"][0]["field"], "restriction", "{answer}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM standing_checks").await, checks_before + 2, "refusals record nothing");

        // Tokens of the other kind, and a revoked one.
        let (status, answer) = api(&app, &token, reqwest::Method::GET, "/api/v1/events", None).await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_token_kind")));
        let (status, made, authority_page) =
            form(&app, &admin, "/admin/tokens", &[("authority_id", &common::id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await), ("label", "x")]).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let start = authority_page.find("rct_").unwrap();
        let authority_token = &authority_page[start..start + 68];
        let (status, answer) = ask(&app, authority_token, json!({ "subject_id": wang, "question": "restricted", "restriction": "flights" })).await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_token_kind")));
        let token_id = common::id_of(&app, "SELECT id FROM relying_party_tokens ORDER BY created_at DESC LIMIT 1").await;
        let (status, _, _) = form(&app, &admin, &format!("/admin/relying-parties/{air}/tokens/{token_id}/revoke"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, answer) = ask(&app, &token, json!({ "subject_id": wang, "question": "restricted", "restriction": "flights" })).await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));

        // An organisation by its unified social credit code, through the bank.
        let bank = party_id(&app, "Coastal Commercial Bank").await;
        let bank_token = party_token(&app, &admin, &bank).await;
        let uscc = common::id_of(&app, "SELECT uscc FROM subjects WHERE display_name = 'Rongcheng Harbour Logistics Co., Ltd.'").await;
        let (status, answer) = ask(
            &app,
            &bank_token,
            json!({ "unified_social_credit_code": uscc, "question": "grade_at_least", "scheme": "rongcheng", "grade": "D" }),
        )
        .await;
        assert_eq!((status, answer["answer"].clone()), (StatusCode::OK, json!(true)), "{answer}");
        let (status, answer) = ask(
            &app,
            &bank_token,
            json!({ "unified_social_credit_code": uscc, "question": "grade_at_least", "scheme": "rongcheng", "grade": "Z" }),
        )
        .await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")), "{answer}");
        assert_eq!(answer["problems"][0]["code"], "unknown_grade");

        // Wang Fang reads who asked, why they say they may, and what they were told.
        let wang_client = signed_in(&app, WANG).await;
        let (status, checks) = page(&app, &wang_client, "/record/checks").await;
        assert_eq!(status, StatusCode::OK);
        assert!(checks.contains("Air Rongcheng"), "{checks}");
        assert!(checks.contains("To refuse tickets to people a court has restricted from flying."));
        assert!(checks.contains("Provisions on Restricting High Consumption (2015), art. 3"));
        assert!(checks.contains("Restricted from: Buying plane tickets?"), "{checks}");
        assert!(checks.contains("Restricted from: Taking out loans?"), "{checks}");
        assert!(!checks.contains("Rongcheng Harbour"), "another subject's checks are not hers");
        let (_, access) = page(&app, &wang_client, "/record/access").await;
        assert!(access.contains("href=\"/record/checks\""), "the access log links to it");
        let export: Value = wang_client.get(app.url("/record/export.json")).send().await.unwrap().json().await.unwrap();
        let exported = export["relying_party_checks"]["checks"].as_array().unwrap();
        assert!(
            exported.iter().any(|c| c["party"]["name"] == "Air Rongcheng"
                && c["party"]["legal_basis"] == "Provisions on Restricting High Consumption (2015), art. 3"
                && c["answer"] == json!(true)),
            "{exported:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_appeal_decided_for_the_subject_corrects_the_answer_the_railway_was_given() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let admin = signed_in(&app, ADMIN).await;
        let bank = party_id(&app, "Coastal Commercial Bank").await;
        let railway = party_id(&app, "Rongcheng Railway Ticket Office").await;
        let bank_token = party_token(&app, &admin, &bank).await;
        let railway_token = party_token(&app, &admin, &railway).await;
        let wang = subject_id(&app, "Wang Fang").await;
        let entry =
            common::id_of(&app, &format!("SELECT id FROM blacklist_entries WHERE subject_id = '{wang}'"))
                .await;

        let (status, answer) = ask(
            &app,
            &railway_token,
            json!({ "subject_id": wang, "question": "restricted", "restriction": "high_speed_rail" }),
        )
        .await;
        assert_eq!((status, answer["answer"].clone()), (StatusCode::OK, json!(true)), "{answer}");
        let check_id = answer["check_id"].as_str().unwrap().to_string();
        let (_, feed) = api(&app, &railway_token, reqwest::Method::GET, "/api/v1/corrections", None).await;
        let about_wang = |feed: &Value| -> Vec<Value> {
            feed["corrections"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["subject_id"] == wang.as_str())
                .cloned()
                .collect()
        };
        assert!(about_wang(&feed).is_empty(), "nothing to correct yet: {feed}");

        // Wang Fang appeals her listing; filing is not a correction, the decision is.
        let wang_client = signed_in(&app, WANG).await;
        let (content_type, body) = multipart(
            &[
                ("target_kind", "entry"),
                ("target_id", &entry),
                ("grounds", "already_fulfilled"),
                ("statement", "I paid the whole judgment debt in October; the receipt is with the court."),
            ],
            &[],
        );
        let filed = wang_client
            .post(app.url("/appeals"))
            .header("origin", &app.address)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(filed.status(), StatusCode::SEE_OTHER, "{}: {:?}", app.label, filed.text().await);
        let appeal = filed.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM check_corrections WHERE cause = 'appeal.decide'").await,
            0
        );
        let reviewer = signed_in(&app, REVIEWER).await;
        let review = format!("/review/appeals/{appeal}");
        form(&app, &reviewer, &format!("{review}/claim"), &[]).await;
        let (status, _, decided) = form(
            &app,
            &reviewer,
            &format!("{review}/decide"),
            &[
                ("outcome", "upheld"),
                ("reasons", "The court's enforcement file records the debt as paid in full in October."),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {decided}", app.label);

        // The railway's feed holds one correction, of its latest answer; the bank, which never
        // asked this, gets none about her listing.
        let (status, feed) =
            api(&app, &railway_token, reqwest::Method::GET, "/api/v1/corrections", None).await;
        assert_eq!(status, StatusCode::OK);
        let corrections = about_wang(&feed);
        assert_eq!(corrections.len(), 1, "{}: {feed}", app.label);
        let correction = &corrections[0];
        assert_eq!(correction["check_id"], check_id.as_str());
        assert_eq!(
            (correction["previous_answer"].clone(), correction["answer"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(
            (correction["cause"].as_str(), correction["restriction"].as_str()),
            (Some("appeal.decide"), Some("high_speed_rail"))
        );
        assert!(correction["acknowledged_at"].is_null());
        let (_, other) = api(&app, &bank_token, reqwest::Method::GET, "/api/v1/corrections", None).await;
        assert!(about_wang(&other).iter().all(|c| c["question"] != "restricted"), "{other}");
        let id = correction["id"].as_str().unwrap().to_string();

        // She sees it sent and not yet acknowledged; the railway acknowledges it, once.
        let (_, checks) = page(&app, &wang_client, "/record/checks").await;
        assert!(checks.contains("An appeal was decided") && checks.contains("was Yes, now No"), "{checks}");
        assert!(checks.contains("Not yet acknowledged"), "{checks}");
        let ack = format!("/api/v1/corrections/{id}/ack");
        let (status, _) = api(&app, &bank_token, reqwest::Method::POST, &ack, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another party cannot acknowledge it");
        let (status, first) = api(&app, &railway_token, reqwest::Method::POST, &ack, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(first["acknowledged_at"].is_string(), "{first}");
        let (_, again) = api(&app, &railway_token, reqwest::Method::POST, &ack, None).await;
        assert_eq!(again["acknowledged_at"], first["acknowledged_at"], "the first acknowledgement is kept");
        let (status, _) =
            api(&app, &railway_token, reqwest::Method::POST, "/api/v1/corrections/nonsense/ack", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, checks) = page(&app, &wang_client, "/record/checks").await;
        assert!(!checks.contains("Not yet acknowledged"), "{checks}");
        let (_, next) =
            api(&app, &railway_token, reqwest::Method::GET, &format!("/api/v1/corrections?after={id}"), None)
                .await;
        assert!(about_wang(&next).is_empty(), "{next}");
        let (status, bad) =
            api(&app, &railway_token, reqwest::Method::GET, "/api/v1/corrections?after=x", None).await;
        assert_eq!((status, bad["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM check_corrections WHERE cause = 'appeal.decide'").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn an_expiry_is_found_by_the_sweep_and_overdue_corrections_are_flagged() {
    for_each_database(|app| async move {
        seeded(&app).await;
        // The demo's correction (Sun Hao's listing lifted after the railway asked) is overdue.
        let admin = signed_in(&app, ADMIN).await;
        let (_, parties) = page(&app, &admin, "/admin/relying-parties").await;
        assert!(
            parties.contains("Rongcheng Railway Ticket Office") && parties.contains("1 overdue"),
            "{parties}"
        );
        let (_, hub) = page(&app, &admin, "/admin").await;
        assert!(hub.contains("href=\"/admin/relying-parties\"") && hub.contains("1 overdue"), "{hub}");
        let railway = party_id(&app, "Rongcheng Railway Ticket Office").await;
        let (_, party) = page(&app, &admin, &format!("/admin/relying-parties/{railway}")).await;
        assert!(party.contains("Corrections past their three working days"), "{party}");
        let (_, report) = page(&app, &Client::new(), "/transparency").await;
        assert!(
            report.contains("Checks and corrections per relying party")
                && report.contains("Coastal Commercial Bank"),
            "{report}"
        );
        // The downloads carry the same figures, the overdue one exact.
        let json: Value =
            Client::new().get(app.url("/transparency.json")).send().await.unwrap().json().await.unwrap();
        let railway_row = json["relying_parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Rongcheng Railway Ticket Office")
            .cloned()
            .expect("the railway's row");
        assert_eq!(railway_row["corrections_unacknowledged_overdue"], json!(1), "{}: {json}", app.label);
        assert_eq!(railway_row["corrections"], json!("<5"), "{railway_row}");
        let csv = Client::new().get(app.url("/transparency.csv")).send().await.unwrap().text().await.unwrap();
        assert!(
            csv.contains(
                "relying_parties,Rongcheng Railway Ticket Office,,corrections_unacknowledged_overdue,1\r\n"
            ),
            "{csv}"
        );

        // The railway asks about Wang Fang; her listing then expires: the sweep corrects it once.
        let token = party_token(&app, &admin, &railway).await;
        let wang = subject_id(&app, "Wang Fang").await;
        let question =
            json!({ "subject_id": wang, "question": "restricted", "restriction": "high_speed_rail" });
        let (_, answer) = ask(&app, &token, question.clone()).await;
        assert_eq!(answer["answer"], json!(true));
        let past = recourse::store::to_micros(Utc::now() - chrono::Duration::hours(1));
        sqlx::query(&format!("UPDATE blacklist_entries SET expires_at = {past} WHERE subject_id = '{wang}'"))
            .execute(&app.db.pool)
            .await
            .unwrap();
        let written = recourse::store::checks::sweep(&app.db, Utc::now()).await.unwrap();
        assert_eq!(written, 1, "{}: one correction, for Wang Fang's answer", app.label);
        assert_eq!(recourse::store::checks::sweep(&app.db, Utc::now()).await.unwrap(), 0, "and only once");
        let (_, feed) = api(&app, &token, reqwest::Method::GET, "/api/v1/corrections", None).await;
        let mine: Vec<&Value> = feed["corrections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["subject_id"] == wang.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{feed}");
        assert_eq!((mine[0]["cause"].as_str(), mine[0]["answer"].clone()), (Some("time"), json!(false)));
        let wang_client = signed_in(&app, WANG).await;
        let (_, checks) = page(&app, &wang_client, "/record/checks").await;
        assert!(
            checks.contains("A listing ended with time") && checks.contains("was Yes, now No"),
            "{checks}"
        );
    })
    .await;
}

#[test]
fn the_command_registers_a_party_and_prints_its_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("parties.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_recourse"))
            .args(["relying-parties", "create", "--database-url", &url])
            .args(args)
            .output()
            .unwrap()
    };
    let made = run(&[
        "--name",
        "Air Rongcheng",
        "--purpose",
        "Boarding",
        "--legal-basis",
        "Civil Aviation Law",
        "--questions",
        "restricted,grade_at_least",
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let out = String::from_utf8_lossy(&made.stdout);
    assert!(
        out.contains("Registered relying party Air Rongcheng") && out.contains("restricted, grade_at_least"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("rpt_") && l.len() == 68), "{out}");
    let refused =
        run(&["--name", "Ferry", "--purpose", "Boarding", "--legal-basis", "Law", "--questions", "score"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("\"score\" is not a known question"),
        "{refused:?}"
    );
    let again = run(&[
        "--name",
        "Air Rongcheng",
        "--purpose",
        "B",
        "--legal-basis",
        "L",
        "--questions",
        "restricted",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"), "{again:?}");
}
