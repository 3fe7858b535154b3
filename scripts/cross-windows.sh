#!/usr/bin/env bash
# Windows x64: cross-builds tether.dll + tether.lib (mingw-w64, POSIX
# threads, runtime linked statically), the core and C API Catch suites, the
# C consumers, c_chat.exe and tls_trust.exe (tests/windows); checks the DLL's
# export and import tables; and runs it all under wine64 (headless) against
# a native Linux tether-server on 127.0.0.1:
#   - the core suite (no sockets) and the C API suite, whose server is run
#     on the Linux side by tether-test-server-agent (tests/support);
#   - the C99 layout and old-ABI consumers;
#   - c_chat over ws:// across a server restart, and over wss://;
#   - tls_trust over wss:// with a CA generated for the run (where trust
#     comes from on Windows).
#
# OpenSSL for mingw is not packaged in Debian: it is built from Debian's own
# source package (a deb-src entry for the same suite, `apt-get source
# openssl`), configured mingw64, static, no tests, and cached in
# build-windows/ (openssl-src/, openssl/), so it is built once.
#
#   ./scripts/cross-windows.sh            # everything
#   TETHER_WIN_STEPS=deps,openssl ./scripts/cross-windows.sh   # a subset
# Steps: deps, openssl, build, check, run.
set -euo pipefail

TETHER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TETHER_ROOT
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"
# shellcheck source=lib/catch_suite.sh
. "$TETHER_ROOT/scripts/lib/catch_suite.sh"

WIN_BUILD="${TETHER_WIN_BUILD:-$TETHER_ROOT/build-windows}"
NATIVE_BUILD="${TETHER_NATIVE_BUILD:-$TETHER_ROOT/build}"
OPENSSL_SRC="$WIN_BUILD/openssl-src"
OPENSSL_PREFIX="$WIN_BUILD/openssl"
STEPS="${TETHER_WIN_STEPS:-deps,openssl,build,check,run}"
MINGW=x86_64-w64-mingw32
export WINEDEBUG=-all
export WINEPREFIX="$WIN_BUILD/wineprefix"
export WINEARCH=win64

# Debian's wine64 package installs wine64 and wineserver under /usr/lib/wine
# (/usr/bin/wine64 comes with the "wine" package, which needs i386).
PATH="$PATH:/usr/lib/wine"
export PATH
step() { [[ ",$STEPS," == *",$1,"* ]]; }
log() { echo "cross-windows: $*"; }
now() { date +%s; }
T0=$(now)

# The cross toolchain (POSIX thread model: Asio and the engine use
# std::thread), wine64 for running, dpkg-dev for `apt-get source`.
WINDOWS_PACKAGES=(
  gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
  wine64
  dpkg-dev perl make
)

root_cmd() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "error: need root (or sudo) for: $*" >&2; return 1; fi
}

# A deb-src entry for the suites the deb entries already use (deb822 or
# one-line format), so `apt-get source` fetches Debian's own package.
ensure_deb_src() {
  local has_src=0
  if grep -qsE '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null ||
     grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; then
    has_src=1
  fi
  [ "$has_src" = 1 ] && return 0
  local target=/etc/apt/sources.list.d/tether-deb-src.sources
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    # deb822: copy every enabled "Types: deb" stanza with Types: deb-src.
    local tmp
    tmp=$(mktemp)
    local files
    mapfile -t files < <(grep -lE '^[[:space:]]*Types:' /etc/apt/sources.list.d/*.sources)
    awk 'BEGIN{RS=""; ORS="\n\n"}
         /(^|\n)[[:space:]]*Types:[[:space:]]*deb([[:space:]]|$)/ && !/(^|\n)[[:space:]]*Enabled:[[:space:]]*no/ {
           sub(/Types:[[:space:]]*deb/, "Types: deb-src"); print }' \
      "${files[@]}" >"$tmp"
    root_cmd install -m 0644 "$tmp" "$target"
    rm -f "$tmp"
  else
    local tmp
    tmp=$(mktemp)
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      grep -v 'packages.cloud.google.com' | sed -E 's/^([[:space:]]*)deb[[:space:]]/\1deb-src /' >"$tmp"
    root_cmd install -m 0644 "$tmp" /etc/apt/sources.list.d/tether-deb-src.list
    rm -f "$tmp"
  fi
  log "added deb-src entries; apt-get update"
  root_cmd env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
}

# As tether_install_packages, but waits for another apt-get's lock.
install_windows_packages() {
  local missing
  missing=$(tether_missing_packages "$@")
  [ -z "$missing" ] && return 0
  log "installing: $missing"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
  # shellcheck disable=SC2086
  root_cmd "${apt[@]}" update -qq && root_cmd "${apt[@]}" install -y -qq --no-install-recommends $missing
}

if step deps; then
  install_windows_packages "${TETHER_PACKAGES[@]}" "${WINDOWS_PACKAGES[@]}"
  if [ ! -f "$OPENSSL_SRC/Configure" ]; then
    ensure_deb_src
    tmp="$WIN_BUILD/openssl-download"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # The installed libssl-dev's version first, then every version the
    # suites list, newest first: a mirror may lack one (a 404 on the newest
    # security update was seen), and any of them is Debian's own source.
    versions=$(
      dpkg-query -W -f='${Version}\n' libssl-dev 2>/dev/null || true
      apt-cache showsrc openssl 2>/dev/null | sed -n 's/^Version: //p' | sort -u -r -V
    )
    versions=$(awk '!seen[$0]++' <<<"$versions")  # libssl-dev:amd64 and :arm64 agree
    got=0
    for ver in $versions; do
      if (cd "$tmp" && apt-get source -qq "openssl=$ver" >/dev/null 2>"$tmp.err"); then got=1; break; fi
      log "apt-get source openssl=$ver failed: $(grep -m1 '^E:' "$tmp.err" || true)"
      rm -rf "${tmp:?}"/*
    done
    rm -f "$tmp.err"
    [ "$got" = 1 ] || { echo "error: apt-get source openssl failed for every version" >&2; exit 1; }
    src=$(find "$tmp" -maxdepth 1 -mindepth 1 -type d -name 'openssl-*' | head -n1)
    if [ -z "$src" ] || [ ! -f "$src/Configure" ]; then echo "error: apt-get source openssl gave no tree" >&2; exit 1; fi
    rm -rf "$OPENSSL_SRC"
    mv "$src" "$OPENSSL_SRC"
    ls "$tmp"/*.dsc >"$OPENSSL_SRC/.tether-dsc" 2>/dev/null || true
    rm -rf "$tmp"
    log "OpenSSL source: $(basename "$(cat "$OPENSSL_SRC/.tether-dsc" 2>/dev/null || echo unknown)")"
  fi
fi

# OPENSSLDIR (openssl.cnf, cert.pem, certs\), ENGINESDIR and MODULESDIR are
# where a Windows OpenSSL looks at run time. Left at their defaults (under
# --prefix, a build machine path, which on Windows means that path on the
# current drive, creatable by any user) a local user could plant an
# openssl.cnf that loads an engine DLL or adds trusted CAs (CVE-2019-1552).
# So they point into an admin-only directory, as OpenSSL's own Windows builds
# do. Configure would prefix a "C:/" path with --prefix (not absolute to the
# Linux host), so they are set on make's command line, which overrides the
# Makefile. Tether installs nothing there: on Windows its trust is the
# system ROOT store plus the CA options (src/transport/detail/tls_contexts.cpp).
OPENSSL_WINDOWS_DIR="C:/Program Files/Common Files/SSL"
OPENSSL_CONFIGURE=(mingw64 "--cross-compile-prefix=$MINGW-" no-shared no-tests "--prefix=$OPENSSL_PREFIX" --libdir=lib)
OPENSSL_MAKE_DIRS=("OPENSSLDIR=$OPENSSL_WINDOWS_DIR" "ENGINESDIR=$OPENSSL_WINDOWS_DIR/engines-3"
  "MODULESDIR=$OPENSSL_WINDOWS_DIR/ossl-modules")
if step openssl; then
  stamp="$OPENSSL_PREFIX/.tether-configure"
  if [ -f "$OPENSSL_PREFIX/lib/libssl.a" ] &&
     [ "$(cat "$stamp" 2>/dev/null)" = "${OPENSSL_CONFIGURE[*]} ${OPENSSL_MAKE_DIRS[*]}" ]; then
    log "OpenSSL for mingw64: cached in $OPENSSL_PREFIX"
  else
    t=$(now)
    log "building OpenSSL ($(basename "$(cat "$OPENSSL_SRC/.tether-dsc" 2>/dev/null || echo "?")")) for mingw64, static, no tests, into $OPENSSL_PREFIX"
    rm -rf "$OPENSSL_PREFIX"
    (
      # ccache in masquerade mode: a directory whose x86_64-w64-mingw32-gcc
      # is ccache, first in PATH (ccache drops it to find the real one). The
      # build tree is cached, but a clean clone starts without one: with a
      # warm ccache its OpenSSL build takes about a minute instead of 4-6.
      if command -v ccache >/dev/null; then
        mkdir -p "$WIN_BUILD/ccache-bin"
        ln -sfn "$(command -v ccache)" "$WIN_BUILD/ccache-bin/$MINGW-gcc"
        export PATH="$WIN_BUILD/ccache-bin:$PATH" CCACHE_BASEDIR="$OPENSSL_SRC" CCACHE_NOHASHDIR=1
      fi
      cd "$OPENSSL_SRC"
      if [ -f Makefile ]; then make -s clean >/dev/null 2>&1 || true; fi
      # x86_64-w64-mingw32-gcc is the -posix compiler (the alternative the
      # package sets up); OpenSSL uses Windows threads either way.
      ./Configure "${OPENSSL_CONFIGURE[@]}" >/dev/null
      # The libraries and their headers only: no apps, docs or tests.
      make -s -j "$(nproc 2>/dev/null || echo 2)" "${OPENSSL_MAKE_DIRS[@]}" build_libs >"$WIN_BUILD/openssl-build.log" 2>&1 ||
        { tail -n 30 "$WIN_BUILD/openssl-build.log"; exit 1; }
      make -s "${OPENSSL_MAKE_DIRS[@]}" install_dev >/dev/null
    )
    echo "${OPENSSL_CONFIGURE[*]} ${OPENSSL_MAKE_DIRS[*]}" >"$stamp"
    # grep without -q: reading to the end, strings gets no SIGPIPE (pipefail).
    strings -a "$OPENSSL_PREFIX/lib/libcrypto.a" | grep -F "OPENSSLDIR: \"$OPENSSL_WINDOWS_DIR\"" >/dev/null ||
      { echo "error: OpenSSL's OPENSSLDIR is not $OPENSSL_WINDOWS_DIR" >&2; exit 1; }
    log "OpenSSL built in $(( $(now) - t ))s"
  fi
fi

# Header-only dependencies from the build machine (Debian's asio,
# websocketpp, rapidjson, catch2), staged alone: /usr/include itself on the
# include path would shadow the mingw C library's headers with glibc's.
stage_host_headers() {
  local dir="$WIN_BUILD/host-headers"
  mkdir -p "$dir/include" "$dir/cmake"
  local name
  for name in asio asio.hpp websocketpp rapidjson catch2; do
    [ -e "/usr/include/$name" ] || { echo "error: /usr/include/$name missing" >&2; return 1; }
    ln -sfn "/usr/include/$name" "$dir/include/$name"
  done
  # find_package(RapidJSON) and find_package(Catch2) get these configs, not
  # Debian's (whose include directory is /usr/include). Catch.cmake
  # (catch_discover_tests) is Debian's own, run through the emulator (wine64).
  cat >"$dir/cmake/RapidJSONConfig.cmake" <<CONFIG
set(RAPIDJSON_INCLUDE_DIRS "$dir/include")
set(RapidJSON_INCLUDE_DIRS "$dir/include")
CONFIG
  cat >"$dir/cmake/Catch2Config.cmake" <<CONFIG
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$dir/include")
endif()
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)
CONFIG
}

# A headless wine prefix of this script's own: no Mono or Gecko installers,
# no display. The build needs it too: catch_discover_tests lists the core
# suite's cases by running it under wine64.
export WINEDLLOVERRIDES="mscoree,mshtml="
ensure_wine_prefix() {
  [ -f "$WINEPREFIX/system.reg" ] && return 0
  local t
  t=$(now)
  mkdir -p "$WIN_BUILD"
  wine64 wineboot --init >/dev/null 2>&1 || true
  wineserver -w 2>/dev/null || true
  log "wine prefix created in $(( $(now) - t ))s ($WINEPREFIX)"
}

# What is built for Windows: the DLL, c_chat, the C consumers, and the core
# and C API suites. The server (and hiredis), the other samples, the bench
# and the other suites stay on Linux; the C API suite reaches the Linux
# tether-server through tether-test-server-agent (tests/support).
WIN_TARGETS=(tether tether_c_chat tether_core_tests tether_capi_tests tether_capi_layout tether_capi_old_abi
  tether_capi_exit_live)
WIN_CMAKE="$WIN_BUILD/tether"
if step build; then
  t=$(now)
  stage_host_headers
  ensure_wine_prefix
  launcher=()
  if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR="$TETHER_ROOT" CCACHE_NOHASHDIR=1
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # TETHER_SERVER_BINARY_OVERRIDE only names the server: on Windows the
  # agent runs the native one it was given (server_process.h).
  cmake -S "$TETHER_ROOT" -B "$WIN_CMAKE" \
    -DCMAKE_TOOLCHAIN_FILE="$TETHER_ROOT/cmake/toolchains/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Release \
    -DOPENSSL_ROOT_DIR="$OPENSSL_PREFIX" \
    -DRapidJSON_DIR="$WIN_BUILD/host-headers/cmake" \
    -DCatch2_DIR="$WIN_BUILD/host-headers/cmake" \
    -DTETHER_ASIO_INCLUDE_DIR="$WIN_BUILD/host-headers/include" \
    -DTETHER_WEBSOCKETPP_INCLUDE_DIR="$WIN_BUILD/host-headers/include" \
    -DTETHER_BUILD_TESTS=ON -DTETHER_SERVER_BINARY_OVERRIDE=tether-server \
    -DTETHER_BUILD_BENCH=OFF -DTETHER_BUILD_SERVER=OFF \
    -DTETHER_BUILD_SAMPLES=ON -DTETHER_BUILD_STATIC=OFF -DTETHER_INSTALL=OFF \
    "${launcher[@]}" >"$WIN_BUILD/cmake-configure.log" ||
    { cat "$WIN_BUILD/cmake-configure.log"; exit 1; }
  targets=()
  for target in "${WIN_TARGETS[@]}"; do targets+=(--target "$target"); done
  cmake --build "$WIN_CMAKE" -j "$(nproc 2>/dev/null || echo 2)" "${targets[@]}"
  # What ships: no symbol tables (the static C++ runtime and OpenSSL made it 10 MB).
  "$MINGW-strip" --strip-unneeded "$WIN_CMAKE/bin/tether.dll"
  # tls_trust.exe: the Windows trust check (tests/windows/tls_trust.c).
  "$MINGW-gcc-posix" -std=c99 -O2 -Wall -Wextra -Werror -I"$TETHER_ROOT/include" \
    "$TETHER_ROOT/tests/windows/tls_trust.c" -o "$WIN_CMAKE/bin/tls_trust.exe" \
    "$WIN_CMAKE/src/capi/tether.lib" -lcrypt32 -static-libgcc
  log "built in $(( $(now) - t ))s: $(cd "$WIN_CMAKE/bin" && ls ./*.dll ./*.exe | tr '\n' ' ')"
fi

BIN="$WIN_CMAKE/bin"
EXPORTS_SUMMARY="" IMPORTS_SUMMARY=""
if step check; then
  dump=$("$MINGW-objdump" -p "$BIN/tether.dll")
  # The export table: the names after "[Ordinal/Name Pointer] Table".
  exports=$(awk '/\[Ordinal\/Name Pointer\] Table/{on=1; next} on && /^\t\[/{print $NF; next} on && !/^\t\[/{on=0}' <<<"$dump")
  imports=$(sed -n 's/^[[:space:]]*DLL Name: //p' <<<"$dump" | sort -u)
  n_exports=$(grep -c . <<<"$exports" || true)
  others=$(grep -v '^tether_' <<<"$exports" || true)
  echo "tether.dll exports ($n_exports):"
  sed 's/^/  /' <<<"$exports"
  echo "tether.dll imports:"
  sed 's/^/  /' <<<"$imports"
  [ "$n_exports" -gt 0 ] || { echo "error: tether.dll exports nothing" >&2; exit 1; }
  [ -z "$others" ] || { echo "error: tether.dll exports more than tether_*: $others" >&2; exit 1; }
  # Exactly the functions tether.h declares (TETHER_API ... tether_x().
  declared=$(grep -oE '^TETHER_API[^(]*\btether_[a-z0-9_]+\(' "$TETHER_ROOT/include/tether/tether.h" |
    grep -oE 'tether_[a-z0-9_]+\($' | tr -d '(' | sort -u)
  if [ "$(sort -u <<<"$exports")" != "$declared" ]; then
    echo "error: tether.dll's exports differ from tether.h's declarations:" >&2
    diff <(sort -u <<<"$exports") <(echo "$declared") >&2 || true
    exit 1
  fi
  # System DLLs only: the mingw runtime (libgcc, libstdc++, winpthread) is
  # linked in, so no libgcc_s_seh-1.dll, libstdc++-6.dll, libwinpthread-1.dll.
  system_dlls='^(kernel32|ws2_32|mswsock|crypt32|advapi32|user32|bcrypt|msvcrt|ucrtbase|ntdll|secur32|iphlpapi|api-ms-win-.*)\.dll$'
  foreign=$(tr '[:upper:]' '[:lower:]' <<<"$imports" | grep -Ev "$system_dlls" || true)
  [ -z "$foreign" ] || { echo "error: tether.dll imports non-system DLLs: $foreign" >&2; exit 1; }
  for exe in c_chat.exe tls_trust.exe; do
    exe_foreign=$("$MINGW-objdump" -p "$BIN/$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '[:upper:]' '[:lower:]' |
      grep -Ev "$system_dlls|^tether\.dll$" || true)
    [ -z "$exe_foreign" ] || { echo "error: $exe imports $exe_foreign" >&2; exit 1; }
  done
  EXPORTS_SUMMARY="tether.dll exports $n_exports tether_* only (all tether.h declares)"
  IMPORTS_SUMMARY="imports system DLLs only ($(tr '\n' ' ' <<<"$imports" | sed 's/ $//'))"
  log "$EXPORTS_SUMMARY; $IMPORTS_SUMMARY"
fi

RUN_SUMMARY=""
if step run; then
  # The native server and token tool: from build/ (built here if missing),
  # copied so another build of build/ cannot change them under the run.
  if [ ! -x "$NATIVE_BUILD/bin/tether-server" ] || [ ! -x "$NATIVE_BUILD/bin/tether-token" ]; then
    tether_build "$NATIVE_BUILD" --target tether-server --target tether-token >/dev/null
  fi
  work="$WIN_BUILD/run"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$NATIVE_BUILD/bin/tether-server" "$NATIVE_BUILD/bin/tether-token" "$work/"
  server_pids=()
  cleanup() {
    local pid
    for pid in "${server_pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  }
  trap cleanup EXIT

  ensure_wine_prefix
  # tether.dll beside the programs (bin/), where Windows looks first.

  secret="win-$RANDOM$RANDOM$RANDOM"
  export TETHER_JWT_SECRET=$secret
  start_server() {  # $1 = name, $2 = HOST:PORT, then extra arguments; sets server_url
    local name=$1 listen=$2
    shift 2
    "$work/tether-server" --listen "$listen" "$@" >"$work/$name.out" 2>"$work/$name.log" &
    server_pids+=($!)
    local _
    for _ in $(seq 1 200); do
      grep -q "listening on" "$work/$name.out" && break
      sleep 0.05
    done
    server_url=$(grep -o "wss\?://[0-9.:]*" "$work/$name.out" | head -n 1 || true)
    [ -n "$server_url" ] || { echo "error: tether-server ($name) did not start" >&2; cat "$work/$name.log" >&2; exit 1; }
  }
  token=$("$work/tether-token" --secret "$secret" --sub alice --perm 'publish:room:*' --perm 'subscribe:room:*' --ttl-s 600)

  # c_chat.exe: 3 reliable lines, each acked and heard back (it is
  # subscribed to the channel it writes to), per round.
  chat_ok() {  # $1 = output file, $2 = rounds, $3 = reconnects
    local n=$(( 3 * $2 ))
    grep -q "done: $n sent, $n acked, 0 failed, $3 reconnects" "$1" &&
      grep -q 'message on room:chat: {"text":"line 1 of round 1"}' "$1"
  }
  wait_for() {  # $1 = file, $2 = text, $3 = count: up to 30 s
    local _
    for _ in $(seq 1 600); do
      [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -ge "$3" ] && return 0
      sleep 0.05
    done
    return 1
  }
  passed=0 total=0

  # The Catch suites. The C API one asks the agent (a Linux program) for
  # each tether-server it needs; the core one needs none.
  if [ ! -x "$NATIVE_BUILD/bin/tether-test-server-agent" ]; then
    tether_build "$NATIVE_BUILD" --target tether_test_server_agent >/dev/null
  fi
  cp "$NATIVE_BUILD/bin/tether-test-server-agent" "$work/"
  "$work/tether-test-server-agent" --server "$work/tether-server" >"$work/agent.out" 2>"$work/agent.log" &
  server_pids+=($!)
  agent_port=""
  for _ in $(seq 1 200); do
    agent_port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/agent.out")
    [ -n "$agent_port" ] && break
    sleep 0.05
  done
  [ -n "$agent_port" ] || { echo "error: tether-test-server-agent did not start" >&2; cat "$work/agent.log" >&2; exit 1; }
  suites_ok=1
  t=$(now)
  catch_suite_run "core suite under wine64" "$work/core_tests.txt" \
    env -C "$BIN" timeout 600 wine64 ./tether_core_tests.exe || suites_ok=0
  core_result="$CATCH_PASSED/$CATCH_TOTAL"
  passed=$((passed + CATCH_PASSED)); total=$((total + CATCH_TOTAL))
  catch_suite_run "C API suite under wine64" "$work/capi_tests.txt" \
    env -C "$BIN" TETHER_TEST_SERVER_AGENT="$agent_port" timeout 600 wine64 ./tether_capi_tests.exe || suites_ok=0
  capi_result="$CATCH_PASSED/$CATCH_TOTAL"
  passed=$((passed + CATCH_PASSED)); total=$((total + CATCH_TOTAL))
  [ "$suites_ok" = 1 ] || total=$((total + 1))  # a crashed suite counts as a failure
  log "suites: core $core_result, capi $capi_result passed ($(( $(now) - t ))s)"
  consumers=0
  for exe in tether_capi_layout.exe tether_capi_old_abi.exe; do
    total=$((total + 1))
    if (cd "$BIN" && timeout 60 wine64 "./$exe") >"$work/$exe.txt" 2>&1; then
      passed=$((passed + 1)); consumers=$((consumers + 1))
    else
      echo "error: $exe failed under wine64:" >&2; tr -d '\r' <"$work/$exe.txt" >&2
    fi
  done
  log "C consumers (layout, old ABI): $consumers/2 passed"

  start_server ws 127.0.0.1:0
  ws_url=$server_url
  # As tests/capi's [sample] case: the server is killed (SIGKILL) once the
  # first 3 lines are acked and restarted on the same port; c_chat
  # reconnects, joins again and sends its second round.
  t=$(now)
  total=$((total + 1))
  (cd "$BIN" && exec timeout 120 wine64 ./c_chat.exe --url "$ws_url" --token "$token" --channel room:chat \
     --count 3 --reconnects 1 --timeout-ms 30000) >"$work/c_chat_ws.txt" 2>&1 &
  chat_pid=$!
  ws_result="FAILED"
  if wait_for "$work/c_chat_ws.txt" "ack #" 3; then
    kill -KILL "${server_pids[-1]}" 2>/dev/null || true
    wait "${server_pids[-1]}" 2>/dev/null || true
    if wait_for "$work/c_chat_ws.txt" "state: reconnecting" 1; then
      start_server ws-restarted "${ws_url#ws://}"
    fi
  fi
  if wait "$chat_pid" && chat_ok "$work/c_chat_ws.txt" 2 1; then
    ws_result="ok (6 acked, 1 reconnect across a server restart)"; passed=$((passed + 1))
  else
    sed 's/^/  | /' "$work/c_chat_ws.txt"
  fi
  log "c_chat.exe over $ws_url: $ws_result ($(( $(now) - t ))s)"

  # wss://: a CA generated for the run signs the server's certificate.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=Tether Windows test CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$work/server.ext"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
    -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null
  start_server wss 127.0.0.1:0 --tls-cert "$work/server.pem" --tls-key "$work/server.key"
  wss_url=$server_url
  ca_win=$(wine64 winepath.exe -w "$work/ca.pem" 2>/dev/null | tr -d '\r')
  # c_chat has no CA option: OpenSSL's SSL_CERT_FILE names the CA for it.
  t=$(now)
  total=$((total + 1))
  if (cd "$BIN" && SSL_CERT_FILE="$ca_win" timeout 120 wine64 ./c_chat.exe --url "$wss_url" --token "$token" \
        --channel room:chat --count 3 --timeout-ms 20000) >"$work/c_chat_wss.txt" 2>&1 &&
     chat_ok "$work/c_chat_wss.txt" 1 0; then
    wss_result="ok"; passed=$((passed + 1))
  else
    wss_result="FAILED"; sed 's/^/  | /' "$work/c_chat_wss.txt"
  fi
  log "c_chat.exe over $wss_url (CA by SSL_CERT_FILE): $wss_result ($(( $(now) - t ))s)"

  # Where trust comes from on Windows: tls_ca_pem, tls_ca_file, the ROOT store.
  t=$(now)
  # Two processes: the second sees the store without the CA afresh. Between
  # them the user's Root store is emptied in the registry: Wine 8's
  # CertDeleteCertificateFromStore reports success but leaves the entry.
  # (The prefix is this script's own; its user store holds only test CAs.)
  clear_user_root() {
    wine64 reg delete 'HKCU\Software\Microsoft\SystemCertificates\Root\Certificates' /f >/dev/null 2>&1 || true
    wineserver -w 2>/dev/null || true
  }
  clear_user_root
  trust_pass=0 trust_total=0
  for phase in "" removed; do
    [ "$phase" = removed ] && clear_user_root
    # shellcheck disable=SC2086
    (cd "$BIN" && timeout 300 wine64 ./tls_trust.exe "$wss_url" "$token" "$ca_win" $phase) \
      >"$work/tls_trust$phase.txt" 2>&1 || true
    cat "$work/tls_trust$phase.txt"
    line=$(grep -o "[0-9]*/[0-9]* passed" "$work/tls_trust$phase.txt" | tail -n 1 || true)
    [ -n "$line" ] || line="0/$([ -z "$phase" ] && echo 4 || echo 1) passed"
    trust_pass=$((trust_pass + ${line%%/*}))
    line=${line#*/}
    trust_total=$((trust_total + ${line%% *}))
  done
  trust_line="$trust_pass/$trust_total passed"
  log "tls_trust.exe: $trust_line ($(( $(now) - t ))s)"
  passed=$((passed + trust_pass)); total=$((total + trust_total))
  RUN_SUMMARY="core $core_result, capi $capi_result passed, C consumers $consumers/2; c_chat ws ${ws_result%% *}, wss $wss_result; tls trust $trust_line; $passed/$total under wine64"
  cleanup
  trap - EXIT
fi

summary="windows:"
[ -n "$EXPORTS_SUMMARY" ] && summary+=" $EXPORTS_SUMMARY;"
[ -n "$IMPORTS_SUMMARY" ] && summary+=" $IMPORTS_SUMMARY;"
[ -n "$RUN_SUMMARY" ] && summary+=" $RUN_SUMMARY;"
echo "${summary%;} ($(( $(now) - T0 ))s)"
if [ -n "$RUN_SUMMARY" ] && [ "${passed:-0}" -ne "${total:-0}" ]; then exit 1; fi
