//! The page shell every page is drawn in (header, language switch, role links, footer) and the
//! one shape of a data table.

use std::convert::Infallible;

use axum::{
    extract::{FromRequestParts, OriginalUri},
    http::request::Parts,
    response::Html,
};
use leptos::prelude::*;

use crate::{
    auth::access::Viewer,
    http::assets,
    i18n::{locale_of, Locale},
    store::accounts::Role,
};

/// What every page needs to draw the shell around its content: the language, where the page is,
/// and who is signed in (for the header). Handlers extract it from the request.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub locale: Locale,
    /// The path (and query) of this page, so the language switch can come back to it.
    pub path: String,
    /// The signed-in person, as the session layer resolved them for this request.
    pub viewer: Option<Viewer>,
}

impl PageContext {
    /// The shell of the request whose parts these are.
    pub fn of(parts: &Parts) -> Self {
        let uri = parts.extensions.get::<OriginalUri>().map(|o| &o.0).unwrap_or(&parts.uri);
        Self {
            locale: locale_of(parts),
            path: uri.to_string(),
            viewer: parts.extensions.get::<Viewer>().cloned(),
        }
    }

    /// The same shell for another path: a form re-shown after a post comes back to its own page.
    pub fn at(&self, path: impl Into<String>) -> Self {
        Self { path: path.into(), ..self.clone() }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
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
                            {account_links(locale, ctx.viewer.as_ref())}
                        </ul>
                    </nav>
                    <nav aria-label=locale.t("shell.language")>
                        <ul class="language-switch">{switch}</ul>
                    </nav>
                </header>
                <main id="main" tabindex="-1">{main}</main>
                <footer class="site-footer">
                    <p>{locale.t("shell.footer")}</p>
                    <p><a href="/transparency">{locale.t("transparency.title")}</a>" · "<a href="/rules">{locale.t("shell.rules")}</a></p>
                </footer>
            </body>
        </html>
    };
    Html(format!("<!DOCTYPE html>{}", body.to_html()))
}

/// The header's account links: "Sign in", or the signed-in person's work links (by role), who
/// is signed in (a link to their page) and a sign-out button (a form: signing out changes state).
fn account_links(locale: Locale, viewer: Option<&Viewer>) -> AnyView {
    match viewer {
        None => view! { <li><a href="/sign-in">{locale.t("shell.sign_in")}</a></li> }.into_any(),
        Some(viewer) => view! {
            {role_links(locale, viewer)}
            <li>
                <a href="/me" class="who">
                    {locale.t_with("auth.header.signed_in_as", &[("name", &viewer.display_name)])}
                </a>
            </li>
            <li>
                <form method="post" action="/sign-out" class="inline">
                    <button type="submit" class="link">{locale.t("auth.header.sign_out")}</button>
                </form>
            </li>
        }
        .into_any(),
    }
}

/// Where each role's work starts. A subject also sees how many notices they have not read.
fn role_links(locale: Locale, viewer: &Viewer) -> AnyView {
    let links: &[(&str, &str)] = match viewer.role {
        Role::Subject => &[("/record", "shell.my_record"), ("/appeals", "shell.appeals")],
        Role::Recorder => &[("/recording", "shell.recording")],
        Role::Reviewer => &[("/review", "shell.review")],
        Role::Administrator => &[("/admin", "shell.administration")],
    };
    let links =
        links.iter().map(|(href, key)| view! { <li><a href=*href>{locale.t(key)}</a></li> }).collect_view();
    let inbox = (viewer.role == Role::Subject).then(|| {
        let label = if viewer.unread_notices > 0 {
            locale.t_with("shell.notices_unread", &[("count", &viewer.unread_notices.to_string())])
        } else {
            locale.t("shell.notices")
        };
        view! { <li><a href="/notices" class=(viewer.unread_notices > 0).then_some("unread")>{label}</a></li> }
    });
    view! { {links} {inbox} }.into_any()
}

/// The one shape every data table on the site takes: horizontally scrollable, with a caption,
/// column headers (`true` marks a numeric, right-aligned column), the rows as children and an
/// optional footer of summary rows:
/// `<DataTable caption=… columns=… footer=…>{rows}</DataTable>`.
///
/// With `caption_id` the caption takes that id and the scrolling wrapper becomes a region named
/// by it that a keyboard can reach, for a table wide enough to scroll on a phone.
#[component]
pub fn DataTable(
    caption: String,
    /// Column headers; `true` marks a numeric, right-aligned column.
    columns: Vec<(String, bool)>,
    #[prop(optional)] class: Option<&'static str>,
    /// Rows closing the table (sums, totals), drawn in its `<tfoot>`.
    #[prop(optional_no_strip, into)]
    footer: Option<AnyView>,
    #[prop(optional, into)] caption_id: Option<String>,
    children: Children,
) -> impl IntoView {
    let heads = columns
        .into_iter()
        .map(|(label, numeric)| view! { <th scope="col" class=numeric.then_some("num")>{label}</th> })
        .collect_view();
    let region = caption_id.is_some().then_some("region");
    let tabindex = caption_id.is_some().then_some("0");
    let labelled_by = caption_id.clone();
    view! {
        <div class="table-scroll" role=region aria-labelledby=labelled_by tabindex=tabindex>
            <table class=class>
                <caption id=caption_id>{caption}</caption>
                <thead><tr>{heads}</tr></thead>
                <tbody>{children()}</tbody>
                {footer.map(|rows| view! { <tfoot>{rows}</tfoot> })}
            </table>
        </div>
    }
}

/// Percent-encodes a path for use as a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
