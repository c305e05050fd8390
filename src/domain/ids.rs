//! Identifiers of everything the domain names: newtypes over time-ordered UUIDv7, never bare strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::DomainError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh UUIDv7: ids made later sort later, so keys stay append-friendly.
            #[allow(clippy::new_without_default)] // an id is minted on purpose, never by default
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Reads an id from its text form (any UUID spelling), naming the field on failure.
            pub fn parse(text: &str) -> Result<Self, DomainError> {
                Uuid::parse_str(text.trim())
                    .map(Self)
                    .map_err(|_| DomainError::InvalidId {
                        field: $field,
                        value: text.chars().take(64).collect(),
                    })
            }

            /// Wraps a UUID read from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID, for storage.
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// A person or an organisation scored or listed by a scheme.
    SubjectId,
    "subject"
);
id_type!(
    /// A scoring scheme.
    SchemeId,
    "scheme"
);
id_type!(
    /// A rule as a whole, across its versions.
    RuleId,
    "rule"
);
id_type!(
    /// One immutable version of a rule.
    RuleVersionId,
    "rule_version"
);
id_type!(
    /// One recorded event (a fact, a voiding or a superseding correction).
    EventId,
    "event"
);
id_type!(
    /// A body that records events or issues blacklist entries.
    AuthorityId,
    "authority"
);
id_type!(
    /// One blacklist entry.
    EntryId,
    "entry"
);
id_type!(
    /// A blacklist.
    ListId,
    "list"
);

id_type!(
    /// An authority's mandate to record under rules or to list on a blacklist.
    MandateId,
    "mandate"
);

id_type!(
    /// A subject's proof of status.
    ProofId,
    "proof"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v7_and_sort_by_creation() {
        let a = EventId::new();
        let b = EventId::new();
        assert_eq!(a.uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn parse_round_trips_display() {
        let id = SubjectId::new();
        assert_eq!(SubjectId::parse(&id.to_string()), Ok(id));
        assert_eq!(id.to_string().parse::<SubjectId>(), Ok(id));
    }

    #[test]
    fn parse_names_the_field() {
        let err = RuleVersionId::parse("not-a-uuid").unwrap_err();
        assert_eq!(err, DomainError::InvalidId { field: "rule_version", value: "not-a-uuid".into() });
    }

    #[test]
    fn serialises_as_a_plain_string() {
        let id = EntryId::from_uuid(Uuid::from_u128(1));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"00000000-0000-0000-0000-000000000001\"");
        assert_eq!(serde_json::from_str::<EntryId>(&json).unwrap(), id);
    }
}
