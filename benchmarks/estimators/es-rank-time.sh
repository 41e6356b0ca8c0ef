#!/usr/bin/env bash
# Step time of low-rank ES (es-rank=r, docs/METHOD.md §2.2) against full-rank
# ES and LR on the Fashion-MNIST MLP (examples/mlp.mlir), one thread pinned
# to one core, SGD without momentum, B = 64, q = 8 (512 query rows per step):
# the median of --reps timed steps after one warm-up step, per estimator in
# its own flops-bench-train-step process, and its ratio to LR's median
# measured in the same script run.
#
#   benchmarks/estimators/es-rank-time.sh [--build DIR] [--core N]
#                                         [--ranks "1 4"] [--reps R]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
CORE=1
RANKS="1 4"
REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --core) CORE="$2"; shift 2 ;;
    --ranks) RANKS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    *) echo "es-rank-time.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
step_ms() {
  taskset -c "$CORE" "$BUILD/bin/flops-bench-train-step" \
    --model "$ROOT/examples/mlp.mlir" --batch-size 64 --queries 8 \
    --optimizer sgd --momentum 0 --num-threads 1 --reps "$REPS" --warmup 1 \
    "$@" 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["train_step_ms"]["median"])'
}
echo "load: $(uptime)"
lr="$(step_ms --estimator lr)"
echo "lr: step $lr ms"
for r in 0 $RANKS; do
  ms="$(step_ms --estimator es --es-rank "$r")"
  name="es"; [ "$r" = 0 ] || name="es-rank$r"
  /usr/bin/python3 -c "print(f'$name: step $ms ms, {$ms / $lr:.1f}x LR')"
done
echo "load: $(uptime)"
