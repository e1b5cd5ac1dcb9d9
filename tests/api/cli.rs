//! The binary as an operator meets it: start-up, configuration errors, SIGTERM, CLI.
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn hunar(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hunar"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/hunar.db?mode=rwc", dir.display()),
        )
        .env("MEDIA_DIR", dir.join("media"))
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        // Drawing the demo pictures in a debug build took over 30 s on a loaded two-core
        // machine, past the wait for "ready"; photos in backups are tested in backups.rs.
        .env("SEED_PICTURES", "false");
    cmd
}

/// Reads the JSON log until the "ready" line and returns the port it listens on.
fn wait_for_port(child: &mut Child) -> u16 {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["message"] == "hunar is ready"
        {
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return v["port"].as_u64().expect("port") as u16;
        }
    }
    panic!("server never said it was ready");
}

#[test]
fn serves_seeds_once_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = hunar(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // The first admin's login is printed, not logged: read it before the JSON lines.
    let port = wait_for_port(&mut child);
    let body = reqwest::blocking_get(port, "/api/v1/artworks?country=SE");
    assert!(body.contains("\"total\":6"), "{body}");
    // The data key was made beside the database on this first start, the owner's alone.
    let key = dir.path().join("hunar.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("hunar.key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key_text = std::fs::read_to_string(&key).expect("key");

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");

    // Second start on the same database: no second seed, no second admin password.
    let out = hunar(dir.path()).arg("migrate").output().expect("migrate");
    assert!(out.status.success());
    let mut child = hunar(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let port = wait_for_port(&mut child);
    assert!(reqwest::blocking_get(port, "/api/v1/artworks").contains("\"total\":6"));
    assert_eq!(
        std::fs::read_to_string(&key).expect("key"),
        key_text,
        "the same key"
    );
    child.kill().ok();
    child.wait().ok();

    // Without its key file the database is not given a new one: start-up stops, naming the
    // key the database needs.
    let id = hunar::vault::DataKey::from_bytes(&hunar::vault::parse_key(&key_text).expect("key"))
        .id()
        .to_string();
    std::fs::rename(&key, dir.path().join("elsewhere.key")).expect("move");
    let out = hunar(dir.path()).output().expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&id), "{stderr}");
    assert!(!key.exists(), "no new key was made");
}

#[test]
fn first_start_prints_the_admin_login_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = hunar(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if line.contains("hunar is ready") {
            break;
        }
        printed.push_str(&line);
        printed.push('\n');
    }
    child.kill().ok();
    child.wait().ok();
    assert!(printed.contains("email:    admin@hunar.local"), "{printed}");
    assert!(printed.contains("password: "), "{printed}");
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    for (var, value) in [
        ("BIND_ADDR", "everywhere"),
        ("LOG_FORMAT", "xml"),
        ("SEED_DEMO", "maybe"),
        ("DATA_KEY", "not-32-bytes"),
    ] {
        let out = hunar(dir.path()).env(var, value).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
    }
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = hunar(dir.path())
        .args(["create-admin", "--email", "c@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a long enough passphrase\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("admin created"), "{stdout}");
    assert!(
        !stdout.contains("passphrase"),
        "the given password is not echoed"
    );

    // The same email again fails with a message, not a panic.
    let mut again = hunar(dir.path())
        .args(["create-admin", "--email", "c@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    again
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"another long passphrase\n")
        .expect("write");
    let out = again.wait_with_output().expect("wait");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

/// `hunar backup` beside a running server, `hunar restore` into another installation, which
/// then serves the same catalog; a second restore needs `--force`.
#[test]
fn backup_and_restore_from_the_command_line_while_the_server_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut server = hunar(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_port(&mut server);
    let backups = dir.path().join("backups");
    let out = hunar(dir.path())
        .arg("backup")
        .arg(&backups)
        .output()
        .expect("backup");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("new photo files"), "{said}");
    // Buyers' addresses and artists' contacts: the database, its WAL and every file of the
    // backup are the owner's alone, whatever umask the operator's shell had.
    owner_only(&dir.path().join("hunar.db"));
    owner_only(&dir.path().join("hunar.db-wal"));
    owner_only(&backups);
    server.kill().ok();
    server.wait().ok();

    let other = tempfile::tempdir().expect("tmp");
    let restore = |extra: &[&str]| {
        hunar(other.path())
            .arg("restore")
            .arg(&backups)
            .args(extra)
            .output()
            .expect("restore")
    };
    // The other installation lacks the data key: refused, naming the key, nothing written.
    let out = restore(&[]);
    let refusal = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        refusal.contains("sealed with key k") && refusal.contains("nothing was changed"),
        "{refusal}"
    );
    assert!(!other.path().join("hunar.key").exists());
    assert!(!other.path().join("hunar.db").exists());
    // The key brought over from where it is kept, apart from the backups.
    std::fs::copy(dir.path().join("hunar.key"), other.path().join("hunar.key")).expect("key");
    let out = restore(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = restore(&[]);
    let refusal = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        refusal.contains("already holds data") && refusal.contains("--force"),
        "{refusal}"
    );
    let out = restore(&["--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    owner_only(&other.path().join("hunar.db"));
    let out = hunar(other.path())
        .arg("restore")
        .arg(other.path().join("no-such-folder"))
        .output()
        .expect("restore");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-folder"));

    let mut copy = hunar(other.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let port = wait_for_port(&mut copy);
    let body = reqwest::blocking_get(port, "/api/v1/artworks?country=SE");
    assert!(body.contains("\"total\":6"), "{body}");
    copy.kill().ok();
    copy.wait().ok();
}

/// Asserts that `path`, and everything under it when it is a folder, can be read by its
/// owner only.
#[track_caller]
fn owner_only(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path).expect("a file the server made");
    let mode = meta.permissions().mode() & 0o777;
    assert_eq!(mode & 0o077, 0, "{} is {mode:o}", path.display());
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).expect("a folder") {
            owner_only(&entry.expect("an entry").path());
        }
    }
}

/// A database made readable by everyone (by an older version, or by hand) is made the
/// owner's alone at the next start.
#[test]
fn an_existing_database_readable_by_everyone_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let out = hunar(dir.path()).arg("migrate").output().expect("migrate");
    assert!(out.status.success());
    let db = dir.path().join("hunar.db");
    owner_only(&db);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = hunar(dir.path()).arg("migrate").output().expect("migrate");
    assert!(out.status.success());
    owner_only(&db);
}

/// A tiny blocking GET without pulling in reqwest's blocking feature.
mod reqwest {
    use std::io::{Read, Write};

    pub fn blocking_get(port: u16, path: &str) -> String {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }
}
