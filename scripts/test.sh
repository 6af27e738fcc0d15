#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every layer —
#   1. native: cargo test --workspace (core, providers' golden fixtures, fuzz pass, mock server)
#   2. wasm in Node and in headless Chromium (wasm-bindgen-test-runner) against the mock server
#   3. the built npm package from JS (node --test), installed from its `npm pack` tarball
#   4. Socaity's own Python SDKs against the mock (scripts/test-sdk.sh), then the runtimes, the demo
#      page, the Workers gateway and a short load-and-fault run
# The mock server it starts is bounded (--exit-after) and stopped by PID on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

step() { printf '\n==== %s ====\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "native tests (cargo test --workspace)"
cargo test --workspace

step "build: mock server + npm package"
cargo build -p polyjob-mock
bash scripts/build.sh

step "start the mock providers server"
workdir=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT
target/debug/polyjob-mock --port 0 --port-file "$workdir/port" --exit-after 1800 > "$workdir/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do [ -s "$workdir/port" ] && break; sleep 0.1; done
[ -s "$workdir/port" ] || { echo "mock server did not start"; cat "$workdir/mock.log"; exit 1; }
export POLYJOB_MOCK_URL="http://127.0.0.1:$(cat "$workdir/port")"
echo "mock providers server at $POLYJOB_MOCK_URL (pid $mock_pid)"

# Node 20 has WebSocket behind a flag (global from Node 22): the realtime tests need it.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then export NODE_OPTIONS="--experimental-websocket ${NODE_OPTIONS:-}"; fi
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=120

step "wasm tests in Node"
cargo test --target wasm32-unknown-unknown -p polyjob --test wasm_node

if [ "${POLYJOB_SKIP_BROWSER:-0}" != "1" ]; then
  step "wasm tests in headless Chromium"
  CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p polyjob --test wasm_browser
fi

step "JS tests of the built package (node --test)"
rm -rf tests/js/node_modules tests/js/polyjob-*.tgz
(cd tests/js && npm install --no-audit --no-fund --loglevel=error \
  && npm pack --silent ../../pkg >/dev/null \
  && npm install --no-save --no-audit --no-fund --loglevel=error ./polyjob-*.tgz && rm -f polyjob-*.tgz)
node --test --test-reporter=spec tests/js/

step "Socaity SDK conformance (socaity + fastsdk from PyPI, their README flows against the mock)"
bash scripts/test-sdk.sh

step "runtimes: Node ESM/CJS, types (tsc), Vite page in Chromium, bare page, Miniflare Worker"
bash scripts/test-runtimes.sh

step "demo page end to end (Playwright + Chromium)"
bash scripts/test-e2e.sh

step "Cloudflare Workers gateway (Miniflare / workerd)"
bash scripts/test-gateway.sh

step "load-and-fault test, short variant (200 jobs, 20% faults; the long one: node tests/js/load.mjs)"
(cd tests/js && node load.mjs --jobs 200 --min-ms 300 --max-ms 3000 --mock ../../target/debug/polyjob-mock)

step "all layers passed"
