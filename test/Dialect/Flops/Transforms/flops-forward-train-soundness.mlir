// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(flops-forward-train{loss=mse})"

/// Forwards that would train with a silently wrong gradient are rejected with
/// a diagnostic on the offending op (issue 11).

/// The elementwise rule emits its derivative into a body whose output
/// argument is the gradient accumulator: a body reading `outs` (here the
/// data passed as `outs`, y = x * b) is rejected.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param, flops.name = "scale"}) -> tensor<4x3xf32> {
  // expected-error @below {{cannot estimate the gradient of parameter scale: 'linalg.generic' reads its output (init) operand in the body; only bodies computed from the inputs alone are supported}}
  %y = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<3xf32>) outs(%x : tensor<4x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %m = arith.mulf %o, %p : f32
    linalg.yield %m : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// ... also when the body adds the output to a linear term (y = x + b * c
/// with x as `outs`): only the inputs may be read.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %c: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  // expected-error @below {{cannot estimate the gradient of parameter #2: 'linalg.generic' reads its output (init) operand in the body}}
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%x : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %m = arith.mulf %a, %p : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// A convolution-shaped generic whose body is not a multiply-accumulate
/// (a max over the products) is not bilinear.
#x = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#w = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#o = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
func.func @forward(%x: tensor<4x2x5x5xf32>, %w: tensor<3x2x3x3xf32> {flops.param, flops.name = "conv.weight"}) -> tensor<4x3x3x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3x3x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32>
  // expected-error @below {{cannot estimate the gradient of parameter conv.weight: 'linalg.generic' has a body that is not a multiply-accumulate (out + a * b, with optional float casts)}}
  %y = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<4x2x5x5xf32>, tensor<3x2x3x3xf32>) outs(%f : tensor<4x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %m = arith.maximumf %o, %p : f32
    linalg.yield %m : f32
  } -> tensor<4x3x3x3xf32>
  return %y : tensor<4x3x3x3xf32>
}

// -----

/// ... nor is a matmul-shaped one that adds a product of the weight with
/// itself.
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' has a body that is not a multiply-accumulate}}
  %y = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%f : tensor<4x2xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %q, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

/// Rows must be independent: a batch-mean subtraction (x - mean over the
/// batch) mixes the rows of different points in every chunk.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %z = arith.constant 0.0 : f32
  %e3 = tensor.empty() : tensor<3xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<3xf32>) -> tensor<3xf32>
  // expected-error @below {{'linalg.generic' mixes the rows of the batch: each row of its result must depend on the same row of the data alone}}
  %sum = linalg.generic {indexing_maps = [#id, #ch], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<4x3xf32>) outs(%f3 : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %c = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %q = arith.constant 0.25 : f32
    %mm = arith.mulf %m, %q : f32
    %s = arith.subf %a, %mm : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  %eo = tensor.empty() : tensor<4x2xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%c, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%fo : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

/// ... also after the last site (training-mode batch normalisation of the
/// logits: the batch variance).
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %w: tensor<3x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %z = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%fo : tensor<4x2xf32>) -> tensor<4x2xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  // expected-error @below {{'linalg.generic' mixes the rows of the batch}}
  %var = linalg.generic {indexing_maps = [#id, #ch], iterator_types = ["reduction", "parallel"]}
      ins(%y : tensor<4x2xf32>) outs(%f2 : tensor<2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %o, %sq : f32
    linalg.yield %s : f32
  } -> tensor<2xf32>
  %r = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %var : tensor<4x2xf32>, tensor<2xf32>) outs(%eo : tensor<4x2xf32>) {
  ^bb0(%a: f32, %v: f32, %o: f32):
    %s = arith.divf %a, %v : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// -----

/// A transpose may move the batch out of dimension 0 (the layout is
/// tracked), but a matmul that then contracts over it sums rows.
func.func @forward(%x: tensor<4x4xf32>, %w: tensor<4x2xf32> {flops.param}) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<4x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
  %z = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<4x2xf32>
  %fo = linalg.fill ins(%z : f32) outs(%eo : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-error @below {{'linalg.matmul' mixes the rows of the batch}}
  %y = linalg.matmul ins(%t, %w : tensor<4x4xf32>, tensor<4x2xf32>) outs(%fo : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

/// Reading one element of the data (a scalar shared by all rows).
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'tensor.extract' mixes the rows of the batch}}
  %s = tensor.extract %x[%c0, %c0] : tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    %r = arith.addf %m, %p : f32
    linalg.yield %r : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// A slice of rows (the first two points) is not all of dimension 0.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<3xf32> {flops.param}) -> tensor<4x3xf32> {
  // expected-error @below {{'tensor.extract_slice' mixes the rows of the batch}}
  %s = tensor.extract_slice %x[0, 0] [2, 3] [1, 1] : tensor<4x3xf32> to tensor<2x3xf32>
  %c = tensor.concat dim(0) %s, %s : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %r = arith.addf %a, %p : f32
    linalg.yield %r : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

/// Row-wise ops are accepted (no diagnostic): a slice of all rows, a
/// concatenation along the features, a softmax over them, elementwise tensor
/// arithmetic.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<4x3xf32>, %b: tensor<6xf32> {flops.param}) -> tensor<4x6xf32> {
  %s = tensor.extract_slice %x[0, 1] [4, 2] [1, 1] : tensor<4x3xf32> to tensor<4x2xf32>
  %t = arith.negf %x : tensor<4x3xf32>
  %c = tensor.concat dim(1) %s, %t, %s : (tensor<4x2xf32>, tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<4x7xf32>
  %c6 = tensor.extract_slice %c[0, 0] [4, 6] [1, 1] : tensor<4x7xf32> to tensor<4x6xf32>
  %e = tensor.empty() : tensor<4x6xf32>
  %y = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c6, %b : tensor<4x6xf32>, tensor<6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %r = arith.addf %a, %p : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  %sm = linalg.softmax dimension(1) ins(%y : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %sm : tensor<4x6xf32>
}

// -----

/// The batch may be merged with the dimensions after it (tokens flattened
/// into rows) while every op treats dimension 0 entrywise, but a reshape
/// that splits dimension 0 across batch rows mixes them: 4 points x 3
/// tokens = 12 entries, regrouped as 2 x 6.
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>
func.func @forward(%x: tensor<4x3x2xf32>, %b: tensor<2xf32> {flops.param}) -> tensor<4x3x2xf32> {
  %f = tensor.collapse_shape %x [[0, 1], [2]] : tensor<4x3x2xf32> into tensor<12x2xf32>
  // expected-error @below {{'tensor.expand_shape' mixes the rows of the batch}}
  %r = tensor.expand_shape %f [[0, 1], [2]] output_shape [2, 6, 2] : tensor<12x2xf32> into tensor<2x6x2xf32>
  %f2 = tensor.collapse_shape %r [[0, 1], [2]] : tensor<2x6x2xf32> into tensor<12x2xf32>
  %r2 = tensor.expand_shape %f2 [[0, 1], [2]] output_shape [4, 3, 2] : tensor<12x2xf32> into tensor<4x3x2xf32>
  %e = tensor.empty() : tensor<4x3x2xf32>
  %u = linalg.generic {indexing_maps = [#x3, #ch3, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r2, %b : tensor<4x3x2xf32>, tensor<2xf32>) outs(%e : tensor<4x3x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x3x2xf32>
  return %u : tensor<4x3x2xf32>
}

// -----

/// A site on merged rows has no per-point noise (dynamic batch: the row
/// counts cannot be compared, the layout can). Parametric generics are
/// rewritten to compute batch-first; a named op is not.
func.func @forward(%x: tensor<?x3x2xf32>, %w: tensor<2x2xf32> {flops.param}) -> tensor<?x3x2xf32> {
  %f = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x3x2xf32> into tensor<?x2xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %f, %c0 : tensor<?x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  // expected-error @below {{this perturbation site does not hold the batch alone in dimension 0 (batch in dimension 0, 3 entries per row there; sites must keep the batch in dimension 0)}}
  %u = linalg.matmul ins(%f, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%i : tensor<?x2xf32>) -> tensor<?x2xf32>
  %bsz = tensor.dim %x, %c0 : tensor<?x3x2xf32>
  %r = tensor.expand_shape %u [[0, 1], [2]] output_shape [%bsz, 3, 2] : tensor<?x2xf32> into tensor<?x3x2xf32>
  return %r : tensor<?x3x2xf32>
}

// -----

/// A result with the batch still merged (dynamic batch: the row counts
/// cannot be compared, the layout can).
#ew = affine_map<(d0, d1) -> (d0, d1)>
#bm = affine_map<(d0, d1) -> (d1)>
func.func @forward(%x: tensor<?x3xf32>, %y: tensor<?x2x3xf32>, %b: tensor<3xf32> {flops.param}) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %u = linalg.generic {indexing_maps = [#ew, #bm, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x3xf32>, tensor<3xf32>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  %f = tensor.collapse_shape %y [[0, 1], [2]] : tensor<?x2x3xf32> into tensor<?x3xf32>
  // expected-error @below {{result #1 does not hold the batch alone in dimension 0 (batch in dimension 0, 2 entries per row there)}}
  return %u, %f : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

/// Accepted (no diagnostic): the batch moved to dimension 1 and split off a
/// leading unit dimension (as the importer writes attention's q/k/v split),
/// merged with the tokens and back, then returned to dimension 0.
#t3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c3 = affine_map<(d0, d1, d2) -> (d2)>
func.func @forward(%x: tensor<4x3x2xf32>, %b: tensor<2xf32> {flops.param}) -> tensor<4x3x2xf32> {
  %e = tensor.empty() : tensor<3x4x2xf32>
  %t = linalg.transpose ins(%x : tensor<4x3x2xf32>) outs(%e : tensor<3x4x2xf32>) permutation = [1, 0, 2]
  %u = tensor.expand_shape %t [[0, 1], [2], [3]] output_shape [1, 3, 4, 2] : tensor<3x4x2xf32> into tensor<1x3x4x2xf32>
  %s = tensor.extract_slice %u[0, 0, 0, 0] [1, 3, 4, 2] [1, 1, 1, 1] : tensor<1x3x4x2xf32> to tensor<3x4x2xf32>
  %m = tensor.collapse_shape %s [[0, 1], [2]] : tensor<3x4x2xf32> into tensor<12x2xf32>
  %n = arith.negf %m : tensor<12x2xf32>
  %k = tensor.expand_shape %n [[0, 1], [2]] output_shape [3, 4, 2] : tensor<12x2xf32> into tensor<3x4x2xf32>
  %e2 = tensor.empty() : tensor<4x3x2xf32>
  %r = linalg.transpose ins(%k : tensor<3x4x2xf32>) outs(%e2 : tensor<4x3x2xf32>) permutation = [1, 0, 2]
  %y = linalg.generic {indexing_maps = [#t3, #c3, #t3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r, %b : tensor<4x3x2xf32>, tensor<2xf32>) outs(%e2 : tensor<4x3x2xf32>) {
  ^bb0(%a: f32, %p: f32, %o: f32):
    %v = arith.addf %a, %p : f32
    linalg.yield %v : f32
  } -> tensor<4x3x2xf32>
  return %y : tensor<4x3x2xf32>
}

// -----

/// A parameter read inside a body must be a gather (the body yields the
/// extracted element itself): a scaled lookup is not estimated.
#ids = affine_map<(d0, d1, d2) -> (d0, d1)>
#tok = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @forward(%x: tensor<4x3xi64>, %table: tensor<10x2xf32> {flops.param, flops.name = "embed.weight"}) -> tensor<4x3x2xf32> {
  %e = tensor.empty() : tensor<4x3x2xf32>
  // expected-error @below {{cannot estimate the gradient of parameter embed.weight: 'linalg.generic' reads it other than as a gather (the body must yield `tensor.extract` of it, used once)}}
  %g = linalg.generic {indexing_maps = [#ids, #tok], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x3xi64>) outs(%e : tensor<4x3x2xf32>) {
  ^bb0(%i: i64, %o: f32):
    %k = arith.index_cast %i : i64 to index
    %j = linalg.index 2 : index
    %v = tensor.extract %table[%k, %j] : tensor<10x2xf32>
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<4x3x2xf32>
  return %g : tensor<4x3x2xf32>
}

// -----

/// A gather whose ids come from the output (init) operand.
#tok = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @forward(%x: tensor<4x3x2xf32>, %table: tensor<10x2xf32> {flops.param}) -> tensor<4x3x2xf32> {
  // expected-error @below {{cannot estimate the gradient of parameter #1: 'linalg.generic' computes the gathered indices from its output or from values outside the op}}
  %g = linalg.generic {indexing_maps = [#tok], iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%x : tensor<4x3x2xf32>) {
  ^bb0(%o: f32):
    %i = arith.fptosi %o : f32 to i64
    %k = arith.index_cast %i : i64 to index
    %j = linalg.index 2 : index
    %v = tensor.extract %table[%k, %j] : tensor<10x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x3x2xf32>
  return %g : tensor<4x3x2xf32>
}
