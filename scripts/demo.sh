#!/usr/bin/env bash
# The main job: a multiplayer lobby that keeps going while the network
# misbehaves. Builds Tether, starts the lobby server on 127.0.0.1, runs bots
# in two rooms, kills and restarts the server mid-run (the bots reconnect
# with jittered backoff and resume), turns on the network simulator for part
# of the run, and checks that no reliable chat line was lost or duplicated.
#
# With --cluster, the same promise across a cluster instead: Redis and two
# tether-server nodes, bots chatting on plain channels in rooms that span both
# nodes, and one node killed with kill -9 mid-run; its bots move to the other
# node and take their sessions over there.
#
# Usage: ./scripts/demo.sh [--cluster] [--short] [--bin-dir DIR]
#   --cluster   the cluster demo (redis-server and tether-server --redis)
#   --short     fewer bots and lines (used by the test suite)
#   --bin-dir   use already built programs from DIR instead of building
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

short=0
cluster=0
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --short) short=1 ;;
    --cluster) cluster=1 ;;
    --bin-dir) bin_dir=$2; shift ;;
    *) echo "usage: $0 [--cluster] [--short] [--bin-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

# ---- --cluster: two nodes over Redis, one of them killed with kill -9 ------------
# (The default demo, below, does not use any of this.)
cluster_pids=()   # redis, nodes and bots: whatever is still running at exit
keep_work=0
cluster_cleanup() {
  for pid in "${cluster_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$keep_work" = 1 ] || rm -rf "$work"
}

# redis-server on a free port of 127.0.0.1, in memory only.
start_redis() {
  for _ in 1 2 3 4 5; do
    redis_port=$((20000 + RANDOM % 40000))
    if (: </dev/tcp/127.0.0.1/$redis_port) 2>/dev/null; then continue; fi  # taken
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
      --daemonize no >"$work/redis.log" 2>&1 &
    redis_pid=$!
    cluster_pids+=("$redis_pid")
    for _ in $(seq 1 200); do
      if grep -q "eady to accept connections" "$work/redis.log"; then
        echo "demo: redis-server on redis://127.0.0.1:$redis_port (in memory: no save, no append-only file)"
        return 0
      fi
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.05
    done
    grep -q "Address already in use" "$work/redis.log" || break  # another race lost: try another port
  done
  echo "demo: redis-server did not start"; cat "$work/redis.log"; exit 1
}

# tether-server NODE_ID on an ephemeral port; sets node_url.
start_node() {
  local id=$1 line=""
  "$bin_dir/tether-server" --listen 127.0.0.1:0 --jwt-secret "$secret" --redis "redis://127.0.0.1:$redis_port" \
    --node-id "$id" >"$work/$id.out" 2>"$work/$id.log" &
  node_pid=$!
  cluster_pids+=("$node_pid")
  for _ in $(seq 1 300); do
    if grep -q "listening on" "$work/$id.out"; then break; fi
    sleep 0.05
  done
  line=$(head -n 1 "$work/$id.out")
  [ -n "$line" ] || { echo "demo: $id did not start"; cat "$work/$id.log"; exit 1; }
  node_url=${line##* }
  echo "demo: $id: $line"
}

# Waits until every bot is chatting (it heard all its room); false if one exited first.
wait_for_chat() {
  local bots=$1
  for _ in $(seq 1 600); do
    [ "$(grep -l ": chatting$" "$work"/bot-*.out 2>/dev/null | wc -l)" -ge "$bots" ] && return 0
    for pid in "${bot_pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
    sleep 0.05
  done
  return 1
}

run_cluster_demo() {
  local rooms per_room lines interval kill_after max_run_ms bots=0 status=0 room i name token
  if [ "$short" = 1 ]; then
    rooms=(Red Blue); per_room=2; lines=20; interval=60; kill_after=0.5; max_run_ms=30000
  else
    rooms=(Red Blue); per_room=3; lines=40; interval=100; kill_after=1.5; max_run_ms=60000
  fi
  work=$(mktemp -d)
  secret="demo-secret-$$-$RANDOM"
  trap cluster_cleanup EXIT

  start_redis
  local node_pids=() node_urls=()
  for id in node1 node2; do
    start_node "$id"
    node_pids+=("$node_pid")
    node_urls+=("$node_url")
  done

  # Every other bot starts on node2, so each room has members on both nodes.
  bot_pids=()
  for room in "${rooms[@]}"; do
    for i in $(seq 1 "$per_room"); do
      name="${room,,}-$i"
      local urls=(--url "node1=${node_urls[0]}" --url "node2=${node_urls[1]}")
      [ $((bots % 2)) = 1 ] && urls=(--url "node2=${node_urls[1]}" --url "node1=${node_urls[0]}")
      token=$("$bin_dir/tether-token" --secret "$secret" --sub "$name" --perm 'publish:room:*' --perm 'subscribe:room:*')
      : >"$work/bot-$name.out"  # before the tail below opens it
      TETHER_TOKEN=$token "$bin_dir/tether-cluster-bot" "${urls[@]}" --name "$name" --room "room:$room" --room-size "$per_room" \
        --lines "$lines" --interval-ms "$interval" --max-run-ms "$max_run_ms" >"$work/bot-$name.out" 2>&1 &
      bot_pids+=($!)
      cluster_pids+=($!)
      bots=$((bots + 1))
      tail -n +1 -f "$work/bot-$name.out" --pid=$! 2>/dev/null | grep --line-buffered -v '^recv \|^summary ' &
    done
  done

  if wait_for_chat "$bots"; then
    sleep "$kill_after"
    echo "demo: ---- kill -9 node1 (pid ${node_pids[0]}): no drain, nothing saved; its bots move to node2 ----"
    kill -9 "${node_pids[0]}"
    wait "${node_pids[0]}" 2>/dev/null || true
  else
    echo "demo: the bots did not all start chatting; node1 stays up"
    status=1
  fi
  for pid in "${bot_pids[@]}"; do wait "$pid" || status=1; done
  sleep 0.2  # let the tails print their last lines
  kill -0 "${node_pids[1]}" 2>/dev/null || { echo "demo: node2 died too"; status=1; }

  # ---- the summary -------------------------------------------------------------------
  cat "$work"/bot-*.out | grep -E '^(summary|recv) ' >"$work/results" || true
  echo "demo: ---- results ----"
  grep '^summary ' "$work/results" | sed 's/^/  /'
  # Which bot missed, repeated or reordered which lines of which sender, by number.
  grep '^recv ' "$work/results" | grep -v ' lost=0 out_of_order=0 unexpected=0$' | sed 's/^/  PROBLEM /' || true
  local verdict
  verdict=$(awk -v bots="$bots" -v lines="$lines" -v per_room="$per_room" '
    function field(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
    function fail(why) { reasons = reasons "demo: FAILED: " why "\n" }
    /^summary / {
      b = field("bot"); N++
      S += field("sent"); F += field("failovers"); resumed += field("resumed"); fresh += field("fresh")
      if (field("done") != 1) fail(b " did not finish (see its lines above)")
      if (field("acked") != field("sent")) fail(b " sent " field("sent") " lines, " field("acked") " acked")
      if (field("complaints") + field("send_errors") > 0) fail(b " was refused or complained (see its lines above)")
      if (field("fresh") > 0) fail(b " got a new session after its node died: its old one was lost")
    }
    /^recv / {
      if (field("from") == field("bot")) {  # its own lines, echoed back
        if (field("lost") + field("dup") > 0) fail(field("bot") " lost or repeated its own echoed lines")
        next
      }
      D += field("unique"); U += field("dup")
      if (field("out_of_order") > 0) fail(field("bot") " got lines of " field("from") " out of order")
      if (field("unexpected") > 0) fail(field("bot") " got unexpected line numbers from " field("from"))
    }
    END {
      if (N < bots) fail((bots - N) " of the " bots " bots printed no summary")
      if (S != bots * lines) fail("the bots sent " S " lines of the " bots * lines " they should have")
      # Every line should reach every other member of its room exactly once.
      L = bots * lines * (per_room - 1) - D
      if (L != 0) fail(L " deliveries missing")
      if (U != 0) fail(U " deliveries repeated")
      if (F == 0) fail("no bot failed over: node1 was not killed mid-run")
      printf "demo: failovers: %d, %d of them sessions taken over on the other node, %d new sessions\n", F, resumed, fresh
      printf "%s", reasons
      printf "demo: cluster nodes=2 bots=%d reliable_sent=%d delivered=%d lost=%d duplicated=%d failovers=%d\n", bots, S, D, L, U, F
      exit reasons == "" ? 0 : 1
    }' "$work/results") || status=1
  if [ "$status" != 0 ]; then
    keep_work=1
    echo "demo: ---- node logs (last lines; all of them in $work) ----"
    for id in node1 node2; do tail -n 20 "$work/$id.log" | sed "s/^/  $id: /"; done
  fi
  printf '%s\n' "$verdict"
  exit $status
}

if [ -z "$bin_dir" ]; then
  tether_install_packages "${TETHER_PACKAGES[@]}"
  echo "== building (first run takes a few minutes)"
  tether_build "$TETHER_ROOT/build" >/dev/null
  bin_dir="$TETHER_ROOT/build/bin"
fi

if [ "$cluster" = 1 ]; then
  run_cluster_demo  # exits
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
