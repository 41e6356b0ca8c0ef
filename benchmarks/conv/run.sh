#!/usr/bin/env bash
# Convolutional networks: ONNX Runtime's forward against our compiled
# forward and our forward-only training step, on the same models (ONNX
# exports from PyTorch, imported with flops-import-onnx) and input shapes.
# See docs/BENCHMARKS.md ("Convolutional networks").
#
#   benchmarks/conv/run.sh [options]
#     --build DIR       build directory with bin/flops-bench-train-step and
#                       bin/flops-import-onnx (default: build)
#     --no-build        do not run ninja on DIR first
#     --models "..."    any of cnn resnet18 mobilenet_v2 (default: all three)
#     --threads "1 2"   thread counts (default "1 2"); 1 thread runs pinned
#                       to core --core, 2 threads to cores 0,1 (taskset)
#     --core N          the core of the one-thread runs (default 1)
#     --rounds N        ORT and ours alternate N times per model and thread
#                       count; the table reports medians over rounds
#                       (default 3)
#     --reps N          timed calls per run (default 20)
#     --forward-only "..."  models whose train step is not compiled (only
#                       the forward is timed; default: none)
#     --cpu-options S   extra flops-lower-to-cpu options for our side
#     --out DIR         results (default DIR/bench-conv): the exported and
#                       imported models, one JSON line per run in
#                       results.jsonl, the table in table.md
#
# ONNX Runtime comes from PyPI into a virtual environment the script creates
# (DIR/ort-venv, --system-site-packages so that Debian's torch, torchvision
# and onnx are visible for the export); nothing is installed system-wide.
# Rows: cnn 512 (examples/cnn.mlir, 64 points x 8 queries; ORT runs its
# PyTorch twin), resnet18 and mobilenet_v2 64 (16 points x 4 queries).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
DO_BUILD=1
MODELS="cnn resnet18 mobilenet_v2"
THREADS="1 2"
CORE=1
ROUNDS=3
REPS=20
FWD_ONLY=""
CPU_OPTIONS=""
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --models) MODELS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --core) CORE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --forward-only) FWD_ONLY="$2"; shift 2 ;;
    --cpu-options) CPU_OPTIONS="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/bench-conv}"
SYSPY=/usr/bin/python3
VENV="$BUILD/ort-venv"
HERE="$ROOT/benchmarks/conv"

if [ "$DO_BUILD" = 1 ]; then
  ninja -C "$BUILD" -j2 flops-bench-train-step flops-import-onnx
fi
for t in flops-bench-train-step flops-import-onnx; do
  [ -x "$BUILD/bin/$t" ] || { echo "run.sh: $BUILD/bin/$t not built" >&2; exit 1; }
done

# ONNX Runtime in a virtual environment (idempotent).
if ! "$VENV/bin/python" -c "import onnxruntime" 2>/dev/null; then
  "$SYSPY" -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install --quiet onnxruntime
fi

# Models: export (PyTorch -> ONNX) and import (ONNX -> MLIR), once.
mkdir -p "$OUT"
for m in $MODELS; do
  [ -f "$OUT/$m.onnx" ] || "$SYSPY" "$HERE/export.py" "$OUT" "$m" >/dev/null
  [ -f "$OUT/$m.mlir" ] || "$BUILD/bin/flops-import-onnx" "$OUT/$m.onnx" -o "$OUT/$m.mlir"
done

RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "load before: $(uptime)" | tee "$OUT/load.txt"
for t in $THREADS; do
  if [ "$t" = 1 ]; then PIN="$CORE"; else PIN="0-$((t - 1))"; fi
  for m in $MODELS; do
    case "$m" in
      cnn) B=64; Q=8; OURS="$ROOT/examples/cnn.mlir" ;;
      *) B=16; Q=4; OURS="$OUT/$m.mlir" ;;
    esac
    ROWS=$((B * Q))
    EXTRA=()
    [[ " $FWD_ONLY " == *" $m "* ]] && EXTRA+=(--forward-only)
    [ -n "$CPU_OPTIONS" ] && EXTRA+=("--cpu-options=$CPU_OPTIONS")
    for r in $(seq 1 "$ROUNDS"); do
      o=$(taskset -c "$PIN" "$VENV/bin/python" "$HERE/ort_bench.py" "$OUT/$m.onnx" \
            --rows "$ROWS" --threads "$t" --reps "$REPS")
      echo "{\"model\": \"$m\", \"threads\": $t, \"round\": $r, \"side\": \"ort\", \"run\": $o}" >> "$RESULTS"
      o=$(taskset -c "$PIN" "$BUILD/bin/flops-bench-train-step" --model "$OURS" \
            --batch-size "$B" --queries "$Q" --num-threads "$t" --reps "$REPS" \
            "${EXTRA[@]}" | tr -d '\n')
      echo "{\"model\": \"$m\", \"threads\": $t, \"round\": $r, \"side\": \"ours\", \"run\": $o}" >> "$RESULTS"
      echo "run.sh: $m, $t thread(s), round $r done" >&2
    done
  done
done
echo "load after: $(uptime)" | tee -a "$OUT/load.txt"
"$SYSPY" "$HERE/summarize.py" "$RESULTS" | tee "$OUT/table.md"
