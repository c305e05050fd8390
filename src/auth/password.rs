//! Password hashing: Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), run
//! off the async runtime because hashing is deliberately slow.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

/// Shortest and longest password accepted, in characters (any Unicode, taken exactly as typed).
pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_CHARS} characters")]
    TooLong,
}

/// A password that meets the length policy. `Debug` never prints it.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw))
        }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string, on a blocking thread.
pub async fn hash(password: NewPassword) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored PHC string, on a blocking thread.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert_eq!(NewPassword::parse("密码密码密码密".into()).unwrap_err(), PasswordError::TooShort);
        assert!(NewPassword::parse("密码密码密码密码".into()).is_ok());
        assert_eq!(NewPassword::parse("x".repeat(MAX_CHARS + 1)).unwrap_err(), PasswordError::TooLong);
    }

    #[tokio::test]
    async fn a_hash_verifies_only_the_same_password() {
        let phc = hash(NewPassword::parse("Grün ist die Hoffnung".into()).unwrap()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("Grün ist die Hoffnung".into(), phc.clone()).await);
        assert!(!verify("grün ist die Hoffnung".into(), phc).await);
    }
}
