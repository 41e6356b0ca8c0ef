// Named tests that do not exist or cannot run make the runner fail: a run
// that checks nothing must not pass (issue 15, 8.).
// REQUIRES: onnx, onnx-testdata
// RUN: not flops-onnx-conformance no_such_test 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not flops-onnx-conformance test_lrn 2>&1 | FileCheck %s --check-prefix=NOOP
// RUN: flops-onnx-conformance test_relu test_split_zero_size_splits test_slice_start_out_of_bounds 2>&1 | FileCheck %s --check-prefix=OK

// MISSING: flops-onnx-conformance: error: no test 'no_such_test' in {{.*}}node
// NOOP: NOT RUN test_lrn: op LRN is not supported by the importer
// OK: total: 3 tests of supported ops: 3 passed, 0 expected failures, 0 failed
