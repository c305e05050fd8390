//! The foundation over HTTP: health, languages, error pages, headers, assets.

mod common;

use common::for_each_database;
use reqwest::StatusCode;

#[tokio::test]
async fn health_check_answers_ok_while_the_database_answers_and_503_when_it_does_not() {
    for_each_database(|app| async move {
        let ok = app.get("/healthz").await;
        assert_eq!(ok.status(), StatusCode::OK, "{}", app.label);
        app.db.close().await;
        let down = app.get("/healthz").await;
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", app.label);
    })
    .await;
}

#[tokio::test]
async fn home_page_speaks_english_by_default_and_chinese_when_asked() {
    for_each_database(|app| async move {
        let en = app.get("/").await.text().await.unwrap();
        assert!(en.contains(r#"<html lang="en">"#), "{en}");
        assert!(en.contains("See why you were scored, and contest it"));
        assert!(en.contains(r#"<main id="main""#));
        assert!(en.contains(r#"href="/rules""#), "home links to the rule catalogue");

        let zh = app.get_with("/", &[("accept-language", "zh-CN,zh;q=0.9")]).await.text().await.unwrap();
        assert!(zh.contains(r#"<html lang="zh-CN">"#), "{zh}");
        assert!(zh.contains("了解您为何被评分，并提出申辩"));
    })
    .await;
}

#[tokio::test]
async fn language_switch_sets_a_cookie_that_wins_over_accept_language() {
    for_each_database(|app| async move {
        let switched = app.get("/language/zh-CN?next=%2Fsign-in").await;
        assert_eq!(switched.status(), StatusCode::SEE_OTHER);
        assert_eq!(switched.headers()["location"], "/sign-in");
        let cookie = switched.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("lang=zh-CN") && cookie.contains("HttpOnly"), "{cookie}");

        let page = app.get_with("/", &[("accept-language", "en")]).await.text().await.unwrap();
        assert!(page.contains(r#"<html lang="zh-CN">"#), "the cookie wins over Accept-Language");
    })
    .await;
}

#[tokio::test]
async fn language_switch_never_redirects_off_site_and_refuses_unknown_languages() {
    for_each_database(|app| async move {
        for next in ["%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil.example"] {
            let response = app.get(&format!("/language/en?next={next}")).await;
            assert_eq!(response.headers()["location"], "/", "next={next}");
        }
        assert_eq!(app.get("/language/xx").await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_answer_a_404_page_in_the_persons_language() {
    for_each_database(|app| async move {
        let en = app.get("/no/such/page").await;
        assert_eq!(en.status(), StatusCode::NOT_FOUND);
        assert!(en.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(en.text().await.unwrap().contains("Page not found"));

        let zh = app.get_with("/no/such/page", &[("accept-language", "zh-CN")]).await;
        assert_eq!(zh.status(), StatusCode::NOT_FOUND);
        assert!(zh.text().await.unwrap().contains("页面不存在"));

        let post = app.client.post(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(post.status(), StatusCode::NOT_FOUND, "other methods get the 404 page too");
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    for_each_database(|app| async move {
        for path in ["/", "/no/such/page", "/healthz", "/favicon.svg"] {
            let response = app.get(path).await;
            let h = response.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["referrer-policy"], "same-origin", "{path}");
            assert_eq!(h["x-request-id"].len(), 36, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn static_files_are_served_with_caching_headers_and_compressed() {
    for_each_database(|app| async move {
        let home = app.get("/").await.text().await.unwrap();
        let start = home.find("/style/recourse.css?v=").expect("stylesheet link");
        let href = &home[start..home[start..].find('"').unwrap() + start];
        let css = app.get_with(href, &[("accept-encoding", "gzip")]).await;
        assert_eq!(css.status(), StatusCode::OK);
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(css.headers()["content-encoding"], "gzip");
        let etag = css.headers()["etag"].to_str().unwrap().to_string();
        let again = app.get_with(href, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        let icon = app.get("/favicon.svg").await;
        assert_eq!(icon.status(), StatusCode::OK);
        assert_eq!(icon.headers()["cache-control"], "public, max-age=86400");
        assert!(app.get("/nope.svg").await.headers().get("cache-control").is_none());
    })
    .await;
}
