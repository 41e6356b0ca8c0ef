#!/bin/bash
# Installs the build tree into a fresh prefix, configures and builds the
# consumer project test/Install/consumer against it (find_package(FlopsMLIR))
# and runs it; then compiles a training program with the installed
# flops-compile. Used by test/Install/install.mlir (lit feature
# install-test); prints what it runs.
#   scripts/test-install.sh BUILD_DIR WORK_DIR
set -euo pipefail
BUILD=$1
WORK=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$WORK" && mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
ls "$WORK/prefix/lib/cmake/FlopsMLIR"
cmake -G Ninja -S "$SRC/test/Install/consumer" -B "$WORK/consumer" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" > "$WORK/configure.log"
cmake --build "$WORK/consumer" > "$WORK/build.log"
"$WORK/consumer/flops-consumer"
"$WORK/prefix/bin/flops-compile" "$SRC/test/Tools/Inputs/mlp-small.mlir" \
  -o "$WORK/train" --batch-size 32 --limit-train 256
"$WORK/train" --limit-train 256 --limit-test 64 --epochs 1 --progress=false
