// One forward-only gradient estimate, written with the flops building blocks.
//
// A linear layer u = x W (3 -> 2) with the loss 1/2 |u - t|^2 on B = 8 points.
// The B points get 512 queries each (uniform allocation, antithetic pairs,
// N = 4096 rows); every row's layer output is perturbed with noise of scale
// sigma = 0.01; the likelihood-ratio estimate of dL/dW is
//   g = sum_r x_r^T Delta_r,  Delta_r = w_r (L_r - L_clean(point r)) eps_r / sigma
// and is compared with the exact gradient (1/B) sum_i x_i^T (u_i - t_i)
// (for a quadratic loss the Gaussian-smoothed gradient equals the plain one).
// Nothing is differentiated: only forward values and the regenerated noise.
//
// Run: scripts/demo.sh, or
//   flops-opt examples/perturbed-step.mlir --flops-reference-to-llvm |
//     mlir-runner -e main -entry-point-result=void -shared-libs=...

#rows = affine_map<(r, k, j) -> (r, k)>
#out_rj = affine_map<(r, k, j) -> (r, j)>
#out_kj = affine_map<(r, k, j) -> (k, j)>
#id2 = affine_map<(r, j) -> (r, j)>
#row = affine_map<(r, j) -> (r)>

func.func private @printMemrefF32(tensor<*xf32>)

func.func @show(%name: tensor<3x2xf32>) {
  %u = tensor.cast %name : tensor<3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

/// u = x W for any number of rows.
func.func @linear(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %u = linalg.matmul ins(%x, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%acc : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %u : tensor<?x2xf32>
}

/// Per-row loss 1/2 |u - t|^2.
func.func @row_loss(%u: tensor<?x2xf32>, %t: tensor<?x2xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %u, %c0 : tensor<?x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %l = linalg.generic {indexing_maps = [#id2, #id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%u, %t : tensor<?x2xf32>, tensor<?x2xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %d = arith.subf %a, %b : f32
    %dd = arith.mulf %d, %d : f32
    %half = arith.constant 0.5 : f32
    %h = arith.mulf %dd, %half : f32
    %s2 = arith.addf %s, %h : f32
    linalg.yield %s2 : f32
  } -> tensor<?xf32>
  return %l : tensor<?xf32>
}

/// sum_r x_r^T d_r * scale: the weight-gradient contraction.
func.func @weight_grad(%x: tensor<?x3xf32>, %d: tensor<?x2xf32>, %scale: f32) -> tensor<3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %g = linalg.generic {indexing_maps = [#rows, #out_rj, #out_kj],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %d : tensor<?x3xf32>, tensor<?x2xf32>) outs(%acc : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %q = arith.mulf %p, %scale : f32
    %s2 = arith.addf %s, %q : f32
    linalg.yield %s2 : f32
  } -> tensor<3x2xf32>
  return %g : tensor<3x2xf32>
}

/// Cosine similarity and norm ratio |a| / |b|.
func.func @compare(%a: tensor<3x2xf32>, %b: tensor<3x2xf32>) -> (f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %z = arith.constant 0.0 : f32
  %r:3 = scf.for %i = %c0 to %c3 step %c1 iter_args(%ab = %z, %aa = %z, %bb = %z) -> (f32, f32, f32) {
    %s:3 = scf.for %j = %c0 to %c2 step %c1 iter_args(%x = %ab, %y = %aa, %w = %bb) -> (f32, f32, f32) {
      %va = tensor.extract %a[%i, %j] : tensor<3x2xf32>
      %vb = tensor.extract %b[%i, %j] : tensor<3x2xf32>
      %pab = arith.mulf %va, %vb : f32
      %paa = arith.mulf %va, %va : f32
      %pbb = arith.mulf %vb, %vb : f32
      %x2 = arith.addf %x, %pab : f32
      %y2 = arith.addf %y, %paa : f32
      %w2 = arith.addf %w, %pbb : f32
      scf.yield %x2, %y2, %w2 : f32, f32, f32
    }
    scf.yield %s#0, %s#1, %s#2 : f32, f32, f32
  }
  %na = math.sqrt %r#1 : f32
  %nb = math.sqrt %r#2 : f32
  %den = arith.mulf %na, %nb : f32
  %cos = arith.divf %r#0, %den : f32
  %ratio = arith.divf %na, %nb : f32
  return %cos, %ratio : f32, f32
}

func.func @step(%x: tensor<8x3xf32>, %t: tensor<8x2xf32>, %w: tensor<3x2xf32>, %seed: i64, %step: i64) {
  %xd = tensor.cast %x : tensor<8x3xf32> to tensor<?x3xf32>
  %td = tensor.cast %t : tensor<8x2xf32> to tensor<?x2xf32>

  // 1. Noise-free forward of the B points: clean losses (the baselines).
  %u0 = call @linear(%xd, %w) : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %clean_d = call @row_loss(%u0, %td) : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?xf32>
  %clean = tensor.cast %clean_d : tensor<?xf32> to tensor<8xf32>

  // 2. Allocate the budget and lay the points out as N = 4096 rows.
  %counts = flops.allocate uniform %clean {budget = 4096 : i64, pairs} : tensor<8xf32> -> tensor<8xi32>
  %map = flops.row_map %counts : tensor<8xi32> -> tensor<4096xi32>
  %xr = flops.expand %x, %map : tensor<8x3xf32>, tensor<4096xi32> -> tensor<4096x3xf32>
  %tr = flops.expand %t, %map : tensor<8x2xf32>, tensor<4096xi32> -> tensor<4096x2xf32>
  %xrd = tensor.cast %xr : tensor<4096x3xf32> to tensor<?x3xf32>
  %trd = tensor.cast %tr : tensor<4096x2xf32> to tensor<?x2xf32>

  // 3. Perturbed forward of the N rows (sigma = 0.01, antithetic pairs).
  %ud = call @linear(%xrd, %w) : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %u = tensor.cast %ud : tensor<?x2xf32> to tensor<4096x2xf32>
  %logs = arith.constant -4.6051702 : f32
  %es = tensor.empty() : tensor<2xf32>
  %rho = linalg.fill ins(%logs : f32) outs(%es : tensor<2xf32>) -> tensor<2xf32>
  %v = flops.perturb %u, %rho, %seed, %step {antithetic} : tensor<4096x2xf32>, tensor<2xf32>
  %vd = tensor.cast %v : tensor<4096x2xf32> to tensor<?x2xf32>

  // 4. Row losses, residuals against the clean baseline, row weights.
  %ld = call @row_loss(%vd, %trd) : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?xf32>
  %l = tensor.cast %ld : tensor<?xf32> to tensor<4096xf32>
  %res = flops.residual clean %l, %clean, %map : tensor<4096xf32>, tensor<8xf32>, tensor<4096xi32>
  %wts = flops.row_weights per_point %counts, %map : tensor<8xi32>, tensor<4096xi32> -> tensor<4096xf32>
  %ec = tensor.empty() : tensor<4096xf32>
  %coeff = linalg.mul ins(%wts, %res : tensor<4096xf32>, tensor<4096xf32>) outs(%ec : tensor<4096xf32>) -> tensor<4096xf32>

  // 5. The site's Delta (noise regenerated, not stored) and the estimate.
  %delta = flops.site_delta %coeff, %rho, %seed, %step like %v {antithetic} : tensor<4096xf32>, tensor<2xf32>, tensor<4096x2xf32>
  %dd = tensor.cast %delta : tensor<4096x2xf32> to tensor<?x2xf32>
  %one = arith.constant 1.0 : f32
  %g = call @weight_grad(%xrd, %dd, %one) : (tensor<?x3xf32>, tensor<?x2xf32>, f32) -> tensor<3x2xf32>

  // The exact gradient of the batch-mean loss.
  %e0 = tensor.empty() : tensor<8x2xf32>
  %u0s = tensor.cast %u0 : tensor<?x2xf32> to tensor<8x2xf32>
  %diff = linalg.sub ins(%u0s, %t : tensor<8x2xf32>, tensor<8x2xf32>) outs(%e0 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %diffd = tensor.cast %diff : tensor<8x2xf32> to tensor<?x2xf32>
  %inv_b = arith.constant 0.125 : f32
  %gx = call @weight_grad(%xd, %diffd, %inv_b) : (tensor<?x3xf32>, tensor<?x2xf32>, f32) -> tensor<3x2xf32>

  vector.print str "forward-only (likelihood-ratio) estimate of dL/dW, 4096 queries:\n"
  call @show(%g) : (tensor<3x2xf32>) -> ()
  vector.print str "exact dL/dW:\n"
  call @show(%gx) : (tensor<3x2xf32>) -> ()
  %cos, %ratio = call @compare(%g, %gx) : (tensor<3x2xf32>, tensor<3x2xf32>) -> (f32, f32)
  vector.print str "cosine "
  vector.print %cos : f32
  vector.print str "norm ratio "
  vector.print %ratio : f32
  %thr = arith.constant 0.99 : f32
  %ok = arith.cmpf ogt, %cos, %thr : f32
  vector.print str "cosine above 0.99 "
  vector.print %ok : i1
  return
}

func.func @main() {
  %x = arith.constant dense<[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [2.0, -1.5, 0.4],
                             [-1.0, -0.4, 0.9], [0.7, 1.9, -1.2], [0.1, -0.6, -1.8], [1.2, 0.5, 0.6]]> : tensor<8x3xf32>
  %t = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5],
                             [0.3, -0.2], [0.8, 0.9], [-0.5, -1.0], [0.2, 0.4]]> : tensor<8x2xf32>
  %w = arith.constant dense<[[0.1, -0.3], [0.4, 0.2], [-0.5, 0.6]]> : tensor<3x2xf32>
  %seed = arith.constant 2025 : i64
  %step = arith.constant 0 : i64
  call @step(%x, %t, %w, %seed, %step) : (tensor<8x3xf32>, tensor<8x2xf32>, tensor<3x2xf32>, i64, i64) -> ()
  return
}
