#!/usr/bin/env bash
# The estimators at an equal query budget on the Fashion-MNIST MLP
# (examples/mlp.mlir): the same flops-train command with --estimator lr,
# spsa, es and --perturb layer-wise (queries q: LR, layer-wise LR and ES
# spend B*q perturbed rows per step, SPSA q/2 directions of two forwards of
# the batch = the same B*q rows), over several seeds. --estimators picks
# which (names: lr, lr-layerwise, spsa, spsa-q2 (SPSA at 2 queries per
# point, one direction, whatever --queries says), es, es-rN (low-rank ES,
# --es-rank N), and OPS-LR with a
# learned or heuristic allocator: ops-gaussian, ops-neyman, ops-bernoulli;
# default "lr spsa"); --max-steps S stops every run after S steps (the
# fixed-budget rows of docs/EXPERIMENTS.md); ES
# regenerates one normal per weight per multiply-add and row, so on the full
# data it is slow: --limit-train N runs on the first N training rows. Prints per run the final test accuracy, the train loss, the
# wall time of the command and its peak RSS (/usr/bin/time; this includes
# the JIT compile, so it is not the step's memory), then mean +- std per
# estimator. See docs/EXPERIMENTS.md.
#
#   benchmarks/estimators/run.sh [--build DIR] [--epochs N] [--seeds "0 1 2"]
#                                [--queries Q] [--threads T] [--out DIR]
#                                [--estimators "lr spsa"] [--limit-train N]
#                                [--max-steps S] [--extra "FLAGS"]
# (--extra: more flops-train flags for every run, e.g. "--gaussian-lr 0.1")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
EPOCHS=2
SEEDS="0 1 2"
QUERIES=8
THREADS=1
OUT=""
ESTIMATORS="lr spsa"
LIMIT=0
MAXSTEPS=0
EXTRA=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(realpath -m "$2")"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --queries) QUERIES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --estimators) ESTIMATORS="$2"; shift 2 ;;
    --limit-train) LIMIT="$2"; shift 2 ;;
    --max-steps) MAXSTEPS="$2"; shift 2 ;;
    --extra) EXTRA="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BUILD/bench-estimators}"
mkdir -p "$OUT"
echo "load: $(uptime)"
echo "estimator seed test_acc train_loss wall_s max_rss_mb train_s_per_step"
for est in $ESTIMATORS; do
  q="$QUERIES"
  case "$est" in
    lr|spsa|es) flags=(--estimator "$est") ;;
    es-r[0-9]*) flags=(--estimator es --es-rank "${est#es-r}") ;;
    spsa-q2) flags=(--estimator spsa); q=2 ;;
    lr-layerwise) flags=(--estimator lr --perturb layer-wise) ;;
    ops-gaussian|ops-neyman|ops-bernoulli)
      flags=(--estimator lr --allocator "${est#ops-}") ;;
    *) echo "run.sh: unknown estimator $est" >&2; exit 2 ;;
  esac
  for seed in $SEEDS; do
    m="$OUT/$est-$seed.jsonl"
    /usr/bin/time -f "%e %M" -o "$OUT/$est-$seed.time" \
      "$BUILD/bin/flops-train" "$ROOT/examples/mlp.mlir" "${flags[@]}" \
      --queries "$q" --epochs "$EPOCHS" --seed "$seed" --limit-train "$LIMIT" \
      --max-steps "$MAXSTEPS" $EXTRA \
      --num-threads "$THREADS" --metrics "$m" --progress=false > "$OUT/$est-$seed.log" 2>&1 || {
      echo "run.sh: flops-train failed for $est, seed $seed: $(tail -n 1 "$OUT/$est-$seed.log")" >&2
      exit 1
    }
    read -r wall rss < "$OUT/$est-$seed.time"
    /usr/bin/python3 - "$m" "$est" "$seed" "$wall" "$rss" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
last = rows[-1]
per_step = sum(r["seconds"] for r in rows) / sum(r["steps"] for r in rows)
print(sys.argv[2], sys.argv[3], last["test_accuracy"], round(last["train_loss"], 4),
      sys.argv[4], round(int(sys.argv[5]) / 1024, 1), f"{per_step:.4g}")
PY
  done
done | tee "$OUT/table.txt"
/usr/bin/python3 - "$OUT/table.txt" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for est in dict.fromkeys(r[0] for r in rows):
    acc = [float(r[2]) for r in rows if r[0] == est]
    sps = [float(r[6]) for r in rows if r[0] == est]
    wall = [float(r[4]) for r in rows if r[0] == est]
    rss = [float(r[5]) for r in rows if r[0] == est]
    sd = lambda v: st.stdev(v) if len(v) > 1 else 0.0
    print(f"{est}: test accuracy {st.mean(acc):.4f} +- {sd(acc):.4f}, "
          f"wall {st.mean(wall):.1f} +- {sd(wall):.1f} s, peak RSS {st.mean(rss):.0f} MB, "
          f"train step {st.mean(sps):.4g} +- {sd(sps):.2g} s (n = {len(acc)})")
PY
