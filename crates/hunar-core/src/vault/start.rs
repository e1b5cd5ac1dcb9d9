//! Starting with a key: a server given another key than its database's refuses to start
//! (naming both ids) instead of writing values no other server could read; a restore checks
//! the backup's key the same way before it writes. While a rotation runs, servers pick its
//! new key up within seconds and seal with it.
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::keys::{KeySource, load_key};
use super::state::{
    CURRENT, FOLLOW_EVERY, Next, VaultError, key_of_database, read_next, record_once,
};
use super::{DataKey, KeyId, Vault};

/// The vault a server starts with. On a database that names no key yet, the configured key
/// (made now when its file is missing) becomes its key and any value written before values
/// were sealed is sealed before the server answers anyone.
pub async fn open_vault(db: &DatabaseConnection, source: &KeySource) -> Result<Vault, VaultError> {
    let Some(database) = key_of_database(db).await? else {
        let key = load_key(source, true)?;
        let recorded = record_once(db, CURRENT, key.id().as_str()).await?;
        if recorded != key.id().as_str() {
            // Another server named its key first.
            return Err(VaultError::WrongKey {
                database: recorded,
                given: key.id().to_string(),
                given_by: source.clone(),
            });
        }
        let vault = Vault::new(key);
        let sealed = super::sweep::reseal_all(db, &vault).await?;
        if sealed > 0 {
            // The log's old frames still hold the values as they were.
            crate::db::empty_log(db).await;
            tracing::info!(values = sealed, key = %vault.write_key(), "sealed the private data written before; backups taken before still hold it in the clear");
        }
        return Ok(vault);
    };
    let key = load_key(source, false).map_err(|problem| VaultError::KeyMissing {
        database: database.clone(),
        problem,
    })?;
    if key.id().as_str() != database {
        if let Some(next) = read_next(db).await?
            && next.id == key.id().as_str()
        {
            return Err(VaultError::RotationUnderWay {
                from: database,
                to: next.id,
            });
        }
        return Err(VaultError::WrongKey {
            database,
            given: key.id().to_string(),
            given_by: source.clone(),
        });
    }
    let vault = Vault::new(key);
    if let Follow::Stop(why) = follow_once(db, &vault).await? {
        return Err(VaultError::Rotation(why));
    }
    Ok(vault)
}

/// Compares a backup's key with the configured one before a restore writes anything.
pub fn check_restore_key(backup_key: &str, source: &KeySource) -> Result<(), VaultError> {
    let key = load_key(source, false).map_err(|problem| {
        VaultError::Rotation(format!(
            "this backup's private data is sealed with key {backup_key}, but {problem}"
        ))
    })?;
    if key.id().as_str() != backup_key {
        return Err(VaultError::BackupKey {
            backup: backup_key.to_string(),
            given: key.id().to_string(),
            given_by: source.clone(),
        });
    }
    Ok(())
}

fn load_next(next: &Next) -> Result<DataKey, VaultError> {
    let key = load_key(&KeySource::File(next.file.clone()), false)?;
    if key.id().as_str() != next.id {
        return Err(VaultError::Rotation(format!(
            "{} holds key {}, not {} that the rotation moves to",
            next.file.display(),
            key.id(),
            next.id
        )));
    }
    Ok(key)
}

/// What a look at the database found that this server cannot go on with.
enum Follow {
    Fine,
    /// It would write values under a key the database no longer uses (or cannot follow a
    /// rotation to its new key): values no restarted server could read.
    Stop(String),
}

/// Follows a rotation: seals with its new key once it is named, and hashes lookups under one
/// key again once it is done.
async fn follow_once(db: &impl ConnectionTrait, vault: &Vault) -> Result<Follow, VaultError> {
    match read_next(db).await? {
        Some(next) if next.id != vault.write_key().as_str() => match load_next(&next) {
            Ok(key) => {
                tracing::info!(from = %vault.write_key(), to = %key.id(), "a key rotation is under way; sealing with its new key");
                vault.switch_to(key);
            }
            Err(err) => {
                return Ok(Follow::Stop(format!(
                    "a key rotation to {} is under way and this server cannot read its key: {err}",
                    next.id
                )));
            }
        },
        Some(_) => {}
        None => {
            let current = key_of_database(db).await?;
            if current.as_deref() == Some(vault.write_key().as_str()) {
                vault.forget_other();
            } else if let Some(current) = current
                && KeyId::parse(&current).is_some()
            {
                return Ok(Follow::Stop(format!(
                    "the database's data key is now {current}, not {} that this server seals with",
                    vault.write_key()
                )));
            }
        }
    }
    Ok(Follow::Fine)
}

/// Looks for a rotation every [`FOLLOW_EVERY`] for as long as the server runs. A server that
/// cannot follow one stops (exit code 78) rather than go on sealing with a key the database
/// is leaving: restarted, it refuses to start and names the key it needs.
pub fn spawn_follow(db: DatabaseConnection, vault: Vault) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FOLLOW_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match follow_once(&db, &vault).await {
                Ok(Follow::Fine) => {}
                Ok(Follow::Stop(why)) => {
                    tracing::error!("{why}; stopping");
                    eprintln!("error: {why}; stopping");
                    std::process::exit(78);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not look for a key rotation; will retry")
                }
            }
        }
    })
}
