#!/usr/bin/env bash
# Bootstraps if needed, then runs the whole suite (lit tests and the gtest
# cases, through the check-flops target). Exits non-zero on any failure and
# ends with a line "N passed, N failed".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

"$ROOT/scripts/bootstrap.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cmake --build "$BUILD_DIR" --target check-flops 2>&1 | tee "$log" || status=$?

passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
other=$(sed -n 's/^ *\(Unresolved\|Timed Out\|Unexpectedly Passed\) *: *\([0-9]*\).*/\2/p' "$log" |
        awk '{s += $1} END {print s + 0}')
failed=$(( ${failed:-0} + other ))
if [[ -z "${passed}" ]]; then
  echo "test.sh: the test run did not report results" >&2
  status=1
  passed=0
fi
if (( status == 0 && failed > 0 )); then status=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
