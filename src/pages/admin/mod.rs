//! The administrator's pages: accounts, schemes and their settings, the rule catalogue (drafts,
//! publishing, repeal), rule challenges, authorities, review bodies, API tokens and the audit log.

pub mod accounts;
pub mod authorities;
pub mod hub;
pub mod mandates;
pub mod relying_parties;
pub mod review_bodies;
pub mod rule_challenges;
pub mod rules;
pub mod schemes;
pub mod tokens;

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use sqlx::{Any, Transaction};

use crate::{
    auth::access::{Administrators, RequireRole, Viewer},
    error::AppResult,
    store::audit::{self, Actor},
};

/// The extractor every administrator's handler takes (its group's gate has admitted them).
pub type Admin = RequireRole<Administrators>;

pub fn actor(viewer: &Viewer, address: String) -> Actor {
    Actor::person(viewer.account_id, &viewer.username, address)
}

/// What an administrator's write did, for its audit row: the action and what it acted on.
pub struct Audited<'a> {
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub detail: serde_json::Value,
}

/// Writes an administrator's write's audit row in its transaction and commits the two together.
pub async fn commit_audited(
    mut tx: Transaction<'_, Any>,
    viewer: &Viewer,
    address: String,
    audited: Audited<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Audited { action, target_kind, target_id, detail } = audited;
    audit::write(&mut tx, &actor(viewer, address), action, target_kind, target_id, detail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A form page shown again after a refused post.
pub fn unprocessable(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The link back up, above a page's heading.
#[component]
pub fn BackLink(#[prop(into)] href: String, label: String) -> impl IntoView {
    view! { <p><a href=href>{label}</a></p> }
}

/// One option of a select whose choices come from the database (an authority, a review body).
#[component]
pub fn SelectOption(#[prop(into)] value: String, label: String, selected: bool) -> impl IntoView {
    view! { <option value=value selected=selected>{label}</option> }
}
