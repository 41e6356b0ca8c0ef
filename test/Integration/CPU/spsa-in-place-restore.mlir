// RUN: flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true queries=8 optimizer=sgd momentum=0 sigma=0.001' --flops-reference-to-llvm | %run | FileCheck %s

/// In-place MeZO restores θ by θ + μz − 2μz + μz in θ's own buffer
/// (docs/METHOD.md §2.3), so the restoration is exact only up to float
/// round-off: three rounded additions per direction, each off by at most
/// half an ulp of the value it writes (1.5 ulp of θ per direction while
/// θ ± μz stay in θ's binade). With lr = 0 the step must return θ within
/// 2 K ulp per element (K = 4 directions here: f32, B = 1,
/// queries = 8, μ = 1e-3, θ of magnitude 0.1 to 4.5, so that μz changes
/// θ's low bits). The test prints the largest deviation in ulp of θ and
/// the number of elements that moved at all (it shows that the restoration
/// is not exact, which a copy-based step would be), over 20 steps.

func.func @forward(%x: tensor<1x4xf32>, %w: tensor<4x3xf32> {flops.param}) -> tensor<1x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%z : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

func.func private @train_step(tensor<4x3xf32>, f32, i64, i64, tensor<1x4xf32>, tensor<1xi32>) -> (tensor<4x3xf32>, tensor<5xf32>)

/// Largest |got - want| / ulp(want) and the count of elements that differ.
func.func @deviation(%got: tensor<4x3xf32>, %want: tensor<4x3xf32>) -> (f32, i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  %n0 = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %r:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%m = %z, %n = %n0) -> (f32, i64) {
    %s:2 = scf.for %j = %c0 to %c3 step %c1 iter_args(%m2 = %m, %n2 = %n) -> (f32, i64) {
      %g = tensor.extract %got[%i, %j] : tensor<4x3xf32>
      %w = tensor.extract %want[%i, %j] : tensor<4x3xf32>
      // ulp(w) = nextafter(|w|) - |w| (w > 0 here).
      %wb = arith.bitcast %w : f32 to i32
      %one32 = arith.constant 1 : i32
      %nb = arith.addi %wb, %one32 : i32
      %nx = arith.bitcast %nb : i32 to f32
      %ulp = arith.subf %nx, %w : f32
      %d = arith.subf %g, %w : f32
      %ad = math.absf %d : f32
      %u = arith.divf %ad, %ulp : f32
      %m3 = arith.maximumf %m2, %u : f32
      %ne = arith.cmpf une, %g, %w : f32
      %inc = arith.select %ne, %one, %n0 : i64
      %n3 = arith.addi %n2, %inc : i64
      scf.yield %m3, %n3 : f32, i64
    }
    scf.yield %s#0, %s#1 : f32, i64
  }
  return %r#0, %r#1 : f32, i64
}

func.func @main() {
  %e = tensor.empty() : tensor<4x3xf32>
  %w0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c3 = arith.constant 3 : index
    %ij = arith.muli %i, %c3 : index
    %k = arith.addi %ij, %j : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %a = arith.constant 0.37 : f32
    %b = arith.constant 0.1 : f32
    %v = arith.mulf %kf, %a : f32
    %v2 = arith.addf %v, %b : f32
    linalg.yield %v2 : f32
  } -> tensor<4x3xf32>
  %xe = tensor.empty() : tensor<1x4xf32>
  %half = arith.constant 0.5 : f32
  %x = linalg.fill ins(%half : f32) outs(%xe : tensor<1x4xf32>) -> tensor<1x4xf32>
  %lab0 = arith.constant dense<1> : tensor<1xi32>
  %lr = arith.constant 0.0 : f32
  %seed = arith.constant 11 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c20 = arith.constant 20 : index
  %z = arith.constant 0.0 : f32
  %n0 = arith.constant 0 : i64
  %tot:2 = scf.for %s = %c0 to %c20 step %c1 iter_args(%m = %z, %n = %n0) -> (f32, i64) {
    %st = arith.index_cast %s : index to i64
    %r:2 = func.call @train_step(%w0, %lr, %st, %seed, %x, %lab0) : (tensor<4x3xf32>, f32, i64, i64, tensor<1x4xf32>, tensor<1xi32>) -> (tensor<4x3xf32>, tensor<5xf32>)
    %d:2 = func.call @deviation(%r#0, %w0) : (tensor<4x3xf32>, tensor<4x3xf32>) -> (f32, i64)
    %m2 = arith.maximumf %m, %d#0 : f32
    %n2 = arith.addi %n, %d#1 : i64
    scf.yield %m2, %n2 : f32, i64
  }
  // CHECK: largest deviation (ulp): {{[0-9.e+-]+}}
  vector.print str "largest deviation (ulp): "
  vector.print %tot#0 : f32
  // CHECK: elements that moved (of 240): {{[0-9]+}}
  vector.print str "elements that moved (of 240): "
  vector.print %tot#1 : i64
  %bound = arith.constant 8.0 : f32
  %ok = arith.cmpf ole, %tot#0, %bound : f32
  // CHECK: within 2 K ulp: 1
  vector.print str "within 2 K ulp: "
  vector.print %ok : i1
  return
}
