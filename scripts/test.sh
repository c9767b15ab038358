#!/usr/bin/env bash
# The project's one test command (`npm test`): unit tests (vitest) and browser
# tests (Playwright + Debian's Chromium) against a fresh build served under the
# base path. Environment: BASE_PATH / SITE_URL as for the build; CHROMIUM_PATH
# to use another Chromium binary; SKIP_BUILD=1 to reuse an existing dist/.
#
# Order (each step's seconds are printed at the end):
#   1. `astro check` and the build, side by side: each runs on one core (they read the sources,
#      only the build writes, into dist/). `astro check` type-checks every file tsconfig.json
#      includes (the .ts of src/, scripts/ and tests/ as well as the .astro files), so a separate
#      `tsc --noEmit` would check the same 271 files again;
#   2. vitest (several forks; some of its tests read dist/, so it waits for the build);
#   3. Playwright against dist/ (alone: its tests time the page, so nothing else runs beside it).
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
# installs Debian's chromium where it may (root or passwordless sudo), else says why and what to run
bash scripts/ensure-chromium.sh

if [ ! -d node_modules ]; then
  echo "error: node_modules/ is missing: run 'npm ci' first." >&2
  exit 1
fi

T0=$SECONDS
TIMES=()
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/npm-test-XXXXXX")"

# Runs "name::command" jobs side by side, each into its own log; prints every log (in the given
# order) when all are done, with its time; fails when any failed.
side_by_side() {
  local -a names=() pids=()
  local job name start=$SECONDS failed=0
  for job in "$@"; do
    name="${job%%::*}"
    names+=("$name")
    ( s=$SECONDS; set +e; bash -c "${job#*::}" >"$LOGS/$name.log" 2>&1; rc=$?; echo "$((SECONDS - s))" >"$LOGS/$name.time"; exit $rc ) &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then failed=1; echo "FAILED: ${names[$i]}" >"$LOGS/${names[$i]}.failed"; fi
  done
  for name in "${names[@]}"; do
    echo "== $name ($(cat "$LOGS/$name.time") s)"
    cat "$LOGS/$name.log"
    TIMES+=("$name $(cat "$LOGS/$name.time") s")
    [ -f "$LOGS/$name.failed" ] && echo "== $name FAILED" >&2
  done
  TIMES+=("(side by side: $((SECONDS - start)) s)")
  return $failed
}

# timed STEP-NAME COMMAND...: runs a step in the foreground, output as it comes
timed() {
  local name="$1" start=$SECONDS rc=0
  shift
  echo "== $name"
  "$@" || rc=$?
  TIMES+=("$name $((SECONDS - start)) s")
  return $rc
}

report() {
  echo "== npm test: $((SECONDS - T0)) s in all"
  printf '   %s\n' "${TIMES[@]}"
}
trap 'rc=$?; report; rm -rf "$LOGS"; exit $rc' EXIT

# the type check reads astro's generated types (.astro/types.d.ts: import.meta.env), which a fresh
# clone lacks until astro makes them; make them first, so the jobs below need nothing of each other
npx astro sync >/dev/null
jobs=("astro check::npx astro check")
if [ "${SKIP_BUILD:-}" = "1" ] && [ -f dist/index.html ]; then
  echo "== reusing existing dist/ (SKIP_BUILD=1)"
else
  jobs+=("build::npm run build")
fi
echo "== type checks and the build, side by side: ${jobs[*]%%::*}"
side_by_side "${jobs[@]}"

timed "unit tests (vitest)" npx vitest run

timed "browser tests (playwright, $CHROMIUM)" npx playwright test "$@"
