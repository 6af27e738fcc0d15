#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm (opt-level z, LTO) → wasm-bindgen's ES-module
# glue (ESM + init) → wasm-opt -Oz, then the auto-init entries for Node, browsers/bundlers and
# Cloudflare Workers (packaging/). Prints the shipped sizes per entry.
# Expects the tools of scripts/setup.sh.
#
# Layout of pkg/ (exports map in packaging/package.json):
#   node/index.mjs     "." in Node, for `import` and `require` alike (Node ≥ 20.19 / 22.12 load
#                      an ES module with require()): the web glue below + initSync from the wasm
#   node/polyjob.d.ts  the types of every auto-init entry ("." and "./workerd"), from
#                      wasm-bindgen --target nodejs (whose CJS glue is not shipped)
#   web/polyjob.js     ESM glue with `init()` / `initSync()` (wasm-bindgen --target web): "./web"
#   web/browser.js     "." for browsers and bundlers: top-level `await init(new URL(wasm))`
#   web/workerd.js     "." for workerd: `import wasm from "./polyjob_bg.wasm"` + `initSync`
#   web/polyjob_bg.wasm  the one wasm every entry loads
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
wasm_opt="$root/.tools/node_modules/.bin/wasm-opt"

# The release wasm: the pinned nightly with build-std + immediate-abort panics when it is installed
# (scripts/release-toolchain.sh says why), else stable. Its own target dir keeps the test builds'
# caches; target/shipped/toolchain.txt records which one built the package (bench/size.mjs reads it).
. scripts/release-toolchain.sh
mkdir -p target/shipped
sysroot=$(rustup run "$RELEASE_TOOLCHAIN" rustc --print sysroot 2>/dev/null || true)
if [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/src/rust/library" ]; then
  # fmt-debug=none: `{:?}` prints nothing (the shipped code never formats Debug for users;
  # tests run on stable); location-detail=none: no file/line strings for the (trapping) panics.
  # core/alloc/std keep opt-level 3, as in the prebuilt std of stable (same size here: +19 B).
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none" \
    cargo "+$RELEASE_TOOLCHAIN" build --release --target wasm32-unknown-unknown -p polyjob \
    -Z build-std=std,panic_abort --target-dir target/shipped \
    --config 'profile.release.package.core.opt-level=3' \
    --config 'profile.release.package.alloc.opt-level=3' \
    --config 'profile.release.package.std.opt-level=3'
  printf '%s (build-std, panic=immediate-abort, fmt-debug=none)\n' "$(rustup run "$RELEASE_TOOLCHAIN" rustc --version)" > target/shipped/toolchain.txt
else
  echo "build.sh: $RELEASE_TOOLCHAIN with rust-src is not installed (scripts/setup.sh); building on stable: the wasm is ~20 KB gzip bigger" >&2
  cargo build --release --target wasm32-unknown-unknown -p polyjob --target-dir target/shipped
  printf '%s (stable fallback, panic=abort)\n' "$(rustc --version)" > target/shipped/toolchain.txt
fi
wasm="target/shipped/wasm32-unknown-unknown/release/polyjob.wasm"

rm -rf pkg target/shipped/nodejs
mkdir -p pkg/node pkg/web
# The nodejs target only for its typings (no init functions): the CommonJS glue it emits would
# be a second copy of the glue in the package, and Node's require() loads node/index.mjs.
wasm-bindgen --target nodejs --out-dir target/shipped/nodejs --out-name polyjob "$wasm"
cp target/shipped/nodejs/polyjob.d.ts pkg/node/polyjob.d.ts
wasm-bindgen --target web --out-dir pkg/web --out-name polyjob "$wasm"
# The typings, finished by hand where wasm-bindgen cannot: JobClient is generic over its provider
# (its methods' types name P, see client.rs), and the libs the declarations use are referenced, so
# the .d.ts compiles under `tsc --strict` with no tsconfig at all.
for dts in pkg/node/polyjob.d.ts pkg/web/polyjob.d.ts; do
  grep -q '^export class JobClient {$' "$dts" || { echo "build.sh: $dts has no 'export class JobClient {' line to make generic" >&2; exit 1; }
  sed -i 's/^export class JobClient {$/export class JobClient<P extends ProviderName = ProviderName> {/' "$dts"
  { printf '/// <reference lib="es2018" />\n/// <reference lib="dom" />\n/// <reference lib="esnext.disposable" />\n'; cat "$dts"; } > "$dts.tmp"
  mv "$dts.tmp" "$dts"
done
# The raw-export typings of the wasm file: internal, untyped (`any`), imported by nothing.
rm -f pkg/web/polyjob_bg.wasm.d.ts
f=pkg/web/polyjob_bg.wasm
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$f" -o "$f.opt"
mv "$f.opt" "$f"

cp packaging/package.json pkg/package.json
cp packaging/node/index.mjs pkg/node/index.mjs
cp packaging/web/browser.js packaging/web/workerd.js pkg/web/
printf '{ "type": "commonjs" }\n' > pkg/node/package.json
printf '{ "type": "module" }\n' > pkg/web/package.json
cp packaging/README.md pkg/README.md   # the npm page (the repository README is the contributors')

# Every hand-written entry must re-export every runtime export of the glue.
exports=$(grep -oE '^export (class|function) [A-Za-z_$][A-Za-z0-9_$]*' pkg/web/polyjob.js | awk '{print $3}' | sort -u)
for entry in pkg/node/index.mjs pkg/web/browser.js pkg/web/workerd.js; do
  for name in $exports; do
    if ! grep -qw "$name" "$entry"; then
      echo "build.sh: $entry does not export $name (glue exports: $(echo $exports))" >&2
      exit 1
    fi
  done
done

# Each glue ships as one file with its JS snippets (src/transport/*.js, src/js/*.js) bundled in —
# one module to load instead of several — and minified: whitespace and syntax only, so every class
# and function keeps its name (stack traces, `constructor.name`). The hand-written entries
# (index.mjs, browser.js, workerd.js) stay as written. Any esbuild warning fails the build: a
# user's bundler would print it too (e.g. a repeated import key, which wasm-bindgen emits when a
# snippet has two functions wasm imports without a shim — hence one such function per snippet).
# The JS snippets (src/**/*.js) import nothing: wasm-bindgen-test-runner's headless mode cannot
# load a snippet that imports another (the Chromium wasm suite then never starts).
if grep -lE '^\s*import ' src/*/*.js >/dev/null 2>&1; then
  echo "build.sh: a JS snippet imports another ($(grep -lE '^\s*import ' src/*/*.js | tr '\n' ' ')); snippets must be self-contained" >&2
  exit 1
fi
esbuild="$root/.tools/node_modules/.bin/esbuild"
bundle() { # glue file, esm, neutral
  local warnings
  warnings=$("$esbuild" "$1" --bundle --format="$2" --platform="$3" --minify-whitespace --minify-syntax \
    --log-level=warning --outfile="$1.bundled.js" 2>&1)
  if [ -n "$warnings" ]; then echo "build.sh: esbuild warned bundling $1:" >&2; echo "$warnings" >&2; exit 1; fi
  mv "$1.bundled.js" "$1"
}
# The PolyjobError class lives in a snippet (src/js/error.js): the glue exports it too, so every
# entry re-exports the one class the wasm throws (instanceof works).
error_snippet=$(cd pkg/web && ls snippets/*/src/js/error.js)
printf '\nexport { PolyjobError } from "./%s";\n' "$error_snippet" >> pkg/web/polyjob.js
bundle pkg/web/polyjob.js esm neutral
rm -rf pkg/web/snippets
if grep -qE 'from ?["'"'"'`]\./snippets/' pkg/web/polyjob.js; then echo "build.sh: pkg/web/polyjob.js still loads a snippet file" >&2; exit 1; fi

gz() { cat "$@" | gzip -9c | wc -c; }
raw() { cat "$@" | wc -c; }
size() { printf '  %-28s raw %8d B   gzip -9 %7d B\n' "$1" "$(raw "$1")" "$(gz "$1")"; }
entry() { # name, files...
  local name=$1; shift
  local sum=0 f
  for f in "$@"; do sum=$((sum + $(gz "$f"))); done
  printf '  %-34s %8d B gzip -9 (sum of gzipped %s)\n' "$name" "$sum" "$*"
}
echo "== polyjob package sizes =="
for f in $(cd pkg && find node web -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.wasm' \) | sort); do size "pkg/$f"; done
echo "per entry (what one runtime loads):"
entry "node (index.mjs)"          pkg/web/polyjob_bg.wasm pkg/web/polyjob.js pkg/node/index.mjs
entry "browser/bundler (default)" pkg/web/polyjob_bg.wasm pkg/web/polyjob.js pkg/web/browser.js
entry "workerd"                   pkg/web/polyjob_bg.wasm pkg/web/polyjob.js pkg/web/workerd.js
entry "polyjob/web (bare page)"   pkg/web/polyjob_bg.wasm pkg/web/polyjob.js
packed=$(cd pkg && npm pack --dry-run --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s)[0];console.log(`${p.size} B packed, ${p.unpackedSize} B unpacked, ${p.entryCount} files`)})' || echo "n/a")
echo "npm tarball: $packed   (wasm files shipped: $(find pkg -name '*.wasm' | wc -l))"
