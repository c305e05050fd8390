//! Signing in and out, sessions, cross-site posts and bad input, over HTTP on both databases, as
//! a person would meet them and as an attacker would try them.

mod auth_support;
mod common;

use std::time::Duration;

use auth_support::{
    bare_client, client, is_signed_in, person, post, session_cookie, session_set_cookie, sign_in,
    sign_in_with, spawn_with, PASSWORD,
};
use common::for_each_database;
use recourse::{
    http::Config,
    store::{accounts::Role, sessions},
};
use reqwest::{header, StatusCode};

#[tokio::test]
async fn signing_in_with_the_right_password_leads_on_and_shows_who_is_signed_in() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let c = client();
        let form = c.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        assert!(
            form.contains(r#"autocomplete="username""#)
                && form.contains(r#"autocomplete="current-password""#)
        );
        assert!(form.contains(r#"<label for="username">"#) && form.contains(r#"<label for="password">"#));

        let response = sign_in_with(&app, &c, "Wang.Fang", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(response.headers()[header::LOCATION], "/record", "a subject lands on their record");
        let me = c.get(app.url("/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(me.headers()[header::CACHE_CONTROL], "no-store", "signed-in pages are not cached");
        let page = me.text().await.unwrap();
        assert!(page.contains(&wang.display_name) && page.contains("Subject"), "{page}");
        assert!(page.contains(&format!("Signed in as {}", wang.display_name)), "the header says who");
        assert!(page.contains(r#"action="/sign-out""#), "the header has a sign-out button");
        assert!(!page.contains(r#"href="/sign-in""#), "no sign-in link once signed in");

        let again = c.get(app.url("/sign-in?next=%2Frules")).send().await.unwrap();
        assert_eq!(again.headers()[header::LOCATION], "/rules", "a signed-in person goes straight on");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_name_and_a_wrong_password_get_the_same_answer() {
    for_each_database(|app| async move {
        person(&app.db, "wang.fang", Role::Subject).await;
        let wrong = sign_in_with(&app, &client(), "wang.fang", "not the password at all").await;
        let unknown = sign_in_with(&app, &client(), "nobody.here", "not the password at all").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{}", app.label);
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        assert!(
            session_cookie(&wrong).is_none() && session_cookie(&unknown).is_none(),
            "no session on failure"
        );
        let wrong = wrong.text().await.unwrap();
        let unknown = unknown.text().await.unwrap();
        let message = "The sign-in name or the password is not right.";
        assert!(wrong.contains(message) && unknown.contains(message), "{wrong}");
        assert_eq!(
            wrong.replace("wang.fang", "X"),
            unknown.replace("nobody.here", "X"),
            "the pages differ only by the name typed"
        );
        assert!(!wrong.contains("not the password at all"), "the password is never shown back");
        assert!(wrong.contains(r#"value="wang.fang""#), "the name is kept");

        let zh = app
            .client
            .post(app.url("/sign-in"))
            .header(header::ORIGIN, &app.address)
            .header(header::ACCEPT_LANGUAGE, "zh-CN")
            .form(&[("username", "wang.fang"), ("password", "not the password at all")])
            .send()
            .await
            .unwrap();
        assert!(zh.text().await.unwrap().contains("登录名或密码不正确"));
    })
    .await;
}

#[tokio::test]
async fn next_leads_only_to_local_paths() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        for (next, expected) in [
            ("/rules?x=1", "/rules?x=1"),
            ("/me", "/me"),
            ("//evil.example/", "/record"),
            ("https://evil.example/", "/record"),
            ("/\\evil.example", "/record"),
            ("", "/record"),
        ] {
            let c = client();
            let response = post(
                &app,
                &c,
                "/sign-in",
                &[("username", &wang.username), ("password", PASSWORD), ("next", next)],
            )
            .await;
            assert_eq!(response.headers()[header::LOCATION], expected, "{}: next={next:?}", app.label);
        }
        let page = client()
            .get(app.url("/sign-in?next=%2F%2Fevil.example"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains(r#"value="//evil.example""#), "a foreign next is not even put in the form");
        let page = client().get(app.url("/sign-in?next=%2Fme")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"name="next" value="/me""#), "{page}");
    })
    .await;
}

#[tokio::test]
async fn each_role_lands_on_its_work_after_sign_in_unless_next_says_otherwise() {
    for_each_database(|app| async move {
        for (name, role, landing) in [
            ("wang.fang", Role::Subject, "/record"),
            ("li.recorder", Role::Recorder, "/recording"),
            ("zhao.reviewer", Role::Reviewer, "/review"),
            ("chen.admin", Role::Administrator, "/admin"),
        ] {
            let who = person(&app.db, name, role).await;
            let c = client();
            let response = sign_in_with(&app, &c, &who.username, PASSWORD).await;
            assert_eq!(response.headers()[header::LOCATION], landing, "{}: {name}", app.label);
            let first = c.get(app.url(landing)).send().await.unwrap();
            assert_eq!(first.status(), StatusCode::OK, "{}: {name} may open {landing}", app.label);
            let again = c.get(app.url("/sign-in")).send().await.unwrap();
            assert_eq!(again.headers()[header::LOCATION], landing, "signed in already: straight to the work");

            let c = client();
            let response = post(
                &app,
                &c,
                "/sign-in",
                &[("username", &who.username), ("password", PASSWORD), ("next", "/me")],
            )
            .await;
            assert_eq!(response.headers()[header::LOCATION], "/me", "{}: a safe next still wins", app.label);
        }
    })
    .await;
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_so_a_planted_cookie_is_useless() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let li = person(&app.db, "li.na", Role::Subject).await;
        let c = client();
        let first = sign_in_with(&app, &c, &wang.username, PASSWORD).await;
        let first_cookie = session_cookie(&first).expect("a session cookie");
        // Signing in again (as someone else) on the same browser: a new id, the old one ends.
        let second = sign_in_with(&app, &c, &li.username, PASSWORD).await;
        let second_cookie = session_cookie(&second).expect("a new session cookie");
        assert_ne!(first_cookie, second_cookie, "{}", app.label);
        assert!(!is_signed_in(&app, &bare_client(), Some(&first_cookie)).await, "the old id no longer works");
        assert!(is_signed_in(&app, &bare_client(), Some(&second_cookie)).await);

        // A cookie an attacker planted before the victim signs in is not the one that works after.
        let planted = "recourse=AAAAAAAAAAAAAAAAAAAAAA";
        let victim = bare_client()
            .post(app.url("/sign-in"))
            .header(header::ORIGIN, &app.address)
            .header(header::COOKIE, planted)
            .form(&[("username", wang.username.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_ne!(session_cookie(&victim).unwrap(), planted);
        assert!(!is_signed_in(&app, &bare_client(), Some(planted)).await);
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server_so_a_replayed_cookie_is_signed_out() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let c = client();
        let response = sign_in_with(&app, &c, &wang.username, PASSWORD).await;
        let cookie = session_cookie(&response).unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        assert_eq!(sessions::count_of(&mut conn, wang.id, chrono::Utc::now()).await.unwrap(), 1);

        let out = post(&app, &c, "/sign-out", &[]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(out.headers()[header::LOCATION], "/sign-in?signed_out=1");
        let removal = session_set_cookie(&out).expect("the cookie is removed");
        assert!(removal.contains("Max-Age=0") || removal.contains("Expires=Thu, 01 Jan 1970"), "{removal}");
        assert_eq!(sessions::count_of(&mut conn, wang.id, chrono::Utc::now()).await.unwrap(), 0);
        let page = c.get(app.url("/sign-in?signed_out=1")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("You have signed out."));

        assert!(
            !is_signed_in(&app, &bare_client(), Some(&cookie)).await,
            "the replayed cookie is signed out"
        );
    })
    .await;
}

#[tokio::test]
async fn cookies_are_http_only_same_site_and_host_prefixed_secure_over_tls() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let plain =
            session_set_cookie(&sign_in_with(&app, &client(), &wang.username, PASSWORD).await).unwrap();
        assert!(
            plain.starts_with("recourse=") && plain.contains("HttpOnly") && plain.contains("SameSite=Lax"),
            "{plain}"
        );
        assert!(plain.contains("Path=/") && !plain.contains("Secure"), "{plain}");

        let tls =
            spawn_with(app.db.clone(), Config { secure_cookies: true, ..Config::default() }, app.label).await;
        // Served over TLS (behind a proxy), the browser's Origin is https.
        let https_origin = tls.address.replace("http://", "https://");
        let response = client()
            .post(tls.url("/sign-in"))
            .header(header::ORIGIN, https_origin)
            .form(&[("username", wang.username.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", app.label);
        let secure = session_set_cookie(&response).unwrap();
        assert!(secure.starts_with("__Host-recourse=") && secure.contains("Secure"), "{secure}");
        assert!(
            secure.contains("HttpOnly") && secure.contains("Path=/") && !secure.contains("Domain"),
            "{secure}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_when_idle_too_long_and_after_its_absolute_lifetime() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let c = client();
        sign_in(&app, &c, &wang).await;
        assert!(is_signed_in(&app, &c, None).await);
        // Idle: the stored expiry has passed.
        sqlx::query("UPDATE sessions SET expires_at = 0").execute(&app.db.pool).await.unwrap();
        assert!(!is_signed_in(&app, &c, None).await, "{}: an idle session ends", app.label);

        // Absolute: however active, a session ends after the configured lifetime.
        let short = Config { session_max_lifetime: Duration::from_secs(1), ..Config::default() };
        let short = spawn_with(app.db.clone(), short, app.label).await;
        let c = client();
        sign_in(&short, &c, &wang).await;
        assert!(is_signed_in(&short, &c, None).await);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!is_signed_in(&short, &c, None).await, "{}: the absolute lifetime is over", app.label);
    })
    .await;
}

#[tokio::test]
async fn cross_site_posts_are_refused_with_a_page_and_change_nothing() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let c = client();
        sign_in(&app, &c, &wang).await;
        let form = [("username", wang.username.as_str()), ("password", PASSWORD)];
        let attempts: [&[(&str, &str)]; 4] = [
            &[("origin", "http://evil.example")],
            &[("sec-fetch-site", "cross-site"), ("origin", "http://evil.example")],
            &[("sec-fetch-site", "same-site")],
            &[],
        ];
        for headers in attempts {
            for path in ["/sign-out", "/sign-in", "/me/password"] {
                let mut request = c.post(app.url(path)).form(&form);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                let response = request.send().await.unwrap();
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{}: {path} with {headers:?}",
                    app.label
                );
                let page = response.text().await.unwrap();
                assert!(page.contains("Request refused") && page.contains("Nothing was changed."), "{page}");
            }
        }
        assert!(is_signed_in(&app, &c, None).await, "the forged sign-out did nothing");

        let zh = c
            .post(app.url("/sign-out"))
            .header("origin", "http://evil.example")
            .header("accept-language", "zh-CN");
        let page = zh.send().await.unwrap().text().await.unwrap();
        assert!(page.contains("请求被拒绝"), "the refusal is in the person's language");

        // Browsers' own same-origin posts pass: Sec-Fetch-Site, or a same-origin Referer alone.
        let ok =
            c.post(app.url("/sign-in")).header("sec-fetch-site", "same-origin").form(&[("username", "")]);
        assert_eq!(ok.send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
        let referer = format!("{}/sign-in", app.address);
        let ok = c.post(app.url("/sign-in")).header("referer", referer).form(&[("username", "")]);
        assert_eq!(ok.send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_with_a_clear_message() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        for _ in 0..5 {
            let r = sign_in_with(&app, &client(), "WANG.fang", "wrong guess number one").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", app.label);
        }
        // Even the right password is refused now, with how long to wait.
        let refused = sign_in_with(&app, &client(), &wang.username, PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{}", app.label);
        let retry: i64 = refused.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((60..=900).contains(&retry), "{retry}");
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("Too many failed attempts to sign in.") && page.contains("try again in 15 minutes"),
            "{page}"
        );
        assert!(session_cookie(&sign_in_with(&app, &client(), &wang.username, PASSWORD).await).is_none());

        // Another account is not affected.
        let li = person(&app.db, "li.na", Role::Subject).await;
        sign_in(&app, &client(), &li).await;

        // Once the failures are older than the window, the account may sign in again.
        sqlx::query("UPDATE sign_in_failures SET failed_at = failed_at - 900000000")
            .execute(&app.db.pool)
            .await
            .unwrap();
        sign_in(&app, &client(), &wang).await;
    })
    .await;
}

#[tokio::test]
async fn an_attacker_guessing_at_a_name_is_throttled_while_its_owner_signs_in_from_elsewhere() {
    for_each_database(|app| async move {
        let admin = person(&app.db, "demo.owner", Role::Administrator).await;
        // The attacker on 127.0.0.1; the owner on 127.0.0.2 (the whole of 127/8 is loopback).
        let owner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .build()
            .unwrap();
        for _ in 0..5 {
            let r = sign_in_with(&app, &client(), &admin.username, "wrong guess number one").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", app.label);
        }
        let attacker = sign_in_with(&app, &client(), &admin.username, PASSWORD).await;
        assert_eq!(
            attacker.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}: the attacker is throttled",
            app.label
        );
        assert!(attacker.text().await.unwrap().contains("try again in 15 minutes"));
        sign_in(&app, &owner, &admin).await;
        assert!(
            is_signed_in(&app, &owner, None).await,
            "{}: the owner signs in from their own address",
            app.label
        );
        let again = sign_in_with(&app, &client(), &admin.username, PASSWORD).await;
        assert_eq!(
            again.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}: the owner's success frees no one else",
            app.label
        );
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_names() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        for i in 0..20 {
            let r = sign_in_with(&app, &client(), &format!("guess{i}"), "wrong guess number one").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}: attempt {i}", app.label);
        }
        let refused = sign_in_with(&app, &client(), &wang.username, PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{}", app.label);
        let zh = client()
            .post(app.url("/sign-in"))
            .header("origin", &app.address)
            .header("accept-language", "zh-CN")
            .form(&[("username", "x"), ("password", "y")])
            .send()
            .await
            .unwrap();
        assert!(zh.text().await.unwrap().contains("请在15分钟后重试"));
    })
    .await;
}

#[tokio::test]
async fn empty_fields_are_named_next_to_the_field() {
    for_each_database(|app| async move {
        let response = post(&app, &client(), "/sign-in", &[("username", "  "), ("password", "")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        let page = response.text().await.unwrap();
        assert!(page.contains("Enter your sign-in name") && page.contains("Enter your password"), "{page}");
        assert!(page.contains(r#"aria-describedby="username-error""#), "{page}");
        assert!(page.contains(r#"id="username-error""#) && page.contains(r#"aria-invalid="true""#));
        assert!(page.contains("<title>Error: Sign in"), "the title says there is an error");
        // A form with no fields at all is the same, not a crash.
        let bare = post(&app, &client(), "/sign-in", &[]).await;
        assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn a_ten_thousand_character_password_is_refused_clearly() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        for long in ["x".repeat(10_000), "密".repeat(10_000)] {
            let response = sign_in_with(&app, &client(), &wang.username, &long).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
            let page = response.text().await.unwrap();
            assert!(
                page.contains("Passwords have at most 128 characters"),
                "{}",
                &page[..page.len().min(2000)]
            );
            let start: String = long.chars().take(50).collect();
            assert!(!page.contains(&start), "the password is not shown back");
        }
        let c = client();
        sign_in(&app, &c, &wang).await;
        let long = "y".repeat(10_000);
        let response = post(
            &app,
            &c,
            "/me/password",
            &[("current_password", PASSWORD), ("new_password", &long), ("confirm_password", &long)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Use at most 128 characters"));
        sign_in(&app, &client(), &wang).await;
    })
    .await;
}

#[tokio::test]
async fn malformed_utf8_and_oversized_forms_get_a_clear_page_not_a_crash() {
    for_each_database(|app| async move {
        person(&app.db, "wang.fang", Role::Subject).await;
        for body in [
            &b"username=wang.fang&password=%FF%FEabcdefgh"[..],
            b"username=\xff\xfe&password=x",
            b"password=%E5%AF",
        ] {
            let response = client()
                .post(app.url("/sign-in"))
                .header(header::ORIGIN, &app.address)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{}: {body:?}", app.label);
            assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
            let page = response.text().await.unwrap();
            assert!(
                page.contains("The form could not be read") && page.contains("Nothing was changed."),
                "{page}"
            );
        }
        let huge = format!("username=a&password={}", "a".repeat(300_000));
        let response = client()
            .post(app.url("/sign-in"))
            .header(header::ORIGIN, &app.address)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{}", app.label);
        assert!(response.text().await.unwrap().contains("The form is too large"));
        // Nothing was counted against the account.
        let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(failures, 0);
    })
    .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let mut conn = app.db.pool.acquire().await.unwrap();
        recourse::store::accounts::disable(&mut conn, wang.id, chrono::Utc::now()).await.unwrap();
        let wrong = sign_in_with(&app, &client(), &wang.username, "a wrong password here").await;
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "{}: a wrong password says nothing more",
            app.label
        );
        let right = sign_in_with(&app, &client(), &wang.username, PASSWORD).await;
        assert_eq!(right.status(), StatusCode::FORBIDDEN);
        assert!(session_cookie(&right).is_none());
        assert!(right.text().await.unwrap().contains("This account has been disabled"));
    })
    .await;
}
