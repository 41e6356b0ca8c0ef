// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=dw_forward point-prefix=false})" | FileCheck %s --check-prefix=DW
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=shared_forward point-prefix=false})" | FileCheck %s --check-prefix=SHARED
// RUN: not flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=shared_forward perturb-last=1})" 2>&1 | FileCheck %s --check-prefix=SHARED-LAST
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{entry=embed_forward})" | FileCheck %s --check-prefix=EMBED

/// A depthwise convolution (4 channels, multiplier 2) as the ONNX importer
/// writes it: a generic reading x[n, (f floordiv 2) * 1 + c, ...], then a
/// per-channel bias. It is one site on the 8 output channels (dimension 1),
/// and its weight's estimate is the weight-gradient contraction of the same
/// maps with Δ (the filter map as the accumulator).

#dwx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) + d4, d2 + d5, d3 + d6)>
#dww = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#dwo = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#x4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d1)>
#ew = affine_map<(d0, d1) -> (d0, d1)>

func.func @dw_forward(%x: tensor<4x4x4x4xf32>,
                      %w: tensor<8x1x3x3xf32> {flops.param, flops.name = "dw.weight"},
                      %b: tensor<8xf32> {flops.param, flops.name = "dw.bias"},
                      %fc: tensor<32x3xf32> {flops.param, flops.name = "fc.weight"}) -> tensor<4x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8x2x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8x2x2xf32>) -> tensor<4x8x2x2xf32>
  %c = linalg.generic {indexing_maps = [#dwx, #dww, #dwo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<4x4x4x4xf32>, tensor<8x1x3x3xf32>) outs(%f : tensor<4x8x2x2xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %p = arith.mulf %a, %k : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8x2x2xf32>
  %u = linalg.generic {indexing_maps = [#x4, #ch4, #x4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<4x8x2x2xf32>, tensor<8xf32>) outs(%e : tensor<4x8x2x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x8x2x2xf32>
  %fl = tensor.collapse_shape %u [[0], [1, 2, 3]] : tensor<4x8x2x2xf32> into tensor<4x32xf32>
  %eo = tensor.empty() : tensor<4x3xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.matmul ins(%fl, %fc : tensor<4x32xf32>, tensor<32x3xf32>) outs(%fo : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// DW-DAG: #[[$DWX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 floordiv 2 + d4, d2 + d5, d3 + d6)>
// DW-DAG: #[[$DWW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// DW-DAG: #[[$DWO:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// DW-LABEL: func.func private @dw_forward_rows(
// DW:         linalg.generic {indexing_maps = [#[[$DWX]], #[[$DWW]], #[[$DWO]]]
// DW:         %[[U:.*]] = linalg.generic
// DW:         flops.perturb %[[U]], {{.*}} {antithetic, channel_dim = 1 : i64} : tensor<4x8x2x2xf32>, tensor<8xf32>
// DW-LABEL: func.func @train_step(
// DW-SAME:    tensor<8xf32> {flops.name = "site0", flops.role = "log_sigma"}
// DW:         scf.for {{.*}} iter_args(%[[GW:[^ ]+]] = %{{[^,]+}}, %[[GB:[^ ]+]] = %{{[^,]+}}, {{.*}}) -> (tensor<8x1x3x3xf32>, tensor<8xf32>,
// DW:           %[[D0:.*]] = flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64} : {{.*}}, tensor<4x8x2x2xf32>
/// The bias's estimate, Δ through the bias add, then the weight's: Δ
/// against the input over the depthwise maps, reduced onto the filter.
// DW:           %[[EB:.*]] = linalg.generic {{.*}} ins(%[[D0]], {{.*}}) outs(%[[GB]] : tensor<8xf32>)
// DW:           %[[DC:.*]] = linalg.generic {{.*}} ins(%[[D0]], {{.*}}) outs({{.*}} : tensor<4x8x2x2xf32>)
// DW:           %[[EW:.*]] = linalg.generic {indexing_maps = [#[[$DWX]], #[[$DWO]], #[[$DWW]]], iterator_types = ["reduction", "parallel", "reduction", "reduction", "parallel", "parallel", "parallel"]} ins({{.*}}, %[[DC]] : tensor<4x4x4x4xf32>, tensor<4x8x2x2xf32>) outs(%[[GW]] : tensor<8x1x3x3xf32>)
// DW:           scf.yield %[[EW]], %[[EB]],
// DW-LABEL: func.func @eval_step(

/// One weight shared by two layers (a 3 x 3 matmul applied twice): the
/// estimates of both sites add into the same accumulator.
func.func @shared_forward(%x: tensor<4x3xf32>,
                          %w: tensor<3x3xf32> {flops.param, flops.name = "tied"}) -> tensor<4x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %h = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %t = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.tanh %a : f32
    linalg.yield %v : f32
  } -> tensor<4x3xf32>
  %y = linalg.matmul ins(%t, %w : tensor<4x3xf32>, tensor<3x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// SHARED-LABEL: func.func @train_step(
// SHARED:         scf.for {{.*}} iter_args(%[[G:[^ ]+]] = %{{[^,]+}}, {{.*}}) -> (tensor<3x3xf32>,
// SHARED:           %[[D0:.*]] = flops.site_delta {{.*}} {antithetic, channel_dim = 1 : i64} :
// SHARED:           %[[G0:.*]] = linalg.generic {{.*}} ins({{.*}}, %[[D0]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%[[G]] : tensor<3x3xf32>)
// SHARED:           %[[D1:.*]] = flops.site_delta {{.*}}site = 1
// SHARED:           %[[G1:.*]] = linalg.generic {{.*}} ins({{.*}}, %[[D1]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%[[G0]] : tensor<3x3xf32>)
// SHARED:           scf.yield %[[G1]],

// SHARED-LAST: error: parameter tied is shared by perturbed site 1 and by this op of site 0, which is not perturbed (perturb-last / sites): its gradient would miss this use; perturb both sites

/// An embedding lookup as the importer writes Gather of an initializer: the
/// table is read by tensor.extract in the body. The gather is a site (noise
/// on the 8 embedding units); inside the point prefix, its Δ is summed per
/// point in the loop and scatter-added into the looked-up rows of the
/// table's accumulator once after it.
#ids = affine_map<(d0, d1, d2) -> (d0, d1)>
#tok = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @embed_forward(%x: tensor<4x3xi64>,
                         %table: tensor<10x8xf32> {flops.param, flops.name = "embed.weight"},
                         %w: tensor<24x2xf32> {flops.param, flops.name = "fc.weight"}) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<4x3x8xf32>
  %g = linalg.generic {indexing_maps = [#ids, #tok], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x3xi64>) outs(%e : tensor<4x3x8xf32>) {
  ^bb0(%i: i64, %o: f32):
    %k = arith.index_cast %i : i64 to index
    %j = linalg.index 2 : index
    %v = tensor.extract %table[%k, %j] : tensor<10x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x3x8xf32>
  %f = tensor.collapse_shape %g [[0], [1, 2]] : tensor<4x3x8xf32> into tensor<4x24xf32>
  %z = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%f, %w : tensor<4x24xf32>, tensor<24x2xf32>) outs(%fo : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// EMBED-LABEL: func.func @train_step(
// EMBED-SAME:    %{{[^:]+}}: tensor<8xf32> {flops.name = "site0", flops.role = "log_sigma"}
// EMBED-SAME:    %[[IDS:[^:]+]]: tensor<4x3xi64> {flops.name = "input0", flops.role = "input"}
// EMBED:         %[[LOOP:.*]]:6 = scf.for {{.*}} -> (tensor<10x8xf32>, tensor<24x2xf32>, tensor<8xf32>, tensor<2xf32>, f32, tensor<4x3x8xf32>)
// EMBED:           flops.site_delta {{.*}} {antithetic, channel_dim = 2 : i64} : {{.*}}, tensor<4x3x8xf32>
// EMBED:           flops.scatter_add
// EMBED:         scf.for %[[N:[^ ]+]] = {{.*}} iter_args(%{{[^ ]+}} = %[[LOOP]]#0) -> (tensor<10x8xf32>)
// EMBED:           scf.for %[[T:[^ ]+]] =
// EMBED:             scf.for %[[D:[^ ]+]] = {{.*}} iter_args(%[[ACC:[^ ]+]] = {{.*}}) -> (tensor<10x8xf32>)
// EMBED:               %[[ID:.*]] = tensor.extract %[[IDS]][%[[N]], %[[T]]] : tensor<4x3xi64>
// EMBED:               %[[ROW:.*]] = arith.index_cast %[[ID]] : i64 to index
// EMBED:               %[[DELTA:.*]] = tensor.extract %[[LOOP]]#5[%[[N]], %[[T]], %[[D]]] : tensor<4x3x8xf32>
// EMBED:               %[[OLD:.*]] = tensor.extract %[[ACC]][%[[ROW]], %[[D]]] : tensor<10x8xf32>
// EMBED:               %[[NEW:.*]] = arith.addf %[[OLD]], %[[DELTA]] : f32
// EMBED:               tensor.insert %[[NEW]] into %[[ACC]][%[[ROW]], %[[D]]] : tensor<10x8xf32>
