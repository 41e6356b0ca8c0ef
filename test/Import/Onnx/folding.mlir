// Shape-only subgraphs fold at import, and the newer ops (Pad, HardSigmoid,
// HardSwish) run: graphs of Inputs/make_ops.py (onnx.helper) imported,
// checked for what reaches the IR, run by flops-run and compared with the
// script's numpy references.
//
// fold: ViT's class-token expand (Shape -> Gather -> Concat [batch, -1, -1]
// -> Reshape -> Shape -> ConstantOfShape -> Mul -> Equal -> Where ->
// Expand) keeps the batch symbolic and becomes one broadcast copy; Swin-style
// mask arithmetic on constants (Range, Mod, Equal, Not, ScatterND, Where,
// Cast) becomes one dense constant.
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_ops.py %t
// RUN: flops-import-onnx %t/fold.onnx -o %t/fold.mlir
// RUN: FileCheck %s --check-prefix=FOLD < %t/fold.mlir
// RUN: flops-run %t/fold.mlir --params %t/fold.safetensors --input %t/fold.x.npy --output %t/fold.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/fold.got.npy %t/fold.expected.npy 1e-6 1e-6 | FileCheck %s --check-prefix=MATCH
// RUN: flops-import-onnx %t/pad.onnx -o %t/pad.mlir
// RUN: FileCheck %s --check-prefix=PAD < %t/pad.mlir
// RUN: flops-run %t/pad.mlir --input %t/pad.x.npy --output %t/pad.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/pad.got.npy %t/pad.expected.npy 1e-6 1e-6 | FileCheck %s --check-prefix=MATCH

// FOLD-LABEL: func.func @forward(
// FOLD-SAME: %[[X:.*]]: tensor<?x4xf32> {flops.name = "x"}, %[[TOK:.*]]: tensor<1x1x4xf32> {flops.name = "tok", flops.param}
// FOLD-NOT: tensor.from_elements
// FOLD-NOT: arith.cmpi
// FOLD: %[[B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// FOLD: %[[E:.*]] = tensor.empty(%[[B]]) : tensor<?x1x4xf32>
// FOLD: %[[CLS:.*]] = linalg.generic {{.*}} ins(%[[TOK]] : tensor<1x1x4xf32>) outs(%[[E]] : tensor<?x1x4xf32>)
// FOLD: arith.constant dense<[2.000000e+00, 0.000000e+00, 2.000000e+00, 5.000000e+00]> : tensor<4xf32>
// FOLD-NOT: tensor.from_elements
// FOLD-NOT: arith.cmpi
// FOLD: return

// PAD-LABEL: func.func @forward(
// PAD-SAME: %[[X:.*]]: tensor<?x1x2x3xf32> {flops.name = "x"}) -> (tensor<?x1x3x6xf32>
// PAD: %[[V:.*]] = arith.constant 5.000000e-01 : f32
// PAD: %[[F:.*]] = linalg.fill ins(%[[V]] : f32) outs(%{{.*}} : tensor<?x1x3x6xf32>)
// PAD: tensor.insert_slice %[[X]] into %[[F]][0, 0, 1, 2] [%{{.*}}, 1, 2, 3] [1, 1, 1, 1] : tensor<?x1x2x3xf32> into tensor<?x1x3x6xf32>
// PAD: arith.minimumf
// PAD: arith.maximumf

// MATCH: match: max abs error
