// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{estimator=spsa spsa-in-place=true queries=4 sigma=0.5 optimizer=sgd momentum=0})" | FileCheck %s
// RUN: flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true queries=4 optimizer=sgd momentum=0' --flops-lower-to-cpu --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s --check-prefix=BUF
// RUN: flops-opt %s --flops-forward-train='estimator=spsa queries=4 optimizer=sgd momentum=0' --flops-lower-to-cpu --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s --check-prefix=COPY
// RUN: flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true queries=4 optimizer=sgd momentum=0 clip-norm=2' | FileCheck %s --check-prefix=CLIP
// RUN: not flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true optimizer=adam' 2>&1 | FileCheck %s --check-prefix=ADAM
// RUN: not flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true optimizer=sgd momentum=0.9' 2>&1 | FileCheck %s --check-prefix=MOM
// RUN: not flops-opt %s --flops-forward-train='spsa-in-place=true optimizer=sgd momentum=0' 2>&1 | FileCheck %s --check-prefix=EST

/// estimator=spsa spsa-in-place=true (in-place MeZO, docs/METHOD.md §2.3):
/// K = 2 directions; per direction the trainable tensors are shifted by
/// +mu z, -2 mu z and +mu z by generics whose only operand is the tensor
/// itself (outs), with a forward after each of the first two; p_k / K is
/// kept in a tensor<K>, and after the loop the norm and the SGD update
/// regenerate z_k for every k inside their generics. The state is the
/// parameters alone (no momentum).

#bias = affine_map<(d0, d1) -> (d1)>
#ew = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x40xf32>, %w: tensor<40x24xf32> {flops.param, flops.name = "w"}, %b: tensor<24xf32> {flops.param, flops.name = "b"}) -> tensor<2x24xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x24xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x24xf32>) -> tensor<2x24xf32>
  %m = linalg.matmul ins(%x, %w : tensor<2x40xf32>, tensor<40x24xf32>) outs(%z : tensor<2x24xf32>) -> tensor<2x24xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<2x24xf32>, tensor<24xf32>) outs(%e : tensor<2x24xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x24xf32>
  return %y : tensor<2x24xf32>
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<40x24xf32> {flops.name = "w", flops.role = "param"}
// CHECK-SAME: %[[B:[a-z0-9]+]]: tensor<24xf32> {flops.name = "b", flops.role = "param"}
// CHECK-SAME: %{{.*}}: f32 {flops.name = "lr", flops.role = "lr"}
// CHECK-NOT: momentum
// CHECK-SAME: flops.estimator = "spsa"
// CHECK-SAME: flops.in_place_state
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[TW:[a-z0-9_]+]] = %[[W]], %[[TB:[a-z0-9_]+]] = %[[B]], %{{[a-z0-9_]+}} = %{{[a-z0-9_]+}}, %[[PK:[a-z0-9_]+]] = %{{[a-z0-9_]+}})
// CHECK: %[[W1:.*]] = linalg.generic {{.*}} outs(%[[TW]] : tensor<40x24xf32>)
// CHECK: flops.counter_normal
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: %[[B1:.*]] = linalg.generic {{.*}} outs(%[[TB]] : tensor<24xf32>)
// CHECK: func.call @forward(%{{.*}}, %[[W1]], %[[B1]])
// CHECK: %[[W2:.*]] = linalg.generic {{.*}} outs(%[[W1]] : tensor<40x24xf32>)
// CHECK: arith.constant -1.000000e+00 : f32
// CHECK: %[[B2:.*]] = linalg.generic {{.*}} outs(%[[B1]] : tensor<24xf32>)
// CHECK: func.call @forward(%{{.*}}, %[[W2]], %[[B2]])
// CHECK: %[[W3:.*]] = linalg.generic {{.*}} outs(%[[W2]] : tensor<40x24xf32>)
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: %[[B3:.*]] = linalg.generic {{.*}} outs(%[[B2]] : tensor<24xf32>)
// CHECK: tensor.insert %{{.*}} into %[[PK]][%[[K]]] : tensor<2xf32>
// CHECK: scf.yield %[[W3]], %[[B3]]
/// The norm, then the update θ − lr · Σ_k (p_k / K) z_k in θ's buffer.
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: scf.for
// CHECK: flops.counter_normal
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} outs(%{{.*}}#0 : tensor<40x24xf32>)
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: flops.counter_normal
// CHECK: arith.subf
// CHECK: return

/// After bufferization, @train_step holds no buffer the size of a parameter:
/// the perturbations, the restoration and the update write the argument
/// buffers (the out-params then receive a copy of them).
// BUF-LABEL: IR Dump After OneShotBufferizePass
// BUF: func.func @train_step(
// BUF-NOT: memref.alloc{{.*}}memref<40x24xf32>
// BUF-NOT: memref.alloc{{.*}}memref<24xf32>
// BUF: func.func @eval_step(

/// Without the option, the perturbed copies and the gradient accumulators
/// are parameter-sized buffers (so the checks above can fail).
// COPY: func.func @train_step(
// COPY: memref.alloc{{.*}}memref<40x24xf32>
// COPY: func.func @eval_step(

/// clip-norm: the update's lr · (g · min(1, 2 / (‖g‖ + 1e-6))).
// CLIP-LABEL: func.func @train_step(
// CLIP: math.sqrt
// CLIP: arith.constant 2.000000e+00 : f32
// CLIP: arith.divf
// CLIP: %[[S:.*]] = arith.minimumf
// CLIP: linalg.generic
// CLIP: scf.for
// CLIP: arith.mulf %{{.*}}, %[[S]] : f32
// CLIP: arith.subf

// ADAM: spsa-in-place updates the parameters with plain SGD (got optimizer=adam
// MOM: momentum must be 0 (a momentum buffer is parameter-sized state), got 0.9
// EST: spsa-in-place is an option of estimator=spsa (got estimator=lr)
