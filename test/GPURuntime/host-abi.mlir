// The host code that MLIR 22's gpu-lower-to-nvvm-pipeline (gpu-to-llvm) emits,
// JIT-run by mlir-runner against libFlopsCudaRuntime on a machine without a
// GPU: the mgpu* signatures line up with what the compiler calls (grid, block,
// shared memory and sizes arrive intact) and a missing driver is reported, not
// crashed on. PTX (cubin-format=isa) needs no ptxas.
// RUN: mlir-opt %S/Inputs/scale-kernel.mlir -gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" -o %t.mlir

// No driver: every step records an error (FLOPS_CUDA_VERBOSE prints each),
// the host buffer comes back untouched.
// RUN: env FLOPS_CUDA_DRIVER=%t.missing-libcuda.so.1 FLOPS_CUDA_VERBOSE=1 %run_gpu %t.mlir 2>&1 | FileCheck %s --check-prefix=NODRIVER
// NODRIVER: flops-cuda-runtime: mgpuModuleLoadJIT: no CUDA driver: dlopen({{.*}}missing-libcuda.so.1) failed
// NODRIVER: flops-cuda-runtime: mgpuMemAlloc: no CUDA driver
// NODRIVER: flops-cuda-runtime: mgpuMemcpy: no CUDA driver
// NODRIVER: flops-cuda-runtime: mgpuModuleGetFunction: no CUDA driver
// NODRIVER: flops-cuda-runtime: mgpuLaunchKernel: no CUDA driver
// NODRIVER: flops-cuda-runtime: mgpuStreamSynchronize: no CUDA driver
// NODRIVER: [0,  1,  2,  3]
// NODRIVER: [124,  125,  126,  127]

// The fake driver (host memory; kernels never run): the launch arrives with
// the compiler's grid and block, copies with the buffer's size, and no error
// is recorded.
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CUDA_VERBOSE=1 %run_gpu %t.mlir 2>&1 | FileCheck %s --check-prefix=FAKE
// FAKE-NOT: flops-cuda-runtime:
// FAKE: fake-cuda: module load (any image)
// FAKE-NEXT: fake-cuda: stream create
// FAKE-NEXT: fake-cuda: alloc 512 bytes
// FAKE-NEXT: fake-cuda: copy 512 bytes
// FAKE-NEXT: fake-cuda: launch main_kernel grid (4, 1, 1) block (32, 1, 1) cluster (1, 1, 1) smem 0
// FAKE-NEXT: fake-cuda: copy 512 bytes
// FAKE-NEXT: fake-cuda: free
// FAKE-NOT: flops-cuda-runtime:
// FAKE: [0,  1,  2,  3]
// FAKE: [124,  125,  126,  127]

// A failing launch is reported with the kernel's name and module, once.
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_FAIL=cuLaunchKernel=719 FLOPS_CUDA_VERBOSE=1 %run_gpu %t.mlir 2>&1 | FileCheck %s --check-prefix=LAUNCH
// LAUNCH: flops-cuda-runtime: cuLaunchKernel failed for kernel `main_kernel` in module #1 (PTX, {{[0-9]+}} bytes) [grid (4, 1, 1), block (32, 1, 1), 0 bytes of dynamic shared memory]: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)
// LAUNCH-NOT: flops-cuda-runtime:
// LAUNCH: [0,  1,  2,  3]

// FLOPS_CUDA_SYNC_LAUNCHES=1 synchronizes after each launch, so that a kernel
// fault is attributed to the kernel that caused it.
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_FAIL=cuStreamSynchronize=700 FLOPS_CUDA_SYNC_LAUNCHES=1 FLOPS_CUDA_VERBOSE=1 %run_gpu %t.mlir 2>&1 | FileCheck %s --check-prefix=SYNC
// SYNC: flops-cuda-runtime: cuStreamSynchronize failed after the launch for kernel `main_kernel` in module #1 (PTX, {{[0-9]+}} bytes) [grid (4, 1, 1), block (32, 1, 1), 0 bytes of dynamic shared memory]: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)
// SYNC: flops-cuda-runtime: cuStreamSynchronize failed (last kernel launched on the stream: `main_kernel` in module #1 (PTX, {{[0-9]+}} bytes)): CUDA_ERROR_ILLEGAL_ADDRESS
