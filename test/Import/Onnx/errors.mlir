// Bad inputs: an error naming the node, its op type and the reason, exit
// status 1 and no output file.
//
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t
// RUN: not flops-import-onnx %S/Inputs/unsupported.onnx -o %t/u.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
// RUN: not test -e %t/u.mlir
// UNKNOWN-OP: flops-import-onnx: error: {{.*}}unsupported.onnx: node 'hm' (Hardmax): unsupported op type

// RUN: not flops-import-onnx %S/Inputs/inconsistent.onnx -o %t/i.mlir 2>&1 | FileCheck %s --check-prefix=INCONSISTENT
// RUN: not test -e %t/i.mlir
// INCONSISTENT: error: {{.*}}node 'bad_reshape' (Reshape): inconsistent shape: cannot reshape 6 elements to 8

/// A file cut after 60 of its 217 bytes, and a file that is no protobuf.
// RUN: head -c 60 %S/Inputs/linear.onnx > %t/truncated.onnx
// RUN: not flops-import-onnx %t/truncated.onnx -o %t/t.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not test -e %t/t.mlir
// RUN: not test -e %t/t.safetensors
// TRUNCATED: error: {{.*}}.onnx: not a valid ONNX model (malformed or truncated protobuf)
// RUN: echo garbage > %t/garbage.onnx
// RUN: not flops-import-onnx %t/garbage.onnx -o %t/g.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not flops-import-onnx %t/missing.onnx -o %t/m.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open {{.*}}missing.onnx
