#!/usr/bin/env bash
# Browser tests drive Debian's Chromium with Playwright (a Playwright browser download is
# not possible here). Installs both when missing; a no-op when they are there.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)" >&2
  fi
fi
