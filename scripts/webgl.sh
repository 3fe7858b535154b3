#!/usr/bin/env bash
# The browser test (issue 13): the C API built for the browser with
# Emscripten (build-web/), run by headless Chromium against a real
# tether-server on 127.0.0.1 (and a second one with TLS, for wss://).
# Installs emscripten and chromium if missing,
# builds what is missing or stale (the native server, token tool and c_chat
# in ./build, the wasm in ./build-web), serves tests/web's page, and drives
# the steps the page asks for: a native client's publish (fan-out) and a
# server restart with --state-file (exactly-once resume). Prints the page's
# result line; exits 0 only if every check passed.
#
# Usage: ./scripts/webgl.sh [--verbose] [--bin-dir DIR]
#   --verbose   print every line the page printed
#   --bin-dir   use tether-server, tether-token and c_chat already built in DIR
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TETHER_ROOT
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

verbose=0
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --verbose) verbose=1 ;;
    --bin-dir) bin_dir=$2; shift ;;
    *) echo "usage: $0 [--verbose] [--bin-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
started=$(date +%s.%N)
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $started" | bc)"; }

# ---- packages and builds ---------------------------------------------------------
TETHER_WEB_PACKAGES=(emscripten chromium rapidjson-dev python3 bc)
tether_install_packages "${TETHER_PACKAGES[@]}" "${TETHER_WEB_PACKAGES[@]}"

if [ -z "$bin_dir" ]; then
  tether_build "$TETHER_ROOT/build" --target tether-server --target tether-token --target tether_c_chat >/dev/null
  bin_dir=$TETHER_ROOT/build/bin
fi

web_dir=$TETHER_ROOT/build-web
# emcc's JavaScript optimizer needs Debian's acorn, which a node that is not
# Debian's (e.g. NodeSource's) does not find by itself.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
build_web() {
  if [ ! -f "$web_dir/CMakeCache.txt" ]; then
    local launcher=()
    if command -v ccache >/dev/null; then
      export CCACHE_BASEDIR="$TETHER_ROOT" CCACHE_NOHASHDIR=1
      launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    emcmake cmake -S "$TETHER_ROOT" -B "$web_dir" -DCMAKE_BUILD_TYPE=Release -Wno-dev "${launcher[@]}" || return 1
  fi
  emmake make -C "$web_dir" -j "$(nproc 2>/dev/null || echo 2)" webgl_test
}
mkdir -p "$web_dir"
build_web >"$web_dir/webgl-build.log" 2>&1 || {
  tail -n 40 "$web_dir/webgl-build.log"
  echo "webgl: the browser build failed (log: $web_dir/webgl-build.log)"
  exit 1
}
echo "webgl: built in $(elapsed)"

# ---- server, page server and browser --------------------------------------------
work=$(mktemp -d)
server_pid="" tls_server_pid="" serve_pid="" browser_pid="" chat_pid=""
cleanup() {
  local status=$?
  for pid in $browser_pid $chat_pid $serve_pid $server_pid $tls_server_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Chromium's helper processes outlive its main one by a moment, writing to the profile.
  for _ in $(seq 1 40); do
    pgrep -f -- "--user-data-dir=$work/profile" >/dev/null || break
    sleep 0.05
  done
  rm -rf "$work" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT

secret="webgl-$RANDOM$RANDOM$RANDOM"
export TETHER_JWT_SECRET=$secret
# A second server with TLS, for wss:// (a self-signed certificate, which the
# browser is told to accept: its own verification is not what is tested).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
"$bin_dir/tether-server" --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  >"$work/tls_server.out" 2>>"$work/tls_server.log" &
tls_server_pid=$!
for _ in $(seq 1 200); do
  grep -q "listening on" "$work/tls_server.out" && break
  sleep 0.05
done
wss_url=$(grep -o "wss://[0-9.:]*" "$work/tls_server.out" | head -n 1 || true)
[ -n "$wss_url" ] || { echo "webgl: tether-server with TLS did not start"; cat "$work/tls_server.log"; exit 1; }

port=0
start_server() {
  : >"$work/server.out"
  "$bin_dir/tether-server" --listen "127.0.0.1:$port" --state-file "$work/state.json" \
    >"$work/server.out" 2>>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$work/server.out" && break
    sleep 0.05
  done
  local line
  line=$(grep "listening on" "$work/server.out" || true)
  [ -n "$line" ] || { echo "webgl: tether-server did not start"; cat "$work/server.log"; exit 1; }
  port=${line##*:}
}
restart_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  start_server
}
start_server
url="ws://127.0.0.1:$port"

token() { "$bin_dir/tether-token" --secret "$1" --sub "$2" --perm 'publish:room:*' --perm 'subscribe:room:*' --ttl-s 600; }
browser_token=$(token "$secret" browser)
forged_token=$(token "not-$secret" browser)  # well formed, signed with another key
chat_token=$(token "$secret" native)

result="$work/result.txt"
: >"$result"
python3 "$TETHER_ROOT/tests/web/serve.py" "$web_dir/web" "$result" "$work/http_port" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 1 100); do [ -s "$work/http_port" ] && break; sleep 0.05; done
page="http://127.0.0.1:$(cat "$work/http_port")/webgl_test.html?url=$url&token=$browser_token&forged=$forged_token&wss=$wss_url"

# Root needs --no-sandbox; the page only talks to loopback.
chromium --headless=new --no-sandbox --ignore-certificate-errors --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$work/profile" "$page" >"$work/browser.log" 2>&1 &
browser_pid=$!

# ---- the steps the page asks for ---------------------------------------------------
fanout_done=0 restart_done=0
for _ in $(seq 1 1200); do  # 60 s
  if [ $fanout_done = 0 ] && grep -q "^webgl: step fanout" "$result"; then
    fanout_done=1
    "$bin_dir/c_chat" --url "$url" --token "$chat_token" --channel room:web --count 2 --timeout-ms 10000 \
      >"$work/c_chat.out" 2>&1 &
    chat_pid=$!
  fi
  if [ $restart_done = 0 ] && grep -q "^webgl: step restart" "$result"; then
    restart_done=1
    sleep 0.2  # some of the page's messages in flight, some still to send
    restart_server
    echo "webgl: server restarted at $(elapsed)"
  fi
  grep -q "^webgl: \(done\|page error\|aborted\)" "$result" && break
  sleep 0.05
done

[ $verbose = 1 ] && sed 's/^/  page: /' "$result"
line=$(grep "^webgl: tls=" "$result" || true)
if [ -z "$line" ]; then
  echo "webgl: no result from the page; it printed:"
  sed 's/^/  page: /' "$result"
  tail -n 20 "$work/browser.log"
  exit 1
fi
echo "$line"
echo "webgl: finished in $(elapsed)"
case "$line" in
  *fail*) [ $verbose = 1 ] || sed 's/^/  page: /' "$result"; exit 1 ;;
esac
