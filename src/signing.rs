//! The instance's Ed25519 key: what Recourse signs with (the audit log's tree heads; later a
//! subject's proof of status). Kept in a file, never in the database, so whoever can alter the
//! database cannot also re-sign what they altered.
//!
//! Where it lives: `--signing-key-file` / `RECOURSE_SIGNING_KEY_FILE` when given; otherwise,
//! for an SQLite database, beside its file (`recourse.db` → `recourse.db.signing-key`), and for
//! PostgreSQL `recourse-signing.key` in the working directory. `serve` and `demo` create it
//! (readable by its owner only) when it is missing. Several servers on one PostgreSQL database
//! must be given the same file; a tree head names the public key it was signed with, so one
//! signed by a server given no file still verifies, under a key the instance did not publish.
//!
//! The file holds the 32-byte secret seed as 64 hexadecimal digits and a newline.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "RECOURSE_SIGNING_KEY_FILE";

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("the signing key file {path} could not be read or written: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the signing key file {0} does not hold 64 hexadecimal digits")]
    Malformed(String),
}

/// The instance's key, with the file it came from.
#[derive(Clone)]
pub struct InstanceKey {
    key: SigningKey,
    pub path: PathBuf,
}

impl std::fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceKey").field("public", &self.public_hex()).field("path", &self.path).finish()
    }
}

impl InstanceKey {
    /// A key from its 32-byte seed (tests, benchmarks).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { key: SigningKey::from_bytes(&seed), path: PathBuf::new() }
    }

    /// A fresh random key kept in no file: a server given none (tests), whose signatures verify
    /// under the public key they name.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        Self::from_seed(seed)
    }

    /// The public key, as 64 hexadecimal digits.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// The signature of `message`, as 128 hexadecimal digits.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }
}

/// The default key file for a database URL (see the module's documentation).
pub fn default_path(database_url: &str) -> PathBuf {
    if let Some(rest) = database_url.strip_prefix("sqlite:") {
        let file = rest.trim_start_matches("//").split('?').next().unwrap_or("");
        if !file.is_empty() && file != ":memory:" {
            return PathBuf::from(format!("{file}.signing-key"));
        }
    }
    PathBuf::from("recourse-signing.key")
}

/// The key in `path`, created (owner-readable only) when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<InstanceKey, SigningError> {
    let io = |source| SigningError::Io { path: path.display().to_string(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes =
                hex::decode(text.trim()).map_err(|_| SigningError::Malformed(path.display().to_string()))?;
            let seed: [u8; 32] =
                bytes.try_into().map_err(|_| SigningError::Malformed(path.display().to_string()))?;
            Ok(InstanceKey { key: SigningKey::from_bytes(&seed), path: path.to_path_buf() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
            write_new(path, &format!("{}\n", hex::encode(seed))).map_err(io)?;
            tracing::info!(path = %path.display(), "created the instance's signing key");
            // Another process may have created it at the same moment: read what won.
            load_or_create(path)
        }
        Err(e) => Err(io(e)),
    }
}

/// Writes a new file readable by its owner only; an existing file is left as it is.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => file.write_all(text.as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `signature_hex` is `public_hex`'s signature of `message`.
pub fn verify(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let Ok(Ok(public)) = hex::decode(public_hex).map(|b| <[u8; 32]>::try_from(b.as_slice()).map(|_| b))
    else {
        return false;
    };
    let Ok(public) = VerifyingKey::from_bytes(&public.try_into().expect("32 bytes")) else { return false };
    let Ok(signature) = hex::decode(signature_hex) else { return false };
    let Ok(signature) = Signature::from_slice(&signature) else { return false };
    public.verify(message, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_and_signs_what_verifies() {
        let dir = std::env::temp_dir().join(format!("recourse-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k");
        let a = load_or_create(&path).unwrap();
        let b = load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex());
        let sig = a.sign_hex(b"hello");
        assert!(verify(&a.public_hex(), b"hello", &sig));
        assert!(!verify(&a.public_hex(), b"hellO", &sig));
        assert_eq!(default_path("sqlite:data/r.db?mode=rwc"), PathBuf::from("data/r.db.signing-key"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
