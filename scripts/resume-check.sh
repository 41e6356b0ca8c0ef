#!/usr/bin/env bash
# The kill -9 resume check (docs/RELIABILITY.md): trains once without
# interruption, then, for each of K kill points spread over the run, starts the
# same run with --save-every, kills it with SIGKILL after that many seconds,
# continues it with --resume (from scratch if it died before its first
# checkpoint) and compares the final checkpoint with the uninterrupted run's
# byte for byte. Exits non-zero if any differs.
#
#   scripts/resume-check.sh [K=6]      (BUILD_DIR, default build/)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BUILD_DIR:-$ROOT/build}/bin"
K="${1:-6}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
opts=(--limit-train 12800 --limit-test 1000 --batch-size 64 --epochs 2
      --num-threads 1 --allocator gaussian --progress=false --save-every 5)
# exec: a background `train &` is then flops-train itself, which kill -9 hits.
train() { exec "$BIN/flops-train" "$ROOT/examples/mlp.mlir" "${opts[@]}" "$@"; }

t0=$(date +%s.%N)
(train --quiet --save "$work/full.safetensors")
t1=$(date +%s.%N)
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf 'uninterrupted run: %.2f s (compiled step cached after this)\n' "$total"
t0=$(date +%s.%N); (train --quiet --save "$work/again.safetensors"); t1=$(date +%s.%N)
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf 'second run (cached compile): %.2f s\n' "$total"
cmp -s "$work/full.safetensors" "$work/again.safetensors" ||
  { echo "resume-check: two uninterrupted runs differ"; exit 1; }

printf '%-5s %-9s %-28s %-10s %s\n' kill "after s" "resumed at" "stale tmp" identical
fails=0
for ((i = 1; i <= K; ++i)); do
  ck="$work/ck$i.safetensors"
  delay=$(awk -v t="$total" -v i="$i" -v k="$K" 'BEGIN { print t * i / (k + 1) }')
  train --quiet --save "$ck" & pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  stale=$(ls "$work" | grep -c "^ck$i.safetensors.tmp." || true)
  if [[ -f "$ck" ]]; then
    log=$( (train --save "$ck" --resume "$ck") 2>&1) ||
      { echo "$log"; exit 1; }
    at=$(sed -n 's/.*resuming .* at \(epoch .*\)/\1/p' <<<"$log")
  else
    at="(no checkpoint yet: fresh)"
    (train --quiet --save "$ck")
  fi
  left=$(ls "$work" | grep -c "^ck$i.safetensors.tmp." || true)
  same=no
  cmp -s "$work/full.safetensors" "$ck" && same=yes
  [[ $same == yes ]] || fails=$((fails + 1))
  printf '%-5s %-9.2f %-28s %-10s %s\n' "$i" "$delay" "$at" "$stale -> $left" "$same"
done
echo "resume-check: $K kill points, $fails differ"
(( fails == 0 ))
