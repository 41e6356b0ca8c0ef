// The ONNX backend node tests of Debian's libonnx-testdata for every op the
// importer supports: import, compile with the driver (flops-lower-to-cpu),
// run on test_data_set_0 and compare (rtol 1e-3, atol 1e-7). Expected
// failures, each with its reason, are in conformance-xfail.txt; the runner
// fails on any other failure, on a listed test that passes, and on a stale
// entry. docs/ONNX.md has the per-op counts.
//
// REQUIRES: onnx, onnx-testdata
// RUN: flops-onnx-conformance --xfail %S/conformance-xfail.txt | FileCheck %s

// CHECK: op Gemm: 11 passed
// CHECK: total: {{[0-9]+}} tests of supported ops: {{[0-9]+}} passed, {{[0-9]+}} expected failures, 0 failed, 0 unexpectedly passed
