// The benchmark tools' --help lists their own options, not LLVM's backend
// options (issue 15, 9.).
// RUN: flops-bench-train-step --help | FileCheck %s --check-prefix=STEP
// RUN: flops-allocator-variance --help | FileCheck %s --check-prefix=VAR
// STEP: flops-bench-train-step options:
// STEP: --batch-size
// STEP-NOT: aarch64
// STEP-NOT: amdgpu
// VAR: flops-allocator-variance options:
// VAR: --allocators
// VAR-NOT: aarch64
// VAR-NOT: amdgpu
