#!/usr/bin/env bash
# Debian's Chromium for the browser tests (playwright-core drives it; never a downloaded browser).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is missing (apt-get install chromium): the browser test will skip, or fail under CI" >&2
[ -z "${CI:-}" ] || exit 1
