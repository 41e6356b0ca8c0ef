// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s

/// Every noise op draws the same stream: flops.perturb of a zero site with
/// log_sigma = 0 and flops.site_delta with coeff = 1, log_sigma = 0 must equal
/// flops.normal bit for bit; antithetic partner rows are exact negations, and
/// flops.log_sigma_grad matches sum_r coeff_r (eps^2 - 1) computed here from
/// flops.normal with plain loops.

#id = affine_map<(d0, d1) -> (d0, d1)>
#acc = affine_map<(d0, d1) -> ()>

/// Number of positions where the bit patterns of %a and %b differ.
func.func @bit_mismatches(%a: tensor<64x33xf32>, %b: tensor<64x33xf32>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %r = linalg.generic {indexing_maps = [#id, #id, #acc],
                       iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<64x33xf32>, tensor<64x33xf32>) outs(%init : tensor<i64>) {
  ^bb0(%x: f32, %y: f32, %s: i64):
    %xi = arith.bitcast %x : f32 to i32
    %yi = arith.bitcast %y : f32 to i32
    %ne = arith.cmpi ne, %xi, %yi : i32
    %ne64 = arith.extui %ne : i1 to i64
    %s2 = arith.addi %s, %ne64 : i64
    linalg.yield %s2 : i64
  } -> tensor<i64>
  %v = tensor.extract %r[] : tensor<i64>
  return %v : i64
}

func.func @bit_mismatches_4x90(%a: tensor<4x90xf32>, %b: tensor<4x90xf32>) -> i64 {
  %zero = arith.constant 0 : i64
  %e = tensor.empty() : tensor<i64>
  %init = linalg.fill ins(%zero : i64) outs(%e : tensor<i64>) -> tensor<i64>
  %r = linalg.generic {indexing_maps = [#id, #id, #acc],
                       iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<4x90xf32>, tensor<4x90xf32>) outs(%init : tensor<i64>) {
  ^bb0(%x: f32, %y: f32, %s: i64):
    %xi = arith.bitcast %x : f32 to i32
    %yi = arith.bitcast %y : f32 to i32
    %ne = arith.cmpi ne, %xi, %yi : i32
    %ne64 = arith.extui %ne : i1 to i64
    %s2 = arith.addi %s, %ne64 : i64
    linalg.yield %s2 : i64
  } -> tensor<i64>
  %v = tensor.extract %r[] : tensor<i64>
  return %v : i64
}

/// Row r+1 compared with the negation (or not) of row r, for every even r:
/// returns the number of elements where -x[r] != x[r+1] (bitwise) and where
/// x[r] == x[r+1].
func.func @pair_stats(%x: tensor<64x33xf32>) -> (i64, i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c33 = arith.constant 33 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %res:2 = scf.for %r = %c0 to %c64 step %c2 iter_args(%bad = %z, %same = %z) -> (i64, i64) {
    %r1 = arith.addi %r, %c1 : index
    %inner:2 = scf.for %j = %c0 to %c33 step %c1 iter_args(%b = %bad, %s = %same) -> (i64, i64) {
      %p = tensor.extract %x[%r, %j] : tensor<64x33xf32>
      %q = tensor.extract %x[%r1, %j] : tensor<64x33xf32>
      %np = arith.negf %p : f32
      %npi = arith.bitcast %np : f32 to i32
      %qi = arith.bitcast %q : f32 to i32
      %ne = arith.cmpi ne, %npi, %qi : i32
      %eq = arith.cmpf oeq, %p, %q : f32
      %nei = arith.extui %ne : i1 to i64
      %eqi = arith.extui %eq : i1 to i64
      %b2 = arith.addi %b, %nei : i64
      %s2 = arith.addi %s, %eqi : i64
      scf.yield %b2, %s2 : i64, i64
    }
    scf.yield %inner#0, %inner#1 : i64, i64
  }
  return %res#0, %res#1 : i64, i64
}

func.func @streams(%seed: i64, %step: i64) {
  %eps = flops.normal %seed, %step {site = 2 : i64, antithetic} : tensor<64x33xf32>
  %plain = flops.normal %seed, %step {site = 2 : i64} : tensor<64x33xf32>

  // Antithetic: every odd row negates its even partner, bit for bit, and
  // partners are not equal. Without antithetic, neighbours are unrelated.
  %ab, %as = call @pair_stats(%eps) : (tensor<64x33xf32>) -> (i64, i64)
  %pb, %ps = call @pair_stats(%plain) : (tensor<64x33xf32>) -> (i64, i64)
  vector.print str "antithetic non-negated "
  vector.print %ab : i64
  vector.print str "antithetic equal "
  vector.print %as : i64
  vector.print str "plain non-negated "
  vector.print %pb : i64

  %zf = arith.constant 0.0 : f32
  %ez = tensor.empty() : tensor<64x33xf32>
  %zeros = linalg.fill ins(%zf : f32) outs(%ez : tensor<64x33xf32>) -> tensor<64x33xf32>
  %er = tensor.empty() : tensor<33xf32>
  %rho0 = linalg.fill ins(%zf : f32) outs(%er : tensor<33xf32>) -> tensor<33xf32>
  %v = flops.perturb %zeros, %rho0, %seed, %step {site = 2 : i64, antithetic} : tensor<64x33xf32>, tensor<33xf32>
  %m1 = call @bit_mismatches(%v, %eps) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "perturb vs normal "
  vector.print %m1 : i64

  %onef = arith.constant 1.0 : f32
  %ec = tensor.empty() : tensor<64xf32>
  %ones = linalg.fill ins(%onef : f32) outs(%ec : tensor<64xf32>) -> tensor<64xf32>
  %d = flops.site_delta %ones, %rho0, %seed, %step like %v {site = 2 : i64, antithetic} : tensor<64xf32>, tensor<33xf32>, tensor<64x33xf32>
  %m2 = call @bit_mismatches(%d, %eps) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "site_delta vs normal "
  vector.print %m2 : i64

  // Rows 32..63 drawn as a chunk with offset 32 are rows 32..63 of the whole.
  %c32 = arith.constant 32 : index
  %chunk = flops.normal %seed, %step offset %c32 {site = 2 : i64, antithetic} : tensor<32x33xf32>
  %tail = tensor.extract_slice %eps[32, 0] [32, 33] [1, 1] : tensor<64x33xf32> to tensor<32x33xf32>
  %chunk2 = tensor.concat dim(0) %chunk, %chunk : (tensor<32x33xf32>, tensor<32x33xf32>) -> tensor<64x33xf32>
  %tail2 = tensor.concat dim(0) %tail, %tail : (tensor<32x33xf32>, tensor<32x33xf32>) -> tensor<64x33xf32>
  %m4 = call @bit_mismatches(%chunk2, %tail2) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "offset chunk vs rows 32-63 "
  vector.print %m4 : i64
  %zchunk = tensor.extract_slice %zeros[0, 0] [32, 33] [1, 1] : tensor<64x33xf32> to tensor<32x33xf32>
  %vchunk = flops.perturb %zchunk, %rho0, %seed, %step offset %c32 {site = 2 : i64, antithetic} : tensor<32x33xf32>, tensor<33xf32>
  %vchunk2 = tensor.concat dim(0) %vchunk, %vchunk : (tensor<32x33xf32>, tensor<32x33xf32>) -> tensor<64x33xf32>
  %m5 = call @bit_mismatches(%vchunk2, %tail2) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "perturb offset chunk vs rows 32-63 "
  vector.print %m5 : i64

  // A different site is a different stream.
  %other = flops.normal %seed, %step {site = 3 : i64, antithetic} : tensor<64x33xf32>
  %m3 = call @bit_mismatches(%other, %eps) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "site 3 vs site 2 differ "
  vector.print %m3 : i64

  // log_sigma_grad against plain loops over flops.normal, coeff_r = r - 20.
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c33 = arith.constant 33 : index
  %c64 = arith.constant 64 : index
  %coeff = scf.for %r = %c0 to %c64 step %c1 iter_args(%t = %ones) -> tensor<64xf32> {
    %ri = arith.index_cast %r : index to i64
    %rf = arith.sitofp %ri : i64 to f32
    %c20 = arith.constant 20.0 : f32
    %cv = arith.subf %rf, %c20 : f32
    %t2 = tensor.insert %cv into %t[%r] : tensor<64xf32>
    scf.yield %t2 : tensor<64xf32>
  }
  %g = flops.log_sigma_grad %coeff, %seed, %step like %v {site = 2 : i64, antithetic} : tensor<64xf32>, tensor<64x33xf32> -> tensor<33xf32>
  %zd = arith.constant 0.0 : f64
  %maxerr = scf.for %j = %c0 to %c33 step %c1 iter_args(%mx = %zd) -> f64 {
    %sum = scf.for %r = %c0 to %c64 step %c1 iter_args(%s = %zd) -> f64 {
      %e = tensor.extract %eps[%r, %j] : tensor<64x33xf32>
      %c = tensor.extract %coeff[%r] : tensor<64xf32>
      %e64 = arith.extf %e : f32 to f64
      %c64f = arith.extf %c : f32 to f64
      %ee = arith.mulf %e64, %e64 : f64
      %one = arith.constant 1.0 : f64
      %t = arith.subf %ee, %one : f64
      %p = arith.mulf %c64f, %t : f64
      %s2 = arith.addf %s, %p : f64
      scf.yield %s2 : f64
    }
    %gj = tensor.extract %g[%j] : tensor<33xf32>
    %gj64 = arith.extf %gj : f32 to f64
    %diff = arith.subf %gj64, %sum : f64
    %ad = math.absf %diff : f64
    %mx2 = arith.maximumf %mx, %ad : f64
    scf.yield %mx2 : f64
  }
  %tol = arith.constant 1.0e-3 : f64
  %ok = arith.cmpf olt, %maxerr, %tol : f64
  vector.print str "log_sigma_grad max abs error below 1e-3 "
  vector.print %ok : i1

  // A site_delta and a log_sigma_grad of the same noise lower to one generic
  // (flops-to-linalg fuses them): Δ is still coeff * eps bit for bit
  // (sigma = exp(0) = 1) and the log-sigma sum is unchanged.
  %d2 = flops.site_delta %coeff, %rho0, %seed, %step like %v {site = 2 : i64, antithetic} : tensor<64xf32>, tensor<33xf32>, tensor<64x33xf32>
  %g2 = flops.log_sigma_grad %coeff, %seed, %step like %v {site = 2 : i64, antithetic} : tensor<64xf32>, tensor<64x33xf32> -> tensor<33xf32>
  %ce = tensor.empty() : tensor<64x33xf32>
  %ceps = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%coeff, %eps : tensor<64xf32>, tensor<64x33xf32>) outs(%ce : tensor<64x33xf32>) {
  ^bb0(%c: f32, %e: f32, %o: f32):
    %p = arith.mulf %c, %e : f32
    linalg.yield %p : f32
  } -> tensor<64x33xf32>
  %m6 = call @bit_mismatches(%d2, %ceps) : (tensor<64x33xf32>, tensor<64x33xf32>) -> i64
  vector.print str "fused site_delta vs coeff * normal "
  vector.print %m6 : i64
  %maxdiff = scf.for %j = %c0 to %c33 step %c1 iter_args(%mx = %zd) -> f64 {
    %a = tensor.extract %g[%j] : tensor<33xf32>
    %b = tensor.extract %g2[%j] : tensor<33xf32>
    %a64 = arith.extf %a : f32 to f64
    %b64 = arith.extf %b : f32 to f64
    %diff = arith.subf %a64, %b64 : f64
    %ad = math.absf %diff : f64
    %mx2 = arith.maximumf %mx, %ad : f64
    scf.yield %mx2 : f64
  }
  %ok2 = arith.cmpf olt, %maxdiff, %tol : f64
  vector.print str "fused log_sigma_grad vs unfused below 1e-3 "
  vector.print %ok2 : i1

  // The same on an NCHW site (channel dimension 1, not innermost): the
  // first log_sigma_grad precedes its site_delta and stays unfused, the
  // second is fused with it.
  %vn = tensor.empty() : tensor<4x3x5x6xf32>
  %cn = tensor.extract_slice %coeff[8] [4] [1] : tensor<64xf32> to tensor<4xf32>
  %rho3 = tensor.extract_slice %rho0[0] [3] [1] : tensor<33xf32> to tensor<3xf32>
  %gu = flops.log_sigma_grad %cn, %seed, %step like %vn {site = 5 : i64, channel_dim = 1 : i64} : tensor<4xf32>, tensor<4x3x5x6xf32> -> tensor<3xf32>
  %dn = flops.site_delta %cn, %rho3, %seed, %step like %vn {site = 5 : i64, channel_dim = 1 : i64} : tensor<4xf32>, tensor<3xf32>, tensor<4x3x5x6xf32>
  %gf = flops.log_sigma_grad %cn, %seed, %step like %vn {site = 5 : i64, channel_dim = 1 : i64} : tensor<4xf32>, tensor<4x3x5x6xf32> -> tensor<3xf32>
  %epsn = flops.normal %seed, %step {site = 5 : i64} : tensor<4x3x5x6xf32>
  %cen = tensor.empty() : tensor<4x3x5x6xf32>
  %cepsn = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n)>, affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%cn, %epsn : tensor<4xf32>, tensor<4x3x5x6xf32>) outs(%cen : tensor<4x3x5x6xf32>) {
  ^bb0(%c: f32, %e: f32, %o: f32):
    %p = arith.mulf %c, %e : f32
    linalg.yield %p : f32
  } -> tensor<4x3x5x6xf32>
  %dn2 = tensor.collapse_shape %dn [[0], [1, 2, 3]] : tensor<4x3x5x6xf32> into tensor<4x90xf32>
  %ce2 = tensor.collapse_shape %cepsn [[0], [1, 2, 3]] : tensor<4x3x5x6xf32> into tensor<4x90xf32>
  %m7 = call @bit_mismatches_4x90(%dn2, %ce2) : (tensor<4x90xf32>, tensor<4x90xf32>) -> i64
  vector.print str "fused NCHW site_delta vs coeff * normal "
  vector.print %m7 : i64
  %c3 = arith.constant 3 : index
  %maxdn = scf.for %j = %c0 to %c3 step %c1 iter_args(%mx = %zd) -> f64 {
    %a = tensor.extract %gu[%j] : tensor<3xf32>
    %b = tensor.extract %gf[%j] : tensor<3xf32>
    %a64 = arith.extf %a : f32 to f64
    %b64 = arith.extf %b : f32 to f64
    %diff = arith.subf %a64, %b64 : f64
    %ad = math.absf %diff : f64
    %mx2 = arith.maximumf %mx, %ad : f64
    scf.yield %mx2 : f64
  }
  %ok3 = arith.cmpf olt, %maxdn, %tol : f64
  vector.print str "fused NCHW log_sigma_grad vs unfused below 1e-3 "
  vector.print %ok3 : i1
  // The sum is not trivially small (the comparison can fail).
  %g0 = tensor.extract %gu[%c0] : tensor<3xf32>
  %g0a = math.absf %g0 : f32
  %big = arith.constant 1.0e-2 : f32
  %nz = arith.cmpf ogt, %g0a, %big : f32
  vector.print str "NCHW log_sigma_grad[0] above 1e-2 "
  vector.print %nz : i1
  return
}

func.func @main() {
  // A seed above 2^32 exercises both key words.
  %seed = arith.constant 81985529216486895 : i64
  %step = arith.constant 12 : i64
  // CHECK: antithetic non-negated 0
  // CHECK-NEXT: antithetic equal 0
  // CHECK-NEXT: plain non-negated 1056
  // CHECK-NEXT: perturb vs normal 0
  // CHECK-NEXT: site_delta vs normal 0
  // CHECK-NEXT: offset chunk vs rows 32-63 0
  // CHECK-NEXT: perturb offset chunk vs rows 32-63 0
  // CHECK-NEXT: site 3 vs site 2 differ 2112
  // CHECK-NEXT: log_sigma_grad max abs error below 1e-3 1
  // CHECK-NEXT: fused site_delta vs coeff * normal 0
  // CHECK-NEXT: fused log_sigma_grad vs unfused below 1e-3 1
  // CHECK-NEXT: fused NCHW site_delta vs coeff * normal 0
  // CHECK-NEXT: fused NCHW log_sigma_grad vs unfused below 1e-3 1
  // CHECK-NEXT: NCHW log_sigma_grad[0] above 1e-2 1
  call @streams(%seed, %step) : (i64, i64) -> ()
  return
}
