#!/usr/bin/env bash
# How long `cargo build --release` takes after one page handler changed: what a developer
# waits for between an edit and a server to try it. Builds once (untimed), touches
# src/web/shop/pages.rs, builds again (timed), RUNS times; prints each and the median.
#
#   bash scripts/bench-rebuild.sh                 # this checkout
#   (cd /tmp/before && bash /work/main/scripts/bench-rebuild.sh)   # another commit, same way
set -euo pipefail
RUNS=${RUNS:-3}
FILE=${FILE:-src/web/shop/pages.rs}
cargo build --release --quiet -p hunar
times=()
for _ in $(seq 1 "$RUNS"); do
  touch "$FILE"
  start=$(date +%s.%N)
  cargo build --release --quiet -p hunar
  end=$(date +%s.%N)
  t=$(python3 -c "print(f'{$end - $start:.1f}')")
  echo "rebuild after touching $FILE: $t s"
  times+=("$t")
done
python3 -c "import statistics,sys; print(f'median: {statistics.median(map(float, sys.argv[1:])):.1f} s')" "${times[@]}"
