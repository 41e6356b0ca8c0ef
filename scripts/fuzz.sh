#!/usr/bin/env bash
# Coverage-guided fuzzing of FLOPS-MLIR's front doors with libFuzzer under
# AddressSanitizer + UndefinedBehaviorSanitizer (docs/RELIABILITY.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=600] [TARGET...]
#
# SECONDS_PER_TARGET is CPU seconds (user + system) of the fuzzing process,
# not wall time: on a shared machine a target is rerun in chunks
# (FUZZ_CHUNK wall seconds each, default 300, at FUZZ_NICE, default 0)
# until it has used its CPU budget or found a crash.
#
# Targets: npy safetensors idx onnx ir (default: all). Installs clang-22,
# libfuzzer-22-dev and libclang-rt-22-dev if missing, builds the targets in
# build-fuzz/ (FLOPS_ENABLE_LIBFUZZER=ON, everything compiled with
# -fsanitize=fuzzer-no-link,address,undefined), seeds each corpus
# (build-fuzz/corpus/<target>, kept between runs) from the repository's test
# inputs, and runs each target with -max_total_time. Crash inputs land in
# build-fuzz/crashes/<target>/; the script ends with a table (target, CPU
# seconds, wall seconds, executions, corpus size, crashes; FUZZ_SUMMARY
# names its file, default build-fuzz/fuzz-summary.txt) and exits non-zero if any target
# crashed. Reproduce a crash with (RT=$(clang-22 --print-runtime-dir)):
#   LD_PRELOAD=$RT/libclang_rt.asan-x86_64.so LD_LIBRARY_PATH=$RT \
#     build-fuzz/bin/flops-fuzz-<target> FILE
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER="${1:-600}"
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(npy safetensors idx onnx ir)
B="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"

need=()
for p in clang-22 libfuzzer-22-dev libclang-rt-22-dev time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
"$ROOT/scripts/bootstrap.sh" >/dev/null # the other packages; the main build

# clang links its sanitizer runtimes statically into executables only, so our
# shared libraries (linked with -z defs by HandleLLVMOptions) would have
# undefined __asan_*/__sancov_* references: every link uses the shared
# sanitizer runtime (-shared-libsan) instead.
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
if [[ ! -f "$B/build.ninja" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 "${launcher[@]}" \
    -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" \
    -DFLOPS_ENABLE_LIBFUZZER=ON -DFLOPS_BUILD_TESTS=OFF -DFLOPS_BUILD_BENCHMARKS=OFF \
    -DCMAKE_SHARED_LINKER_FLAGS="-shared-libsan -fsanitize=address,undefined" \
    -DCMAKE_EXE_LINKER_FLAGS="-shared-libsan" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
fi
cmake --build "$B" --target $(printf 'flops-fuzz-%s ' "${TARGETS[@]}")

# Seed corpora from the repository (and inputs made here).
mk() { mkdir -p "$B/corpus/$1" "$B/crashes/$1"; }
for t in "${TARGETS[@]}"; do mk "$t"; done
PY=/usr/bin/python3
W="$ROOT/test/Tools/Inputs/write-npy.py"
$PY "$W" "$B/corpus/npy/seed-f4.npy" '<f4' 4,4 1.5
$PY "$W" "$B/corpus/npy/seed-i8.npy" '<i8' 4 1
cp "$ROOT/test/Import/Onnx/Inputs/linear-x.npy" "$B/corpus/npy/seed-linear-x.npy"
"$ROOT/build/bin/flops-run" "$ROOT/test/Tools/Inputs/gen-linear-params.mlir" \
  --output "$B/corpus/safetensors/seed-params.safetensors" >/dev/null
$PY -c "import struct, sys; open(sys.argv[1], 'wb').write(struct.pack('>IIII', 0x803, 2, 3, 3) + bytes(range(18)))" \
  "$B/corpus/idx/seed-images.idx"
cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz "$B/corpus/idx/seed-labels.gz" 2>/dev/null || true
cp "$ROOT"/test/Import/Onnx/Inputs/*.onnx "$B/corpus/onnx/" 2>/dev/null || true
for f in "$ROOT"/test/Tools/Inputs/*.mlir "$ROOT"/examples/*.mlir; do
  cp "$f" "$B/corpus/ir/seed-$(basename "$f")"
done

CHUNK="${FUZZ_CHUNK:-300}"
SUMMARY="${FUZZ_SUMMARY:-$B/fuzz-summary.txt}"
RT="$(clang-22 --print-runtime-dir)" # the shared sanitizer runtime, preloaded
# Artifacts that are failures; libFuzzer's slow-unit-* files (an input that
# took longer than -report_slow_units, e.g. while the process was stopped)
# are kept but are not crashes.
FAIL='^\(crash\|leak\|timeout\|oom\)-'

NICE="${FUZZ_NICE:-0}"
printf '%-12s %9s %9s %12s %8s %8s\n' target cpu_s wall_s execs corpus crashes > "$SUMMARY"
status=0
for t in "${TARGETS[@]}"; do
  log="$B/fuzz-$t.log"
  : > "$log"
  t0=$(date +%s)
  cpu=0 execs=0 rc=0
  # Run chunks until the CPU budget is spent (awk: no bc on a fresh Debian).
  while awk -v c="$cpu" -v b="$SECONDS_PER" 'BEGIN { exit !(c < b) }'; do
    set +e
    LD_PRELOAD="$RT/libclang_rt.asan-x86_64.so" LD_LIBRARY_PATH="$RT" \
      ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 /usr/bin/time -f 'cpu %U %S' -o "$log.time" \
      nice -n "$NICE" "$B/bin/flops-fuzz-$t" "$B/corpus/$t" \
      -max_total_time="$CHUNK" -artifact_prefix="$B/crashes/$t/" \
      -max_len=65536 -print_final_stats=1 >"$log.chunk" 2>&1
    rc=$?
    set -e
    cat "$log.chunk" >> "$log"
    cpu=$(awk -v c="$cpu" '/^cpu/ { c += $2 + $3 } END { print c }' "$log.time")
    e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.chunk" | tail -1)
    execs=$(( execs + ${e:-0} ))
    if ((rc != 0)) || ls "$B/crashes/$t" | grep -q "$FAIL"; then break; fi
  done
  rm -f "$log.time" "$log.chunk"
  crashes=$(ls "$B/crashes/$t" | grep -c "$FAIL" || true)
  corpus=$(ls "$B/corpus/$t" | wc -l)
  secs=$(( $(date +%s) - t0 ))
  printf '%-12s %9.0f %9s %12s %8s %8s\n' "$t" "$cpu" "$secs" "$execs" "$corpus" "$crashes" >> "$SUMMARY"
  if ((rc != 0 || crashes > 0)); then status=1; fi
done
cat "$SUMMARY"
exit $status
