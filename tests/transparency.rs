//! Public accountability over HTTP on both databases, signed out: the transparency report and its
//! downloads agree with the appeals the database holds; catalogues side by side; a new rule
//! version ends the one before it; a repealed rule stays listed with when and why.

mod common;

use chrono::Utc;
use common::{count, for_each_database, id_of, post, sign_in, text, TestApp};
use recourse::store::{audit::Actor, repeal};
use reqwest::StatusCode;

async fn seeded(app: &TestApp) {
    recourse::demo::seed_with_history(&app.db, Utc::now()).await.expect("demo data seeds");
}

async fn page(app: &TestApp, path: &str, lang: &str) -> (StatusCode, String) {
    let response = app.get_with(path, &[("accept-language", lang)]).await;
    (response.status(), response.text().await.unwrap())
}

/// A count as the report publishes it.
fn published(n: i64) -> serde_json::Value {
    if (1..5).contains(&n) {
        serde_json::json!("<5")
    } else {
        serde_json::json!(n)
    }
}

#[tokio::test]
async fn the_report_is_public_in_both_languages_and_its_figures_agree_with_the_appeals_held() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/transparency", "en").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(body.contains("Transparency report") && body.contains("Overturn rate"), "{body}");
        assert!(body.contains(r#"href="/transparency.csv?from="#) && body.contains("<svg"));
        let (status, zh) = page(&app, "/transparency", "zh-CN").await;
        assert_eq!(status, StatusCode::OK);
        assert!(zh.contains("透明度报告") && zh.contains("推翻率"));
        let (_, home) = page(&app, "/", "en").await;
        assert!(home.contains(r#"href="/transparency""#), "linked from the home page");

        let response = app.get("/transparency.json").await;
        assert_eq!(response.status(), StatusCode::OK);
        let report: serde_json::Value = response.json().await.unwrap();
        let from = report["period"]["from"].as_str().unwrap().to_string();
        let start = recourse::store::to_micros(
            chrono::NaiveDate::parse_from_str(&format!("{from}-01"), "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
        );
        let filed = count(
            &app,
            &format!("SELECT COUNT(*) FROM appeals WHERE target_kind <> 'rule' AND filed_at >= {start}"),
        )
        .await;
        assert!(filed >= 25, "the demo files enough appeals to read as real: {filed}");
        assert_eq!(report["appeals"]["filed"], published(filed), "{}", app.label);
        let decided =
            count(&app, &format!("SELECT COUNT(*) FROM appeal_decisions WHERE decided_at >= {start}")).await;
        let outcomes: i64 = report["appeals"]["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["decisions"].as_i64().unwrap_or(0))
            .sum();
        assert!(outcomes <= decided && outcomes > decided / 2, "outcomes {outcomes} of {decided}");
        for outcome in ["upheld", "partly_upheld", "rejected"] {
            assert!(body.contains(&format!("Level 1 · {}", outcome.replace('_', " "))), "{outcome} shown");
        }
        let overdue = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM appeals WHERE status = 'open' AND due_at < {}",
                recourse::store::to_micros(Utc::now())
            ),
        )
        .await;
        assert!(overdue >= 5, "the demo leaves appeals overdue");
        assert_eq!(report["appeals"]["overdue_now"], published(overdue));
        assert!(report["appeals"]["second_level_requested"] != serde_json::json!(0));
        let body_decisions =
            count(&app, &format!("SELECT COUNT(*) FROM appeal_decisions WHERE decided_at >= {start}")).await;
        let by_body: i64 = report["overturn_by_review_body"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["rate"]["decided"].as_i64().unwrap_or(0))
            .sum();
        assert!(by_body <= body_decisions && by_body > 0);

        let response = app.get("/transparency.csv").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        assert!(csv.starts_with("section,key,month,measure,value\r\n"));
        assert!(
            csv.contains(&format!("appeals,,,filed,{}\r\n", published(filed).to_string().trim_matches('"'))),
            "{csv}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_report_for_one_scheme_counts_only_its_appeals_and_small_counts_are_never_shown() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let report: serde_json::Value = app.get("/transparency.json?scheme=coastal-credit").await.json().await.unwrap();
        assert_eq!(report["scheme"], "coastal-credit");
        let from = report["period"]["from"].as_str().unwrap().to_string();
        let start = recourse::store::to_micros(
            chrono::NaiveDate::parse_from_str(&format!("{from}-01"), "%Y-%m-%d").unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc(),
        );
        let filed = count(
            &app,
            &format!("SELECT COUNT(*) FROM appeals a JOIN schemes s ON s.id = a.scheme_id WHERE s.code = 'coastal-credit' AND a.filed_at >= {start}"),
        )
        .await;
        assert_eq!(report["appeals"]["filed"], published(filed), "{report}");
        let grounds = report["appeals"]["by_grounds"].as_object().unwrap();
        assert!(grounds.values().any(|n| n == "<5"), "a count under five is never published: {report}");
        assert!(grounds.values().all(|n| n == "<5" || n.as_i64().is_some_and(|n| n == 0 || n >= 5)));
        let (_, body) = page(&app, "/transparency?scheme=coastal-credit", "en").await;
        assert!(body.contains("fewer than 5"));
        assert!(!body.contains("Liu Yang"), "the report names no person");
    })
    .await;
}

#[tokio::test]
async fn a_period_or_scheme_the_report_cannot_read_is_refused_naming_the_field() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/transparency?from=2026-13", "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("from: 2026-13 is not a month"), "{body}");
        let (status, body) = page(&app, "/transparency?from=2026-06&to=2026-01", "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("to: the last month comes before the first."), "{body}");
        let (status, body) = page(&app, "/transparency?scheme=atlantis", "en").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("no scheme has the code atlantis"), "{body}");
        let response = app.get("/transparency.json?from=2020-01&to=2026-01").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error: serde_json::Value = response.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().starts_with("to: a report covers at most 36 months"));
    })
    .await;
}

#[tokio::test]
async fn a_rule_page_shows_its_own_appeal_count_and_overturn_rate() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let filed = count(
            &app,
            "SELECT COUNT(*) FROM appeals a JOIN schemes s ON s.id = a.scheme_id \
             WHERE s.code = 'rongcheng' AND a.rule_code = 'TRAFFIC-01' AND a.target_kind = 'event'",
        )
        .await;
        assert!(filed >= 5, "{filed}");
        let (_, body) = page(&app, "/rules/rongcheng/TRAFFIC-01", "en").await;
        assert!(
            body.contains(&format!("<dt>Appeals on records under this rule</dt><dd>{filed}</dd>")),
            "{body}"
        );
        assert!(body.contains("<dt>Overturned at the first level</dt><dd>"));
    })
    .await;
}

#[tokio::test]
async fn catalogues_are_compared_side_by_side_by_behaviour() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/rules/compare?schemes=rongcheng,haibin", "en").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        let row = |behaviour: &str| -> String {
            let start = body.find(&format!(r#"<th scope="row">{behaviour}</th>"#)).unwrap_or_else(|| panic!("{behaviour}: {body}"));
            body[start..start + body[start..].find("</tr>").unwrap()].to_string()
        };
        let jaywalking = row("Jaywalking");
        assert!(jaywalking.contains("Not counted here") && jaywalking.contains("−2 points"), "{jaywalking}");
        let volunteering = row("Volunteering");
        assert!(volunteering.contains("VOLUNTEER-01") && volunteering.contains("Not counted here"), "{volunteering}");
        let traffic = row("Traffic offence");
        assert!(traffic.contains("−3 points") && traffic.contains("−10 points"), "{traffic}");
        assert!(!body.contains(r#"<th scope="col">Coastal component credit score</th>"#), "only the schemes asked for");
        assert!(body.contains("Haibin civic credit points</th>"), "{body}");

        let (_, all) = page(&app, "/rules/compare", "zh-CN").await;
        assert!(all.contains("滨海分项信用分") && all.contains("海滨市文明信用积分") && all.contains("本方案不计"));
        let (_, rules) = page(&app, "/rules", "en").await;
        assert!(rules.contains(r#"href="/rules/compare""#));
        let (_, scheme) = page(&app, "/rules/haibin", "en").await;
        assert!(scheme.contains(r#"href="/rules/compare?schemes=haibin""#) && scheme.contains("Jaywalking"));

        let (status, body) = page(&app, "/rules/compare?schemes=rongcheng,atlantis", "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("Schemes: no scheme has the code atlantis."), "{body}");
        let enrolled = count(
            &app,
            "SELECT COUNT(*) FROM scheme_memberships a JOIN scheme_memberships b ON a.subject_id = b.subject_id \
             JOIN schemes x ON x.id = a.scheme_id JOIN schemes y ON y.id = b.scheme_id \
             WHERE x.code = 'rongcheng' AND y.code = 'haibin'",
        )
        .await;
        assert_eq!(enrolled, 40, "subjects enrolled in both cities");
    })
    .await;
}

#[tokio::test]
async fn publishing_a_new_version_ends_the_one_before_it_and_a_repealed_rule_stays_listed_with_its_reason() {
    for_each_database(|app| async move {
        seeded(&app).await;
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let tomorrow = (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
        let form = [
            ("rule_code", "HB-BLOOD-01"),
            ("title_en", "Blood donation"),
            ("title_zh", "献血"),
            ("description_en", "A voluntary blood donation recorded by the blood centre."),
            ("description_zh", "经血站记录的无偿献血。"),
            ("legal_basis", "Haibin Civic Credit Points Measures (2026), art. 9"),
            ("legal_basis_zh", "《海滨市文明信用积分办法》（2026年）第九条"),
            ("category", "blood_donation"),
            ("points_default", "8"),
            ("points_min", "8"),
            ("points_max", "8"),
            ("validity_count", "12"),
            ("validity_unit", "months"),
            ("effective_from", tomorrow.as_str()),
        ];
        let (status, location, _) = post(&app, "/admin/schemes/haibin/rules", &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let version =
            location.trim_start_matches("/admin/rule-versions/").trim_end_matches("?done=draft").to_string();
        let (status, _, _) =
            post(&app, &format!("/admin/rule-versions/{version}/publish"), &[("publish_from", &tomorrow)])
                .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let ends = id_of(
            &app,
            "SELECT CAST(v.effective_to AS TEXT) FROM rule_versions v JOIN schemes s ON s.id = v.scheme_id \
             WHERE s.code = 'haibin' AND v.rule_code = 'HB-BLOOD-01' AND v.version = 1",
        )
        .await;
        let starts = id_of(
            &app,
            "SELECT CAST(v.effective_from AS TEXT) FROM rule_versions v JOIN schemes s ON s.id = v.scheme_id \
             WHERE s.code = 'haibin' AND v.rule_code = 'HB-BLOOD-01' AND v.version = 2",
        )
        .await;
        assert_eq!(ends, starts, "version 1 ends where version 2 begins");
        let (_, body) = text(&app, "/rules/haibin/HB-BLOOD-01").await;
        let first = &body[body.find("<h3>Version 1</h3>").unwrap()..];
        let first = &first[..first.find("</p>").unwrap()];
        assert!(
            !first.contains("no end date") && first.contains("In force from 1 January 2021 to "),
            "{first}"
        );

        let reason = "Blood donation is a gift, not a credit matter.";
        let scheme = recourse::domain::SchemeId::parse(
            &id_of(&app, "SELECT id FROM schemes WHERE code = 'haibin'").await,
        )
        .unwrap();
        let mut tx = app.db.begin_write().await.unwrap();
        let code = recourse::domain::RuleCode::parse("HB-BLOOD-01").unwrap();
        repeal::repeal_rule(&mut tx, scheme, &code, reason, &Actor::cli("test"), Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        let (_, body) = page(&app, "/rules/haibin", "en").await;
        let repealed = &body[body.find("Repealed rules").expect("a Repealed section")..];
        assert!(repealed.contains("HB-BLOOD-01") && repealed.contains(reason), "{repealed}");
        let (_, rule) = page(&app, "/rules/haibin/HB-BLOOD-01", "zh-CN").await;
        assert!(rule.contains("废止") && rule.contains(reason), "{rule}");
        let report: serde_json::Value = app.get("/transparency.json").await.json().await.unwrap();
        assert!(report["repeals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "HB-BLOOD-01" && r["reason"] == reason));
    })
    .await;
}
