#!/usr/bin/env bash
# ARM64 (Linux/Android-class aarch64): cross-build libtether and its core and
# C API test suites with Debian's gcc-aarch64-linux-gnu (OpenSSL through
# multiarch, libssl-dev:arm64), check the 16 KB page alignment Android
# requires, and run both suites under qemu-aarch64 against a NATIVE x86-64
# tether-server on 127.0.0.1.
#   ./scripts/cross-arm64.sh
# Builds: ./build (tether-server only, native), ./build-arm64 (the cross tree:
# libtether.so, libtether.a, tether_core_tests, tether_capi_tests, c_chat).
# Environment: TETHER_ARM64_BUILD_DIR, TETHER_NATIVE_BUILD_DIR override the trees.
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"
# shellcheck source=lib/catch_suite.sh
. "$TETHER_ROOT/scripts/lib/catch_suite.sh"

ARM64_BUILD=${TETHER_ARM64_BUILD_DIR:-$TETHER_ROOT/build-arm64}
NATIVE_BUILD=${TETHER_NATIVE_BUILD_DIR:-$TETHER_ROOT/build}
SYSROOT=/usr/aarch64-linux-gnu   # libc6-arm64-cross: the dynamic loader qemu runs
# -L makes qemu run the cross loader (libc6-arm64-cross), but that loader
# still finds libc.so.6 in /lib/aarch64-linux-gnu first: multiarch's libc6:arm64
# (pulled in by libssl3:arm64), a different glibc build. Mixed, pthread_create
# spins forever. LD_LIBRARY_PATH (guest only, -E) keeps loader and libc one pair.
QEMU=(qemu-aarch64 -L "$SYSROOT" -E "LD_LIBRARY_PATH=$SYSROOT/lib")
PAGE_SIZE=16384

# Tests that cannot run under qemu-user, as Catch test-spec exclusions ('~"name"').
# Each says why. (Mono and the other Linux-side suites are not built here at all.)
QEMU_SKIPS=(
)

started_all=$SECONDS
phase() { echo "== arm64: $*"; }

# ---- 1. packages (idempotent) ---------------------------------------------
phase "packages"
# The native server (build/): what scripts/test.sh installs for it.
tether_install_packages cmake make g++ pkg-config libwebsocketpp-dev libasio-dev libssl-dev \
  rapidjson-dev catch2 openssl ccache libhiredis-dev file
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "adding the arm64 architecture (dpkg multiarch)"
  $sudo dpkg --add-architecture arm64
fi
# tether_install_packages runs apt-get update before installing, which fetches
# the arm64 lists. apt keeps libssl-dev:amd64 and :arm64 at the same version
# (it may upgrade the native one to match).
tether_install_packages gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user libssl-dev:arm64

# ---- 2. the native tether-server ------------------------------------------
phase "native tether-server ($NATIVE_BUILD)"
t=$SECONDS
tether_build "$NATIVE_BUILD" --target tether-server
SERVER="$NATIVE_BUILD/bin/tether-server"
[ -x "$SERVER" ] || { echo "error: no $SERVER" >&2; exit 1; }
echo "== arm64: native server built in $((SECONDS - t)) s"

# ---- 3. the cross build ----------------------------------------------------
phase "cross build ($ARM64_BUILD)"
t=$SECONDS
# No server, benchmarks or install rules in the cross tree: the tests run the
# native server (TETHER_SERVER_BINARY_OVERRIDE), and tests/CMakeLists.txt
# then builds the core and C API suites only.
tether_build "$ARM64_BUILD" \
  -DCMAKE_TOOLCHAIN_FILE="$TETHER_ROOT/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DTETHER_BUILD_SERVER=OFF -DTETHER_SERVER_BINARY_OVERRIDE="$SERVER" \
  -DTETHER_BUILD_BENCH=OFF -DTETHER_INSTALL=OFF \
  --target tether --target tether_static --target tether_core_tests --target tether_capi_tests \
  --target tether_capi_layout --target tether_capi_old_abi
echo "== arm64: cross-built in $((SECONDS - t)) s"
BIN="$ARM64_BUILD/bin"
LIB=$(readlink -f "$ARM64_BUILD/src/capi/libtether.so")

# c_chat and tether_capi_exit_live are aarch64 programs that
# tether_capi_tests (itself under qemu) starts with execv. Without
# binfmt_misc the kernel cannot run them, so each becomes a native shell
# wrapper that runs the real one under qemu. A relink (a program newer than
# its sources no longer) writes the ELF again: swap again.
for program in c_chat tether_capi_exit_live; do
  if file -b "$BIN/$program" | grep -q '^ELF'; then
    mv -f "$BIN/$program" "$BIN/$program.aarch64"
  fi
  cat >"$BIN/$program" <<EOF
#!/bin/sh
# Written by scripts/cross-arm64.sh: the aarch64 $program under qemu-user.
exec ${QEMU[*]} "\$(dirname "\$0")/$program.aarch64" "\$@"
EOF
  chmod +x "$BIN/$program"
done

# ---- 4. 16 KB page alignment ----------------------------------------------
phase "page alignment"
check_alignment() {
  local file=$1 aligns
  file -b "$file" | grep -q 'ARM aarch64' || { echo "error: $file is not aarch64" >&2; return 1; }
  aligns=$(aarch64-linux-gnu-readelf -lW "$file" | awk '$1 == "LOAD" { print $NF }')
  [ -n "$aligns" ] || { echo "error: $file: no LOAD segments" >&2; return 1; }
  for a in $aligns; do
    if [ $((a)) -ne $PAGE_SIZE ]; then
      echo "error: $file: a LOAD segment is aligned to $a, not $PAGE_SIZE:" >&2
      aarch64-linux-gnu-readelf -lW "$file" | grep -E 'LOAD|Align' >&2
      return 1
    fi
  done
  echo "$(basename "$file"): $(echo "$aligns" | wc -l) LOAD segments, Align $(echo "$aligns" | sort -u | tr '\n' ' ')"
}
check_alignment "$LIB"
check_alignment "$BIN/tether_core_tests"
check_alignment "$BIN/tether_capi_tests"
check_alignment "$BIN/c_chat.aarch64"
check_alignment "$BIN/tether_capi_exit_live.aarch64"

# ---- 5. the suites under qemu ----------------------------------------------
# Runs a Catch2 binary under qemu with a test spec; sets PASSED and TOTAL.
run_suite() {
  local name=$1 binary=$2 spec=$3
  local args=()
  [ -n "$spec" ] && args=("$spec")
  catch_suite_run "$name [$spec]" "$ARM64_BUILD/qemu-$name-$((++RUNS)).log" \
    env -C "$ARM64_BUILD" "${QEMU[@]}" "$binary" "${args[@]}" || FAILED=1
  PASSED=$CATCH_PASSED TOTAL=$CATCH_TOTAL
}

skips=""
for s in "${QEMU_SKIPS[@]}"; do skips+="~\"$s\""; done
FAILED=0 RUNS=0
phase "tests under qemu-aarch64 (server: $SERVER)"
t=$SECONDS
run_suite core "$BIN/tether_core_tests" "$skips"   # no spec: every non-hidden case, as ctest
core_passed=$PASSED core_total=$TOTAL
capi_passed=0 capi_total=0
# As ctest runs them (tests/capi/CMakeLists.txt): quick, with the server, c_chat.
for spec in "[capi]~[integration]" "[capi][integration]" "[sample]"; do
  run_suite capi "$BIN/tether_capi_tests" "$spec$skips"
  capi_passed=$((capi_passed + PASSED)) capi_total=$((capi_total + TOTAL))
done
for c in tether_capi_layout tether_capi_old_abi; do
  if ! (cd "$ARM64_BUILD" && "${QEMU[@]}" "$BIN/$c") >"$ARM64_BUILD/qemu-$c.log" 2>&1; then
    echo "error: $c failed under qemu:" >&2; cat "$ARM64_BUILD/qemu-$c.log" >&2; FAILED=1
  fi
done
# libtether.so exports tether_* only (the same check as ctest's, on the aarch64 library).
if ! (cd "$ARM64_BUILD" && ctest -R '^capi_exported_symbols$' --output-on-failure) >"$ARM64_BUILD/ctest-exports.log" 2>&1; then
  echo "error: exported-symbol check failed:" >&2; cat "$ARM64_BUILD/ctest-exports.log" >&2; FAILED=1
fi
echo "== arm64: tests took $((SECONDS - t)) s"
if [ ${#QEMU_SKIPS[@]} -gt 0 ]; then
  echo "skipped under qemu: ${QEMU_SKIPS[*]}"
fi
summary="arm64: core $core_passed/$core_total passed, capi $capi_passed/$capi_total passed under qemu-aarch64 (+ C layout and old-ABI consumers, exports); page alignment $PAGE_SIZE ok"
echo "$summary"
echo "== arm64: done in $((SECONDS - started_all)) s"
[ "$FAILED" -eq 0 ] || { echo "arm64: FAILED" >&2; exit 1; }
