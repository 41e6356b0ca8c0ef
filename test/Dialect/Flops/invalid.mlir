// RUN: flops-opt %s -split-input-file -verify-diagnostics

func.func @negative_normal_rank0(%s: i64, %t: i64) -> tensor<f32> {
  // expected-error @+1 {{expects a result of rank >= 1 (dimension 0 is the row)}}
  %0 = flops.normal %s, %t : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_normal_dynamic_sizes(%s: i64, %t: i64, %n: index) -> tensor<?x?xf32> {
  // expected-error @+1 {{expects 2 dynamic size operands (one per dynamic dimension of the result), got 1}}
  %0 = flops.normal %s, %t (%n) : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @negative_normal_site(%s: i64, %t: i64) -> tensor<4x4xf32> {
  // expected-error @+1 {{site must be in [0, 2^32), got 4294967296}}
  %0 = flops.normal %s, %t {site = 4294967296 : i64} : tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

/// Antithetic pairs need an even number of rows.
func.func @negative_normal_odd_rows(%s: i64, %t: i64) -> tensor<5x4xf32> {
  // expected-error @+1 {{antithetic noise needs an even number of rows, got 5}}
  %0 = flops.normal %s, %t {antithetic} : tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

func.func @negative_normal_type(%s: i64, %t: i64) -> tensor<4x4xf16> {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 64-bit float values}}
  %0 = flops.normal %s, %t : tensor<4x4xf16>
  return %0 : tensor<4x4xf16>
}

// -----

func.func @negative_perturb_rank(%u: tensor<8xf32>, %r: tensor<8xf32>, %s: i64, %t: i64) -> tensor<8xf32> {
  // expected-error @+1 {{expects a site of rank >= 2 (rows x units), got rank 1}}
  %0 = flops.perturb %u, %r, %s, %t : tensor<8xf32>, tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @negative_perturb_channel(%u: tensor<8x4xf32>, %r: tensor<4xf32>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  // expected-error @+1 {{channel_dim must be in [1, 2), got 0}}
  %0 = flops.perturb %u, %r, %s, %t {channel_dim = 0 : i64} : tensor<8x4xf32>, tensor<4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @negative_perturb_sigma_type(%u: tensor<8x4xf32>, %r: tensor<4xf64>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  // expected-error @+1 {{log_sigma element type 'f64' does not match the site's 'f32'}}
  %0 = flops.perturb %u, %r, %s, %t : tensor<8x4xf32>, tensor<4xf64>
  return %0 : tensor<8x4xf32>
}

// -----

/// One log sigma per unit of the channel dimension (here dimension 1 of NCHW).
func.func @negative_perturb_sigma_size(%u: tensor<8x3x5x5xf32>, %r: tensor<5xf32>, %s: i64, %t: i64) -> tensor<8x3x5x5xf32> {
  // expected-error @+1 {{log_sigma has 5 entries but dimension 1 of the site has 3}}
  %0 = flops.perturb %u, %r, %s, %t {channel_dim = 1 : i64} : tensor<8x3x5x5xf32>, tensor<5xf32>
  return %0 : tensor<8x3x5x5xf32>
}

// -----

func.func @negative_perturb_odd_rows(%u: tensor<7x4xf32>, %r: tensor<4xf32>, %s: i64, %t: i64) -> tensor<7x4xf32> {
  // expected-error @+1 {{antithetic noise needs an even number of rows, got 7}}
  %0 = flops.perturb %u, %r, %s, %t {antithetic} : tensor<7x4xf32>, tensor<4xf32>
  return %0 : tensor<7x4xf32>
}

// -----

func.func @negative_site_delta_rows(%c: tensor<6xf32>, %r: tensor<4xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  // expected-error @+1 {{coeff has 6 rows but the site has 8}}
  %0 = flops.site_delta %c, %r, %s, %t like %v : tensor<6xf32>, tensor<4xf32>, tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @negative_site_delta_coeff_type(%c: tensor<8xf64>, %r: tensor<4xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> tensor<8x4xf32> {
  // expected-error @+1 {{coeff element type 'f64' does not match the site's 'f32'}}
  %0 = flops.site_delta %c, %r, %s, %t like %v : tensor<8xf64>, tensor<4xf32>, tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @negative_log_sigma_grad_size(%c: tensor<8xf32>, %v: tensor<8x4xf32>, %s: i64, %t: i64) -> tensor<3xf32> {
  // expected-error @+1 {{result has 3 entries but dimension 1 of the site has 4}}
  %0 = flops.log_sigma_grad %c, %s, %t like %v : tensor<8xf32>, tensor<8x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @negative_allocate_budget(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{budget must be >= 1, got 0}}
  %0 = flops.allocate uniform %s {budget = 0 : i64, min_count = 0 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @negative_allocate_min(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{min_count must be >= 0, got -1}}
  %0 = flops.allocate uniform %s {budget = 8 : i64, min_count = -1 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

/// Antithetic pairs cannot be split: the budget and the minimum must be even.
func.func @negative_allocate_pairs(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{pairs needs an even budget and an even min_count, got budget 33 and min_count 2}}
  %0 = flops.allocate proportional %s {budget = 33 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

/// Neyman's gain 1/A - 1/(A+1) is undefined at A = 0.
func.func @negative_allocate_neyman_min(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{the neyman strategy needs min_count >= 1}}
  %0 = flops.allocate neyman %s {budget = 8 : i64, min_count = 0 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @negative_allocate_too_small(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{budget 6 is smaller than 4 points x 2 minimum queries}}
  %0 = flops.allocate uniform %s {budget = 6 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @negative_allocate_count_size(%s: tensor<4xf32>) -> tensor<5xi32> {
  // expected-error @+1 {{expects one count per score, got 5 counts for 4 scores}}
  %0 = flops.allocate uniform %s {budget = 16 : i64} : tensor<4xf32> -> tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

func.func @negative_allocate_strategy(%s: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'strategy' [uniform, proportional, neyman]}}
  %0 = flops.allocate bernoulli %s {budget = 16 : i64} : tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @negative_row_map_missing_rows(%c: tensor<4xi32>) -> tensor<?xi32> {
  // expected-error @+1 {{expects a `rows` operand when the number of rows is dynamic}}
  %0 = flops.row_map %c : tensor<4xi32> -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

func.func @negative_row_map_extra_rows(%c: tensor<4xi32>, %n: index) -> tensor<16xi32> {
  // expected-error @+1 {{takes no `rows` operand when the number of rows is static}}
  %0 = flops.row_map %c rows %n : tensor<4xi32> -> tensor<16xi32>
  return %0 : tensor<16xi32>
}

// -----

func.func @negative_expand_rank0(%x: tensor<f32>, %m: tensor<8xi32>) -> tensor<f32> {
  // expected-error @+1 {{expects an input of rank >= 1 (dimension 0 is the data point)}}
  %0 = flops.expand %x, %m : tensor<f32>, tensor<8xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_expand_rank(%x: tensor<4x3xf32>, %m: tensor<8xi32>) -> tensor<8x3x1xf32> {
  // expected-error @+1 {{result rank 3 differs from input rank 2}}
  %0 = flops.expand %x, %m : tensor<4x3xf32>, tensor<8xi32> -> tensor<8x3x1xf32>
  return %0 : tensor<8x3x1xf32>
}

// -----

func.func @negative_expand_type(%x: tensor<4x3xf32>, %m: tensor<8xi32>) -> tensor<8x3xf64> {
  // expected-error @+1 {{result element type 'f64' differs from input element type 'f32'}}
  %0 = flops.expand %x, %m : tensor<4x3xf32>, tensor<8xi32> -> tensor<8x3xf64>
  return %0 : tensor<8x3xf64>
}

// -----

func.func @negative_expand_rows(%x: tensor<4x3xf32>, %m: tensor<8xi32>) -> tensor<9x3xf32> {
  // expected-error @+1 {{result has 9 rows but the row map has 8}}
  %0 = flops.expand %x, %m : tensor<4x3xf32>, tensor<8xi32> -> tensor<9x3xf32>
  return %0 : tensor<9x3xf32>
}

// -----

func.func @negative_expand_trailing(%x: tensor<4x3xf32>, %m: tensor<8xi32>) -> tensor<8x?xf32> {
  // expected-error @+1 {{dimension 1 of the result (?) differs from the input's (3)}}
  %0 = flops.expand %x, %m : tensor<4x3xf32>, tensor<8xi32> -> tensor<8x?xf32>
  return %0 : tensor<8x?xf32>
}

// -----

func.func @negative_scatter_add_rank0(%d: tensor<8xf32>, %m: tensor<8xi32>, %a: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{expects an accumulator of rank >= 1 (dimension 0 is the data point)}}
  %0 = flops.scatter_add %d, %m into %a : tensor<8xf32>, tensor<8xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_scatter_add_int(%d: tensor<8x3xi32>, %m: tensor<8xi32>, %a: tensor<4x3xi32>) -> tensor<4x3xi32> {
  // expected-error @+1 {{expects floating-point elements, got 'i32'}}
  %0 = flops.scatter_add %d, %m into %a : tensor<8x3xi32>, tensor<8xi32> -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

func.func @negative_scatter_add_rank(%d: tensor<8xf32>, %m: tensor<8xi32>, %a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{rows rank 1 differs from accumulator rank 2}}
  %0 = flops.scatter_add %d, %m into %a : tensor<8xf32>, tensor<8xi32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @negative_scatter_add_type(%d: tensor<8x3xf64>, %m: tensor<8xi32>, %a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{rows element type 'f64' differs from the accumulator's 'f32'}}
  %0 = flops.scatter_add %d, %m into %a : tensor<8x3xf64>, tensor<8xi32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @negative_scatter_add_rows(%d: tensor<9x3xf32>, %m: tensor<8xi32>, %a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{rows has 9 rows but the row map has 8}}
  %0 = flops.scatter_add %d, %m into %a : tensor<9x3xf32>, tensor<8xi32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @negative_scatter_add_trailing(%d: tensor<8x2xf32>, %m: tensor<8xi32>, %a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{dimension 1 of the rows (2) differs from the accumulator's (3)}}
  %0 = flops.scatter_add %d, %m into %a : tensor<8x2xf32>, tensor<8xi32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @negative_row_weights_rows(%c: tensor<4xi32>, %m: tensor<8xi32>) -> tensor<6xf32> {
  // expected-error @+1 {{result has 6 rows but the row map has 8}}
  %0 = flops.row_weights per_point %c, %m : tensor<4xi32>, tensor<8xi32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @negative_residual_type(%l: tensor<8xf32>, %c: tensor<4xf64>, %m: tensor<8xi32>) -> tensor<8xf32> {
  // expected-error @+1 {{clean loss element type 'f64' does not match the row losses' 'f32'}}
  %0 = flops.residual clean %l, %c, %m : tensor<8xf32>, tensor<4xf64>, tensor<8xi32>
  return %0 : tensor<8xf32>
}

// -----

func.func @negative_residual_rows(%l: tensor<6xf32>, %c: tensor<4xf32>, %m: tensor<8xi32>) -> tensor<6xf32> {
  // expected-error @+1 {{has 6 row losses but the row map has 8 rows}}
  %0 = flops.residual clean %l, %c, %m : tensor<6xf32>, tensor<4xf32>, tensor<8xi32>
  return %0 : tensor<6xf32>
}

// -----

func.func @negative_counter_normal_site(%s: i64, %r: index) -> f32 {
  // expected-error @+1 {{site must be in [0, 2^32), got 4294967296}}
  %z = flops.counter_normal %s, %s, %r, %r {site = 4294967296 : i64} : i64, index -> f32
  return %z : f32
}

// -----

func.func @negative_counter_normal_shapes(%s: vector<4xi64>, %r: vector<8xindex>) -> vector<8xf32> {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %z = flops.counter_normal %s, %s, %r, %r : vector<4xi64>, vector<8xindex> -> vector<8xf32>
  return %z : vector<8xf32>
}
