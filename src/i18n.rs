//! The person's language: English or Simplified Chinese, from the `lang` cookie set by the
//! header's language switch, else from Accept-Language. Every user-facing string goes through
//! [`Locale::t`], backed by `locales/*.yml` (rust-i18n); a test fails when a key is missing.

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, HeaderMap},
};
use axum_extra::extract::CookieJar;
use std::{borrow::Cow, cell::RefCell, collections::HashMap, convert::Infallible};

/// Name of the cookie that remembers the language switch.
pub const LANG_COOKIE: &str = "lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag, used for the `lang` attribute, the cookie and the locale files.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, as shown in the language switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "zh-cn" | "zh" | "zh-hans" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// Best match for an Accept-Language header; English when nothing matches.
    pub fn from_accept_language(header: &str) -> Self {
        for tag in accept_language::parse(header) {
            let lower = tag.to_ascii_lowercase();
            if lower.starts_with("zh") && !lower.contains("hant") && lower != "zh-tw" && lower != "zh-hk" {
                return Locale::ZhCn;
            }
            if lower.starts_with("en") {
                return Locale::En;
            }
        }
        Locale::En
    }

    /// The translation of `key` in this locale.
    pub fn t(self, key: &str) -> String {
        match self.text(key) {
            Some(text) => text.to_string(),
            // What rust-i18n shows for a missing key (a test fails on any).
            None => format!("{}.{key}", self.code()),
        }
    }

    /// The translation of `key` in this locale, if there is one. Each key found is kept on the
    /// thread in a map with a fast hash: rust-i18n hashes the language and then the key with
    /// SipHash at every lookup, and a page makes a hundred.
    pub fn text(self, key: &str) -> Option<&'static str> {
        type Kept = HashMap<Box<str>, &'static str, rustc_hash::FxBuildHasher>;
        thread_local! {
            static KEPT: RefCell<[Kept; 2]> = RefCell::default();
        }
        let index = self as usize;
        if let Some(text) = KEPT.with_borrow(|kept| kept[index].get(key).copied()) {
            return Some(text);
        }
        // rust-i18n lends every translation out of its table, which lives as long as the
        // program; were one ever made afresh, it would show as missing, and fail the tests.
        let Cow::Borrowed(text) = crate::_rust_i18n_try_translate(self.code(), key)? else {
            return None;
        };
        KEPT.with_borrow_mut(|kept| kept[index].insert(key.into(), text));
        Some(text)
    }

    /// The translation of `key` with `%{name}` placeholders filled in.
    pub fn t_with(self, key: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(self.t(key), |text, (name, value)| text.replace(&format!("%{{{name}}}"), value))
    }

    /// The wording of `key` for a count of `n`: `<key>.one` for exactly one, else `<key>.other`,
    /// with `%{n}` and the other placeholders filled in. Chinese has no grammatical plural, but
    /// its `one` form still reads "this record" rather than "these 1 records".
    pub fn t_count(self, key: &str, n: usize, args: &[(&str, &str)]) -> String {
        let form = if n == 1 { "one" } else { "other" };
        let count = n.to_string();
        let mut all = vec![("n", count.as_str())];
        all.extend_from_slice(args);
        self.t_with(&format!("{key}.{form}"), &all)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Locale {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(locale_of(parts))
    }
}

/// The locale a request asks for: cookie first, then Accept-Language.
pub fn locale_of(parts: &Parts) -> Locale {
    locale_in(&CookieJar::from_headers(&parts.headers), &parts.headers)
}

/// [`locale_of`] for a request whose cookies are already read into `jar`.
pub fn locale_in(jar: &CookieJar, headers: &HeaderMap) -> Locale {
    if let Some(locale) = jar.get(LANG_COOKIE).and_then(|c| Locale::from_code(c.value())) {
        return locale;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_simplified_chinese_when_asked() {
        assert_eq!(Locale::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language("en-GB,en;q=0.9"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr-FR, zh;q=0.5"), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language("zh-TW"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
    }

    #[test]
    fn counts_pick_the_singular_only_for_one() {
        let one = Locale::En.t_count("record.lift", 1, &[("grade", "A"), ("score", "1000")]);
        let three = Locale::En.t_count("record.lift", 3, &[("grade", "A"), ("score", "1000")]);
        assert!(one.contains("this record") && one.contains("1000") && !one.contains("these"), "{one}");
        assert!(three.contains("these 3 records"), "{three}");
        let zh = Locale::ZhCn.t_count("record.lift", 1, &[("grade", "A"), ("score", "1000")]);
        assert!(!zh.contains("这1条") && zh.contains("1000"), "{zh}");
    }

    #[test]
    fn each_language_finds_its_own_text_and_a_missing_key_shows_as_missing() {
        for _ in 0..2 {
            // The second time from the kept texts.
            let (en, zh) = (Locale::En.text("record.title"), Locale::ZhCn.text("record.title"));
            assert_eq!(en.map(str::to_string), Some(Locale::En.t("record.title")));
            assert!(
                en.is_some_and(|en| en.is_ascii()) && zh.is_some_and(|zh| !zh.is_ascii()),
                "{en:?} {zh:?}"
            );
            // Put together, so the test of the keys the code uses does not take it for one.
            let missing = ["record", "no_such_key"].join(".");
            assert_eq!(Locale::ZhCn.text(&missing), None);
            assert_eq!(Locale::ZhCn.t(&missing), "zh-CN.record.no_such_key");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(Locale::En.t_with("error.not_found.body", &[]).len() > 10);
    }
}
