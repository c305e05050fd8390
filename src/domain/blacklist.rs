//! Blacklist entries: what a listing restricts, how to get off it, and its status — never in effect before notice.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::ids::{AuthorityId, EntryId, ListId, SubjectId};
use super::mandate::Mandates;
use super::rule::LegalBasis;
use super::text::required;

/// Something a listed subject may not do. Codes are stable: stored, localised and shown in
/// exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    Flights,
    HighSpeedRail,
    LuxuryHotels,
    LuxuryTravel,
    PropertyPurchase,
    Loans,
    CivilServiceHiring,
    CompanyLeadership,
    PrivateSchoolFees,
}

impl Restriction {
    /// Every restriction, in display order.
    pub const ALL: [Restriction; 9] = [
        Self::Flights,
        Self::HighSpeedRail,
        Self::LuxuryHotels,
        Self::LuxuryTravel,
        Self::PropertyPurchase,
        Self::Loans,
        Self::CivilServiceHiring,
        Self::CompanyLeadership,
        Self::PrivateSchoolFees,
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Flights => "flights",
            Self::HighSpeedRail => "high_speed_rail",
            Self::LuxuryHotels => "luxury_hotels",
            Self::LuxuryTravel => "luxury_travel",
            Self::PropertyPurchase => "property_purchase",
            Self::Loans => "loans",
            Self::CivilServiceHiring => "civil_service_hiring",
            Self::CompanyLeadership => "company_leadership",
            Self::PrivateSchoolFees => "private_school_fees",
        }
    }

    /// Reads [`Restriction::code`] back.
    pub fn parse(code: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .ok_or_else(|| DomainError::UnknownRestriction { value: code.chars().take(64).collect() })
    }
}

impl fmt::Display for Restriction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An ISO 4217-style currency code: three capital letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text.trim().as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(DomainError::InvalidCurrency { value: text.chars().take(16).collect() }),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;
    fn try_from(text: String) -> Result<Self, DomainError> {
        Self::parse(&text)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a listed subject gets off the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemovalCondition {
    /// Pay the amount owed, in the currency's minor unit.
    PayAmount { cents: i64, currency: Currency },
    /// Win an appeal.
    Appeal,
    /// Anything else, in the authority's words.
    Other { text: String },
}

impl RemovalCondition {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PayAmount { .. } => "pay_amount",
            Self::Appeal => "appeal",
            Self::Other { .. } => "other",
        }
    }

    fn checked(self) -> Result<Self, DomainError> {
        match self {
            Self::PayAmount { cents, .. } if cents <= 0 => Err(DomainError::NotPositive { field: "amount" }),
            Self::Other { text } => Ok(Self::Other { text: required("removal", &text, Entry::MAX_TEXT)? }),
            other => Ok(other),
        }
    }
}

/// Where an entry stands at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Notice not yet delivered: the entry restricts nothing.
    PendingNotice,
    /// Notice delivered; the entry takes effect on `effective_from`.
    Scheduled,
    /// In effect.
    Active,
    /// Suspended (e.g. while an appeal is heard): restricts nothing for now.
    Suspended,
    /// Lifted (paid, appeal upheld, authority's decision).
    Lifted,
    /// Past `expires_at`.
    Expired,
}

impl EntryStatus {
    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::PendingNotice => "pending_notice",
            Self::Scheduled => "scheduled",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Lifted => "lifted",
            Self::Expired => "expired",
        }
    }

    /// Whether the entry's restrictions apply.
    pub fn restricts(self) -> bool {
        self == Self::Active
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What an authority submits to list a subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDraft {
    pub id: EntryId,
    pub subject: SubjectId,
    pub list: ListId,
    pub authority: AuthorityId,
    pub case_number: String,
    pub legal_basis: LegalBasis,
    pub reason: String,
    pub restrictions: Vec<Restriction>,
    pub notice_delivered_at: Option<DateTime<Utc>>,
    pub effective_from: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub removal: RemovalCondition,
}

/// A listing of a subject on a list by an authority. Made only through [`Entry::new`] or
/// [`Entry::restore`], so it is always coherent; it changes only by the transitions below.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    id: EntryId,
    subject: SubjectId,
    list: ListId,
    authority: AuthorityId,
    case_number: String,
    legal_basis: LegalBasis,
    reason: String,
    restrictions: Vec<Restriction>,
    notice_delivered_at: Option<DateTime<Utc>>,
    effective_from: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    removal: RemovalCondition,
    lifted_at: Option<DateTime<Utc>>,
    suspended_since: Option<DateTime<Utc>>,
}

impl Entry {
    /// Longest accepted case number, in characters.
    pub const MAX_CASE_NUMBER: usize = 100;
    /// Longest accepted reason or removal text, in characters.
    pub const MAX_TEXT: usize = 2_000;

    /// Checks a new entry at `now`. Refuses: an empty case number, reason or restriction list; a
    /// notice delivered in the future; an entry taking effect before its notice was delivered;
    /// an expiry not after the start; a non-positive amount to pay. Restrictions are sorted and
    /// deduplicated.
    pub fn new(draft: EntryDraft, mandates: &Mandates, now: DateTime<Utc>) -> Result<Self, DomainError> {
        mandates.check_list(draft.authority, draft.list, now)?;
        if draft.notice_delivered_at.is_some_and(|n| n > now) {
            return Err(DomainError::FutureDate { field: "notice_delivered_at" });
        }
        Self::restore(draft, None, None)
    }

    /// Rebuilds an entry from storage with the same checks as [`Entry::new`] (bar the clock), plus
    /// its lifting and suspension.
    pub fn restore(
        draft: EntryDraft,
        lifted_at: Option<DateTime<Utc>>,
        suspended_since: Option<DateTime<Utc>>,
    ) -> Result<Self, DomainError> {
        let mut restrictions = draft.restrictions;
        restrictions.sort_unstable();
        restrictions.dedup();
        if restrictions.is_empty() {
            return Err(DomainError::EmptyField { field: "restrictions" });
        }
        if let Some(notice) = draft.notice_delivered_at {
            check_notice(draft.effective_from, notice)?;
        }
        if draft.expires_at.is_some_and(|e| e <= draft.effective_from) {
            return Err(DomainError::DateOrder { field: "expires_at", must_follow: "effective_from" });
        }
        Ok(Self {
            id: draft.id,
            subject: draft.subject,
            list: draft.list,
            authority: draft.authority,
            case_number: required("case_number", &draft.case_number, Self::MAX_CASE_NUMBER)?,
            legal_basis: draft.legal_basis,
            reason: required("reason", &draft.reason, Self::MAX_TEXT)?,
            restrictions,
            notice_delivered_at: draft.notice_delivered_at,
            effective_from: draft.effective_from,
            expires_at: draft.expires_at,
            removal: draft.removal.checked()?,
            lifted_at,
            suspended_since,
        })
    }

    /// The entry's status at `at`. Never [`EntryStatus::Active`] unless the notice was delivered
    /// by `at` and `at` is on or after both `effective_from` and the delivery.
    pub fn status_at(&self, at: DateTime<Utc>) -> EntryStatus {
        if self.lifted_at.is_some_and(|l| l <= at) {
            return EntryStatus::Lifted;
        }
        if self.expires_at.is_some_and(|e| e <= at) {
            return EntryStatus::Expired;
        }
        let Some(notice) = self.notice_delivered_at.filter(|n| *n <= at) else {
            return EntryStatus::PendingNotice;
        };
        if at < self.effective_from.max(notice) {
            return EntryStatus::Scheduled;
        }
        if self.suspended_since.is_some_and(|s| s <= at) {
            return EntryStatus::Suspended;
        }
        EntryStatus::Active
    }

    /// Records delivery of the notice at `at`. Refused once delivered, and when the entry would
    /// then have taken effect before its notice (move `effective_from` first).
    pub fn deliver_notice(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        if self.notice_delivered_at.is_some() {
            return Err(self.transition_error(at, "given notice again"));
        }
        check_notice(self.effective_from, at)?;
        self.notice_delivered_at = Some(at);
        Ok(())
    }

    /// Moves the start of a entry whose notice is not yet delivered.
    pub fn reschedule(&mut self, effective_from: DateTime<Utc>) -> Result<(), DomainError> {
        if self.notice_delivered_at.is_some() {
            return Err(DomainError::EntryTransition {
                status: EntryStatus::Scheduled,
                action: "rescheduled after notice",
            });
        }
        if self.expires_at.is_some_and(|e| e <= effective_from) {
            return Err(DomainError::DateOrder { field: "expires_at", must_follow: "effective_from" });
        }
        self.effective_from = effective_from;
        Ok(())
    }

    /// Lifts the entry at `at`. Refused once lifted or expired.
    pub fn lift(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        match self.status_at(at) {
            EntryStatus::Lifted | EntryStatus::Expired => Err(self.transition_error(at, "lifted")),
            _ => {
                self.lifted_at = Some(at);
                Ok(())
            }
        }
    }

    /// Suspends the entry from `at` (e.g. while an appeal is heard). Refused unless it is active
    /// or scheduled.
    pub fn suspend(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        match self.status_at(at) {
            EntryStatus::Active | EntryStatus::Scheduled if self.suspended_since.is_none() => {
                self.suspended_since = Some(at);
                Ok(())
            }
            _ => Err(self.transition_error(at, "suspended")),
        }
    }

    /// Ends a suspension at `at`.
    pub fn resume(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status_at(at) != EntryStatus::Suspended {
            return Err(self.transition_error(at, "resumed"));
        }
        self.suspended_since = None;
        Ok(())
    }

    fn transition_error(&self, at: DateTime<Utc>, action: &'static str) -> DomainError {
        DomainError::EntryTransition { status: self.status_at(at), action }
    }

    pub fn id(&self) -> EntryId {
        self.id
    }
    pub fn subject(&self) -> SubjectId {
        self.subject
    }
    pub fn list(&self) -> ListId {
        self.list
    }
    pub fn authority(&self) -> AuthorityId {
        self.authority
    }
    pub fn case_number(&self) -> &str {
        &self.case_number
    }
    pub fn legal_basis(&self) -> &LegalBasis {
        &self.legal_basis
    }
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// Sorted, without duplicates, never empty.
    pub fn restrictions(&self) -> &[Restriction] {
        &self.restrictions
    }
    pub fn notice_delivered_at(&self) -> Option<DateTime<Utc>> {
        self.notice_delivered_at
    }
    pub fn effective_from(&self) -> DateTime<Utc> {
        self.effective_from
    }
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }
    pub fn removal(&self) -> &RemovalCondition {
        &self.removal
    }
    pub fn lifted_at(&self) -> Option<DateTime<Utc>> {
        self.lifted_at
    }
    pub fn suspended_since(&self) -> Option<DateTime<Utc>> {
        self.suspended_since
    }
}

fn check_notice(
    effective_from: DateTime<Utc>,
    notice_delivered_at: DateTime<Utc>,
) -> Result<(), DomainError> {
    if effective_from < notice_delivered_at {
        Err(DomainError::EffectiveBeforeNotice { effective_from, notice_delivered_at })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{authority, day, list, mandates, subject};

    /// A new entry by the fixture authority, which holds a mandate for the fixture list.
    fn checked(draft: EntryDraft, now: DateTime<Utc>) -> Result<Entry, DomainError> {
        Entry::new(draft, &mandates(), now)
    }

    #[test]
    fn an_authority_without_a_mandate_for_the_list_cannot_list_anyone() {
        let mut other = draft(Some(day(1)), day(2));
        other.list = ListId::new();
        assert_eq!(checked(other, day(3)).unwrap_err().code(), "outside_mandate");
        let mut stranger = draft(Some(day(1)), day(2));
        stranger.authority = AuthorityId::new();
        assert_eq!(checked(stranger, day(3)).unwrap_err().code(), "outside_mandate");
    }

    fn draft(notice: Option<DateTime<Utc>>, from: DateTime<Utc>) -> EntryDraft {
        EntryDraft {
            id: EntryId::new(),
            subject: subject(),
            list: list(),
            authority: authority(),
            case_number: "(2024) Lu 1002 Zhi 123".into(),
            legal_basis: LegalBasis::parse(
                "SPC Provisions on Publishing the List of Dishonest Judgment Debtors, art. 1",
            )
            .unwrap(),
            reason: "Failed to perform an effective judgment despite ability to pay.".into(),
            restrictions: vec![Restriction::HighSpeedRail, Restriction::Flights, Restriction::Flights],
            notice_delivered_at: notice,
            effective_from: from,
            expires_at: Some(day(800)),
            removal: RemovalCondition::PayAmount {
                cents: 1_250_000,
                currency: Currency::parse("CNY").unwrap(),
            },
        }
    }

    #[test]
    fn an_entry_is_pending_until_notice_is_delivered() {
        let mut e = checked(draft(None, day(10)), day(5)).unwrap();
        assert_eq!(e.status_at(day(20)), EntryStatus::PendingNotice);
        e.deliver_notice(day(8)).unwrap();
        assert_eq!(e.status_at(day(7)), EntryStatus::PendingNotice);
        assert_eq!(e.status_at(day(9)), EntryStatus::Scheduled);
        assert_eq!(e.status_at(day(10)), EntryStatus::Active);
        assert_eq!(e.status_at(day(800)), EntryStatus::Expired);
        assert_eq!(e.restrictions(), &[Restriction::Flights, Restriction::HighSpeedRail]);
    }

    #[test]
    fn an_entry_may_not_take_effect_before_its_notice() {
        assert_eq!(
            checked(draft(Some(day(10)), day(5)), day(20)).unwrap_err(),
            DomainError::EffectiveBeforeNotice { effective_from: day(5), notice_delivered_at: day(10) }
        );
        let mut e = checked(draft(None, day(5)), day(1)).unwrap();
        assert_eq!(e.deliver_notice(day(10)).unwrap_err().code(), "effective_before_notice");
        assert_eq!(e.notice_delivered_at(), None, "a refusal changes nothing");
        e.reschedule(day(10)).unwrap();
        e.deliver_notice(day(10)).unwrap();
        assert_eq!(e.status_at(day(10)), EntryStatus::Active);
    }

    #[test]
    fn bad_entries_are_refused_with_the_field() {
        let now = day(20);
        let mut d = draft(Some(day(30)), day(40));
        assert_eq!(
            checked(d.clone(), now).unwrap_err(),
            DomainError::FutureDate { field: "notice_delivered_at" }
        );
        d.notice_delivered_at = None;
        d.restrictions.clear();
        assert_eq!(checked(d.clone(), now).unwrap_err(), DomainError::EmptyField { field: "restrictions" });
        d.restrictions = vec![Restriction::Loans];
        d.case_number = " ".into();
        assert_eq!(checked(d.clone(), now).unwrap_err(), DomainError::EmptyField { field: "case_number" });
        d.case_number = "X-1".into();
        d.expires_at = Some(day(40));
        assert_eq!(checked(d.clone(), now).unwrap_err().code(), "date_order");
        d.expires_at = None;
        d.removal = RemovalCondition::PayAmount { cents: 0, currency: Currency::parse("CNY").unwrap() };
        assert_eq!(checked(d.clone(), now).unwrap_err(), DomainError::NotPositive { field: "amount" });
        d.removal = RemovalCondition::Appeal;
        assert!(checked(d, now).is_ok());
        assert!(Currency::parse("cny").is_err());
        assert!(Currency::parse("YUAN").is_err());
    }

    #[test]
    fn suspension_lifting_and_resumption() {
        let mut e = checked(draft(Some(day(1)), day(10)), day(2)).unwrap();
        e.suspend(day(20)).unwrap();
        assert_eq!(e.status_at(day(19)), EntryStatus::Active);
        assert_eq!(e.status_at(day(21)), EntryStatus::Suspended);
        assert_eq!(e.suspend(day(22)).unwrap_err().code(), "entry_transition");
        e.resume(day(30)).unwrap();
        assert_eq!(e.status_at(day(31)), EntryStatus::Active);
        e.lift(day(40)).unwrap();
        assert_eq!(e.status_at(day(40)), EntryStatus::Lifted);
        assert_eq!(
            e.lift(day(41)).unwrap_err(),
            DomainError::EntryTransition { status: EntryStatus::Lifted, action: "lifted" }
        );
    }

    #[test]
    fn restriction_codes_round_trip() {
        for r in Restriction::ALL {
            assert_eq!(Restriction::parse(r.code()), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.code()));
        }
        assert_eq!(Restriction::parse("yachts").unwrap_err().code(), "unknown_restriction");
    }
}
