//! Text Recourse wrote into the record in English ([`crate::domain::wording`]), shown in the
//! reader's language. Text a person wrote (an administrator's reasons, a name) stays as written.

use super::format::pick;
use crate::{
    domain::wording::{self, Purpose},
    i18n::Locale,
};

/// A stored purpose of a read, in `locale`.
pub fn purpose(locale: Locale, stored: &str) -> String {
    let (key, reference) = match Purpose::parse(stored) {
        Purpose::Recording => ("access.purpose_recording", ""),
        Purpose::Reviewing(r) => ("access.purpose_reviewing", r),
        Purpose::ReadingDecision(r) => ("access.purpose_reading_decision", r),
        Purpose::DownloadingEvidence(r) => ("access.purpose_downloading_evidence", r),
        Purpose::Other(text) => return text.to_string(),
    };
    locale.t_with(key, &[("reference", reference)])
}

/// A stored body of a read (its English name, or [`wording::ADMINISTRATION`]), in `locale`, given
/// every body's English and Chinese names.
pub fn body(locale: Locale, stored: &str, names: &[(String, String)]) -> String {
    if stored == wording::ADMINISTRATION {
        return locale.t("access.body_administration");
    }
    names
        .iter()
        .find(|(en, _)| en == stored)
        .map_or_else(|| stored.to_string(), |(en, zh)| pick(locale, en, zh).to_string())
}

/// A reason Recourse wrote on a record, in `locale`.
pub fn reason(locale: Locale, stored: &str) -> String {
    if stored == wording::NOT_VERIFIED_IN_TIME {
        return locale.t("appeals.not_verified_in_time");
    }
    match wording::parse_repealed(stored) {
        Some((code, why)) => locale.t_with("record.reason_repealed", &[("code", code), ("reason", why)]),
        None => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_recourse_wrote_reads_in_each_language() {
        for locale in Locale::ALL {
            for written in
                [Purpose::Recording, Purpose::Reviewing("A-1"), Purpose::DownloadingEvidence("A-1")]
            {
                let shown = purpose(locale, &written.text());
                assert!(!shown.starts_with("access.") && !shown.is_empty(), "{shown}");
            }
            let shown = reason(locale, &wording::repealed("TRAFFIC-01", "struck down"));
            assert!(shown.contains("TRAFFIC-01") && shown.contains("struck down"), "{shown}");
            assert_eq!(purpose(locale, "an audit"), "an audit", "text a person wrote stays");
        }
        let zh = Locale::ALL.into_iter().find(|l| l.code() == "zh-CN").unwrap();
        assert!(!purpose(zh, &Purpose::Reviewing("A-1").text()).contains("Reviewing"));
        assert!(!reason(zh, &wording::repealed("X", "y")).contains("was repealed"));
    }
}
