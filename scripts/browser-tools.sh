#!/usr/bin/env bash
# Installs what the browser tests use, from Debian's and npm's registries: Chromium and its
# WebDriver (apt), and axe-core (npm, into target/browser-tools, outside the repository).
# CI runs it; on a developer machine run it once, then `cargo test` runs the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.11.0
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-noto-core >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver fonts-noto-core >/dev/null
  fi
fi
if [ ! -f target/browser-tools/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  mkdir -p target/browser-tools
  (cd target/browser-tools && npm install --silent --no-audit --no-fund --prefix . "axe-core@$AXE_VERSION" >/dev/null)
fi
echo "browser tools: $(chromium --version 2>/dev/null | head -n1); chromedriver $(chromedriver --version 2>/dev/null | awk '{print $2}'); axe-core $(node -p "require('./target/browser-tools/node_modules/axe-core/package.json').version" 2>/dev/null || echo missing)"
