#!/usr/bin/env bash
# What sealing personal data costs (issue 44): two builds side by side in one run, A (before)
# and B (after), release, on the same machine at the same time.
#   1. orders on PostgreSQL: scripts/bench-orders.sh (1,000 paintings, 32 clients), p50/p99;
#   2. the console's order page and order list (50 orders a page, each opened) on SQLite with
#      ORDERS orders placed through the API: server time at the median and p90 of RUNS gets.
#
#   git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release -p hunar)
#   bash scripts/bench-sealing.sh /tmp/before/target/release/hunar target/release/hunar
#   ORDERS=300 RUNS=300 ROUNDS=2 bash scripts/bench-sealing.sh A B
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(realpath "${1:?binary A (before)}"); b=$(realpath "${2:?binary B (after)}")
ORDERS=${ORDERS:-300}
RUNS=${RUNS:-300}
ROUNDS=${ROUNDS:-1}
PORT=${PORT:-18097}
cargo build --release --quiet -p bench-load

console() { # binary label
  local bin=$1 label=$2 work pid base="http://127.0.0.1:$PORT"
  work=$(mktemp -d)
  (cd "$work" && exec env DATABASE_URL="sqlite://$work/hunar.db?mode=rwc" BIND_ADDR="127.0.0.1:$PORT" \
      PUBLIC_BASE_URL="$base" MEDIA_DIR="$work/media" SEED_DEMO=true SEED_PICTURES=false RUST_LOG=warn \
      ORDER_ATTEMPTS_PER_CLIENT=1000000 HOLDS_PER_CLIENT=1000000 HOLDS_PER_EMAIL=1000000 \
      UNCONFIRMED_EMAILS_PER_DAY=1000000 "$bin" >>"$work/server.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 400); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.05; done
  python3 scripts/grow_catalog.py "$base" admin@hunar.local \
    "$(awk '/password:/ {print $2}' "$work/server.log")" "$ORDERS" >/dev/null
  python3 - "$base" "$(awk '/password:/ {print $2}' "$work/server.log")" "$ORDERS" "$RUNS" "$label" <<'PY'
import http.client, json, re, statistics, sys, time, urllib.parse, uuid
base, password, orders, runs, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
host = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(host.hostname, host.port)
def call(method, path, body=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        h["content-type"] = "application/json"
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse()
    return r.status, r.read()
page, placed = 1, 0
while placed < orders:
    items = json.loads(call("GET", f"/api/v1/artworks?per_page=100&page={page}")[1])["items"]
    if not items:
        break
    page += 1
    for item in items:
        if placed >= orders:
            break
        body = {"artwork_id": item["id"], "payment_method": "manual",
                "buyer": {"name": f"Buyer {placed}", "email": f"buyer{placed}@example.org",
                          "phone": "+46 70 123 45 67"},
                "shipping_address": {"line1": "Storgatan 1", "line2": "lgh 1102", "city": "Göteborg",
                                     "postal_code": "411 01", "region": "Västra Götaland", "country": "SE"},
                "note": "Tack för allt ni gör!"}
        status, _ = call("POST", "/api/v1/orders", body, {"Idempotency-Key": str(uuid.uuid4())})
        assert status == 201, status
        placed += 1
form = urllib.parse.urlencode({"email": "admin@hunar.local", "password": password, "next": "/admin"})
conn.request("POST", "/admin/sign-in", form, {"content-type": "application/x-www-form-urlencoded", "origin": base})
r = conn.getresponse(); r.read()
assert r.status == 303, r.status
cookie = r.getheader("set-cookie").split(";")[0]
def get(path):
    conn.request("GET", path, headers={"cookie": cookie, "accept": "text/html"})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status)
    return body.decode()
order = re.search(r'href="/admin/orders/([0-9a-f-]{36})"', get("/admin/orders")).group(1)
for name, path in [("order page", f"/admin/orders/{order}"), ("order list", "/admin/orders")]:
    for _ in range(20):
        get(path)
    times = []
    for _ in range(runs):
        t = time.perf_counter(); get(path); times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{label} console {name}: median {statistics.median(times):.2f} ms, p90 {times[int(len(times) * 0.9)]:.2f} ms ({placed} orders)")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}

for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin=$a; [ "$side" = B ] && bin=$b
    echo "== round $round, $side: orders on PostgreSQL =="
    HUNAR_BIN="$bin" SKIP_BUILD=1 ONLY=postgresql bash scripts/bench-orders.sh | grep -E "p99|orders/s|5xx|sold" || true
    console "$bin" "$side"
  done
done
