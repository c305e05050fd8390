//! The home page: what Recourse is, and where to start.

use axum::{
    extract::State,
    response::{Html, Response},
};
use leptos::prelude::*;

use super::cache::{self, Fresh};
use crate::{
    error::AppResult,
    http::AppState,
    pages::kit::{document, PageContext},
};

/// `GET /`: nothing to load, the page is its words (rendered once per language).
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    cache::serve(&state, &shell, &request, || async { Ok(Fresh { html: home_view(&shell), until: None }) })
        .await
}

fn home_view(ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let main = view! {
        <h1>{locale.t("home.title")}</h1>
        <p class="lead">{locale.t("home.lead")}</p>
        <h2>{locale.t("home.rights_title")}</h2>
        <ul class="rights">
            <Right title=locale.t("home.right_notice") text=locale.t("home.right_notice_text")/>
            <Right title=locale.t("home.right_explanation") text=locale.t("home.right_explanation_text")/>
            <Right title=locale.t("home.right_contest") text=locale.t("home.right_contest_text")/>
        </ul>
        <p><a class="button" href="/rules">{locale.t("home.catalogue_link")}</a></p>
        <p><a href="/transparency">{locale.t("transparency.home_link")}</a></p>
    };
    document(ctx, &locale.t("home.title"), main.into_any())
}

/// One of a subject's rights: its name, then what it means.
#[component]
fn Right(title: String, text: String) -> impl IntoView {
    view! { <li><strong>{title}</strong>" "{text}</li> }
}
