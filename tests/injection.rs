//! Text is always text: what a person typed, re-shown in a form after a refusal, comes back
//! escaped, in textareas and in inputs alike, on both databases.

mod common;

use chrono::Utc;
use common::{for_each_database, id_of, multipart, post, sign_in, TestApp};
use reqwest::StatusCode;

const IN_TEXTAREA: &str = "</textarea><h1 id=\"x\">injected</h1>";
const IN_INPUT: &str = "\"><h1 id=\"x\">injected</h1>";

fn shown_as_text(app: &TestApp, page: &str, what: &str) {
    assert!(!page.contains("<h1 id=\"x\">"), "{}: {what} came back as markup: {page}", app.label);
    assert!(page.contains("&lt;h1"), "{}: {what} came back as text: {page}", app.label);
}

#[tokio::test]
async fn text_typed_into_a_refused_form_comes_back_as_text() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();

        let liu = app.another_visitor();
        sign_in(&liu, "demo-liu", "liu-yang-demo-2026").await;
        let event = id_of(
            &app,
            "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id \
             WHERE s.display_name = 'Liu Yang' AND e.rule_code = 'TAX-01' AND e.kind = 'fact'",
        )
        .await;
        // No grounds chosen: refused, and the statement re-shown.
        let (content_type, body) = multipart(
            &[("target_kind", "event"), ("target_id", &event), ("grounds", ""), ("statement", IN_TEXTAREA)],
            &[],
        );
        let response = liu
            .client
            .post(liu.url("/appeals"))
            .header("origin", &liu.address)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        shown_as_text(&app, &response.text().await.unwrap(), "an appeal's statement");

        let reviewer = app.another_visitor();
        sign_in(&reviewer, "demo-reviewer", "review-demo-2026").await;
        let appeal = id_of(&app, "SELECT id FROM appeals WHERE status = 'open' ORDER BY id LIMIT 1").await;
        // No outcome chosen: refused, and the reasons re-shown.
        let (status, _, page) = post(
            &reviewer,
            &format!("/review/appeals/{appeal}/decide"),
            &[("outcome", ""), ("reasons", IN_TEXTAREA)],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        shown_as_text(&app, &page, "a decision's reasons");

        let recorder = app.another_visitor();
        sign_in(&recorder, "demo-recorder", "traffic-demo-2026").await;
        let chen = id_of(&app, "SELECT id FROM subjects WHERE display_name = 'Chen Jie'").await;
        let (status, _, page) = post(
            &recorder,
            &format!("/recording/subjects/{chen}/events"),
            &[
                ("scheme", "rongcheng"),
                ("rule_code", "NOPE-1"),
                ("occurred_at", "2026-01-05T09:30"),
                ("points", ""),
                ("source", IN_INPUT),
                ("evidence_ref", IN_INPUT),
                ("external_ref", "INJECT-1"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(
            !page.contains("<h1 id=\"x\">"),
            "{}: an input's value came back as markup: {page}",
            app.label
        );
        assert!(page.contains("&quot;&gt;&lt;h1") || page.contains("&quot;>&lt;h1"), "{}: {page}", app.label);
    })
    .await;
}
