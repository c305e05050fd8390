//! The public rule catalogue over HTTP, without signing in, on both databases.

mod common;

use chrono::Utc;
use common::{for_each_database, TestApp};
use reqwest::StatusCode;

async fn seeded(app: &TestApp) {
    recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data seeds");
}

async fn page(app: &TestApp, path: &str, lang: &str) -> (StatusCode, String) {
    let response = app.get_with(path, &[("accept-language", lang)]).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn anyone_can_read_every_scheme_and_the_restrictions_a_listing_can_impose() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/rules", "en").await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(
            body.contains(r#"href="/rules/rongcheng""#) && body.contains(r#"href="/rules/coastal-credit""#)
        );
        assert!(body.contains("Buying plane tickets") && body.contains("Taking out loans"));
        let (_, zh) = page(&app, "/rules", "zh-CN").await;
        assert!(zh.contains("荣成社会信用积分") && zh.contains("购买飞机票"));
    })
    .await;
}

#[tokio::test]
async fn a_scheme_page_shows_its_grade_bands_with_both_limits_and_the_rules_in_force() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/rules/rongcheng", "en").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains(r#"<th scope="row">AA</th><td class="num">1030</td><td class="num">1049</td>"#),
            "{body}"
        );
        assert!(body.contains(r#"<th scope="row">D</th><td class="num">—</td><td class="num">599</td>"#));
        assert!(body.contains("Everyone starts at 1000 points"));
        assert!(body.contains(r#"href="/rules/rongcheng/COURT-01""#) && body.contains("−100 points"));
        assert!(body.contains("Rongcheng Social Credit Management Measures (2021), art. 12"));

        let (_, weighted) = page(&app, "/rules/coastal-credit", "en").await;
        assert!(weighted.contains("From 350 to 950"));
        assert!(
            weighted.contains(r#"<th scope="row">Payment history</th><td class="num">35%</td>"#),
            "{weighted}"
        );
        assert!(weighted.contains("Payment history: −20 to −5 points (usually −10)"));
    })
    .await;
}

#[tokio::test]
async fn a_rule_page_shows_every_version_and_what_changed_between_them() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let (status, body) = page(&app, "/rules/rongcheng/TRAFFIC-01", "en").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<h1>TRAFFIC-01 · Traffic violation</h1>"));
        assert!(body.contains("Version 1") && body.contains("Version 2"));
        assert!(body.contains("<del>−5 points</del> → <ins>−3 points</ins>"), "{body}");
        assert!(body.contains("(2023 revision)"));
        let (_, zh) = page(&app, "/rules/rongcheng/traffic-01", "zh-CN").await;
        assert!(zh.contains("<del>−5分</del> → <ins>−3分</ins>"), "codes are case-insensitive; {zh}");
    })
    .await;
}

#[tokio::test]
async fn unknown_schemes_and_rules_answer_404() {
    for_each_database(|app| async move {
        seeded(&app).await;
        for path in [
            "/rules/nowhere",
            "/rules/rongcheng/NO-SUCH-RULE",
            "/rules/rongcheng/%3Cscript%3E",
            "/rules/a/b/c",
        ] {
            let (status, body) = page(&app, path, "en").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(body.contains("Page not found"), "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_database_that_cannot_be_used_shows_the_503_page_in_the_persons_language_and_no_detail() {
    for_each_database(|app| async move {
        app.db.close().await;
        let (status, body) = page(&app, "/rules", "zh-CN").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}", app.label);
        assert!(body.contains("暂时无法连接数据库") && body.contains("没有作出任何更改"), "{body}");
        assert!(!body.to_lowercase().contains("pool") && !body.contains("sqlx"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_rule_pages_view_model_holds_its_published_versions_and_the_one_in_force_at_the_instant_asked() {
    use chrono::Duration;
    use recourse::{
        error::AppError,
        http::{AppState, Config},
        pages::public::catalogue::RulePage,
    };
    for_each_database(|app| async move {
        seeded(&app).await;
        let state = AppState::new(app.db.clone(), Config::default());
        let now = Utc::now();
        let page = RulePage::load(&state, "rongcheng", "traffic-01", now).await.unwrap();
        let versions: Vec<u32> = page.published.iter().map(|v| v.version()).collect();
        assert_eq!(versions, [1, 2], "{}: published versions, oldest first", app.label);
        assert_eq!(page.in_force.as_ref().map(|v| v.version()), Some(2), "{}", app.label);

        let before = page.published[1].effective_from() - Duration::days(1);
        let then = RulePage::load(&state, "rongcheng", "TRAFFIC-01", before).await.unwrap();
        assert_eq!(then.in_force.map(|v| v.version()), Some(1), "{}: the day before version 2", app.label);

        let unknown = RulePage::load(&state, "rongcheng", "NO-SUCH-RULE", now).await;
        assert!(matches!(unknown, Err(AppError::NotFound)), "{}", app.label);
    })
    .await;
}

/// The ETag of an answer, and its status and body when sent with `If-None-Match: tag`.
async fn revalidate(app: &TestApp, path: &str, tag: &str) -> (StatusCode, String) {
    let response = app.get_with(path, &[("accept-language", "en"), ("if-none-match", tag)]).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn public_pages_answer_304_until_the_catalogue_changes_and_then_show_the_change() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let path = "/rules/rongcheng/TRAFFIC-01";
        let first = app.get_with(path, &[("accept-language", "en")]).await;
        assert_eq!(first.status(), StatusCode::OK, "{}", app.label);
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(first.headers()["cache-control"], "no-cache", "the browser asks again before showing it");
        assert!(first.headers()["vary"].to_str().unwrap().contains("accept-language"));
        let body = first.text().await.unwrap();
        assert!(body.contains("Rongcheng Traffic Police"), "{body}");

        let (status, empty) = revalidate(&app, path, &tag).await;
        assert_eq!((status, empty.as_str()), (StatusCode::NOT_MODIFIED, ""), "{}", app.label);
        let not_modified = app.get_with(path, &[("accept-language", "en"), ("if-none-match", &tag)]).await;
        assert_eq!(
            not_modified.headers()["vary"],
            "cookie, accept-language",
            "a 304 varies as its page does"
        );
        assert_eq!(not_modified.headers()["etag"].to_str().unwrap(), tag);
        let (status, _) = revalidate(&app, path, "\"0-stale\"").await;
        assert_eq!(status, StatusCode::OK, "another copy gets the page");
        let zh = app.get_with(path, &[("accept-language", "zh-CN")]).await;
        assert_ne!(zh.headers()["etag"].to_str().unwrap(), tag, "each language is its own page");

        // An administrator renames the authority that may record the rule: the next answer has it.
        let admin = app.another_visitor();
        common::sign_in(&admin, "demo-admin", "admin-demo-2026").await;
        let authority = common::id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await;
        let (status, _, _) = common::post(
            &admin,
            &format!("/admin/authorities/{authority}"),
            &[("name_en", "Rongcheng Road Safety Bureau"), ("name_zh", "荣成市道路安全局")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let (status, renamed) = revalidate(&app, path, &tag).await;
        assert_eq!(status, StatusCode::OK, "{}: the old copy no longer holds", app.label);
        assert!(
            renamed.contains("Rongcheng Road Safety Bureau") && !renamed.contains("Rongcheng Traffic Police")
        );

        // Signed-in people see their own header, never the page kept for everyone else.
        let for_admin = admin.get(path).await.text().await.unwrap();
        assert!(for_admin.contains("/sign-out"), "the administrator's header: {for_admin}");
        let (_, anonymous) = page(&app, path, "en").await;
        assert!(!anonymous.contains("/sign-out"), "nobody else gets the administrator's header");
    })
    .await;
}

/// Every header of an answer but those that differ between any two answers.
fn lasting_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn a_kept_public_page_is_answered_as_it_was_rendered_and_only_to_whom_it_was_kept_for() {
    for_each_database(|app| async move {
        seeded(&app).await;
        let path = "/rules/rongcheng";
        let english = [("accept-language", "en")];
        let rendered = app.get_with(path, &english).await;
        let kept = app.get_with(path, &english).await;
        assert_eq!((rendered.status(), kept.status()), (StatusCode::OK, StatusCode::OK), "{}", app.label);
        let headers = lasting_headers(&rendered);
        assert_eq!(
            lasting_headers(&kept),
            headers,
            "{}: the kept page says what its rendering said",
            app.label
        );
        for name in ["etag", "content-security-policy", "x-content-type-options"] {
            assert!(headers.iter().any(|(n, _)| n == name), "{}: {name} in {headers:?}", app.label);
        }
        let varies = headers.iter().filter(|(n, v)| n == "vary" && v == "cookie, accept-language").count();
        assert_eq!(varies, 1, "{}: said once: {headers:?}", app.label);
        let body = rendered.text().await.unwrap();
        assert_eq!(kept.text().await.unwrap(), body, "{}", app.label);
        assert!(body.contains("Everyone starts at 1000 points"), "{body}");

        // The language cookie, with no session, picks the page kept for that language.
        let chinese = [("accept-language", "en"), ("cookie", "lang=zh-CN")];
        for _ in 0..2 {
            let zh = app.get_with(path, &chinese).await;
            assert_ne!(zh.headers()["etag"].to_str().unwrap(), headers_value(&headers, "etag"));
            let zh = zh.text().await.unwrap();
            assert!(zh.contains("荣成") && !zh.contains("Everyone starts at 1000 points"), "{zh}");
        }

        // A session cookie that speaks for nobody is answered as anyone is, the usual way.
        let stale =
            app.get_with(path, &[("accept-language", "en"), ("cookie", "recourse=no-such-session")]).await;
        assert_eq!(stale.text().await.unwrap(), body, "{}", app.label);

        // With the database gone, the kept page is not answered from memory: nothing says the
        // catalogue has not changed since.
        app.db.close().await;
        let (status, unavailable) = page(&app, path, "en").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}: {unavailable}", app.label);
    })
    .await;
}

fn headers_value<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}
