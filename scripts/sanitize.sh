#!/usr/bin/env bash
# The whole suite (lit + gtest) on a build instrumented with
# AddressSanitizer + UndefinedBehaviorSanitizer (docs/RELIABILITY.md).
#
#   scripts/sanitize.sh            (build dir: build-asan/, or BUILD_DIR)
#
# gcc's -fsanitize=address,undefined on every C/C++ file of the project (the
# tools, the runtime that JIT-compiled code calls, the gtests);
# -fno-sanitize-recover makes any UB report fatal. LLVM/MLIR themselves come
# from Debian uninstrumented. Tests that load our instrumented runtime into
# an uninstrumented program (mlir-runner, python) get the sanitizer runtimes
# preloaded. Leak detection is off: the JIT and MLIR's global registries
# keep memory until exit by design. Ends with "N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="${BUILD_DIR:-$ROOT/build-asan}"
# Packages only: with BUILD_DIR set, bootstrap would otherwise configure the
# sanitized build directory as a normal build.
FLOPS_BOOTSTRAP_NO_BUILD=1 "$ROOT/scripts/bootstrap.sh" >/dev/null
if [[ ! -f "$B/build.ninja" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ "${launcher[@]}" \
    -DFLOPS_ENABLE_SANITIZERS=ON \
    -DFLOPS_BUILD_PYTHON=OFF -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
cmake --build "$B" -j "${JOBS:-$(nproc)}"
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LD_PRELOAD="$(readlink -f "$asan"):$(readlink -f "$ubsan")"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv --time-tests "$B/test" 2>&1 | tee "$log" || status=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
echo "${passed:-0} passed, ${failed:-0} failed (ASan+UBSan)"
exit "$status"
