// Models the importer cannot read faithfully are rejected with the reason
// (issue 15, 8.): an opset newer than the linked ONNX library knows (any op
// may have changed), and the legacy broadcasting attributes of opsets < 7.
// An old opset without legacy attributes imports (ONNX's own node tests
// declare the opset in which their op appeared, e.g. GlobalAveragePool 1).
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import onnx, sys; m = onnx.load(sys.argv[1]); m.opset_import[0].version = int(sys.argv[2]); onnx.save(m, sys.argv[3])" %S/Inputs/linear.onnx 99 %t/new.onnx
// RUN: not flops-import-onnx %t/new.onnx -o %t/new.mlir 2>&1 | FileCheck %s --check-prefix=NEW
// RUN: not test -e %t/new.mlir
// NEW: error: {{.*}}new.onnx: the model uses ONNX opset 99; the importer reads opsets 1 to {{1[0-9]}}
// RUN: %python -c "from onnx import helper, TensorProto as T; import onnx, sys; n = helper.make_node('Add', ['a', 'b'], ['c'], name='legacy_add', broadcast=1, axis=1); g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('a', T.FLOAT, [2, 3]), helper.make_tensor_value_info('b', T.FLOAT, [3])], [helper.make_tensor_value_info('c', T.FLOAT, [2, 3])]); onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 6)]), sys.argv[1])" %t/legacy.onnx
// RUN: not flops-import-onnx %t/legacy.onnx -o %t/legacy.mlir 2>&1 | FileCheck %s --check-prefix=LEGACY
// LEGACY: error: {{.*}}node 'legacy_add' (Add): attribute '{{axis|broadcast}}' of opset 6 (legacy semantics before opset 7) is not supported
// RUN: %python -c "import onnx, sys; m = onnx.load(sys.argv[1]); m.opset_import[0].version = 1; onnx.save(m, sys.argv[2])" %S/Inputs/linear.onnx %t/old.onnx
// RUN: flops-import-onnx %t/old.onnx -o %t/old.mlir --weights %t/old.safetensors
