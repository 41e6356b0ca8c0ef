// flops-compile --device cuda: the step lowered by flops-lower-to-cuda, its
// device code (sm_90a fatbins from ptxas) embedded in the program with
// FLOPS' CUDA runtime (libFlopsCudaRuntimeStatic.a, which dlopens the CUDA
// driver at run time). The program needs no LLVM, MLIR or CUDA library at
// load time (the runtime's thread-local state adds the dynamic loader, except
// in a sanitized build, whose runtime provides __tls_get_addr); without a
// driver it stops with the runtime's "no CUDA driver" message and exit status 1 before reading data. Against the test-only fake
// driver (whose kernels never run: the numbers are not checked) its
// constructors load the kernel modules, the eval step's launches go through
// the runtime, and a failing launch is an error naming the kernel.
// REQUIRES: cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-compile %S/Inputs/mlp-small.mlir -o %t/train --device cuda --limit-train 64 --batch-size 32
// RUN: ldd %t/train | FileCheck %s --check-prefix=LDD
// RUN: llvm-readelf -d %t/train | %drop_sanitizer_libs | FileCheck %s --check-prefixes=NEEDED%if !sanitized %{,LDSO%}
// RUN: %t/train --info | FileCheck %s --check-prefix=INFO
// RUN: env FLOPS_CUDA_DRIVER=%t/none/libcuda.so.1 not %t/train --limit-train 64 --data-dir %t/none 2>&1 | FileCheck %s --check-prefix=NODRIVER
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 %t/train --limit-train 64 --limit-test 32 --epochs 0 --progress=false 2>&1 | FileCheck %s --check-prefix=FAKE
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_FAIL=cuLaunchKernel=719 not %t/train --limit-train 64 --limit-test 32 --epochs 0 --progress=false 2>&1 | FileCheck %s --check-prefix=LAUNCH
// RUN: flops-compile %S/Inputs/mlp-small.mlir -o %t/step.so --emit=shared --device cuda --limit-train 64 --batch-size 32
// RUN: llvm-readelf -d %t/step.so | %drop_sanitizer_libs | FileCheck %s --check-prefix=SONEEDED
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --device tpu 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --cuda-options contraction=cublas 2>&1 | FileCheck %s --check-prefix=CUDAOPT
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --device cuda --num-threads 2 2>&1 | FileCheck %s --check-prefix=THREADS

// LDD-NOT: libMLIR
// LDD-NOT: libLLVM
// LDD-NOT: libFlops
// LDD-NOT: libcuda
// LDD-NOT: libcublas
// NEEDED-NOT: NEEDED
// NEEDED: (NEEDED) Shared library: [libstdc++.so.6]
// NEEDED-NEXT: (NEEDED) Shared library: [libm.so.6]
// NEEDED-NEXT: (NEEDED) Shared library: [libgcc_s.so.1]
// NEEDED-NEXT: (NEEDED) Shared library: [libc.so.6]
// LDSO-NEXT: (NEEDED) Shared library: [ld-linux-x86-64.so.2]
// NEEDED-NOT: NEEDED
// INFO: pipeline: builtin.module(flops-lower-to-cuda{out-params=true})
// INFO: device: cuda
// NODRIVER: train: error: no CUDA driver: dlopen({{.*}}none/libcuda.so.1) failed
// FAKE: fake-cuda: module load (any image)
// FAKE: train: compiled ahead of time by flops-compile for x86-64-v2 with builtin.module(flops-lower-to-cuda{out-params=true})
// FAKE: fake-cuda: launch eval_step_kernel grid ({{[0-9]+}}, {{[0-9]+}}, 1) block ({{[0-9]+}}, {{[0-9]+}}, 1)
// FAKE: initial parameters: test loss
// FAKE: fake-cuda: module unload
// LAUNCH: train: error: @eval_step failed on the CUDA device: cuLaunchKernel failed for kernel `eval_step_kernel`
// SONEEDED-NOT: libLLVM
// SONEEDED-NOT: libMLIR
// SONEEDED-NOT: libFlops
// SONEEDED-NOT: libcuda
// DEVICE: flops-compile: error: --device must be cpu or cuda, got 'tpu'
// CUDAOPT: flops-compile: error: --cuda-options needs --device cuda
// THREADS: flops-compile: error: --pipeline, --cpu-options and --num-threads do not apply to --device cuda
