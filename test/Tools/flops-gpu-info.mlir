// flops-gpu-info without a usable CUDA driver: the runtime's clear message and
// exit code 1 (never a crash). Runs everywhere; test/GPU has the device case.
// RUN: env FLOPS_CUDA_DRIVER=%t.missing-libcuda.so.1 not flops-gpu-info 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: flops-gpu-info: no CUDA driver: dlopen({{.*}}missing-libcuda.so.1) failed: {{.+}}

// RUN: not flops-gpu-info --bogus 2>&1 | FileCheck %s --check-prefix=ARGS
// ARGS: flops-gpu-info: unknown argument '--bogus'

// libFlopsCudaRuntime loads libcuda / libcublas with dlopen: no DT_NEEDED on
// any CUDA library.
// RUN: llvm-readelf -d %flops_lib_dir/libFlopsCudaRuntime.so | FileCheck %s --check-prefix=NEEDED
// NEEDED: Dynamic section
// NEEDED-NOT: libcuda
// NEEDED-NOT: libcublas
// NEEDED-NOT: libcudart
// NEEDED: (NEEDED) Shared library: [libc.so.6]
// NEEDED-NOT: libcuda
// NEEDED-NOT: libcublas
// NEEDED-NOT: libcudart
