#!/usr/bin/env bash
# The allocator experiments of docs/EXPERIMENTS.md ("Query allocators"), on
# the Fashion-MNIST MLP at equal budget (B = 64, N = 512):
#  1. variance: the noise variance tr Cov(ĝ | batch) of the gradient
#     estimate at several fixed θ along one uniform-LR run (checkpoints after
#     --thetas steps; every option of that run is given here, so the θ do
#     not move with flops-train's defaults), per allocator and noise seed,
#     on fresh batches (flops-allocator-variance: an epoch of warm-up calls,
#     then --reps batches called twice each), with the cosines of the
#     allocators' mean estimates against uniform's;
#  2. accuracy: test accuracy after the same number of epochs, per allocator
#     and seed (flops-train --allocator=...).
# Then prints both tables (mean ± std over seeds) with summarize.py.
#
#   benchmarks/allocators/run.sh [--build DIR] [--epochs E] [--seeds "1 2 3"]
#       [--reps R] [--warmup W] [--thetas "0 300 937 2811"] [--out DIR]
#       [--allocators "uniform bernoulli gaussian neyman"]
#       [--skip-variance] [--skip-accuracy]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
EPOCHS=3
SEEDS="1 2 3"
REPS=200
WARMUP=937
THETAS="0 300 937 2811"
ALLOCATORS="uniform bernoulli gaussian neyman"
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
    --thetas) THETAS="$2"; shift 2 ;;
    --allocators) ALLOCATORS="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --skip-variance) DO_VAR=0; shift ;;
    --skip-accuracy) DO_ACC=0; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/allocator-experiments}"
mkdir -p "$OUT"
if [ -f "$BUILD/build.ninja" ]; then
  ninja -C "$BUILD" flops-train flops-allocator-variance >/dev/null
fi
TRAIN="$BUILD/bin/flops-train"
VAR="$BUILD/bin/flops-allocator-variance"
MODEL="$ROOT/examples/mlp.mlir"
echo "load: $(uptime)" >&2

if [ "$DO_VAR" = 1 ]; then
  # θ_S: the parameters after S steps of this uniform-LR run (S = 0: the He
  # initialisation of seed 0). Every option is explicit.
  : >"$OUT/variance.jsonl"
  for S in $THETAS; do
    THETA="$OUT/theta-$S.safetensors"
    if [ ! -f "$THETA" ]; then
      if [ "$S" = 0 ]; then run=(--epochs=0); else
        run=(--epochs=$(( (S + 936) / 937 )) --max-steps="$S"); fi
      "$TRAIN" "$MODEL" "${run[@]}" --seed=0 --batch-size=64 --queries=8 \
        --estimator=lr --allocator=uniform --optimizer=adam --lr=1e-3 \
        --lr-decay=0.8 --lr-decay-every=1 --sigma=1e-3 --baseline=clean \
        --num-threads=1 --save="$THETA.partial" --progress=false --quiet
      mv "$THETA.partial" "$THETA" # (--save also writes after each epoch)
    fi
    echo "theta-$S: sha256 $(sha256sum "$THETA" | cut -c1-16)" >&2
    "$VAR" --params="$THETA" --theta="$S" --warmup="$WARMUP" --reps="$REPS" \
      --seeds="$(echo $SEEDS | tr ' ' ,)" --allocators="$(echo $ALLOCATORS | tr ' ' ,)" \
      --num-threads=1 >>"$OUT/variance.jsonl"
  done
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
