//! The behaviour a rule is about, from a fixed list, so that catalogues of different schemes can be
//! lined up side by side: the same behaviour may cost points in one city and nothing in another.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::DomainError;

/// A behaviour category. The list is fixed (and translated) so that two schemes' rules about the
/// same behaviour meet in one row of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    TrafficOffence,
    DrunkDriving,
    Jaywalking,
    UnpaidCourtJudgment,
    TaxArrears,
    Fraud,
    BreachOfContract,
    LateRepayment,
    OnTimeRepayment,
    ContractFulfilled,
    VerifiedInformation,
    Volunteering,
    BloodDonation,
    Charity,
    HeroicAct,
    BusinessAward,
    Other,
}

impl Category {
    /// Every category, in the order comparisons list them: offences first, then merits.
    pub const ALL: [Category; 17] = [
        Self::TrafficOffence,
        Self::DrunkDriving,
        Self::Jaywalking,
        Self::UnpaidCourtJudgment,
        Self::TaxArrears,
        Self::Fraud,
        Self::BreachOfContract,
        Self::LateRepayment,
        Self::OnTimeRepayment,
        Self::ContractFulfilled,
        Self::VerifiedInformation,
        Self::Volunteering,
        Self::BloodDonation,
        Self::Charity,
        Self::HeroicAct,
        Self::BusinessAward,
        Self::Other,
    ];

    /// Stable snake_case code, stored and used for translation keys.
    pub fn code(self) -> &'static str {
        match self {
            Self::TrafficOffence => "traffic_offence",
            Self::DrunkDriving => "drunk_driving",
            Self::Jaywalking => "jaywalking",
            Self::UnpaidCourtJudgment => "unpaid_court_judgment",
            Self::TaxArrears => "tax_arrears",
            Self::Fraud => "fraud",
            Self::BreachOfContract => "breach_of_contract",
            Self::LateRepayment => "late_repayment",
            Self::OnTimeRepayment => "on_time_repayment",
            Self::ContractFulfilled => "contract_fulfilled",
            Self::VerifiedInformation => "verified_information",
            Self::Volunteering => "volunteering",
            Self::BloodDonation => "blood_donation",
            Self::Charity => "charity",
            Self::HeroicAct => "heroic_act",
            Self::BusinessAward => "business_award",
            Self::Other => "other",
        }
    }

    /// The category with `code`; refuses any other text, naming the field.
    pub fn parse(code: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code.trim())
            .ok_or_else(|| DomainError::UnknownCategory { value: code.chars().take(64).collect() })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_its_category_and_nothing_else_is_accepted() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()).unwrap(), c);
        }
        let codes: std::collections::HashSet<_> = Category::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), Category::ALL.len());
        assert!(matches!(Category::parse("speeding"), Err(DomainError::UnknownCategory { .. })));
    }
}
