#!/usr/bin/env bash
# Socaity SDK conformance: Socaity's own Python SDKs — `socaity` and `fastsdk`, pinned in
# tests/sdk/requirements.txt and installed from PyPI into a venv (target/sdk-venv, reused while the
# pins are unchanged) — run their README flows against the mock (tests/sdk/run.py): run + save the
# audio, submit an image, track a job by id, cancel, stream; fastsdk's connect + submit_job; and the
# catalog's contract against each OpenAPI document. Prints `sdk: N passed, M failed`; exits 1 on a
# failure.
#
# The mock: $POLYJOB_MOCK_URL (loopback) when set (scripts/test.sh sets it), else this script starts
# target/debug/polyjob-mock itself, bounded (--exit-after) and stopped by its PID on exit.
# Needs python3 (3.10+) with venv. Non-interactive (CI=true, no stdin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="${POLYJOB_SDK_VENV:-$root/target/sdk-venv}"
pins="$root/tests/sdk/requirements.txt"
stamp="$venv/.polyjob-sdk-pins"

if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    # Debian's python3 keeps venv/ensurepip in a package of its own.
    echo "installing python3-venv (Debian)"
    sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-venv >/dev/null </dev/null
  fi
  echo "creating the SDK venv at $venv"
  python3 -m venv "$venv"
fi
if ! cmp -s "$pins" "$stamp" 2>/dev/null; then
  echo "installing the pinned Socaity SDKs into $venv"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --no-input --quiet \
    --only-binary=:all: -r "$pins" </dev/null
  cp "$pins" "$stamp"
fi

mock_pid=""
workdir=""
cleanup() {
  if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  [ -n "$workdir" ] && rm -rf "$workdir"
  return 0
}
trap cleanup EXIT

if [ -z "${POLYJOB_MOCK_URL:-}" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  cargo build -q -p polyjob-mock
  workdir=$(mktemp -d)
  target/debug/polyjob-mock --port 0 --port-file "$workdir/port" --exit-after 900 > "$workdir/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 100); do [ -s "$workdir/port" ] && break; sleep 0.1; done
  [ -s "$workdir/port" ] || { echo "mock server did not start"; cat "$workdir/mock.log"; exit 1; }
  export POLYJOB_MOCK_URL="http://127.0.0.1:$(cat "$workdir/port")"
  echo "mock providers server at $POLYJOB_MOCK_URL (pid $mock_pid)"
fi

"$venv/bin/python" tests/sdk/run.py "$@" </dev/null
