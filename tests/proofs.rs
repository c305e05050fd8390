//! Proofs of status over HTTP on both databases: a subject makes only true statements, for 1 to
//! 30 days; anyone signed out reads the statement at `/verify/{code}` and nothing more; the
//! signature checks against the instance's key; revoked, expired and no-longer-true proofs say
//! so; malformed codes are refused before anything is looked up; each opening is listed.

mod common;

use chrono::{Duration, Utc};
use common::{count, counts, for_each_database, post, sign_in, text, TestApp};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use recourse::{
    domain::{EntryDraft, EntryId, LegalBasis, RemovalCondition, Restriction, SubjectId},
    store::blacklist,
};
use reqwest::StatusCode;

const WRITES: [&str; 4] = [
    "SELECT COUNT(*) FROM status_proofs",
    "SELECT COUNT(*) FROM proof_codes",
    "SELECT COUNT(*) FROM proof_verifications",
    "SELECT COUNT(*) FROM audit_log",
];

async fn seeded(app: &TestApp, username: &str, password: &str) {
    recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
    sign_in(app, username, password).await;
}

/// Makes a proof through the form; its grouped code.
async fn make(app: &TestApp, form: &[(&str, &str)]) -> String {
    let before = count(app, "SELECT COUNT(*) FROM status_proofs").await;
    let (status, location, body) = post(app, "/record/proofs", form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}: {form:?}: {body}", app.label);
    assert_eq!(location, "/record/proofs?done=made");
    assert_eq!(count(app, "SELECT COUNT(*) FROM status_proofs").await, before + 1);
    let code =
        common::id_of(app, "SELECT code FROM status_proofs ORDER BY created_at DESC, id DESC LIMIT 1").await;
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

async fn json(app: &TestApp, path: &str) -> (StatusCode, serde_json::Value) {
    let response = TestApp::new_client().get(app.url(path)).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// What a visitor who is not signed in sees at `/verify/{code}`.
async fn verify_signed_out(app: &TestApp, code: &str) -> (StatusCode, String) {
    let response = TestApp::new_client().get(app.url(&format!("/verify/{code}"))).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_subject_proves_true_statements_and_a_signed_out_visitor_sees_only_them() {
    for_each_database(|app| async move {
        seeded(&app, "demo-subject", "wang-fang-demo-2026").await;
        // Wang Fang is listed, and the listing restricts flights but not loans.
        let loans = make(&app, &[("statement", "restricted"), ("restriction", "loans"), ("days", "7")]).await;
        let grade =
            make(&app, &[("statement", "grade_at_least"), ("grade", "rongcheng:D"), ("days", "30")]).await;

        let (status, page) = verify_signed_out(&app, &loans).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("Not restricted from: Taking out loans"), "{page}");
        assert!(page.contains("Wang Fang"), "whom it is about");
        assert!(page.contains("The proof is valid, and the statement is still true now."), "{page}");
        for secret in ["Score", "score", "(2025) Lu 1082 Zhi 1423", "TRAFFIC-01", "Buying plane tickets"] {
            assert!(!page.contains(secret), "{}: the proof shows {secret:?}", app.label);
        }
        // In Chinese too, typed in lower case without dashes.
        let response = TestApp::new_client()
            .get(app.url(&format!("/verify/{}", loans.replace('-', "").to_lowercase())))
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let zh = response.text().await.unwrap();
        assert!(zh.contains("未被限制") && zh.contains("证明有效，且陈述现在仍然属实。"), "{zh}");

        let (status, page) = verify_signed_out(&app, &grade).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Grade D or better in "), "{page}");
        // Only the grade claimed, never the subject's score.
        assert!(!page.contains("Score") && !page.contains("score"), "{page}");

        // Signed in as the subject, the page shows no more.
        let (_, own) = text(&app, &format!("/verify/{loans}")).await;
        assert!(!own.contains("(2025) Lu 1082 Zhi 1423") && !own.contains("Score"), "{own}");
    })
    .await;
}

#[tokio::test]
async fn the_signature_checks_offline_against_the_instance_key() {
    for_each_database(|app| async move {
        seeded(&app, "demo-subject", "wang-fang-demo-2026").await;
        let code = make(&app, &[("statement", "restricted"), ("restriction", "loans"), ("days", "7")]).await;
        let (status, body) = json(&app, &format!("/verify/{code}.json")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "holds");
        assert_eq!(body["subject"], "Wang Fang");
        assert_eq!(body["statement"], "not restricted from loans");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("Recourse proof of status v1\n"), "{message}");
        assert!(message.contains(&format!("code: {}\n", code.replace('-', ""))));
        assert!(message.contains("subject: Wang Fang\nstatement: not restricted from loans\n"));
        let key: [u8; 32] = hex::decode(body["public_key"].as_str().unwrap()).unwrap().try_into().unwrap();
        let key = VerifyingKey::from_bytes(&key).unwrap();
        let signature =
            Signature::from_slice(&hex::decode(body["signature"].as_str().unwrap()).unwrap()).unwrap();
        assert!(key.verify(message.as_bytes(), &signature).is_ok(), "{}", app.label);
        assert!(message.ends_with(&format!("public_key: {}\n", body["public_key"].as_str().unwrap())));
        // A changed message does not verify.
        let forged = message.replace("loans", "flights");
        assert!(key.verify(forged.as_bytes(), &signature).is_err());
        // `?format=json` is the same.
        let (_, again) = json(&app, &format!("/verify/{code}?format=json")).await;
        assert_eq!(again["signature"], body["signature"]);
        // The audit log still verifies with the proof in the subject's chain.
        let mut conn = app.db.pool.acquire().await.unwrap();
        let report = recourse::store::chain::verify(&mut conn).await.unwrap();
        assert!(report.holds(), "{}: {:?}", app.label, report.problems);
    })
    .await;
}

#[tokio::test]
async fn a_false_statement_or_a_wrong_number_of_days_is_refused_and_writes_nothing() {
    for_each_database(|app| async move {
        seeded(&app, "demo-subject", "wang-fang-demo-2026").await;
        let before = counts(&app, &WRITES).await;
        for (form, field, says) in [
            (
                vec![("statement", "on_any_blacklist"), ("days", "7")],
                "statement",
                "This statement is not true of your record today",
            ),
            (
                vec![("statement", "restricted"), ("restriction", "flights"), ("days", "7")],
                "statement",
                "This statement is not true of your record today",
            ),
            (
                vec![("statement", "restricted"), ("restriction", "loans"), ("days", "0")],
                "days",
                "Enter a whole number of days from 1 to 30.",
            ),
            (
                vec![("statement", "restricted"), ("restriction", "loans"), ("days", "31")],
                "days",
                "Enter a whole number of days from 1 to 30.",
            ),
            (
                vec![("statement", "grade_at_least"), ("grade", "rongcheng:Z"), ("days", "7")],
                "grade",
                "Choose the scheme",
            ),
            (
                vec![("statement", "nonsense"), ("days", "7")],
                "statement",
                "Choose what the proof should say.",
            ),
        ] {
            let (status, _, body) = post(&app, "/record/proofs", &form).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {form:?}", app.label);
            assert!(body.contains(says), "{form:?}: {body}");
            assert!(body.contains(&format!("href=\"#{field}\"")), "{form:?} names {field}: {body}");
        }
        assert_eq!(counts(&app, &WRITES).await, before, "{}: nothing written", app.label);
    })
    .await;
}

#[tokio::test]
async fn revoked_expired_and_no_longer_true_proofs_each_say_so() {
    for_each_database(|app| async move {
        seeded(&app, "demo-org", "harbour-demo-2026").await;
        let revoked = make(&app, &[("statement", "on_any_blacklist"), ("days", "7")]).await;
        let expired = make(&app, &[("statement", "on_any_blacklist"), ("days", "1")]).await;
        let listed = make(&app, &[("statement", "on_any_blacklist"), ("days", "30")]).await;

        // Another subject cannot revoke it: 404, and it stays valid.
        let id = common::id_of(
            &app,
            &format!("SELECT id FROM status_proofs WHERE code = '{}'", revoked.replace('-', "")),
        )
        .await;
        let wang = app.another_visitor();
        sign_in(&wang, "demo-subject", "wang-fang-demo-2026").await;
        let (status, _, _) = post(&wang, &format!("/record/proofs/{id}/revoke"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", app.label);
        assert!(verify_signed_out(&app, &revoked).await.1.contains("The proof is valid"));
        // Its subject can.
        let (status, location, _) = post(&app, &format!("/record/proofs/{id}/revoke"), &[]).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/record/proofs?done=revoked"));
        let (status, page) = verify_signed_out(&app, &revoked).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("The proof was revoked by the person it is about"), "{page}");

        // Expired: its validity moved into the past.
        sqlx::query("UPDATE status_proofs SET valid_until = $1 WHERE code = $2")
            .bind((Utc::now() - Duration::hours(1)).timestamp_micros())
            .bind(expired.replace('-', ""))
            .execute(&app.db.pool)
            .await
            .unwrap();
        let (_, page) = verify_signed_out(&app, &expired).await;
        assert!(page.contains("The proof has expired"), "{page}");

        // No longer true: the organisation is listed after the proof was made.
        let subject: String = common::id_of(
            &app,
            &format!("SELECT subject_id FROM status_proofs WHERE code = '{}'", listed.replace('-', "")),
        )
        .await;
        let list: String = common::id_of(&app, "SELECT id FROM blacklist_lists LIMIT 1").await;
        let authority: String =
            common::id_of(&app, "SELECT authority_id FROM blacklist_entries LIMIT 1").await;
        let now = Utc::now();
        let draft = EntryDraft {
            id: EntryId::new(),
            subject: SubjectId::parse(&subject).unwrap(),
            list: list.parse().unwrap(),
            authority: authority.parse().unwrap(),
            case_number: "(2026) Lu 1082 Zhi 9001".into(),
            legal_basis: LegalBasis::parse("Civil Procedure Law, art. 262").unwrap(),
            reason: "Refused to pay the amount owed.".into(),
            restrictions: vec![Restriction::Flights],
            notice_delivered_at: Some(now - Duration::days(2)),
            effective_from: now - Duration::days(1),
            expires_at: None,
            removal: RemovalCondition::Appeal,
        };
        let mut conn = app.db.pool.acquire().await.unwrap();
        blacklist::insert_entry(&mut conn, draft, now - Duration::days(2)).await.unwrap();
        drop(conn);
        let (_, page) = verify_signed_out(&app, &listed).await;
        assert!(page.contains("the statement is no longer true"), "{}: {page}", app.label);
        let (_, body) = json(&app, &format!("/verify/{listed}.json")).await;
        assert_eq!(body["status"], "no_longer_holds");

        // Each opening is listed on the subject's page, with whether it held.
        let (status, own) = text(&app, "/record/proofs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(own.contains("No, it did not hold") && own.contains("Yes, it held"), "{own}");
        assert!(own.contains(&revoked) && own.contains("Revoked on"), "{own}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM proof_verifications").await, 5);
    })
    .await;
}

#[tokio::test]
async fn a_malformed_or_unknown_code_gets_a_specific_404_and_changes_nothing() {
    for_each_database(|app| async move {
        seeded(&app, "demo-subject", "wang-fang-demo-2026").await;
        let before = counts(&app, &WRITES).await;
        for (code, says) in [
            (
                "7KQ2-M9XD",
                "a code has 12 letters and digits (dashes and spaces do not count), and this one has 8",
            ),
            ("7KQ2-M9XD-4TZU", "only the digits 0–9 and the letters A–Z except I, L, O and U"),
            ("7KQ2-M9XD-4TZA", "No proof has the code 7KQ2-M9XD-4TZA."),
        ] {
            let (status, page) = verify_signed_out(&app, code).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}: {code}", app.label);
            assert!(page.contains(says), "{code}: {page}");
        }
        let (status, body) = json(&app, "/verify/nonsense.json").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "malformed_code");
        assert_eq!(counts(&app, &WRITES).await, before, "{}", app.label);
    })
    .await;
}
