#!/usr/bin/env bash
# Tests the Cloudflare Workers gateway (examples/gateway): installs its npm deps (Miniflare 3,
# wrangler 3, polyjob from pkg/), builds the Worker with `wrangler deploy --dry-run` and runs
# examples/gateway/test/ with node --test: Miniflare (workerd) against the mock providers.
# Expects pkg/ built (scripts/build.sh) and, unless POLYJOB_MOCK_URL points at a running mock,
# target/debug/polyjob-mock (cargo build -p polyjob-mock); the test then starts and stops its own.
# Bounded: every test has a timeout and the whole run is killed after 5 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

[ -f pkg/web/workerd.js ] || { echo "pkg/ is not built (or has no workerd entry): run scripts/build.sh" >&2; exit 1; }
if [ -z "${POLYJOB_MOCK_URL:-}" ] && [ ! -x target/debug/polyjob-mock ]; then
  echo "target/debug/polyjob-mock is missing: cargo build -p polyjob-mock (or set POLYJOB_MOCK_URL)" >&2; exit 1
fi

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
(cd examples/gateway && npm install --no-audit --no-fund --loglevel=error)
cd examples/gateway
exec timeout --signal=TERM --kill-after=10 300 node --test --test-timeout=120000 --test-reporter=spec test/
