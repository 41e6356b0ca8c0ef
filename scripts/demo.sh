#!/usr/bin/env bash
# The main job: sets up the project (packages + build), then trains the
# 784-256-256-10 MLP of examples/mlp.mlir forward-only (likelihood-ratio
# estimates from perturbed forward passes, no backpropagation) on
# Fashion-MNIST with flops-train's defaults (batch 64, 8 antithetic queries
# per point, Adam lr 1e-3 decayed x0.8 per epoch, 20 epochs), printing
# progress and the test accuracy of each epoch. Metrics go to build/demo/metrics.jsonl, the trained parameters
# to build/demo/mlp.safetensors. Extra arguments are passed to flops-train
# (e.g. `scripts/demo.sh --epochs 2`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR
"$ROOT/scripts/bootstrap.sh"

mkdir -p "$BUILD_DIR/demo"
echo "== flops-train examples/mlp.mlir (forward-only training on Fashion-MNIST)"
"$BUILD_DIR/bin/flops-train" "$ROOT/examples/mlp.mlir" \
  --metrics "$BUILD_DIR/demo/metrics.jsonl" \
  --save "$BUILD_DIR/demo/mlp.safetensors" "$@"
