//! Small helpers for the domain's validated text: trimmed required strings and inline codes.

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

/// Declares a validated ASCII code of at most `$max` bytes, stored inline: a code is `Copy`, so
/// putting one on every derivation line costs a small copy, never an allocation or a reference
/// count. `$check` turns raw text into the normalised form (ASCII, at most `$max` bytes) or an
/// error.
macro_rules! inline_code {
    ($(#[$doc:meta])* $name:ident, $max:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            len: u8,
            bytes: [u8; $max],
        }

        impl $name {
            /// Checks and normalises the text; the only way to make one.
            pub fn parse(text: &str) -> Result<Self, crate::domain::error::DomainError> {
                let checked: String = $check(text)?;
                debug_assert!(checked.is_ascii() && checked.len() <= $max);
                let mut bytes = [0u8; $max];
                bytes[..checked.len()].copy_from_slice(checked.as_bytes());
                Ok(Self { len: checked.len() as u8, bytes })
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.bytes[..usize::from(self.len)])
                    .expect("ASCII by construction")
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        /// Orders as the text does.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.bytes[..usize::from(self.len)].cmp(&other.bytes[..usize::from(other.len)])
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
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
                self.as_str()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
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

pub(crate) use inline_code;

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
