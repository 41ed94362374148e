#!/usr/bin/env bash
# esbuild, which makes clients/web/js/player.bundle.js from the page's modules (server/http/bundle.py).
# The server never needs it (the bundle is kept in the repository); tests/test_bundle.py runs it
# to check the kept bundle is exactly what the sources give. Installed from the npm registry at a
# pinned version into .test-tools/ (gitignored), like scripts/install_axe.sh; a no-op when there.
set -euo pipefail
ESBUILD_VERSION=0.24.0   # keep in step with ESBUILD_VERSION in server/http/bundle.py
cd "$(dirname "$0")/.."
DEST=.test-tools/esbuild
installed=$("$DEST/node_modules/.bin/esbuild" --version 2>/dev/null || true)
if [ "$installed" = "$ESBUILD_VERSION" ]; then
  exit 0
fi
. scripts/npm_pinned.sh
npm_pinned "$DEST" "esbuild@$ESBUILD_VERSION"
test "$("$DEST/node_modules/.bin/esbuild" --version)" = "$ESBUILD_VERSION"
