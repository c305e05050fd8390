//! Rules of a scheme's published catalogue: versioned, immutable once published, never without a legal basis.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::category::Category;
use super::error::DomainError;
use super::ids::{RuleVersionId, SchemeId};
use super::lookup::IdTable;
use super::scheme::{ComponentCode, Scheme};
use super::text::{inline_code, required};

fn check_rule_code(text: &str) -> Result<String, DomainError> {
    let t = text.trim().to_ascii_uppercase();
    let ok = (2..=32).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_alphanumeric())
        && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(t)
    } else {
        Err(DomainError::InvalidRuleCode { value: text.chars().take(64).collect() })
    }
}

inline_code!(
    /// A rule's code in its catalogue, e.g. `TRAFFIC-01`: 2–32 capital letters, digits, `-`, `_`
    /// or `.`. Small letters are read as capitals.
    RuleCode,
    32,
    check_rule_code
);

/// The law, regulation or published policy that allows a rule or a listing. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LegalBasis(String);

impl LegalBasis {
    /// Longest accepted legal basis, in characters.
    pub const MAX_LEN: usize = 2_000;

    /// Trims and checks the text: not empty, at most [`LegalBasis::MAX_LEN`] characters.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        required("legal_basis", text, Self::MAX_LEN).map(Self)
    }

    /// [`LegalBasis::parse`] for the Chinese text of a rule's legal basis.
    pub fn parse_zh(text: &str) -> Result<Self, DomainError> {
        required("legal_basis_zh", text, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LegalBasis {
    type Error = DomainError;
    fn try_from(text: String) -> Result<Self, DomainError> {
        Self::parse(&text)
    }
}

impl From<LegalBasis> for String {
    fn from(basis: LegalBasis) -> Self {
        basis.0
    }
}

impl fmt::Display for LegalBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a record under the rule does to a score, and the points an authority may record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Points scheme: the record adds `points` (negative for a deduction) to the ledger. A fixed
    /// −5 ticket is `default = min = max = −5`.
    Points { default: i64, min: i64, max: i64 },
    /// Weighted scheme: the record moves one component's sub-score by `points`.
    Component { component: ComponentCode, default: i64, min: i64, max: i64 },
}

impl Effect {
    /// The allowed range of recorded points, inclusive.
    pub fn range(&self) -> (i64, i64) {
        match self {
            Self::Points { min, max, .. } | Self::Component { min, max, .. } => (*min, *max),
        }
    }

    /// Points recorded when the authority gives none.
    pub fn default_points(&self) -> i64 {
        match self {
            Self::Points { default, .. } | Self::Component { default, .. } => *default,
        }
    }

    /// The component a weighted rule moves.
    pub fn component(&self) -> Option<&ComponentCode> {
        match self {
            Self::Points { .. } => None,
            Self::Component { component, .. } => Some(component),
        }
    }

    /// Refuses `points` outside [`Effect::range`].
    pub fn check_points(&self, points: i64) -> Result<(), DomainError> {
        let (min, max) = self.range();
        if (min..=max).contains(&points) {
            Ok(())
        } else {
            Err(DomainError::PointsOutOfRange { points, min, max })
        }
    }

    /// Largest magnitude of points a rule may allow: keeps every sum far from `i64` overflow.
    pub const MAX_POINTS: i64 = 1_000_000_000;

    fn check(&self) -> Result<(), DomainError> {
        let (min, max) = self.range();
        if min > max || min < -Self::MAX_POINTS || max > Self::MAX_POINTS {
            return Err(DomainError::InvalidRange { field: "effect", min, max });
        }
        let default = self.default_points();
        if !(min..=max).contains(&default) {
            return Err(DomainError::DefaultOutOfRange { default, min, max });
        }
        Ok(())
    }

    /// Whether the effect can apply in `scheme`: a points effect in a points scheme, a component
    /// effect naming one of a weighted scheme's components.
    pub fn fits(&self, scheme: &Scheme) -> bool {
        match self {
            Self::Points { .. } => scheme.components().is_empty(),
            Self::Component { component, .. } => scheme.component_index(component).is_some(),
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Points { default, min, max } if min == max => write!(f, "{default} points"),
            Self::Points { default, min, max } => {
                write!(f, "{default} points (allowed {min} to {max})")
            }
            Self::Component { component, default, min, max } if min == max => {
                write!(f, "{component} {default}")
            }
            Self::Component { component, default, min, max } => {
                write!(f, "{component} {default} (allowed {min} to {max})")
            }
        }
    }
}

/// How long a record under the rule counts after it occurred.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Days(u32),
    /// Calendar months; a record of 31 January counting one month stops on 28 (or 29) February.
    Months(u32),
}

impl Validity {
    /// The instant a record that occurred at `occurred_at` stops counting. It counts while
    /// `at < ends(occurred_at)`. Same result as chrono's `checked_add_signed` (days) and
    /// `checked_add_months` (months, clamped to the month's last day), leap seconds aside;
    /// `DateTime::<Utc>::MAX_UTC` past the calendar's end.
    pub fn ends(self, occurred_at: DateTime<Utc>) -> DateTime<Utc> {
        self.ends_stamp(Stamp::of(occurred_at)).to_datetime()
    }

    /// [`Validity::ends`] in integer arithmetic: a derivation judges every record with it, and
    /// chrono's checked date arithmetic costs several times more.
    pub(crate) fn ends_stamp(self, occurred: Stamp) -> Stamp {
        let secs = match self {
            Self::Days(days) => occurred.secs + i64::from(days) * 86_400,
            Self::Months(months) => {
                let (days, second_of_day) =
                    (occurred.secs.div_euclid(86_400), occurred.secs.rem_euclid(86_400));
                let (year, month, day) = civil_from_days(days);
                let index = year * 12 + i64::from(month - 1) + i64::from(months);
                let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
                let day = day.min(days_in_month(year, month));
                days_from_civil(year, month, day) * 86_400 + second_of_day
            }
        };
        Stamp { secs, nanos: occurred.nanos }
    }

    fn check(self) -> Result<(), DomainError> {
        match self {
            Self::Days(0) | Self::Months(0) => Err(DomainError::ZeroValidity),
            _ => Ok(()),
        }
    }
}

/// An instant as (seconds since the Unix epoch, nanoseconds), ordered exactly as
/// `DateTime<Utc>` (a leap second's nanoseconds run past 10⁹ within its second).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Stamp {
    secs: i64,
    nanos: u32,
}

impl Stamp {
    pub(crate) fn of(at: DateTime<Utc>) -> Self {
        Self { secs: at.timestamp(), nanos: at.timestamp_subsec_nanos() }
    }

    /// (seconds since the Unix epoch, nanoseconds).
    pub(crate) fn parts(self) -> (i64, u32) {
        (self.secs, self.nanos)
    }

    /// Back to a date; `DateTime::<Utc>::MAX_UTC` past the calendar's end.
    pub(crate) fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.secs, self.nanos).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// (year, month 1..=12, day 1..=31) of a day counted from 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to a civil date (inverse of [`civil_from_days`]).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Days(1) => f.write_str("1 day"),
            Self::Days(n) => write!(f, "{n} days"),
            Self::Months(1) => f.write_str("1 month"),
            Self::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// Where a rule version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Being written; may be edited; never applied.
    Draft,
    /// Public and applied; never edited again.
    Published,
    /// Withdrawn; no new record may be made under it (existing ones are voided by records).
    Repealed,
}

impl RuleStatus {
    /// Stable snake_case code, for storage and localisation.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Repealed => "repealed",
        }
    }

    /// Reads [`RuleStatus::code`] back.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "repealed" => Some(Self::Repealed),
            _ => None,
        }
    }
}

impl fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The editable content of a rule version: everything but its identity and status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleContent {
    pub title_en: String,
    pub title_zh: String,
    pub description_en: String,
    pub description_zh: String,
    /// Optional while drafting; required to publish. In English: versions stored before there
    /// were two languages keep their one text here.
    pub legal_basis: Option<LegalBasis>,
    /// The legal basis in Chinese: optional while drafting; required to publish a new version.
    #[serde(default)]
    pub legal_basis_zh: Option<LegalBasis>,
    /// The behaviour the rule is about, so catalogues can be compared across schemes.
    pub category: Category,
    pub effect: Effect,
    pub counts_for: Validity,
    pub effective_from: DateTime<Utc>,
    /// End of the version's own period, exclusive. A later version also ends it, from its own
    /// `effective_from`.
    pub effective_to: Option<DateTime<Utc>>,
}

impl RuleContent {
    /// Longest accepted title, in characters.
    pub const MAX_TITLE: usize = 200;
    /// Longest accepted description, in characters.
    pub const MAX_DESCRIPTION: usize = 5_000;

    /// Trims the texts and checks every field; returns the normalised content.
    pub fn checked(mut self) -> Result<Self, DomainError> {
        self.title_en = required("title_en", &self.title_en, Self::MAX_TITLE)?;
        self.title_zh = required("title_zh", &self.title_zh, Self::MAX_TITLE)?;
        self.description_en = required("description_en", &self.description_en, Self::MAX_DESCRIPTION)?;
        self.description_zh = required("description_zh", &self.description_zh, Self::MAX_DESCRIPTION)?;
        self.effect.check()?;
        self.counts_for.check()?;
        if self.effective_to.is_some_and(|to| to <= self.effective_from) {
            return Err(DomainError::DateOrder { field: "effective_to", must_follow: "effective_from" });
        }
        Ok(self)
    }
}

/// One version of a rule. Its content can change only while it is a draft: a change to a
/// published rule is a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleVersion {
    id: RuleVersionId,
    rule_code: RuleCode,
    version: u32,
    content: RuleContent,
    status: RuleStatus,
}

impl RuleVersion {
    /// Checks and builds a version, e.g. from storage. A published or repealed version must have
    /// a legal basis; `version` counts from 1.
    pub fn new(
        id: RuleVersionId,
        rule_code: RuleCode,
        version: u32,
        content: RuleContent,
        status: RuleStatus,
    ) -> Result<Self, DomainError> {
        if version == 0 {
            return Err(DomainError::NotPositive { field: "version" });
        }
        let content = content.checked()?;
        if status != RuleStatus::Draft && content.legal_basis.is_none() {
            return Err(DomainError::MissingLegalBasis);
        }
        Ok(Self { id, rule_code, version, content, status })
    }

    pub fn id(&self) -> RuleVersionId {
        self.id
    }

    pub fn rule_code(&self) -> &RuleCode {
        &self.rule_code
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn status(&self) -> RuleStatus {
        self.status
    }

    pub fn content(&self) -> &RuleContent {
        &self.content
    }

    pub fn legal_basis(&self) -> Option<&LegalBasis> {
        self.content.legal_basis.as_ref()
    }

    pub fn legal_basis_zh(&self) -> Option<&LegalBasis> {
        self.content.legal_basis_zh.as_ref()
    }

    pub fn effect(&self) -> &Effect {
        &self.content.effect
    }

    pub fn counts_for(&self) -> Validity {
        self.content.counts_for
    }

    pub fn effective_from(&self) -> DateTime<Utc> {
        self.content.effective_from
    }

    pub fn effective_to(&self) -> Option<DateTime<Utc>> {
        self.content.effective_to
    }

    /// Whether the version's own period covers `at` (ignoring status and later versions).
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.content.effective_from <= at && self.content.effective_to.is_none_or(|to| at < to)
    }

    /// Replaces the content of a draft. Refuses anything else, leaving the version unchanged.
    pub fn edit(&mut self, content: RuleContent) -> Result<(), DomainError> {
        self.require_draft()?;
        self.content = content.checked()?;
        Ok(())
    }

    /// Publishes a draft. Refuses one without a legal basis in both languages.
    pub fn publish(&mut self) -> Result<(), DomainError> {
        self.require_draft()?;
        if self.content.legal_basis.is_none() {
            return Err(DomainError::MissingLegalBasis);
        }
        if self.content.legal_basis_zh.is_none() {
            return Err(DomainError::MissingLegalBasisZh);
        }
        self.status = RuleStatus::Published;
        Ok(())
    }

    /// Repeals a published version: no new record may be made under it.
    pub fn repeal(&mut self) -> Result<(), DomainError> {
        if self.status != RuleStatus::Published {
            return Err(DomainError::NotPublished {
                code: self.rule_code.to_string(),
                version: self.version,
                status: self.status,
            });
        }
        self.status = RuleStatus::Repealed;
        Ok(())
    }

    fn require_draft(&self) -> Result<(), DomainError> {
        if self.status == RuleStatus::Draft {
            Ok(())
        } else {
            Err(DomainError::NotDraft {
                code: self.rule_code.to_string(),
                version: self.version,
                status: self.status,
            })
        }
    }
}

/// A field of a rule version, as named on rule pages when versions are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    TitleEn,
    TitleZh,
    DescriptionEn,
    DescriptionZh,
    LegalBasis,
    LegalBasisZh,
    Category,
    Effect,
    CountsFor,
    EffectiveFrom,
    EffectiveTo,
}

impl RuleField {
    /// Stable snake_case code, for localisation.
    pub fn code(self) -> &'static str {
        match self {
            Self::TitleEn => "title_en",
            Self::TitleZh => "title_zh",
            Self::DescriptionEn => "description_en",
            Self::DescriptionZh => "description_zh",
            Self::LegalBasis => "legal_basis",
            Self::LegalBasisZh => "legal_basis_zh",
            Self::Category => "category",
            Self::Effect => "effect",
            Self::CountsFor => "counts_for",
            Self::EffectiveFrom => "effective_from",
            Self::EffectiveTo => "effective_to",
        }
    }
}

/// One field that differs between two versions, with both values as plain text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    pub field: RuleField,
    pub before: String,
    pub after: String,
}

/// What changed from `older` to `newer`, field by field in a fixed order; empty when nothing did.
pub fn changes(older: &RuleVersion, newer: &RuleVersion) -> Vec<RuleChange> {
    let (a, b) = (&older.content, &newer.content);
    let basis = |l: &Option<LegalBasis>| l.as_ref().map(|l| l.to_string()).unwrap_or_default();
    let to = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let pairs = [
        (RuleField::TitleEn, a.title_en.clone(), b.title_en.clone()),
        (RuleField::TitleZh, a.title_zh.clone(), b.title_zh.clone()),
        (RuleField::DescriptionEn, a.description_en.clone(), b.description_en.clone()),
        (RuleField::DescriptionZh, a.description_zh.clone(), b.description_zh.clone()),
        (RuleField::LegalBasis, basis(&a.legal_basis), basis(&b.legal_basis)),
        (RuleField::LegalBasisZh, basis(&a.legal_basis_zh), basis(&b.legal_basis_zh)),
        (RuleField::Category, a.category.to_string(), b.category.to_string()),
        (RuleField::Effect, a.effect.to_string(), b.effect.to_string()),
        (RuleField::CountsFor, a.counts_for.to_string(), b.counts_for.to_string()),
        (RuleField::EffectiveFrom, a.effective_from.to_rfc3339(), b.effective_from.to_rfc3339()),
        (RuleField::EffectiveTo, to(&a.effective_to), to(&b.effective_to)),
    ];
    pairs
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| RuleChange { field, before, after })
        .collect()
}

/// What publishing a draft did: the version published, and the versions it ended (their
/// `effective_to` moved to where the next version begins), each to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    pub published: RuleVersion,
    pub ended: Vec<RuleVersion>,
}

/// Every version of every rule of one scheme. Lookups by version id go through a table built
/// once with the catalogue, so a derivation pays one multiply per record.
#[derive(Clone, Debug)]
pub struct Catalogue {
    scheme: SchemeId,
    /// Sorted by (rule code, version).
    versions: Vec<RuleVersion>,
    /// id → (position in `versions`, component position in the scheme or `u32::MAX`).
    index: IdTable<(u32, u32)>,
    /// The scheme's components in published order; empty for a points scheme.
    components: Vec<ComponentCode>,
}

impl Catalogue {
    /// Builds the catalogue of `scheme` from its versions: ids and (code, version) pairs must be
    /// distinct, and every effect must fit the scheme.
    pub fn new(scheme: &Scheme, versions: Vec<RuleVersion>) -> Result<Self, DomainError> {
        let mut catalogue = Self {
            scheme: scheme.id(),
            versions: Vec::with_capacity(versions.len()),
            index: IdTable::default(),
            components: scheme.components().iter().map(|c| c.code).collect(),
        };
        for version in versions {
            catalogue.check_fits(&version.rule_code, &version.content.effect)?;
            if catalogue
                .versions
                .iter()
                .any(|v| v.rule_code == version.rule_code && v.version == version.version)
            {
                return Err(DomainError::DuplicateRuleVersion {
                    code: version.rule_code.to_string(),
                    version: version.version,
                });
            }
            catalogue.versions.push(version);
        }
        catalogue.reindex()?;
        Ok(catalogue)
    }

    /// The scheme this catalogue belongs to.
    pub fn scheme(&self) -> SchemeId {
        self.scheme
    }

    /// All versions, sorted by rule code then version.
    pub fn versions(&self) -> &[RuleVersion] {
        &self.versions
    }

    /// The version with this id.
    pub fn get(&self, id: RuleVersionId) -> Option<&RuleVersion> {
        self.position(id).map(|(i, _)| &self.versions[i])
    }

    /// The version with this id and the position of its component in the scheme (for weighted
    /// schemes), in one lookup.
    pub(crate) fn get_with_component(&self, id: RuleVersionId) -> Option<(&RuleVersion, Option<usize>)> {
        self.position(id).map(|(i, component)| (&self.versions[i], component))
    }

    /// Every version of one rule, oldest first.
    pub fn history(&self, code: &RuleCode) -> &[RuleVersion] {
        let start = self.versions.partition_point(|v| &v.rule_code < code);
        let end = self.versions.partition_point(|v| &v.rule_code <= code);
        &self.versions[start..end]
    }

    /// The published version of rule `code` that applies to something that happened at `at`:
    /// the one with the latest `effective_from` not after `at` whose own period covers `at`.
    /// A later version ends an earlier one from its own `effective_from`.
    pub fn version_in_force(&self, code: &RuleCode, at: DateTime<Utc>) -> Result<&RuleVersion, DomainError> {
        let mut published =
            self.history(code).iter().filter(|v| v.status == RuleStatus::Published).peekable();
        if published.peek().is_none() {
            return Err(DomainError::UnknownRule { code: code.to_string() });
        }
        let mut first_from: Option<DateTime<Utc>> = None;
        let mut latest: Option<&RuleVersion> = None;
        for v in published {
            let from = v.effective_from();
            first_from = Some(first_from.map_or(from, |f| f.min(from)));
            let later = latest.is_none_or(|l| (from, v.version) > (l.effective_from(), l.version));
            if from <= at && later {
                latest = Some(v);
            }
        }
        match (latest, first_from) {
            (Some(v), _) if v.covers(at) => Ok(v),
            (None, Some(effective_from)) => {
                Err(DomainError::BeforeRuleEffective { code: code.to_string(), effective_from })
            }
            _ => Err(DomainError::RuleNotInForce { code: code.to_string(), at }),
        }
    }

    /// The first instant after `at` at which a version of the catalogue comes into or goes out of
    /// force: until then, what is in force stays as it is at `at`.
    pub fn next_change_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.versions
            .iter()
            .flat_map(|v| [Some(v.effective_from()), v.effective_to()])
            .flatten()
            .filter(|t| *t > at)
            .min()
    }

    /// The public catalogue at `at`: for each rule code, the version in force, by code.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> Vec<&RuleVersion> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.versions.len() {
            let code = &self.versions[i].rule_code;
            let len = self.history(code).len();
            if let Ok(v) = self.version_in_force(code, at) {
                out.push(v);
            }
            i += len;
        }
        out
    }

    /// Adds a draft of rule `code` numbered one above its latest version (1 for a new rule).
    pub fn add_draft(
        &mut self,
        id: RuleVersionId,
        code: RuleCode,
        content: RuleContent,
    ) -> Result<&RuleVersion, DomainError> {
        if self.position(id).is_some() {
            return Err(DomainError::DuplicateRuleVersion { code: code.to_string(), version: 0 });
        }
        self.check_fits(&code, &content.effect)?;
        let version = self.history(&code).last().map_or(1, |v| v.version + 1);
        let draft = RuleVersion::new(id, code, version, content, RuleStatus::Draft)?;
        self.versions.push(draft);
        self.reindex()?;
        Ok(self.get(id).expect("just added"))
    }

    /// Replaces the content of a draft.
    pub fn edit_draft(&mut self, id: RuleVersionId, content: RuleContent) -> Result<(), DomainError> {
        let i = self.require(id)?;
        self.check_fits(&self.versions[i].rule_code.clone(), &content.effect)?;
        self.versions[i].edit(content)?;
        self.reindex()
    }

    /// Publishes a draft (refused without a legal basis).
    pub fn publish(&mut self, id: RuleVersionId) -> Result<&RuleVersion, DomainError> {
        let i = self.require(id)?;
        self.versions[i].publish()?;
        Ok(&self.versions[i])
    }

    /// Repeals a published version.
    pub fn repeal(&mut self, id: RuleVersionId) -> Result<&RuleVersion, DomainError> {
        let i = self.require(id)?;
        self.versions[i].repeal()?;
        Ok(&self.versions[i])
    }

    /// Publishes a draft to take effect at `effective_from`, which may not lie before `now`: a
    /// published rule never reaches back to what happened before it was public. The version in
    /// force before it ends where it begins (no two versions of a rule overlap), and it ends
    /// where a later published version begins; every version whose end moved is returned with
    /// it, for the caller to store.
    pub fn publish_from(
        &mut self,
        id: RuleVersionId,
        effective_from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Publication, DomainError> {
        if effective_from < now {
            return Err(DomainError::DateOrder { field: "effective_from", must_follow: "now" });
        }
        let i = self.require(id)?;
        let content = RuleContent { effective_from, ..self.versions[i].content.clone() };
        let before = self.versions[i].clone();
        self.versions[i].edit(content)?;
        if let Err(e) = self.versions[i].publish() {
            self.versions[i] = before;
            return Err(e);
        }
        let code = self.versions[i].rule_code;
        let mut ended = self.end_overlaps(&code);
        ended.retain(|v| v.id != id);
        Ok(Publication { published: self.versions[i].clone(), ended })
    }

    /// Ends each published or repealed version of rule `code` where the next one (by effective
    /// date) begins, if its own period ran past that; returns the versions changed.
    fn end_overlaps(&mut self, code: &RuleCode) -> Vec<RuleVersion> {
        let start = self.versions.partition_point(|v| &v.rule_code < code);
        let end = self.versions.partition_point(|v| &v.rule_code <= code);
        let starts: Vec<(DateTime<Utc>, RuleVersionId)> = self.versions[start..end]
            .iter()
            .filter(|v| v.status != RuleStatus::Draft)
            .map(|v| (v.effective_from(), v.id))
            .collect();
        let mut changed = Vec::new();
        for v in &mut self.versions[start..end] {
            if v.status == RuleStatus::Draft {
                continue;
            }
            let from = v.effective_from();
            let next = starts.iter().filter(|(s, other)| *s > from && *other != v.id).map(|(s, _)| *s).min();
            if let Some(next) = next.filter(|n| v.content.effective_to.is_none_or(|to| to > *n)) {
                v.content.effective_to = Some(next);
                changed.push(v.clone());
            }
        }
        changed
    }

    /// Repeals every published version of rule `code` (drafts stay drafts). Returns the ids of
    /// the versions repealed; refuses a rule with no published version, changing nothing.
    pub fn repeal_rule(&mut self, code: &RuleCode) -> Result<Vec<RuleVersionId>, DomainError> {
        let published: Vec<RuleVersionId> =
            self.history(code).iter().filter(|v| v.status == RuleStatus::Published).map(|v| v.id).collect();
        if published.is_empty() {
            return Err(DomainError::UnknownRule { code: code.to_string() });
        }
        for id in &published {
            self.repeal(*id)?;
        }
        Ok(published)
    }

    fn require(&self, id: RuleVersionId) -> Result<usize, DomainError> {
        self.position(id).map(|(i, _)| i).ok_or(DomainError::UnknownRuleVersion { id })
    }

    fn position(&self, id: RuleVersionId) -> Option<(usize, Option<usize>)> {
        self.index.get(id.uuid().as_u128()).map(|(i, c)| (i as usize, (c != u32::MAX).then_some(c as usize)))
    }

    fn check_fits(&self, code: &RuleCode, effect: &Effect) -> Result<(), DomainError> {
        let fits = match effect {
            Effect::Points { .. } => self.components.is_empty(),
            Effect::Component { component, .. } => self.components.contains(component),
        };
        if fits {
            Ok(())
        } else {
            Err(DomainError::EffectDoesNotFitScheme { code: code.to_string() })
        }
    }

    fn reindex(&mut self) -> Result<(), DomainError> {
        self.versions.sort_by(|a, b| (&a.rule_code, a.version).cmp(&(&b.rule_code, b.version)));
        let components = &self.components;
        let entries = self.versions.iter().enumerate().map(|(i, v)| {
            let c = v
                .effect()
                .component()
                .and_then(|code| components.iter().position(|c| c == code))
                .map_or(u32::MAX, |c| c as u32);
            (v.id.uuid().as_u128(), (i as u32, c))
        });
        self.index = IdTable::build(entries).map_err(|duplicate| {
            let v = self
                .versions
                .iter()
                .find(|v| v.id.uuid().as_u128() == duplicate)
                .expect("the duplicate is one of the versions");
            DomainError::DuplicateRuleVersion { code: v.rule_code.to_string(), version: v.version }
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{code, content, day, points_rule, rongcheng, weighted};

    #[test]
    fn rule_codes_are_normalised_and_checked() {
        assert_eq!(RuleCode::parse(" traffic-01 ").unwrap().as_str(), "TRAFFIC-01");
        assert!(RuleCode::parse("A").is_err(), "too short");
        assert!(RuleCode::parse("-AB").is_err(), "starts with a sign");
        assert!(RuleCode::parse("AB CD").is_err());
        assert!(RuleCode::parse(&"A".repeat(33)).is_err());
        assert!(RuleCode::parse("CHARITY.BLOOD_1").is_ok());
    }

    #[test]
    fn legal_basis_is_never_empty() {
        assert_eq!(LegalBasis::parse("  "), Err(DomainError::EmptyField { field: "legal_basis" }));
        assert!(serde_json::from_str::<LegalBasis>("\"\"").is_err());
    }

    #[test]
    fn a_rule_without_legal_basis_cannot_be_published() {
        let mut c = content(-5, -5, -5, 365, day(0));
        c.legal_basis = None;
        let mut v =
            RuleVersion::new(RuleVersionId::new(), code("T1"), 1, c.clone(), RuleStatus::Draft).unwrap();
        assert_eq!(v.publish(), Err(DomainError::MissingLegalBasis));
        assert_eq!(v.status(), RuleStatus::Draft);
        assert_eq!(
            RuleVersion::new(RuleVersionId::new(), code("T1"), 1, c, RuleStatus::Published),
            Err(DomainError::MissingLegalBasis)
        );
    }

    #[test]
    fn a_published_version_cannot_be_edited() {
        let mut v = points_rule("T1", 1, -5, -5, -5, 365, day(0));
        let before = v.clone();
        let err = v.edit(content(-3, -3, -3, 365, day(0))).unwrap_err();
        assert_eq!(err.code(), "not_draft");
        assert_eq!(v, before);
        assert!(v.repeal().is_ok());
        assert_eq!(v.repeal().unwrap_err().code(), "not_published");
    }

    #[test]
    fn content_is_checked() {
        assert_eq!(
            content(-9, -5, -1, 365, day(0)).checked().unwrap_err(),
            DomainError::DefaultOutOfRange { default: -9, min: -5, max: -1 }
        );
        assert_eq!(content(-1, -1, -5, 365, day(0)).checked().unwrap_err().code(), "invalid_range");
        assert_eq!(content(-5, -5, -5, 0, day(0)).checked().unwrap_err(), DomainError::ZeroValidity);
        let mut c = content(-5, -5, -5, 10, day(5));
        c.effective_to = Some(day(5));
        assert_eq!(c.checked().unwrap_err().code(), "date_order");
        let mut c = content(-5, -5, -5, 10, day(5));
        c.title_zh = " ".into();
        assert_eq!(c.checked().unwrap_err(), DomainError::EmptyField { field: "title_zh" });
    }

    #[test]
    fn version_in_force_follows_effective_dates() {
        let v1 = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let v2 = points_rule("T1", 2, -10, -10, -10, 365, day(100));
        let (id1, id2) = (v1.id(), v2.id());
        let cat = Catalogue::new(&rongcheng(), vec![v2, v1]).unwrap();
        let t1 = code("T1");
        assert_eq!(
            cat.version_in_force(&t1, day(5)).unwrap_err(),
            DomainError::BeforeRuleEffective { code: "T1".into(), effective_from: day(10) }
        );
        assert_eq!(cat.version_in_force(&t1, day(10)).unwrap().id(), id1);
        assert_eq!(cat.version_in_force(&t1, day(99)).unwrap().id(), id1);
        assert_eq!(cat.version_in_force(&t1, day(100)).unwrap().id(), id2);
        assert_eq!(
            cat.version_in_force(&code("NOPE"), day(100)).unwrap_err(),
            DomainError::UnknownRule { code: "NOPE".into() }
        );
        assert_eq!(cat.history(&t1).len(), 2);
        assert_eq!(cat.in_force_at(day(50)).len(), 1);
    }

    #[test]
    fn an_ended_or_repealed_rule_is_not_in_force() {
        let mut c = content(-5, -5, -5, 365, day(10));
        c.effective_to = Some(day(20));
        let v = RuleVersion::new(RuleVersionId::new(), code("T1"), 1, c, RuleStatus::Published).unwrap();
        let id = v.id();
        let mut cat = Catalogue::new(&rongcheng(), vec![v]).unwrap();
        assert_eq!(
            cat.version_in_force(&code("T1"), day(20)).unwrap_err(),
            DomainError::RuleNotInForce { code: "T1".into(), at: day(20) }
        );
        assert!(cat.version_in_force(&code("T1"), day(15)).is_ok());
        cat.repeal(id).unwrap();
        assert_eq!(cat.version_in_force(&code("T1"), day(15)).unwrap_err().code(), "unknown_rule");
    }

    #[test]
    fn drafts_are_numbered_edited_and_published_through_the_catalogue() {
        let v1 = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let mut cat = Catalogue::new(&rongcheng(), vec![v1]).unwrap();
        let id = RuleVersionId::new();
        let mut c = content(-5, -5, -5, 365, day(200));
        c.legal_basis = None;
        let draft = cat.add_draft(id, code("T1"), c.clone()).unwrap();
        assert_eq!(draft.version(), 2);
        assert_eq!(draft.status(), RuleStatus::Draft);
        assert_eq!(cat.publish(id).unwrap_err(), DomainError::MissingLegalBasis);
        c.legal_basis = Some(LegalBasis::parse("Road Traffic Safety Law art. 90").unwrap());
        cat.edit_draft(id, c.clone()).unwrap();
        assert_eq!(cat.publish(id).unwrap().status(), RuleStatus::Published);
        assert_eq!(cat.edit_draft(id, c).unwrap_err().code(), "not_draft");
        assert_eq!(cat.version_in_force(&code("T1"), day(250)).unwrap().id(), id);
    }

    #[test]
    fn a_draft_is_published_from_a_date_not_before_now() {
        let v1 = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let mut cat = Catalogue::new(&rongcheng(), vec![v1]).unwrap();
        let id = RuleVersionId::new();
        cat.add_draft(id, code("T1"), content(-3, -3, -3, 365, day(100))).unwrap();
        let refused = cat.publish_from(id, day(40), day(50)).unwrap_err();
        assert_eq!(refused, DomainError::DateOrder { field: "effective_from", must_follow: "now" });
        assert_eq!(cat.get(id).unwrap().status(), RuleStatus::Draft, "nothing changed");
        let publication = cat.publish_from(id, day(60), day(50)).unwrap();
        let published = &publication.published;
        assert_eq!((published.status(), published.effective_from()), (RuleStatus::Published, day(60)));
        assert_eq!(cat.version_in_force(&code("T1"), day(61)).unwrap().id(), id);
        // Version 1 now ends where version 2 begins: the two never overlap.
        let ended: Vec<_> = publication.ended.iter().map(|v| (v.version(), v.effective_to())).collect();
        assert_eq!(ended, vec![(1, Some(day(60)))]);
        assert_eq!(cat.history(&code("T1"))[0].effective_to(), Some(day(60)));
        assert_eq!(cat.publish_from(id, day(70), day(50)).unwrap_err().code(), "not_draft");
    }

    #[test]
    fn repealing_a_rule_repeals_every_published_version_and_keeps_drafts() {
        let v1 = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let v2 = points_rule("T1", 2, -3, -3, -3, 365, day(100));
        let (id1, id2) = (v1.id(), v2.id());
        let mut cat = Catalogue::new(&rongcheng(), vec![v1, v2]).unwrap();
        let draft = RuleVersionId::new();
        cat.add_draft(draft, code("T1"), content(-2, -2, -2, 365, day(300))).unwrap();
        assert_eq!(cat.repeal_rule(&code("T1")).unwrap(), vec![id1, id2]);
        assert_eq!(cat.get(id1).unwrap().status(), RuleStatus::Repealed);
        assert_eq!(cat.get(draft).unwrap().status(), RuleStatus::Draft);
        assert!(cat.version_in_force(&code("T1"), day(200)).is_err(), "no longer in force");
        assert_eq!(cat.repeal_rule(&code("T1")).unwrap_err().code(), "unknown_rule", "nothing left");
        assert_eq!(cat.repeal_rule(&code("NOPE")).unwrap_err().code(), "unknown_rule");
    }

    #[test]
    fn effects_must_fit_the_scheme() {
        let points = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        assert_eq!(
            Catalogue::new(&weighted(), vec![points]).unwrap_err(),
            DomainError::EffectDoesNotFitScheme { code: "T1".into() }
        );
        let mut c = content(5, 0, 10, 365, day(0));
        c.effect = Effect::Component {
            component: ComponentCode::parse("shoe_size").unwrap(),
            default: 5,
            min: 0,
            max: 10,
        };
        let mut cat = Catalogue::new(&weighted(), vec![]).unwrap();
        assert_eq!(
            cat.add_draft(RuleVersionId::new(), code("W1"), c).unwrap_err().code(),
            "effect_does_not_fit_scheme"
        );
    }

    #[test]
    fn duplicate_versions_are_refused() {
        let a = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let b = points_rule("T1", 1, -3, -3, -3, 365, day(10));
        assert_eq!(
            Catalogue::new(&rongcheng(), vec![a, b]).unwrap_err(),
            DomainError::DuplicateRuleVersion { code: "T1".into(), version: 1 }
        );
    }

    #[test]
    fn changes_lists_only_changed_fields() {
        let v1 = points_rule("T1", 1, -5, -5, -5, 365, day(10));
        let v2 = points_rule("T1", 2, -10, -10, -10, 365, day(100));
        let diff = changes(&v1, &v2);
        let fields: Vec<_> = diff.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec![RuleField::Effect, RuleField::EffectiveFrom]);
        assert_eq!(diff[0].before, "-5 points");
        assert_eq!(diff[0].after, "-10 points");
        assert!(changes(&v1, &v1).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn integer_expiry_matches_chrono(
            secs in -50_000_000_000i64..50_000_000_000,
            nanos in 0u32..1_000_000_000,
            amount in 1u32..5_000,
            months in proptest::bool::ANY,
        ) {
            use chrono::{Duration, Months};
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let (validity, reference) = if months {
                (Validity::Months(amount), at.checked_add_months(Months::new(amount)))
            } else {
                (Validity::Days(amount), at.checked_add_signed(Duration::days(i64::from(amount))))
            };
            proptest::prop_assert_eq!(validity.ends(at), reference.unwrap());
        }
    }

    #[test]
    fn validity_ends_by_days_or_calendar_months() {
        let jan31 = "2024-01-31T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(Validity::Months(1).ends(jan31), "2024-02-29T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(Validity::Days(2).ends(jan31), "2024-02-02T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(Validity::Months(12).to_string(), "12 months");
    }
}
