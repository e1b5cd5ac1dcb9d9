#!/usr/bin/env bash
# What a burst of failed sign-ins with attacker-sized input leaves in memory (issue 40):
# 200 sign-ins with 60 kB emails and 200 with 60 kB passwords, each from its own forwarded
# address behind a trusted proxy, against the release build on a fresh SQLite database.
# Reports the server's resident memory before, right after and 5 s after the burst.
#
#   bash scripts/bench-signin-memory.sh [path/to/hunar]    (default target/release/hunar)
#   ATTEMPTS=1000 SIZE=60000 bash scripts/bench-signin-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/hunar}
[ -x "$bin" ] || cargo build --release --quiet -p hunar
ATTEMPTS=${ATTEMPTS:-200}
SIZE=${SIZE:-60000}

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd "$work" && exec env DATABASE_URL="sqlite://$work/hunar.db?mode=rwc" BIND_ADDR="127.0.0.1:$port" \
  PUBLIC_BASE_URL="$base" MEDIA_DIR="$work/media" SEED_DEMO=true SEED_PICTURES=false \
  TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn "$OLDPWD/$bin" >"$work/server.log" 2>&1) &
pid=$!
for _ in $(seq 1 200); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# Settle: the first requests warm the allocator and the pools.
for _ in 1 2 3 4 5; do curl -s -o /dev/null "$base/api/v1/artworks"; done
sleep 1
before=$(rss)

python3 - "$base" "$ATTEMPTS" "$SIZE" <<'EOF'
import collections, http.client, json, sys, urllib.parse
base, attempts, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host = urllib.parse.urlsplit(base)
statuses = collections.Counter()
conn = http.client.HTTPConnection(host.hostname, host.port)
for i in range(attempts * 2):
    if i < attempts:
        body = {"email": f"{i:06d}" + "a" * size + "@example.org", "password": "wrong"}
    else:
        body = {"email": "admin@hunar.local", "password": f"{i:06d}" + "p" * size}
    conn.request("POST", "/api/v1/admin/login", json.dumps(body), {
        "content-type": "application/json",
        "x-forwarded-for": f"198.51.{(i >> 8) & 255}.{i & 255}",
    })
    res = conn.getresponse()
    res.read()
    statuses[res.status] += 1
print("answers:", dict(sorted(statuses.items())))
EOF
after=$(rss)
sleep 5
settled=$(rss)
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
grow() { awk -v kb="$1" 'BEGIN { printf "%+.1f", kb / 1024 }'; }
echo "server RSS: before $(mb "$before") MB; after the burst $(mb "$after") MB ($(grow $((after - before))) MB); 5 s later $(mb "$settled") MB ($(grow $((settled - before))) MB)"
