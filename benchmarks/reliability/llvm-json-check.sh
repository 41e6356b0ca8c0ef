#!/usr/bin/env bash
# Builds llvm-json-check.cpp against Debian's LLVM 22 and runs it for nesting
# depths 1,000 and 100,000 (docs/RELIABILITY.md, "JSON").
set -uo pipefail
D="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
g++ -std=c++17 -O1 -I/usr/lib/llvm-22/include "$D/llvm-json-check.cpp" \
  -L/usr/lib/llvm-22/lib -lLLVM -Wl,-rpath,/usr/lib/llvm-22/lib -o "$T/check" || exit 1
for n in 1000 100000; do
  "$T/check" "$n"; rc=$?
  ((rc >= 128)) && echo "depth $n: llvm::json::parse crashed (signal $((rc - 128)))"
done
exit 0
