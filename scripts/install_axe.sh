#!/usr/bin/env bash
# axe-core, the accessibility rules engine that tests/test_browser_a11y*.py inject into each page
# state in Chromium. Installed from the npm registry at a pinned version into .test-tools/
# (gitignored), never downloaded when the tests run. Installs Node.js and npm from Debian's
# packages when they are missing (as root); a no-op when the pinned version is already there.
set -euo pipefail
AXE_VERSION=4.14.1   # keep in step with AXE_VERSION in tests/a11y_tools.py
cd "$(dirname "$0")/.."
DEST=.test-tools/axe
installed=$(node -e "console.log(require('./$DEST/node_modules/axe-core/package.json').version)" 2>/dev/null || true)
if [ "$installed" = "$AXE_VERSION" ]; then
  exit 0
fi
. scripts/npm_pinned.sh
npm_pinned "$DEST" "axe-core@$AXE_VERSION"
test -f "$DEST/node_modules/axe-core/axe.min.js"
