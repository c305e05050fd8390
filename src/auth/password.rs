//! Passwords: the policy (8 to 128 characters of any Unicode, taken exactly as typed, and not
//! easily guessed by the zxcvbn estimator) and hashing with Argon2id at OWASP's minimum
//! parameters (19 MiB, 2 passes, 1 lane), run off the async runtime because it is deliberately slow.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

/// Shortest and longest password accepted, in characters (any Unicode, taken exactly as typed).
pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// The lowest zxcvbn score accepted: 3 means "safely unguessable: moderate protection from an
/// offline slow-hash scenario" (more than 10^8 guesses).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_CHARS} characters")]
    TooLong,
    #[error("the password is too easy to guess: {}", .0.explain())]
    TooEasy(Weakness),
}

/// Why a password is easy to guess, grouped from zxcvbn's warnings so each gets a message a
/// person can act on in their language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// On a list of commonly used passwords, or close to one.
    Common,
    /// Rows or patterns of keys.
    KeyboardPattern,
    /// Repeated characters or repeated groups, or sequences like abc or 123.
    RepeatsOrSequence,
    /// Dates and recent years.
    Dates,
    /// A word, a name or the person's own name by itself.
    Words,
    /// Short or simple in some other way.
    Other,
}

impl Weakness {
    /// A stable name, used for the translation key `password.weak.<name>`.
    pub fn key(self) -> &'static str {
        match self {
            Weakness::Common => "common",
            Weakness::KeyboardPattern => "keyboard",
            Weakness::RepeatsOrSequence => "repeats",
            Weakness::Dates => "dates",
            Weakness::Words => "words",
            Weakness::Other => "other",
        }
    }

    /// In English, for the command line (pages use the translations).
    pub fn explain(self) -> &'static str {
        match self {
            Weakness::Common => "it is, or is close to, a commonly used password",
            Weakness::KeyboardPattern => "rows and patterns of keys are easy to guess",
            Weakness::RepeatsOrSequence => "repeats and sequences like abc or 123 are easy to guess",
            Weakness::Dates => "dates and years are easy to guess",
            Weakness::Words => "a single word or name is easy to guess",
            Weakness::Other => "choose a longer one; a few unrelated words work well",
        }
    }

    fn of(warning: Option<zxcvbn::feedback::Warning>) -> Self {
        use zxcvbn::feedback::Warning as W;
        match warning {
            Some(W::ThisIsATop10Password | W::ThisIsATop100Password | W::ThisIsACommonPassword)
            | Some(W::ThisIsSimilarToACommonlyUsedPassword) => Weakness::Common,
            Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => {
                Weakness::KeyboardPattern
            }
            Some(
                W::RepeatsLikeAaaAreEasyToGuess
                | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess
                | W::SequencesLikeAbcAreEasyToGuess,
            ) => Weakness::RepeatsOrSequence,
            Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => Weakness::Dates,
            Some(
                W::AWordByItselfIsEasyToGuess
                | W::NamesAndSurnamesByThemselvesAreEasyToGuess
                | W::CommonNamesAndSurnamesAreEasyToGuess,
            ) => Weakness::Words,
            None => Weakness::Other,
        }
    }
}

/// A password that meets the length policy. `Debug` never prints it.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    /// Checks the length only (demo accounts, whose passwords are public anyway).
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

    /// Checks the whole policy: length, then guessability by zxcvbn, which also looks for
    /// `user_inputs` (the person's sign-in and display names) inside the password.
    pub fn parse_strong(raw: String, user_inputs: &[&str]) -> Result<Self, PasswordError> {
        let password = Self::parse(raw)?;
        let estimate = zxcvbn::zxcvbn(&password.0, user_inputs);
        if estimate.score() < MIN_SCORE {
            let warning = estimate.feedback().and_then(|f| f.warning());
            return Err(PasswordError::TooEasy(Weakness::of(warning)));
        }
        Ok(password)
    }
}

/// A well-formed Argon2id hash of no one's password, verified against when the name is unknown
/// (or has no password yet) so that the answer takes as long as for a real account.
const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Verifies `password` against `phc` when there is one, else does the same work against a dummy
/// hash and answers false.
pub async fn verify_or_dummy(password: String, phc: Option<String>) -> bool {
    match phc {
        Some(phc) => verify(password, phc).await,
        None => {
            verify(password, DUMMY_PHC.to_string()).await;
            false
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

    #[test]
    fn common_and_personal_passwords_are_refused_and_passphrases_accepted() {
        let weak = |p: &str| {
            NewPassword::parse_strong(p.into(), &["wang.fang", "Wang Fang"])
                .expect_err(&format!("{p:?} should be refused"))
        };
        assert_eq!(weak("password1"), PasswordError::TooEasy(Weakness::Common));
        assert!(matches!(weak("qwertyuiop"), PasswordError::TooEasy(_)));
        assert!(matches!(weak("Wang Fang"), PasswordError::TooEasy(_)), "the person's own name");
        assert!(matches!(weak("wang.fang1"), PasswordError::TooEasy(_)), "the sign-in name and a digit");
        assert!(matches!(weak("12345678"), PasswordError::TooEasy(_)));
        assert_eq!(weak("short"), PasswordError::TooShort);
        assert!(NewPassword::parse_strong("correct horse battery staple".into(), &[]).is_ok());
        assert!(NewPassword::parse_strong("绿水青山就是金山银山啊".into(), &[]).is_ok());
        // Exactly as typed: surrounding spaces are part of the password, not trimmed away.
        assert!(NewPassword::parse_strong(" correct horse battery staple ".into(), &[]).is_ok());
    }

    #[test]
    fn debug_never_prints_a_password() {
        let p = NewPassword::parse("correct horse battery staple".into()).unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(***)");
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_so_it_costs_the_same() {
        let parsed = PasswordHash::new(DUMMY_PHC).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(argon2().verify_password(b"x", &parsed), Err(argon2::password_hash::Error::Password));
    }

    #[tokio::test]
    async fn a_hash_verifies_only_the_same_password() {
        let phc = hash(NewPassword::parse("Grün ist die Hoffnung".into()).unwrap()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("Grün ist die Hoffnung".into(), phc.clone()).await);
        assert!(!verify("grün ist die Hoffnung".into(), phc).await);
    }
}
