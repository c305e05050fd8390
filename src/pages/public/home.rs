//! The home page: what Recourse is, and where to start.

use axum::{extract::OriginalUri, response::Html};
use leptos::prelude::*;

use crate::i18n::Locale;
use crate::pages::kit::{document, PageContext};

pub async fn page(locale: Locale, OriginalUri(uri): OriginalUri) -> Html<String> {
    let ctx = PageContext { locale, path: uri.to_string() };
    let main = view! {
        <h1>{locale.t("home.title")}</h1>
        <p class="lead">{locale.t("home.lead")}</p>
        <h2>{locale.t("home.rights_title")}</h2>
        <ul class="rights">
            <li><strong>{locale.t("home.right_notice")}</strong>" "{locale.t("home.right_notice_text")}</li>
            <li><strong>{locale.t("home.right_explanation")}</strong>" "{locale.t("home.right_explanation_text")}</li>
            <li><strong>{locale.t("home.right_contest")}</strong>" "{locale.t("home.right_contest_text")}</li>
        </ul>
        <p><a class="button" href="/rules">{locale.t("home.catalogue_link")}</a></p>
    };
    document(&ctx, &locale.t("home.title"), main.into_any())
}
