#!/usr/bin/env bash
# The demo page end to end: installs tests/e2e's deps (playwright-core, no browser download) and runs
# tests/e2e/demo.test.mjs in Debian's Chromium against the mock providers server, serving the demo
# as scripts/demo.sh does. Saves docs/screenshots/demo.png (the README's picture).
# Expects pkg/ (bash scripts/build.sh) and target/debug/polyjob-mock (cargo build -p polyjob-mock)
# to be built, and /usr/bin/chromium (or CHROMIUM=...) to exist; scripts/test.sh provides all three.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

missing=()
[ -f pkg/web/polyjob.js ] || missing+=("pkg/web/polyjob.js (run: bash scripts/build.sh)")
[ -x "${POLYJOB_MOCK:-target/debug/polyjob-mock}" ] || missing+=("${POLYJOB_MOCK:-target/debug/polyjob-mock} (run: cargo build -p polyjob-mock)")
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=("${CHROMIUM:-/usr/bin/chromium} (run: apt-get install chromium)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'test-e2e: missing %s\n' "${missing[@]}" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)

tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
status=0
(cd tests/e2e && node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" demo.test.mjs) || status=$?

pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)"
fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)"
pass="${pass:-0}"
fail="${fail:-0}"
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "e2e: ${pass} passed, ${fail} failed"
exit "$status"
