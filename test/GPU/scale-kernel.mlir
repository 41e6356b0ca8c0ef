// A kernel compiled to a sm_90a fatbin (ptxas from the configured toolkit) runs
// through libFlopsCudaRuntime on the real driver: module load, alloc, copies,
// launch, free, with no error recorded.
// REQUIRES: cuda-device, cuda-toolkit
// RUN: env PATH=%cuda_toolkit_dir/bin:%PATH% mlir-opt %S/../GPURuntime/Inputs/scale-kernel.mlir -gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=fatbin" -o %t.mlir
// RUN: env FLOPS_CUDA_VERBOSE=1 %run_gpu %t.mlir 2>&1 | FileCheck %s
// CHECK-NOT: flops-cuda-runtime:
// CHECK: [0,  2,  4,  6]
// CHECK: [248,  250,  252,  254]
// CHECK-NOT: flops-cuda-runtime:
