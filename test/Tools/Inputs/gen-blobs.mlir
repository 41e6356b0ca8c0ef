// Writes a small synthetic classification set with flops-run (two results:
// x.npy, y.npy): 256 points x[i][j] = sin(1.7 i + 2.3 j + 0.37 i j) in
// [-1, 1]^4, label 1 when x0 + x1 > 0, else 0.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @forward() -> (tensor<256x4xf32> {flops.name = "x"},
                         tensor<256xi32> {flops.name = "y"}) {
  %e = tensor.empty() : tensor<256x4xf32>
  %x = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<256x4xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %a = arith.constant 1.7 : f32
    %b = arith.constant 2.3 : f32
    %c = arith.constant 0.37 : f32
    %t0 = arith.mulf %fi, %a : f32
    %t1 = arith.mulf %fj, %b : f32
    %t2 = arith.mulf %fi, %fj : f32
    %t3 = arith.mulf %t2, %c : f32
    %t4 = arith.addf %t0, %t1 : f32
    %t5 = arith.addf %t4, %t3 : f32
    %v = math.sin %t5 : f32
    linalg.yield %v : f32
  } -> tensor<256x4xf32>
  %ey = tensor.empty() : tensor<256xi32>
  %y = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]}
      outs(%ey : tensor<256xi32>) {
  ^bb0(%o: i32):
    %i = linalg.index 0 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %x0 = tensor.extract %x[%i, %c0] : tensor<256x4xf32>
    %x1 = tensor.extract %x[%i, %c1] : tensor<256x4xf32>
    %s = arith.addf %x0, %x1 : f32
    %zero = arith.constant 0.0 : f32
    %pos = arith.cmpf ogt, %s, %zero : f32
    %l = arith.extui %pos : i1 to i32
    linalg.yield %l : i32
  } -> tensor<256xi32>
  return %x, %y : tensor<256x4xf32>, tensor<256xi32>
}
