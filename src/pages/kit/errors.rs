//! The 404, 500 and 503 pages, rendered in the person's language.

use axum::response::Html;
use leptos::prelude::*;

use crate::error::ErrorPage;
use crate::pages::kit::{document, PageContext};

pub fn render(ctx: &PageContext, page: ErrorPage) -> Html<String> {
    let locale = ctx.locale;
    let (title, body) = match page {
        ErrorPage::NotFound => (locale.t("error.not_found.title"), locale.t("error.not_found.body")),
        ErrorPage::Internal => (locale.t("error.internal.title"), locale.t("error.internal.body")),
        ErrorPage::Unavailable => (locale.t("error.unavailable.title"), locale.t("error.unavailable.body")),
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{body}</p>
        <p><a href="/">{locale.t("error.home_link")}</a></p>
    };
    document(ctx, &title, main.into_any())
}
