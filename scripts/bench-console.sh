#!/usr/bin/env bash
# Console figures (issue 14), release build on SQLite with ARTWORKS paintings (2,000 by default)
# and ORDERS orders (5,000): server time of every console page type at the median and p90
# (keep-alive, loopback, RUNS requests each, signed in), and Lighthouse's Accessibility and
# Best Practices on Today, a painting's edit page, an order's page, the audit log, the emails
# and a size's prices.
#
#   bash scripts/bench-console.sh
#   ARTWORKS=500 ORDERS=1000 RUNS=200 bash scripts/bench-console.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ARTWORKS=${ARTWORKS:-2000}
ORDERS=${ORDERS:-5000}
RUNS=${RUNS:-300}
PORT=${PORT:-18096}
LIGHTHOUSE_VERSION=12.8.2

cargo build --release --quiet -p hunar
bash scripts/browser-tools.sh >/dev/null
if [ ! -x target/browser-tools/node_modules/.bin/lighthouse ]; then
  (cd target/browser-tools && npm install --silent --no-audit --no-fund --prefix . "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null)
fi

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

base="http://127.0.0.1:$PORT"
start() {
  (cd "$work" && exec env DATABASE_URL="sqlite://$work/hunar.db?mode=rwc" BIND_ADDR="127.0.0.1:$PORT" \
      PUBLIC_BASE_URL="$base" MEDIA_DIR="$work/media" SEED_DEMO=true RUST_LOG=warn \
      ORDER_ATTEMPTS_PER_CLIENT=1000000 HOLDS_PER_CLIENT=1000000 HOLDS_PER_EMAIL=1000000 \
      UNCONFIRMED_EMAILS_PER_DAY=1000000 \
      "$OLDPWD/target/release/hunar" >>"$work/server.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 400); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.05; done
}
start
password=$(awk '/password:/ {print $2}' "$work/server.log")

# The catalogue through the API; a few hundred real orders through the API; the rest of the
# orders copied from those in the database (closed ones: expired, cancelled, refunded),
# spread over the last year, as a year of a campaign would leave them.
# The catalogue through the API as a coordinator grows it (each painting with a photo).
python3 scripts/grow_catalog.py "$base" admin@hunar.local "$password" "$ARTWORKS" >/dev/null
python3 - "$base" "$password" "$ARTWORKS" "$ORDERS" <<'PY'
import http.client, json, sys, urllib.parse, uuid
base, password, artworks, orders = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(host.hostname, host.port)
def call(method, path, body=None, token=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        h["content-type"] = "application/json"
    if token:
        h["authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse()
    return r.status, r.read()
token = json.loads(call("POST", "/api/v1/admin/login", {"email": "admin@hunar.local", "password": password})[1])["token"]
real = min(300, orders)
page, placed = 1, 0
while placed < real:
    items = json.loads(call("GET", f"/api/v1/artworks?per_page=100&page={page}")[1])["items"]
    page += 1
    for item in items:
        if placed >= real:
            break
        body = {"artwork_id": item["id"], "payment_method": "manual",
                "buyer": {"name": f"Buyer {placed}", "email": f"buyer{placed}@example.org"},
                "shipping_address": {"line1": "Storgatan 1", "city": "Göteborg", "country": "SE"}}
        status, _ = call("POST", "/api/v1/orders", body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert status == 201, status
        placed += 1
print(f"catalogue: {artworks} paintings; {placed} orders placed through the API")
PY
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

python3 - "$work/hunar.db" "$ORDERS" <<'PY'
import sqlite3, sys, uuid, random
from datetime import datetime, timedelta, timezone
db, total = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
cols = [r[1] for r in db.execute("PRAGMA table_info(orders)")]
rows = db.execute("SELECT * FROM orders").fetchall()
have = len(rows)
random.seed(7)
now = datetime.now(timezone.utc)
for i in range(total - have):
    row = dict(zip(cols, random.choice(rows)))
    row["id"] = str(uuid.uuid4())
    row["access_token_hash"] = uuid.uuid4().hex + uuid.uuid4().hex
    # Closed states only: a copy never holds a painting another order holds.
    row["status"] = ["expired", "cancelled", "refunded", "expired"][i % 4]
    when = (now - timedelta(minutes=random.randint(60, 525600))).strftime("%Y-%m-%d %H:%M:%S+00:00")
    row["created_at"] = row["updated_at"] = row["expires_at"] = when
    for k in ("client_key", "client_slot", "email_key", "email_slot"):
        if k in row:
            row[k] = None
    db.execute(f"INSERT INTO orders ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
               [row[c] for c in cols])
db.commit()
print(f"orders: {db.execute('SELECT COUNT(*) FROM orders').fetchone()[0]}")
PY
start

python3 - "$base" "$password" "$RUNS" 3>"$work/lh-pages" <<'PY'
import http.client, re, statistics, sys, time, urllib.parse
base, password, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(host.hostname, host.port)
form = urllib.parse.urlencode({"email": "admin@hunar.local", "password": password, "next": "/admin"})
conn.request("POST", "/admin/sign-in", form, {
    "content-type": "application/x-www-form-urlencoded", "origin": base})
r = conn.getresponse(); r.read()
assert r.status == 303, r.status
cookie = r.getheader("set-cookie").split(";")[0]
def get(path):
    conn.request("GET", path, headers={"cookie": cookie, "accept": "text/html"})
    r = conn.getresponse()
    return r.status, r.read().decode()
_, orders = get("/admin/orders")
order = re.search(r'href="/admin/orders/([0-9a-f-]{36})"', orders).group(1)
_, paintings = get("/admin/paintings")
painting = re.search(r'href="/admin/paintings/([0-9a-f-]{36})"', paintings).group(1)
_, artists = get("/admin/artists")
artist = re.search(r'href="/admin/artists/([0-9a-f-]{36})"', artists).group(1)
pages = {
    "today": "/admin", "orders": "/admin/orders", "orders?paid": "/admin/orders?status=paid",
    "orders?ref": "/admin/orders?reference=" + order[-8:], "order": f"/admin/orders/{order}",
"paintings": "/admin/paintings",
    "painting": f"/admin/paintings/{painting}", "artists": "/admin/artists",
    "artist": f"/admin/artists/{artist}", "prices": "/admin/prices", "emails": "/admin/emails",
    "audit": "/admin/audit", "account": "/admin/account",
}
worst = 0.0
for name, path in pages.items():
    for _ in range(20):
        get(path)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        status, _ = get(path)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, (path, status)
    times.sort()
    median = statistics.median(times)
    worst = max(worst, median)
    print(f"{name:12} median {median:6.2f} ms, p90 {times[int(len(times) * 0.9)]:6.2f} ms")
print(f"slowest console page at the median: {worst:.2f} ms")
with open("/dev/fd/3", "w") as out:
    out.write(cookie + "\n")
    _, grid = get("/admin/prices")
    tier = re.search(r'href="/admin/prices/tiers/([0-9a-f-]{36})"', grid).group(1)
    for path in ["/admin", f"/admin/paintings/{painting}", f"/admin/orders/{order}",
                 "/admin/audit", "/admin/emails", f"/admin/prices/tiers/{tier}"]:
        out.write(base + path + "\n")
PY

cookie=$(head -1 "$work/lh-pages")
for url in $(tail -n +2 "$work/lh-pages"); do
  CHROME_PATH=/usr/bin/chromium target/browser-tools/node_modules/.bin/lighthouse "$url" --quiet \
    --only-categories=accessibility,best-practices \
    --extra-headers="{\"Cookie\": \"$cookie\"}" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --output=json --output-path="$work/lh.json" >/dev/null 2>&1 || { echo "lighthouse failed on $url"; continue; }
  python3 - "$url" "$work/lh.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[2]))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"lighthouse {sys.argv[1].split('/admin')[1] or '/'}: " + ", ".join(f"{k} {v}" for k, v in scores.items()))
for cat in report["categories"].values():
    for ref in cat["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            print(f"  {cat['id']}: {audit['id']} {audit['score']}")
PY
done
