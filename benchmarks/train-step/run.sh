#!/usr/bin/env bash
# One forward-only training step (@train_step, flops-forward-train with
# batch-size=64 queries=8) against our compiled inference (@forward on the
# same 512 rows) and against a PyTorch eager implementation of the same
# likelihood-ratio step (torch_lr_step.py). See docs/BENCHMARKS.md.
#
#   benchmarks/train-step/run.sh [options]
#     --build DIR      build directory (default: build-bench)
#     --no-build       use DIR/bin/flops-bench-train-step as it is
#     --threads "1 2"  thread counts, the same for both sides (default "1 2")
#     --rounds N       alternate our benchmark and PyTorch N times per thread
#                      count; the table reports medians over rounds (default 3)
#     --reps N         timed repetitions per run (default 30; >= 20)
#     --blas "openblas netlib"
#                      PyTorch BLAS back ends: Debian's python3-torch uses
#                      the system libblas.so.3 (netlib reference BLAS unless
#                      OpenBLAS is installed); "openblas" runs it on OpenBLAS
#                      through LD_LIBRARY_PATH (installed, or extracted from
#                      the apt cache into DIR/openblas) with
#                      OPENBLAS_CORETYPE=SkylakeX (this VM reports a generic
#                      CPU model and OpenBLAS would fall back to Prescott)
#     --netlib-reps N  timed repetitions of the (slow) netlib runs (default 10)
#     --out DIR        where the JSON of each run goes (default
#                      <build>/bench-train-step)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build-bench"
DO_BUILD=1
THREADS="1 2"
ROUNDS=3
REPS=30
BLAS="openblas netlib"
NETLIB_REPS=10
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --threads) THREADS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --blas) BLAS="$2"; shift 2 ;;
    --netlib-reps) NETLIB_REPS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/bench-train-step}"
BENCH="$BUILD/bin/flops-bench-train-step"
PY=/usr/bin/python3

if [ "$DO_BUILD" = 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -G Ninja -S "$ROOT" -B "$BUILD" \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
  fi
  ninja -C "$BUILD" -j2 flops-bench-train-step
fi
[ -x "$BENCH" ] || { echo "run.sh: $BENCH not built" >&2; exit 1; }

# OpenBLAS for PyTorch, per process only.
OPENBLAS_DIR=""
if [[ " $BLAS " == *" openblas "* ]]; then
  for d in /usr/lib/x86_64-linux-gnu/openblas-pthread "$BUILD/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread"; do
    [ -e "$d/libblas.so.3" ] && { OPENBLAS_DIR="$d"; break; }
  done
  if [ -z "$OPENBLAS_DIR" ]; then
    deb="$(ls /var/cache/apt/archives/libopenblas0-pthread_*_amd64.deb 2>/dev/null | head -1 || true)"
    if [ -n "$deb" ]; then
      mkdir -p "$BUILD/openblas" && dpkg-deb -x "$deb" "$BUILD/openblas"
      OPENBLAS_DIR="$BUILD/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread"
    fi
  fi
  if [ -z "$OPENBLAS_DIR" ]; then
    echo "run.sh: OpenBLAS not found (install libopenblas0-pthread); PyTorch runs on netlib BLAS only" >&2
    BLAS="${BLAS//openblas/}"
  fi
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.json
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt"
for t in $THREADS; do
  for r in $(seq 1 "$ROUNDS"); do
    echo "threads $t, round $r/$ROUNDS" >&2
    "$BENCH" --num-threads="$t" --reps="$REPS" >"$OUT/flops-t$t-r$r.json"
    for b in $BLAS; do
      if [ "$b" = openblas ]; then
        LD_LIBRARY_PATH="$OPENBLAS_DIR" OPENBLAS_CORETYPE=SkylakeX \
          OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" \
          "$PY" "$ROOT/benchmarks/train-step/torch_lr_step.py" --threads "$t" \
          --reps "$REPS" >"$OUT/torch-openblas-t$t-r$r.json"
      else
        OMP_NUM_THREADS="$t" "$PY" "$ROOT/benchmarks/train-step/torch_lr_step.py" \
          --threads "$t" --reps "$NETLIB_REPS" --warmup 2 \
          >"$OUT/torch-netlib-t$t-r$r.json"
      fi
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"

"$PY" - "$OUT" "$THREADS" "$ROUNDS" "$BLAS" <<'EOF'
import json, os, statistics, sys
out, threads, rounds, blas = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), sys.argv[4].split()
med = statistics.median
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None
print()
hdr = ("| threads | our train_step ms | our forward (512 rows) ms | train_step / forward (target <= 2.3) |"
       + "".join(f" torch step ms ({b}) | torch forward ms ({b}) | train_step / torch step ({b}) (target < 1) |" for b in blas))
print(hdr)
print("|" + "---|" * (hdr.count("|") - 1))
for t in threads:
    f = [load(f"flops-t{t}-r{r}.json") for r in range(1, rounds + 1)]
    ft = [x["train_step_ms"]["median"] for x in f]
    ff = [x["forward_ms"]["median"] for x in f]
    fr = [x["ratio_train_over_forward"]["median"] for x in f]
    thr = f[0]["threads"]
    row = f"| {t} (ours {thr}) | {med(ft):.2f} | {med(ff):.2f} | {med(fr):.2f} |"
    for b in blas:
        p = [load(f"torch-{b}-t{t}-r{r}.json") for r in range(1, rounds + 1)]
        pt = [x["step_ms"]["median"] for x in p]
        pf = [x["forward_ms"]["median"] for x in p]
        rr = [a / c for a, c in zip(ft, pt)]  # same round, back to back
        row += f" {med(pt):.2f} | {med(pf):.2f} | {med(rr):.3f} |"
    print(row)
print()
print(f"medians over {rounds} rounds of the per-run medians; per-run detail in {out}/*.json")
for t in threads:
    f = [load(f"flops-t{t}-r{r}.json") for r in range(1, rounds + 1)]
    print(f"threads {t}: our train_step per round {[round(x['train_step_ms']['median'], 2) for x in f]} ms, "
          f"forward {[round(x['forward_ms']['median'], 2) for x in f]} ms, "
          f"ratio {[round(x['ratio_train_over_forward']['median'], 2) for x in f]}; "
          f"pipeline {f[0]['pipeline']}, compile {f[0]['compile_s']}")
    for b in blas:
        p = [load(f"torch-{b}-t{t}-r{r}.json") for r in range(1, rounds + 1)]
        print(f"  torch {b}: step per round {[round(x['step_ms']['median'], 2) for x in p]} ms, "
              f"forward {[round(x['forward_ms']['median'], 2) for x in p]} ms, torch threads {p[0]['threads']}")
EOF
