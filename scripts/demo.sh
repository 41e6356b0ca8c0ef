#!/usr/bin/env bash
# The main job, as far as the project goes today: builds the tools, then runs
# the flops dialect's example pipeline on examples/perturbed-step.mlir - the
# building blocks of one forward-only (likelihood-ratio) training step on a
# tiny linear layer - through the reference CPU pipeline, and prints the
# result. Forward-only training of a real model on Fashion-MNIST
# (flops-forward-train, flops-train) is the next issue.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR
"$ROOT/scripts/bootstrap.sh"

LLVM_BIN=/usr/lib/llvm-22/bin
LIB=/usr/lib/llvm-22/lib
example="$ROOT/examples/perturbed-step.mlir"
echo "== flops-opt --flops-reference-to-llvm $example | mlir-runner"
"$BUILD_DIR/bin/flops-opt" "$example" --flops-reference-to-llvm |
  "$LLVM_BIN/mlir-runner" -e main -entry-point-result=void \
    -shared-libs="$LIB/libmlir_runner_utils.so,$LIB/libmlir_c_runner_utils.so,$BUILD_DIR/lib/libFlopsRuntime.so"
