#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm (opt-level z, LTO) → wasm-bindgen for Node (CJS,
# with an ESM wrapper) and for pages (ESM + init) → wasm-opt -Oz. Prints the shipped sizes.
# Expects the tools of scripts/setup.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
wasm_opt="$root/.tools/node_modules/.bin/wasm-opt"

cargo build --release --target wasm32-unknown-unknown -p polyjob
wasm="target/wasm32-unknown-unknown/release/polyjob.wasm"

rm -rf pkg
mkdir -p pkg/node pkg/web
wasm-bindgen --target nodejs --out-dir pkg/node --out-name polyjob "$wasm"
wasm-bindgen --target web --out-dir pkg/web --out-name polyjob "$wasm"
for f in pkg/node/polyjob_bg.wasm pkg/web/polyjob_bg.wasm; do
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "$f" -o "$f.opt"
  mv "$f.opt" "$f"
done
cp packaging/package.json pkg/package.json
cp packaging/node/index.mjs pkg/node/index.mjs
printf '{ "type": "commonjs" }\n' > pkg/node/package.json
printf '{ "type": "module" }\n' > pkg/web/package.json
cp README.md pkg/README.md

size() { local raw gz; raw=$(stat -c %s "$1"); gz=$(gzip -9c "$1" | wc -c); printf '%-28s raw %8d B   gzip -9 %7d B\n' "$1" "$raw" "$gz"; }
echo "== polyjob package sizes =="
for f in pkg/node/polyjob_bg.wasm pkg/node/polyjob.js pkg/node/index.mjs pkg/web/polyjob_bg.wasm pkg/web/polyjob.js; do size "$f"; done
web_total=$(cat pkg/web/polyjob_bg.wasm | gzip -9c | wc -c); web_js=$(gzip -9c pkg/web/polyjob.js | wc -c)
node_total=$(cat pkg/node/polyjob_bg.wasm | gzip -9c | wc -c); node_js=$(gzip -9c pkg/node/polyjob.js | wc -c)
echo "web entry (wasm + glue):  $((web_total + web_js)) B gzip -9"
echo "node entry (wasm + glue): $((node_total + node_js)) B gzip -9   (budget for the whole package: 45 KB)"
