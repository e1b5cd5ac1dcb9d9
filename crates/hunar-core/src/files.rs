//! Files the server makes are its owner's alone. A database, its WAL, a backup or a copy made
//! on the way to a bucket holds every buyer's address and every artist's contact: on a shared
//! machine, or in a folder copied elsewhere with its permissions, a file readable by
//! everyone gives them to anyone.
use std::path::Path;

/// From now on, every file and folder this process makes is readable and writable by its
/// owner only (umask 077). Called first thing in `main`.
pub fn owner_only_from_now_on() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
}

/// Makes an existing file its owner's alone (one made before the umask, by an older
/// version or another tool). A file that is not there is left alone.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The SQLite database file and the files SQLite keeps beside it.
pub fn restrict_sqlite(database: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        if let Err(err) = restrict(Path::new(&name)) {
            tracing::warn!(
                file = %Path::new(&name).display(),
                error = %err,
                "could not make a database file readable by its owner only"
            );
        }
    }
}

/// A new file (or one emptied) for writing, its owner's alone whatever the umask.
pub async fn create_private(path: &Path) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let file = options.open(path).await?;
    // A file that was there already keeps its mode through `open`: tightened too.
    restrict(path)?;
    Ok(file)
}
