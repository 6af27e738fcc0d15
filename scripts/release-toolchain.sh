# Sourced by scripts/setup.sh and scripts/build.sh: the toolchain that builds the shipped wasm.
#
# The shipped wasm is built by a pinned nightly with the standard library rebuilt from source
# (`-Z build-std`) and `-C panic=immediate-abort`: a panic becomes a bare `unreachable` trap, so
# the panic machinery and most of `core::fmt` (float printing included) leave the module
# (257 KB → 211 KB raw, 110.9 → 90.8 KB gzip on 2026-11-22). A panic aborted the instance before
# too (`panic = "abort"`); only its message, which nobody could read in wasm, is gone.
# Tests, the mock and the native build stay on stable. When this toolchain cannot be installed,
# build.sh falls back to stable (same code, the bigger module) and says so. POLYJOB_RELEASE_TOOLCHAIN
# overrides the pin (e.g. to try a newer nightly, or a missing one to exercise the fallback).
RELEASE_TOOLCHAIN="${POLYJOB_RELEASE_TOOLCHAIN:-nightly-2026-05-19}"
