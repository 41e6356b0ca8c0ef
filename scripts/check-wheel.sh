#!/usr/bin/env bash
# End-to-end check of `pip install ./python` (docs/PYTHON.md, "Install"):
# a virtual environment on Debian's /usr/bin/python3 (--system-site-packages:
# numpy, torch, onnx, pytest), the install (timed), then, from a directory
# outside the checkout: `import flops`, the installed module's RUNPATH and
# libraries (the runtime libraries next to it, libMLIR.so from LLVM's
# library directory), a few training steps of examples/mlp.mlir, and the
# pytest suite against the installed package.
#
#   scripts/check-wheel.sh [VENV]        (default /tmp/flops-wheel-venv)
#
# Slow: the wheel builds the project's libraries in python/build/<tag>
# (a second run is incremental). ccache is used when it is installed.
# FLOPS_BUILD_DIR (default build/) provides flops-train for the pytest
# cases that compare with it. Not part of the test suite.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-/tmp/flops-wheel-venv}
BUILD=${FLOPS_BUILD_DIR:-$ROOT/build}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
if command -v ccache >/dev/null; then
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
fi

[ -x "$VENV/bin/python3" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV"
echo "check-wheel: pip install ./python into $VENV (load: $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s)
(cd "$ROOT" && "$VENV/bin/pip" install --quiet ./python)
echo "check-wheel: installed in $(( $(date +%s) - start )) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
PKG=$("$VENV/bin/python3" -c 'import os, flops; print(os.path.dirname(flops.__file__))')
case "$PKG" in
  "$ROOT"/*) echo "check-wheel: error: imported flops from the checkout ($PKG)" >&2; exit 1 ;;
esac
echo "check-wheel: import flops: $PKG"
MOD=$(ls "$PKG"/_flops*.so)
LLVMLIB=$(/usr/lib/llvm-22/bin/llvm-config --libdir)
RUNPATH=$(readelf -d "$MOD" | sed -n 's/.*RUNPATH.*\[\(.*\)\]/\1/p')
echo "check-wheel: RUNPATH of $(basename "$MOD"): $RUNPATH"
case ":$RUNPATH:" in
  *":$LLVMLIB:"*) ;;
  *) echo "check-wheel: error: the RUNPATH does not name $LLVMLIB" >&2; exit 1 ;;
esac
if ldd "$MOD" | grep -q "not found"; then
  ldd "$MOD" >&2
  echo "check-wheel: error: unresolved libraries" >&2
  exit 1
fi
ldd "$MOD" | grep -E "libFlops|libMLIR|libLLVM" | sed 's/^\s*/check-wheel:   /'
for lib in libFlopsRuntime.so libFlopsIO.so; do
  ldd "$MOD" | grep -q "$lib => $PKG/$lib" ||
    { echo "check-wheel: error: $lib is not resolved next to the module" >&2; exit 1; }
done

"$VENV/bin/python3" - "$ROOT/examples/mlp.mlir" <<'EOF'
import sys
import numpy as np
import flops
model = flops.load(sys.argv[1])
trainer = flops.Trainer(model, batch_size=64, queries=8, seed=0, cache_dir=None)
rng = np.random.default_rng(0)
x = rng.random((640, 784), dtype=np.float32)
y = rng.integers(0, 10, 640)
losses = [trainer.step(xb, yb)["loss"]
          for xb, yb, _ in flops.batches(x, y, 64, seed=0, epoch=1)]
print("check-wheel: 10 steps of examples/mlp.mlir, loss %.4f -> %.4f"
      % (losses[0], losses[-1]))
if not all(np.isfinite(losses)):
    sys.exit("check-wheel: error: non-finite loss")
EOF

# The pytest suite against the installed package (not the build tree's).
FLOPS_PYTHONPATH=/nonexistent FLOPS_BUILD_DIR="$BUILD" \
  "$VENV/bin/python3" -m pytest -q -p no:cacheprovider "$ROOT/python/tests"
