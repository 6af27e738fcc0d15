#!/usr/bin/env bash
# Installs whatever is missing to build and test polyjob, idempotently, from the registries this
# project may use (crates.io, npm, Debian, rustup targets): the wasm32 target, wasm-bindgen-cli at
# the exact version of the wasm-bindgen crate in Cargo.lock (with a fix to its test runner's page
# server), wasm-opt (npm binaryen, never Debian's old one), Chromium + ChromeDriver for browser tests.
# Prints what it does; safe to run often.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The pinned nightly + rust-src that builds the shipped wasm (scripts/release-toolchain.sh).
# Best effort: without it build.sh builds on stable and reports the bigger module.
. scripts/release-toolchain.sh
if ! rustup run "$RELEASE_TOOLCHAIN" rustc --version >/dev/null 2>&1 \
  || [ ! -d "$(rustup run "$RELEASE_TOOLCHAIN" rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library" ]; then
  say "installing $RELEASE_TOOLCHAIN (minimal + rust-src) for the release wasm build; ~30 s"
  rustup toolchain install "$RELEASE_TOOLCHAIN" --profile minimal --component rust-src --no-self-update \
    || say "WARNING: could not install $RELEASE_TOOLCHAIN; the package will be built on stable (bigger wasm)"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. It is built with the
# fix in scripts/patches/tiny_http-0.12.0-task-pool.patch: its test runner serves the browser test
# page from tiny_http, which can strand one of Chromium's parallel connections so that the page never
# loads (the patch says how; ~1 run in 3 here, and it failed a CI run). The tiny_http source comes
# from the registry through cargo (`cargo vendor` of a one-line manifest); a stamp beside cargo's
# bin/ records the version and the patch the installed copy was built with.
if [ ! -f Cargo.lock ]; then cargo generate-lockfile; fi
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$wb_version" ]; then echo "cannot read the wasm-bindgen version from Cargo.lock" >&2; exit 1; fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
tiny_http_patch=scripts/patches/tiny_http-0.12.0-task-pool.patch
stamp_file="${CARGO_HOME:-$HOME/.cargo}/polyjob-wasm-bindgen-cli.stamp"
stamp="$wb_version $(sha256sum "$tiny_http_patch" | cut -c1-16)"
if [ "$have" != "$wb_version" ] || [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
  say "installing wasm-bindgen-cli $wb_version with the tiny_http fix (found: ${have:-none}); takes ~3 min"
  src=$(mktemp -d)
  mkdir -p "$src/fetch/src"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\ntiny_http = "=0.12.0"\n' >"$src/fetch/Cargo.toml"
  : >"$src/fetch/src/lib.rs"
  (cd "$src/fetch" && cargo vendor --quiet --versioned-dirs "$src/vendor" >/dev/null)
  patch --quiet --forward -p1 -d "$src/vendor/tiny_http-0.12.0" <"$tiny_http_patch"
  # Not --locked: a locked dependency of the CLI is not served by the registry here. If a later CLI
  # no longer uses tiny_http 0.12.0, cargo warns that the patch was not used: drop or redo it then.
  cargo install wasm-bindgen-cli --version "$wb_version" --force \
    --config "patch.crates-io.tiny_http.path=\"$src/vendor/tiny_http-0.12.0\""
  rm -rf "$src"
  echo "$stamp" >"$stamp_file"
fi

# wasm-opt from npm's binaryen (Debian's binaryen 108 produces wasm that traps).
# esbuild minifies the shipped JS glue (whitespace and syntax only: every name is kept).
if [ ! -x .tools/node_modules/.bin/wasm-opt ] || [ ! -x .tools/node_modules/.bin/esbuild ]; then
  say "installing wasm-opt (npm binaryen) and esbuild into .tools/"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --loglevel=error binaryen@132.0.0 esbuild@0.28.2
fi

if [ "${POLYJOB_SKIP_BROWSER:-0}" != "1" ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    say "installing chromium + chromium-driver (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
say "ok: $(rustc --version | cut -d' ' -f1-2), wasm-bindgen $wb_version, $(.tools/node_modules/.bin/wasm-opt --version), node $(node --version)"
