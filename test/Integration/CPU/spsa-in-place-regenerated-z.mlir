// RUN: flops-opt %s --flops-forward-train='estimator=spsa spsa-in-place=true queries=2 loss=user optimizer=sgd momentum=0 sigma=1.0' --flops-reference-to-llvm | %run | FileCheck %s

/// In-place MeZO (spsa-in-place=true, docs/METHOD.md §2.3) perturbs,
/// restores and updates W in its own buffer, regenerating its direction z
/// for each of the four passes (+mu z, -2 mu z, +mu z, the update): the z of
/// the update must be the z of the perturbation, bit for bit (the test of
/// spsa-regenerated-z.mlir, with the in-place state: W alone). Here every
/// float operation of the step is exact, so any difference
/// shows: W = 0, mu = 1, one direction (queries = 2, B = 1), the forward is
/// x W with a one-hot x = e_i, and the user loss is the output times a
/// one-hot label e_c. Then L+- = +-z[i,c] exactly, p = z[i,c], and with SGD
/// (lr 1, no momentum) the new W is -(z[i,c] * z') where z' is the
/// regenerated direction. Step s reads element (i, c) = (s / 3, s mod 3), so
/// the 12 steps see every element of the perturbation. The reference is
/// `flops.normal %seed, %step offset 0 {site = 0}` over W's shape, the
/// stream the estimator documents; the count of elements that differ in
/// their bits must be 0 (and, as a check that the test can see a wrong z, the
/// count against the stream of the next step must be 12 per step).

func.func @forward(%x: tensor<1x4xf64>, %w: tensor<4x3xf64> {flops.param}) -> tensor<1x3xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<1x3xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<1x3xf64>) -> tensor<1x3xf64>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf64>, tensor<4x3xf64>) outs(%z : tensor<1x3xf64>) -> tensor<1x3xf64>
  return %y : tensor<1x3xf64>
}

func.func @loss(%out: tensor<?x3xf64>, %lab: tensor<?x3xf64>) -> tensor<?xf64> {
  %zero = arith.constant 0.0 : f64
  %c0 = arith.constant 0 : index
  %n = tensor.dim %out, %c0 : tensor<?x3xf64>
  %e = tensor.empty(%n) : tensor<?xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<?xf64>) -> tensor<?xf64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%out, %lab : tensor<?x3xf64>, tensor<?x3xf64>) outs(%f : tensor<?xf64>) {
  ^bb0(%a: f64, %b: f64, %acc: f64):
    %p = arith.mulf %a, %b : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<?xf64>
  return %r : tensor<?xf64>
}

func.func private @train_step(tensor<4x3xf64>, f64, i64, i64, tensor<1x4xf64>, tensor<1x3xf64>) -> (tensor<4x3xf64>, tensor<5xf64>)

/// Elements of `got` whose bits differ from -(z[i, c] * z) for the stream z
/// of step `s`.
func.func @mismatches(%got: tensor<4x3xf64>, %seed: i64, %s: i64, %i: index, %c: index) -> i64 {
  %z = flops.normal %seed, %s {site = 0 : i64} : tensor<4x3xf64>
  %zic = tensor.extract %z[%i, %c] : tensor<4x3xf64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %n0 = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %bad = scf.for %r = %c0 to %c4 step %c1 iter_args(%acc = %n0) -> i64 {
    %row = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc2 = %acc) -> i64 {
      %zk = tensor.extract %z[%r, %k] : tensor<4x3xf64>
      %prod = arith.mulf %zic, %zk : f64
      %want = arith.negf %prod : f64
      %g = tensor.extract %got[%r, %k] : tensor<4x3xf64>
      %wb = arith.bitcast %want : f64 to i64
      %gb = arith.bitcast %g : f64 to i64
      %ne = arith.cmpi ne, %wb, %gb : i64
      %inc = arith.select %ne, %one, %n0 : i64
      %acc3 = arith.addi %acc2, %inc : i64
      scf.yield %acc3 : i64
    }
    scf.yield %row : i64
  }
  return %bad : i64
}

func.func @main() {
  %zero = arith.constant 0.0 : f64
  %onef = arith.constant 1.0 : f64
  %ew = tensor.empty() : tensor<4x3xf64>
  %w0 = linalg.fill ins(%zero : f64) outs(%ew : tensor<4x3xf64>) -> tensor<4x3xf64>
  %seed = arith.constant 7 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c12 = arith.constant 12 : index
  %n0 = arith.constant 0 : i64
  %ex = tensor.empty() : tensor<1x4xf64>
  %x0 = linalg.fill ins(%zero : f64) outs(%ex : tensor<1x4xf64>) -> tensor<1x4xf64>
  %el = tensor.empty() : tensor<1x3xf64>
  %l0 = linalg.fill ins(%zero : f64) outs(%el : tensor<1x3xf64>) -> tensor<1x3xf64>
  %tot:2 = scf.for %s = %c0 to %c12 step %c1 iter_args(%bad = %n0, %other = %n0) -> (i64, i64) {
    %i = arith.divui %s, %c3 : index
    %c = arith.remui %s, %c3 : index
    %x = tensor.insert %onef into %x0[%c0, %i] : tensor<1x4xf64>
    %lab = tensor.insert %onef into %l0[%c0, %c] : tensor<1x3xf64>
    %st = arith.index_cast %s : index to i64
    %r:2 = func.call @train_step(%w0, %onef, %st, %seed, %x, %lab) : (tensor<4x3xf64>, f64, i64, i64, tensor<1x4xf64>, tensor<1x3xf64>) -> (tensor<4x3xf64>, tensor<5xf64>)
    %m = func.call @mismatches(%r#0, %seed, %st, %i, %c) : (tensor<4x3xf64>, i64, i64, index, index) -> i64
    %one = arith.constant 1 : i64
    %next = arith.addi %st, %one : i64
    %m2 = func.call @mismatches(%r#0, %seed, %next, %i, %c) : (tensor<4x3xf64>, i64, i64, index, index) -> i64
    %bad2 = arith.addi %bad, %m : i64
    %other2 = arith.addi %other, %m2 : i64
    scf.yield %bad2, %other2 : i64, i64
  }
  // CHECK: elements differing from the documented stream: 0
  vector.print str "elements differing from the documented stream: "
  vector.print %tot#0 : i64
  // CHECK: elements differing from the next step's stream: 144
  vector.print str "elements differing from the next step's stream: "
  vector.print %tot#1 : i64
  return
}
