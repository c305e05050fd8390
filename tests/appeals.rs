//! Appeals over HTTP on both databases: filing with evidence, the reviewer's decision and what
//! the subject then sees, independence, two reviewers deciding at once, the second-level review,
//! the dashboard's filters and pages, and every kind of bad input refused with nothing changed.

mod common;

use chrono::Utc;
use common::{count, for_each_database, multipart, signed_in, TestApp};
use reqwest::{Client, StatusCode};
use sqlx::Row;

const LIU: (&str, &str) = ("demo-liu", "liu-yang-demo-2026");
const REVIEWER: (&str, &str) = ("demo-reviewer", "review-demo-2026");
const REVIEWER_2: (&str, &str) = ("demo-reviewer-2", "review2-demo-2026");
const REASONS: &str = "The court's enforcement file shows the judgment was set aside on appeal in March.";

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let response = client.post(app.url(path)).header("origin", &app.address).form(form).send().await.unwrap();
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (response.status(), location, response.text().await.unwrap())
}

async fn upload(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> (StatusCode, String, String) {
    let (content_type, body) = multipart(fields, files);
    let response = client
        .post(app.url(path))
        .header("origin", &app.address)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (response.status(), location, response.text().await.unwrap())
}

/// The newest record of Liu Yang under `rule`.
async fn liu_event(app: &TestApp, rule: &str) -> String {
    sqlx::query(
        "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id \
         WHERE s.display_name = 'Liu Yang' AND e.rule_code = $1 AND e.kind = 'fact' ORDER BY e.id DESC LIMIT 1",
    )
    .bind(rule)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
    .get(0)
}

/// Liu Yang's score in the Rongcheng scheme now, from a fresh derivation.
async fn liu_score(app: &TestApp) -> i64 {
    use recourse::{domain::SubjectId, store::catalogue};
    let mut conn = app.db.pool.acquire().await.unwrap();
    let liu: String = sqlx::query("SELECT id FROM subjects WHERE display_name = 'Liu Yang'")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0);
    let record = catalogue::scheme_by_code(&mut conn, "rongcheng").await.unwrap().unwrap();
    let ctx = catalogue::context(&mut conn, record.scheme.id()).await.unwrap().unwrap();
    let subject = SubjectId::parse(&liu).unwrap();
    recourse::store::standing::derivation(&mut conn, &ctx, subject, chrono::Utc::now()).await.unwrap().score
}

/// Files an appeal as Liu on `event` and returns its page path.
async fn file(app: &TestApp, liu: &Client, event: &str, files: &[(&str, &[u8])]) -> String {
    let (status, location, page) = upload(
        app,
        liu,
        "/appeals",
        &[
            ("target_kind", "event"),
            ("target_id", event),
            ("grounds", "did_not_happen"),
            ("statement", "The judgment behind this record was set aside."),
        ],
        files,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}: {page}", app.label);
    location.split('?').next().unwrap().to_string()
}

/// The fields of a filing on an event, with grounds "other".
fn filing<'a>(event: &'a str, statement: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("target_kind", "event"), ("target_id", event), ("grounds", "other"), ("statement", statement)]
}

fn id_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

async fn seeded(app: &TestApp) {
    recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
}

#[tokio::test]
async fn a_subject_files_with_evidence_a_reviewer_upholds_and_the_subject_sees_the_new_grade() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let event = liu_event(&app, "COURT-01").await;
        let (status, form) = get(&app, &liu, &format!("/appeals/new?event={event}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("It did not happen"), "{form}");

        let before = liu_score(&app).await;
        let pdf: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let path = file(&app, &liu, &event, &[("judgment.pdf", pdf), ("note.txt", "我当天不在荣成。".as_bytes())]).await;
        assert_eq!(liu_score(&app).await, before + 100, "{}: suspended while disputed, at once", app.label);
        let (_, page) = get(&app, &liu, &format!("{path}?done=filed")).await;
        assert!(page.contains("Your appeal was filed") && page.contains("judgment.pdf") && page.contains("note.txt"), "{page}");
        assert!(page.contains("A decision is due by"), "the subject sees the clock: {page}");
        let (_, record) = get(&app, &liu, &format!("/record/events/{event}")).await;
        assert!(record.contains("Under appeal"), "{record}");
        let (_, derivation) = get(&app, &liu, "/record").await;
        assert!(derivation.contains("Suspended while disputed"), "{derivation}");

        // The reviewer sees it, opens it (recorded), claims it and decides.
        let reviewer = signed_in(&app, REVIEWER).await;
        let (status, queue) = get(&app, &reviewer, "/review").await;
        assert_eq!(status, StatusCode::OK);
        assert!(queue.contains(&format!("/review/appeals/{}", id_of(&path))), "{queue}");
        let review_path = format!("/review/appeals/{}", id_of(&path));
        let (_, review) = get(&app, &reviewer, &review_path).await;
        assert!(review.contains("judgment.pdf") && review.contains("COURT-01") && review.contains("Record the decision"));
        let (status, location, _) = post(&app, &reviewer, &format!("{review_path}/claim"), &[]).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("{review_path}?done=claimed").as_str()));
        let (status, _, _) =
            post(&app, &reviewer, &format!("{review_path}/decide"), &[("outcome", "upheld"), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);

        let (_, decided) = get(&app, &liu, &path).await;
        assert!(decided.contains("Upheld") && decided.contains(REASONS), "{decided}");
        assert!(decided.contains("Rongcheng Credit Review Board"), "the reviewer's body is named: {decided}");
        let after = liu_score(&app).await;
        assert_eq!(after, before + 100, "the record is voided for good");
        assert!(decided.contains(&format!("({before}) before")) && decided.contains(&format!("({after}) after")), "{decided}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE kind = 'void' AND decision_ref IS NOT NULL").await, 1);
        let (_, access) = get(&app, &liu, "/record/access").await;
        assert!(access.contains("To review appeal A-"), "opening the appeal was recorded: {access}");
        let (_, inbox) = get(&app, &liu, "/notices").await;
        assert!(inbox.contains("An appeal of yours was decided"), "{inbox}");
        assert!(
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('appeal.file', 'appeal.claim', 'appeal.decide')").await
                >= 3
        );

        // The evidence downloads as an attachment with its sniffed type, to the subject and reviewers only.
        let evidence: String = sqlx::query("SELECT id FROM appeal_evidence WHERE original_name = 'judgment.pdf'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let download = format!("{path}/evidence/{evidence}");
        for client in [&liu, &reviewer] {
            let response = client.get(app.url(&download)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/pdf");
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
            assert_eq!(response.bytes().await.unwrap().as_ref(), pdf);
        }
        let (_, access) = get(&app, &liu, "/record/access").await;
        assert_eq!(
            access.matches("To download evidence of appeal A-").count(),
            1,
            "{}: the reviewer's download was recorded for the subject, hers was not: {access}",
            app.label
        );
        let other = signed_in(&app, ("demo-subject", "wang-fang-demo-2026")).await;
        assert_eq!(get(&app, &other, &download).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &other, &path).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_decision_has_a_printable_page_for_its_subject_and_reviewers_only() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let event = liu_event(&app, "COURT-01").await;
        let before = liu_score(&app).await;
        let path = file(&app, &liu, &event, &[]).await;
        let sheet = format!("{path}/decision");
        let (status, undecided) = get(&app, &liu, &sheet).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(undecided.contains("No decision has been made on this appeal yet."), "{undecided}");
        let (_, appeal_page) = get(&app, &liu, &path).await;
        assert!(
            !appeal_page.contains(&format!("href=\"{sheet}\"")),
            "no printable decision before one is made"
        );

        let reviewer = signed_in(&app, REVIEWER).await;
        let review_path = format!("/review/appeals/{}", id_of(&path));
        post(&app, &reviewer, &format!("{review_path}/claim"), &[]).await;
        let (status, _, _) = post(
            &app,
            &reviewer,
            &format!("{review_path}/decide"),
            &[("outcome", "upheld"), ("reasons", REASONS)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let after = liu_score(&app).await;

        let (_, appeal_page) = get(&app, &liu, &path).await;
        assert!(
            appeal_page.contains(&format!("href=\"{sheet}\"")),
            "the subject's appeal links to it: {appeal_page}"
        );
        let (_, review_page) = get(&app, &reviewer, &review_path).await;
        assert!(review_page.contains(&format!("href=\"{sheet}\"")), "the reviewer's page links to it");

        let reference = format!("A-{}", id_of(&path).replace('-', "")[24..].to_uppercase());
        for (who, client, grade) in
            [("subject", &liu, "Your grade"), ("reviewer", &reviewer, "The subject's grade")]
        {
            let (status, page) = get(&app, client, &sheet).await;
            assert_eq!(status, StatusCode::OK, "{}: the {who} opens it", app.label);
            assert!(page.contains(&format!("Decision on appeal {reference}")), "{who}: {page}");
            assert!(page.contains("Upheld") && page.contains(REASONS), "{who}: the decision and its reasons");
            assert!(page.contains("Rongcheng Credit Review Board"), "{who}: the reviewer body");
            assert!(
                page.contains(grade)
                    && page.contains(&format!("({before}) before"))
                    && page.contains(&format!("({after}) after")),
                "{who}: {page}"
            );
            assert!(
                page.contains("Decided by") && page.contains(&Utc::now().format("%Y").to_string()),
                "{who}: the date"
            );
            assert!(page.contains("class=\"decision-sheet\""), "{who}");
        }
        let (_, access) = get(&app, &liu, "/record/access").await;
        assert!(
            access.contains("To read the decision of appeal A-"),
            "the reviewer's read is recorded: {access}"
        );
        let css = app.client.get(app.url("/style/recourse.css")).send().await.unwrap().text().await.unwrap();
        assert!(css.contains("@media print") && css.contains(".site-header"), "a print stylesheet");

        let other = signed_in(&app, ("demo-subject", "wang-fang-demo-2026")).await;
        assert_eq!(get(&app, &other, &sheet).await.0, StatusCode::NOT_FOUND, "another subject");
        let recorder = signed_in(&app, ("demo-recorder", "traffic-demo-2026")).await;
        assert_eq!(get(&app, &recorder, &sheet).await.0, StatusCode::NOT_FOUND, "a recorder");
    })
    .await;
}

/// The text between `start` and the next `end` in `text`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start:?} not in {text}")) + start.len();
    &text[from..from + text[from..].find(end).unwrap()]
}

/// The Coastal component credit section of a record page.
fn coastal(page: &str) -> &str {
    &page[page.find(r#"id="scheme-coastal-credit""#).expect("the coastal section")..]
}

#[tokio::test]
async fn the_form_says_when_a_decision_is_due_and_whether_the_record_stops_counting() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;

        // Rongcheng suspends a disputed record.
        let court = liu_event(&app, "COURT-01").await;
        let (_, form) = get(&app, &liu, &format!("/appeals/new?event={court}")).await;
        assert!(
            form.contains("If you file today, a decision is due by") && form.contains("30 days from now"),
            "{}: {form}",
            app.label
        );
        assert!(form.contains("this record is suspended"), "{form}");
        assert!(!form.contains("keeps counting"), "{form}");

        // The coastal scheme keeps counting a disputed record.
        let late = liu_event(&app, "PAY-LATE").await;
        let (_, form) = get(&app, &liu, &format!("/appeals/new?event={late}")).await;
        assert!(
            form.contains("this record keeps counting towards your score while the appeal is open"),
            "{form}"
        );
        let promised = between(&form, "a decision is due by ", ",").to_string();
        let (_, zh) = {
            let response = liu
                .get(app.url(&format!("/appeals/new?event={late}")))
                .header("accept-language", "zh-CN")
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        };
        assert!(zh.contains("如果今天提交") && zh.contains("仍计入您的分数"), "{zh}");

        let (_, before) = get(&app, &liu, "/record").await;
        let score_before: i64 =
            between(coastal(&before), r#"<span class="label">Score</span><strong>"#, "<").parse().unwrap();

        // The demo already contests this record for Liu: withdraw that appeal through her page first.
        let open: String = sqlx::query("SELECT id FROM appeals WHERE event_id = $1 AND status = 'open'")
            .bind(&late)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let (status, _, _) =
            post(&app, &liu, &format!("/appeals/{open}/withdraw"), &[("confirm", "yes")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let path = file(&app, &liu, &late, &[]).await;
        let (_, appeal_page) = get(&app, &liu, &path).await;
        assert!(
            appeal_page.contains(&format!("A decision is due by {promised} (")),
            "the promised date holds: {appeal_page}"
        );

        // Under appeal: still counting, marked, and the grade without it beside the grade that applies.
        let (_, during) = get(&app, &liu, "/record").await;
        let section = coastal(&during);
        assert!(section.contains("Under appeal, still counting"), "{}: {section}", app.label);
        let score_during: i64 =
            between(section, r#"<span class="label">Score</span><strong>"#, "<").parse().unwrap();
        assert_eq!(score_during, score_before, "the record keeps counting");
        let without: i64 = between(section, "Without the records under appeal: score ", ",").parse().unwrap();
        assert!(
            without > score_during,
            "a late payment taken out raises the score: {without} vs {score_during}"
        );

        // Upheld: the record is voided, and the score is what the page said it would be without it.
        let reviewer = signed_in(&app, REVIEWER).await;
        let review_path = format!("/review/appeals/{}", id_of(&path));
        post(&app, &reviewer, &format!("{review_path}/claim"), &[]).await;
        let (status, _, _) = post(
            &app,
            &reviewer,
            &format!("{review_path}/decide"),
            &[("outcome", "upheld"), ("reasons", REASONS)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let (_, after) = get(&app, &liu, "/record").await;
        let section = coastal(&after);
        let score_after: i64 =
            between(section, r#"<span class="label">Score</span><strong>"#, "<").parse().unwrap();
        assert_eq!(
            score_after, without,
            "{}: the grade without the disputed record was the true one",
            app.label
        );
        assert!(!section.contains("Without the records under appeal"), "nothing under appeal any more");
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let event = liu_event(&app, "TAX-01").await;
        let appeals_before = count(&app, "SELECT COUNT(*) FROM appeals").await;
        let score = liu_score(&app).await;
        let (status, _, page) = upload(&app, &liu, "/appeals", &filing(&event, "   "), &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Write a statement saying what happened."), "{page}");

        let html: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
        let (status, _, page) =
            upload(&app, &liu, "/appeals", &filing(&event, "See the receipt."), &[("receipt.pdf", html)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("receipt.pdf is not a PDF, PNG, JPEG or plain text file."), "{page}");

        let text_as_pdf: &[u8] = b"just some words";
        let (status, _, page) =
            upload(&app, &liu, "/appeals", &filing(&event, "See it."), &[("scan.pdf", text_as_pdf)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("scan.pdf is not what its name says"), "{page}");

        let big = vec![b'a'; 5 * 1024 * 1024 + 10];
        let (status, _, page) =
            upload(&app, &liu, "/appeals", &filing(&event, "Too big."), &[("big.txt", &big)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("big.txt is larger than 5 MB."), "{page}");

        let huge = vec![b'a'; 27 * 1024 * 1024];
        let (status, _, page) =
            upload(&app, &liu, "/appeals", &filing(&event, "Huge."), &[("huge.txt", &huge)]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(page.contains("The upload is too large"), "{page}");

        let six: Vec<(&str, &[u8])> = (0..6).map(|_| ("n.txt", b"note".as_slice())).collect();
        let (status, _, page) = upload(&app, &liu, "/appeals", &filing(&event, "Six."), &six).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("at most 5 evidence files"), "{page}");

        // Another subject's record: 404, as if it did not exist.
        let wang_event: String = sqlx::query(
            "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id WHERE s.display_name = 'Wang Fang' LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(get(&app, &liu, &format!("/appeals/new?event={wang_event}")).await.0, StatusCode::NOT_FOUND);
        let (status, _, _) = upload(&app, &liu, "/appeals", &filing(&wang_event, "Not mine."), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A forged post from another site.
        let (content_type, body) = multipart(&filing(&event, "Forged."), &[]);
        let forged = liu
            .post(app.url("/appeals"))
            .header("origin", "https://evil.example")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);

        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeals").await, appeals_before, "{}", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_evidence").await, 0);
        assert_eq!(liu_score(&app).await, score);

        // A decision without reasons, then one on a closed appeal.
        let path = file(&app, &liu, &event, &[]).await;
        let reviewer = signed_in(&app, REVIEWER).await;
        let decide = format!("/review/appeals/{}/decide", id_of(&path));
        let (status, _, page) = post(&app, &reviewer, &decide, &[("outcome", "rejected"), ("reasons", "No.")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("The reasons have 3 characters; written reasons need at least 40."), "{page}");
        let (status, _, page) = post(&app, &reviewer, &decide, &[("outcome", "partly_upheld"), ("points", ""), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("enter the points the record should count for"), "{page}");
        let (status, _, page) =
            post(&app, &reviewer, &decide, &[("outcome", "partly_upheld"), ("points", "-500"), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "outside the rule's range: {page}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_decisions").await, 0);
        let (status, location, _) = post(&app, &liu, &format!("{path}/withdraw"), &[("confirm", "yes")]).await;
        assert_eq!((status, location.ends_with("done=withdrawn")), (StatusCode::SEE_OTHER, true));
        assert_eq!(liu_score(&app).await, score, "withdrawn: the record counts again");
        let (status, _, page) = post(&app, &reviewer, &decide, &[("outcome", "upheld"), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(page.contains("This appeal is closed."), "{page}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_decisions").await, 0);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE kind <> 'fact' AND external_ref LIKE 'APPEAL-%'").await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_reviewer_of_the_recording_authority_cannot_decide_and_overdue_appeals_are_flagged() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let office = signed_in(&app, REVIEWER_2).await;
        let (_, queue) = get(&app, &office, "/review?overdue=1").await;
        assert!(queue.contains("Overdue") && queue.contains("TRAFFIC-02"), "{queue}");
        assert!(!queue.contains("FRAUD-01"), "the filter keeps only overdue appeals: {queue}");
        let overdue: String = sqlx::query("SELECT id FROM appeals WHERE rule_code = 'TRAFFIC-02'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let path = format!("/review/appeals/{overdue}");
        let (_, page) = get(&app, &office, &path).await;
        assert!(
            page.contains("made by your own authority") && !page.contains("Record the decision"),
            "{page}"
        );
        let (status, _, page) =
            post(&app, &office, &format!("{path}/decide"), &[("outcome", "upheld"), ("reasons", REASONS)])
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a forged post is refused too");
        assert!(page.contains("made by your own authority"), "{page}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_decisions").await, 0);
        // Nor may they hold it: no claim button, a forged claim refused, and the independent
        // reviewer cannot hand it to them either.
        assert!(!page.contains("Take this appeal"), "{page}");
        let (status, _, refused) = post(&app, &office, &format!("{path}/claim"), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", app.label);
        assert!(refused.contains("made by your own authority"), "{refused}");
        let office_id: String = sqlx::query("SELECT id FROM accounts WHERE username = 'demo-reviewer-2'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let board = signed_in(&app, REVIEWER).await;
        let (_, theirs) = get(&app, &board, &path).await;
        assert!(
            !theirs.contains(&format!("value=\"{office_id}\"")),
            "the assign list leaves the office out: {theirs}"
        );
        let (status, _, _) = post(&app, &board, &format!("{path}/assign"), &[("reviewer", &office_id)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeals WHERE assigned_to IS NOT NULL").await, 0);

        let liu = signed_in(&app, LIU).await;
        let (_, mine) = get(&app, &liu, &format!("/appeals/{overdue}")).await;
        assert!(
            mine.contains("Overdue: the decision was due on") && mine.contains("stays suspended"),
            "{mine}"
        );
    })
    .await;
}

#[tokio::test]
async fn two_reviewers_deciding_at_once_record_exactly_one_decision() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let path = file(&app, &liu, &liu_event(&app, "COURT-01").await, &[]).await;
        let decide = format!("/review/appeals/{}/decide", id_of(&path));
        let first = signed_in(&app, REVIEWER).await;
        // The second reviewer works for the traffic police's office, independent of a court record.
        let second = signed_in(&app, REVIEWER_2).await;
        let (a, b) = tokio::join!(
            post(&app, &first, &decide, &[("outcome", "upheld"), ("reasons", REASONS)]),
            post(&app, &second, &decide, &[("outcome", "rejected"), ("reasons", REASONS)]),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT], "{}", app.label);
        let loser = if a.0 == StatusCode::CONFLICT { &a.2 } else { &b.2 };
        assert!(loser.contains("already been decided"), "{loser}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_decisions").await, 1);
        assert!(count(&app, "SELECT COUNT(*) FROM events WHERE external_ref LIKE 'APPEAL-%'").await <= 1);
    })
    .await;
}

#[tokio::test]
async fn a_second_level_review_is_done_by_another_reviewer_and_asked_for_once() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let event = liu_event(&app, "FRAUD-01").await;
        // The newest FRAUD-01 is already under the demo's open appeal: contest the older one.
        let older: String = sqlx::query(
            "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id WHERE s.display_name = 'Liu Yang' \
             AND e.rule_code = 'FRAUD-01' AND e.id <> $1",
        )
        .bind(&event)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        let path = file(&app, &liu, &older, &[]).await;
        let review = format!("/review/appeals/{}", id_of(&path));
        let first = signed_in(&app, REVIEWER).await;
        let (status, _, _) =
            post(&app, &first, &format!("{review}/decide"), &[("outcome", "rejected"), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let rejected = liu_score(&app).await;

        let (status, _, page) = post(&app, &liu, &format!("{path}/second-level"), &[("why", "")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        let (status, _, _) =
            post(&app, &liu, &format!("{path}/second-level"), &[("why", "The reviewer ignored the police report.")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(liu_score(&app).await, rejected + 100, "disputed again while the second level runs");

        let (status, _, page) =
            post(&app, &first, &format!("{review}/decide"), &[("outcome", "upheld"), ("reasons", REASONS)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("must be done by another reviewer"), "{page}");
        let second = signed_in(&app, REVIEWER_2).await;
        let (status, _, page) = post(
            &app,
            &second,
            &format!("{review}/decide"),
            &[("outcome", "partly_upheld"), ("points", "-50"), ("reasons", REASONS)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(liu_score(&app).await, rejected + 50, "the correction counts -50 instead of -100");

        let (_, mine) = get(&app, &liu, &path).await;
        assert!(mine.contains("Second-level decision") && mine.contains("Partly upheld"), "{mine}");
        assert!(!mine.contains("Ask for a second-level review</button>"), "asked once: {mine}");
        let (status, _, page) = post(&app, &liu, &format!("{path}/second-level"), &[("why", "Again, please.")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("it can be asked only once"), "{page}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_decisions").await, 2);
    })
    .await;
}

#[tokio::test]
async fn the_queue_pages_by_due_date_and_statistics_count_decisions() {
    for_each_database(|app| async move {
        seeded(&app).await;
        // Thirty more appeals, one per subject, filed through the store.
        let rows = sqlx::query(
            "SELECT e.id, e.subject_id, a.id FROM events e JOIN accounts a ON a.username = 'demo-liu' \
             WHERE e.kind = 'fact' AND e.rule_code = 'TRAFFIC-01' AND e.subject_id <> a.subject_id \
             AND e.id IN (SELECT MIN(id) FROM events WHERE kind = 'fact' AND rule_code = 'TRAFFIC-01' GROUP BY subject_id) \
             ORDER BY e.id LIMIT 30",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(rows.len(), 30);
        {
            use recourse::{
                domain::{appeal::*, EventId, SubjectId},
                store::{appeals, audit::Actor},
            };
            let mut tx = app.db.pool.begin().await.unwrap();
            for (i, r) in rows.iter().enumerate() {
                let new = appeals::NewAppeal {
                    subject: SubjectId::parse(&r.get::<String, _>(1)).unwrap(),
                    target: appeals::Target::Event(EventId::parse(&r.get::<String, _>(0)).unwrap()),
                    grounds: Grounds::NotMe,
                    statement: Statement::parse("Not me.").unwrap(),
                    files: Vec::new(),
                };
                let account = uuid::Uuid::parse_str(&r.get::<String, _>(2)).unwrap();
                let at = Utc::now() - chrono::Duration::hours(i as i64);
                appeals::file(&mut tx, &Actor::cli("test"), account, new, at).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        let reviewer = signed_in(&app, REVIEWER).await;
        let (_, first) = get(&app, &reviewer, "/review").await;
        let links = |page: &str| page.matches("href=\"/review/appeals/").count();
        assert_eq!(links(&first), 25, "{}", app.label);
        let next = first.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap();
        let next = next.replace("&amp;", "&");
        assert!(next.starts_with("/review?") && next.contains("after="), "{next}");
        let (_, second) = get(&app, &reviewer, &next).await;
        assert_eq!(links(&second), 33 - 25, "the rest, none twice");
        assert!(!second.contains("rel=\"next\""));
        let at = |code: &str| first.find(code).unwrap();
        assert!(at("TRAFFIC-02") < at("FRAUD-01") && at("FRAUD-01") < at("TRAFFIC-01"), "earliest due first");

        let (_, filtered) = get(&app, &reviewer, "/review?grounds=did_not_happen").await;
        assert_eq!(links(&filtered), 1, "only the demo's TRAFFIC-02 appeal: {filtered}");
        let (_, mine) = get(&app, &reviewer, "/review?mine=1").await;
        assert_eq!(links(&mine), 0);
        // Grounds for challenging a rule name nothing in the reviewers' queue: refused, naming the field.
        let (status, refused) = get(&app, &reviewer, "/review?grounds=unclear&status=open").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(refused.contains("Grounds: “unclear” is not one of the grounds listed.") && links(&refused) == 0, "{refused}");

        let liu = signed_in(&app, LIU).await;
        let path = file(&app, &liu, &liu_event(&app, "COURT-01").await, &[]).await;
        post(&app, &reviewer, &format!("/review/appeals/{}/decide", id_of(&path)), &[("outcome", "upheld"), ("reasons", REASONS)])
            .await;
        let (status, stats) = get(&app, &reviewer, "/review/statistics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(stats.contains("<dd>34</dd>") && stats.contains("100%") && stats.contains("COURT-01"), "{stats}");
        assert!(stats.contains("Rongcheng People&#x27;s Court") || stats.contains("Rongcheng People's Court"), "{stats}");
    })
    .await;
}

#[tokio::test]
async fn a_rule_challenge_goes_to_administrators() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let liu = signed_in(&app, LIU).await;
        let (status, rule) = get(&app, &liu, "/rules/rongcheng/TRAFFIC-01").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            rule.contains("/appeals/new?rule=rongcheng/TRAFFIC-01")
                || rule.contains("/appeals/new?rule=rongcheng%2FTRAFFIC-01"),
            "{rule}"
        );
        let (status, form) = get(&app, &liu, "/appeals/new?rule=rongcheng/TRAFFIC-01").await;
        assert_eq!(status, StatusCode::OK);
        let version =
            form.split("name=\"target_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        // Grounds that fit a rule are offered, and only those: a record's grounds are refused.
        for offered in [
            "no_legal_basis",
            "disproportionate",
            "discriminatory",
            "unclear",
            "conflicts_with_higher_law",
            "other",
        ] {
            assert!(form.contains(&format!(r#"value="{offered}""#)), "{offered} offered for a rule");
        }
        for refused in ["not_me", "already_fulfilled", "did_not_happen"] {
            assert!(!form.contains(&format!(r#"value="{refused}""#)), "{refused} not offered for a rule");
        }
        let filed = "SELECT COUNT(*) FROM appeals WHERE target_kind = 'rule'";
        let before = count(&app, filed).await;
        let (status, _, page) = upload(
            &app,
            &liu,
            "/appeals",
            &[
                ("target_kind", "rule"),
                ("target_id", &version),
                ("grounds", "not_me"),
                ("statement", "It was not me."),
            ],
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("These reasons do not apply to what you contest"), "{page}");
        assert_eq!(count(&app, filed).await, before, "nothing filed");
        let (status, _, page) = upload(
            &app,
            &liu,
            "/appeals",
            &[
                ("target_kind", "rule"),
                ("target_id", &version),
                ("grounds", "disproportionate"),
                ("statement", "Three points for parking is too much."),
            ],
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let reviewer = signed_in(&app, REVIEWER).await;
        let (_, queue) = get(&app, &reviewer, "/review?status=all").await;
        assert!(!queue.contains("Three points"), "reviewers do not decide rules");
        let admin = signed_in(&app, ("demo-admin", "admin-demo-2026")).await;
        let (status, list) = get(&app, &admin, "/admin/appeals").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            list.contains("Three points for parking is too much.") && list.contains("TRAFFIC-01"),
            "{list}"
        );
    })
    .await;
}
