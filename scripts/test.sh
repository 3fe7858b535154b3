#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest.
# Usage: ./scripts/test.sh            (build in ./build)
#        TETHER_SANITIZE=1 ./scripts/test.sh   (ASan+UBSan build in ./build-asan)
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

tether_install_packages "${TETHER_PACKAGES[@]}"

build_dir="$TETHER_ROOT/build"
cmake_args=()
if [ "${TETHER_SANITIZE:-0}" = 1 ]; then
  build_dir="$TETHER_ROOT/build-asan"
  cmake_args+=(-DTETHER_SANITIZE=ON)
fi

echo "== build ($build_dir)"
tether_build "$build_dir" "${cmake_args[@]}"

echo "== test"
cd "$build_dir"
ctest --output-on-failure --timeout 600 -j 2
