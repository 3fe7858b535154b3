#!/usr/bin/env bash
# The main job: a multiplayer lobby that keeps going while the network
# misbehaves. Builds Tether, starts the lobby server on 127.0.0.1, runs bots
# in two rooms, kills and restarts the server mid-run (the bots reconnect
# with jittered backoff and resume), turns on the network simulator for part
# of the run, and checks that no reliable chat line was lost or duplicated.
#
# Usage: ./scripts/demo.sh [--short] [--bin-dir DIR]
#   --short     fewer bots and lines (used by the test suite)
#   --bin-dir   use already built programs from DIR instead of building
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

short=0
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --short) short=1 ;;
    --bin-dir) bin_dir=$2; shift ;;
    *) echo "usage: $0 [--short] [--bin-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$bin_dir" ]; then
  tether_install_packages "${TETHER_PACKAGES[@]}"
  echo "== building (first run takes a few minutes)"
  tether_build "$TETHER_ROOT/build" >/dev/null
  bin_dir="$TETHER_ROOT/build/bin"
fi

if [ "$short" = 1 ]; then
  rooms=(Red); per_room=3; lines=25; interval=80; outage_at=0.8; outage_s=1.0
else
  rooms=(Red Blue); per_room=3; lines=40; interval=120; outage_at=3.0; outage_s=2.0
fi

work=$(mktemp -d)
secret="demo-secret-$$-$RANDOM"
server_pid=""
bot_pids=()
cleanup() {
  for pid in "${bot_pids[@]}" $server_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the server ---------------------------------------------------------------
port=0
start_server() {
  : >"$work/server.out"
  "$bin_dir/tether-lobby-server" --listen "127.0.0.1:$port" --jwt-secret "$secret" \
    --state-file "$work/state.json" --resume-ttl-ms 60000 >"$work/server.out" 2>>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "listening on" "$work/server.out"; then break; fi
    sleep 0.05
  done
  local line
  line=$(head -n 1 "$work/server.out")
  [ -n "$line" ] || { echo "demo: the lobby server did not start"; cat "$work/server.log"; exit 1; }
  port=${line##*:}
  echo "demo: $line"
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

start_server

# ---- the bots -------------------------------------------------------------------
token() {
  "$bin_dir/tether-token" --secret "$secret" --sub "$1" --perm publish:lobby --perm 'publish:room:*'
}
bots=0
for room in "${rooms[@]}"; do
  for i in $(seq 1 "$per_room"); do
    name="$(echo "$room" | tr 'A-Z' 'a-z')-$i"
    args=(--bot --url "ws://127.0.0.1:$port" --token "$(token "$name")" --name "$name" --room "$room"
          --room-size "$per_room" --chat-lines "$lines" --chat-interval-ms "$interval" --max-run-ms 60000)
    [ "$i" = 1 ] && args+=(--create --capacity 4)
    # Bad weather for one bot per room: latency and dropped frames for a while.
    [ "$i" = 2 ] && args+=(--sim-latency-ms 60 --sim-drop-rate 0.05 --sim-from-ms 500 --sim-until-ms 6000)
    "$bin_dir/tether-lobby-client" "${args[@]}" >"$work/bot-$name.out" 2>&1 &
    bot_pids+=($!)
    bots=$((bots + 1))
    # Show the bot's live view as it happens.
    tail -n +1 -f "$work/bot-$name.out" --pid=$! 2>/dev/null | grep --line-buffered -v '^recv \|^summary ' &
  done
done

sleep "$outage_at"
echo "demo: ---- killing the lobby server (SIGTERM; sessions saved to its state file) ----"
stop_server
sleep "$outage_s"
echo "demo: ---- restarting the lobby server on port $port ----"
start_server

status=0
for pid in "${bot_pids[@]}"; do wait "$pid" || status=1; done
bot_pids=()
sleep 0.2  # let the tails print their last lines

# ---- the summary -------------------------------------------------------------------
cat "$work"/bot-*.out | grep -E '^(summary|recv) ' >"$work/results" || true
echo "demo: ---- results ----"
grep '^summary ' "$work/results" | sed 's/^/  /'
awk -v bots="$bots" '
  function field(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
  /^summary / { room = field("room"); S += field("sent"); C += field("reconnects")
                members[room]++; room_sent[room] += field("sent"); if (field("started") == 1) started[room] = 1 }
  /^recv /    { D += field("unique"); U += field("dup") }
  END {
    # Every chat line should reach every member of its room (the sender too) exactly once.
    expected = 0; R = 0; M = 0
    for (r in members) { expected += members[r] * room_sent[r]; R++; if (r in started) M++ }
    L = expected - D
    printf "demo: bots=%d rooms=%d reliable_sent=%d delivered=%d lost=%d duplicated=%d reconnects=%d matches_started=%d\n", bots, R, S, D, L, U, C, M
    exit (L > 0 || U > 0 || M < R || M == 0) ? 1 : 0
  }' "$work/results" || status=1
exit $status
