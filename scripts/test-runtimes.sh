#!/usr/bin/env bash
# Runtime tests of the built npm package (issue 5): Node ESM, Node CJS, the TypeScript type tests
# (tests/types/), a Vite 7 build and a bare `polyjob/web` page in headless Chromium (playwright-core
# driving /usr/bin/chromium), and a Worker in Miniflare 3 (workerd) — each submits and waits for
# jobs against the mock providers server. Installs tests/runtimes' npm deps (no browser download),
# then runs tests/runtimes/run.mjs, bounded in time.
# Expects pkg/ (bash scripts/build.sh) and POLYJOB_MOCK_URL (a running target/debug/polyjob-mock).
# Ends with `runtimes: N passed, M failed`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

missing=()
[ -f pkg/package.json ] || missing+=("pkg/ (run: bash scripts/build.sh)")
[ -n "${POLYJOB_MOCK_URL:-}" ] || missing+=("POLYJOB_MOCK_URL (start: target/debug/polyjob-mock --port 0 --port-file F --exit-after 600)")
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=("${CHROMIUM:-/usr/bin/chromium} (run: apt-get install chromium)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'test-runtimes: missing %s\n' "${missing[@]}" >&2
  echo "runtimes: 0 passed, 1 failed"
  exit 1
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
if ! (cd tests/runtimes && timeout 300 npm install --no-audit --no-fund --loglevel=error); then
  echo "runtimes: 0 passed, 1 failed   (npm install in tests/runtimes failed)"
  exit 1
fi

# run.mjs limits each test itself; this is the outer bound (the child is killed by its PID).
status=0
timeout --kill-after=10 900 node tests/runtimes/run.mjs || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "runtimes: 0 passed, 1 failed   (run.mjs killed after 900 s)"
fi
exit "$status"
