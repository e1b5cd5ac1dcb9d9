#!/usr/bin/env bash
# Schemathesis against a fresh server: every check (`--checks all`), all four phases
# (examples, coverage, fuzzing, stateful, following the document's links), an admin token,
# and two seeds: a fixed one, so a failure can be replayed, and a fresh one, so every run
# looks somewhere new. Fails on any failure, and on any panic in the server's log.
# Usage: scripts/fuzz-api.sh [path/to/hunar]   (default target/debug/hunar, built if absent)
#   DATABASE_URL=postgres://… for PostgreSQL; FUZZ_SEEDS="1 2 3" to choose the seeds;
#   FUZZ_EXAMPLES=N examples per operation (default 40).
# Exceptions, each with its reason, are in scripts/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/hunar}
[ -x "$bin" ] || cargo build --locked --bin hunar

# Pinned, in a virtualenv of its own under target/ (ignored by git, removed by cargo clean).
venv=target/schemathesis-venv
version=4.32.5
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $version" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

# The limits on what one client may set off are tested on their own (tests/api/limits.rs);
# here they would only turn most order attempts into 429s and hide the code behind them.
export ORDER_ATTEMPTS_PER_CLIENT=1000000 HOLDS_PER_CLIENT=1000000 HOLDS_PER_EMAIL=1000000 \
  UNCONFIRMED_EMAILS_PER_DAY=1000000 LOGIN_PER_IP_PER_MINUTE=10000 \
  LOGIN_PER_ACCOUNT_PER_MINUTE=10000

# shellcheck source=scripts/serve-fresh.sh
source scripts/serve-fresh.sh
serve_fresh "$bin"
token=$(curl -fsS -X POST "$base/api/v1/admin/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

seeds=${FUZZ_SEEDS:-"20261126 $(python3 -c 'import secrets; print(secrets.randbelow(10**9))')"}
status=0
for seed in $seeds; do
  echo "== schemathesis, seed $seed =="
  # Logging out would revoke the token every other admin call is made with.
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/api/openapi.json" \
    --checks all --exclude-operation-id adminLogout \
    -H "Authorization: Bearer $token" \
    --seed "$seed" --max-examples "${FUZZ_EXAMPLES:-40}" --no-color || status=1
done
serve_fresh_no_panics || status=1
exit $status
