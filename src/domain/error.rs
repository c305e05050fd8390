//! Why the domain refuses an input: one variant per problem, each naming the field and the fault.
//!
//! Policy: every variant here is safe and meant to be shown to the person who made the input. The
//! English message is the fallback; the HTTP layer localises by the stable [`DomainError::code`].
//! Nothing here carries a stack trace, SQL or another subject's data.

use chrono::{DateTime, Utc};

use super::blacklist::EntryStatus;
use super::ids::{EventId, RuleVersionId};
use super::rule::RuleStatus;

/// A refused input. Refusing changes nothing: every domain operation that returns this error
/// leaves its receiver as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// An identifier that is not a UUID.
    #[error("{field} is not a valid identifier: {value:?}")]
    InvalidId { field: &'static str, value: String },
    /// A required text or list is empty (or only spaces).
    #[error("{field} must not be empty")]
    EmptyField { field: &'static str },
    /// A text is longer than allowed.
    #[error("{field} is too long: {len} characters, at most {max} allowed")]
    TooLong { field: &'static str, len: usize, max: usize },
    /// A number that must be above zero is not.
    #[error("{field} must be more than zero")]
    NotPositive { field: &'static str },
    /// A date that may not lie in the future does.
    #[error("{field} is in the future")]
    FutureDate { field: &'static str },
    /// Two dates in the wrong order.
    #[error("{field} must be later than {must_follow}")]
    DateOrder { field: &'static str, must_follow: &'static str },
    /// A grade label with characters a grade cannot have.
    #[error("{value:?} is not a valid grade: use 1 to 16 letters, '+' or '-', starting with a letter")]
    InvalidGrade { value: String },
    /// A rule code with characters a rule code cannot have.
    #[error(
        "{value:?} is not a valid rule code: use 2 to 32 capital letters, digits, '-', '_' or '.', starting with a letter or digit"
    )]
    InvalidRuleCode { value: String },
    /// A behaviour category that is not on the fixed list.
    #[error("{value:?} is not a behaviour category")]
    UnknownCategory { value: String },
    /// A component code with characters a component code cannot have.
    #[error(
        "{value:?} is not a valid component code: use 1 to 32 small letters, digits or '_', starting with a letter"
    )]
    InvalidComponentCode { value: String },
    /// A scheme code that is empty or too long.
    #[error("{value:?} is not a valid scheme code: use 1 to 64 letters, digits, '-' or '_'")]
    InvalidSchemeCode { value: String },
    /// A band's minimum is not strictly below the minimum of the band above it.
    #[error("grade band {grade} starts at {min}, which is not below the band above it")]
    BandsNotDescending { grade: String, min: i64 },
    /// The same grade label twice in one scheme.
    #[error("grade {grade} appears twice in the bands")]
    DuplicateGrade { grade: String },
    /// The open-below band is missing, doubled, or not the lowest.
    #[error("exactly one grade band, the lowest, must have no minimum")]
    OpenBandNotLast,
    /// A grade the scheme does not have.
    #[error("grade {grade} is not one of this scheme's bands")]
    UnknownGrade { grade: String },
    /// Weighted scheme: the component weights do not add up to 100.
    #[error("component weights add up to {total}%; they must add up to 100%")]
    WeightsDoNotSumTo100 { total: u32 },
    /// Weighted scheme: the same component twice.
    #[error("component {component} appears twice")]
    DuplicateComponent { component: String },
    /// Weighted scheme: a component's starting sub-score outside 0..=100.
    #[error("component {component} starts at {start}; a sub-score lies between 0 and 100")]
    ComponentStartOutOfRange { component: String, start: i64 },
    /// A minimum that is not below its maximum.
    #[error("{field}: the minimum {min} must be below the maximum {max}")]
    InvalidRange { field: &'static str, min: i64, max: i64 },
    /// Weighted scheme: rounding the contributions could overshoot the top of the range.
    #[error(
        "with these weights the rounded contributions can reach {reach}, beyond the score range of {span}"
    )]
    ContributionsExceedRange { reach: i64, span: i64 },
    /// No published version of this rule exists in the scheme's catalogue.
    #[error("no rule with code {code} is published in this scheme's catalogue")]
    UnknownRule { code: String },
    /// The event happened before the first version of its rule took effect.
    #[error("rule {code} only takes effect on {effective_from}; the event happened before that")]
    BeforeRuleEffective { code: String, effective_from: DateTime<Utc> },
    /// The rule had ended or been repealed at the event's date.
    #[error("rule {code} was not in force on {at}")]
    RuleNotInForce { code: String, at: DateTime<Utc> },
    /// A rule version id that is not in this catalogue.
    #[error("rule version {id} is not in this scheme's catalogue")]
    UnknownRuleVersion { id: RuleVersionId },
    /// A rule version that already exists.
    #[error("version {version} of rule {code} already exists")]
    DuplicateRuleVersion { code: String, version: u32 },
    /// Recorded points outside the range the rule allows.
    #[error("{points} points is outside the range this rule allows ({min} to {max})")]
    PointsOutOfRange { points: i64, min: i64, max: i64 },
    /// A rule's default points outside its own range.
    #[error("the default of {default} points is outside the rule's own range ({min} to {max})")]
    DefaultOutOfRange { default: i64, min: i64, max: i64 },
    /// A rule's effect does not fit the scheme it belongs to.
    #[error(
        "rule {code} does not fit this scheme: a points scheme needs a points effect, a weighted scheme one of its own components"
    )]
    EffectDoesNotFitScheme { code: String },
    /// A validity period of zero.
    #[error("counts_for must be at least one day or one month")]
    ZeroValidity,
    /// Publishing a rule that has no legal basis.
    #[error("a rule cannot be published without a legal basis")]
    MissingLegalBasis,
    /// Publishing a rule whose legal basis is not given in Chinese too.
    #[error("a rule cannot be published without its legal basis in Chinese")]
    MissingLegalBasisZh,
    /// Changing a rule version that is no longer a draft.
    #[error("rule {code} version {version} is {status} and cannot be changed; make a new version")]
    NotDraft { code: String, version: u32, status: RuleStatus },
    /// Repealing a rule version that is not published.
    #[error("rule {code} version {version} is {status}; only a published version can be repealed")]
    NotPublished { code: String, version: u32, status: RuleStatus },
    /// A correction naming an event that is not on this subject's record in this scheme.
    #[error("event {event} is not on this subject's record in this scheme")]
    UnknownTarget { event: EventId },
    /// A correction naming an event that was already voided.
    #[error("event {event} was already voided by {by}")]
    AlreadyVoided { event: EventId, by: EventId },
    /// A correction naming an event that was already superseded.
    #[error("event {event} was already superseded by {by}")]
    AlreadySuperseded { event: EventId, by: EventId },
    /// A correction naming a voiding record.
    #[error("event {event} is itself a voiding record and cannot be corrected")]
    TargetIsVoid { event: EventId },
    /// A blacklist entry that would take effect before its notice is delivered.
    #[error(
        "the entry would take effect on {effective_from}, before its notice was delivered on {notice_delivered_at}"
    )]
    EffectiveBeforeNotice { effective_from: DateTime<Utc>, notice_delivered_at: DateTime<Utc> },
    /// A currency that is not three capital letters.
    #[error("{value:?} is not a currency code: use three capital letters such as CNY")]
    InvalidCurrency { value: String },
    /// A restriction code that is not known.
    #[error("{value:?} is not a known restriction")]
    UnknownRestriction { value: String },
    /// A question about a standing that is not known (`store::status::QuestionKind`).
    #[error("{value:?} is not a known question: use restricted, on_any_blacklist or grade_at_least")]
    UnknownQuestion { value: String },
    /// A blacklist entry change its current status does not allow.
    #[error("the entry is {status}; it cannot be {action}")]
    EntryTransition { status: EntryStatus, action: &'static str },
    /// A write its authority holds no mandate for: a rule (`what` is its code) or a list (`what`
    /// is its id).
    #[error("the recording authority holds no mandate for {what}")]
    OutsideMandate { field: &'static str, what: String },
    /// A mandate's rule pattern that is not `CODE`, `PREFIX*` or `*`.
    #[error("{value:?} is not a rule pattern: use a rule code, a prefix followed by '*', or '*' alone")]
    InvalidRulePattern { value: String },
}

impl DomainError {
    /// A stable, snake_case identifier of the problem: the key the HTTP layer localises by and
    /// API clients match on. Never changes once released.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidId { .. } => "invalid_id",
            Self::EmptyField { .. } => "empty_field",
            Self::TooLong { .. } => "too_long",
            Self::NotPositive { .. } => "not_positive",
            Self::FutureDate { .. } => "future_date",
            Self::DateOrder { .. } => "date_order",
            Self::InvalidGrade { .. } => "invalid_grade",
            Self::InvalidRuleCode { .. } => "invalid_rule_code",
            Self::UnknownCategory { .. } => "unknown_category",
            Self::InvalidComponentCode { .. } => "invalid_component_code",
            Self::InvalidSchemeCode { .. } => "invalid_scheme_code",
            Self::BandsNotDescending { .. } => "bands_not_descending",
            Self::DuplicateGrade { .. } => "duplicate_grade",
            Self::OpenBandNotLast => "open_band_not_last",
            Self::UnknownGrade { .. } => "unknown_grade",
            Self::WeightsDoNotSumTo100 { .. } => "weights_do_not_sum_to_100",
            Self::DuplicateComponent { .. } => "duplicate_component",
            Self::ComponentStartOutOfRange { .. } => "component_start_out_of_range",
            Self::InvalidRange { .. } => "invalid_range",
            Self::ContributionsExceedRange { .. } => "contributions_exceed_range",
            Self::UnknownRule { .. } => "unknown_rule",
            Self::BeforeRuleEffective { .. } => "before_rule_effective",
            Self::RuleNotInForce { .. } => "rule_not_in_force",
            Self::UnknownRuleVersion { .. } => "unknown_rule_version",
            Self::DuplicateRuleVersion { .. } => "duplicate_rule_version",
            Self::PointsOutOfRange { .. } => "points_out_of_range",
            Self::DefaultOutOfRange { .. } => "default_out_of_range",
            Self::EffectDoesNotFitScheme { .. } => "effect_does_not_fit_scheme",
            Self::ZeroValidity => "zero_validity",
            Self::MissingLegalBasis => "missing_legal_basis",
            Self::MissingLegalBasisZh => "missing_legal_basis_zh",
            Self::NotDraft { .. } => "not_draft",
            Self::NotPublished { .. } => "not_published",
            Self::UnknownTarget { .. } => "unknown_target",
            Self::AlreadyVoided { .. } => "already_voided",
            Self::AlreadySuperseded { .. } => "already_superseded",
            Self::TargetIsVoid { .. } => "target_is_void",
            Self::EffectiveBeforeNotice { .. } => "effective_before_notice",
            Self::InvalidCurrency { .. } => "invalid_currency",
            Self::UnknownRestriction { .. } => "unknown_restriction",
            Self::UnknownQuestion { .. } => "unknown_question",
            Self::EntryTransition { .. } => "entry_transition",
            Self::OutsideMandate { .. } => "outside_mandate",
            Self::InvalidRulePattern { .. } => "invalid_rule_pattern",
        }
    }

    /// The input field the problem is about, when it is about one field: lets a form put the
    /// message beside the right input.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidId { field, .. }
            | Self::EmptyField { field }
            | Self::TooLong { field, .. }
            | Self::NotPositive { field }
            | Self::FutureDate { field }
            | Self::DateOrder { field, .. }
            | Self::OutsideMandate { field, .. }
            | Self::InvalidRange { field, .. } => Some(field),
            Self::InvalidGrade { .. } | Self::UnknownGrade { .. } => Some("grade"),
            Self::InvalidRuleCode { .. } | Self::UnknownRule { .. } | Self::DuplicateRuleVersion { .. } => {
                Some("rule_code")
            }
            Self::InvalidComponentCode { .. }
            | Self::DuplicateComponent { .. }
            | Self::ComponentStartOutOfRange { .. } => Some("component"),
            Self::InvalidSchemeCode { .. } => Some("code"),
            Self::BandsNotDescending { .. } | Self::DuplicateGrade { .. } | Self::OpenBandNotLast => {
                Some("bands")
            }
            Self::WeightsDoNotSumTo100 { .. } | Self::ContributionsExceedRange { .. } => Some("components"),
            Self::BeforeRuleEffective { .. } | Self::RuleNotInForce { .. } => Some("occurred_at"),
            Self::UnknownRuleVersion { .. } => Some("rule_version"),
            Self::PointsOutOfRange { .. } => Some("points"),
            Self::DefaultOutOfRange { .. } | Self::EffectDoesNotFitScheme { .. } => Some("effect"),
            Self::ZeroValidity => Some("counts_for"),
            Self::MissingLegalBasis => Some("legal_basis"),
            Self::MissingLegalBasisZh => Some("legal_basis_zh"),
            Self::UnknownCategory { .. } => Some("category"),
            Self::UnknownTarget { .. }
            | Self::AlreadyVoided { .. }
            | Self::AlreadySuperseded { .. }
            | Self::TargetIsVoid { .. } => Some("target"),
            Self::EffectiveBeforeNotice { .. } => Some("effective_from"),
            Self::InvalidCurrency { .. } => Some("currency"),
            Self::UnknownRestriction { .. } => Some("restrictions"),
            Self::UnknownQuestion { .. } => Some("questions"),
            Self::InvalidRulePattern { .. } => Some("rules"),
            Self::NotDraft { .. } | Self::NotPublished { .. } | Self::EntryTransition { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_the_problem() {
        let e = DomainError::FutureDate { field: "occurred_at" };
        assert_eq!(e.to_string(), "occurred_at is in the future");
        assert_eq!(e.code(), "future_date");
        assert_eq!(e.field(), Some("occurred_at"));
        let e = DomainError::PointsOutOfRange { points: -50, min: -5, max: -5 };
        assert_eq!(e.to_string(), "-50 points is outside the range this rule allows (-5 to -5)");
        assert_eq!(e.field(), Some("points"));
    }
}
