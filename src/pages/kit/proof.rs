//! The pieces of a proof of status that its subject's page and the public `/verify/{code}` page
//! both show: its statement in the reader's language and where it stands.

use leptos::prelude::*;
use sqlx::AnyConnection;

use crate::{
    error::AppResult,
    i18n::Locale,
    pages::kit::format,
    store::{catalogue, proofs::Standing, status::Question},
};

/// The statement in the reader's language (the signed message keeps the English one).
pub async fn statement(conn: &mut AnyConnection, locale: Locale, question: &Question) -> AppResult<String> {
    Ok(match question {
        Question::OnAnyBlacklist => locale.t("proofs.statement_on_any_blacklist"),
        Question::Restricted(r) => {
            locale.t_with("proofs.statement_restricted", &[("restriction", &format::restriction(locale, *r))])
        }
        Question::GradeAtLeast { scheme, scheme_code, grade } => {
            let record = catalogue::scheme(conn, *scheme).await?;
            let (name, grade) = match &record {
                Some(r) => (
                    format::pick(locale, &r.name_en, &r.name_zh).to_string(),
                    format::grade(locale, r, grade.as_ref()).to_string(),
                ),
                None => (scheme_code.clone(), grade.to_string()),
            };
            locale.t_with("proofs.statement_grade", &[("grade", &grade), ("scheme", &name)])
        }
    })
}

/// Where a proof stands, as a badge: `<StandingBadge locale standing/>`.
#[component]
pub fn StandingBadge(locale: Locale, standing: Standing) -> impl IntoView {
    let class = match standing {
        Standing::Holds => "badge ok",
        Standing::NoLongerHolds => "badge danger",
        Standing::Expired | Standing::Revoked => "badge warn",
    };
    view! { <span class=class>{locale.t(&format!("proofs.standing_{}", standing.code()))}</span> }
}
