// RUN: flops-opt %s --flops-lower-to-cpu | FileCheck %s

/// Loop-invariant code that several loop nests share is hoisted out of each
/// of them and then merged (CSE after LICM). Here two noise generators (rows
/// of 7: lane by lane, as in a 7x7 feature map) use the same seed: each
/// broadcasts the seed's Philox words and round keys to its vectors inside
/// its own loop nest; hoisted, the copies are merged, and the seed's low
/// word is splat once. Unmerged, a small Inception's train step carried 1593
/// such copies of 84 values into its chunk loop and every outlined nest
/// (docs/ONNX.md, "Why the stock models compile slowly").
// CHECK-LABEL: llvm.func @two_noises(
// CHECK: %[[LO:[0-9]+]] = llvm.trunc %arg0 : i64 to i32
// CHECK: llvm.insertelement %[[LO]], %{{[0-9]+}}[%{{[0-9]+}} : i32] : vector<7xi32>
// CHECK-NOT: llvm.insertelement %[[LO]],
// CHECK: llvm.return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_noises(%seed: i64, %step: i64, %a: tensor<16x7xf32>,
                      %b: tensor<16x7xf32>)
    -> (tensor<16x7xf32>, tensor<16x7xf32>) {
  %e0 = tensor.empty() : tensor<16x7xf32>
  %r0 = linalg.generic {indexing_maps = [#id, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<16x7xf32>) outs(%e0 : tensor<16x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %z = flops.counter_normal %seed, %step, %i, %j {site = 1 : i64}
        : i64, index -> f32
    %s = arith.addf %in, %z : f32
    linalg.yield %s : f32
  } -> tensor<16x7xf32>
  %e1 = tensor.empty() : tensor<16x7xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<16x7xf32>) outs(%e1 : tensor<16x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %z = flops.counter_normal %seed, %step, %i, %j {site = 2 : i64}
        : i64, index -> f32
    %s = arith.mulf %in, %z : f32
    linalg.yield %s : f32
  } -> tensor<16x7xf32>
  return %r0, %r1 : tensor<16x7xf32>, tensor<16x7xf32>
}
