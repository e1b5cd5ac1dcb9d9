//! Personal data at rest: artists' contact details and notes, buyers' names, addresses and
//! notes, the messages kept in the outbox, the answers kept for retried orders and the
//! coordinators' second-factor secrets are sealed with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`) before they reach the database, each value with its own random
//! 24-byte nonce and the id of the key that sealed it: `hv1:<key id>:<base64 nonce+text>`.
//! A copied database file, its log or a backup shows none of them without the key, which
//! lives outside the database (`DATA_KEY` or `DATA_KEY_FILE`).
//!
//! Opening needs no handle: a value names its key, and every key this process was given is
//! kept in one ring. Sealing takes the [`Vault`] of the running application, which knows the
//! key new values are written with (it changes while a rotation runs).
//!
//! Equality lookups (the per-address hold caps, the search by buyer email, confirmed
//! addresses) use a keyed hash (HMAC-SHA-256 under a key derived from the data key), never
//! the plain value: without the key a copied database cannot be searched for an address.
mod keys;
pub mod rotation;
mod start;
pub mod state;
mod sweep;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use entity::Sealed;
use hmac::{Hmac, Mac};
use sea_orm::DbErr;
use sha2::Sha256;

pub use keys::{KeyError, KeySource, load_key, new_key_file, parse_key, random_key};
pub use start::{check_restore_key, open_vault, spawn_follow};
pub use sweep::{SEALED, reseal_all};

/// The format's prefix; a later format gets another.
const PREFIX: &str = "hv1";
/// Bound into every value, so a value sealed for something else under the same key (or a
/// later format) does not open as one of these.
const CONTEXT: &[u8] = b"hunar personal data v1";
const NONCE_LEN: usize = 24;

/// The short public name of a key: the first bytes of an HMAC of a fixed text under it, so
/// a database, a backup and a key file can be matched without showing the key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 9
            && text.starts_with('k')
            && text[1..].bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| Self(text.to_string()))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One data key: the cipher, and the key its lookup hashes are made with.
pub struct DataKey {
    id: KeyId,
    cipher: XChaCha20Poly1305,
    index: [u8; 32],
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
        // A separator, so ("ab", "c") and ("a", "bc") hash differently.
        mac.update(&[0]);
    }
    mac.finalize().into_bytes().into()
}

impl DataKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let id = hmac(bytes, &[b"hunar data key id"]);
        Self {
            id: KeyId(format!(
                "k{:02x}{:02x}{:02x}{:02x}",
                id[0], id[1], id[2], id[3]
            )),
            cipher: XChaCha20Poly1305::new(bytes.into()),
            index: hmac(bytes, &[b"hunar lookup hash"]),
        }
    }

    pub fn id(&self) -> &KeyId {
        &self.id
    }

    fn seal(&self, plain: &str) -> Sealed {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let text = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: CONTEXT,
                },
            )
            .expect("XChaCha20-Poly1305 seals any text that fits in memory");
        let mut both = nonce.to_vec();
        both.extend_from_slice(&text);
        Sealed::from_stored(format!(
            "{PREFIX}:{}:{}",
            self.id,
            URL_SAFE_NO_PAD.encode(both)
        ))
    }

    fn open(&self, encoded: &str) -> Result<String, DbErr> {
        let both = URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(|| unreadable(&self.id, "it is not in the sealed format"))?;
        let (nonce, text) = both.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: text,
                    aad: CONTEXT,
                },
            )
            .map_err(|_| unreadable(&self.id, "it was altered or sealed otherwise"))?;
        String::from_utf8(plain).map_err(|_| unreadable(&self.id, "it is not text"))
    }

    fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        hmac(&self.index, &[purpose.as_bytes(), value.as_bytes()])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn unreadable(key: &KeyId, why: &str) -> DbErr {
    DbErr::Custom(format!(
        "a sealed value under key {key} could not be opened: {why}"
    ))
}

/// Every key this process was given, by id: what opening looks in.
static RING: LazyLock<RwLock<HashMap<KeyId, Arc<DataKey>>>> = LazyLock::new(Default::default);

fn remember(key: &Arc<DataKey>) {
    RING.write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key.id.clone())
        .or_insert_with(|| key.clone());
}

fn key_named(id: &str) -> Option<Arc<DataKey>> {
    RING.read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&KeyId(id.to_string()))
        .cloned()
}

/// The id of the key a stored value was sealed with; None for an empty (erased) value or
/// one written before values were sealed.
pub fn key_of(sealed: &Sealed) -> Option<&str> {
    let mut parts = sealed.stored().splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(PREFIX), Some(id), Some(_)) => Some(id),
        _ => None,
    }
}

/// What an erased value says instead of what it said (an erased email's text and address).
pub const ERASED: &str = "[erased]";

/// Opens a stored value with whichever key it names. Empty and [`ERASED`] stay as they are;
/// anything else not sealed is refused: a value in the clear where a sealed one belongs is a
/// bug or a planted value, never something to show.
pub fn open(sealed: &Sealed) -> Result<String, DbErr> {
    match sealed.stored() {
        stored @ ("" | ERASED) => Ok(stored.to_string()),
        stored if key_of(sealed).is_none() => Err(DbErr::Custom(format!(
            "a value in the clear ({} characters) where a sealed one belongs",
            stored.chars().count()
        ))),
        _ => open_any(sealed),
    }
}

/// Opens a sealed value, or reads one from before values were sealed as it is: only for the
/// sweep that seals those.
pub(crate) fn open_any(sealed: &Sealed) -> Result<String, DbErr> {
    let stored = sealed.stored();
    let mut parts = stored.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(PREFIX), Some(id), Some(text)) => {
            let key = key_named(id).ok_or_else(|| {
                DbErr::Custom(format!(
                    "a value is sealed with key {id}, which this server was not given (DATA_KEY or DATA_KEY_FILE)"
                ))
            })?;
            key.open(text)
        }
        _ => Ok(stored.to_string()),
    }
}

/// `value.open()?` for a sealed field or an optional one.
pub trait Open {
    type Plain;
    fn open(&self) -> Result<Self::Plain, DbErr>;
}

impl Open for Sealed {
    type Plain = String;
    fn open(&self) -> Result<String, DbErr> {
        open(self)
    }
}

impl Open for Option<Sealed> {
    type Plain = Option<String>;
    fn open(&self) -> Result<Option<String>, DbErr> {
        self.as_ref().map(open).transpose()
    }
}

/// The running application's keys: the one new values are sealed with, and while a rotation
/// runs, the other one too (lookups must find values hashed under either).
#[derive(Clone)]
pub struct Vault {
    keys: Arc<RwLock<Keys>>,
}

struct Keys {
    write: Arc<DataKey>,
    other: Option<Arc<DataKey>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({})", self.write_key())
    }
}

impl Vault {
    pub fn new(key: DataKey) -> Self {
        let key = Arc::new(key);
        remember(&key);
        Self {
            keys: Arc::new(RwLock::new(Keys {
                write: key,
                other: None,
            })),
        }
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The key new values are sealed with.
    pub fn write_key(&self) -> KeyId {
        self.keys().write.id.clone()
    }

    /// From now on, seal with `key`; the previous write key stays for lookups until
    /// [`Vault::forget_other`].
    pub fn switch_to(&self, key: DataKey) {
        let key = Arc::new(key);
        remember(&key);
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if keys.write.id != key.id {
            let old = std::mem::replace(&mut keys.write, key);
            keys.other = Some(old);
        }
    }

    /// Lookups hash under the write key only (a rotation finished).
    pub fn forget_other(&self) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).other = None;
    }

    pub fn seal(&self, plain: &str) -> Sealed {
        self.keys().write.seal(plain)
    }

    pub fn seal_opt(&self, plain: Option<&str>) -> Option<Sealed> {
        plain.map(|p| self.seal(p))
    }

    /// The keyed hash a lookup of `value` for `purpose` is stored and found under.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        self.keys().write.lookup_hash(purpose, value)
    }

    /// Every hash `value` may be stored under right now: one, or two while a rotation runs.
    pub fn lookup_hashes(&self, purpose: &str, value: &str) -> Vec<String> {
        let keys = self.keys();
        let mut all = vec![keys.write.lookup_hash(purpose, value)];
        if let Some(other) = &keys.other {
            all.push(other.lookup_hash(purpose, value));
        }
        all
    }

    /// A buyer address's hash for the hold caps, confirmations and the console's search
    /// (`anna+shop@Example.org` and `anna@example.org` are one address).
    pub fn email_hash(&self, email: &str) -> String {
        self.lookup_hash("email", &crate::validate::email_identity(email))
    }

    pub fn email_hashes(&self, email: &str) -> Vec<String> {
        self.lookup_hashes("email", &crate::validate::email_identity(email))
    }

    /// A vault with a fresh random key, for tests of code that seals.
    pub fn for_tests() -> Self {
        Self::new(DataKey::from_bytes(&keys::random_key()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_as_it_was_and_shows_nothing_of_itself() {
        let vault = Vault::for_tests();
        let sealed = vault.seal("Anna Lindqvist, Storgatan 1");
        assert!(!sealed.stored().contains("Anna"));
        assert!(
            sealed
                .stored()
                .starts_with(&format!("hv1:{}:", vault.write_key()))
        );
        assert_eq!(
            open(&sealed).expect("as made"),
            "Anna Lindqvist, Storgatan 1"
        );
        assert_eq!(format!("{sealed:?}"), "Sealed(…)");
    }

    #[test]
    fn each_value_has_its_own_nonce() {
        let vault = Vault::for_tests();
        assert_ne!(vault.seal("same"), vault.seal("same"));
    }

    #[test]
    fn an_altered_value_is_refused_not_misread() {
        let vault = Vault::for_tests();
        let stored = vault.seal("Kabul").stored().to_string();
        let (head, tail) = stored.split_at(stored.len() - 2);
        let flipped = if tail.starts_with('A') { "B" } else { "A" };
        let altered = Sealed::from_stored(format!("{head}{flipped}{}", &tail[1..]));
        let err = open(&altered).expect_err("refused").to_string();
        assert!(err.contains(vault.write_key().as_str()), "{err}");
    }

    #[test]
    fn a_value_under_an_unknown_key_names_the_key() {
        let stored = Sealed::from_stored("hv1:k00000000:AAAA".into());
        let err = open(&stored).expect_err("refused").to_string();
        assert!(err.contains("k00000000"), "{err}");
    }

    #[test]
    fn erased_values_read_as_they_are_and_clear_text_is_refused() {
        let read = |text: &str| open(&Sealed::from_stored(text.to_string()));
        assert_eq!(read("").expect("empty"), "");
        assert_eq!(read(ERASED).expect("erased"), ERASED);
        let err = read("Kabul, Taimani").expect_err("refused").to_string();
        assert!(!err.contains("Kabul"), "{err}");
        let older = Sealed::from_stored("plain".into());
        assert_eq!(open_any(&older).expect("read by the sweep"), "plain");
    }

    #[test]
    fn lookup_hashes_are_keyed_and_follow_a_rotation() {
        let a = Vault::for_tests();
        let b = Vault::for_tests();
        assert_eq!(
            a.email_hash(" Anna+shop@Example.ORG "),
            a.email_hash("anna@example.org")
        );
        assert_ne!(
            a.email_hash("anna@example.org"),
            b.email_hash("anna@example.org")
        );
        let before = a.email_hash("anna@example.org");
        a.switch_to(DataKey::from_bytes(&keys::random_key()));
        let during = a.email_hashes("anna@example.org");
        assert_eq!(during.len(), 2);
        assert_eq!(during[1], before);
        a.forget_other();
        assert_eq!(a.email_hashes("anna@example.org"), vec![during[0].clone()]);
    }

    #[test]
    fn key_ids_parse_only_as_made() {
        let key = DataKey::from_bytes(&[7; 32]);
        assert_eq!(KeyId::parse(key.id().as_str()).as_ref(), Some(key.id()));
        assert!(KeyId::parse("k123").is_none());
        assert!(KeyId::parse("x12345678").is_none());
    }
}
