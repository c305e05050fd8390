//! How a refused input reads on a staff form: each [`DomainError`] becomes a message in the
//! person's language that names the field and the problem, placed beside that field.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::{domain::DomainError, i18n::Locale};

use super::format;

/// The fields staff forms name in messages (keys `problems.field_<name>`).
pub const FIELDS: &[&str] = &[
    "scheme",
    "rule_code",
    "rules",
    "valid_from",
    "occurred_at",
    "points",
    "source",
    "evidence_ref",
    "external_ref",
    "list",
    "case_number",
    "legal_basis",
    "legal_basis_zh",
    "reason",
    "restrictions",
    "notice_delivered_at",
    "effective_from",
    "expires_at",
    "removal",
    "amount",
    "currency",
    "delivered_at",
    "how",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "effect",
    "counts_for",
    "effective_to",
    "component",
    "bands",
    "grade",
    "grade_zh",
    "dispute_policy",
    "appeal_deadline_days",
    "code",
    "name_en",
    "name_zh",
    "target",
    "now",
    "at",
    "name",
    "purpose",
    "questions",
    "label",
];

/// Reads a form's date and time (`2026-03-01T08:30` from a datetime input, or `2026-03-01 08:30`),
/// or a bare date (its midnight), as UTC.
pub fn instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// The message for a date the form could not read.
pub fn unreadable_date(locale: Locale, field: &str) -> String {
    locale.t_with("problems.bad_date", &[("field", &field_label(locale, field))])
}

/// The name of a field as a message says it; unknown fields by their code.
pub fn field_label(locale: Locale, field: &str) -> String {
    if FIELDS.contains(&field) {
        locale.t(&format!("problems.field_{field}"))
    } else {
        field.to_string()
    }
}

/// The form field a refusal belongs beside (empty: the form as a whole), and its message.
pub fn describe(locale: Locale, error: &DomainError) -> (&'static str, String) {
    let field = error.field().unwrap_or("");
    let label = |f: &str| field_label(locale, f);
    let date = |at: &DateTime<Utc>| format::date(locale, *at);
    let message = match error {
        DomainError::EmptyField { field } => {
            locale.t_with("problems.empty_field", &[("field", &label(field))])
        }
        DomainError::TooLong { field, len, max } => locale.t_with(
            "problems.too_long",
            &[("field", &label(field)), ("len", &len.to_string()), ("max", &max.to_string())],
        ),
        DomainError::NotPositive { field } => {
            locale.t_with("problems.not_positive", &[("field", &label(field))])
        }
        DomainError::FutureDate { field } => {
            locale.t_with("problems.future_date", &[("field", &label(field))])
        }
        DomainError::DateOrder { field, must_follow } => {
            locale.t_with("problems.date_order", &[("field", &label(field)), ("other", &label(must_follow))])
        }
        DomainError::InvalidRuleCode { value } => {
            locale.t_with("problems.invalid_rule_code", &[("value", value)])
        }
        DomainError::UnknownCategory { value } => {
            locale.t_with("problems.unknown_category", &[("value", value)])
        }
        DomainError::UnknownRule { code } => locale.t_with("problems.unknown_rule", &[("code", code)]),
        DomainError::BeforeRuleEffective { code, effective_from } => locale
            .t_with("problems.before_rule_effective", &[("code", code), ("date", &date(effective_from))]),
        DomainError::RuleNotInForce { code, at } => {
            locale.t_with("problems.rule_not_in_force", &[("code", code), ("date", &date(at))])
        }
        DomainError::PointsOutOfRange { points, min, max } => locale.t_with(
            "problems.points_out_of_range",
            &[("points", &points.to_string()), ("min", &min.to_string()), ("max", &max.to_string())],
        ),
        DomainError::DefaultOutOfRange { default, min, max } => locale.t_with(
            "problems.default_out_of_range",
            &[("default", &default.to_string()), ("min", &min.to_string()), ("max", &max.to_string())],
        ),
        DomainError::InvalidRange { field, min, max } => locale.t_with(
            "problems.invalid_range",
            &[("field", &label(field)), ("min", &min.to_string()), ("max", &max.to_string())],
        ),
        DomainError::EffectDoesNotFitScheme { code } => {
            locale.t_with("problems.effect_does_not_fit_scheme", &[("code", code)])
        }
        DomainError::ZeroValidity => locale.t("problems.zero_validity"),
        DomainError::MissingLegalBasis => locale.t("problems.missing_legal_basis"),
        DomainError::MissingLegalBasisZh => locale.t("problems.missing_legal_basis_zh"),
        DomainError::NotDraft { code, version, .. } => {
            locale.t_with("problems.not_draft", &[("code", code), ("version", &version.to_string())])
        }
        DomainError::NotPublished { code, version, .. } => {
            locale.t_with("problems.not_published", &[("code", code), ("version", &version.to_string())])
        }
        DomainError::DuplicateRuleVersion { code, .. } => {
            locale.t_with("problems.duplicate_rule_version", &[("code", code)])
        }
        DomainError::EffectiveBeforeNotice { effective_from, notice_delivered_at } => locale.t_with(
            "problems.effective_before_notice",
            &[("effective", &date(effective_from)), ("notice", &date(notice_delivered_at))],
        ),
        DomainError::InvalidCurrency { value } => {
            locale.t_with("problems.invalid_currency", &[("value", value)])
        }
        DomainError::UnknownRestriction { value } => {
            locale.t_with("problems.unknown_restriction", &[("value", value)])
        }
        DomainError::UnknownQuestion { value } => {
            locale.t_with("problems.unknown_question", &[("value", value)])
        }
        DomainError::EntryTransition { status, .. } => locale.t_with(
            "problems.entry_transition",
            &[("status", &locale.t(&format!("entry.status_{}", status.code())))],
        ),
        DomainError::InvalidGrade { value } => locale.t_with("problems.invalid_grade", &[("value", value)]),
        DomainError::DuplicateGrade { grade } => {
            locale.t_with("problems.duplicate_grade", &[("grade", grade)])
        }
        DomainError::BandsNotDescending { grade, .. } => {
            locale.t_with("problems.bands_not_descending", &[("grade", grade)])
        }
        DomainError::OpenBandNotLast => locale.t("problems.open_band_not_last"),
        DomainError::OutsideMandate { field: "rule_code", what } => {
            locale.t_with("problems.outside_mandate_rule", &[("code", what)])
        }
        DomainError::OutsideMandate { .. } => locale.t("problems.outside_mandate_list"),
        DomainError::InvalidRulePattern { value } => {
            locale.t_with("problems.invalid_rule_pattern", &[("value", value)])
        }
        other => locale.t_with("problems.other", &[("detail", &other.to_string())]),
    };
    (field, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryStatus;

    /// Keys built at run time: each must exist in both languages.
    #[test]
    fn every_field_and_entry_status_has_a_label_in_both_languages() {
        let statuses = [
            EntryStatus::PendingNotice,
            EntryStatus::Scheduled,
            EntryStatus::Active,
            EntryStatus::Suspended,
            EntryStatus::Lifted,
            EntryStatus::Expired,
        ];
        let keys: Vec<String> = FIELDS
            .iter()
            .map(|f| format!("problems.field_{f}"))
            .chain(statuses.iter().map(|s| format!("entry.status_{}", s.code())))
            .collect();
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }

    #[test]
    fn a_refusal_names_its_field_and_problem() {
        let (field, message) = describe(Locale::En, &DomainError::FutureDate { field: "occurred_at" });
        assert_eq!(field, "occurred_at");
        assert_eq!(message, "The date and time it happened cannot be in the future.");
        let (_, message) = describe(Locale::ZhCn, &DomainError::UnknownRule { code: "NOPE-1".into() });
        assert!(message.contains("NOPE-1"), "{message}");
    }

    #[test]
    fn dates_are_read_from_date_and_datetime_inputs() {
        assert_eq!(instant("2026-03-01T08:30").unwrap().to_rfc3339(), "2026-03-01T08:30:00+00:00");
        assert_eq!(instant(" 2026-03-01 ").unwrap().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert!(instant("1 March").is_none() && instant("2026-02-30").is_none());
    }
}
