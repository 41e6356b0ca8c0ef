#!/usr/bin/env bash
# The estimators of benchmarks/estimators/run.sh at an equal training time on
# the Fashion-MNIST MLP (docs/EXPERIMENTS.md). The machine is shared, so the
# time is CPU time, not wall time:
#  1. each estimator's CPU time per step (flops-train's cpu_seconds over the
#     training steps of a short run, one thread), seed 0;
#  2. the budget T = --lr-steps LR steps' CPU time; each estimator gets
#     S = round(T / its step time) steps (at least 1), runs them with
#     --max-steps S --save, and the checkpoint's test accuracy is read with
#     --epochs 0 --params;
#  3. a table per estimator: step CPU time, its ratio to LR's, S, test
#     accuracy mean +- std over the seeds.
#
#   benchmarks/estimators/wall-time.sh [--build DIR] [--seeds "0 1 2"]
#       [--estimators "lr ops-neyman ..."] [--lr-steps 937] [--out DIR]
#       [--extra "FLAGS"]   (more flops-train flags for every run)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
SEEDS="0 1 2"
ESTIMATORS="lr ops-bernoulli ops-gaussian ops-neyman lr-layerwise spsa spsa-q2 es"
LRSTEPS=937
OUT=""
EXTRA=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --estimators) ESTIMATORS="$2"; shift 2 ;;
    --lr-steps) LRSTEPS="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --extra) EXTRA="$2"; shift 2 ;;
    *) echo "wall-time.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/bench-estimators-time}"
mkdir -p "$OUT"
TRAIN="$BUILD/bin/flops-train"
MODEL="$ROOT/examples/mlp.mlir"
echo "load: $(uptime)"

flags_of() { # estimator -> flags (as run.sh)
  case "$1" in
    lr|spsa|es) echo "--estimator $1 --queries 8 $EXTRA" ;;
    es-r[0-9]*) echo "--estimator es --es-rank ${1#es-r} --queries 8 $EXTRA" ;;
    spsa-q2) echo "--estimator spsa --queries 2 $EXTRA" ;;
    lr-layerwise) echo "--estimator lr --perturb layer-wise --queries 8 $EXTRA" ;;
    ops-gaussian|ops-neyman|ops-bernoulli)
      echo "--estimator lr --allocator ${1#ops-} --queries 8 $EXTRA" ;;
    *) echo "wall-time.sh: unknown estimator $1" >&2; exit 2 ;;
  esac
}

# CPU time per step: one epoch on the first --limit-train rows (100 steps;
# ES 3, ES es-rN 20), `cpu_seconds / steps` of its metrics (flops-train's CPU time over
# the training steps: no compile, no data loading, no evaluation).
: > "$OUT/steps.txt"
for est in $ESTIMATORS; do
  case "$est" in
    es) rows=192 ;;      # 3 steps: a full-rank ES step costs ~1300 LR steps
    es-r*) rows=1280 ;;  # 20 steps
    *) rows=6400 ;;
  esac
  m="$OUT/$est-calib.jsonl"
  "$TRAIN" "$MODEL" $(flags_of "$est") --epochs 1 --limit-train "$rows" \
    --limit-test 64 --seed 0 --num-threads 1 --metrics "$m" --progress=false \
    --quiet > /dev/null 2>&1
  per=$(/usr/bin/python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print("%.6g" % (r["cpu_seconds"] / r["steps"]))' "$m")
  echo "$est $per" | tee -a "$OUT/steps.txt"
done
tlr=$(awk '$1 == "lr" { print $2 }' "$OUT/steps.txt")
if [ -z "$tlr" ]; then
  echo "wall-time.sh: the estimators must include lr (the reference)" >&2
  exit 2
fi
budget=$(awk -v t="$tlr" -v n="$LRSTEPS" 'BEGIN { printf "%.6g", t * n }')
echo "budget: $LRSTEPS LR steps = $budget CPU s"

: > "$OUT/table.txt"
while read -r est per; do
  steps=$(awk -v b="$budget" -v p="$per" \
    'BEGIN { s = int(b / p + 0.5); if (s < 1) s = 1; print s }')
  epochs=$(( (steps + 936) / 937 ))
  for seed in $SEEDS; do
    ck="$OUT/$est-$seed.safetensors"
    rm -f "$ck"
    "$TRAIN" "$MODEL" $(flags_of "$est") --epochs "$epochs" --max-steps "$steps" \
      --seed "$seed" --num-threads 1 --save "$ck" --progress=false --quiet \
      > "$OUT/$est-$seed.log" 2>&1
    acc=$("$TRAIN" "$MODEL" $(flags_of "$est") --epochs 0 --params "$ck" \
      --num-threads 1 --progress=false 2>&1 |
      sed -n 's/^initial parameters: .* acc \([0-9.]*\).*/\1/p')
    echo "$est $seed $per $steps $acc" | tee -a "$OUT/table.txt"
  done
done < "$OUT/steps.txt"
echo "load: $(uptime)"
/usr/bin/python3 - "$OUT/table.txt" "$tlr" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
tlr = float(sys.argv[2])
print("| estimator | step CPU time (s) | ÷ LR | steps in the budget | test accuracy |")
print("| --- | ---: | ---: | ---: | ---: |")
for est in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == est]
    acc = [float(r[4]) for r in rs]
    sd = st.stdev(acc) if len(acc) > 1 else 0.0
    per = float(rs[0][2])
    print(f"| {est} | {per:.4g} | {per / tlr:.3g} | {rs[0][3]} | "
          f"{st.mean(acc):.4f} ± {sd:.4f} |")
PY
