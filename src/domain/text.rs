//! Small helpers for the domain's validated text: trimmed required strings and cheap shared codes.

use super::error::DomainError;

/// Trims `value` and refuses it when empty or longer than `max` characters.
pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::EmptyField { field });
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(DomainError::TooLong { field, len, max });
    }
    Ok(trimmed.to_owned())
}

/// Declares a validated code over `Arc<str>`: cloning one into every derivation line costs a
/// reference count, not an allocation. `$check` turns raw text into the normalised form or an error.
macro_rules! shared_code {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Checks and normalises the text; the only way to make one.
            pub fn parse(text: &str) -> Result<Self, crate::domain::error::DomainError> {
                $check(text).map(|s: String| Self(std::sync::Arc::from(s)))
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::domain::error::DomainError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use shared_code;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_trims_and_refuses_empty_and_long() {
        assert_eq!(required("reason", "  late  ", 10), Ok("late".into()));
        assert_eq!(required("reason", "   ", 10), Err(DomainError::EmptyField { field: "reason" }));
        assert_eq!(
            required("reason", "abcdef", 3),
            Err(DomainError::TooLong { field: "reason", len: 6, max: 3 })
        );
    }
}
