//! The home page: what Recourse is, and where to start.

use axum::response::Html;
use leptos::prelude::*;

use crate::pages::kit::{document, PageContext};

pub async fn page(shell: PageContext) -> Html<String> {
    let locale = shell.locale;
    let ctx = shell.clone();
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
