#!/usr/bin/env bash
# Shop figures (issue 13), release build on SQLite: the home page and a painting page with
# ARTWORKS paintings in the catalogue (2,000 by default): server time per request at the median
# and p90 (keep-alive, loopback, RUNS requests each), what a page weighs compressed (HTML + CSS
# + JS, no photos), whether it loads anything from another origin, and Lighthouse's mobile
# scores (Performance, Accessibility, Best Practices, SEO) with Debian's Chromium.
#
# LANGS lists the languages Lighthouse reads the pages in (the `lang` cookie a visitor's switch
# sets); the server times are in English.
#
#   bash scripts/bench-shop.sh
#   ARTWORKS=500 RUNS=1000 bash scripts/bench-shop.sh
#   LANGS="en de nb ps fa sv" ARTWORKS=200 RUNS=100 bash scripts/bench-shop.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ARTWORKS=${ARTWORKS:-2000}
RUNS=${RUNS:-500}
LANGS=${LANGS:-en}
PORT=${PORT:-18095}
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
(cd "$work" && exec env DATABASE_URL="sqlite://$work/hunar.db?mode=rwc" BIND_ADDR="127.0.0.1:$PORT" \
    PUBLIC_BASE_URL="$base" MEDIA_DIR="$work/media" SEED_DEMO=true RUST_LOG=warn \
    "$OLDPWD/target/release/hunar" >"$work/server.log" 2>&1) &
pid=$!
for _ in $(seq 1 400); do curl -sf -o /dev/null "$base/health/ready" && break; sleep 0.05; done
password=$(awk '/password:/ {print $2}' "$work/server.log")

# The catalogue through the API as a coordinator grows it (each painting with a photo).
python3 scripts/grow_catalog.py "$base" admin@hunar.local "$password" "$ARTWORKS" >/dev/null
python3 - "$base" "$password" "$ARTWORKS" "$RUNS" 3>"$work/urls" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse, re, gzip

base, password, artworks, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
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
    return r.status, r.read(), r

total = json.loads(call("GET", "/api/v1/artworks?per_page=1")[1])["total"]
painting = json.loads(call("GET", "/api/v1/artworks?per_page=1&sort=price_asc")[1])["items"][0]["id"]
print(f"catalogue: {total} public paintings")

pages = {"home": "/", "painting": f"/artworks/{painting}"}
browser = {"accept": "text/html", "cookie": "country=SE; lang=en", "accept-encoding": "gzip"}
for name, path in pages.items():
    for _ in range(30):
        call("GET", path, headers=browser)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        status, body, _ = call("GET", path, headers=browser)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    times.sort()
    html = gzip.decompress(body).decode()
    weight = len(body)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    for asset in assets:
        weight += len(call("GET", asset, headers={"accept-encoding": "gzip"})[1])
    # What the browser fetches by itself (src, srcset, <link href>), apart from the links a
    # visitor may follow (<a href>, e.g. the NGO's WhatsApp), which load nothing on a visit.
    outside = lambda u: u.startswith(("http://", "https://", "//")) and not u.startswith(base)
    loads = re.findall(r'(?:src|srcset)="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+)"', html)
    elsewhere = [u for u in loads if outside(u)]
    links_out = [u for u in re.findall(r'<a[^>]*href="([^"]+)"', html) if outside(u)]
    print(f"{name:9} server time median {statistics.median(times):.2f} ms, "
          f"p90 {times[int(len(times) * 0.9)]:.2f} ms ({runs} requests); "
          f"HTML+CSS+JS {weight / 1024:.1f} kB gzip; loaded from other origins: {len(elsewhere)}; "
          f"links out: {', '.join(links_out) or 'none'}")
with open("/dev/fd/3", "w") as out:
    out.write(f"{base}/ {base}/artworks/{painting}\n")
PY

for lang in $LANGS; do
for url in $(cat "$work/urls"); do
  # The page must really be in that language, or the score says nothing about it.
  curl -s -H "Cookie: country=SE; lang=$lang" "$url" | grep -q "<html lang=\"$lang\"" \
    || { echo "$url is not served in $lang"; exit 1; }
  CHROME_PATH=/usr/bin/chromium target/browser-tools/node_modules/.bin/lighthouse "$url" --quiet \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --extra-headers="{\"Cookie\": \"country=SE; lang=$lang\"}" \
    --output=json --output-path="$work/lh.json" >/dev/null 2>&1 || { echo "lighthouse failed on $url ($lang)"; continue; }
  python3 - "$url" "$work/lh.json" "$lang" <<'PY'
import json, sys
report = json.load(open(sys.argv[2]))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"lighthouse mobile {sys.argv[1]} ({sys.argv[3]}): " + ", ".join(f"{k} {v}" for k, v in scores.items()))
for cat in report["categories"].values():
    for ref in cat["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            print(f"  {cat['id']}: {audit['id']} {audit['score']}")
PY
done
done
