//! Where a data key comes from: `DATA_KEY` (base64 of 32 bytes) or a file holding the same
//! (`DATA_KEY_FILE`, default `./hunar.key`), made readable by its owner only.
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit, OsRng};

use super::DataKey;

#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `DATA_KEY`, already checked to be 32 bytes.
    Inline([u8; 32]),
    /// `DATA_KEY_FILE`.
    File(PathBuf),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("DATA_KEY"),
            Self::File(path) => write!(f, "DATA_KEY_FILE {}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} does not exist")]
    Missing(String),
    #[error("{path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("{0} already exists; a new key is never written over a key")]
    Exists(String),
}

/// A fresh random 256-bit key.
pub fn random_key() -> [u8; 32] {
    XChaCha20Poly1305::generate_key(&mut OsRng).into()
}

/// Reads base64 of exactly 32 bytes (what `DATA_KEY` and a key file hold).
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

/// The key from `source`. A missing file is made (owner-only) when `create` is set: only on a
/// database that holds no sealed value yet, so a lost key file never silently becomes a new
/// key for data that needs the old one.
pub fn load_key(source: &KeySource, create: bool) -> Result<DataKey, KeyError> {
    match source {
        KeySource::Inline(bytes) => Ok(DataKey::from_bytes(bytes)),
        KeySource::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => read_file_key(path, &text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Err(KeyError::Missing(path.display().to_string()));
                }
                new_key_file(path)
            }
            Err(err) => Err(KeyError::Unreadable {
                path: path.display().to_string(),
                why: err.to_string(),
            }),
        },
    }
}

fn read_file_key(path: &Path, text: &str) -> Result<DataKey, KeyError> {
    warn_if_shared(path);
    parse_key(text)
        .map(|bytes| DataKey::from_bytes(&bytes))
        .ok_or_else(|| KeyError::Unreadable {
            path: path.display().to_string(),
            why: "it does not hold base64 of 32 bytes".into(),
        })
}

/// Writes a new random key to `path`, readable and writable by its owner only; refuses to
/// write over an existing file.
pub fn new_key_file(path: &Path) -> Result<DataKey, KeyError> {
    let bytes = random_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let failed = |err: std::io::Error| KeyError::Unreadable {
        path: path.display().to_string(),
        why: err.to_string(),
    };
    let mut file = options.open(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.display().to_string()),
        _ => failed(err),
    })?;
    writeln!(file, "{}", STANDARD.encode(bytes)).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    // The file's name too: the database records this key's id next, and a crash must not
    // leave a database naming a key whose file never reached the disk.
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(failed)?;
    }
    Ok(DataKey::from_bytes(&bytes))
}

fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                file = %path.display(),
                "the data key file can be read by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_the_owners_alone_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("as made");
        let path = dir.path().join("hunar.key");
        let made = load_key(&KeySource::File(path.clone()), true).expect("as made");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("as made")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_key(&KeySource::File(path.clone()), false).expect("as made");
        assert_eq!(made.id(), again.id());
        assert!(matches!(new_key_file(&path), Err(KeyError::Exists(_))));
    }

    #[test]
    fn a_missing_file_is_not_made_for_data_that_needs_a_key() {
        let dir = tempfile::tempdir().expect("as made");
        let path = dir.path().join("gone.key");
        let err = load_key(&KeySource::File(path.clone()), false)
            .err()
            .expect("as made");
        assert!(matches!(err, KeyError::Missing(_)));
        assert!(!path.exists());
    }

    #[test]
    fn only_32_bytes_of_base64_are_a_key() {
        assert!(parse_key(&STANDARD.encode([1u8; 32])).is_some());
        assert!(parse_key(&STANDARD.encode([1u8; 31])).is_none());
        assert!(parse_key("not base64!").is_none());
    }
}
