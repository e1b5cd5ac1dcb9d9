use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hunar::config::{BackupTarget, Config};
use hunar::media::{self, Media};
use hunar::{auth, backup, catalog, db, startup::Application, telemetry, threads};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "hunar", about = "Hunar marketplace server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Create an admin. The password is read from stdin when it is not a terminal,
    /// else one is generated and printed once.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Build the public catalog's cards from scratch (they are kept current by every write;
    /// this is for data changed behind the server's back, e.g. by hand in SQL).
    RebuildCatalog,
    /// Erase now the personal data of buyers whose orders ended more than BUYER_DATA_DAYS ago
    /// (the server does it every hour).
    EraseExpired,
    /// Move every sealed value to the key in NEW_KEY_FILE (made, owner-only, when it does not
    /// exist) while the shop stays open: running servers pick the new key up from the path
    /// this records, so put the file at the same path on every host first. Afterwards start
    /// servers with DATA_KEY_FILE=NEW_KEY_FILE.
    RotateKey { new_key_file: std::path::PathBuf },
    /// Back up the database and every photo into DIR (a folder, or s3:PREFIX in the media
    /// bucket) while the server runs; only photos DIR lacks are copied.
    Backup {
        dir: String,
        /// Keep only the newest N snapshots in DIR (and the photos they need).
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Restore the newest finished backup in DIR into DATABASE_URL and the media store.
    /// Stop the server first. Every file is checked before anything changes.
    Restore {
        dir: String,
        /// Restore this snapshot (a folder name under DIR/snapshots) instead of the newest.
        #[arg(long)]
        snapshot: Option<String>,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    // Before any file is made: the database, its WAL, backups and their temporary copies
    // hold buyers' addresses and artists' contacts, and are the owner's alone.
    hunar::files::owner_only_from_now_on();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    // Before any thread starts, so that every one inherits it.
    let scheduling = threads::apply(config.thread_scheduling);
    let log = telemetry::init(&config.log_format);
    if let Err(e) = scheduling {
        tracing::warn!(error = %e, "threads keep the default scheduling");
    }
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let outcome = run(cli.command.unwrap_or(Command::Serve), config).await;
    // The queued log lines first, then the error they lead up to.
    drop(log);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn media_of(config: &Config) -> anyhow::Result<Media> {
    Ok(Media::new(
        &config.media,
        media::store::from_config(&config.media.backend)?,
    ))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let started = std::time::Instant::now();
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                addr = %config.bind_addr,
                port = app.port(),
                startup_ms = started.elapsed().as_millis() as u64,
                "hunar is ready"
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            println!("database schema is up to date");
        }
        Command::RebuildCatalog => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let media = media_of(&config)?;
            let started = std::time::Instant::now();
            catalog::cards::rebuild(&db, &media).await?;
            println!(
                "catalog cards rebuilt in {} ms",
                started.elapsed().as_millis()
            );
        }
        Command::EraseExpired => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let keep = chrono::Duration::days(i64::from(config.buyer_data_days));
            let erased = hunar::orders::erasure::erase_expired(&db, keep).await?;
            println!(
                "erased the buyers of {erased} orders that ended more than {} days ago",
                config.buyer_data_days
            );
        }
        Command::RotateKey { new_key_file } => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let settle = hunar::vault::state::FOLLOW_EVERY * 3;
            let rotated =
                hunar::vault::rotation::rotate(&db, &config.data_key, &new_key_file, settle)
                    .await?;
            println!(
                "every sealed value is now under key {} (was {}; {} values moved).\n\
                 Start servers with DATA_KEY_FILE={} from now on, keep that file away from the \
                 backups, and keep the old key only as long as backups taken before today.",
                rotated.to,
                rotated.from,
                rotated.values,
                new_key_file.display()
            );
        }
        Command::Backup { dir, keep } => backup(&config, &dir, keep).await?,
        Command::Restore {
            dir,
            snapshot,
            force,
        } => restore(&config, &dir, snapshot, force).await?,
        Command::CreateAdmin { email } => {
            let db = db::connect(&config.database_url).await?;
            db::migrate(&db).await?;
            let stdin = std::io::stdin();
            let (password, generated) = if stdin.is_terminal() {
                (auth::password::generate(), true)
            } else {
                let mut input = String::new();
                stdin.lock().read_to_string(&mut input)?;
                let line = input.lines().next().unwrap_or("").to_string();
                (line, false)
            };
            auth::service::create_admin(&db, &email, password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("admin created: {email}");
            if generated {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(())
}

/// `hunar backup DIR`: a snapshot of the database and the photos, now.
async fn backup(config: &Config, dir: &str, keep: Option<usize>) -> anyhow::Result<()> {
    let target = BackupTarget::parse(dir).map_err(|m| anyhow::anyhow!("DIR: {m}"))?;
    let repo = backup::Repo::open(&target, &config.media.backend)?;
    // No migration: a backup must not change the schema under a running server.
    let db = db::connect(&config.database_url).await?;
    let media = media_of(config)?;
    let started = std::time::Instant::now();
    let report = backup::backup(
        &db,
        &config.database_url,
        &media,
        &repo,
        backup::Trigger::Manual,
    )
    .await?;
    let manifest = &report.manifest;
    println!(
        "backup {} in {}: {} files, {} bytes ({} new photo files) in {} ms",
        manifest.snapshot,
        repo.location(),
        manifest.files.len(),
        manifest.bytes(),
        report.copied,
        started.elapsed().as_millis()
    );
    if let Some(keep) = keep {
        let removed = backup::prune(&repo, keep).await?;
        println!("{removed} older snapshots removed");
    }
    Ok(())
}

/// `hunar restore DIR`: the database and photos as a snapshot holds them, the server stopped.
async fn restore(
    config: &Config,
    dir: &str,
    snapshot: Option<String>,
    force: bool,
) -> anyhow::Result<()> {
    // A server on this database would keep writing to the file being replaced.
    if std::net::TcpListener::bind(config.bind_addr).is_err() {
        anyhow::bail!(
            "something is listening on {} (BIND_ADDR): stop the server before restoring",
            config.bind_addr
        );
    }
    let target = BackupTarget::parse(dir).map_err(|m| anyhow::anyhow!("DIR: {m}"))?;
    if let BackupTarget::Dir(path) = &target
        && !path.is_dir()
    {
        anyhow::bail!("{} is not a folder with backups", path.display());
    }
    let repo = backup::Repo::open(&target, &config.media.backend)?;
    let started = std::time::Instant::now();
    let manifest =
        backup::restore(config, &repo, &backup::RestoreOptions { force, snapshot }).await?;
    println!(
        "restored {} ({} files, {} bytes, schema {}) in {} ms",
        manifest.snapshot,
        manifest.files.len(),
        manifest.bytes(),
        manifest.database.last_migration,
        started.elapsed().as_millis()
    );
    Ok(())
}
