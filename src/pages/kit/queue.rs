//! A queue of appeals as its deciders filter and page it: the reviewers' (`/review`) and the
//! administrators' challenges to rules (`/admin/appeals`) read the same query string, draw the
//! same filters and page by the same keyset (due date, then id).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::{format::pick, forms::Problems, Choice, SelectField};
use crate::{
    domain::appeal::{Grounds, Status},
    i18n::Locale,
    store::{
        appeals::{Appeal, QueueFilter},
        catalogue::SchemeRecord,
        from_micros, to_micros,
    },
};

/// The statuses a queue can show ("all": every one).
const STATUSES: [&str; 4] = ["open", "decided", "withdrawn", "all"];

/// The filters of a queue as the query string holds them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub scheme: Option<String>,
    pub grounds: Option<String>,
    pub overdue: Option<String>,
    pub mine: Option<String>,
    /// `<due micros>.<appeal id>` of the last row of the previous page.
    pub after: Option<String>,
}

impl QueueQuery {
    /// The status filter: "open" unless the person chose otherwise ("all" shows every status).
    pub fn status(&self) -> String {
        self.status.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "open".into())
    }

    /// The filter values that name nothing (an unknown status, scheme or grounds, a mangled page
    /// cursor), each with its field: the queue answers 400 with them and lists nothing.
    pub fn problems(&self, locale: Locale, schemes: &[SchemeRecord], grounds: &[Grounds]) -> Problems {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        let mut out: Problems = Vec::new();
        if let Some(s) = given(&self.status).filter(|s| !STATUSES.contains(&s.as_str())) {
            out.push(("status", locale.t_with("review.bad_status", &[("value", &s)])));
        }
        if let Some(c) = given(&self.scheme).filter(|c| !schemes.iter().any(|s| s.scheme.code() == c)) {
            out.push(("scheme", locale.t_with("review.bad_scheme", &[("value", &c)])));
        }
        if let Some(g) = given(&self.grounds).filter(|g| !grounds.iter().any(|x| x.code() == g)) {
            out.push(("grounds", locale.t_with("review.bad_grounds", &[("value", &g)])));
        }
        if given(&self.after).is_some_and(|a| parse_cursor(&a).is_none()) {
            out.push(("", locale.t("review.bad_after")));
        }
        out
    }

    /// The store's filter: appeals on records (`rules` false) or challenges to rules, mine being
    /// the account whose assigned appeals "mine" keeps. Unknown values filter nothing.
    pub fn filter(&self, schemes: &[SchemeRecord], rules: bool, mine: Option<Uuid>) -> QueueFilter {
        QueueFilter {
            rules,
            status: Status::parse(&self.status()),
            scheme: self
                .scheme
                .as_deref()
                .and_then(|code| schemes.iter().find(|s| s.scheme.code() == code))
                .map(|s| s.scheme.id()),
            grounds: self.grounds.as_deref().and_then(|g| Grounds::parse(g).ok()),
            overdue_only: self.overdue.is_some(),
            assigned_to: self.mine.is_some().then_some(mine).flatten(),
            after: self.after.as_deref().and_then(parse_cursor),
            ..QueueFilter::default()
        }
    }

    /// The link to the page after the one ending with `last`, at `path` with the same filters.
    pub fn next(&self, path: &str, last: &Appeal) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("scheme", &self.scheme),
            ("grounds", &self.grounds),
            ("overdue", &self.overdue),
            ("mine", &self.mine),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.append_pair(k, v);
            }
        }
        pairs.append_pair("after", &format!("{}.{}", to_micros(last.due_at), last.id));
        format!("{path}?{}", pairs.finish())
    }
}

fn parse_cursor(text: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = text.split_once('.')?;
    Some((from_micros(micros.parse().ok()?), Uuid::parse_str(id).ok()?))
}

/// The filter form of a queue at `action`: status, scheme, the `grounds` that can be chosen
/// there, overdue only, and "assigned to me" where there is such a thing.
#[component]
pub fn QueueFilters<'a>(
    locale: Locale,
    action: &'static str,
    query: &'a QueueQuery,
    schemes: &'a [SchemeRecord],
    grounds: &'static [Grounds],
    with_mine: bool,
) -> impl IntoView {
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let status = query.status();
    let status_options = STATUSES
        .into_iter()
        .map(|s| {
            let label =
                if s == "all" { locale.t("review.all") } else { locale.t(&format!("appeals.status_{s}")) };
            view! { <option value=s selected=status == s>{label}</option> }
        })
        .collect_view();
    let scheme_options = schemes
        .iter()
        .map(|s| {
            let code = s.scheme.code().to_string();
            view! { <option value=code.clone() selected=selected(&query.scheme, &code)>{pick(locale, &s.name_en, &s.name_zh).to_string()}</option> }
        })
        .collect_view();
    let grounds_options = grounds
        .iter()
        .map(|g| view! { <option value=g.code() selected=selected(&query.grounds, g.code())>{locale.t(&format!("appeals.grounds_{}", g.code()))}</option> })
        .collect_view();
    view! {
        <form method="get" action=action class="filters">
            <SelectField id="status" label=locale.t("appeals.col_status")>{status_options}</SelectField>
            <SelectField id="scheme" label=locale.t("review.scheme")>
                <option value="">{locale.t("review.all")}</option>
                {scheme_options}
            </SelectField>
            <SelectField id="grounds" label=locale.t("appeals.col_grounds")>
                <option value="">{locale.t("review.all")}</option>
                {grounds_options}
            </SelectField>
            <Choice kind="checkbox" id="overdue" name="overdue" value="1" checked=query.overdue.is_some()
                label=locale.t("review.overdue_only")/>
            {with_mine.then(|| view! {
                <Choice kind="checkbox" id="mine" name="mine" value="1" checked=query.mine.is_some()
                    label=locale.t("review.mine_only")/>
            })}
            <button type="submit">{locale.t("review.filter")}</button>
        </form>
    }
}

/// The link to the next page of a queue, when there is one.
#[component]
pub fn NextPage(locale: Locale, href: Option<String>) -> impl IntoView {
    href.map(|href| {
        view! {
            <nav class="pager" aria-label=locale.t("review.pages")><a href=href rel="next">{locale.t("review.next_page")}</a></nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_ignored() {
        let id = Uuid::now_v7();
        let due = from_micros(1_700_000_000_000_000);
        assert_eq!(parse_cursor(&format!("{}.{id}", to_micros(due))), Some((due, id)));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor("12.not-a-uuid"), None);
    }
}
