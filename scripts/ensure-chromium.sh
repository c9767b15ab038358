#!/usr/bin/env bash
# Makes sure the browser tests have a Chromium (`npm test` calls this first): uses $CHROMIUM_PATH
# when set, else Debian's /usr/bin/chromium, and installs Debian's package when it is missing and
# this user may install packages (root, or sudo without a password). Where it cannot, it says why
# and the exact command to run, and fails. (CHROMIUM_TARGET replaces /usr/bin/chromium for its tests.)
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
  echo "error: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; point it at a Chromium/Chrome binary or unset it to use Debian's /usr/bin/chromium." >&2
  exit 1
fi
CHROMIUM="${CHROMIUM_TARGET:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi

manual() {
  echo "error: the browser tests need Debian's Chromium at $CHROMIUM, which is missing, and npm test cannot install it: $1." >&2
  echo "Run this once, then npm test again:" >&2
  echo "    $2" >&2
  echo "(or set CHROMIUM_PATH to a Chromium/Chrome binary you already have)" >&2
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  manual "this machine has no apt-get (the tests expect Debian or Ubuntu)" "install Chromium with your package manager and export CHROMIUM_PATH=/path/to/chromium"
fi
SUDO=()
if [ "$(id -u)" != "0" ]; then
  CMD="sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"
  if ! command -v sudo >/dev/null 2>&1; then
    manual "you are not root and sudo is not installed" "su -c 'apt-get update && apt-get install -y --no-install-recommends chromium'"
  fi
  if ! sudo -n true 2>/dev/null; then
    manual "you are not root and sudo asks for a password (npm test never prompts)" "$CMD"
  fi
  SUDO=(sudo -n)
fi

echo "== installing Debian's chromium for the browser tests ($CHROMIUM is missing)"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update; then
  manual "apt-get update failed (see above: no network or no Debian mirror?)" "${SUDO[*]:+${SUDO[*]} }apt-get update && ${SUDO[*]:+${SUDO[*]} }apt-get install -y --no-install-recommends chromium"
fi
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; then
  manual "apt-get install chromium failed (see above)" "${SUDO[*]:+${SUDO[*]} }apt-get install -y --no-install-recommends chromium"
fi
if [ ! -x "$CHROMIUM" ]; then
  manual "apt-get installed the chromium package but $CHROMIUM is still missing (on Ubuntu the package is a snap wrapper)" "export CHROMIUM_PATH=\$(command -v chromium || command -v chromium-browser)"
fi
echo "== installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
