#!/usr/bin/env bash
# The benchmark command: polyjob beside the JS clients users would pick instead (size, start-up,
# requests and delay, CPU per status update, memory per job, a large file upload vs a plain fetch),
# all in one run against the mock
# providers server on 127.0.0.1, which it starts (bounded by --exit-after) and stops by PID.
# Writes bench/RESULTS.md, bench/results.json, bench/chart.svg and README.md's "Performance"
# section. Benchmarks are not pass/fail: this is not part of scripts/test.sh.
#
#   bash scripts/bench.sh           # full run (~15 min: 1,000 jobs of 1–60 s per strategy, the
#                                   # poll fleet ~6 min, ...)
#   bash scripts/bench.sh --quick   # smoke run (< 5 min): small samples, written to bench/out/quick/,
#                                   # README untouched
# Needs node + npm (anchors, esbuild and Miniflare are installed into bench/ from its lockfile),
# cargo (the mock server), and pkg/ (built with scripts/build.sh when missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
export WRANGLER_SEND_METRICS=false

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    *) echo "usage: bash scripts/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  mock_exit_after=600
  startup_args=(--samples 10 --worker-samples 4)
  jobs_args=(--jobs 100 --min-ms 1000 --max-ms 8000)
  cpu_args=(--bodies 20000 --batch 5000)
  memory_args=(--jobs 2000)
  files_args=(--mb 20 --rounds 3)
  fleet_args=(--buckets 1000:3000:4,3000:10000:4)
  report_args=(--quick)
else
  mock_exit_after=1800
  startup_args=(--samples 40 --worker-samples 15)
  jobs_args=(--jobs 1000 --min-ms 1000 --max-ms 60000)
  cpu_args=(--bodies 100000 --batch 10000)
  memory_args=(--jobs 10000)
  files_args=(--mb 100 --rounds 7)
  # 1–3 s and 3–10 s: 10 jobs per cell; 10–60 s: 6; the 1–10 min bucket is cut to its first
  # 60–300 s with 4 jobs per cell (a 5-minute budget; it runs alongside the other buckets).
  fleet_args=(--buckets 1000:3000:10,3000:10000:10,10000:60000:6,60000:300000:4)
  report_args=()
fi

step() { printf '\n==== %s ====\n' "$*"; }

step "prerequisites"
command -v node >/dev/null || { echo "bench: node is required (>= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "bench: npm is required" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
node_ws=()
[ "$node_major" -lt 22 ] && node_ws=(--experimental-websocket)
if [ ! -d bench/node_modules ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f pkg/package.json ] || [ ! -f pkg/web/polyjob_bg.wasm ]; then
  echo "pkg/ is missing: building it (scripts/setup.sh + scripts/build.sh)"
  bash scripts/setup.sh
  bash scripts/build.sh
fi
cargo build -q -p polyjob-mock --profile mock
mock_bin=target/mock/polyjob-mock

step "start the mock providers server"
workdir=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT
"$mock_bin" --host 127.0.0.1 --port 0 --port-file "$workdir/port" --exit-after "$mock_exit_after" > "$workdir/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do [ -s "$workdir/port" ] && break; sleep 0.1; done
[ -s "$workdir/port" ] || { echo "mock server did not start"; cat "$workdir/mock.log"; exit 1; }
export POLYJOB_MOCK_URL="http://127.0.0.1:$(cat "$workdir/port")"
echo "mock providers server at $POLYJOB_MOCK_URL (pid $mock_pid, exits by itself after ${mock_exit_after} s)"

rm -f bench/out/{size,startup,jobs,cpu,memory,files,poll-fleet}.json
failed=()
# run_step NAME TIMEOUT_SECONDS COMMAND...: a failed or timed-out step is reported, the rest go on.
run_step() {
  local name=$1 limit=$2; shift 2
  step "$name"
  curl -s -o /dev/null -X POST "$POLYJOB_MOCK_URL/__mock/reset" || true
  if ! timeout --kill-after=10 "$limit" "$@"; then
    echo "bench: step '$name' failed or exceeded ${limit} s" >&2
    failed+=("$name")
  fi
}
run_step "1. size (package vs anchors bundled with esbuild)" 180 node bench/size.mjs
run_step "2. start-up (Node fresh processes, workerd via Miniflare)" 300 node bench/startup.mjs "${startup_args[@]}"
run_step "3. requests and delay (adaptive wait, fixed 500 ms poller, realtime, stream)" 900 node "${node_ws[@]}" bench/jobs.mjs "${jobs_args[@]}"
run_step "4. CPU per status update" 300 node --expose-gc bench/cpu.mjs "${cpu_args[@]}"
run_step "5. memory per tracked job" 600 node --expose-gc bench/memory.mjs "${memory_args[@]}"
run_step "6. file upload (a large Blob: polyjob vs a plain fetch of the same FormData)" 300 node --expose-gc bench/files.mjs "${files_args[@]}"
run_step "7. poll fleet for real (provider × bucket × progress shape: polyjob vs fixed loops, deAPI SDK; beside the simulator)" 900 node bench/poll-fleet.mjs "${fleet_args[@]}"

step "report"
node bench/report.mjs "${report_args[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "bench: steps that did not complete: ${failed[*]} (their rows are missing from the report)" >&2
  exit 1
fi
