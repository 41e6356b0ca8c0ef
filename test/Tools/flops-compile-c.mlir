// flops-compile --emit=header|obj|shared: a C program includes the header,
// links the object with the runtime's static archives and calls the packed
// train step and the typed eval step; Python loads the .so with ctypes (no
// LLVM: its NEEDED entries are libm and libc) and calls the eval step.
// Zero parameters give the clean loss ln 10 per row whatever the data.
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=header -o %t/step.h --limit-train 256 --batch-size 32
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=obj -o %t/step.o --limit-train 256 --batch-size 32
// RUN: FileCheck %s --check-prefix=HEADER < %t/step.h
// RUN: cc -std=c11 -Wall -Werror -I%t %S/Inputs/call-step.c %t/step.o %flops_lib_dir/libFlopsCompiledSupport.a %flops_lib_dir/libFlopsRuntimeStatic.a -lstdc++ -lm -o %t/call
// RUN: %t/call | FileCheck %s --check-prefix=CALL
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=shared -o %t/step.so --limit-train 256 --batch-size 32
// RUN: llvm-readelf -d %t/step.so | FileCheck %s --check-prefix=SONEEDED
// RUN: %python %S/Inputs/ctypes-step.py %t/step.so | FileCheck %s --check-prefix=CTYPES

// HEADER: typedef struct flops_memref_1d {
// HEADER: enum { FLOPS_TRAIN_STEP_NUM_ARGS = 23, FLOPS_TRAIN_STEP_NUM_RESULTS = 19 };
// HEADER: argument 0: param 'fc1.weight' tensor<784x32xf32>
// HEADER: argument 18: lr 'lr' f32
// HEADER: result 18: metrics 'metrics' tensor<5xf32>
// HEADER: void _mlir_ciface_train_step(flops_memref_2d *a0_fc1_weight,
// HEADER: float a18_lr,
// HEADER: void _flops_packed_train_step(void **args);
// HEADER: void _mlir_ciface_eval_step(
// HEADER: int64_t a6_valid,
// HEADER-NEXT: flops_memref_1d *r0_metrics);
// HEADER: extern const char _flops_manifest[];
// CALL: train_step: clean loss 2.302585, grad norm finite 1
// CALL: fc1.weight updated: 1
// CALL: eval_step(zero): loss_sum 73.6827 (32 ln 10 = 73.6827)
// CALL: eval_step(updated): loss_sum finite 1, differs from zero parameters' 1
// SONEEDED-NOT: libLLVM
// SONEEDED-NOT: libMLIR
// SONEEDED-NOT: libFlops
// CTYPES: manifest: format flops-compile-1
// CTYPES: eval_step loss_sum 73.6827, 32 ln 10 73.6827
