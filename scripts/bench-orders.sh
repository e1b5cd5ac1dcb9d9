#!/usr/bin/env bash
# Order placement benchmark (issue 4): 1,000 distinct paintings ordered by 32 concurrent
# clients, then 200 clients racing for one painting; on SQLite and on PostgreSQL, release
# build. Reports orders/s, p50/p99 and status counts; fails on any 5xx or double sale.
# Every order is its own buyer behind a trusted proxy (X-Forwarded-For), so the server runs
# with its production limits.
#
#   bash scripts/bench-orders.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432/postgres PAINTINGS=2000 CLIENTS=64 bash scripts/bench-orders.sh
#   ONLY=postgresql BURSTS=10 bash scripts/bench-orders.sh   # one database; more contention bursts
#   TIMELINE=/tmp/orders.csv bash scripts/bench-orders.sh     # each request's start,latency (ms) per run
#   HUNAR_BIN=/tmp/hunar-before SKIP_BUILD=1 bash scripts/bench-orders.sh  # another build (scripts/bench-sealing.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

PAINTINGS=${PAINTINGS:-1000}
CLIENTS=${CLIENTS:-32}
PORT=${PORT:-18090}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ONLY=${ONLY:-}

HUNAR_BIN=$(realpath "${HUNAR_BIN:-target/release/hunar}")
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet -p hunar -p bench-load
work=$(mktemp -d)
pid=""
# The photo every benchmark painting goes on sale with (a 160×120 PNG gradient).
python3 - "$work/photo.png" <<'PY'
import struct, sys, zlib
w, h = 160, 120
rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in (x, y * 2, 90)) for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
export PHOTO="$work/photo.png"
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

run() { # label database_url [command after the warm-up]
  local label=$1 url=$2 after=${3:-}
  start() {
    (cd "$work" && exec env TRUSTED_PROXIES=127.0.0.1 DATABASE_URL="$url" BIND_ADDR="127.0.0.1:$PORT" MEDIA_DIR="$work/media" \
        SEED_DEMO=true RUST_LOG=warn ${DATABASE_MAX_CONNECTIONS:+DATABASE_MAX_CONNECTIONS=$DATABASE_MAX_CONNECTIONS} "$HUNAR_BIN" >>"$work/$label.log" 2>&1) &
    pid=$!
    for _ in $(seq 1 400); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health/ready" && break; sleep 0.05; done
  }
  # The first start migrates and seeds (drawing the demo pictures); the figures are for the
  # server as it runs from then on, restarted on its database like any day after the first.
  start
  kill "$pid"; wait "$pid" 2>/dev/null || true
  start
  local password; password=$(awk '/password:/ {print $2}' "$work/$label.log")
  local idle_kb; idle_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  echo "== $label =="
  AFTER_WARMUP="$after" ./target/release/bench-load "http://127.0.0.1:$PORT" admin@hunar.local "$password" "$PAINTINGS" "$CLIENTS"
  echo "server RSS: idle $((idle_kb / 1024)) MB, peak $(( $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status") / 1024 )) MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "orders benchmark: $(nproc) cores, $PAINTINGS paintings, $CLIENTS clients"
[ "$ONLY" = postgresql ] || run sqlite "sqlite://$work/bench.db?mode=rwc"
if [ "$ONLY" = sqlite ]; then
  :
elif psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS hunar_bench WITH (FORCE)' -qc 'CREATE DATABASE hunar_bench'
  # Statistics as autovacuum gathers them a minute into a busy day: without them the
  # pool's statements keep the plans made for the empty tables the run started with.
  run postgresql "${PG_URL%/*}/hunar_bench" "psql -q '${PG_URL%/*}/hunar_bench' -c ANALYZE"
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS hunar_bench WITH (FORCE)'
else
  echo "PostgreSQL not reachable at $PG_URL: skipped"
fi
