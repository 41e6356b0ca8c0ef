#!/usr/bin/env bash
# Installs the Debian 12 packages FLOPS-MLIR needs (only those missing; runs
# `apt-get update` first when something is missing) and configures + builds
# the project into build/. Idempotent: a second run only rebuilds what changed.
#
# Environment: BUILD_DIR (default <repo>/build), JOBS (default: nproc),
#              FLOPS_SKIP_APT=1 to skip the package step,
#              FLOPS_BOOTSTRAP_NO_BUILD=1 to install packages only (no build/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
LLVM_PREFIX=/usr/lib/llvm-22

# What the build, the tests and the demo use. LLVM/MLIR 22 come from Debian's
# archive; zlib/zstd are what LLVM's CMake package looks for (zlib also reads
# the gzip'd IDX files); libomp runs the JIT-compiled code on several threads;
# dataset-fashion-mnist is the default data set; libonnx-dev and protobuf
# build the ONNX importer, libonnx-testdata holds the ONNX conformance tests,
# python3-onnx and python3-torch export the PyTorch examples; python3-venv,
# -pip, -pytest and -matplotlib build and test the Python package
# (python/, docs/PYTHON.md).
PACKAGES=(
  build-essential cmake ninja-build python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  zlib1g-dev libzstd-dev
  libgtest-dev
  libomp-dev
  dataset-fashion-mnist
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  python3-onnx python3-torch python3-numpy python3-torchvision
  python3-venv python3-pip python3-pytest python3-matplotlib
)

if [[ "${FLOPS_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then
      command -v sudo >/dev/null || { echo "bootstrap: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
      SUDO=sudo
    fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# The Python extension's build tools (PyPI): a virtual environment on
# Debian's Python that also sees its numpy/torch/onnx/pytest. The CMake build
# uses it (FLOPS_BUILD_PYTHON=AUTO); scripts/test.sh runs pytest with it.
VENV="$BUILD_DIR/python-venv"
reconfigure=0
if [[ "${FLOPS_SKIP_PYTHON:-0}" != 1 ]] &&
   ! "$VENV/bin/python3" -c "import nanobind, scikit_build_core" 2>/dev/null; then
  mkdir -p "$BUILD_DIR"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  if "$VENV/bin/pip" install --quiet "nanobind>=2.0" "scikit-build-core>=0.10"; then
    reconfigure=1
  else
    echo "bootstrap: warning: could not install nanobind and scikit-build-core from PyPI; the Python extension is not built" >&2
  fi
fi

if [[ "${FLOPS_BOOTSTRAP_NO_BUILD:-0}" == 1 ]]; then
  exit 0
fi
if [[ ! -f "$BUILD_DIR/build.ninja" || "$reconfigure" == 1 ]]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
