// REQUIRES: cuda-toolkit
// RUN: rm -rf %t.cache
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CUDA_VERBOSE=1 flops-train %S/../../Tools/Inputs/mlp-small.mlir --device cuda --epochs 0 --limit-train 32 --limit-test 32 --batch-size 32 --cache-dir %t.cache --progress=false 2>&1 | FileCheck %s
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CUDA_VERBOSE=1 flops-train %S/../../Tools/Inputs/mlp-small.mlir --device cuda --epochs 0 --limit-train 32 --limit-test 32 --batch-size 32 --cache-dir %t.cache --progress=false --verbose 2>&1 | FileCheck %s --check-prefix=HIT
// RUN: flops-train %S/../../Tools/Inputs/mlp-small.mlir --epochs 0 --limit-train 32 --limit-test 32 --batch-size 32 --num-threads 1 --cache-dir %t.cache --progress=false --verbose 2>&1 | FileCheck %s --check-prefix=CPU-MISS
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_FAIL=cuLaunchKernel=719 not flops-train %S/../../Tools/Inputs/mlp-small.mlir --device cuda --epochs 0 --limit-train 32 --limit-test 32 --batch-size 32 --no-cache --progress=false 2>&1 | FileCheck %s --check-prefix=LAUNCH

/// The whole --device cuda path with real device code (sm_90a fatbins from
/// ptxas) against the fake driver, whose kernels never run (the metrics are
/// meaningless and not checked): the JIT-linked host code's constructors
/// load every kernel module before the first call, the eval step's
/// launches go through libFlopsCudaRuntime, no CUDA error is recorded, and
/// the modules are unloaded when the program goes away.

// CHECK-NOT: flops-cuda-runtime:
// CHECK-NOT: fake-cuda: launch
// CHECK: fake-cuda: module load (any image)
// CHECK-NOT: fake-cuda: launch
// CHECK: flops-train: compiled in {{.*}} with builtin.module(flops-lower-to-cuda{out-params=true})
// CHECK: fake-cuda: launch eval_step_kernel grid ({{[0-9]+}}, {{[0-9]+}}, 1) block ({{[0-9]+}}, {{[0-9]+}}, 1)
// CHECK: initial parameters: test loss
// CHECK: fake-cuda: module unload

/// The compile cache keeps the CUDA step (keyed by the device's pipeline):
/// a second run links the stored object and its constructors load the
/// modules again; the CPU device does not take the CUDA entry.
// HIT: fake-cuda: module load (any image)
// HIT: note: compiled with builtin.module(flops-lower-to-cuda{out-params=true}) in {{.*}} (compile cache hit)
// HIT: fake-cuda: launch eval_step_kernel
// CPU-MISS: note: compiled with builtin.module(flops-lower-to-cpu{num-threads=1 out-params=true}) in
// CPU-MISS-NOT: cache hit

/// A failing launch: the call reports the runtime's message (the kernel
/// named) and the tool stops with status 1.
// LAUNCH: flops-train: error: @eval_step failed on the CUDA device: cuLaunchKernel failed for kernel `eval_step_kernel` in module #{{[0-9]+}} (fatbin, {{[0-9]+}} bytes) {{.*}}: CUDA_ERROR_LAUNCH_FAILED
