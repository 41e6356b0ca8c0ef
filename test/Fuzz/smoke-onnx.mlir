// Smoke run of the ONNX importer's fuzz target (see smoke.mlir): the
// repository's ONNX test models and the fuzzers' regression inputs, then
// mutations of them. onnx-empty-int64-data.onnx (found by libFuzzer) has an
// initializer with zero int64_data values: the importer passed the empty
// field's null storage to memcpy (UBSan under scripts/sanitize.sh).
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: flops-fuzz-onnx -runs=3000 -seed=5 %S/../Import/Onnx/Inputs/linear.onnx %S/../Import/Onnx/Inputs/inconsistent.onnx %S/../Import/Onnx/Inputs/unsupported.onnx %S/Inputs/onnx-empty-int64-data.onnx | FileCheck %s
// CHECK: flops-fuzz-onnx: 4 inputs, 3000 mutations (seed 5), no crash
