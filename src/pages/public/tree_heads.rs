//! The signed tree heads of the audit log, public: each is a Merkle root over every chain's head,
//! signed with the instance's Ed25519 key, so anyone holding an earlier export or tree head can
//! check that the record was not rewritten since (`recourse audit verify-export`).

use axum::{extract::State, response::Html};
use leptos::{either::Either, prelude::*};

use crate::{
    error::AppResult,
    http::AppState,
    pages::kit::{document, format, DataTable, PageContext},
    store::{chain, from_micros},
};

/// How many tree heads the page lists, newest first.
const SHOWN: i64 = 200;

/// What the page shows: the newest tree heads, and since when rows are chained.
pub struct TreeHeadsPage {
    pub heads: Vec<chain::TreeHead>,
    pub chained_since: Option<i64>,
}

impl TreeHeadsPage {
    pub async fn load(state: &AppState) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self {
            heads: chain::tree_heads(&mut conn, SHOWN).await?,
            chained_since: chain::started_at(&mut conn).await?,
        })
    }
}

/// `GET /transparency/tree-heads`.
pub async fn page(State(state): State<AppState>, shell: PageContext) -> AppResult<Html<String>> {
    let page = TreeHeadsPage::load(&state).await?;
    Ok(view(&page, &shell))
}

fn view(page: &TreeHeadsPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("tree_heads.title");
    let keys: Vec<String> = {
        let mut keys: Vec<String> = page.heads.iter().map(|h| h.public_key.clone()).collect();
        keys.dedup();
        keys
    };
    let rows = page
        .heads
        .iter()
        .map(|h| {
            view! {
                <tr>
                    <td class="num">{h.number}</td>
                    <td>{format::datetime(locale, from_micros(h.at))}</td>
                    <td class="num">{h.size}</td>
                    <td><code class="hash">{h.root.clone()}</code></td>
                    <td><code class="hash">{h.signature.clone()}</code></td>
                </tr>
            }
        })
        .collect_view();
    let body = if page.heads.is_empty() {
        Either::Left(view! { <p>{locale.t("tree_heads.none")}</p> })
    } else {
        Either::Right(view! {
            <DataTable caption=locale.t("tree_heads.caption") caption_id="tree-heads-caption" columns=vec![
                (locale.t("tree_heads.col_number"), true),
                (locale.t("tree_heads.col_at"), false),
                (locale.t("tree_heads.col_size"), true),
                (locale.t("tree_heads.col_root"), false),
                (locale.t("tree_heads.col_signature"), false),
            ]>{rows}</DataTable>
        })
    };
    let main = view! {
        <p><a href="/transparency">{locale.t("transparency.title")}</a></p>
        <h1>{title.clone()}</h1>
        <p class="lead">{locale.t("tree_heads.intro")}</p>
        <h2>{locale.t("tree_heads.keys_title")}</h2>
        <ul>{keys.into_iter().map(|k| view! { <li><code class="hash">{k}</code></li> }).collect_view()}</ul>
        {page.chained_since.map(|at| view! { <p>{locale.t_with("tree_heads.since", &[("date", &format::datetime(locale, from_micros(at)))])}</p> })}
        {body}
    };
    document(ctx, &title, main.into_any())
}
