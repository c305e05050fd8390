//! The printable decision of an appeal: what was decided, the written reasons, the grade before
//! and after, who decided for which review body and when, under the appeal's reference. Its
//! subject and reviewers may open it (administrators for rule challenges); the print stylesheet
//! leaves out the site's header and navigation.

use crate::domain::wording::{self, Purpose};
use axum::{
    extract::{Path, State},
    response::Html,
};
use chrono::Utc;
use leptos::{either::Either, prelude::*};

use crate::pages::kit::{
    appeal::{describe, parse_id, scheme_of, Audience, ClosedByRepeal, Decisions},
    document, format, PageContext,
};
use crate::{
    auth::access::{SignedIn, Viewer},
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        accounts::Role,
        appeals::{self, Appeal, Target},
        catalogue::SchemeRecord,
        notices,
    },
};

/// Who may read an appeal's decision: its subject, reviewers for records and listings,
/// administrators for rule challenges (as with its evidence files).
pub fn may_read(viewer: &Viewer, a: &Appeal) -> bool {
    match viewer.role {
        Role::Subject => viewer.subject_id == Some(a.subject),
        Role::Reviewer => !matches!(a.target, Target::Rule(_)),
        Role::Administrator => matches!(a.target, Target::Rule(_)),
        Role::Recorder => false,
    }
}

/// What the printable decision shows.
pub struct DecisionPage {
    pub appeal: Appeal,
    pub audience: Audience,
    what: String,
    /// First level, then second.
    pub decided: Vec<appeals::StoredDecision>,
    /// How a repeal closed the appeal, if one did.
    pub repealed: Option<appeals::RepealClosure>,
    /// The appeal's scheme, to name its grades.
    pub scheme: Option<SchemeRecord>,
}

impl DecisionPage {
    /// Every query of the page; a staff read is recorded where the subject sees it (DESIGN.md
    /// invariant 4).
    pub async fn load(state: &AppState, viewer: &Viewer, locale: Locale, id: &str) -> AppResult<Self> {
        let id = parse_id(id)?;
        let mut conn = state.db.pool.acquire().await?;
        let a = appeals::appeal(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        if !may_read(viewer, &a) {
            return Err(AppError::NotFound);
        }
        let audience = if viewer.role == Role::Subject { Audience::Subject } else { Audience::Staff };
        if audience == Audience::Staff {
            let body = match viewer.review_body_id {
                Some(body) => appeals::body(&mut conn, body).await?.map(|b| b.name_en),
                None => None,
            };
            let purpose = Purpose::ReadingDecision(&a.reference()).text();
            let body = body.unwrap_or_else(|| wording::ADMINISTRATION.into());
            notices::record_access(
                &mut conn,
                a.subject,
                viewer.account_id.0,
                &body,
                viewer.role.as_str(),
                &purpose,
                Utc::now(),
            )
            .await?;
        }
        let (what, _) = describe(locale, &a, audience == Audience::Subject);
        let decided = appeals::decisions(&mut conn, a.id).await?;
        let repealed = appeals::repeal_closure(&mut conn, a.subject, a.id).await?;
        let scheme = scheme_of(&mut conn, &a).await?;
        Ok(Self { appeal: a, audience, what, decided, repealed, scheme })
    }

    /// Whether anything has been decided yet.
    pub fn is_decided(&self) -> bool {
        !self.decided.is_empty() || self.repealed.is_some()
    }
}

/// `GET /appeals/{id}/decision`: the decision, laid out to print.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = DecisionPage::load(&state, &viewer, shell.locale, &id).await?;
    Ok(decision_view(&page, &shell))
}

/// The printable decision, drawn from what [`DecisionPage::load`] read.
fn decision_view(page: &DecisionPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let a = &page.appeal;
    let reference = a.reference();
    let title = locale.t_with("appeals.decision_sheet_title", &[("reference", &reference)]);
    let back = match page.audience {
        Audience::Subject => format!("/appeals/{}", a.id),
        Audience::Staff => format!("/review/appeals/{}", a.id),
    };
    let body = if page.is_decided() {
        Either::Left(view! {
            <Decisions locale audience=page.audience decided=&page.decided scheme=page.scheme.as_ref()/>
            <ClosedByRepeal locale audience=page.audience closure=page.repealed.as_ref() scheme=page.scheme.as_ref()/>
        })
    } else {
        Either::Right(view! { <p class="notice">{locale.t("appeals.decision_sheet_none")}</p> })
    };
    let main = view! {
        <p class="no-print"><a href=back>{locale.t_with("appeals.page_title", &[("reference", &reference)])}</a></p>
        <article class="decision-sheet">
            <h1>{title.clone()}</h1>
            <dl class="facts">
                <dt>{locale.t("appeals.col_reference")}</dt><dd>{reference.clone()}</dd>
                <dt>{locale.t("appeals.col_contested")}</dt><dd>{page.what.clone()}</dd>
                <dt>{locale.t("appeals.col_filed")}</dt><dd>{format::date(locale, a.filed_at)}</dd>
            </dl>
            {body}
        </article>
        <p class="no-print muted">{locale.t("appeals.decision_sheet_print")}</p>
    };
    document(ctx, &title, main.into_any())
}
