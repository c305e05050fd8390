//! Server-rendered pages. Each page is a Leptos view rendered to HTML on the server; no script
//! is shipped, so every page and form works with JavaScript off.

pub mod catalogue;
pub mod errors;
pub mod format;
pub mod home;

use axum::{response::Html, routing::get, Router};
use leptos::prelude::*;

use crate::{
    http::{assets, AppState},
    i18n::Locale,
};

/// The pages anyone can read without signing in.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/rules", get(catalogue::index))
        .route("/rules/{scheme}", get(catalogue::scheme))
        .route("/rules/{scheme}/{rule}", get(catalogue::rule))
}

/// What every page needs to draw the shell around its content.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub locale: Locale,
    /// The path (and query) of this page, so the language switch can come back to it.
    pub path: String,
}

/// Renders a full HTML document: header with language switch, the page's `<main>`, footer.
pub fn document(ctx: &PageContext, title: &str, main: AnyView) -> Html<String> {
    let locale = ctx.locale;
    let full_title = format!("{title} · {}", locale.t("app.name"));
    let back = urlencode(&ctx.path);
    let switch = Locale::ALL
        .into_iter()
        .map(|l| {
            let current = (l == locale).then_some("page");
            view! {
                <li>
                    <a href=format!("/language/{}?next={back}", l.code()) lang=l.code()
                        hreflang=l.code() aria-current=current>{l.endonym()}</a>
                </li>
            }
        })
        .collect_view();
    let body = view! {
        <html lang=locale.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{full_title}</title>
                <link rel="stylesheet" href=assets::stylesheet_href()/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
            </head>
            <body>
                <a class="skip-link" href="#main">{locale.t("shell.skip")}</a>
                <header class="site-header">
                    <a class="brand" href="/">{locale.t("app.name")}</a>
                    <nav aria-label=locale.t("shell.nav_label")>
                        <ul class="nav">
                            <li><a href="/rules">{locale.t("shell.rules")}</a></li>
                            <li><a href="/sign-in">{locale.t("shell.sign_in")}</a></li>
                        </ul>
                    </nav>
                    <nav aria-label=locale.t("shell.language")>
                        <ul class="language-switch">{switch}</ul>
                    </nav>
                </header>
                <main id="main" tabindex="-1">{main}</main>
                <footer class="site-footer">
                    <p>{locale.t("shell.footer")}</p>
                </footer>
            </body>
        </html>
    };
    Html(format!("<!DOCTYPE html>{}", body.to_html()))
}

/// Percent-encodes a path for use as a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
