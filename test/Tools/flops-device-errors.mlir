// RUN: rm -f %t.out.safetensors %t.jsonl
// RUN: env FLOPS_CUDA_DRIVER=%t.missing-libcuda.so.1 not flops-train %S/Inputs/mlp-small.mlir --device cuda --train-npy %t.missing-x.npy --train-labels %t.missing-y.npy --save %t.out.safetensors --metrics %t.jsonl 2>&1 | FileCheck %s --check-prefix=NODRIVER
// RUN: not ls %t.out.safetensors %t.jsonl
// RUN: env FLOPS_CUDA_DRIVER=%t.missing-libcuda.so.1 not flops-run %S/Inputs/mlp-small.mlir --device cuda --input %t.missing-x.npy --output %t.out.npy 2>&1 | FileCheck %s --check-prefix=RUN-NODRIVER
// RUN: not ls %t.out.npy
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_DEVICES=0 not flops-train %S/Inputs/mlp-small.mlir --device cuda --train-npy %t.missing-x.npy --train-labels %t.missing-y.npy 2>&1 | FileCheck %s --check-prefix=NODEVICE
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_FAIL=cuInit=3 not flops-train %S/Inputs/mlp-small.mlir --device cuda 2>&1 | FileCheck %s --check-prefix=INIT
// RUN: env FLOPS_CUDA_RUNTIME=%t.missing-runtime.so not flops-train %S/Inputs/mlp-small.mlir --device cuda 2>&1 | FileCheck %s --check-prefix=RUNTIME
// RUN: not flops-train %S/Inputs/mlp-small.mlir --cuda-options=host-loops=true 2>&1 | FileCheck %s --check-prefix=OPTIONS
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda not flops-train %S/Inputs/mlp-small.mlir --device cuda --pipeline reference 2>&1 | FileCheck %s --check-prefix=CPU-PIPELINE
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda not flops-train %S/Inputs/mlp-small.mlir --device cuda --cuda-options=precision=bf16 --limit-train 64 --limit-test 32 --batch-size 32 --no-cache 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_MEMORY_MIB=1 not flops-train %S/Inputs/mlp-small.mlir --device cuda --cuda-options=host-loops=true --limit-train 256 --limit-test 32 --batch-size 256 --no-cache 2>&1 | FileCheck %s --check-prefix=MEMORY

/// --device cuda without a usable CUDA driver or device fails at once, with
/// the runtime's reason and exit status 1, before any data is read (the
/// --train-npy / --input files do not exist: reading them first would be a
/// different error) and before anything is written. The fake driver
/// (libFlopsFakeCuda) stands in for a driver without devices and for one
/// whose cuInit fails.

// NODRIVER: flops-train: error: no CUDA driver: dlopen({{.*}}missing-libcuda.so.1) failed
// NODRIVER-NOT: missing-x.npy
// RUN-NODRIVER: flops-run: error: no CUDA driver: dlopen({{.*}}missing-libcuda.so.1) failed
// RUN-NODRIVER-NOT: missing-x.npy
// NODEVICE: flops-train: error: no CUDA device: cuDeviceGetCount returned 0
// NODEVICE-NOT: missing-x.npy
// INIT: flops-train: error: no CUDA driver: cuInit failed: CUDA_ERROR_NOT_INITIALIZED

/// The runtime library itself missing (FLOPS_CUDA_RUNTIME overrides where
/// the tools look for libFlopsCudaRuntime.so).
// RUNTIME: flops-train: error: cannot load the CUDA runtime {{.*}}missing-runtime.so

/// Pipeline options without the device, and a rejected pipeline option.
// OPTIONS: flops-train: error: --cuda-options needs --device cuda
// CPU-PIPELINE: flops-train: error: --pipeline and --cpu-options do not apply to --device cuda
// PIPELINE: flops-train: error: pass pipeline 'builtin.module(flops-lower-to-cuda{out-params=true precision=bf16})' failed
// PIPELINE: error: flops-lower-to-cuda: precision=bf16 needs contraction=cublas

/// The driver's managed allocations are bounded by half the device memory
/// (the fake device reports 1 MiB here; the 256-row input batch needs
/// 784 KiB).
// MEMORY: flops-train: error: {{.*}}: the buffers need more than 0.5 MiB of CUDA managed memory (50 % of the device's 1.0 MiB)
