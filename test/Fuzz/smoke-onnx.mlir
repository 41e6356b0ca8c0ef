// Smoke run of the ONNX importer's fuzz target (see smoke.mlir): the
// repository's ONNX test models, then mutations of them.
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: flops-fuzz-onnx -runs=3000 -seed=5 %S/../Import/Onnx/Inputs/linear.onnx %S/../Import/Onnx/Inputs/inconsistent.onnx %S/../Import/Onnx/Inputs/unsupported.onnx | FileCheck %s
// CHECK: flops-fuzz-onnx: 3 inputs, 3000 mutations (seed 5), no crash
