# Runs a Catch2 v2 test program (under qemu, wine64 or directly) and reads
# its pass count, for the cross-platform scripts. Source it, then:
#
#   catch_suite_run NAME LOG COMMAND [ARG...]
#
# sets CATCH_PASSED and CATCH_TOTAL and prints "NAME: P/T passed". Returns 1
# (after showing the log's tail) if the program failed or ran no case.
# Catch2 v2 ends with "All tests passed (A assertions in N test cases)" or
# "test cases: N | P passed | F failed"; a Windows program ends lines "\r\n".

catch_suite_run() {
  local name=$1 log=$2 rc=0 summary
  shift 2
  "$@" >"$log" 2>&1 || rc=$?
  summary=$(grep -aE '^(All tests passed|test cases:)' "$log" | tail -n 1 | tr -d '\r' || true)
  CATCH_TOTAL=0 CATCH_PASSED=0
  if [[ $summary == "All tests passed"* ]]; then
    CATCH_TOTAL=$(sed -E 's/.* in ([0-9]+) test cases?\)/\1/' <<<"$summary")
    CATCH_PASSED=$CATCH_TOTAL
  elif [[ $summary == "test cases:"* ]]; then
    CATCH_TOTAL=$(sed -E 's/test cases: *([0-9]+).*/\1/' <<<"$summary")
    CATCH_PASSED=$(sed -nE 's/.*\| *([0-9]+) passed.*/\1/p' <<<"$summary")
    CATCH_PASSED=${CATCH_PASSED:-0}
  fi
  echo "$name: $CATCH_PASSED/$CATCH_TOTAL passed (exit $rc; log $log)"
  if [ "$rc" -ne 0 ] || [ "$CATCH_TOTAL" -eq 0 ]; then
    tail -n 60 "$log" | tr -d '\r' >&2
    return 1
  fi
}
