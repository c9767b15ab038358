#!/usr/bin/env bash
# The project's one test command (`npm test`): unit tests (vitest) and browser
# tests (Playwright + Debian's Chromium) against a fresh build served under the
# base path. Environment: BASE_PATH / SITE_URL as for the build; CHROMIUM_PATH
# to use another Chromium binary; SKIP_BUILD=1 to reuse an existing dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
# installs Debian's chromium where it may (root or passwordless sudo), else says why and what to run
bash scripts/ensure-chromium.sh

if [ ! -d node_modules ]; then
  echo "error: node_modules/ is missing: run 'npm ci' first." >&2
  exit 1
fi

echo "== type checks (astro check, tsc --noEmit)"
npm run check

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
