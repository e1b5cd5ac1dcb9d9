#!/usr/bin/env bash
# Catalog read benchmark (issue 3): GET /api/v1/artworks?country=SE (a page of 24, catalog
# grown to 2,000 artworks) on the release build with SQLite, side by side in the same run
# with a trivial actix-web server returning a fixed JSON body of the same size (the ceiling).
# Also reports idle and peak RSS and the time from exec to ready on a fresh and an existing
# database.
#
#   bash scripts/bench-catalog.sh            # needs wrk (apt-get install wrk)
#   DURATION=30s CONNECTIONS=64 bash scripts/bench-catalog.sh
#   CATALOG_CACHE_MS=0 bash scripts/bench-catalog.sh   # every request hits the database
#   DB=postgres bash scripts/bench-catalog.sh          # a fresh database on PG_URL's server
#   HUNAR_BIN=/tmp/hunar-before bash scripts/bench-catalog.sh   # another build (see bench-ab.sh)
#
# Then the mix (issue 22): the same run cycles through ~100 distinct URLs (pages 1–20 for
# SE/US/AF, price sorts, each artist, no destination), against the ceiling on the same
# paths. `CATALOG_CACHE_MS=0 ARTWORKS=600` is the read model's own speed.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ARTWORKS=${ARTWORKS:-2000}
PORT=${PORT:-18080}
DB=${DB:-sqlite}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
CEILING_PORT=${CEILING_PORT:-18081}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
release=${CARGO_TARGET_DIR:-$PWD/target}/release
HUNAR_BIN=${HUNAR_BIN:-$release/hunar}
# SKIP_BUILD=1: the binaries are built already (bench-ab.sh builds once, then runs others).
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet -p hunar -p bench-ceiling

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

if [ "$DB" = postgres ]; then
  pg_name="hunar_bench_$$"
  psql -q "$PG_URL" -c "CREATE DATABASE $pg_name" >/dev/null
  database_url="${PG_URL%/*}/$pg_name"
  cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_name WITH (FORCE)" >/dev/null || true; rm -rf "$work"; }
else
  database_url="sqlite://$work/hunar.db?mode=rwc"
fi

now_ms() { date +%s%3N; }
wait_ready() { # url → prints milliseconds until it answered 200
  local start=$1 url=$2
  for _ in $(seq 1 2000); do
    if curl -sf -o /dev/null "$url"; then echo $(( $(now_ms) - start )); return; fi
    sleep 0.005
  done
  echo "server did not become ready" >&2; exit 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

start_hunar() {
  local start; start=$(now_ms)
  (cd "$work" && exec env DATABASE_URL="$database_url" BIND_ADDR="127.0.0.1:$PORT" \
      MEDIA_DIR="$work/media" SEED_DEMO=true CATALOG_CACHE_MS="${CATALOG_CACHE_MS:-1000}" \
      "$HUNAR_BIN" >"$work/hunar.log" 2>&1) &
  HUNAR_PID=$!
  pids+=("$HUNAR_PID")
  READY_MS=$(wait_ready "$start" "http://127.0.0.1:$PORT/health/ready")
}

start_hunar
fresh_ms=$READY_MS
password=$(awk '/password:/ {print $2}' "$work/hunar.log")
python3 scripts/grow_catalog.py "http://127.0.0.1:$PORT" admin@hunar.local "$password" "$ARTWORKS" >/dev/null
# What autovacuum does a minute after a bulk load: the planner needs the new table's statistics,
# and the pages past the first skip through the index alone where the table is all-visible.
[ "$DB" = postgres ] && psql -q "${PG_URL%/*}/$pg_name" -c "VACUUM ANALYZE" >/dev/null

# Restart on the existing database for the start-up time that matters day to day.
kill "$HUNAR_PID"; wait "$HUNAR_PID" 2>/dev/null || true
start_hunar
existing_ms=$READY_MS

url="http://127.0.0.1:$PORT/api/v1/artworks?country=SE"
curl -sf "$url" >"$work/body.json"
body_bytes=$(wc -c <"$work/body.json")
items=$(python3 -c "import json,sys; d=json.load(open('$work/body.json')); print(len(d['items']), d['total'])")
# The ceiling runs under the scheduling the server is under (THREAD_SCHEDULING, docs/OPERATIONS.md):
# batch made the bare server faster too, and the ratio is to measure the catalog.
scheduling=$(chrt -p "$HUNAR_PID" | awk '/policy/ {print $NF}')
ceiling_run=()
[ "$scheduling" = SCHED_BATCH ] && ceiling_run=(chrt --batch 0)
"${ceiling_run[@]}" "$release/bench-ceiling" "127.0.0.1:$CEILING_PORT" "$work/body.json" &
pids+=("$!")
wait_ready "$(now_ms)" "http://127.0.0.1:$CEILING_PORT/" >/dev/null
sleep 1
idle_kb=$(rss_kb "$HUNAR_PID")

run_wrk() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$1" >"$2"; }
# Warm both, then measure each in turn.
wrk -t1 -c4 -d2s "$url" >/dev/null
run_wrk "$url" "$work/catalog.txt"
run_wrk "http://127.0.0.1:$CEILING_PORT/api/v1/artworks?country=SE" "$work/ceiling.txt"
peak_kb=$(hwm_kb "$HUNAR_PID")

rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$1"; }
catalog_rps=$(rps "$work/catalog.txt"); ceiling_rps=$(rps "$work/ceiling.txt")

echo "== Hunar catalog benchmark ($DB, CATALOG_CACHE_MS=${CATALOG_CACHE_MS:-1000}, threads $scheduling, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION) =="
echo "page: ${items% *} items of ${items#* } artworks, $body_bytes bytes"
printf '%-34s %12s %10s\n' "endpoint" "req/s" "p99"
printf '%-34s %12s %10s\n' "GET /api/v1/artworks?country=SE" "$catalog_rps" "$(p99 "$work/catalog.txt")"
printf '%-34s %12s %10s\n' "ceiling (fixed body, actix-web)" "$ceiling_rps" "$(p99 "$work/ceiling.txt")"
python3 -c "import sys; print(f'catalog / ceiling: {100*float(sys.argv[1])/float(sys.argv[2]):.1f} %')" "$catalog_rps" "$ceiling_rps"
echo "non-2xx responses (catalog): $(non2xx "$work/catalog.txt")"
echo "RSS idle: $((idle_kb / 1024)) MB, peak under load: $((peak_kb / 1024)) MB"
echo "exec → ready: fresh database ${fresh_ms} ms (migrate + seed), existing database ${existing_ms} ms"

# The mix: many distinct URLs, each request the next one.
urls="$work/urls.txt"
{
  for c in SE US AF; do for p in $(seq 1 20); do echo "/api/v1/artworks?country=$c&page=$p"; done; done
  for p in $(seq 1 10); do echo "/api/v1/artworks?country=SE&sort=price_asc&page=$p"; done
  for p in $(seq 1 10); do echo "/api/v1/artworks?country=US&sort=price_desc&page=$p"; done
  for p in $(seq 1 6); do echo "/api/v1/artworks?page=$p"; done
  curl -sf "http://127.0.0.1:$PORT/api/v1/artists?per_page=100" | python3 -c "
import json, sys
for a in json.load(sys.stdin)['items']:
    for c in ('SE', 'US', 'AF'):
        print(f\"/api/v1/artworks?country={c}&artist={a['slug']}\")"
} >"$urls"
while read -r path; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path")
  [ "$code" = 200 ] || { echo "$path answered $code" >&2; exit 1; }
done <"$urls"
mix_wrk() { URLS="$urls" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/wrk-mix.lua "$1" >"$2"; }
URLS="$urls" wrk -t1 -c4 -d2s -s scripts/wrk-mix.lua "http://127.0.0.1:$PORT" >/dev/null
mix_wrk "http://127.0.0.1:$PORT" "$work/mix.txt"
mix_wrk "http://127.0.0.1:$CEILING_PORT" "$work/mix-ceiling.txt"
mix_rps=$(rps "$work/mix.txt"); mix_ceiling_rps=$(rps "$work/mix-ceiling.txt")
echo
echo "== mix of $(wc -l <"$urls") URLs =="
printf '%-34s %12s %10s\n' "endpoint" "req/s" "p99"
printf '%-34s %12s %10s\n' "GET /api/v1/artworks (mix)" "$mix_rps" "$(p99 "$work/mix.txt")"
printf '%-34s %12s %10s\n' "ceiling (fixed body, actix-web)" "$mix_ceiling_rps" "$(p99 "$work/mix-ceiling.txt")"
python3 -c "import sys; print(f'mix / ceiling: {100*float(sys.argv[1])/float(sys.argv[2]):.1f} %')" "$mix_rps" "$mix_ceiling_rps"
echo "non-2xx responses (mix): $(non2xx "$work/mix.txt")"
