//! Changing one's password, administrators managing accounts, and invitation links, over HTTP on
//! both databases.

mod auth_support;
mod common;

use auth_support::{
    authority, client, invitation_path, is_signed_in, person, post, sign_in, sign_in_with, subject, PASSWORD,
};
use common::for_each_database;
use recourse::store::accounts::{self, Role};
use reqwest::{header, StatusCode};

const NEW_PASSWORD: &str = "copper meadow quietly 77";

#[tokio::test]
async fn changing_ones_password_ends_every_other_session_and_keeps_this_one() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let laptop = client();
        let phone = client();
        sign_in(&app, &laptop, &wang).await;
        sign_in(&app, &phone, &wang).await;
        let page = laptop.get(app.url("/me")).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains(r#"autocomplete="new-password""#)
                && page.contains(r#"autocomplete="current-password""#)
        );

        let form = [
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ];
        let changed = post(&app, &laptop, "/me/password", &form).await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(changed.headers()[header::LOCATION], "/me?password_changed=1");
        let page = laptop.get(app.url("/me?password_changed=1")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Your password has been changed."), "this session goes on");
        assert!(!is_signed_in(&app, &phone, None).await, "{}: the other session ended", app.label);

        assert_eq!(
            sign_in_with(&app, &client(), &wang.username, PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in_with(&app, &client(), &wang.username, NEW_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
    })
    .await;
}

#[tokio::test]
async fn a_password_change_names_each_problem_and_changes_nothing() {
    for_each_database(|app| async move {
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let c = client();
        sign_in(&app, &c, &wang).await;
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[], "Enter your current password"),
            (
                &[
                    ("current_password", "not my password at all"),
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
                "Your current password is not right",
            ),
            (
                &[
                    ("current_password", PASSWORD),
                    ("new_password", "password123"),
                    ("confirm_password", "password123"),
                ],
                "used by many people",
            ),
            (
                &[("current_password", PASSWORD), ("new_password", "short"), ("confirm_password", "short")],
                "Use at least 8 characters",
            ),
            (
                &[
                    ("current_password", PASSWORD),
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", "something else"),
                ],
                "The two new passwords are not the same",
            ),
            (
                &[("current_password", PASSWORD), ("new_password", PASSWORD), ("confirm_password", PASSWORD)],
                "different from your current one",
            ),
        ];
        for (form, expected) in cases {
            let response = post(&app, &c, "/me/password", form).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}: {expected}", app.label);
            let page = response.text().await.unwrap();
            assert!(page.contains(expected), "{expected}: {page}");
            assert!(page.contains("There is a problem"));
        }
        assert!(is_signed_in(&app, &c, None).await);
        sign_in(&app, &client(), &wang).await;
    })
    .await;
}

#[tokio::test]
async fn an_administrator_invites_a_new_person_who_sets_their_own_password_once() {
    for_each_database(|app| async move {
        let admin = person(&app.db, "ada.admin", Role::Administrator).await;
        let subject_id = subject(&app.db, "Zhao Lei").await;
        let c = client();
        sign_in(&app, &c, &admin).await;
        let list = c.get(app.url("/admin/accounts")).send().await.unwrap();
        assert_eq!(list.status(), StatusCode::OK, "{}", app.label);
        assert!(list.text().await.unwrap().contains("ada.admin"));

        let id = subject_id.to_string();
        let form = [
            ("username", "Zhao.Lei"),
            ("display_name", "Zhao Lei"),
            ("role", "subject"),
            ("subject_id", id.as_str()),
        ];
        let created = post(&app, &c, "/admin/accounts", &form).await;
        assert_eq!(created.status(), StatusCode::CREATED, "{}", app.label);
        let page = created.text().await.unwrap();
        assert!(page.contains("Account created") && page.contains("zhao.lei"), "{page}");
        let link = invitation_path(&page);
        assert!(page.contains(&format!("{}{link}", app.address)), "an absolute link to pass on");

        // Before the password is set, the name cannot sign in.
        assert_eq!(
            sign_in_with(&app, &client(), "zhao.lei", NEW_PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );

        let newcomer = client();
        let form_page = newcomer.get(app.url(&link)).send().await.unwrap();
        assert_eq!(form_page.status(), StatusCode::OK);
        let form_page = form_page.text().await.unwrap();
        assert!(
            form_page.contains("Set your password") && form_page.contains("Welcome, Zhao Lei."),
            "{form_page}"
        );
        assert!(
            form_page.contains(r#"autocomplete="new-password""#) && form_page.contains(r#"value="zhao.lei""#)
        );

        let weak =
            post(&app, &newcomer, &link, &[("new_password", "zhaolei1"), ("confirm_password", "zhaolei1")])
                .await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(weak.text().await.unwrap().contains("easy to guess"));
        let long = "z".repeat(10_000);
        let too_long =
            post(&app, &newcomer, &link, &[("new_password", &long), ("confirm_password", &long)]).await;
        assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_long.text().await.unwrap().contains("Use at most 128 characters"));

        let set = post(
            &app,
            &newcomer,
            &link,
            &[("new_password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)],
        )
        .await;
        assert_eq!(set.status(), StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(set.headers()[header::LOCATION], "/sign-in?welcome=1");
        let welcome = newcomer.get(app.url("/sign-in?welcome=1")).send().await.unwrap().text().await.unwrap();
        assert!(welcome.contains("Your password is set."));
        assert_eq!(
            sign_in_with(&app, &newcomer, "zhao.lei", NEW_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        let me = newcomer.get(app.url("/me")).send().await.unwrap().text().await.unwrap();
        assert!(me.contains("Zhao Lei") && me.contains("Subject"), "{me}");

        // The link works once.
        let reused = client().get(app.url(&link)).send().await.unwrap();
        assert_eq!(reused.status(), StatusCode::GONE);
        assert!(reused.text().await.unwrap().contains("already been used"));
        let again = post(
            &app,
            &client(),
            &link,
            &[
                ("new_password", "another fine passphrase 9"),
                ("confirm_password", "another fine passphrase 9"),
            ],
        )
        .await;
        assert_eq!(again.status(), StatusCode::GONE);
        assert_eq!(
            sign_in_with(&app, &client(), "zhao.lei", NEW_PASSWORD).await.status(),
            StatusCode::SEE_OTHER,
            "nothing changed"
        );

        let unknown = client().get(app.url(&format!("/invitation/{}", "0".repeat(64)))).send().await.unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert!(unknown.text().await.unwrap().contains("This invitation link is not valid"));
    })
    .await;
}

#[tokio::test]
async fn an_expired_or_replaced_invitation_says_so_and_changes_nothing() {
    for_each_database(|app| async move {
        let admin = person(&app.db, "ada.admin", Role::Administrator).await;
        let authority_id = authority(&app.db, "traffic").await.to_string();
        let c = client();
        sign_in(&app, &c, &admin).await;
        let form = [
            ("username", "officer.li"),
            ("display_name", "Officer Li"),
            ("role", "recorder"),
            ("authority_id", authority_id.as_str()),
        ];
        let page = post(&app, &c, "/admin/accounts", &form).await.text().await.unwrap();
        let first = invitation_path(&page);

        // A new link replaces the first.
        let account = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            accounts::by_username(&mut conn, "officer.li").await.unwrap().unwrap()
        };
        assert_eq!(account.role, Role::Recorder);
        assert!(account.authority_id.is_some());
        let detail = c.get(app.url(&format!("/admin/accounts/{}", account.id))).send().await.unwrap();
        assert_eq!(detail.status(), StatusCode::OK);
        let reissued = post(&app, &c, &format!("/admin/accounts/{}/invitation", account.id), &[]).await;
        assert_eq!(reissued.status(), StatusCode::OK, "{}", app.label);
        let second = invitation_path(&reissued.text().await.unwrap());
        let replaced = client().get(app.url(&first)).send().await.unwrap();
        assert_eq!(replaced.status(), StatusCode::GONE);
        assert!(replaced.text().await.unwrap().contains("A newer invitation link"));

        // The second one expires.
        sqlx::query("UPDATE invitations SET expires_at = 0 WHERE used_at IS NULL AND revoked_at IS NULL")
            .execute(&app.db.pool)
            .await
            .unwrap();
        let expired = client().get(app.url(&second)).send().await.unwrap();
        assert_eq!(expired.status(), StatusCode::GONE, "{}", app.label);
        assert!(expired.text().await.unwrap().contains("This invitation link has expired"));
        let posted = post(
            &app,
            &client(),
            &second,
            &[("new_password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)],
        )
        .await;
        assert_eq!(posted.status(), StatusCode::GONE);
        assert_eq!(
            sign_in_with(&app, &client(), "officer.li", NEW_PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

#[tokio::test]
async fn the_account_form_names_each_problem() {
    for_each_database(|app| async move {
        let admin = person(&app.db, "ada.admin", Role::Administrator).await;
        let c = client();
        sign_in(&app, &c, &admin).await;
        let unknown_subject = recourse::domain::SubjectId::new().to_string();
        let cases: [(&[(&str, &str)], &str); 7] = [
            (&[], "Enter a sign-in name of 3 to 64"),
            (
                &[("username", "x y"), ("display_name", "X"), ("role", "administrator")],
                "Enter a sign-in name of 3 to 64",
            ),
            (
                &[("username", "ada.admin"), ("display_name", "Again"), ("role", "administrator")],
                "The sign-in name ada.admin is already taken",
            ),
            (
                &[("username", "newbie"), ("display_name", "New"), ("role", "subject")],
                "Enter the subject's id",
            ),
            (
                &[
                    ("username", "newbie"),
                    ("display_name", "New"),
                    ("role", "subject"),
                    ("subject_id", "not-an-id"),
                ],
                "This is not a subject id",
            ),
            (
                &[
                    ("username", "newbie"),
                    ("display_name", "New"),
                    ("role", "subject"),
                    ("subject_id", &unknown_subject),
                ],
                "No subject has this id",
            ),
            (
                &[("username", "newbie"), ("display_name", "New"), ("role", "recorder")],
                "A recorder account records for an authority",
            ),
        ];
        for (form, expected) in cases {
            let response = post(&app, &c, "/admin/accounts", form).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}: {expected}", app.label);
            let page = response.text().await.unwrap();
            assert!(page.contains(expected), "{expected}: {page}");
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(count, 1, "nothing was created");
    })
    .await;
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    for_each_database(|app| async move {
        let admin = person(&app.db, "ada.admin", Role::Administrator).await;
        let wang = person(&app.db, "wang.fang", Role::Subject).await;
        let wangs_browser = client();
        sign_in(&app, &wangs_browser, &wang).await;
        let c = client();
        sign_in(&app, &c, &admin).await;

        let disabled = post(&app, &c, &format!("/admin/accounts/{}/disable", wang.id), &[]).await;
        assert_eq!(disabled.status(), StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(disabled.headers()[header::LOCATION], "/admin/accounts?disabled=1");
        assert!(!is_signed_in(&app, &wangs_browser, None).await, "{}: the session ended", app.label);
        assert_eq!(
            sign_in_with(&app, &client(), &wang.username, PASSWORD).await.status(),
            StatusCode::FORBIDDEN
        );
        let list = c.get(app.url("/admin/accounts?disabled=1")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("Disabled") && list.contains("all its sessions have ended"));

        // An administrator cannot lock themselves out.
        let own = post(&app, &c, &format!("/admin/accounts/{}/disable", admin.id), &[]).await;
        assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(own.text().await.unwrap().contains("You cannot disable your own account"));
        assert!(is_signed_in(&app, &c, None).await);
    })
    .await;
}
