#!/usr/bin/env bash
# The demo command: installs what is missing, builds the package and the mock providers server,
# and serves the www/ demo page together with the mock providers on one local port.
# PORT (default 8080) picks the port; DEMO_SECONDS bounds how long it runs (default: until Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
POLYJOB_SKIP_BROWSER=1 bash scripts/setup.sh
cargo build -p polyjob-mock --profile mock
bash scripts/build.sh
site="target/demo-site"
rm -rf "$site" && mkdir -p "$site"
cp -r www/. "$site/"
cp -r pkg "$site/pkg"
args=(--port "${PORT:-8080}" --static "$site")
if [ -n "${DEMO_SECONDS:-}" ]; then args+=(--exit-after "$DEMO_SECONDS"); fi
echo "Open the printed URL in a browser (key: test-key, already filled in). Ctrl-C stops it."
exec target/mock/polyjob-mock "${args[@]}"
