#!/usr/bin/env bash
# The OpenAPI document and the TypeScript client, checked against a running server:
#   1. Redocly CLI lints the served document (recommended rules, warnings as errors);
#   2. openapi-typescript regenerates clients/typescript/src/schema.ts: any diff fails;
#   3. tsc --strict (noEmitOnError) builds the client and its journeys;
#   4. the supporter and admin journeys run against the server.
# Usage: scripts/client-check.sh [path/to/hunar]   (default target/debug/hunar, built if absent)
# The database is a fresh SQLite file, or a fresh database on the PostgreSQL server that
# DATABASE_URL points at (scripts/serve-fresh.sh). Node and npm are needed here only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${1:-target/debug/hunar}
[ -x "$bin" ] || cargo build --locked --bin hunar

# shellcheck source=scripts/serve-fresh.sh
source scripts/serve-fresh.sh
serve_fresh "$bin"
curl -fsS "$base/api/openapi.json" -o "$work/openapi.json"

cd "$root/clients/typescript"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
echo "== redocly lint =="
npx --no-install redocly lint --config redocly.yaml "$work/openapi.json"

echo "== generated types match the served document =="
npx --no-install openapi-typescript "$work/openapi.json" -o "$work/schema.ts" >/dev/null
if ! diff -u src/schema.ts "$work/schema.ts"; then
  echo "clients/typescript/src/schema.ts is out of date: run 'npm run generate' there" >&2
  exit 1
fi

echo "== tsc --strict =="
rm -rf dist
npx --no-install tsc -p tsconfig.json

echo "== journeys =="
export HUNAR_URL="$base" HUNAR_ADMIN_EMAIL="$admin_email" HUNAR_ADMIN_PASSWORD="$admin_password"
node dist/journeys/supporter.js
node dist/journeys/admin.js
serve_fresh_no_panics
