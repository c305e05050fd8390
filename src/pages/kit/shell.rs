//! The page shell every page is drawn in (header, language switch, role links, footer) and the
//! one shape of a data table.

use std::convert::Infallible;

use axum::{
    extract::{FromRequestParts, OriginalUri},
    http::request::Parts,
    response::Html,
};
use leptos::{prelude::*, tachys::view::Position};

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
/// What a typical page's HTML takes, so rendering it seldom grows its buffer.
const PAGE_BYTES: usize = 32 * 1024;

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
    // Rendered into the buffer that holds the doctype, sized for a typical page: one copy less.
    let mut html = String::with_capacity(body.html_len().max(PAGE_BYTES));
    html.push_str("<!DOCTYPE html>");
    body.to_html_with_buf(&mut html, &mut Position::FirstChild, true, false, vec![]);
    Html(html)
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

/// The one shape every data table on the site takes: a caption, column headers (`true` marks a
/// numeric, right-aligned column), the rows as children and an optional footer of summary rows:
/// `<DataTable caption=… columns=… footer=…>{rows}</DataTable>`.
///
/// The table sits in a wrapper that scrolls sideways when the table is wider than the screen.
/// That wrapper is always a region named by the caption that a keyboard can reach (Tab, then the
/// arrow keys), because whether a table overflows depends on the reader's screen, not on the
/// page. The caption's id is `caption_id` when given, else one made from the caption's text (see
/// [`caption_slug`]); two tables with the same caption on one page must pass their own ids.
/// `within` names the id of the heading of the section the table sits in: the region's name then
/// starts with it, so the same caption in two sections (one per scheme) still names two
/// different regions.
///
/// A `stacked` table turns on a narrow screen into one block per row, each cell showing its
/// column's name from its `data-label` attribute (set by the caller on every `<td>`), so nothing
/// of a row is hidden past the right edge.
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
    #[prop(optional, into)] within: Option<String>,
    #[prop(optional)] stacked: bool,
    children: Children,
) -> impl IntoView {
    let heads = columns
        .into_iter()
        .map(|(label, numeric)| view! { <th scope="col" class=numeric.then_some("num")>{label}</th> })
        .collect_view();
    let caption_id = caption_id.unwrap_or_else(|| caption_slug(&caption));
    let labelled_by = match within {
        Some(heading) => format!("{heading} {caption_id}"),
        None => caption_id.clone(),
    };
    let class = match (class, stacked) {
        (Some(c), true) => Some(format!("{c} stacked")),
        (Some(c), false) => Some(c.to_string()),
        (None, true) => Some("stacked".to_string()),
        (None, false) => None,
    };
    view! {
        <div class="table-scroll" role="region" aria-labelledby=labelled_by tabindex="0">
            <table class=class>
                <caption id=caption_id>{caption}</caption>
                <thead><tr>{heads}</tr></thead>
                <tbody>{children()}</tbody>
                {footer.map(|rows| view! { <tfoot>{rows}</tfoot> })}
            </table>
        </div>
    }
}

/// A caption's id made from its text: `table-`, the caption's ASCII letters and digits in lower
/// case (at most 40, runs of anything else as one `-`), and a hash of the whole caption, so the
/// same caption always gets the same id and two different captions (Chinese ones included, which
/// leave no ASCII) get different ones.
pub fn caption_slug(caption: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = caption.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    let mut slug = String::new();
    for c in caption.chars() {
        if slug.len() >= 40 {
            break;
        }
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("table-{hash:08x}")
    } else {
        format!("table-{slug}-{hash:08x}")
    }
}

/// Percent-encodes a path for use as a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::caption_slug;

    #[test]
    fn a_caption_gives_a_stable_readable_id() {
        let id = caption_slug("Records that count: 3 of 12");
        assert!(id.starts_with("table-records-that-count-3-of-12-"), "{id}");
        assert_eq!(id, caption_slug("Records that count: 3 of 12"));
    }

    #[test]
    fn different_captions_get_different_ids_even_without_ascii() {
        assert_ne!(caption_slug("计分记录"), caption_slug("不再计分的记录"));
        assert_ne!(caption_slug("A: B"), caption_slug("A B"));
        assert!(caption_slug("计分记录").starts_with("table-"));
    }
}
