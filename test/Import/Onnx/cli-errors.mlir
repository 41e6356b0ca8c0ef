// flops-import-onnx never writes where it was not asked to, nor over its
// own input, and rejects out-of-range options (issue 15, 3. and 8.).
//
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: echo precious > forward.safetensors
// RUN: not flops-import-onnx %S/Inputs/linear.onnx -o - > %t/stdout.mlir 2> %t/err.txt
// RUN: FileCheck %s --check-prefix=STDOUT < %t/err.txt
// RUN: FileCheck %s --check-prefix=PRECIOUS < forward.safetensors
// STDOUT: flops-import-onnx: error: -o - writes the module to stdout; name the weights file of its 2 parameter(s) with --weights
// PRECIOUS: precious
// RUN: flops-import-onnx %S/Inputs/linear.onnx -o - --weights %t/w.safetensors | FileCheck %s --check-prefix=OK
// OK: func.func @forward
// RUN: not flops-import-onnx %S/Inputs/linear.onnx -o %t/m.mlir --weights %t/./m.mlir 2>&1 | FileCheck %s --check-prefix=SAME
// SAME: error: --weights and -o name the same file
// RUN: cp %S/Inputs/linear.onnx %t/copy.onnx && mkdir %t/sub
// RUN: not flops-import-onnx %t/copy.onnx -o %t/copy.onnx 2>&1 | FileCheck %s --check-prefix=INPUT
// RUN: not flops-import-onnx %t/copy.onnx -o %t/x.mlir --weights %t/sub/../copy.onnx 2>&1 | FileCheck %s --check-prefix=INPUT
// INPUT: error: an output would overwrite the input model
// RUN: cmp %S/Inputs/linear.onnx %t/copy.onnx
// RUN: not flops-import-onnx %S/Inputs/linear.onnx -o %t/s.mlir --static-batch -5 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: --static-batch must be >= 0 (0 = keep symbolic extents), got -5
// RUN: not test -e %t/s.mlir
