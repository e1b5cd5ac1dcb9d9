#!/usr/bin/env bash
# Two builds of the server side by side in one run: the catalog benchmark's uncached mix
# (bench-catalog.sh with CATALOG_CACHE_MS=0) alternately against binary A and binary B,
# ROUNDS times each (A B A B …), so a change is judged against its before on the same machine
# at the same time, not against a figure from another day.
#
#   git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release -p hunar)
#   bash scripts/bench-ab.sh /tmp/before/target/release/hunar target/release/hunar
#   ROUNDS=5 ARTWORKS=2000 bash scripts/bench-ab.sh A B
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?binary A (before)}; b=${2:?binary B (after)}
ROUNDS=${ROUNDS:-3}
export CATALOG_CACHE_MS=0 ARTWORKS=${ARTWORKS:-600} SKIP_BUILD=1
cargo build --release --quiet -p bench-ceiling
results=$(mktemp)
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
