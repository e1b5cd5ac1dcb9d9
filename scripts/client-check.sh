#!/usr/bin/env bash
# The OpenAPI document and the TypeScript client, checked against a running server:
#   1. Redocly CLI lints the served document (recommended rules, warnings as errors);
#   2. openapi-typescript regenerates clients/typescript/src/schema.d.ts: any diff fails;
#   3. tsc --strict (noEmitOnError) builds the client and its journeys;
#   4. the supporter and admin journeys run against the server.
# Usage: scripts/client-check.sh [path/to/hunar]   (default target/debug/hunar, built if absent)
# The database is a fresh SQLite file, or a fresh database on the PostgreSQL server that
# DATABASE_URL points at. Node and npm are needed here only, never by the server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${1:-target/debug/hunar}
[ -x "$bin" ] || cargo build --locked --bin hunar

work=$(mktemp -d)
pid=""
pg_db=""
pg_server=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  if [ -n "$pg_db" ]; then
    psql "$pg_server" -qc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*)
    # Same naming as the test suite's databases, so CI's clean-up also finds a leftover.
    pg_db="hunar_tclient_$$"
    pg_server=$DATABASE_URL
    psql "$pg_server" -qc "CREATE DATABASE \"$pg_db\"" >/dev/null
    db_url="${DATABASE_URL%/*}/$pg_db"
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
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/api/openapi.json" -o "$work/openapi.json"

cd "$root/clients/typescript"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
echo "== redocly lint =="
npx --no-install redocly lint --config redocly.yaml "$work/openapi.json"

echo "== generated types match the served document =="
npx --no-install openapi-typescript "$work/openapi.json" -o "$work/schema.d.ts" >/dev/null
if ! diff -u src/schema.d.ts "$work/schema.d.ts"; then
  echo "clients/typescript/src/schema.d.ts is out of date: run 'npm run generate' there" >&2
  exit 1
fi

echo "== tsc --strict =="
rm -rf dist
npx --no-install tsc -p tsconfig.json

echo "== journeys =="
export HUNAR_URL="$base" HUNAR_ADMIN_EMAIL="$admin_email" HUNAR_ADMIN_PASSWORD="$admin_password"
node dist/journeys/supporter.js
node dist/journeys/admin.js
if grep -q panicked "$work/server.log"; then
  grep panicked "$work/server.log" >&2
  exit 1
fi
