//! Pages for requests refused before any handler runs: a cross-site form post (403), a form
//! that is not valid text (400), a form too large (413), an unreadable query string (400). Each says what happened and that
//! nothing was changed, in the person's language.

use axum::{
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::prelude::*;

use crate::pages::kit::{document, PageContext};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A state-changing request that did not come from one of Recourse's own pages.
    CrossSite,
    /// A form body that is not valid UTF-8 or not a URL-encoded form.
    MalformedForm,
    /// A form body over the size limit.
    FormTooLarge,
    /// A query string with a parameter given twice, or one that cannot be read.
    MalformedQuery,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::CrossSite => StatusCode::FORBIDDEN,
            Refusal::MalformedForm | Refusal::MalformedQuery => StatusCode::BAD_REQUEST,
            Refusal::FormTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Refusal::CrossSite => ("refusal.cross_site.title", "refusal.cross_site.body"),
            Refusal::MalformedForm => ("refusal.malformed.title", "refusal.malformed.body"),
            Refusal::FormTooLarge => ("refusal.too_large.title", "refusal.too_large.body"),
            Refusal::MalformedQuery => ("refusal.malformed_query.title", "refusal.malformed_query.body"),
        }
    }

    /// The page for this refusal, in the language the request asks for.
    pub fn respond(self, parts: &Parts) -> Response {
        let ctx = PageContext::of(parts);
        let locale = ctx.locale;
        let (title_key, body_key) = self.keys();
        let title = locale.t(title_key);
        let main = view! {
            <h1>{title.clone()}</h1>
            <p>{locale.t(body_key)}</p>
            <p>{locale.t("refusal.nothing_changed")}</p>
            <p><a href="/">{locale.t("error.home_link")}</a></p>
        };
        (self.status(), document(&ctx, &title, main.into_any())).into_response()
    }
}
