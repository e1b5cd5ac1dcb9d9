#!/usr/bin/env bash
# Two builds of the server side by side in one run: the catalog benchmark's uncached mix
# (bench-catalog.sh with CATALOG_CACHE_MS=0) alternately against binary A and binary B,
# ROUNDS times each (A B A B …), so a change is judged against its before on the same machine
# at the same time, not against a figure from another day.
#
#   git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release -p hunar)
#   bash scripts/bench-ab.sh /tmp/before/target/release/hunar target/release/hunar
#   ROUNDS=5 ARTWORKS=2000 bash scripts/bench-ab.sh A B
#
# With METRICS_ADDR set (say 127.0.0.1:9464), a binary that has metrics serves them there and
# they are scraped every second while the mix runs, as Prometheus would (more often than its
# usual 15 s), so the cost of counting and of scraping is in the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?binary A (before)}; b=${2:?binary B (after)}
ROUNDS=${ROUNDS:-3}
export CATALOG_CACHE_MS=0 ARTWORKS=${ARTWORKS:-600} SKIP_BUILD=1
cargo build --release --quiet -p bench-ceiling
results=$(mktemp)
scraper=""
if [ -n "${METRICS_ADDR:-}" ]; then
  export METRICS_ADDR
  (while sleep 1; do curl -s -o /dev/null "http://$METRICS_ADDR/metrics" || true; done) &
  scraper=$!
  trap 'kill $scraper 2>/dev/null || true' EXIT
fi
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin=$a; [ "$side" = B ] && bin=$b
    mix=$(HUNAR_BIN="$bin" bash scripts/bench-catalog.sh | awk '/GET \/api\/v1\/artworks \(mix\)/ {print $4}')
    echo "round $round $side: $mix req/s (uncached mix)"
    echo "$side $mix" >>"$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
runs = {"A": [], "B": []}
for line in open(sys.argv[1]):
    side, rps = line.split()
    runs[side].append(float(rps))
a, b = statistics.median(runs["A"]), statistics.median(runs["B"])
print(f"median A {a:.0f} req/s, B {b:.0f} req/s: B is {100 * (b - a) / a:+.1f} % of A")
PY
rm -f "$results"
