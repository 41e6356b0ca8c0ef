#!/usr/bin/env bash
# Tries the bad-input classes of docs/RELIABILITY.md against the built tools
# and prints a markdown table: class | exit status | the message the user gets
# (first line of stderr). A crash (exit status >= 128) is marked CRASH.
#
#   benchmarks/reliability/bad-inputs.sh      (BUILD_DIR, default build/)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${BUILD_DIR:-$ROOT/build}/bin"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
PY=/usr/bin/python3
W="$ROOT/test/Tools/Inputs/write-npy.py"
M="$ROOT/test/Tools/Inputs/mlp-4-16-2.mlir"
MS="$ROOT/test/Tools/Inputs/mlp-small.mlir"
ONNX="$ROOT/test/Import/Onnx/Inputs/linear.onnx"
$PY "$W" "$T/x.npy" '<f4' 16,4 0.5
$PY "$W" "$T/y.npy" '<i8' 16 1
$PY "$W" "$T/x0.npy" '<f4' 0,4 0.5
$PY "$W" "$T/y0.npy" '<i8' 0 1
$PY "$W" "$T/ybad.npy" '<i8' 16 7
$PY "$W" "$T/xnan.npy" '<f4' 16,4 nan
head -c 100 "$T/x.npy" > "$T/trunc.npy"
echo "not an array" > "$T/garbage.npy"
head -c 60 "$ONNX" > "$T/trunc.onnx"
echo "func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> { return %y : tensor<?x4xf32> }" > "$T/bad.mlir"
"$BIN/flops-run" "$ROOT/test/Tools/Inputs/gen-linear-params.mlir" --output "$T/p.safetensors" >/dev/null 2>&1
head -c 40 "$T/p.safetensors" > "$T/trunc.safetensors"
D=(--train-npy "$T/x.npy" --train-labels "$T/y.npy" --batch-size 8 --progress=false --no-cache)

echo "| bad input | exit | message |"
echo "| --- | --- | --- |"
row() {
  local what="$1"; shift
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  local msg
  # The first error line, joined with the next when it ends with ':'.
  msg=$(printf '%s\n' "$out" | awk '/error|Error/ && !m { m = $0; if ($0 ~ /:[ ]*$/) { getline n; m = m " " n }; print m; exit }')
  [[ -n $msg ]] || msg=$(printf '%s\n' "$out" | head -1)
  [[ $rc -ge 128 ]] && msg="CRASH (signal $((rc - 128))): $msg"
  msg=${msg//|/\\|}
  msg=${msg//$T\//}
  msg=${msg//$ROOT\//}
  msg=${msg//$T/}
  printf '| %s | %s | %s |\n' "$what" "$rc" "${msg:0:300}"
}
row "model file missing" "$BIN/flops-train" "$T/none.mlir" "${D[@]}"
row "malformed IR" "$BIN/flops-train" "$T/bad.mlir" "${D[@]}"
row "no @forward" "$BIN/flops-train" "$M" "${D[@]}" --entry nope
row "truncated .npy" "$BIN/flops-train" "$M" --train-npy "$T/trunc.npy" --train-labels "$T/y.npy"
row "garbage .npy" "$BIN/flops-run" "$M" --input "$T/garbage.npy" --output "$T/o.npy"
row "labels out of range" "$BIN/flops-train" "$M" --train-npy "$T/x.npy" --train-labels "$T/ybad.npy" --batch-size 8
row "empty test set" "$BIN/flops-train" "$M" "${D[@]}" --test-npy "$T/x0.npy" --test-labels "$T/y0.npy"
row "0 training rows" "$BIN/flops-train" "$M" --train-npy "$T/x0.npy" --train-labels "$T/y0.npy" --batch-size 8
row "NaN inputs (non-finite loss)" "$BIN/flops-train" "$M" --train-npy "$T/xnan.npy" --train-labels "$T/y.npy" --batch-size 8 --progress=false
row "--batch-size 0" "$BIN/flops-train" "$M" "${D[@]}" --batch-size 0
row "--num-threads -3" "$BIN/flops-train" "$M" "${D[@]}" --num-threads -3
row "--opt-level 7" "$BIN/flops-train" "$M" "${D[@]}" --opt-level 7
row "--queries 2147483646" "$BIN/flops-train" "$M" "${D[@]}" --queries 2147483646
row "--perturb-last 99 (2 sites)" "$BIN/flops-train" "$M" "${D[@]}" --perturb-last 99
row "--min-queries 100, default budget" "$BIN/flops-train" "$M" "${D[@]}" --allocator gaussian --min-queries 100
row "--min-queries 0 with --budget B" "$BIN/flops-train" "$M" "${D[@]}" --budget 8 --min-queries 0
row "--save in a missing directory" "$BIN/flops-train" "$M" "${D[@]}" --save "$T/no/dir/ck.safetensors"
row "truncated --params file" "$BIN/flops-train" "$MS" "${D[@]}" --params "$T/trunc.safetensors"
row "--resume of a missing file" "$BIN/flops-train" "$M" "${D[@]}" --resume "$T/none.safetensors"
row "--resume with other options" bash -c "'$BIN/flops-train' '$M' ${D[*]} --epochs 1 --save '$T/ck.safetensors' >/dev/null 2>&1; '$BIN/flops-train' '$M' ${D[*]} --queries 4 --resume '$T/ck.safetensors'"
row "truncated ONNX" "$BIN/flops-import-onnx" "$T/trunc.onnx" -o "$T/t.mlir"
row "unsupported ONNX op" "$BIN/flops-import-onnx" "$ROOT/test/Import/Onnx/Inputs/unsupported.onnx" -o "$T/u.mlir"
row "ONNX -o - without --weights" "$BIN/flops-import-onnx" "$ONNX" -o -
row "ONNX --weights = -o" "$BIN/flops-import-onnx" "$ONNX" -o "$T/m.mlir" --weights "$T/m.mlir"
row "ONNX output over the input" "$BIN/flops-import-onnx" "$ONNX" -o "$ONNX"
row "--static-batch -5" "$BIN/flops-import-onnx" "$ONNX" -o "$T/s.mlir" --static-batch -5
row "conformance: unknown test" "$BIN/flops-onnx-conformance" no_such_test
row "0-row input to flops-run (works: 0 output rows)" "$BIN/flops-run" "$M" --input "$T/x0.npy" --output "$T/o0.npy" --no-cache
