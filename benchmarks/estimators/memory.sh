#!/usr/bin/env bash
# Peak memory of one training step against the inference forward of the same
# batch, per estimator, on the Fashion-MNIST MLP (examples/mlp.mlir), SGD
# without momentum (the MeZO setting). Each function is compiled and called
# once in its own flops-bench-train-step process (--peak-rss): the resident
# memory before the call, its peak during the call (VmHWM after resetting it
# through /proc/self/clear_refs) and the bytes of the call's own arguments and
# results (for the step: the state it reads and the state it writes, both
# held by the driver, plus the batch). glibc's mmap threshold is pinned
# (MALLOC_MMAP_THRESHOLD_) so that large temporaries are mapped and unmapped,
# not recycled from the heap. The working set of a call is its arguments and
# results plus its peak above the resident memory before it; the ratio
# step / forward is printed per estimator. The process's own baseline (the
# JIT, the compiler: ~150 MB) is the same for both and left out.
#
#   benchmarks/estimators/memory.sh [--build DIR] [--batch-size B]
#                                   [--queries Q]
#                                   [--estimators "lr spsa spsa-in-place es es-rank4"]
#
# spsa-in-place is estimator=spsa with spsa-in-place=true (in-place MeZO):
# its step updates the parameters in their argument buffers, so the driver
# passes one set of state buffers as arguments and results, and the state
# counts once in its io. es-rankR is estimator=es with es-rank=R;
# ops-gaussian, ops-neyman, ops-bernoulli are LR with that allocator (the
# Neyman allocator's per-point table has 60000 rows, Fashion-MNIST's
# training set, as in flops-train); lr-layerwise is LR with
# perturb=layer-wise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
B=64
QUERIES=8
ESTIMATORS="lr spsa spsa-in-place es es-rank4"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --batch-size) B="$2"; shift 2 ;;
    --queries) QUERIES="$2"; shift 2 ;;
    --estimators) ESTIMATORS="$2"; shift 2 ;;
    *) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
export MALLOC_MMAP_THRESHOLD_=65536
bench() {
  "$BUILD/bin/flops-bench-train-step" --model "$ROOT/examples/mlp.mlir" \
    --batch-size "$B" --queries "$QUERIES" --optimizer sgd --momentum 0 \
    --num-threads 1 --forward-rows "$B" "$@" 2>/dev/null | tail -1
}
echo "load: $(uptime)"
fwd="$(bench --peak-rss forward)"
echo "forward ($B rows): $fwd"
for est in $ESTIMATORS; do
  case "$est" in
    spsa-in-place) flags=(--estimator spsa --spsa-in-place) ;;
    es-rank*) flags=(--estimator es --es-rank "${est#es-rank}") ;;
    ops-gaussian|ops-neyman|ops-bernoulli)
      flags=(--estimator lr --allocator "${est#ops-}") ;;
    lr-layerwise) flags=(--estimator lr --perturb layer-wise) ;;
    *) flags=(--estimator "$est") ;;
  esac
  step="$(bench "${flags[@]}" --peak-rss train)"
  echo "$est step: $step"
  /usr/bin/python3 - "$est" "$fwd" "$step" <<'PY'
import json, sys
f, s = json.loads(sys.argv[2]), json.loads(sys.argv[3])
ws = lambda r: r["io_kb"] + r["peak_above_before_kb"]
print(f"{sys.argv[1]}: step working set {ws(s):.0f} kB (io {s['io_kb']:.0f} + peak above "
      f"{s['peak_above_before_kb']}), forward {ws(f):.0f} kB (io {f['io_kb']:.0f} + peak above "
      f"{f['peak_above_before_kb']}): ratio {ws(s) / ws(f):.2f}; whole process "
      f"{s['peak_kb'] / f['peak_kb']:.3f}")
PY
done
