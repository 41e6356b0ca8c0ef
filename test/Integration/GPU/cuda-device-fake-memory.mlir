// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' > %t.step.mlir
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{stage-arguments=true format=isa})" -o %t.staged.mlir
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{format=isa})" -o %t.managed.mlir
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{serial-kernels=false stage-arguments=true format=isa})" -o %t.oldstaged.mlir
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{serial-kernels=false format=isa})" -o %t.oldmanaged.mlir
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_PROTECT=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CUDA_VERBOSE=1 %run_gpu %t.staged.mlir > %t.staged.out 2> %t.staged.log
// RUN: FileCheck %s --input-file=%t.staged.out
// RUN: FileCheck %s --check-prefix=TRACE --input-file=%t.staged.log
// RUN: grep -c "fake-cuda: copy" %t.staged.log | FileCheck %s --check-prefix=COPIES
// RUN: grep -c "fake-cuda: alloc" %t.staged.log | FileCheck %s --check-prefix=DEVICE-ALLOCS
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_PROTECT=1 FLOPS_FAKE_CUDA_TRACE=1 %run_gpu %t.managed.mlir > %t.managed.out 2> %t.managed.log
// RUN: FileCheck %s --input-file=%t.managed.out
// RUN: FileCheck %s --check-prefix=TRACE --input-file=%t.managed.log
// RUN: grep -c "fake-cuda: copy" %t.managed.log | FileCheck %s --check-prefix=COPIES
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_PROTECT=1 FLOPS_FAKE_CUDA_TRACE=1 %run_gpu %t.oldstaged.mlir > %t.oldstaged.out 2> %t.oldstaged.log
// RUN: FileCheck %s --input-file=%t.oldstaged.out
// RUN: grep -c "fake-cuda: copy" %t.oldstaged.log | FileCheck %s --check-prefix=OLD-COPIES
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_PROTECT=1 not --crash %run_gpu %t.oldmanaged.mlir > %t.oldmanaged.out 2>&1
// RUN: FileCheck %s --check-prefix=FAULT --input-file=%t.oldmanaged.out
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{serial-kernels=false stage-arguments=true stop-at-kernels=true})" | FileCheck %s --check-prefix=SHADOWS
// RUN: flops-opt %t.step.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{stage-arguments=true stop-at-kernels=true})" | FileCheck %s --check-prefix=NO-SHADOWS

/// Plain device memory for the step's buffers, without a GPU: @main keeps
/// everything it passes to @train_step on the device (the unit attribute
/// flops.gpu.device_memory: cuMemAlloc, constants copied in with
/// gpu.memcpy), and the fake driver's FLOPS_FAKE_CUDA_PROTECT=1 maps those
/// allocations PROT_NONE, opened only inside its own copies and memsets.
/// The kernels never run on the fake, but every host op of the step does,
/// so a host access to a device buffer is a segmentation fault.
///
/// With the host code between kernels in single-thread kernels
/// (serial-kernels, the default), no host op of this step touches a buffer
/// argument any more: two train steps run to the end with no fault and no
/// CUDA error both with stage-arguments=true (which then finds nothing to
/// shadow) and without it, and the only copies are @main's 8 constants.
// CHECK: two steps done
// TRACE-NOT: flops-cuda-runtime:
// TRACE: fake-cuda: alloc
// TRACE-NOT: flops-cuda-runtime:
// COPIES: {{^}}8{{$}}
/// @main's 8 constants and 2 * 11 out-params are device allocations.
// DEVICE-ALLOCS: {{^}}30{{$}}
///
/// With serial-kernels=false (the host code on the host, as before) and
/// stage-arguments=true, the arguments that host code touches get managed
/// shadows: 8 constants, then per step 3 shadows filled and copied back
/// (the two bias out-params, which the step also uses as scratch for the
/// gradient norm's host reduction, and the metrics, which host code
/// stores) and 2 device-to-device copies (the frozen log-σ passed through,
/// a host memref.copy before): 8 + 2 * 8.
// OLD-COPIES: {{^}}24{{$}}
///
/// With neither, the step's host code reads a device buffer and faults
/// before the first step returns.
// FAULT-NOT: two steps done
// FAULT: Stack dump
//
// SHADOWS-LABEL: func.func @train_step
// SHADOWS-COUNT-3: gpu.alloc host_shared
// SHADOWS-NEXT: gpu.wait async
// SHADOWS-NEXT: gpu.memcpy async {{.*}}, %arg16
// SHADOWS-NEXT: gpu.memcpy async {{.*}}, %arg18
// SHADOWS-NEXT: gpu.memcpy async {{.*}}, %arg25
// SHADOWS-NEXT: gpu.wait [
// SHADOWS: gpu.memcpy async {{.*}} %arg23, %arg8
// SHADOWS: gpu.memcpy async {{.*}} %arg24, %arg9
//
/// serial-kernels: no shadow, no copy in the step.
// NO-SHADOWS-LABEL: func.func @train_step
// NO-SHADOWS-NOT: gpu.memcpy
// NO-SHADOWS: return

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<16x4xf32>,
                   %w1: tensor<4x8xf32> {flops.param}, %b1: tensor<8xf32> {flops.param},
                   %w2: tensor<8x2xf32> {flops.param}, %b2: tensor<2xf32> {flops.param}) -> tensor<16x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<16x4xf32>, tensor<4x8xf32>) outs(%z1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<16x8xf32>, tensor<8xf32>) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<16x8xf32>) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  %e2 = tensor.empty() : tensor<16x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<16x8xf32>, tensor<8x2xf32>) outs(%z2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<16x2xf32>, tensor<2xf32>) outs(%e2 : tensor<16x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// Replaced by the pass.
func.func private @train_step(tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
                              tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
                              tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
    -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
        tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
        tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)


// The caller keeps everything on the device (plain cuMemAlloc buffers).
func.func @main() attributes {flops.gpu.device_memory} {
  %seed = arith.constant 7 : i64
  %s0 = arith.constant 0 : i64
  %s1 = arith.constant 1 : i64
  %lr = arith.constant 0.05 : f32
  %x = arith.constant dense<0.25> : tensor<16x4xf32>
  %labels = arith.constant dense<1> : tensor<16xi32>
  %w1 = arith.constant dense<0.125> : tensor<4x8xf32>
  %b1 = arith.constant dense<0.0> : tensor<8xf32>
  %w2 = arith.constant dense<-0.25> : tensor<8x2xf32>
  %b2 = arith.constant dense<0.0> : tensor<2xf32>
  %ls1 = arith.constant dense<-2.9957323> : tensor<8xf32>
  %ls2 = arith.constant dense<-2.9957323> : tensor<2xf32>
  %a:11 = func.call @train_step(%w1, %b1, %w2, %b2, %w1, %b1, %w2, %b2, %ls1, %ls2, %lr, %s0, %seed, %x, %labels) {no_inline}
      : (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
      -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)
  %b:11 = func.call @train_step(%a#0, %a#1, %a#2, %a#3, %a#4, %a#5, %a#6, %a#7, %a#8, %a#9, %lr, %s1, %seed, %x, %labels) {no_inline}
      : (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
      -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)
  vector.print str "two steps done\n"
  return
}
