// Models of an opset the importer cannot read faithfully are rejected with
// the version named (issue 15, 8.): before 7 broadcasting was not
// numpy-style; after the linked ONNX library's newest, any op may differ.
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import onnx, sys; m = onnx.load(sys.argv[1]); m.opset_import[0].version = int(sys.argv[2]); onnx.save(m, sys.argv[3])" %S/Inputs/linear.onnx 1 %t/old.onnx
// RUN: %python -c "import onnx, sys; m = onnx.load(sys.argv[1]); m.opset_import[0].version = int(sys.argv[2]); onnx.save(m, sys.argv[3])" %S/Inputs/linear.onnx 99 %t/new.onnx
// RUN: not flops-import-onnx %t/old.onnx -o %t/old.mlir 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not flops-import-onnx %t/new.onnx -o %t/new.mlir 2>&1 | FileCheck %s --check-prefix=NEW
// RUN: not test -e %t/old.mlir
// OLD: error: {{.*}}old.onnx: the model uses ONNX opset 1; the importer reads opsets 7 to {{1[0-9]}}
// NEW: error: {{.*}}new.onnx: the model uses ONNX opset 99; the importer reads opsets 7 to {{1[0-9]}}
