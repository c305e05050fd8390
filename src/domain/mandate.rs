//! Mandates: an authority's right, granted by an administrator with a legal basis, to record
//! under some rules of a scheme or to list under one blacklist. Recording a fact and listing a
//! subject take the recording authority's [`Mandates`] and refuse anything outside them, so a
//! write outside a mandate cannot be built.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{
    error::DomainError,
    event::Event,
    ids::{AuthorityId, EventId, ListId, MandateId, SchemeId},
    rule::{LegalBasis, RuleCode},
};

/// Which rules of a scheme a mandate covers: one rule (`COURT-01`), every rule whose code starts
/// with a prefix (`TRAFFIC-*`), or every rule of the scheme (`*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RulePattern {
    prefix: String,
    whole: bool,
}

impl RulePattern {
    /// Reads `CODE`, `PREFIX*` or `*`; the characters are those of a rule code.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let invalid = || DomainError::InvalidRulePattern { value: text.chars().take(40).collect() };
        if text == "*" {
            return Ok(Self { prefix: String::new(), whole: false });
        }
        match text.strip_suffix('*') {
            Some(prefix) if !prefix.is_empty() && prefix.chars().all(pattern_char) && prefix.len() <= 32 => {
                Ok(Self { prefix: prefix.to_string(), whole: false })
            }
            Some(_) => Err(invalid()),
            None => {
                let code = RuleCode::parse(text).map_err(|_| invalid())?;
                Ok(Self { prefix: code.as_str().to_string(), whole: true })
            }
        }
    }

    pub fn matches(&self, code: &RuleCode) -> bool {
        if self.whole {
            code.as_str() == self.prefix
        } else {
            code.as_str().starts_with(&self.prefix)
        }
    }

    /// The pattern as it is written and stored.
    pub fn as_text(&self) -> String {
        if self.whole {
            self.prefix.clone()
        } else {
            format!("{}*", self.prefix)
        }
    }
}

fn pattern_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

/// What a mandate allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MandateScope {
    /// Recording under the rules of `scheme` that `rules` matches.
    Rules { scheme: SchemeId, rules: RulePattern },
    /// Listing subjects on `list`.
    List { list: ListId },
}

/// One grant, kept as history once revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mandate {
    pub id: MandateId,
    pub authority: AuthorityId,
    pub scope: MandateScope,
    pub legal_basis: LegalBasis,
    pub valid_from: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Mandate {
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && self.revoked_at.is_none_or(|r| r > at)
    }

    /// Whether this mandate lets its authority record under rule `code` of `scheme` at `at`.
    pub fn covers_rule(&self, scheme: SchemeId, code: &RuleCode, at: DateTime<Utc>) -> bool {
        self.in_force_at(at)
            && matches!(&self.scope, MandateScope::Rules { scheme: s, rules } if *s == scheme && rules.matches(code))
    }
}

/// Every mandate one authority holds or held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mandates {
    authority: AuthorityId,
    held: Vec<Mandate>,
}

impl Mandates {
    /// The mandates of `authority` (others' are left out, so they can never lend it a right).
    pub fn of(authority: AuthorityId, held: impl IntoIterator<Item = Mandate>) -> Self {
        Self { authority, held: held.into_iter().filter(|m| m.authority == authority).collect() }
    }

    pub fn authority(&self) -> AuthorityId {
        self.authority
    }

    pub fn all(&self) -> &[Mandate] {
        &self.held
    }

    /// Whether `authority` may record under rule `code` of `scheme` at `at`.
    pub fn permits_rule(
        &self,
        authority: AuthorityId,
        scheme: SchemeId,
        code: &RuleCode,
        at: DateTime<Utc>,
    ) -> bool {
        authority == self.authority && self.held.iter().any(|m| m.covers_rule(scheme, code, at))
    }

    /// Whether `authority` may list subjects on `list` at `at`.
    pub fn permits_list(&self, authority: AuthorityId, list: ListId, at: DateTime<Utc>) -> bool {
        authority == self.authority
            && self
                .held
                .iter()
                .any(|m| m.in_force_at(at) && matches!(m.scope, MandateScope::List { list: l } if l == list))
    }

    /// The schemes in which the authority may record something at `at`.
    pub fn schemes_at(&self, at: DateTime<Utc>) -> Vec<SchemeId> {
        let mut schemes: Vec<SchemeId> = self
            .held
            .iter()
            .filter(|m| m.in_force_at(at))
            .filter_map(|m| match &m.scope {
                MandateScope::Rules { scheme, .. } => Some(*scheme),
                MandateScope::List { .. } => None,
            })
            .collect();
        schemes.sort();
        schemes.dedup();
        schemes
    }

    /// The lists on which the authority may list subjects at `at`.
    pub fn lists_at(&self, at: DateTime<Utc>) -> Vec<ListId> {
        self.held
            .iter()
            .filter(|m| m.in_force_at(at))
            .filter_map(|m| match m.scope {
                MandateScope::List { list } => Some(list),
                MandateScope::Rules { .. } => None,
            })
            .collect()
    }

    /// Of a subject's records in `scheme` (in any order), those the authority's mandate covers
    /// at `at`: every record under a rule it may record under, and every correction or void of
    /// one of those, through any chain of them (a correction may name another rule). A recorder
    /// reads these one by one; the rest only summed up.
    pub fn records_covered(
        &self,
        scheme: SchemeId,
        records: &[Event],
        at: DateTime<Utc>,
    ) -> HashSet<EventId> {
        let mut covered: HashSet<EventId> = records
            .iter()
            .filter(|e| e.scheme == scheme && self.permits_rule(self.authority, scheme, &e.rule_code, at))
            .map(|e| e.id)
            .collect();
        loop {
            let before = covered.len();
            for e in records {
                if e.scheme == scheme && e.kind.target().is_some_and(|t| covered.contains(&t)) {
                    covered.insert(e.id);
                }
            }
            if covered.len() == before {
                return covered;
            }
        }
    }

    pub fn check_rule(
        &self,
        authority: AuthorityId,
        scheme: SchemeId,
        code: &RuleCode,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if self.permits_rule(authority, scheme, code, at) {
            Ok(())
        } else {
            Err(DomainError::OutsideMandate { field: "rule_code", what: code.as_str().to_string() })
        }
    }

    pub fn check_list(
        &self,
        authority: AuthorityId,
        list: ListId,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if self.permits_list(authority, list, at) {
            Ok(())
        } else {
            Err(DomainError::OutsideMandate { field: "list", what: list.to_string() })
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0).unwrap()
    }

    fn code(text: &str) -> RuleCode {
        RuleCode::parse(text).unwrap()
    }

    fn grant(authority: AuthorityId, scope: MandateScope, from: u32, revoked: Option<u32>) -> Mandate {
        Mandate {
            id: MandateId::new(),
            authority,
            scope,
            legal_basis: LegalBasis::parse("Road Traffic Safety Law, art. 87").unwrap(),
            valid_from: day(from),
            revoked_at: revoked.map(day),
        }
    }

    #[test]
    fn patterns_read_one_rule_a_prefix_or_the_whole_scheme() {
        let prefix = RulePattern::parse(" TRAFFIC-* ").unwrap();
        assert!(prefix.matches(&code("TRAFFIC-01")) && !prefix.matches(&code("COURT-01")));
        assert_eq!(prefix.as_text(), "TRAFFIC-*");
        let one = RulePattern::parse("COURT-01").unwrap();
        assert!(one.matches(&code("COURT-01")) && !one.matches(&code("COURT-011")));
        assert!(RulePattern::parse("*").unwrap().matches(&code("ANY-RULE")));
        for bad in ["", "traffic-*", "A B*", "**", "TRAFFIC-*-01"] {
            assert!(
                matches!(RulePattern::parse(bad), Err(DomainError::InvalidRulePattern { .. })),
                "{bad:?} is refused"
            );
        }
    }

    #[test]
    fn an_authority_records_only_under_rules_it_holds_a_mandate_for_while_it_is_in_force() {
        let (police, court) = (AuthorityId::new(), AuthorityId::new());
        let scheme = SchemeId::new();
        let rules = MandateScope::Rules { scheme, rules: RulePattern::parse("TRAFFIC-*").unwrap() };
        let mandates = Mandates::of(police, [grant(police, rules, 2, Some(20))]);
        assert!(mandates.check_rule(police, scheme, &code("TRAFFIC-01"), day(10)).is_ok());
        let outside = mandates.check_rule(police, scheme, &code("COURT-01"), day(10)).unwrap_err();
        assert_eq!(outside, DomainError::OutsideMandate { field: "rule_code", what: "COURT-01".into() });
        assert!(
            !mandates.permits_rule(police, SchemeId::new(), &code("TRAFFIC-01"), day(10)),
            "another scheme"
        );
        assert!(!mandates.permits_rule(police, scheme, &code("TRAFFIC-01"), day(1)), "before it was granted");
        assert!(!mandates.permits_rule(police, scheme, &code("TRAFFIC-01"), day(20)), "once revoked");
        assert!(!mandates.permits_rule(court, scheme, &code("TRAFFIC-01"), day(10)), "another authority");
    }

    #[test]
    fn the_records_covered_are_those_under_mandated_rules_with_their_corrections_and_voids() {
        use crate::domain::fixtures::{self, fact, rongcheng_catalogue, supersede, void};
        let police = AuthorityId::new();
        let catalogue = rongcheng_catalogue();
        let scheme = catalogue.scheme();
        let rules = MandateScope::Rules { scheme, rules: RulePattern::parse("TRAFFIC").unwrap() };
        let mandates = Mandates::of(police, [grant(police, rules, 1, None)]);
        let at = day(10);
        let ticket = fact(&catalogue, 1, "TRAFFIC", -5, fixtures::day(10), fixtures::day(10));
        let judgment = fact(&catalogue, 2, "JUDGMENT", -50, fixtures::day(20), fixtures::day(20));
        let corrected = supersede(3, &ticket, -3, fixtures::day(30));
        // A correction of the correction under another rule still belongs with the ticket.
        let again = Event { rule_code: code("DONATION"), ..supersede(4, &corrected, 2, fixtures::day(40)) };
        let voided = void(5, &judgment, fixtures::day(50));
        // Listed in no particular order.
        let records = [again.clone(), voided.clone(), judgment.clone(), corrected.clone(), ticket.clone()];
        let covered = mandates.records_covered(scheme, &records, at);
        let expected: HashSet<EventId> = [ticket.id, corrected.id, again.id].into();
        assert_eq!(covered, expected);
        assert!(mandates.records_covered(SchemeId::new(), &records, at).is_empty(), "another scheme");
        assert!(
            Mandates::of(police, []).records_covered(scheme, &records, at).is_empty(),
            "no mandate, no record"
        );
    }

    #[test]
    fn another_authoritys_mandate_lends_no_right() {
        let (police, court) = (AuthorityId::new(), AuthorityId::new());
        let list = ListId::new();
        let mandates = Mandates::of(police, [grant(court, MandateScope::List { list }, 1, None)]);
        assert!(mandates.all().is_empty());
        assert!(mandates.check_list(police, list, day(5)).is_err());
        let court_mandates = Mandates::of(court, [grant(court, MandateScope::List { list }, 1, None)]);
        assert!(court_mandates.check_list(court, list, day(5)).is_ok());
        assert!(court_mandates.check_list(court, ListId::new(), day(5)).is_err());
    }
}
