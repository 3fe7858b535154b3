#!/usr/bin/env bash
# The soak (not part of scripts/test.sh): 200 clients through the C API with
# reconnect churn through the fault proxy (resets, FINs, black holes, 1-byte
# segments, clients replaced) and steady publish traffic, against a
# tether-server started here. Every sample interval it prints the RSS and
# open descriptors of the server and of the client process; it passes when,
# after the warm-up, RSS grows by less than 1% per 10 minutes and, once the
# churn stops, both hold the descriptors they held at the start.
#   ./scripts/soak.sh [MINUTES]              default 30, one sample a minute
#   ./scripts/soak.sh 3 --sample-seconds 20  a short check
#   other options, passed on: --warmup-minutes W (default: two thirds of the
#   run, at most 20: each client's buffers grow to their high-water marks as
#   faults and replacements reach it, which takes about 20 minutes with 200),
#   --clients N (200), --rate R (publishes per client per second, 2),
#   --fault-seconds F (a proxy fault every F s, 0.5), --churn-seconds C (a
#   client replaced every C s, 3), --faults reset,fin,blackhole,segments
#   TETHER_BUILD_DIR=DIR ./scripts/soak.sh   build there instead of ./build
# Exit code 0: passed. The server's log stays in the scratch dir on failure.
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

minutes=30
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then minutes=$1; shift; fi
case "$minutes" in
  ''|*[!0-9.]*) echo "usage: $0 [MINUTES] [--sample-seconds S] [--warmup-minutes W] [--clients N] [--rate R]" >&2; exit 2 ;;
esac
build_dir=${TETHER_BUILD_DIR:-$TETHER_ROOT/build}

tether_install_packages cmake make g++ libwebsocketpp-dev libasio-dev libssl-dev rapidjson-dev catch2 openssl ccache
echo "== soak: build ($build_dir)"
tether_build "$build_dir" --target tether-server --target tether_chaos_soak

scratch=$(mktemp -d "${TMPDIR:-/tmp}/tether-soak.XXXXXX")
server_pid=""
finish() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true  # exits within its 1.5 s shutdown grace
  fi
}
trap finish EXIT

# A fresh secret for this run; tether-server and the driver both read it here.
TETHER_JWT_SECRET=$(openssl rand -hex 32)
export TETHER_JWT_SECRET
: >"$scratch/server.out"
# Short resume TTL and idle timeout: sessions of replaced clients and links
# that were black-holed end within the warm-up, so what is left is steady.
"$build_dir/bin/tether-server" --listen 127.0.0.1:0 --resume-ttl-ms 10000 --idle-timeout-ms 20000 \
  >"$scratch/server.out" 2>"$scratch/server.log" &
server_pid=$!
port=""
for _ in $(seq 300); do  # up to 30 s for the startup line
  port=$(sed -n 's/.* listening on ws:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$scratch/server.out" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "soak: tether-server did not start; log: $scratch/server.log" >&2
  exit 1
fi

echo "== soak: $minutes minutes against tether-server pid $server_pid port $port"
status=0
"$build_dir/bin/tether_chaos_soak" --server-port "$port" --server-pid "$server_pid" --minutes "$minutes" "$@" ||
  status=$?
if [ "$status" -eq 0 ]; then
  rm -rf "$scratch"
else
  echo "soak: failed; server log: $scratch/server.log" >&2
fi
exit "$status"
