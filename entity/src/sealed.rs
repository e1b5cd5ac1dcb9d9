use sea_orm::entity::prelude::*;

/// A private value as the database holds it: sealed with the data key (`hv1:<key id>:…`),
/// or empty once erased. Only the core's vault makes and opens one, so a field of this type
/// cannot be written or shown by mistake as plain text; its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq, Default, DeriveValueType)]
pub struct Sealed(String);

impl Sealed {
    /// Wraps what the database holds; no check is made here (the vault checks on opening).
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// What the database holds.
    pub fn stored(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(…)")
    }
}
