// PyTorch -> ONNX -> flops: the MLP, CNN and ViT of examples/onnx/models.py
// (dynamic batch) are imported, run by flops-run with the weights file on
// random inputs (batch 5) and compared with PyTorch's outputs (rtol 1e-4,
// atol 1e-5); flops-forward-train accepts each imported forward.
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %flops_src_root/examples/onnx/models.py %t mlp cnn vit > /dev/null 2>&1
// RUN: flops-import-onnx %t/mlp.onnx -o %t/mlp.mlir
// RUN: flops-run %t/mlp.mlir --params %t/mlp.safetensors --input %t/mlp.input.npy --output %t/mlp.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/mlp.got.npy %t/mlp.expected.npy 1e-4 1e-5 | FileCheck %s
// RUN: flops-opt %t/mlp.mlir --flops-forward-train='batch-size=4 queries=2' | FileCheck %s --check-prefix=TRAIN
// RUN: flops-import-onnx %t/cnn.onnx -o %t/cnn.mlir
// RUN: flops-run %t/cnn.mlir --params %t/cnn.safetensors --input %t/cnn.input.npy --output %t/cnn.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/cnn.got.npy %t/cnn.expected.npy 1e-4 1e-5 | FileCheck %s
// RUN: flops-opt %t/cnn.mlir --flops-forward-train='batch-size=4 queries=2' | FileCheck %s --check-prefix=TRAIN
// RUN: flops-import-onnx %t/vit.onnx -o %t/vit.mlir
// RUN: flops-run %t/vit.mlir --params %t/vit.safetensors --input %t/vit.input.npy --output %t/vit.got.npy
// RUN: %python %flops_src_root/examples/onnx/compare.py %t/vit.got.npy %t/vit.expected.npy 1e-4 1e-5 | FileCheck %s
// RUN: flops-opt %t/vit.mlir --flops-forward-train='batch-size=4 queries=2' | FileCheck %s --check-prefix=TRAIN

// CHECK: match: max abs error
// TRAIN: func.func @train_step
