// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{expand-noise=false}))" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize))" | FileCheck %s --check-prefix=NOISE
// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{expand-noise=false widen-vector-loops=false}))" | FileCheck %s --check-prefix=OFF

/// widen-vector-loops: an elementwise op whose innermost output dimension is
/// shorter than its vector gets its unit loops dropped and its vector loop
/// collapsed with the outer loops contiguous with it in every operand
/// (WidenVectorLoops.cpp).

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d1)>
#sc4 = affine_map<(d0, d1, d2, d3) -> ()>

/// An optimizer-style update of a 3x3 filter: one loop over all 288 elements
/// instead of rows of 3.
// CHECK-LABEL: func.func @weight_update
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : tensor<8x4x3x3xf32> into tensor<288xf32>
// CHECK: arith.subf %{{.*}} : vector<16xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] output_shape [8, 4, 3, 3]
// OFF-LABEL: func.func @weight_update
// OFF-NOT: tensor.collapse_shape
// OFF: arith.subf %{{.*}} : vector<3xf32>
func.func @weight_update(%w: tensor<8x4x3x3xf32>, %g: tensor<8x4x3x3xf32>, %lr: tensor<f32>) -> tensor<8x4x3x3xf32> {
  %e = tensor.empty() : tensor<8x4x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4, #sc4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %g, %lr : tensor<8x4x3x3xf32>, tensor<8x4x3x3xf32>, tensor<f32>) outs(%e : tensor<8x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %l: f32, %o: f32):
    %p = arith.mulf %b, %l : f32
    %s = arith.subf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x4x3x3xf32>
  return %r : tensor<8x4x3x3xf32>
}

/// The noise of a site with 2x2 pixels: the pixels collapse (the channel is
/// broadcast from sigma, so it stays a loop), and the counter (c*2 + h)*2 + w
/// is rewritten as c*4 + p without the collapse's divisions: 4 consecutive
/// lanes that share a Philox block (vector.shuffle, one log per lane pair).
// CHECK-LABEL: func.func @site_2x2
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : tensor<2x8x2x2xf32> into tensor<2x8x4xf32>
// CHECK-NOT: arith.divsi
// CHECK-NOT: arith.remsi
// CHECK: flops.counter_normal {{.*}} : vector<4xi64>, vector<4xindex> -> vector<4xf32>
// NOISE-LABEL: func.func @site_2x2
// NOISE: vector.shuffle
// NOISE: math.sqrt %{{.*}} : vector<2xf32>
// OFF-LABEL: func.func @site_2x2
// OFF: flops.counter_normal {{.*}} -> vector<2xf32>
func.func @site_2x2(%x: tensor<2x8x2x2xf32>, %sigma: tensor<8xf32>, %seed: i64, %step: i64) -> tensor<2x8x2x2xf32> {
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<2x8x2x2xf32>
  %r = linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %sigma : tensor<2x8x2x2xf32>, tensor<8xf32>) outs(%e : tensor<2x8x2x2xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %ch = arith.muli %c, %c2 : index
    %chh = arith.addi %ch, %h : index
    %chw = arith.muli %chh, %c2 : index
    %el = arith.addi %chw, %w : index
    %z = flops.counter_normal %seed, %step, %n, %el {antithetic, site = 3 : i64} : i64, index -> f32
    %sz = arith.mulf %s, %z : f32
    %y = arith.addf %a, %sz : f32
    linalg.yield %y : f32
  } -> tensor<2x8x2x2xf32>
  return %r : tensor<2x8x2x2xf32>
}

/// A site with 1x1 pixels: the unit loops are dropped and the vector runs
/// along the 32 channels.
// CHECK-LABEL: func.func @site_1x1
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<2x32x1x1xf32> into tensor<2x32xf32>
// CHECK: flops.counter_normal {{.*}} -> vector<32xf32>
// NOISE-LABEL: func.func @site_1x1
// NOISE: math.sqrt %{{.*}} : vector<16xf32>
// OFF-LABEL: func.func @site_1x1
// OFF: flops.counter_normal {{.*}} -> vector<1xf32>
func.func @site_1x1(%x: tensor<2x32x1x1xf32>, %sigma: tensor<32xf32>, %seed: i64, %step: i64) -> tensor<2x32x1x1xf32> {
  %e = tensor.empty() : tensor<2x32x1x1xf32>
  %r = linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %sigma : tensor<2x32x1x1xf32>, tensor<32xf32>) outs(%e : tensor<2x32x1x1xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %chh = arith.addi %c, %h : index
    %el = arith.addi %chh, %w : index
    %z = flops.counter_normal %seed, %step, %n, %el {antithetic, site = 4 : i64} : i64, index -> f32
    %sz = arith.mulf %s, %z : f32
    %y = arith.addf %a, %sz : f32
    linalg.yield %y : f32
  } -> tensor<2x32x1x1xf32>
  return %r : tensor<2x32x1x1xf32>
}

/// A strided slice (the taps of a strided convolution) is not contiguous
/// along its rows: collapsing them would make bufferization copy it.
// CHECK-LABEL: func.func @negative_strided_slice
// CHECK-NOT: tensor.collapse_shape
// CHECK: arith.addf %{{.*}} : vector<4xf32>
func.func @negative_strided_slice(%x: tensor<2x8x9x9xf32>, %b: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %s = tensor.extract_slice %x[0, 0, 0, 0] [2, 8, 4, 4] [1, 1, 2, 2] : tensor<2x8x9x9xf32> to tensor<2x8x4x4xf32>
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %b : tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %y = arith.addf %a, %c : f32
    linalg.yield %y : f32
  } -> tensor<2x8x4x4xf32>
  return %r : tensor<2x8x4x4xf32>
}

/// A broadcast read through a constant index ((d0, d1, 0): a size-1
/// dimension) is not a projected permutation: the rows stay as they are
/// (collapsing d1 and d2 would read the wrong elements).
// CHECK-LABEL: func.func @negative_constant_index
// CHECK-NOT: tensor.collapse_shape
// CHECK: arith.subf %{{.*}} : vector<8xf32>
func.func @negative_constant_index(%x: tensor<4x8x8xf32>, %m: tensor<4x8x1xf32>) -> tensor<4x8x8xf32> {
  %e = tensor.empty() : tensor<4x8x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %m : tensor<4x8x8xf32>, tensor<4x8x1xf32>) outs(%e : tensor<4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %y = arith.subf %a, %b : f32
    linalg.yield %y : f32
  } -> tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

/// Noise rows of 12 elements: collapsing the rows into the vector would put
/// lanes of different rows (counters row = p floordiv 12) in one vector,
/// which cannot share Philox blocks: the rows stay.
// CHECK-LABEL: func.func @negative_noise_rows
// CHECK-NOT: tensor.collapse_shape
// CHECK: flops.counter_normal {{.*}} -> vector<12xf32>
func.func @negative_noise_rows(%x: tensor<16x12xf32>, %seed: i64, %step: i64) -> tensor<16x12xf32> {
  %e = tensor.empty() : tensor<16x12xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x12xf32>) outs(%e : tensor<16x12xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = linalg.index 0 : index
    %j = linalg.index 1 : index
    %z = flops.counter_normal %seed, %step, %n, %j {site = 5 : i64} : i64, index -> f32
    %y = arith.addf %a, %z : f32
    linalg.yield %y : f32
  } -> tensor<16x12xf32>
  return %r : tensor<16x12xf32>
}
