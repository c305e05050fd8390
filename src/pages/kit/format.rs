//! How numbers, dates and domain values read on a page, in the person's language.

use chrono::{DateTime, Datelike, Utc};

use crate::{
    domain::{Category, Effect, Restriction, RuleVersion, Validity},
    i18n::Locale,
    store::{accounts::Role, catalogue::SchemeRecord, standing::RecordStatus},
};

/// A behaviour category as a person reads it.
pub fn category(locale: Locale, c: Category) -> String {
    locale.t(&format!("category.{}", c.code()))
}

/// A signed points figure with a real minus sign: "+30", "−5", "0".
pub fn points(value: i64) -> String {
    match value {
        v if v > 0 => format!("+{v}"),
        v if v < 0 => format!("\u{2212}{}", v.unsigned_abs()),
        _ => "0".into(),
    }
}

/// A calendar date: "1 March 2025" or "2025年3月1日".
/// Written out directly: a heavy record page shows hundreds of dates, and chrono's `format`
/// parses its pattern again for each.
pub fn date(locale: Locale, at: DateTime<Utc>) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (year, month, day) = (at.year(), at.month(), at.day());
    match locale {
        Locale::En => format!("{day} {} {year}", MONTHS[month as usize - 1]),
        Locale::ZhCn => format!("{year}年{month}月{day}日"),
    }
}

/// A date for `<time datetime>` attributes and form values.
pub fn iso_date(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

/// How long a record counts: "24 months", "90 days".
pub fn validity(locale: Locale, v: Validity) -> String {
    let (key, n) = match v {
        Validity::Days(n) => ("format.days", n),
        Validity::Months(n) => ("format.months", n),
    };
    locale.t_with(key, &[("n", &n.to_string())])
}

/// A rule's effect: "−5 points", "−10 to −30 points (usually −20)", "payment history +4".
pub fn effect(locale: Locale, e: &Effect, component_name: Option<&str>) -> String {
    let (default, min, max) = match e {
        Effect::Points { default, min, max } | Effect::Component { default, min, max, .. } => {
            (*default, *min, *max)
        }
    };
    let amount = if min == max {
        locale.t_with("format.points", &[("n", &points(default))])
    } else {
        locale.t_with(
            "format.points_range",
            &[("min", &points(min)), ("max", &points(max)), ("default", &points(default))],
        )
    };
    match (e, component_name) {
        (Effect::Component { component, .. }, name) => {
            format!("{}: {amount}", name.unwrap_or(component.as_str()))
        }
        _ => amount,
    }
}

/// A rule version's title in the person's language.
pub fn rule_title(locale: Locale, v: &RuleVersion) -> &str {
    match locale {
        Locale::En => &v.content().title_en,
        Locale::ZhCn => &v.content().title_zh,
    }
}

/// A rule version's plain-language description in the person's language.
pub fn rule_description(locale: Locale, v: &RuleVersion) -> &str {
    match locale {
        Locale::En => &v.content().description_en,
        Locale::ZhCn => &v.content().description_zh,
    }
}

/// Picks the English or Chinese of a pair of stored names.
pub fn pick<'a>(locale: Locale, en: &'a str, zh: &'a str) -> &'a str {
    match locale {
        Locale::En => en,
        Locale::ZhCn => zh,
    }
}

/// A grade of `scheme` by its name in the reader's language: every page names grades through this.
pub fn grade<'a>(locale: Locale, scheme: &'a SchemeRecord, grade: &'a str) -> &'a str {
    scheme.grade_name(grade, locale == Locale::ZhCn)
}

/// A rule version's legal basis in the reader's language; a version published before there were
/// two texts has only its English one.
pub fn legal_basis(locale: Locale, version: &RuleVersion) -> Option<String> {
    let zh = (locale == Locale::ZhCn).then(|| version.legal_basis_zh()).flatten();
    zh.or(version.legal_basis()).map(|b| b.as_str().to_string())
}

/// What a restriction stops a listed person doing, in plain words.
pub fn restriction(locale: Locale, r: Restriction) -> String {
    locale.t(&format!("restriction.{}", r.code()))
}

/// A date and time in UTC, as a person reads it.
pub fn datetime(locale: Locale, at: DateTime<Utc>) -> String {
    match locale {
        Locale::En => at.format("%-d %B %Y, %H:%M UTC").to_string(),
        Locale::ZhCn => at.format("%Y年%-m月%-d日 %H:%M（UTC）").to_string(),
    }
}

/// The label of a role in the person's language.
pub fn role_label(locale: Locale, role: Role) -> String {
    locale.t(&format!("account.role.{}", role.as_str()))
}

/// What a record is in a derivation, in a few words: "Counts (−5)", "Suspended while disputed".
pub fn record_status(locale: Locale, status: RecordStatus<'_>) -> String {
    match status {
        RecordStatus::Counts { points: p } => {
            locale.t_with("record.status_counts_points", &[("points", &points(p))])
        }
        RecordStatus::DoesNotCount(reason) => locale.t(&format!("record.reason_{}", reason.code())),
        RecordStatus::Voids(_) => locale.t("record.status_voids"),
        RecordStatus::NotYetOnFile => locale.t("record.status_not_yet_on_file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn points_carry_a_real_sign() {
        assert_eq!(points(30), "+30");
        assert_eq!(points(-5), "\u{2212}5");
        assert_eq!(points(0), "0");
    }

    #[test]
    fn dates_read_naturally_in_both_languages() {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(date(Locale::En, at), "1 March 2025");
        assert_eq!(date(Locale::ZhCn, at), "2025年3月1日");
    }

    #[test]
    fn every_restriction_has_words_in_both_languages() {
        for r in Restriction::ALL {
            for locale in Locale::ALL {
                let words = restriction(locale, r);
                assert!(!words.contains("restriction."), "{locale:?} {r:?}: {words}");
            }
        }
    }
}
