// REQUIRES: cuda-toolkit
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --flops-lower-to-cuda | FileCheck %s
// RUN: flops-opt %S/../CPU/cpu-pipeline-conv.mlir --flops-lower-to-cuda | FileCheck %s
// RUN: flops-opt %S/../CPU/cpu-pipeline-elementwise.mlir --flops-lower-to-cuda | FileCheck %s
// RUN: flops-opt %S/../CPU/cpu-pipeline-noise.mlir --flops-lower-to-cuda | FileCheck %s
// RUN: flops-opt %S/../CPU/cpu-pipeline-train-loop.mlir --flops-lower-to-cuda | FileCheck %s
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --flops-lower-to-cuda | FileCheck %s

/// The same programs compile to host LLVM code plus sm_90a binaries that
/// ptxas accepts (gpu-module-to-binary fails otherwise); @main launches
/// kernels.
// CHECK-NOT: gpu.func
// CHECK-LABEL: llvm.func @main(
// CHECK: gpu.launch_func
// CHECK: gpu.binary @{{[a-z_0-9]+}}  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
