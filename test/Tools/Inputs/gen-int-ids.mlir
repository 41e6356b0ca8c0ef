// Integer data for flops-int-inputs.mlir, written by flops-run: ids64
// (8x2 i64, ids[i][j] = (i + 2 j) mod 5 + 2^40), ids32 (the same mod 5, i32)
// labels (8 i32, i mod 3) and floats (ids32 as f32).
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @forward() -> (tensor<8x2xi64> {flops.name = "ids64"},
                         tensor<8x2xi32> {flops.name = "ids32"},
                         tensor<8xi32> {flops.name = "labels"},
                         tensor<8x2xf32> {flops.name = "floats"}) {
  %e = tensor.empty() : tensor<8x2xi64>
  %x = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<8x2xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i64
    %jj = arith.index_cast %j : index to i64
    %two = arith.constant 2 : i64
    %five = arith.constant 5 : i64
    %big = arith.constant 1099511627776 : i64
    %t = arith.muli %jj, %two : i64
    %s = arith.addi %ii, %t : i64
    %m = arith.remsi %s, %five : i64
    %v = arith.addi %m, %big : i64
    linalg.yield %v : i64
  } -> tensor<8x2xi64>
  %e32 = tensor.empty() : tensor<8x2xi32>
  %x32 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x2xi64>) outs(%e32 : tensor<8x2xi32>) {
  ^bb0(%a: i64, %o: i32):
    %big = arith.constant 1099511627776 : i64
    %s = arith.subi %a, %big : i64
    %t = arith.trunci %s : i64 to i32
    linalg.yield %t : i32
  } -> tensor<8x2xi32>
  %ey = tensor.empty() : tensor<8xi32>
  %y = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]}
      outs(%ey : tensor<8xi32>) {
  ^bb0(%o: i32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %three = arith.constant 3 : i32
    %m = arith.remsi %ii, %three : i32
    linalg.yield %m : i32
  } -> tensor<8xi32>
  %ef = tensor.empty() : tensor<8x2xf32>
  %f = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x32 : tensor<8x2xi32>) outs(%ef : tensor<8x2xf32>) {
  ^bb0(%a: i32, %o: f32):
    %t = arith.sitofp %a : i32 to f32
    linalg.yield %t : f32
  } -> tensor<8x2xf32>
  return %x, %x32, %y, %f : tensor<8x2xi64>, tensor<8x2xi32>, tensor<8xi32>, tensor<8x2xf32>
}
