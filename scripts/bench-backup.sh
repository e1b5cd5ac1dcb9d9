#!/usr/bin/env bash
# Backup and restore benchmark (issue 21), release build, SQLite (DB=postgres: a fresh
# database on PG_URL's server, through pg_dump/pg_restore):
#   1. a shop with 10,000 paintings and 10,000 orders (placed through the API by bench-load)
#      and 500 photos (uploaded through the API: 1200×900 JPEGs, every variant stored);
#   2. `hunar backup` into an empty folder (time, size, peak memory), then again into the same
#      folder (only new photos are copied);
#   3. `hunar restore` into a fresh database and media folder (time), row counts compared;
#   4. the longest order latency while backups run: bench-load places orders from 8 clients
#      with no backup, then again while `hunar backup` runs back to back.
#
#   bash scripts/bench-backup.sh
#   DB=postgres bash scripts/bench-backup.sh
#   ORDERS=2000 PHOTOS=100 bash scripts/bench-backup.sh    # a quicker, smaller run
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=${ORDERS:-10000}
PHOTOS=${PHOTOS:-500}
PORT=${PORT:-18095}
DB=${DB:-sqlite}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release --quiet -p hunar -p bench-load -p bench-images
bin=$PWD/target/release
work=$(mktemp -d)
pid=""
pg_names=()
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  sleep 0.3
  for name in "${pg_names[@]}"; do psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

database() { # label → a fresh database url
  if [ "$DB" = postgres ]; then
    local name="hunar_bench_$1_$$"
    psql -q "$PG_URL" -c "CREATE DATABASE $name" >/dev/null
    pg_names+=("$name")
    echo "${PG_URL%/*}/$name"
  else
    echo "sqlite://$work/$1.db?mode=rwc"
  fi
}

shop_url=$(database shop)
shop_env=(env DATABASE_URL="$shop_url" MEDIA_DIR="$work/media" BIND_ADDR="127.0.0.1:$PORT"
  SEED_DEMO=true SEED_PICTURES=false RUST_LOG=warn ORDER_ATTEMPTS_PER_CLIENT=1000000
  HOLDS_PER_CLIENT=1000000 HOLDS_PER_EMAIL=1000000 UNCONFIRMED_EMAILS_PER_DAY=1000000)
base="http://127.0.0.1:$PORT"

(cd "$work" && exec "${shop_env[@]}" "$bin/hunar" >"$work/server.log" 2>&1) &
pid=$!
for _ in $(seq 1 400); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.05; done
password=$(awk '/password:/ {print $2}' "$work/server.log")
email=admin@hunar.local

echo "backup benchmark: $(nproc) cores, $DB, $ORDERS orders, $PHOTOS photos"
echo "== filling the shop =="
BURSTS=0 "$bin/bench-load" "$base" "$email" "$password" "$ORDERS" 32 >"$work/fill" 2>&1 || { cat "$work/fill"; tail -n 20 "$work/server.log"; exit 1; }
grep distinct "$work/fill"

token=$(curl -sf "$base/api/v1/admin/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$bin/bench-images" many "$work/photos" "$PHOTOS"
curl -sf "$base/api/v1/admin/artworks?per_page=100" -H "authorization: Bearer $token" |
  python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["items"]]' >"$work/artworks"
started=$(date +%s%3N)
python3 - "$work/artworks" "$work/photos" >"$work/pairs" <<'PY'
import os, sys
ids = open(sys.argv[1]).read().split()
for i, name in enumerate(sorted(os.listdir(sys.argv[2]))):
    print(ids[i % len(ids)], name)
PY
xargs -P 2 -n 2 sh -c 'curl -sf -o /dev/null -H "authorization: Bearer '"$token"'" \
  -F "file=@'"$work"'/photos/$1" "'"$base"'/api/v1/admin/artworks/$0/images" || echo "upload of $1 failed" >&2' <"$work/pairs"
echo "uploaded $PHOTOS photos in $(( $(date +%s%3N) - started )) ms"

run_hunar() { # database_url media_dir args… → the command, as an operator runs it
  local url=$1 media=$2; shift 2
  echo env DATABASE_URL="$url" MEDIA_DIR="$media" BIND_ADDR=127.0.0.1:0 RUST_LOG=warn "$bin/hunar" "$@"
}
timed() { # label command… → prints seconds and peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  read -r secs kb <"$work/time"
  printf '%-34s %6.2f s  peak %4d MB  %s\n' "$label" "$secs" $((kb / 1024)) "$(tail -n1 "$work/out")"
}

echo "== backup and restore =="
timed "backup into an empty folder" $(run_hunar "$shop_url" "$work/media" backup "$work/backups")
echo "backup folder: $(du -sh "$work/backups" | cut -f1) ($(du -sh "$work/backups/media" | cut -f1) of photos)"
timed "backup into the same folder" $(run_hunar "$shop_url" "$work/media" backup "$work/backups")
restored_url=$(database restored)
timed "restore into a new database" $(run_hunar "$restored_url" "$work/restored-media" restore "$work/backups")

echo "== order latency with and without a backup running =="
BURSTS=0 "$bin/bench-load" "$base" "$email" "$password" 2000 8 | grep distinct | sed 's/^/no backup:   /'
BURSTS=0 "$bin/bench-load" "$base" "$email" "$password" 2000 8 >"$work/load" 2>&1 &
load=$!
backups=0
# Backups back to back for as long as the orders are being placed (the first ~2,000
# paintings are created before any order: wait for the first orders).
while kill -0 "$load" 2>/dev/null; do
  $(run_hunar "$shop_url" "$work/media" backup "$work/backups-under-load") >/dev/null
  backups=$((backups + 1))
done
wait "$load"
grep distinct "$work/load" | sed 's/^/with backup: /'
echo "($backups backups ran while the paintings were created and ordered)"
