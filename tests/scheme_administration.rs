//! Scheme settings, authorities and review bodies over HTTP on both databases: changing a
//! scheme's bands regrades every member to a fresh derivation in one transaction with its audit
//! row; every refusal names its field, answers 422 and changes nothing; authorities are added and
//! renamed, review bodies added (independent or an authority's own); only administrators get in.

mod common;

use chrono::Utc;
use common::{count, counts, for_each_database, id_of, member_derivations, post, sign_in, text, TestApp};
use recourse::{
    domain::SchemeId,
    error::AppError,
    http::{AppState, Config},
    pages::admin::{authorities::AuthoritiesPage, schemes::SettingsPage},
};
use reqwest::StatusCode;
use sqlx::Row;

const SETTINGS: &str = "/admin/schemes/rongcheng/settings";

async fn sign_in_admin(app: &TestApp) {
    sign_in(app, "demo-admin", "admin-demo-2026").await;
}

async fn rongcheng(app: &TestApp) -> SchemeId {
    SchemeId::parse(&id_of(app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap()
}

/// The settings form: bands as (grade, lowest score) rows, the dispute policy and the deadline.
fn settings_form<'a>(bands: &[(&'a str, &'a str)], policy: &'a str, days: &'a str) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = bands
        .iter()
        .enumerate()
        .flat_map(|(i, (grade, min))| {
            [(format!("band_grade_{i}"), grade.to_string()), (format!("band_min_{i}"), min.to_string())]
        })
        .collect();
    form.push(("dispute_policy".into(), policy.into()));
    form.push(("appeal_deadline_days".into(), days.into()));
    form
}

async fn post_settings(app: &TestApp, form: &[(String, String)]) -> (StatusCode, String, String) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, SETTINGS, &form).await
}

/// Bands as the form carries them: (grade, lowest score) rows, highest first.
type Bands = &'static [(&'static str, &'static str)];

/// The demo's Rongcheng bands, as the form carries them.
const DEMO_BANDS: [(&str, &str); 6] =
    [("A+++", "1050"), ("AA", "1030"), ("A", "960"), ("B", "850"), ("C", "600"), ("D", "")];

/// Everything a scheme settings write could change, to compare before and after a refusal.
async fn scheme_state(app: &TestApp) -> Vec<String> {
    let pool = &app.db.pool;
    let mut state: Vec<String> = sqlx::query(
        "SELECT b.position, b.grade, b.min_score FROM scheme_bands b JOIN schemes s ON s.id = b.scheme_id \
         WHERE s.code = 'rongcheng' ORDER BY b.position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!("band {} {} {:?}", r.get::<i64, _>(0), r.get::<String, _>(1), r.get::<Option<i64>, _>(2))
    })
    .collect();
    let scheme =
        sqlx::query("SELECT dispute_policy, appeal_deadline_days FROM schemes WHERE code = 'rongcheng'")
            .fetch_one(pool)
            .await
            .unwrap();
    state.push(format!("scheme {} {}", scheme.get::<String, _>(0), scheme.get::<i64, _>(1)));
    state.push(format!("audit {}", count(app, "SELECT COUNT(*) FROM audit_log").await));
    state
}

/// (subject, score, grade) of every member of the scheme with `code`, derived now.
async fn grades_in(app: &TestApp, code: &str) -> Vec<(String, i64, String)> {
    let scheme =
        SchemeId::parse(&id_of(app, &format!("SELECT id FROM schemes WHERE code = '{code}'")).await).unwrap();
    member_derivations(app, scheme)
        .await
        .into_iter()
        .map(|(subject, d)| (subject.to_string(), d.score, d.grade.to_string()))
        .collect()
}

#[tokio::test]
async fn changing_the_bands_regrades_every_member_to_a_fresh_derivation() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let scheme = rongcheng(&app).await;
        let members =
            count(&app, &format!("SELECT COUNT(*) FROM scheme_memberships WHERE scheme_id = '{scheme}'"))
                .await;
        assert!(members > 20, "the demo has many members: {members}");
        let other_scheme_before = grades_in(&app, "coastal-credit").await;

        let (status, page) = text(&app, SETTINGS).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(page.contains("Settings of Rongcheng social credit points"), "{page}");
        assert!(page.contains(r#"name="band_grade_0""#) && page.contains(r#"value="A+++""#), "{page}");
        assert!(page.contains(r#"value="1050""#) && page.contains(r#"name="band_min_5""#), "{page}");

        let bands = [("S", "1010"), ("A", "990"), ("B", "950"), ("C", "")];
        let (status, location, _) =
            post_settings(&app, &settings_form(&bands, "suspended_while_disputed", "30")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(location, format!("{SETTINGS}?done=saved&n={members}"), "every member is rescored");
        let (_, page) = text(&app, &location).await;
        assert!(
            page.contains(&format!(
                "The settings were saved; the grades of all {members} members follow them."
            )),
            "{page}"
        );
        assert!(
            !page.contains(r#"value="A+++""#) && page.contains(r#"value="S""#),
            "the form shows the new bands"
        );

        let stored: Vec<(i64, String)> =
            grades_in(&app, "rongcheng").await.into_iter().map(|(_, score, grade)| (score, grade)).collect();
        assert_eq!(stored.len() as i64, members);
        let expected = |score: i64| match score {
            s if s >= 1010 => "S",
            s if s >= 990 => "A",
            s if s >= 950 => "B",
            _ => "C",
        };
        for (score, grade) in &stored {
            assert_eq!(grade, expected(*score), "{}: score {score}", app.label);
        }
        let distinct: std::collections::BTreeSet<&str> = stored.iter().map(|(_, g)| g.as_str()).collect();
        assert!(distinct.len() >= 2, "the new bands split the demo's members: {stored:?}");

        let other_scheme_after = grades_in(&app, "coastal-credit").await;
        assert_eq!(other_scheme_after, other_scheme_before, "another scheme's members are left alone");

        let audit = sqlx::query(
            "SELECT actor, target_kind, target_id, detail FROM audit_log WHERE action = 'scheme.settings'",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(
            (audit[0].get::<String, _>(0), audit[0].get::<String, _>(1), audit[0].get::<String, _>(2)),
            ("demo-admin".to_string(), "scheme".to_string(), scheme.to_string())
        );
        let detail: serde_json::Value = serde_json::from_str(&audit[0].get::<String, _>(3)).unwrap();
        assert_eq!(detail["rescored"], members);
        assert_eq!(detail["bands"][0], serde_json::json!({ "grade": "S", "min": 1010 }));
        assert_eq!(detail["bands"][3], serde_json::json!({ "grade": "C", "min": null }));

        // The public catalogue and the subject's own record show the new bands at once.
        let (_, public) = text(&app, "/rules/rongcheng").await;
        assert!(public.contains(">S<") && !public.contains(">A+++<"), "{public}");
        let wang: (i64, String) = {
            let wang = id_of(&app, "SELECT subject_id FROM accounts WHERE username = 'demo-subject'").await;
            let all = grades_in(&app, "rongcheng").await;
            let (_, score, grade) = all.into_iter().find(|(s, _, _)| *s == wang).unwrap();
            (score, grade)
        };
        let subject = app.another_visitor();
        sign_in(&subject, "demo-subject", "wang-fang-demo-2026").await;
        let (_, record) = text(&subject, "/record").await;
        assert!(
            record.contains(&format!("<strong>{}</strong>", wang.1)),
            "{}: Wang Fang's record shows her new grade {} (score {}): {record}",
            app.label,
            wang.1,
            wang.0
        );
    })
    .await;
}

#[tokio::test]
async fn bad_bands_are_refused_beside_their_field_and_change_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let before = scheme_state(&app).await;
        let cases: [(Bands, &str, &str); 6] = [
            (
                &[("A", "900"), ("B", "950"), ("C", "")],
                "band_min_1",
                "Grade B must start below the grade above it.",
            ),
            (&[("A", "900"), ("B", "800"), ("A", "")], "band_grade_2", "Grade A appears twice."),
            (&[("A", "lots"), ("B", "")], "band_min_0", "The lowest score must be a whole number."),
            (
                &[("A", "900"), ("B", "800")],
                "band_min_1",
                "Exactly one band, the lowest, must have no minimum.",
            ),
            (&[("A*", "900"), ("B", "")], "band_grade_0", "is not a grade"),
            (&[("", ""), ("", "")], "band_grade_0", "Grade bands must be filled in."),
        ];
        for (bands, field, message) in cases {
            let (status, _, page) = post_settings(&app, &settings_form(bands, "keeps_counting", "30")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {bands:?}", app.label);
            let beside = format!(r#"id="{field}-error""#);
            let at =
                page.find(&beside).unwrap_or_else(|| panic!("{bands:?}: no error beside {field}: {page}"));
            assert!(page[at..].contains(message), "{bands:?}: {message}: {page}");
            assert!(page.contains(&format!(r##"href="#{field}""##)), "the summary links to {field}");
            assert_eq!(
                page.matches(r#"class="field-error""#).count(),
                1,
                "{bands:?}: one problem, one message"
            );
            assert_eq!(scheme_state(&app).await, before, "{}: {bands:?} changed something", app.label);
        }
    })
    .await;
}

#[tokio::test]
async fn the_dispute_policy_and_deadline_are_saved_and_audited() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let (status, location, _) =
            post_settings(&app, &settings_form(&DEMO_BANDS, "keeps_counting", "45")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert!(location.starts_with(&format!("{SETTINGS}?done=saved")), "{location}");
        let row =
            sqlx::query("SELECT dispute_policy, appeal_deadline_days FROM schemes WHERE code = 'rongcheng'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!((row.get::<String, _>(0).as_str(), row.get::<i64, _>(1)), ("keeps_counting", 45));
        let bands = count(
            &app,
            "SELECT COUNT(*) FROM scheme_bands b JOIN schemes s ON s.id = b.scheme_id \
             WHERE s.code = 'rongcheng' AND b.grade IN ('A+++', 'AA', 'A', 'B', 'C', 'D')",
        )
        .await;
        assert_eq!(bands, 6, "the bands stay as they were");
        let (_, page) = text(&app, SETTINGS).await;
        assert!(page.contains(r#"value="45""#), "{page}");
        assert!(page.contains(r#"value="keeps_counting" selected"#), "{page}");
        let detail: String =
            id_of(&app, "SELECT detail FROM audit_log WHERE action = 'scheme.settings'").await;
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(
            (detail["dispute_policy"].as_str(), detail["appeal_deadline_days"].as_i64()),
            (Some("keeps_counting"), Some(45))
        );
        assert_eq!(
            id_of(&app, "SELECT actor FROM audit_log WHERE action = 'scheme.settings'").await,
            "demo-admin"
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_deadline_or_policy_is_refused_and_changes_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let before = scheme_state(&app).await;
        for days in ["0", "366", "ten", "", "-5", "4.5"] {
            let (status, _, page) =
                post_settings(&app, &settings_form(&DEMO_BANDS, "keeps_counting", days)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {days:?}", app.label);
            let at =
                page.find(r#"id="appeal_deadline_days-error""#).unwrap_or_else(|| panic!("{days:?}: {page}"));
            assert!(
                page[at..].contains("The days to appeal must be a whole number from 1 to 365."),
                "{page}"
            );
            assert!(
                page.contains(&format!(r#"value="{days}""#)) || days.is_empty(),
                "what was typed is kept"
            );
        }
        let (status, _, page) = post_settings(&app, &settings_form(&DEMO_BANDS, "forgiven", "30")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let at = page.find(r#"id="dispute_policy-error""#).expect(&page);
        assert!(
            page[at..].contains("Choose from the list what happens to a record while it is disputed."),
            "{page}"
        );
        assert_eq!(scheme_state(&app).await, before, "{}: a refused change changes nothing", app.label);

        let (status, _) = text(&app, "/admin/schemes/nowhere/settings").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an unknown scheme");
        let (status, _, _) =
            post(&app, "/admin/schemes/nowhere/settings", &[("dispute_policy", "keeps_counting")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

async fn authority_row(app: &TestApp, code: &str) -> Option<(String, String, String)> {
    sqlx::query("SELECT id, name_en, name_zh FROM authorities WHERE code = $1")
        .bind(code)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
}

#[tokio::test]
async fn an_authority_is_added_and_renamed_with_its_audit_rows() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let (status, page) = text(&app, "/admin/authorities").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("rc-traffic") && page.contains("Rongcheng Traffic Police"), "{page}");

        let form = [("code", " rc-fire "), ("name_en", "Rongcheng Fire Brigade"), ("name_zh", "荣成市消防救援大队")];
        let (status, location, _) = post(&app, "/admin/authorities", &form).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/authorities?done=created&code=rc-fire"));
        let (id, en, zh) = authority_row(&app, "rc-fire").await.expect("stored, code trimmed");
        assert_eq!((en.as_str(), zh.as_str()), ("Rongcheng Fire Brigade", "荣成市消防救援大队"));
        let (_, page) = text(&app, &location).await;
        assert!(page.contains("Rongcheng Fire Brigade was added."), "{page}");
        assert!(page.contains(&format!("/admin/authorities/{id}")), "the list links to it");
        let audit = sqlx::query("SELECT actor, target_kind, detail FROM audit_log WHERE action = 'authority.create' AND target_id = $1")
            .bind(&id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!((audit.get::<String, _>(0).as_str(), audit.get::<String, _>(1).as_str()), ("demo-admin", "authority"));
        assert!(audit.get::<String, _>(2).contains("rc-fire"));
        let (_, tokens) = text(&app, "/admin/tokens").await;
        assert!(tokens.contains("Rongcheng Fire Brigade"), "a token can now be made for it");

        // Renamed: the code stays.
        let page_path = format!("/admin/authorities/{id}");
        let (status, page) = text(&app, &page_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<code>rc-fire</code>") && page.contains(r#"value="Rongcheng Fire Brigade""#), "{page}");
        let rename = [("name_en", "Rongcheng Fire and Rescue"), ("name_zh", "荣成市消防救援支队")];
        let (status, location, _) = post(&app, &page_path, &rename).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/authorities?done=renamed&code=rc-fire"));
        assert_eq!(
            authority_row(&app, "rc-fire").await,
            Some((id.clone(), "Rongcheng Fire and Rescue".to_string(), "荣成市消防救援支队".to_string()))
        );
        let (_, page) = text(&app, &location).await;
        assert!(page.contains("Rongcheng Fire and Rescue was renamed."), "{page}");
        let detail: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'authority.rename' AND target_id = $1")
            .bind(&id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["from"]["name_en"], "Rongcheng Fire Brigade");
        assert_eq!(detail["to"]["name_en"], "Rongcheng Fire and Rescue");

        // A rename without a name is refused and changes nothing.
        let audits = count(&app, "SELECT COUNT(*) FROM audit_log").await;
        let (status, _, page) = post(&app, &page_path, &[("name_en", "  "), ("name_zh", "荣成")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let at = page.find(r#"id="name_en-error""#).expect(&page);
        assert!(page[at..].contains("Name in English must be filled in."), "{page}");
        assert_eq!(authority_row(&app, "rc-fire").await.unwrap().1, "Rongcheng Fire and Rescue");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, audits);

        // Unknown ids are not found.
        let unknown = format!("/admin/authorities/{}", uuid::Uuid::now_v7());
        assert_eq!(text(&app, &unknown).await.0, StatusCode::NOT_FOUND);
        assert_eq!(post(&app, &unknown, &rename).await.0, StatusCode::NOT_FOUND);
        assert_eq!(text(&app, "/admin/authorities/banana").await.0, StatusCode::NOT_FOUND);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, audits);
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_or_malformed_authority_code_is_refused_and_changes_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let state = ["SELECT COUNT(*) FROM authorities", "SELECT COUNT(*) FROM audit_log"];
        let before = counts(&app, &state).await;
        let cases = [
            ("rc-traffic", "code", "The code rc-traffic is already used."),
            ("RC Fire", "code", "The code must be 1 to 64 small letters, digits or “-”."),
            ("-fire", "code", "The code must be 1 to 64 small letters, digits or “-”."),
            ("", "code", "The code must be 1 to 64 small letters, digits or “-”."),
        ];
        for (code, field, message) in cases {
            let form = [("code", code), ("name_en", "Fire Brigade"), ("name_zh", "消防大队")];
            let (status, _, page) = post(&app, "/admin/authorities", &form).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {code:?}", app.label);
            let at =
                page.find(&format!(r#"id="{field}-error""#)).unwrap_or_else(|| panic!("{code:?}: {page}"));
            assert!(page[at..].contains(message), "{code:?}: {page}");
            assert!(page.contains(r#"value="Fire Brigade""#), "what was typed is kept");
            assert_eq!(counts(&app, &state).await, before, "{}: {code:?} changed something", app.label);
        }
        let (status, _, page) =
            post(&app, "/admin/authorities", &[("code", "fire"), ("name_en", ""), ("name_zh", "")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("Name in English must be filled in.")
                && page.contains("Name in Chinese must be filled in."),
            "{page}"
        );
        let long = "x".repeat(201);
        let (status, _, page) =
            post(&app, "/admin/authorities", &[("code", "fire"), ("name_en", &long), ("name_zh", "消防")])
                .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Name in English is too long: 201 characters, at most 200."), "{page}");
        assert_eq!(counts(&app, &state).await, before);
        assert!(authority_row(&app, "fire").await.is_none());
    })
    .await;
}

async fn body_authority(app: &TestApp, code: &str) -> Option<Option<String>> {
    sqlx::query("SELECT authority_id FROM review_bodies WHERE code = $1")
        .bind(code)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
        .map(|r| r.get(0))
}

#[tokio::test]
async fn a_review_body_is_added_independent_or_belonging_to_an_authority() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let traffic = id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await;
        let (status, page) = text(&app, "/admin/review-bodies").await;
        assert_eq!(status, StatusCode::OK);
        let reviewer: String = id_of(&app, "SELECT display_name FROM accounts WHERE username = 'demo-reviewer'").await;
        assert!(page.contains("rc-review-board") && page.contains(&reviewer), "the bodies with their reviewers: {page}");

        let form = [("code", "rc-ombudsman"), ("name_en", "Rongcheng Ombudsman"), ("name_zh", "荣成市监察专员"), ("authority_id", "")];
        let (status, location, _) = post(&app, "/admin/review-bodies", &form).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/review-bodies?done=created&code=rc-ombudsman"));
        assert_eq!(body_authority(&app, "rc-ombudsman").await, Some(None), "independent");
        let (_, page) = text(&app, &location).await;
        assert!(page.contains("Rongcheng Ombudsman was added."), "{page}");

        let form = [("code", "rc-traffic-appeals"), ("name_en", "Traffic Police Appeals Office"), ("name_zh", "交警大队申诉办公室"), ("authority_id", &traffic)];
        let (status, location, _) = post(&app, "/admin/review-bodies", &form).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/review-bodies?done=created&code=rc-traffic-appeals"));
        assert_eq!(body_authority(&app, "rc-traffic-appeals").await, Some(Some(traffic.clone())), "the traffic police's own");
        let (_, page) = text(&app, "/admin/review-bodies").await;
        let row = &page[page.find("<code>rc-traffic-appeals</code>").expect(&page)..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("Rongcheng Traffic Police") && row.contains("No reviewers yet"), "{row}");
        let (_, accounts) = text(&app, "/admin/accounts").await;
        assert!(accounts.contains("Traffic Police Appeals Office"), "a reviewer can now be given to it");

        let audit = sqlx::query("SELECT actor, target_kind, detail FROM audit_log WHERE action = 'review_body.create' ORDER BY at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(audit.len(), 2);
        assert!(audit.iter().all(|r| r.get::<String, _>(0) == "demo-admin" && r.get::<String, _>(1) == "review_body"));
        let detail: serde_json::Value = serde_json::from_str(&audit[1].get::<String, _>(2)).unwrap();
        assert_eq!((detail["code"].as_str(), detail["authority"].as_str()), (Some("rc-traffic-appeals"), Some(traffic.as_str())));
    })
    .await;
}

#[tokio::test]
async fn a_review_body_with_a_taken_code_or_an_unknown_authority_is_refused_and_changes_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        let traffic = id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await;
        let state = ["SELECT COUNT(*) FROM review_bodies", "SELECT COUNT(*) FROM audit_log"];
        let before = counts(&app, &state).await;
        let stranger = uuid::Uuid::now_v7().to_string();
        let cases = [
            ("rc-review-board", traffic.as_str(), "code", "The code rc-review-board is already used."),
            (
                "rc-new-board",
                stranger.as_str(),
                "authority_id",
                "Choose an authority from the list, or none.",
            ),
            ("rc-new-board", "banana", "authority_id", "Choose an authority from the list, or none."),
            ("RC new", "", "code", "The code must be 1 to 64 small letters, digits or “-”."),
        ];
        for (code, authority, field, message) in cases {
            let form = [
                ("code", code),
                ("name_en", "New board"),
                ("name_zh", "新委员会"),
                ("authority_id", authority),
            ];
            let (status, _, page) = post(&app, "/admin/review-bodies", &form).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {code} {authority}", app.label);
            let at = page.find(&format!(r#"id="{field}-error""#)).unwrap_or_else(|| panic!("{code}: {page}"));
            assert!(page[at..].contains(message), "{code}: {page}");
            assert_eq!(
                counts(&app, &state).await,
                before,
                "{}: {code} {authority} changed something",
                app.label
            );
        }
        assert_eq!(body_authority(&app, "rc-new-board").await, None);
    })
    .await;
}

#[tokio::test]
async fn a_non_administrator_gets_not_found_and_changes_nothing() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let traffic = id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await;
        for (username, password) in
            [("demo-subject", "wang-fang-demo-2026"), ("demo-recorder", "traffic-demo-2026")]
        {
            let app = app.another_visitor();
            sign_in(&app, username, password).await;
            let before = (
                scheme_state(&app).await,
                count(&app, "SELECT COUNT(*) FROM authorities").await,
                count(&app, "SELECT COUNT(*) FROM review_bodies").await,
            );
            let authority_page = format!("/admin/authorities/{traffic}");
            for path in [SETTINGS, "/admin/authorities", authority_page.as_str(), "/admin/review-bodies"] {
                let (status, page) = text(&app, path).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{username}: GET {path}");
                assert!(page.contains("Page not found"), "{username}: {path} looks like any 404");
            }
            let settings: Vec<(String, String)> = settings_form(&[("Z", "")], "keeps_counting", "9");
            assert_eq!(post_settings(&app, &settings).await.0, StatusCode::NOT_FOUND, "{username}");
            let body = [("code", "sneaky"), ("name_en", "Sneaky"), ("name_zh", "偷偷"), ("authority_id", "")];
            assert_eq!(
                post(&app, "/admin/authorities", &body[..3]).await.0,
                StatusCode::NOT_FOUND,
                "{username}"
            );
            assert_eq!(post(&app, &authority_page, &body[1..3]).await.0, StatusCode::NOT_FOUND, "{username}");
            assert_eq!(
                post(&app, "/admin/review-bodies", &body).await.0,
                StatusCode::NOT_FOUND,
                "{username}"
            );
            let after = (
                scheme_state(&app).await,
                count(&app, "SELECT COUNT(*) FROM authorities").await,
                count(&app, "SELECT COUNT(*) FROM review_bodies").await,
            );
            assert_eq!(after, before, "{}: {username} changed something", app.label);
            assert_eq!(authority_row(&app, "rc-traffic").await.unwrap().1, "Rongcheng Traffic Police");
        }
    })
    .await;
}

#[tokio::test]
async fn the_settings_page_loads_the_stored_scheme_and_what_a_save_rescored() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let state = AppState::new(app.db.clone(), Config::default());
        let page = SettingsPage::load(&state, "rongcheng", Some(7)).await.unwrap();
        assert_eq!(page.scheme.scheme().code(), "rongcheng");
        assert_eq!(page.rescored, Some(7));
        assert!(page.problems.is_empty());
        assert!(matches!(SettingsPage::load(&state, "nowhere", None).await, Err(AppError::NotFound)));
        let authorities = AuthoritiesPage::load(&state, None).await.unwrap();
        assert!(authorities.authorities.iter().any(|a| a.code == "rc-traffic"), "the demo's authorities");
        assert!(authorities.problems.is_empty() && authorities.done.is_none());
    })
    .await;
}

#[tokio::test]
async fn a_grade_gets_its_chinese_name_and_every_page_in_chinese_shows_it() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in_admin(&app).await;
        // Too long: refused beside its field, nothing changes.
        let before = scheme_state(&app).await;
        let mut form = settings_form(&DEMO_BANDS, "suspended_while_disputed", "30");
        form.push(("band_grade_zh_0".into(), "优".repeat(33)));
        let (status, _, page) = post_settings(&app, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        let at = page.find(r#"id="band_grade_zh_0-error""#).expect(&page);
        assert!(page[at..].contains("at most 32 characters"), "{page}");
        assert_eq!(scheme_state(&app).await, before, "{}: nothing changed", app.label);

        let mut form = settings_form(&DEMO_BANDS, "suspended_while_disputed", "30");
        form.push(("band_grade_zh_5".into(), "D级（失信）".into()));
        let (status, _, _) = post_settings(&app, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let stored: Option<String> = sqlx::query(
            "SELECT b.grade_zh FROM scheme_bands b JOIN schemes s ON s.id = b.scheme_id \
                         WHERE s.code = 'rongcheng' AND b.grade = 'D'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(stored.as_deref(), Some("D级（失信）"));
        let (_, settings) = text(&app, SETTINGS).await;
        assert!(settings.contains(r#"value="D级（失信）""#), "the form shows it back: {settings}");
        let zh = app.client.get(app.url("/rules/rongcheng")).header("accept-language", "zh-CN");
        let zh = zh.send().await.unwrap().text().await.unwrap();
        assert!(zh.contains(">D级（失信）<"), "{}: the bands table names it in Chinese: {zh}", app.label);
        let (_, en) = text(&app, "/rules/rongcheng").await;
        assert!(!en.contains("D级") && en.contains(">D<"), "and in English by its code: {en}");
    })
    .await;
}
