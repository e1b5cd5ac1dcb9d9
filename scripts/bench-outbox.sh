#!/usr/bin/env bash
# Outbox throughput (issue 6): 5,000 queued emails delivered by one process's worker to a
# local SMTP sink over pooled connections, on SQLite and on PostgreSQL (release build).
#
#   bash scripts/bench-outbox.sh
#   EMAILS=20000 PG_URL=postgres://postgres@127.0.0.1:5432/postgres bash scripts/bench-outbox.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EMAILS=${EMAILS:-5000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --quiet -p bench-outbox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== sqlite =="
./target/release/bench-outbox "sqlite://$work/outbox.db?mode=rwc" "$EMAILS"
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS hunar_bench_outbox WITH (FORCE)' -qc 'CREATE DATABASE hunar_bench_outbox'
  echo "== postgresql =="
  ./target/release/bench-outbox "${PG_URL%/*}/hunar_bench_outbox" "$EMAILS"
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS hunar_bench_outbox WITH (FORCE)'
fi
