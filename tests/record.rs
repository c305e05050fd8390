//! The subject's own record over HTTP: the grade and its derivation, as of any date, event and
//! entry pages, and 404 for everything that is not theirs. Both databases.

mod auth_support;
mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use chrono::Utc;
use common::{for_each_database, TestApp};
use reqwest::StatusCode;
use sqlx::Row;

/// Seeds the demo data set and signs the test client in as a demo account.
async fn signed_in(app: &TestApp, username: &str, password: &str) {
    recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data seeds");
    let response = app
        .client
        .post(app.url("/sign-in"))
        .header("origin", &app.address)
        .form(&[("username", username), ("password", password), ("next", "/record")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
}

async fn body(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    (response.status(), response.text().await.unwrap())
}

/// Ids of one kind of row for the named subject, or for everyone else.
async fn ids(app: &TestApp, sql: &str, name: &str) -> Vec<String> {
    sqlx::query(sql)
        .bind(name)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect()
}

// Rows of the subject an account speaks for, or of everyone else (names can repeat; accounts cannot).
const EVENTS_OF: &str =
    "SELECT e.id FROM events e JOIN accounts a ON a.subject_id = e.subject_id WHERE a.username = $1";
const EVENTS_NOT_OF: &str = "SELECT e.id FROM events e WHERE e.subject_id <> \
     (SELECT subject_id FROM accounts WHERE username = $1) LIMIT 5";
const ENTRIES_OF: &str =
    "SELECT b.id FROM blacklist_entries b JOIN accounts a ON a.subject_id = b.subject_id WHERE a.username = $1";
const ENTRIES_NOT_OF: &str = "SELECT b.id FROM blacklist_entries b WHERE b.subject_id <> \
     (SELECT subject_id FROM accounts WHERE username = $1)";

#[tokio::test]
async fn a_subject_sees_a_derivation_whose_lines_sum_to_the_score_shown() {
    for_each_database(|app| async move {
        signed_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let (status, page) = body(&app, "/record").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("Wang Fang"));
        let section = &page[page.find(r#"id="scheme-rongcheng""#).unwrap()
            ..page.find(r#"id="scheme-coastal-credit""#).unwrap()];
        let score: i64 =
            between(section, r#"<span class="label">Score</span><strong>"#, "<").parse().unwrap();
        // Re-derive by hand: the base plus every counting line's points equals the score shown.
        let derivation = &section[..section.find("Records on file that do not count").unwrap()];
        let points: i64 = derivation
            .split(r#"data-label="Points""#)
            .skip(1)
            .map(|cell| &cell[cell.find('>').unwrap() + 1..])
            .map(|cell| {
                cell[..cell.find('<').unwrap()]
                    .replace('\u{2212}', "-")
                    .replace('+', "")
                    .parse::<i64>()
                    .unwrap()
            })
            .sum();
        assert_eq!(1_000 + points, score, "{derivation}");
        assert!(
            section.contains("superseded") && section.contains("expired"),
            "corrected and expired records are shown with why"
        );
        assert!(section.contains("What would change my grade"));
        assert!(
            page.contains(r#"<svg role="img" aria-labelledby="chart-rongcheng-title"#),
            "a history chart"
        );
        // On a phone each row stacks, every cell named by its column; the table's wrapper is a
        // region a keyboard reaches, named by the scheme and the caption.
        assert!(section.contains(r#"<table class="derivation stacked">"#), "{section}");
        assert!(
            section.contains(r#"data-label="Running total""#) && section.contains(r#"data-label="Status""#)
        );
        let wrapper =
            section.find(r#"aria-labelledby="scheme-rongcheng rongcheng-lines""#).expect("a named region");
        let tag =
            &section[section[..wrapper].rfind('<').unwrap()..wrapper + section[wrapper..].find('>').unwrap()];
        assert!(
            tag.starts_with("<div") && tag.contains(r#"role="region""#) && tag.contains(r#"tabindex="0""#),
            "{tag}"
        );
        assert!(page.contains("Coastal component credit score") && page.contains("Contribution"));
        assert!(page.contains("(2025) Lu 1082 Zhi 1423"), "the blacklist entry is listed");
    })
    .await;
}

/// The Rongcheng score shown on a record page.
fn shown_score(page: &str) -> i64 {
    let section = &page[page.find(r#"id="scheme-rongcheng""#).unwrap()..];
    between(section, r#"<p class="score"><span class="label">"#, "</strong>")
        .rsplit('>')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The score the Rongcheng history chart ends at: the last figure of its description.
fn chart_end(page: &str) -> i64 {
    let description = between(page, r#"<desc id="chart-rongcheng-desc">"#, "</desc>");
    let figures: Vec<&str> =
        description.split(|c: char| !c.is_ascii_digit()).filter(|f| !f.is_empty()).collect();
    figures.last().unwrap().parse().unwrap()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} not in page")) + start.len();
    &text[from..from + text[from..].find(end).unwrap()]
}

#[tokio::test]
async fn the_record_as_of_a_past_date_shows_what_was_on_file_then() {
    for_each_database(|app| async move {
        signed_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let (status, page) = body(&app, "/record?as_of=2022-01-01").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("My record as it stood on 1 January 2022"));
        let section = &page[page.find(r#"id="scheme-rongcheng""#).unwrap()..];
        assert!(
            section.contains(r#"<span class="label">Score</span><strong>1000</strong>"#),
            "nothing was on file in 2022"
        );
        let (_, bad) = body(&app, "/record?as_of=yesterday").await;
        assert!(bad.contains("That date could not be read"));
    })
    .await;
}

#[tokio::test]
async fn a_subject_opens_their_own_events_and_entries_and_gets_404_for_anyone_elses() {
    for_each_database(|app| async move {
        signed_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        for id in ids(&app, EVENTS_OF, "demo-subject").await {
            let (status, page) = body(&app, &format!("/record/events/{id}")).await;
            assert_eq!(status, StatusCode::OK, "own event {id}");
            assert!(page.contains("Evidence reference") && page.contains("Judged under"));
        }
        for id in ids(&app, ENTRIES_OF, "demo-subject").await {
            let (status, page) = body(&app, &format!("/record/entries/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(page.contains("Pay 48500.00 CNY") && page.contains("Buying plane tickets"), "{page}");
        }
        let others = ids(&app, EVENTS_NOT_OF, "demo-subject").await;
        let other_entries = ids(&app, ENTRIES_NOT_OF, "demo-subject").await;
        assert!(!others.is_empty() && !other_entries.is_empty());
        for id in others {
            let (status, page) = body(&app, &format!("/record/events/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "another subject's event {id}");
            assert!(page.contains("Page not found"));
        }
        for id in other_entries {
            assert_eq!(app.get(&format!("/record/entries/{id}")).await.status(), StatusCode::NOT_FOUND);
        }
        for junk in ["/record/events/not-an-id", "/record/entries/00000000-0000-0000-0000-000000000000"] {
            assert_eq!(app.get(junk).await.status(), StatusCode::NOT_FOUND, "{junk}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_pending_notice_entry_says_it_restricts_nothing_yet() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        // Chen Jie has no account in the demo; give the test one through the store.
        let subject: String = sqlx::query(
            "SELECT s.id FROM subjects s JOIN blacklist_entries b ON b.subject_id = s.id WHERE s.display_name = 'Chen Jie'",
        )
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        let hash = recourse::auth::password::hash(
            recourse::auth::password::NewPassword::parse("chen-jie-test-pass".into()).unwrap(),
        )
        .await
        .unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let id = recourse::store::accounts::create(&mut conn, "chen", "Chen Jie", &hash, recourse::store::accounts::Role::Subject)
            .await
            .unwrap();
        let subject_id = recourse::domain::SubjectId::parse(&subject).unwrap();
        recourse::store::accounts::link(&mut conn, id, Some(subject_id), None).await.unwrap();
        drop(conn);
        let response = app
            .client
            .post(app.url("/sign-in"))
            .header("origin", &app.address)
            .form(&[("username", "chen"), ("password", "chen-jie-test-pass")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let entry = ids(&app, ENTRIES_OF, "chen").await.remove(0);
        let (status, page) = body(&app, &format!("/record/entries/{entry}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("notice not yet delivered") && page.contains("restricts nothing until its notice"), "{page}");
        assert!(page.contains("Being delivered by Rongcheng People"), "who is delivering it: {page}");
    })
    .await;
}

#[tokio::test]
async fn the_record_asks_anyone_not_signed_in_to_sign_in_first() {
    for_each_database(|app| async move {
        let response = app.get("/record").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/sign-in?next=%2Frecord");
    })
    .await;
}

/// The record page keeps the catalogue and each subject's records in memory between requests;
/// a new record, and any change to the catalogue, must still show on the very next request.
#[tokio::test]
async fn the_record_page_shows_a_new_record_and_a_catalogue_change_at_once() {
    use recourse::{
        domain::{AuthorityId, Fact, RuleCode, Source, SubjectId},
        store::{
            catalogue,
            records::{self, Provenance},
        },
    };
    for_each_database(|app| async move {
        signed_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let (_, before) = body(&app, "/record").await;
        let lines = |page: &str| page.matches(r#"href="/record/events/"#).count();

        let row = sqlx::query(
            "SELECT a.subject_id, (SELECT id FROM authorities WHERE code = 'rc-traffic') FROM accounts a \
             WHERE a.username = 'demo-subject'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let subject = SubjectId::parse(&row.get::<String, _>(0)).unwrap();
        let authority = AuthorityId::parse(&row.get::<String, _>(1)).unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let scheme = catalogue::scheme_by_code(&mut conn, "rongcheng").await.unwrap().unwrap();
        let ctx = catalogue::context(&mut conn, scheme.scheme.id()).await.unwrap().unwrap();
        drop(conn);
        let now = Utc::now();
        records::record_fact(
            &app.db,
            &ctx,
            Source { subject, scheme: ctx.scheme().id(), authority, external_ref: "CACHE-TEST-1".into() },
            Fact {
                rule_code: RuleCode::parse("TRAFFIC-01").unwrap(),
                points: None,
                occurred_at: now - chrono::Duration::days(2),
            },
            Provenance { recorded_by: "test".into(), source: "test".into(), evidence_ref: "E-1".into() },
            now,
        )
        .await
        .unwrap();
        let (_, after) = body(&app, "/record").await;
        assert_eq!(lines(&after), lines(&before) + 1, "the new record is on the page at once");
        // The history chart's drawing is kept between requests; it ends at the score shown,
        // before the new record and after it, in both languages.
        assert_eq!(chart_end(&before), shown_score(&before), "{}", app.label);
        assert_eq!(chart_end(&after), shown_score(&after), "{}", app.label);
        assert!(shown_score(&after) < shown_score(&before), "a traffic record lowers the score");
        let chinese =
            app.client.get(app.url("/record")).header("accept-language", "zh-CN").send().await.unwrap();
        let chinese = chinese.text().await.unwrap();
        assert!(chinese.contains("lang=\"zh-CN\""), "the page is in Chinese");
        assert_eq!(chart_end(&chinese), shown_score(&after), "{}", app.label);

        // A catalogue change made through administration (which bumps the catalogue's revision
        // in its transaction) shows at once.
        let admin = app.another_visitor();
        common::sign_in(&admin, "demo-admin", "admin-demo-2026").await;
        let (status, _, _) = common::post(
            &admin,
            &format!("/admin/authorities/{authority}"),
            &[("name_en", "Traffic Police Renamed for the cache test"), ("name_zh", "交警")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let (_, renamed) = body(&app, "/record").await;
        assert!(
            renamed.contains("Traffic Police Renamed for the cache test"),
            "a catalogue change shows at once"
        );
    })
    .await;
}

/// An organisation can have several representatives: each signs in with their own account and
/// sees the same record, the same notices and the same access records; no one else's.
#[tokio::test]
async fn every_representative_of_an_organisation_sees_its_record() {
    use auth_support::{client, person, sign_in};
    use recourse::store::accounts::{self, Role};
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let clerk = person(&app.db, "harbour-clerk", Role::Subject).await;
        let harbour: String = sqlx::query("SELECT subject_id FROM accounts WHERE username = 'demo-org'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        let mut conn = app.db.pool.acquire().await.unwrap();
        accounts::link(
            &mut conn,
            clerk.id.0,
            Some(recourse::domain::SubjectId::parse(&harbour).unwrap()),
            None,
        )
        .await
        .unwrap();
        drop(conn);

        let first = client();
        let response = auth_support::sign_in_with(&app, &first, "demo-org", "harbour-demo-2026").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let second = client();
        sign_in(&app, &second, &clerk).await;
        let page = |c: reqwest::Client, path: &'static str| {
            let url = app.url(path);
            async move { c.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let (a, b) = (page(first.clone(), "/record").await, page(second.clone(), "/record").await);
        assert!(a.contains("Rongcheng Harbour Logistics") && b.contains("Rongcheng Harbour Logistics"));
        let score = |p: &str| between(p, r#"<span class="label">Score</span><strong>"#, "<").to_string();
        assert_eq!(score(&a), score(&b), "both representatives see the same score");
        assert_eq!(a.matches("/record/events/").count(), b.matches("/record/events/").count());

        // Notices belong to the organisation: read by one representative, read for both.
        let read = auth_support::post(&app, &second, "/notices/read", &[]).await;
        assert_eq!(read.status(), StatusCode::SEE_OTHER);
        assert!(!page(first.clone(), "/").await.contains("unread)"), "the inbox is the organisation's");

        // Neither reaches Wang Fang's events.
        for id in ids(&app, EVENTS_OF, "demo-subject").await.iter().take(3) {
            let path = format!("/record/events/{id}");
            let status = second.get(app.url(&path)).send().await.unwrap().status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}

/// Records `rule` for `subject` in the demo Rongcheng scheme, by the authority holding its mandate.
async fn record_rongcheng(
    app: &TestApp,
    subject: recourse::domain::SubjectId,
    authority: &str,
    rule: &str,
    reference: &str,
) {
    use recourse::{
        domain::{AuthorityId, Fact, RuleCode, Source},
        store::{
            catalogue,
            records::{self, Provenance},
        },
    };
    let authority: String = sqlx::query("SELECT id FROM authorities WHERE code = $1")
        .bind(authority)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
    let mut conn = app.db.pool.acquire().await.unwrap();
    let scheme = catalogue::scheme_by_code(&mut conn, "rongcheng").await.unwrap().unwrap();
    let ctx = catalogue::context(&mut conn, scheme.scheme.id()).await.unwrap().unwrap();
    let _ = records::enrol(&mut conn, &ctx, subject, Utc::now() - chrono::Duration::days(30)).await;
    drop(conn);
    let now = Utc::now();
    records::record_fact(
        &app.db,
        &ctx,
        Source {
            subject,
            scheme: ctx.scheme().id(),
            authority: AuthorityId::parse(&authority).unwrap(),
            external_ref: reference.into(),
        },
        Fact {
            rule_code: RuleCode::parse(rule).unwrap(),
            points: None,
            occurred_at: now - chrono::Duration::days(3),
        },
        Provenance { recorded_by: "test".into(), source: "test".into(), evidence_ref: reference.into() },
        now,
    )
    .await
    .unwrap();
}

/// The "what would change my grade" part of the Rongcheng section of a record page.
fn what_would_change(page: &str) -> &str {
    let from = page.find("What would change my grade").expect("the what-if section");
    &page[from..from + page[from..].find("<table").unwrap_or(page.len() - from)]
}

#[tokio::test]
async fn only_records_whose_overturning_raises_the_grade_are_offered_in_the_right_number() {
    use auth_support::{client, person, sign_in};
    use recourse::store::accounts::Role;
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let who = person(&app.db, "zhou.min", Role::Subject).await;
        let subject = who.subject.unwrap();
        let c = client();
        sign_in(&app, &c, &who).await;
        let page = || async { c.get(app.url("/record")).send().await.unwrap().text().await.unwrap() };

        // +30 for courage: 1030, AA. Overturning it would change the grade, for the worse.
        record_rongcheng(&app, subject, "rc-civil", "HEROIC-01", "WHATIF-1").await;
        let first = page().await;
        let part = what_would_change(&first);
        assert!(
            part.contains("Overturning any single record would not raise your grade."),
            "{}: {part}",
            app.label
        );
        assert!(!part.contains("HEROIC-01"), "a positive record is not offered as worth contesting: {part}");

        // −100 for a court judgment: 930, B. Only the judgment is worth contesting, and it is one record.
        record_rongcheng(&app, subject, "rc-court", "COURT-01", "WHATIF-2").await;
        let second = page().await;
        let part = what_would_change(&second);
        assert!(
            part.contains("If this record were overturned, your grade would rise:"),
            "{}: {part}",
            app.label
        );
        assert!(part.contains("Overturning this record would lift your grade to AA (score 1030)"), "{part}");
        assert!(part.contains("COURT-01") && !part.contains("HEROIC-01"), "{part}");
        assert!(!part.contains("these 1"), "{part}");

        // A second judgment: 830, C; either judgment alone would lift it, and the wording counts them.
        record_rongcheng(&app, subject, "rc-court", "COURT-01", "WHATIF-3").await;
        let third = page().await;
        let part = what_would_change(&third);
        assert!(
            part.contains("If any one of these 2 records were overturned, your grade would rise:"),
            "{part}"
        );
        assert!(!part.contains("HEROIC-01"), "{part}");

        let zh = c
            .get(app.url("/record"))
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(zh.contains("如果以下2条记录中的任一条被撤销") && !zh.contains("这1条"), "{zh}");
    })
    .await;
}

#[tokio::test]
async fn a_lifted_entry_says_how_and_when_it_ended_not_how_to_get_off() {
    use auth_support::{client, person, sign_in};
    use recourse::store::accounts::{self, Role};
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        // Zhao Lei's listing was lifted after he paid; let an account of his read it.
        let zhao = person(&app.db, "zhao.lei", Role::Subject).await;
        let row = sqlx::query(
            "SELECT b.subject_id, b.id FROM blacklist_entries b JOIN subjects s ON s.id = b.subject_id \
             WHERE s.display_name = 'Zhao Lei'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let (subject, entry): (String, String) = (row.get(0), row.get(1));
        let mut conn = app.db.pool.acquire().await.unwrap();
        accounts::link(
            &mut conn,
            zhao.id.0,
            Some(recourse::domain::SubjectId::parse(&subject).unwrap()),
            None,
        )
        .await
        .unwrap();
        drop(conn);
        let c = client();
        sign_in(&app, &c, &zhao).await;
        let page =
            c.get(app.url(&format!("/record/entries/{entry}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("How this entry ended"), "{}: {page}", app.label);
        assert!(page.contains("Lifted on ") && page.contains("It restricts nothing any more."), "{page}");
        assert!(
            !page.contains("How to get off the list") && !page.contains("Pay "),
            "no way off a lifted entry: {page}"
        );

        // Wang Fang's entry is in force: it still says how to get off.
        let wang = client();
        let response = auth_support::sign_in_with(&app, &wang, "demo-subject", "wang-fang-demo-2026").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let id = ids(&app, ENTRIES_OF, "demo-subject").await.remove(0);
        let page =
            wang.get(app.url(&format!("/record/entries/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("How to get off the list") && !page.contains("How this entry ended"), "{page}");
    })
    .await;
}

/// Every page of a 1,000-record subject's record stays within the 60 KB budget of HTML and
/// stylesheet (DESIGN.md), in both languages, the rest of the derivation a page link away.
#[tokio::test]
async fn every_page_of_a_thousand_record_subject_stays_within_the_page_budget() {
    const BUDGET: usize = 60 * 1024;
    for_each_database(|app| async move {
        let now = Utc::now();
        recourse::demo::seed(&app.db, now).await.expect("demo data seeds");
        support::seed_subject(&app.db, "Heavy Test Subject", "heavy-test", 1_000, 7, now)
            .await
            .expect("a 1,000-record subject seeds");
        let response = app
            .client
            .post(app.url("/sign-in"))
            .header("origin", &app.address)
            .form(&[("username", "heavy-test"), ("password", support::PASSWORD), ("next", "/record")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in");
        let css = app.get("/style/recourse.css").await.bytes().await.unwrap().len();
        let (status, first) = body(&app, "/record").await;
        assert_eq!(status, StatusCode::OK);
        let pages =
            (2..100).take_while(|p| first.contains(&format!("href=\"/record?page={p}\""))).count() + 1;
        assert!(pages > 1, "{}: the derivation of 1,000 records spans pages", app.label);
        for page in 1..=pages {
            for language in ["en", "zh-CN"] {
                let response = app
                    .client
                    .get(app.url(&format!("/record?page={page}")))
                    .header("accept-language", language)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let html = response.text().await.unwrap();
                assert!(
                    html.len() + css <= BUDGET,
                    "{}: page {page} in {language} is {} B of HTML + {css} B of CSS, over {BUDGET} B",
                    app.label,
                    html.len()
                );
            }
        }
    })
    .await;
}
