#!/usr/bin/env bash
# The dedicated long fuzz run: every proptest property of tests/fuzz.rs (every provider parser,
# error bodies, Retry-After and date readers) with POLYJOB_FUZZ_CASES cases each, built with
# optimizations plus overflow checks and debug assertions ([profile.fuzz]).
# Default: 1,200,000 cases per property × 9 properties ≈ 10.8 million cases (~10 min on 2 cores).
# The normal test command runs the same properties with 2,000 cases each.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cases="${POLYJOB_FUZZ_CASES:-1200000}"
props=$(sed -n '/^proptest! {/,/^}/p' tests/fuzz.rs | grep -c '^    fn ' || true)
echo "fuzz: $cases cases per property, $props properties → $((cases * props)) cases"
start=$(date +%s)
POLYJOB_FUZZ_CASES="$cases" cargo test -p polyjob --profile fuzz --test fuzz --test json_differential -- --test-threads=2
echo "fuzz: $((cases * props)) cases passed in $(( $(date +%s) - start )) s"
