#!/usr/bin/env bash
# A real S3-compatible server for the S3 tests (tests/api/s3.rs): moto's server mode, pinned,
# from PyPI, in a virtualenv under target/ (outside the repository). Starts it once on
# loopback (or finds it running) and prints the line that points the tests at it:
#
#   eval "$(bash scripts/s3-server.sh)"   # HUNAR_TEST_S3=http://127.0.0.1:9555
#   cargo test --test api -- s3
#   bash scripts/s3-server.sh stop
#
# .ci/run starts it before the tests and stops it after them. It keeps everything in memory:
# buckets are made by each test and gone when it stops.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.6
PORT=${S3_TEST_PORT:-9555}
tools=target/s3-tools
url="http://127.0.0.1:$PORT"

if [ "${1:-start}" = stop ]; then
  if [ -f "$tools/server.pid" ]; then
    kill "$(cat "$tools/server.pid")" 2>/dev/null || true
    rm -f "$tools/server.pid"
  fi
  exit 0
fi

answers() { curl -s -o /dev/null -m 2 "$url/"; }

if ! answers; then
  if [ ! -x "$tools/bin/moto_server" ]; then
    python3 -m venv "$tools" >&2
    "$tools/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  fi
  nohup "$tools/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$tools/server.log" 2>&1 &
  echo $! >"$tools/server.pid"
  for _ in $(seq 1 100); do answers && break; sleep 0.1; done
  answers || { echo "moto_server did not start; see $tools/server.log" >&2; exit 1; }
fi
echo "export HUNAR_TEST_S3=$url"
