// flops-compile --emit=header|obj|shared: a C program includes the header,
// links the object with the runtime's static archives and calls the packed
// train and eval steps, taking every shape, type and role from the header's
// layout tables; Python loads the .so with ctypes (no LLVM: its NEEDED
// entries are libm and libc) and calls the typed eval step. The forward
// entry is checked against flops-run (below).
// Zero parameters give the clean loss ln 10 per row whatever the data.
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=header -o %t/step.h --limit-train 256 --batch-size 32
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=obj -o %t/step.o --limit-train 256 --batch-size 32
// RUN: FileCheck %s --check-prefix=HEADER < %t/step.h
// RUN: c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ %t/step.h
// RUN: cc -std=c11 -Wall -Werror -I%t %S/Inputs/call-step.c %t/step.o %flops_lib_dir/libFlopsCompiledSupport.a %flops_lib_dir/libFlopsRuntimeStatic.a -lstdc++ -lm -o %t/call
// RUN: %t/call | FileCheck %s --check-prefix=CALL
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=shared -o %t/step.so --limit-train 256 --batch-size 32
// RUN: llvm-readelf -d %t/step.so | %drop_sanitizer_libs | FileCheck %s --check-prefix=SONEEDED
// RUN: %python %S/Inputs/ctypes-step.py %t/step.so | FileCheck %s --check-prefix=CTYPES

// The forward entry (static batch = the step's, 32): a C program that takes
// every shape from the header's layout tables calls it on random arguments;
// its results, and those of the .so called with ctypes, match flops-run's on
// the same arguments (tolerance in forward-check.py).
// RUN: %python %S/Inputs/forward-check.py gen %t/step.h %t | FileCheck %s --check-prefix=GEN
// RUN: cc -std=c11 -Wall -Werror -I%t %S/Inputs/call-forward.c %t/step.o %flops_lib_dir/libFlopsCompiledSupport.a %flops_lib_dir/libFlopsRuntimeStatic.a -lstdc++ -lm -o %t/call-forward
// RUN: %t/call-forward %t | FileCheck %s --check-prefix=FWDCALL
// RUN: flops-run %S/Inputs/mlp-small.mlir --input %t/input0.npy --params %t/params.safetensors --output %t/run.npy
// RUN: %python %S/Inputs/forward-check.py compare %t %t/run.npy | FileCheck %s --check-prefix=FWD
// RUN: %python %S/Inputs/forward-check.py ctypes %t/step.so %t/step.h %t %t/run.npy | FileCheck %s --check-prefix=FWD
// A forward of another batch; the option is checked.
// RUN: flops-compile %S/Inputs/mlp-small.mlir --emit=header -o %t/step8.h --limit-train 256 --batch-size 32 --forward-batch 8
// RUN: FileCheck %s --check-prefix=FWD8 < %t/step8.h
// RUN: not flops-compile %S/Inputs/mlp-small.mlir --emit=header -o %t/x.h --forward-batch -1 2>&1 | FileCheck %s --check-prefix=FWDNEG
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --forward-batch 8 2>&1 | FileCheck %s --check-prefix=FWDEXE

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
// HEADER: /* @forward */
// HEADER-NEXT: enum { FLOPS_FORWARD_NUM_ARGS = 5, FLOPS_FORWARD_NUM_RESULTS = 1 };
// HEADER: argument 0: input 'input0' tensor<32x784xf32>
// HEADER: result 0: output 'output0' tensor<32x10xf32>
// HEADER: static const int32_t flops_forward_arg_rank[5] FLOPS_MAYBE_UNUSED = {2, 2, 1, 2, 1};
// HEADER: static const int64_t flops_forward_arg_shape[5][2] FLOPS_MAYBE_UNUSED = {{[{][{]}}32, 784}, {784, 32}, {32, 0}, {32, 10}, {10, 0}};
// HEADER: static const int64_t flops_forward_result_shape[1][2] FLOPS_MAYBE_UNUSED = {{[{][{]}}32, 10}};
// HEADER-NEXT: static const char *const flops_forward_result_role[1] FLOPS_MAYBE_UNUSED = {"output"};
// HEADER-NEXT: static const char *const flops_forward_result_name[1] FLOPS_MAYBE_UNUSED = {"output0"};
// HEADER: void _mlir_ciface_forward(flops_memref_2d *a0_input0,
// HEADER: void _flops_packed_forward(void **args);
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
// GEN: wrote 1 inputs and 4 parameters
// FWDCALL: forward: 5 arguments, 1 results written
// FWD: forward vs flops-run: 1 result(s), 320 values, max abs diff {{.*}}, within tolerance 1
// FWD8: argument 0: input 'input0' tensor<8x784xf32>
// FWD8: result 0: output 'output0' tensor<8x10xf32>
// FWDNEG: flops-compile: error: --forward-batch must be >= 1 (0 = the step's batch), got -1
// FWDEXE: flops-compile: error: --forward-batch applies to --emit=obj|header|shared
