//! The recorder's forms over HTTP on both databases: recording an event (idempotent, with its
//! notice and audit row), recording a blacklist entry that stays pending until its notice is
//! delivered, and bad input of every kind refused with a specific message and nothing written.

mod common;

use chrono::{Duration, Utc};
use common::{count, for_each_database, id_of, post, recorder_section, sign_in, text, TestApp};
use recourse::{
    auth::{
        access::Viewer,
        password::{self, NewPassword},
    },
    domain::{AuthorityId, SchemeId, SubjectId},
    error::AppError,
    http::{AppState, Config},
    pages::recorder::recording::{EntryPage, EventFormPage, HubPage},
    store::{
        accounts::{self, Role},
        catalogue, register,
    },
};
use reqwest::StatusCode;
use sqlx::Row;

async fn wang(app: &TestApp) -> SubjectId {
    let row = sqlx::query("SELECT subject_id FROM accounts WHERE username = 'demo-subject'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    SubjectId::parse(&row.get::<String, _>(0)).unwrap()
}

/// Every derivation of `subject` now adds up, line by line, to the score it shows.
async fn derivations_add_up(app: &TestApp, subject: SubjectId) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    for scheme in register::memberships(&mut conn, subject).await.unwrap() {
        let ctx = catalogue::context(&mut conn, scheme).await.unwrap().unwrap();
        let fresh = recourse::store::standing::derivation(&mut conn, &ctx, subject, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(fresh.shown_total(), fresh.score, "{}", app.label);
    }
}

async fn writes(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM events").await,
        count(app, "SELECT COUNT(*) FROM notices").await,
        count(app, "SELECT COUNT(*) FROM audit_log").await,
        count(app, "SELECT COUNT(*) FROM blacklist_entries").await,
    )
}

#[tokio::test]
async fn a_recorder_records_an_event_once_with_its_notice_and_audit_row() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;

        let (status, hub) = text(&app, "/recording?q=wang").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(hub.contains(&format!("/recording/subjects/{wang}")) && hub.contains("Wang Fang"), "{hub}");

        let (status, page) = text(&app, &format!("/recording/subjects/{wang}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("TRAFFIC-01") && page.contains("Record an event"), "{page}");
        let reads = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM access_records WHERE subject_id = '{wang}' AND purpose = 'recording'"
            ),
        )
        .await;
        assert_eq!(reads, 1, "the recorder's read is written down for the subject");

        let occurred = (Utc::now() - Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
        let form = [
            ("scheme", "rongcheng"),
            ("rule_code", "traffic-01"),
            ("occurred_at", occurred.as_str()),
            ("points", ""),
            ("source", "Ticket 4471"),
            ("evidence_ref", "CAM-88"),
            ("external_ref", "HTTP-TEST-1"),
        ];
        let before = writes(&app).await;
        let (status, location, _) = post(&app, &format!("/recording/subjects/{wang}/events"), &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(location, format!("/recording/subjects/{wang}?done=event"));
        let after = writes(&app).await;
        assert_eq!(
            (after.0, after.1, after.2),
            (before.0 + 1, before.1 + 1, before.2 + 1),
            "event, notice, audit"
        );
        let row = sqlx::query(
            "SELECT e.id, e.points, e.recorded_by, e.source, a.code FROM events e \
             JOIN authorities a ON a.id = e.authority_id WHERE e.external_ref = 'HTTP-TEST-1'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let event: String = row.get(0);
        assert_eq!(row.get::<i64, _>(1), -3, "the rule's points in force");
        assert_eq!(row.get::<String, _>(2), "demo-recorder");
        assert_eq!(row.get::<String, _>(3), "Ticket 4471");
        assert_eq!(row.get::<String, _>(4), "rc-traffic", "the account's authority, never the form's");
        let notice = count(
            &app,
            &format!("SELECT COUNT(*) FROM notices WHERE event_id = '{event}' AND kind = 'event_recorded'"),
        )
        .await;
        assert_eq!(notice, 1);
        let audit =
            sqlx::query("SELECT actor, action, target_id, origin FROM audit_log ORDER BY at DESC LIMIT 1")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(audit.get::<String, _>(0), "demo-recorder");
        assert_eq!(audit.get::<String, _>(1), "event.record");
        assert_eq!(audit.get::<String, _>(2), event);
        assert!(!audit.get::<String, _>(3).is_empty(), "from where");
        derivations_add_up(&app, wang).await;

        let (status, location, _) = post(&app, &format!("/recording/subjects/{wang}/events"), &form).await;
        assert_eq!(
            (status, location),
            (StatusCode::SEE_OTHER, format!("/recording/subjects/{wang}?done=duplicate"))
        );
        assert_eq!(writes(&app).await, after, "the same reference twice records one event");
        let (_, page) = text(&app, &format!("/recording/subjects/{wang}?done=duplicate")).await;
        assert!(page.contains("nothing new was written"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn bad_event_input_gets_a_specific_answer_and_writes_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
        let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
        let cases: [(&str, &str, &str, &str, &str); 8] = [
            ("rongcheng", "NOPE-99", yesterday.as_str(), "R1", "No rule NOPE-99 is published"),
            ("rongcheng", "TRAFFIC-01", tomorrow.as_str(), "R2", "cannot be in the future"),
            ("rongcheng", "TRAFFIC-01", "2019-06-01T10:00", "R3", "only takes effect on"),
            ("rongcheng", "TRAFFIC-01", "last tuesday", "R4", "is not a date Recourse can read"),
            ("nowhere", "TRAFFIC-01", yesterday.as_str(), "R5", "Choose one of the schemes"),
            ("rongcheng", "no way", yesterday.as_str(), "R6", "is not a rule code"),
            ("rongcheng", "TRAFFIC-01", yesterday.as_str(), "", "Your reference must be filled in"),
            ("rongcheng", "TRAFFIC-01", "", "R8", "The date and time it happened must be filled in"),
        ];
        let before = writes(&app).await;
        for (scheme, rule, occurred, reference, message) in cases {
            let form = [
                ("scheme", scheme),
                ("rule_code", rule),
                ("occurred_at", occurred),
                ("source", "Ticket"),
                ("external_ref", reference),
            ];
            let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/events"), &form).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {rule} {occurred}", app.label);
            assert!(page.contains(message), "{}: expected {message:?} in {page}", app.label);
            assert!(page.contains("error-summary"), "the problems are listed at the top");
        }
        let (status, _, page) = post(
            &app,
            &format!("/recording/subjects/{wang}/events"),
            &[
                ("scheme", "rongcheng"),
                ("rule_code", "TRAFFIC-01"),
                ("occurred_at", &yesterday),
                ("points", "-50"),
                ("source", "Ticket"),
                ("external_ref", "R9"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("-50 points is outside what this rule allows (-3 to -3)"), "{page}");
        // The demo's corrected record already used this reference for different content.
        let (status, _, page) = post(
            &app,
            &format!("/recording/subjects/{wang}/events"),
            &[
                ("scheme", "rongcheng"),
                ("rule_code", "TRAFFIC-01"),
                ("occurred_at", &yesterday),
                ("source", "Ticket"),
                ("external_ref", "DEMO-CORRECTION-1"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("was already used for a different record"), "{page}");
        assert_eq!(writes(&app).await, before, "{}: nothing half-written", app.label);

        let unknown = SubjectId::new();
        let (status, _, _) =
            post(&app, &format!("/recording/subjects/{unknown}/events"), &[("scheme", "rongcheng")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an unknown subject");
        let (status, _) = text(&app, "/recording/subjects/not-an-id").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_blacklist_entry_restricts_nothing_until_its_notice_is_delivered() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        // The court's recorder: the court holds the mandate for its list.
        sign_in(&app, "demo-court", "court-demo-2026").await;
        let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
        let today = Utc::now().format("%Y-%m-%d").to_string();
        let entry_form = |case: &'static str, restrictions: &[&'static str]| {
            let mut form = vec![
                ("list", "dishonest-judgment-debtors"),
                ("case_number", case),
                ("legal_basis", "Civil Procedure Law art. 262"),
                ("reason", "Unpaid fines after a final judgment"),
                ("effective_from", tomorrow.as_str()),
                ("removal", "pay_amount"),
                ("amount", "1,250.50"),
                ("currency", "CNY"),
            ];
            form.extend(restrictions.iter().map(|r| ("restrictions", *r)));
            form
        };

        let before = writes(&app).await;
        let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/entries"), &entry_form("(2026) T 1", &[])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(page.contains("Restrictions must be filled in"), "{page}");
        let mut bad = entry_form("(2026) T 1", &["flights"]);
        bad.retain(|(k, _)| *k != "amount");
        let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/entries"), &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Enter the amount to pay"), "{page}");
        let mut bad = entry_form("(2026) T 1", &["flights"]);
        bad.push(("notice_delivered_at", "2099-01-01"));
        let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/entries"), &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("cannot be in the future"), "{page}");
        assert_eq!(writes(&app).await, before, "nothing half-written");

        let (status, location, _) = post(
            &app,
            &format!("/recording/subjects/{wang}/entries"),
            &entry_form("(2026) T 1", &["flights", "high_speed_rail"]),
        )
        .await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/recording/subjects/{wang}?done=entry").as_str()));
        let row = sqlx::query(
            "SELECT id, notice_delivered_at, removal_cents, restrictions FROM blacklist_entries WHERE case_number = '(2026) T 1'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let entry: String = row.get(0);
        assert_eq!(row.get::<Option<i64>, _>(1), None, "pending notice");
        assert_eq!(row.get::<i64, _>(2), 125_050);
        assert_eq!(row.get::<String, _>(3), "flights,high_speed_rail");
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM notices WHERE entry_id = '{entry}' AND kind = 'entry_recorded'")).await, 1);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'entry.record' AND target_id = '{entry}'")).await, 1);
        let (_, hub) = text(&app, "/recording").await;
        assert!(hub.contains(&format!("/recording/entries/{entry}")), "listed as waiting for its notice: {hub}");
        let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/entries"), &entry_form("(2026) T 1", &["flights"])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("already listed a case with this number"), "{page}");

        let (status, page) = text(&app, &format!("/recording/entries/{entry}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("notice not yet delivered"), "{page}");
        let (status, _, page) = post(&app, &format!("/recording/entries/{entry}/delivered"), &[("delivered_at", today.as_str())]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("How it was delivered must be filled in"), "{page}");
        let (status, location, _) = post(
            &app,
            &format!("/recording/entries/{entry}/delivered"),
            &[("delivered_at", today.as_str()), ("how", "Handed over in person")],
        )
        .await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("/recording/entries/{entry}?done=delivered")));
        let (_, page) = text(&app, &format!("/recording/entries/{entry}?done=delivered")).await;
        assert!(page.contains("takes effect later"), "delivered, in effect from tomorrow: {page}");
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM notices WHERE entry_id = '{entry}' AND kind = 'entry_changed'")).await, 1);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'entry.notice_delivered' AND target_id = '{entry}'")).await, 1);
        let (_, hub) = text(&app, "/recording").await;
        assert!(!hub.contains(&format!("/recording/entries/{entry}")), "no longer waiting");
        let (status, _, page) = post(
            &app,
            &format!("/recording/entries/{entry}/delivered"),
            &[("delivered_at", today.as_str()), ("how", "Again")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a notice is delivered once");
        assert!(page.contains("This change is not possible"), "{page}");

        // The court's entry about Wang Fang is not the traffic police's to mark.
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let court_entry: String = sqlx::query("SELECT e.id FROM blacklist_entries e JOIN authorities a ON a.id = e.authority_id WHERE a.code = 'rc-court' LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let (status, _) = text(&app, &format!("/recording/entries/{court_entry}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The recorder's pages as view models: what each `load` reads, without scraping markup.
#[tokio::test]
async fn the_recorders_pages_load_what_they_show() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        let state = AppState::new(app.db.clone(), Config::default());
        let recorder = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            Viewer::from_account(&accounts::by_username(&mut conn, "demo-recorder").await.unwrap().unwrap())
        };

        let hub = HubPage::load(&state, &recorder, "wang".into()).await.unwrap();
        assert!(hub.found.iter().any(|f| f.id == wang), "{}: the search finds Wang Fang", app.label);
        assert_eq!(hub.authority.map(|a| a.code).as_deref(), Some("rc-traffic"), "the account's authority");
        let blank = HubPage::load(&state, &recorder, "   ".into()).await.unwrap();
        assert!(blank.found.is_empty(), "a blank search finds nobody");

        let form = EventFormPage::load(&state, &recorder, &wang.to_string(), Utc::now()).await.unwrap();
        assert!(form.codes.iter().any(|c| c.eq_ignore_ascii_case("traffic-01")), "{:?}", form.codes);
        assert!(form.problems.is_empty(), "a form as it opens has no problems");

        let elsewhere = id_of(
            &app,
            "SELECT e.id FROM blacklist_entries e JOIN authorities a ON a.id = e.authority_id \
             WHERE a.code <> 'rc-traffic' ORDER BY e.id LIMIT 1",
        )
        .await;
        assert!(
            matches!(EntryPage::load(&state, &recorder, &elsewhere).await, Err(AppError::NotFound)),
            "another authority's entry is not the recorder's to open"
        );

        // Listing is the court's: it holds the mandate for its list.
        sign_in(&app, "demo-court", "court-demo-2026").await;
        let court = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            Viewer::from_account(&accounts::by_username(&mut conn, "demo-court").await.unwrap().unwrap())
        };
        let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
        let entry = [
            ("list", "dishonest-judgment-debtors"),
            ("case_number", "(2026) VM 1"),
            ("legal_basis", "Civil Procedure Law art. 262"),
            ("reason", "Unpaid fines after a final judgment"),
            ("effective_from", tomorrow.as_str()),
            ("removal", "appeal"),
            ("restrictions", "flights"),
        ];
        let (status, _, page) = post(&app, &format!("/recording/subjects/{wang}/entries"), &entry).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let hub = HubPage::load(&state, &court, String::new()).await.unwrap();
        let pending =
            hub.pending.iter().find(|p| p.case_number == "(2026) VM 1").expect("waits for its notice");
        assert_eq!(pending.subject, wang);
        let page = EntryPage::load(&state, &court, &pending.entry.to_string()).await.unwrap();
        assert_eq!(page.subject.id, wang);
        assert!(page.stored.entry.notice_delivered_at().is_none(), "no delivery yet");
    })
    .await;
}

async fn liu(app: &TestApp) -> SubjectId {
    SubjectId::parse(&id_of(app, "SELECT subject_id FROM accounts WHERE username = 'demo-liu'").await)
        .unwrap()
}

/// The subject's score now in the scheme with this code, derived afresh from the stored rows.
async fn fresh_score(app: &TestApp, subject: SubjectId, scheme: &str) -> i64 {
    let id = SchemeId::parse(&id_of(app, &format!("SELECT id FROM schemes WHERE code = '{scheme}'")).await)
        .unwrap();
    let mut conn = app.db.pool.acquire().await.unwrap();
    let ctx = catalogue::context(&mut conn, id).await.unwrap().unwrap();
    recourse::store::standing::derivation(&mut conn, &ctx, subject, Utc::now()).await.unwrap().score
}

/// A recorder account for a new authority that holds no mandate at all, signed in on the app's
/// client.
async fn sign_in_without_mandate(app: &TestApp) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let authority = AuthorityId::new();
    let body = register::Authority {
        id: authority,
        code: "no-mandate".into(),
        name_en: "Office Without a Mandate".into(),
        name_zh: "无授权办公室".into(),
    };
    register::insert_authority(&mut conn, &body).await.unwrap();
    let hash = password::hash(NewPassword::parse("no-mandate-2026".into()).unwrap()).await.unwrap();
    let account =
        accounts::create(&mut conn, "no-mandate", "Office Without a Mandate", &hash, Role::Recorder)
            .await
            .unwrap();
    accounts::link(&mut conn, account, None, Some(authority)).await.unwrap();
    drop(conn);
    sign_in(app, "no-mandate", "no-mandate-2026").await;
}

#[tokio::test]
async fn a_recorder_sees_the_records_of_its_mandate_and_the_rest_summed_up() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let liu = liu(&app).await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let (status, page) = text(&app, &format!("/recording/subjects/{liu}")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        let reads = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM access_records WHERE subject_id = '{liu}' AND purpose = 'recording'"
            ),
        )
        .await;
        assert_eq!(reads, 1, "{}: the read is written down with its purpose", app.label);

        let section = recorder_section(&page, "Rongcheng").expect("the traffic police record in Rongcheng");
        let codes: Vec<&str> = section.rows.iter().map(|(code, _)| code.as_str()).collect();
        assert!(!codes.is_empty(), "{}: her traffic records are listed: {}", app.label, section.html);
        assert!(
            codes.iter().all(|c| c.starts_with("TRAFFIC-")),
            "{}: only TRAFFIC-* rows: {codes:?}",
            app.label
        );
        for outside in ["COURT-01", "FRAUD-01", "TAX-01"] {
            assert!(
                !section.html.contains(outside),
                "{}: no {outside} row of hers: {}",
                app.label,
                section.html
            );
        }
        let others = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM events e JOIN schemes s ON s.id = e.scheme_id \
                 WHERE e.subject_id = '{liu}' AND s.code = 'rongcheng' AND e.rule_code NOT LIKE 'TRAFFIC-%'"
            ),
        )
        .await;
        assert!(others > 0, "the demo gives her records outside the traffic police's rules");
        assert!(
            section.html.contains(&format!(
                "Other records, under rules outside your authority&#x27;s mandate: {others}"
            )) || section
                .html
                .contains(&format!("Other records, under rules outside your authority's mandate: {others}")),
            "{}: one row sums up the {others} other records: {}",
            app.label,
            section.html
        );
        assert!(section.others.is_some(), "{}", app.label);
        let score = fresh_score(&app, liu, "rongcheng").await;
        assert_eq!(
            section.score, score,
            "{}: her real score, not one of the listed records alone",
            app.label
        );
        assert_eq!(
            1000 + section.counted(),
            score,
            "{}: the rows and the summary add up: {}",
            app.label,
            section.html
        );

        assert!(
            recorder_section(&page, "Coastal component credit score").is_none() && !page.contains("PAY-LATE"),
            "{}: the credit bureau's scheme is not the traffic police's: {page}",
            app.label
        );
        assert!(
            page.contains("Schemes of this subject outside your authority&#x27;s mandate, not shown: 1.")
                || page.contains("Schemes of this subject outside your authority's mandate, not shown: 1."),
            "{}: {page}",
            app.label
        );

        // The credit bureau's recorder sees that scheme, and not Rongcheng.
        sign_in(&app, "demo-credit", "credit-demo-2026").await;
        let (status, page) = text(&app, &format!("/recording/subjects/{liu}")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        let credit = recorder_section(&page, "Coastal component credit score").expect("the bureau's scheme");
        assert!(credit.rows.iter().any(|(code, _)| code == "PAY-LATE"), "{}: {}", app.label, credit.html);
        assert_eq!(credit.score, fresh_score(&app, liu, "coastal-credit").await, "{}", app.label);
        assert!(credit.others.is_none(), "{}: the bureau holds the whole scheme: {}", app.label, credit.html);
        assert!(recorder_section(&page, "Rongcheng").is_none(), "{}: {page}", app.label);
    })
    .await;
}

#[tokio::test]
async fn a_recorder_sees_only_the_entries_on_the_lists_of_its_mandate() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        let case = "(2025) Lu 1082 Zhi 1423";
        sign_in(&app, "demo-court", "court-demo-2026").await;
        let (status, page) = text(&app, &format!("/recording/subjects/{wang}")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains(case), "{}: the court's entry on its list: {page}", app.label);
        let section = recorder_section(&page, "Rongcheng").expect("the court records in Rongcheng");
        assert!(section.rows.iter().any(|(code, _)| code == "COURT-01"), "{}: {}", app.label, section.html);
        assert!(
            section.rows.iter().all(|(code, _)| code.starts_with("COURT-") || code.starts_with("FRAUD-")),
            "{}: only the court's rules: {}",
            app.label,
            section.html
        );
        assert_eq!(1000 + section.counted(), section.score, "{}: {}", app.label, section.html);

        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let (_, page) = text(&app, &format!("/recording/subjects/{wang}")).await;
        assert!(!page.contains(case), "{}: not the traffic police's list: {page}", app.label);
        assert!(
            page.contains("No blacklist entries on the lists your authority holds a mandate for."),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_recorder_without_any_mandate_sees_no_scheme_and_no_entry() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        sign_in_without_mandate(&app).await;
        let (status, page) = text(&app, &format!("/recording/subjects/{wang}")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("<h1>Wang Fang</h1>"), "{page}");
        for scheme in ["Rongcheng", "Coastal component credit score"] {
            assert!(recorder_section(&page, scheme).is_none(), "{}: no {scheme}: {page}", app.label);
        }
        assert!(!page.contains("TRAFFIC-01") && !page.contains("(2025) Lu 1082 Zhi 1423"), "{page}");
        assert!(
            page.contains("mandate, not shown: 2."),
            "{}: both her schemes are outside: {page}",
            app.label
        );
        let reads = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM access_records WHERE subject_id = '{wang}' AND purpose = 'recording'"
            ),
        )
        .await;
        assert_eq!(reads, 1, "{}: the read is written down all the same", app.label);
    })
    .await;
}

#[tokio::test]
async fn an_authority_without_a_list_mandate_is_told_so_instead_of_an_empty_entry_form() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = wang(&app).await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let (status, page) = text(&app, &format!("/recording/subjects/{wang}/entries")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("Your authority holds no mandate to list anyone."), "{}: {page}", app.label);
        assert!(
            !page.contains(r#"id="list""#)
                && !page.contains(&format!(r#"action="/recording/subjects/{wang}/entries""#)),
            "{}: no form and no empty list to choose from: {page}",
            app.label
        );

        sign_in(&app, "demo-court", "court-demo-2026").await;
        let (_, page) = text(&app, &format!("/recording/subjects/{wang}/entries")).await;
        assert!(!page.contains("holds no mandate to list anyone"), "{page}");
        assert!(
            page.contains(r#"value="dishonest-judgment-debtors""#),
            "{}: the court's list: {page}",
            app.label
        );
    })
    .await;
}
