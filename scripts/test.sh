#!/usr/bin/env bash
# The project's one test command (`npm test`): unit tests (vitest) and browser
# tests (Playwright + Debian's Chromium) against a fresh build served under the
# base path. Environment: BASE_PATH / SITE_URL as for the build; CHROMIUM_PATH
# to use another Chromium binary; SKIP_BUILD=1 to reuse an existing dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "error: the browser tests need Debian's Chromium at $CHROMIUM, which is missing." >&2
  echo "Install it with:" >&2
  if [ "$(id -u)" = "0" ]; then
    echo "    apt-get update && apt-get install -y chromium" >&2
  else
    echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2
  fi
  echo "(or set CHROMIUM_PATH to a Chromium/Chrome binary; .ci/run installs it for you)" >&2
  exit 1
fi

if [ ! -d node_modules ]; then
  echo "error: node_modules/ is missing: run 'npm ci' first." >&2
  exit 1
fi

if [ "${SKIP_BUILD:-}" = "1" ] && [ -f dist/index.html ]; then
  echo "== reusing existing dist/ (SKIP_BUILD=1)"
else
  echo "== building the site (npm run build)"
  npm run build
fi

echo "== unit tests (vitest)"
npx vitest run

echo "== browser tests (playwright, $CHROMIUM)"
npx playwright test "$@"
