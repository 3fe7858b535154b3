#!/usr/bin/env bash
# Builds the core's libFuzzer targets (clang 14, ASan+UBSan, ./build-fuzz)
# and runs each one on a scratch copy of its seed corpus, so the repository
# is never modified. Prints executions, exec/s, coverage and crashes per
# target; exits non-zero if any target crashed (or hung, or ran out of memory).
#   ./scripts/fuzz.sh [SECONDS]    every target for SECONDS each (default 60)
#   ./scripts/fuzz.sh --smoke      what scripts/test.sh runs: 4 s each, plus every regression input
#   FUZZ_TARGETS="frame jwt" ./scripts/fuzz.sh 300    only those targets
#   FUZZ_KEEP=DIR ./scripts/fuzz.sh 600    keep the grown corpora and crash inputs in DIR
#   FUZZ_ARGS="-runs=10000000 -max_len=512" ./scripts/fuzz.sh 20000    more libFuzzer
#     flags: stop at a count of executions, or keep the session targets' scripts
#     short (their inputs cost ~1 ms per KB under ASan, so long ones run few)
# A crash input lands in the scratch dir (printed); once fixed, add it to
# tests/fuzz/regressions/<target>/ so every test run replays it.
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

seconds=60
case "${1:-}" in
  --smoke) seconds=4 ;;
  "") ;;
  *[!0-9]*) echo "usage: $0 [SECONDS | --smoke]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac
targets=${FUZZ_TARGETS:-frame server client jwt state_file}
fuzz_dir="$TETHER_ROOT/tests/fuzz"
build_dir="$TETHER_ROOT/build-fuzz"

tether_install_packages cmake make rapidjson-dev libssl-dev ccache "${TETHER_FUZZ_PACKAGES[@]}"

echo "== fuzz: build ($build_dir)"
started=$SECONDS
build_targets=()
for t in $targets; do build_targets+=(--target "tether_fuzz_$t"); done
# Only the core and the targets: no transport, tests or benchmarks.
tether_build "$build_dir" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DTETHER_FUZZ=ON -DTETHER_BUILD_TRANSPORT=OFF -DTETHER_BUILD_TESTS=OFF -DTETHER_BUILD_BENCH=OFF \
  "${build_targets[@]}"
echo "== fuzz: built in $((SECONDS - started)) s"

if [ -n "${FUZZ_KEEP:-}" ]; then
  scratch=$(mkdir -p "$FUZZ_KEEP" && cd "$FUZZ_KEEP" && pwd)
else
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/tether-fuzz.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
fi

# A leak or an error report must fail the run, not scroll by.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# final_stat NAME LOG: a number from libFuzzer's final stats.
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=()
printf '%-11s %12s %9s %8s %8s %s\n' target executions exec/s cov corpus crashes
for t in $targets; do
  bin="$build_dir/bin/tether_fuzz_$t"
  log="$scratch/$t.log"
  crashes=0

  # Regression inputs first: each is run once, and must pass.
  regressions=("$fuzz_dir/regressions/$t"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" >"$scratch/$t.regressions.log" 2>&1; then
      echo "$t: a regression input fails again; see $scratch/$t.regressions.log" >&2
      grep -m 5 -E 'Running:|ERROR|fuzz check failed|runtime error' "$scratch/$t.regressions.log" >&2 || true
      crashes=$((crashes + 1))
    fi
  fi

  corpus="$scratch/corpus/$t"
  mkdir -p "$corpus" "$scratch/crashes/$t"
  cp -n "$fuzz_dir/corpus/$t"/* "$corpus/" 2>/dev/null || true
  # -timeout: one input taking seconds is a hang; -rss_limit_mb: leaves room on a shared box.
  if ! "$bin" "$corpus" -dict="$fuzz_dir/tether.dict" -max_total_time="$seconds" -print_final_stats=1 \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$scratch/crashes/$t/" ${FUZZ_ARGS:-} >"$log" 2>&1; then
    crashes=$((crashes + 1))
    echo "$t: crashed; input and log in $scratch/crashes/$t/ and $log" >&2
    grep -m 5 -E 'ERROR|fuzz check failed|runtime error|Test unit written' "$log" >&2 || true
  fi
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  corpus_size=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-11s %12s %9s %8s %8s %s\n' "$t" "$(final_stat number_of_executed_units "$log")" \
    "$(final_stat average_exec_per_sec "$log")" "${cov:-?}" "${corpus_size:-?}" "$crashes"
  [ "$crashes" -eq 0 ] || failed+=("$t")
done

if [ "${#failed[@]}" -ne 0 ]; then
  if [ -z "${FUZZ_KEEP:-}" ]; then
    trap - EXIT
    echo "kept $scratch for the crash inputs" >&2
  fi
  echo "== fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== fuzz: passed ($seconds s per target, regression inputs replayed)"
