#!/usr/bin/env bash
# The pictures in the README and docs/GUIDE.md, made by the browser tests themselves (tests/api/browser.rs and
# tests/api/console_browser.rs write them to target/screenshots/): run the tests, copy them.
#
#   bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/browser-tools.sh >/dev/null
HUNAR_BROWSER_TESTS=required cargo test -q --test api -- every_page_type_passes_axe every_console_page_type a_coordinator_adds_a_painting a_swedish_supporter_pays a_supporter_behind_a_busy_connection
mkdir -p docs/screenshots
cp target/screenshots/*.png docs/screenshots/
ls -1 docs/screenshots
