// REQUIRES: onnx, torch, cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %flops_src_root/examples/onnx/models.py %t vit > /dev/null 2>&1
// RUN: flops-import-onnx %t/vit.onnx -o %t/vit.mlir
// RUN: flops-opt %t/vit.mlir --flops-forward-train='batch-size=4 queries=2' | flops-opt --flops-lower-to-cuda | FileCheck %s

/// The ViT of examples/onnx/models.py (PyTorch -> ONNX -> flops, attention,
/// layer norms, GELU) compiles through flops-forward-train and
/// flops-lower-to-cuda to host LLVM code and sm_90a binaries that ptxas
/// accepted (gpu-module-to-binary fails otherwise).
// CHECK-NOT: gpu.func
// CHECK-LABEL: llvm.func @train_step(
// CHECK: gpu.launch_func
// CHECK: gpu.binary @train_step_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// CHECK-LABEL: llvm.func @eval_step(
// CHECK: gpu.launch_func
// CHECK: gpu.binary @eval_step_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
