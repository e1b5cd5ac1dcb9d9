# Sourced by scripts that need a real server on a fresh database (client-check.sh,
# fuzz-api.sh): `serve_fresh BIN` starts BIN on a free port with the demo data and an admin,
# and sets `base`, `admin_email`, `admin_password` and `work`. Everything is removed on exit.
# The database is a fresh SQLite file, or a fresh database on the PostgreSQL server that
# DATABASE_URL points at (named like the tests' databases, so CI's clean-up finds leftovers).

serve_fresh() {
  local bin=$1 port db_url
  work=$(mktemp -d)
  server_pid=""
  pg_db=""
  pg_server=""
  trap serve_fresh_cleanup EXIT
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  case "${DATABASE_URL:-}" in
    postgres://*|postgresql://*)
      pg_db="hunar_tscript_$$"
      pg_server=$DATABASE_URL
      psql "$pg_server" -qc "CREATE DATABASE \"$pg_db\"" >/dev/null
      # Keep any ?sslmode=… and swap only the database name.
      local server_part=${DATABASE_URL%%\?*}
      local query=${DATABASE_URL#"$server_part"}
      db_url="${server_part%/*}/$pg_db$query"
      ;;
    *) db_url="sqlite://$work/hunar.db?mode=rwc" ;;
  esac
  export DATABASE_URL="$db_url" BIND_ADDR="127.0.0.1:$port" PUBLIC_BASE_URL="$base" \
    MEDIA_DIR="$work/media" SEED_DEMO=true SEED_PICTURES=false LOG_FORMAT=json \
    RUST_LOG=warn CATALOG_CACHE_MS=0
  unset SMTP_URL STRIPE_SECRET_KEY BACKUP_DIR
  admin_email=journey@example.org
  admin_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  printf '%s' "$admin_password" | "$bin" create-admin --email "$admin_email" >/dev/null

  "$bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -fsS "$base/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the server did not start:" >&2
  cat "$work/server.log" >&2
  return 1
}

# Fails when the server logged a panic: each one is a bug even if it was caught.
serve_fresh_no_panics() {
  if grep -q panicked "$work/server.log"; then
    grep panicked "$work/server.log" >&2
    return 1
  fi
}

serve_fresh_cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql "$pg_server" -qc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
