#!/usr/bin/env bash
# The allocator experiments of docs/EXPERIMENTS.md ("Query allocators"), on
# the Fashion-MNIST MLP at equal budget (B = 64, N = 512):
#  1. variance: tr Cov of the gradient estimate at a fixed θ (a 2-epoch
#     checkpoint of the uniform LR run), per allocator and seed
#     (flops-allocator-variance: warm-up calls, then repeated estimates);
#  2. accuracy: test accuracy after the same number of epochs, per allocator
#     and seed (flops-train --allocator=...).
# Then prints both tables (mean ± std over seeds) with summarize.py.
#
#   benchmarks/allocators/run.sh [--build DIR] [--epochs E] [--seeds "1 2 3"]
#       [--reps R] [--warmup W] [--out DIR] [--skip-variance] [--skip-accuracy]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
EPOCHS=3
SEEDS="1 2 3"
REPS=200
WARMUP=300
OUT=""
DO_VAR=1
DO_ACC=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --skip-variance) DO_VAR=0; shift ;;
    --skip-accuracy) DO_ACC=0; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/allocator-experiments}"
mkdir -p "$OUT"
ninja -C "$BUILD" flops-train flops-allocator-variance >/dev/null
TRAIN="$BUILD/bin/flops-train"
VAR="$BUILD/bin/flops-allocator-variance"
MODEL="$ROOT/examples/mlp.mlir"
ALLOCATORS="uniform bernoulli gaussian neyman"

if [ "$DO_VAR" = 1 ]; then
  THETA="$OUT/theta-2epochs.safetensors"
  if [ ! -f "$THETA" ]; then
    "$TRAIN" "$MODEL" --epochs=2 --seed=0 --save="$THETA" --progress=false --quiet
  fi
  : >"$OUT/variance.jsonl"
  "$VAR" --params="$THETA" --warmup="$WARMUP" --reps="$REPS" \
    --seeds="$(echo $SEEDS | tr ' ' ,)" >>"$OUT/variance.jsonl"
fi

if [ "$DO_ACC" = 1 ]; then
  for a in $ALLOCATORS; do
    for s in $SEEDS; do
      "$TRAIN" "$MODEL" --allocator="$a" --seed="$s" --epochs="$EPOCHS" \
        --metrics="$OUT/accuracy-$a-seed$s.jsonl" --progress=false --quiet
    done
  done
fi

/usr/bin/env python3 "$ROOT/benchmarks/allocators/summarize.py" "$OUT"
