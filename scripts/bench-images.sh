#!/usr/bin/env bash
# Photo processing (issue 7): one 4000×3000 phone JPEG into every variant, beside
# vipsthumbnail (libvips, Debian libvips-tools) making the same three JPEG sizes, each
# timed as a whole process with /usr/bin/time (wall seconds, peak RSS). Hunar's run also
# encodes the three WebP variants; vipsthumbnail's makes JPEG only.
#
#   bash scripts/bench-images.sh            RUNS=5 UPLOADS=16 bash scripts/bench-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
UPLOADS=${UPLOADS:-16}
command -v vipsthumbnail >/dev/null || { echo "needs vipsthumbnail: apt-get install libvips-tools"; exit 2; }
cargo build --release --quiet -p bench-images
bin=./target/release/bench-images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo=$work/phone.jpg
$bin make "$photo"
echo "input: $(du -k "$photo" | cut -f1) kB, 4000×3000"

measure() { # label, command… → prints wall s and peak MB per run
  local label=$1; shift
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null
    read -r secs kb < "$work/t"
    echo "$label $secs $kb"
  done
}

vips3() {
  for size in 2400 1200 400; do
    vipsthumbnail "$photo" --size "${size}x${size}" -o "$work/vips-$size.jpg[Q=82,strip]"
  done
}
export -f vips3; export photo work

{
  measure hunar "$bin" one "$photo"
  measure vips bash -c vips3
} | awk '
  { t[$1]+=$2; if ($3>m[$1]) m[$1]=$3; n[$1]++ }
  END {
    for (k in t) printf "%-6s mean wall %.3f s over %d runs, peak RSS %.0f MB\n", k, t[k]/n[k], n[k], m[k]/1024;
    printf "ratio hunar/vips wall: %.2f\n", (t["hunar"]/n["hunar"])/(t["vips"]/n["vips"]);
  }'
echo "vipsthumbnail peak is per single-size process; its three sizes run one after another."
echo "== two concurrent uploads =="
/usr/bin/time -f "peak RSS %M kB" "$bin" two "$photo" "$UPLOADS"
