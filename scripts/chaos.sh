#!/usr/bin/env bash
# The real-socket chaos tests (tests/chaos) at a size of your choosing: the
# default test run sends 100,000 reliable messages each way through about
# 150 proxy faults; this runs the same tests longer, or repeatedly.
#   ./scripts/chaos.sh [MESSAGES]         messages each way (default 1000000), with
#                                         a proxy fault per 650 of them (150 at least)
#   ./scripts/chaos.sh 300000 --repeat 5  five runs in a row, each with its own seed
#   --seconds S                           give up on a run after S seconds (default 3600)
#   --restart-messages N                  per direction in the SIGTERM/kill -9 tests (20000)
#   TETHER_BUILD_DIR=DIR ./scripts/chaos.sh   build there instead of ./build
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

usage() { echo "usage: $0 [MESSAGES] [--repeat N] [--seconds S] [--restart-messages N]" >&2; exit 2; }
messages=1000000
repeat=1
seconds=3600
restart_messages=20000
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then messages=$1; shift; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=${2:-}; shift 2 || usage ;;
    --seconds) seconds=${2:-}; shift 2 || usage ;;
    --restart-messages) restart_messages=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
for n in "$messages" "$repeat" "$seconds" "$restart_messages"; do
  case "$n" in ''|*[!0-9]*) usage ;; esac
done
build_dir=${TETHER_BUILD_DIR:-$TETHER_ROOT/build}

tether_install_packages cmake make g++ libwebsocketpp-dev libasio-dev libssl-dev rapidjson-dev catch2 openssl ccache
echo "== chaos: build ($build_dir)"
tether_build "$build_dir" --target tether-server --target tether_chaos_tests

for run in $(seq "$repeat"); do
  echo "== chaos: run $run of $repeat: $messages messages each way"
  started=$SECONDS
  TETHER_CHAOS_MESSAGES=$messages TETHER_CHAOS_SECONDS=$seconds TETHER_CHAOS_SEED=$run \
    TETHER_CHAOS_RESTART_MESSAGES=$restart_messages \
    "$build_dir/bin/tether_chaos_tests" "[chaos]"
  echo "== chaos: run $run passed in $((SECONDS - started)) s"
done
