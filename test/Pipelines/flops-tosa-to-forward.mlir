// RUN: flops-opt %flops_src_root/examples/mlp-tosa.mlir --flops-tosa-to-forward | FileCheck %s
// RUN: flops-opt %flops_src_root/examples/mlp-tosa.mlir --flops-tosa-to-forward --flops-forward-train='queries=8' | FileCheck %s --check-prefix=TRAIN

/// The tosa MLP becomes plain matmuls reading the weight parameters directly
/// (unit-batch tosa.matmul rank-reduced, reshapes folded) and bias adds that
/// read the 1 x n bias through a (0, d1) map.
// CHECK: affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[X:[^:]*]]: tensor<64x784xf32>, %[[W1:[^:]*]]: tensor<784x256xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK: linalg.matmul ins(%[[X]], %[[W1]] : tensor<64x784xf32>, tensor<784x256xf32>)
// CHECK-COUNT-2: linalg.matmul

/// ... which flops-forward-train accepts: three sites, and the bias estimate
/// is accumulated as a vector and reshaped back to 1 x n.
// TRAIN-COUNT-3: flops.perturb
// TRAIN-LABEL: func.func @train_step
// TRAIN: scf.for
// TRAIN: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 256] : tensor<256xf32> into tensor<1x256xf32>
