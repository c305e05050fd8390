//! Chinese throughout, on both databases: every field Recourse holds in both languages is shown
//! in Chinese on a Chinese page. The test reads the English side of every such field from the
//! database (rule titles, descriptions and legal bases; scheme, operator, component and grade
//! names; authorities, lists and review bodies), then walks every page each demo role can reach
//! by following links, in Chinese, and fails on any of those English texts found outside what a
//! page marks as English (`lang="en"`) or what a form field holds (the administration forms edit
//! both languages side by side).

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::Utc;
use common::{for_each_database, signed_in, TestApp};
use recourse::demo::ACCOUNTS;
use reqwest::{Client, StatusCode};
use sqlx::Row;

/// The English side of every field held in both languages, with where it comes from, when the
/// two sides differ (a grade such as "A+++" reads the same in both).
async fn english_sides(app: &TestApp) -> Vec<(String, String)> {
    let pairs = [
        ("rule title", "SELECT title_en, title_zh FROM rule_versions"),
        ("rule description", "SELECT description_en, description_zh FROM rule_versions"),
        (
            "legal basis",
            "SELECT legal_basis, COALESCE(legal_basis_zh, '') FROM rule_versions WHERE legal_basis IS NOT NULL",
        ),
        ("scheme name", "SELECT name_en, name_zh FROM schemes"),
        ("scheme operator", "SELECT operator_en, operator_zh FROM schemes"),
        ("component name", "SELECT name_en, name_zh FROM scheme_components"),
        ("grade name", "SELECT grade, COALESCE(grade_zh, grade) FROM scheme_bands"),
        ("authority name", "SELECT name_en, name_zh FROM authorities"),
        ("list name", "SELECT name_en, name_zh FROM blacklist_lists"),
        ("review body name", "SELECT name_en, name_zh FROM review_bodies"),
    ];
    let mut out = BTreeMap::new();
    for (what, sql) in pairs {
        for row in sqlx::query(sql).fetch_all(&app.db.pool).await.unwrap() {
            let (en, zh): (String, String) = (row.get(0), row.get(1));
            if en != zh && en.chars().any(|c| c.is_ascii_alphabetic()) {
                out.insert(en, what.to_string());
            }
        }
    }
    assert!(out.len() > 50, "{}: the demo's bilingual fields were found: {out:?}", app.label);
    out.into_iter().map(|(en, what)| (what, en)).collect()
}

/// Removes every element whose start tag matches `marker` (e.g. `lang="en"`), with its content.
fn without_marked(html: &str, marker: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        let Some(open) = rest[..=at].rfind('<') else { break };
        let name: String = rest[open + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        out.push_str(&rest[..open]);
        // Skip to the matching end tag, counting nested elements of the same name.
        let (start, end) = (format!("<{name}"), format!("</{name}>"));
        let mut depth = 0usize;
        let mut i = open;
        loop {
            let next_start = rest[i + 1..].find(&start).map(|p| p + i + 1);
            let Some(next_end) = rest[i..].find(&end).map(|p| p + i) else {
                i = rest.len();
                break;
            };
            match next_start {
                Some(s) if s < next_end => {
                    depth += 1;
                    i = s;
                }
                _ if depth > 0 => {
                    depth -= 1;
                    i = next_end + end.len() - 1;
                }
                _ => {
                    i = next_end + end.len();
                    break;
                }
            }
        }
        rest = &rest[i.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// What a person reads of a page: its text and the labels and titles of its elements, not the
/// values held in form fields, nor what the page marks as English.
fn readable(html: &str) -> String {
    let html = without_marked(html, r#"lang="en""#);
    let html = without_marked(&html, "<textarea");
    let html = without_marked(&html, "<script");
    let html = without_marked(&html, "<style");
    let mut text = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = rest[open..].find('>').map_or(rest.len(), |c| c + open);
        let tag = &rest[open..close];
        for attribute in ["aria-label=\"", "title=\"", "alt=\"", "placeholder=\""] {
            if let Some(a) = tag.find(attribute) {
                let value = &tag[a + attribute.len()..];
                text.push(' ');
                text.push_str(&value[..value.find('"').unwrap_or(value.len())]);
                text.push(' ');
            }
        }
        text.push(' ');
        rest = &rest[(close + 1).min(rest.len())..];
    }
    text.push_str(rest);
    text.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Whether `needle` stands in `text` as a whole word or phrase.
fn stands_in(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The path pattern of a link: ids and numbers made alike, so a few of each kind are visited.
fn pattern(path: &str) -> String {
    path.split('/')
        .map(|part| {
            let id_like = part.len() >= 16 && part.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if id_like || part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The same-site pages a page links to (no downloads, language switches or sign-out).
fn links(html: &str) -> Vec<String> {
    html.match_indices("href=\"")
        .filter_map(|(at, m)| {
            let value = &html[at + m.len()..];
            let href = value[..value.find('"')?].replace("&amp;", "&");
            let path = href.split('#').next()?.to_string();
            let skip = !path.starts_with('/')
                || path.starts_with("//")
                || ["/language/", "/style/", "/sign-out", "/healthz"].iter().any(|p| path.starts_with(p))
                || [".csv", ".json", "/export", "/download", "/files/"].iter().any(|p| path.contains(p));
            (!skip).then_some(path)
        })
        .collect()
}

/// Walks every page `client` reaches from `start` in Chinese (a few of each path pattern) and
/// returns the English texts found on each: (path, what, text).
async fn walk(
    app: &TestApp,
    client: &Client,
    start: &str,
    english: &[(String, String)],
) -> (usize, Vec<String>) {
    let mut queue = VecDeque::from([start.to_string(), "/".to_string()]);
    let mut seen = BTreeSet::new();
    let mut per_pattern: BTreeMap<String, usize> = BTreeMap::new();
    let mut found = Vec::new();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let count = per_pattern.entry(pattern(path.split('?').next().unwrap_or(&path))).or_default();
        *count += 1;
        if *count > 3 {
            continue;
        }
        let response = client.get(app.url(&path)).header("accept-language", "zh-CN").send().await.unwrap();
        let html_page = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html"));
        if response.status() != StatusCode::OK || !html_page {
            continue;
        }
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"<html lang="zh-CN""#), "{}: {path} is not in Chinese", app.label);
        pages += 1;
        let text = readable(&html);
        for (what, en) in english {
            if stands_in(&text, en) {
                found.push(format!("{path}: {what} in English: {en:?}"));
            }
        }
        queue.extend(links(&html));
    }
    (pages, found)
}

#[tokio::test]
async fn no_page_in_chinese_shows_the_english_side_of_a_field_held_in_both_languages() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
        let english = english_sides(&app).await;
        let mut found = Vec::new();
        let mut pages = 0;
        let (n, f) = walk(&app, &TestApp::new_client(), "/rules", &english).await;
        pages += n;
        found.extend(f.into_iter().map(|f| format!("anonymous {f}")));
        for account in ACCOUNTS {
            let client = signed_in(&app, (account.username, account.password)).await;
            let (n, f) = walk(&app, &client, "/", &english).await;
            pages += n;
            found.extend(f.into_iter().map(|f| format!("{} {f}", account.username)));
        }
        assert!(pages > 100, "{}: only {pages} pages walked", app.label);
        assert!(found.is_empty(), "{}: English on Chinese pages:\n{}", app.label, found.join("\n"));
    })
    .await;
}

#[test]
fn what_is_marked_english_or_held_in_a_field_is_not_read_as_shown_text() {
    let html = r#"<dl><dt>英文标题</dt><dd lang="en">Speeding <b>in</b> town</dd><dd>超速</dd></dl>
        <input value="Speeding"><textarea name="d">Speeding</textarea><a aria-label="Good">x</a>"#;
    let text = readable(html);
    assert!(!stands_in(&text, "Speeding"), "{text}");
    assert!(stands_in(&text, "Good") && stands_in(&text, "超速"), "{text}");
    assert!(!stands_in("Goodness", "Good"));
    assert_eq!(pattern("/record/events/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), "/record/events/{id}");
    assert_eq!(
        links(r#"<a href="/rules/x">a</a><a href="/record.csv">b</a><a href="https://x">c</a>"#),
        ["/rules/x"]
    );
}
