// A linear classifier over integer ids: x = float(ids - 2^40 when the id is
// at least 2^40), y = x W + b (3 classes).
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d2, d1)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @forward(%ids: tensor<?x2xi64>,
                   %w: tensor<2x3xf32> {flops.param, flops.name = "w"},
                   %b: tensor<3xf32> {flops.param, flops.name = "b"}) -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %ids, %c0 : tensor<?x2xi64>
  %ex = tensor.empty(%n) : tensor<?x2xf32>
  %x = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<?x2xi64>) outs(%ex : tensor<?x2xf32>) {
  ^bb0(%a: i64, %o: f32):
    %big = arith.constant 1099511627776 : i64
    %ge = arith.cmpi sge, %a, %big : i64
    %s = arith.subi %a, %big : i64
    %v = arith.select %ge, %s, %a : i64
    %f = arith.sitofp %v : i64 to f32
    linalg.yield %f : f32
  } -> tensor<?x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %m = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x3xf32>) outs(%z : tensor<?x3xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  %e2 = tensor.empty(%n) : tensor<?x3xf32>
  %y = linalg.generic {indexing_maps = [#id2, #bias, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<?x3xf32>, tensor<3xf32>) outs(%e2 : tensor<?x3xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
