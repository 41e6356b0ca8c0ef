// cmake --install into a fresh prefix; a consumer project does
// find_package(FlopsMLIR), links FlopsMLIR::FlopsDriver and runs
// flops-forward-train through it; the installed flops-compile finds its
// archives in the prefix's lib/ and its program trains. About a minute
// (a configure and an MLIR-header compile), so behind the lit feature
// install-test: lit --param install-test=1.
// REQUIRES: install-test
// RUN: %flops_src_root/scripts/test-install.sh %flops_obj_root %t 2>&1 | FileCheck %s
// CHECK: FlopsMLIRConfig.cmake
// CHECK: FlopsMLIRTargets.cmake
// CHECK: consumer: @forward
// CHECK: consumer: @train_step
// CHECK: consumer: @eval_step
// CHECK: epoch 1/1: train loss
