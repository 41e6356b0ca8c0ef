#!/usr/bin/env bash
# Per-nest profile of a compiled training step (issue 16): compiles MODEL's
# step ahead of time with flops-compile (native CPU, one thread), trains it
# for --steps steps on random data under `perf record` (cpu-clock: CPU-time
# samples, robust to a time-shared core), and groups the samples by the kind
# of loop nest (benchmarks/conv/profile_nests.py; the nests are the
# functions flops-cpu-outline-loop-nests makes, which perf sees by name).
#
#   benchmarks/conv/profile-step.sh [--build DIR] [--model M.mlir]
#       [--shape 3x32x32] [--batch-size 16] [--queries 4] [--steps 40]
#       [--core 0] [--out DIR]
#
# Default: the imported ResNet-18 of run.sh (DIR/bench-conv/resnet18.mlir).
# The samples include the program's start (parameter initialisation:
# flops::rt::normalF32, page faults), listed as "other".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"; MODEL=""; SHAPE="3x32x32"; B=16; Q=4; STEPS=40; CORE=0; OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --model) MODEL="$(realpath -m "$2")"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --batch-size) B="$2"; shift 2 ;;
    --queries) Q="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --core) CORE="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "profile-step.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
MODEL="${MODEL:-$BUILD/bench-conv/resnet18.mlir}"
OUT="${OUT:-$BUILD/bench-conv/profile}"
mkdir -p "$OUT"
[ -f "$MODEL" ] || { echo "profile-step.sh: $MODEL missing (run benchmarks/conv/run.sh first)" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile-step.sh: perf not found" >&2; exit 1; }

"$BUILD/bin/flops-compile" "$MODEL" -o "$OUT/train" --batch-size "$B" --queries "$Q" \
    --target-cpu=native
# The same module after outlining (nest names and bodies).
"$BUILD/bin/flops-opt" "$MODEL" --flops-forward-train="batch-size=$B queries=$Q" -o "$OUT/step.mlir"
"$BUILD/bin/flops-opt" "$OUT/step.mlir" --flops-lower-to-cpu \
    --mlir-print-ir-after=flops-cpu-outline-loop-nests -o /dev/null 2> "$OUT/outlined.mlir"
/usr/bin/python3 - "$OUT" "$SHAPE" "$B" "$STEPS" <<'PY'
import sys, numpy as np
out, shape, b, steps = sys.argv[1], [int(d) for d in sys.argv[2].split("x")], int(sys.argv[3]), int(sys.argv[4])
r = np.random.default_rng(0)
n = b * steps
np.save(out + "/x.npy", r.random((n, *shape), dtype=np.float32))
np.save(out + "/y.npy", r.integers(0, 10, n).astype(np.int64))
np.save(out + "/xt.npy", r.random((b, *shape), dtype=np.float32))
np.save(out + "/yt.npy", r.integers(0, 10, b).astype(np.int64))
PY
echo "load before: $(uptime)"
perf record -F 999 -e cpu-clock -o "$OUT/perf.data" taskset -c "$CORE" "$OUT/train" \
    --train-npy="$OUT/x.npy" --train-labels="$OUT/y.npy" --test-npy="$OUT/xt.npy" \
    --test-labels="$OUT/yt.npy" --epochs 1 --max-steps "$STEPS" --progress=false
echo "load after: $(uptime)"
/usr/bin/python3 "$ROOT/benchmarks/conv/profile_nests.py" "$OUT/perf.data" "$OUT/outlined.mlir"
