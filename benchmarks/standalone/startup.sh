#!/bin/bash
# Size, dependencies and start-up time of a flops-compile training program
# against flops-train (docs/CLI.md, "flops-compile"). Start-up = the wall
# time of a whole run that trains nothing (--epochs 0: reading 256 + 64 rows
# of .npy, initialisation, one test evaluation), so it is dominated by what happens before the first
# step. flops-train is timed with a warm compile cache (compile time
# excluded: the cached object is linked) and with --no-cache (included);
# the program's "included" adds flops-compile's own time.
#
#   benchmarks/standalone/startup.sh [BUILD_DIR] [MODEL] [REPEATS]
set -euo pipefail
BUILD=${1:-build}
MODEL=${2:-examples/mlp.mlir}
REPS=${3:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Small .npy data (256 training, 64 test rows), so that reading Fashion-MNIST's
# gzip files does not hide the start-up.
/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
r = np.random.default_rng(0)
for n, name in ((256, "train"), (64, "test")):
    np.save(f"{sys.argv[1]}/{name}-x.npy", r.random((n, 784), dtype=np.float32))
    np.save(f"{sys.argv[1]}/{name}-y.npy", r.integers(0, 10, n))
PY
DATA="--train-npy $T/train-x.npy --train-labels $T/train-y.npy --test-npy $T/test-x.npy --test-labels $T/test-y.npy --epochs 0 --progress=false --quiet"
STEP="--batch-size 64"

now() { date +%s.%N; }
# median of the wall seconds of REPS runs of "$@"
median() {
  local xs=()
  for _ in $(seq "$REPS"); do
    local t0 t1
    t0=$(now); "$@" > /dev/null 2>&1; t1=$(now)
    xs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')")
  done
  printf '%s\n' "${xs[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'
}

echo "load: $(uptime | sed 's/.*load average/load average/')"
echo "model: $MODEL ($STEP, 1 thread), $REPS runs each, medians"
t0=$(now)
"$BUILD/bin/flops-compile" "$MODEL" -o "$T/train" $STEP --train-npy "$T/train-x.npy" --train-labels "$T/train-y.npy"
t1=$(now)
compile=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')

echo
echo "== sizes (bytes)"
printf "%-44s %12s\n" "compiled program" "$(stat -c %s "$T/train")"
printf "%-44s %12s\n" "flops-train" "$(stat -c %s "$BUILD/bin/flops-train")"
libs=$(ldd "$BUILD/bin/flops-train" | awk '/=>/ {print $3}')
total=$(stat -c %s "$BUILD/bin/flops-train")
for l in $libs; do
  s=$(stat -L -c %s "$l"); total=$((total + s))
  case "$l" in *MLIR*|*LLVM*|*Flops*) printf "%-44s %12s\n" "  + $(basename "$l")" "$s";; esac
done
printf "%-44s %12s\n" "flops-train + all its shared libraries" "$total"

echo
echo "== shared-library dependencies of the compiled program (ldd)"
ldd "$T/train" | awk '{print "  " $1}'

echo
echo "== start-up (s, --epochs 0)"
cache="$T/cache"
"$BUILD/bin/flops-train" "$MODEL" $STEP --num-threads 1 --cache-dir "$cache" $DATA
prog=$(median "$T/train" $DATA)
warm=$(median "$BUILD/bin/flops-train" "$MODEL" $STEP --num-threads 1 --cache-dir "$cache" $DATA)
cold=$(median "$BUILD/bin/flops-train" "$MODEL" $STEP --num-threads 1 --no-cache $DATA)
printf "%-52s %8s\n" "compiled program" "$prog"
printf "%-52s %8s\n" "flops-train, compile cache hit (compile excluded)" "$warm"
printf "%-52s %8s\n" "flops-train, --no-cache (compile included)" "$cold"
printf "%-52s %8s\n" "flops-compile (once)" "$compile"
printf "%-52s %8s\n" "flops-compile + compiled program (compile included)" \
  "$(awk -v a="$compile" -v b="$prog" 'BEGIN{printf "%.4f", a+b}')"
awk -v p="$prog" -v w="$warm" -v c="$cold" 'BEGIN{
  printf "ratio flops-train (cache hit) / program: %.1f\n", w/p;
  printf "ratio flops-train (no cache) / program:  %.1f\n", c/p }'
echo "load: $(uptime | sed 's/.*load average/load average/')"
