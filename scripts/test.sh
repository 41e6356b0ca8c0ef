#!/usr/bin/env bash
# Bootstraps if needed, then runs the whole suite (lit tests and the gtest
# cases, through the check-flops target, then the Python package's pytest
# suite, python/tests). Exits non-zero on any failure and ends with a line
# "N passed, N failed" (both suites together). FLOPS_SKIP_PYTHON=1 skips
# the Python suite.
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

# The Python package (built by the CMake build into python_packages).
if [[ "${FLOPS_SKIP_PYTHON:-0}" != 1 ]]; then
  py="$BUILD_DIR/python-venv/bin/python3"
  if ! compgen -G "$BUILD_DIR/python_packages/flops/_flops*.so" >/dev/null; then
    echo "test.sh: the Python extension was not built (see scripts/bootstrap.sh); FLOPS_SKIP_PYTHON=1 skips it" >&2
    status=1
  else
    pylog="$(mktemp)"
    pystatus=0
    FLOPS_BUILD_DIR="$BUILD_DIR" "$py" -m pytest -q -p no:cacheprovider \
      "$ROOT/python/tests" 2>&1 | tee "$pylog" || pystatus=$?
    summary=$(grep -E "( passed| failed| error)" "$pylog" | tail -n 1 || true)
    pp=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || true)
    pf=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || true)
    pe=$(grep -oE '[0-9]+ error' <<<"$summary" | grep -oE '[0-9]+' || true)
    passed=$(( passed + ${pp:-0} ))
    failed=$(( failed + ${pf:-0} + ${pe:-0} ))
    if (( pystatus != 0 )) && [[ -z "$pf$pe" ]]; then failed=$(( failed + 1 )); fi
    if (( pystatus != 0 )); then status=1; fi
    rm -f "$pylog"
  fi
fi
if (( status == 0 && failed > 0 )); then status=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
