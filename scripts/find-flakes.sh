#!/usr/bin/env bash
# Runs the whole test suite N times on SQLite and N times on PostgreSQL and lists every test
# that failed at least once, with how often. A flaky test throws away a day's landing, so
# find them here before CI does, and fix each by its cause (never a retry or a longer sleep).
#
# Usage: scripts/find-flakes.sh [N]        (default 5)
#   ONLY=sqlite|postgresql   one database only
#   PG_URL=postgres://...    the PostgreSQL server (default: the machine's, as in .ci/run)
#   FILTER=limits::          passed to `cargo test` to run part of the suite
# Each run's output is kept in target/flakes/<db>-<n>.log. Exits 1 when any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
only=${ONLY:-}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
filter=${FILTER:-}
out=target/flakes
mkdir -p "$out"
rm -f "$out"/*.log

[ -z "${HUNAR_BROWSER_TESTS:-}" ] && command -v chromedriver >/dev/null && export HUNAR_BROWSER_TESTS=required

cargo test --locked --no-run >/dev/null 2>&1 || cargo test --locked --no-run

databases=()
[ "$only" != postgresql ] && databases+=(sqlite)
if [ "$only" != sqlite ]; then
  if psql "$pg_url" -Atc 'select 1' >/dev/null 2>&1; then
    databases+=(postgresql)
  else
    echo "PostgreSQL is not reachable at $pg_url: SQLite only" >&2
  fi
fi

declare -A passed
for db in "${databases[@]}"; do
  passed[$db]=0
  for n in $(seq 1 "$runs"); do
    log="$out/$db-$n.log"
    start=$(date +%s)
    status=0
    if [ "$db" = postgresql ]; then
      DATABASE_URL="$pg_url" cargo test --locked --no-fail-fast -- $filter >"$log" 2>&1 || status=$?
    else
      env -u DATABASE_URL cargo test --locked --no-fail-fast -- $filter >"$log" 2>&1 || status=$?
    fi
    # A panic the safety net caught fails CI too (.ci/run), so it counts here as a failure.
    if grep -q panicked "$log" && [ "$status" = 0 ]; then status=panicked; fi
    if [ "$status" = 0 ]; then
      passed[$db]=$((passed[$db] + 1))
      echo "$db run $n: passed in $(($(date +%s) - start)) s"
    else
      echo "$db run $n: FAILED ($status) in $(($(date +%s) - start)) s, log $log"
    fi
  done
done

echo
echo "== runs passed =="
for db in "${databases[@]}"; do echo "$db: ${passed[$db]} of $runs"; done
echo
echo "== tests that failed at least once (runs failed, database) =="
failures=$(for db in "${databases[@]}"; do
  { grep -h -E '^test .* \.\.\. FAILED$' "$out/$db"-*.log 2>/dev/null || true; } |
    awk -v db="$db" '{print $2 " (" db ")"}'
done | sort | uniq -c | sort -rn)
if [ -z "$failures" ] && ! grep -l panicked "$out"/*.log >/dev/null 2>&1; then
  echo "none"
  exit 0
fi
echo "${failures:-none}"
if grep -l panicked "$out"/*.log >/dev/null 2>&1; then
  echo
  echo "== logs with a panic =="
  grep -l panicked "$out"/*.log
fi
exit 1
