// Unsupported variants of the newer ops: an error naming the node, its op
// type and the reason, exit status 1, no output file (graphs of
// Inputs/make_ops.py).
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_ops.py %t
// RUN: not flops-import-onnx %t/bad-pad.onnx -o %t/p.mlir 2>&1 | FileCheck %s --check-prefix=PAD
// RUN: not test -e %t/p.mlir
// PAD: flops-import-onnx: error: {{.*}}bad-pad.onnx: node 'reflect_pad' (Pad): mode 'reflect' is not supported (only constant)
// RUN: not flops-import-onnx %t/bad-gru.onnx -o %t/g.mlir 2>&1 | FileCheck %s --check-prefix=GRU
// RUN: not test -e %t/g.mlir
// GRU: flops-import-onnx: error: {{.*}}bad-gru.onnx: node 'bigru' (GRU): direction 'bidirectional' is not supported (only forward)
// RUN: not flops-import-onnx %t/bad-equal.onnx -o %t/e.mlir 2>&1 | FileCheck %s --check-prefix=EQUAL
// RUN: not test -e %t/e.mlir
// EQUAL: flops-import-onnx: error: {{.*}}bad-equal.onnx: node 'eq_zero' (Equal): cannot decide at import time whether a runtime extent equals 0
// RUN: not flops-import-onnx %t/bad-range.onnx -o %t/r.mlir 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not test -e %t/r.mlir
// RANGE: flops-import-onnx: error: {{.*}}bad-range.onnx: node 'rt_range' (Range): Range with inputs that are not known at import time is not supported
