#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest; then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
# suite once more.
#   ./scripts/test.sh                    both passes (./build, ./build-asan)
#   TETHER_SANITIZE=0 ./scripts/test.sh  the plain pass only
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

tether_install_packages "${TETHER_PACKAGES[@]}"

run_pass() {
  local name=$1 build_dir=$2
  shift 2
  echo "== $name: build ($build_dir)"
  local started=$SECONDS
  tether_build "$build_dir" "$@"
  echo "== $name: test (built in $((SECONDS - started)) s)"
  (cd "$build_dir" && ctest --output-on-failure --timeout 600 -j 2)
}

run_pass "plain" "$TETHER_ROOT/build"
if [ "${TETHER_SANITIZE:-1}" != 0 ]; then
  # Benchmarks measure nothing useful under sanitizers.
  # Debug (-O0) compiles much faster, and the tests are short.
  run_pass "asan+ubsan" "$TETHER_ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=ON -DTETHER_BUILD_BENCH=OFF
fi
