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
        // Newest first: the query sorts them (no index keeps that order since migration 26).
        let dates: Vec<&str> =
            page.split("<time datetime=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{}: {dates:?}", app.label);
        assert!(dates.first() > dates.last(), "the demo's notices span several days: {dates:?}");
        assert!(
            page.contains("A record on your file was corrected or voided"),
            "the supersede sent a notice"
        );
        // A notice about a listing names its case and says whether its notice was delivered.
        assert!(page.contains("A blacklist entry about you was recorded"), "{page}");
        let entries = sqlx::query(
            "SELECT e.case_number, e.notice_delivered_at FROM blacklist_entries e \
             JOIN accounts a ON a.subject_id = e.subject_id WHERE a.username = 'demo-subject'",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        assert!(!entries.is_empty(), "the demo lists Wang Fang");
        for entry in entries {
            let case: String = entry.get(0);
            let delivered: Option<i64> = entry.get(1);
            let said = match delivered {
                Some(_) => "Its notice was delivered on ",
                None => "Its formal notice is being delivered by ",
            };
            let sentence = page
                .split(&format!("case {case} on "))
                .nth(1)
                .map(|rest| rest.split("</span>").next().unwrap_or(""));
            assert!(sentence.is_some_and(|s| s.contains(said)), "{}: case {case}: {page}", app.label);
        }
        assert!(!page.contains(">0 unread<"), "{page}");
        // A notice about a record says what changed: the rule, the points, the score and grade after.
        assert!(
            page.contains("TRAFFIC-01 ")
                && page.contains("\u{2212}3 points. Your score in Rongcheng social credit points then: "),
            "{}: {page}",
            app.label
        );
        assert!(page.contains(", grade "), "{page}");
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

        // What Recourse wrote reads in Chinese on a Chinese page: the body, the purpose, the role.
        let (en, zh): (String, String) =
            sqlx::query_as("SELECT name_en, name_zh FROM review_bodies ORDER BY code LIMIT 1")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let purpose = recourse::domain::wording::Purpose::Reviewing("A-18").text();
        recourse::store::notices::record_access(&mut conn, subject, reviewer, &en, "reviewer", &purpose, Utc::now())
            .await
            .unwrap();
        drop(conn);
        let page = app.get_with("/record/access", &[("accept-language", "zh-CN")]).await.text().await.unwrap();
        assert!(page.contains(&zh) && page.contains("审查申诉 A-18"), "{}: {page}", app.label);
        assert!(!page.contains(&en) && !page.contains("Reviewing appeal"), "{}: no English shown: {page}", app.label);
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

        // Names beside ids: schemes, authorities, rule versions.
        let rongcheng =
            body["schemes"].as_array().unwrap().iter().find(|s| s["scheme"] == "rongcheng").unwrap();
        assert_eq!(rongcheng["names"]["zh-CN"], "荣成社会信用积分");
        let court = rongcheng["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"]["rule_code"] == "COURT-01")
            .unwrap();
        assert_eq!(court["authority"]["name"]["en"], "Rongcheng People's Court", "{}", app.label);
        assert_eq!(court["authority"]["id"], court["event"]["authority"]);
        assert_eq!(court["rule_version"]["code"], "COURT-01");
        assert_eq!(court["rule_version"]["id"], court["event"]["rule_version"]);
        assert!(court["rule_version"]["version"].as_u64().unwrap() >= 1);
        assert!(!court["rule_version"]["title"]["en"].as_str().unwrap().is_empty());
        assert_eq!(body["blacklist_entries"][0]["authority"]["name"]["en"], "Rongcheng People's Court");
        // The notices' full text, in both languages, with where it leads.
        let notice = &body["notices"][0];
        assert!(
            !notice["text"]["en"].as_str().unwrap().is_empty()
                && !notice["text"]["zh-CN"].as_str().unwrap().is_empty()
        );
        assert!(notice["link"].as_str().unwrap().starts_with('/'));

        let csv = app.get("/record/events.csv").await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let column =
            |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
        for name in [
            "scheme",
            "scheme_name",
            "rule_code",
            "rule_version",
            "rule_title",
            "points",
            "authority_name",
            "status",
            "under_appeal",
        ] {
            column(name);
        }
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(rows.len() >= 6, "{csv}");
        let points: Vec<i64> =
            rows.iter().map(|r| r[column("points")].parse().expect("points are a bare number")).collect();
        assert!(points.contains(&-100), "negative points are numbers a spreadsheet can add up: {csv}");
        assert!(rows.iter().all(|r| r[column("rule_version")].parse::<u32>().is_ok()), "{csv}");
        assert!(rows.iter().any(|r| r[column("status")] == *"counting"));
        assert!(rows.iter().any(|r| &r[column("authority_name")] == "Rongcheng People's Court"));
    })
    .await;
}

#[tokio::test]
async fn the_export_holds_every_appeal_with_its_evidence_decisions_and_second_level() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-liu", "liu-yang-demo-2026").await;
        let event: String = sqlx::query(
            "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id \
             WHERE s.display_name = 'Liu Yang' AND e.rule_code = 'COURT-01' AND e.kind = 'fact' ORDER BY e.id DESC LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        let pdf: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let (content_type, body) = common::multipart(
            &[
                ("target_kind", "event"),
                ("target_id", &event),
                ("grounds", "did_not_happen"),
                ("statement", "=HYPERLINK(\"x\") The judgment was set aside."),
            ],
            &[("judgment.pdf", pdf)],
        );
        let filed = app
            .client
            .post(app.url("/appeals"))
            .header("origin", &app.address)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(filed.status(), StatusCode::SEE_OTHER, "{}", app.label);
        let path = filed.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
        let id = path.rsplit('/').next().unwrap().to_string();

        let reviewer = app.another_visitor();
        common::sign_in(&reviewer, "demo-reviewer", "review-demo-2026").await;
        let reasons = "The court's file shows the judgment stands; the record is right.";
        common::post(&reviewer, &format!("/review/appeals/{id}/claim"), &[]).await;
        let (status, _, _) =
            common::post(&reviewer, &format!("/review/appeals/{id}/decide"), &[("outcome", "rejected"), ("reasons", reasons)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let why = "The reviewer did not read the court's later ruling.";
        let asked = app
            .client
            .post(app.url(&format!("{path}/second-level")))
            .header("origin", &app.address)
            .form(&[("why", why)])
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);

        let body: serde_json::Value = app.get("/record/export.json").await.json().await.unwrap();
        let appeal = body["appeals"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).expect("the appeal is exported");
        assert_eq!(appeal["grounds"], "did_not_happen");
        assert_eq!(appeal["statement"], "=HYPERLINK(\"x\") The judgment was set aside.");
        assert_eq!(appeal["contests"]["kind"], "event");
        assert_eq!(appeal["contests"]["rule_code"], "COURT-01");
        assert_eq!(appeal["scheme"]["code"], "rongcheng");
        assert_eq!(appeal["scheme"]["name"]["en"], "Rongcheng social credit points");
        assert_eq!(appeal["authority"]["name"]["en"], "Rongcheng People's Court");
        assert_eq!(appeal["level"], 2);
        assert_eq!(appeal["status"], "open");
        let file = &appeal["evidence"][0];
        assert_eq!(file["name"], "judgment.pdf");
        assert_eq!(file["size_bytes"], pdf.len());
        use sha2::Digest;
        assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(pdf)));
        let decision = &appeal["decisions"][0];
        assert_eq!(decision["outcome"], "rejected");
        assert_eq!(decision["reasons"], reasons);
        assert_eq!(decision["level"], 1);
        assert_eq!(decision["review_body"]["name"]["en"], "Rongcheng Credit Review Board");
        assert!(decision["decided_at"].is_string());
        assert_eq!(appeal["second_level"]["why"], why);
        assert!(appeal["timeline"].as_array().unwrap().len() >= 4);
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
