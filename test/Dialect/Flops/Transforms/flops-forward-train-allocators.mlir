// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{budget=24 point-prefix=false})" | FileCheck %s --check-prefix=UNI --implicit-check-not=flops_rt_ --implicit-check-not=bufferization.
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=uniform weighting=row-mean point-prefix=false})" | FileCheck %s --check-prefix=ROWMEAN --implicit-check-not=flops_rt_
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=bernoulli budget=24 bernoulli-p=0.25 bernoulli-p-late=0.125 bernoulli-switch-step=5 point-prefix=false})" | FileCheck %s --check-prefix=BER --implicit-check-not=flops_rt_variance_proxy --implicit-check-not=flops_rt_standardize --implicit-check-not=flops_rt_gaussian --implicit-check-not=flops_rt_neyman --implicit-check-not=flops_rt_point
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=bernoulli budget=24 bernoulli-p=0.25 point-prefix=false})" | FileCheck %s --check-prefix=BER0
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=gaussian budget=24 gaussian-lr=0.5 gaussian-jitter=0.001 gaussian-baseline-decay=0.75 point-prefix=false})" | FileCheck %s --check-prefix=GAU --implicit-check-not=flops_rt_bernoulli --implicit-check-not=flops_rt_neyman --implicit-check-not=flops_rt_point
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=gaussian antithetic=false queries=3 min-queries=1 point-prefix=false})" | FileCheck %s --check-prefix=GAU-NOANTI
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-forward-train{allocator=neyman neyman-points=10 neyman-kappa=3.0 budget=40 min-queries=4 point-prefix=false})" | FileCheck %s --check-prefix=NEY --implicit-check-not=flops_rt_bernoulli --implicit-check-not=flops_rt_gaussian --implicit-check-not=flops_rt_standardize

/// The query allocators of flops-forward-train (docs/METHOD.md §3), checked on
/// the per-row layout (point-prefix=false; the per-point prefix is checked in
/// flops-forward-train.mlir and runs with every allocator in
/// test/Execution): which runtime
/// calls @train_step makes and where they sit relative to the chunk loop,
/// the allocator state and input arguments with their roles, and the budget:
/// the chunk loop always runs budget / B chunks of B rows, so the rows
/// executed per step are N whatever the allocation (docs/METHOD.md §5.12).

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

/// A 3-5-2 MLP, static batch of 4 (as in flops-forward-train.mlir).
func.func @forward(%x: tensor<4x3xf32>,
                   %w1: tensor<3x5xf32> {flops.param, flops.name = "fc1.weight"},
                   %b1: tensor<5xf32> {flops.param, flops.name = "fc1.bias"},
                   %w2: tensor<5x2xf32> {flops.param, flops.name = "fc2.weight"},
                   %b2: tensor<2xf32> {flops.param, flops.name = "fc2.bias"}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<4x3xf32>, tensor<3x5xf32>) outs(%z1 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<4x5xf32>, tensor<5xf32>) outs(%e1 : tensor<4x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<4x5xf32>) outs(%e1 : tensor<4x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<4x5xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<4x5xf32>, tensor<5x2xf32>) outs(%z2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<4x2xf32>, tensor<2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

/// uniform with budget=24 (not B * queries = 32): N = 24 rows, six chunks of
/// B = 4; no runtime call, no buffer, V-hat is the constant 0.
// UNI-LABEL: func.func @train_step(
// UNI-NOT:     flops.role = "allocator_state"
// UNI-SAME:    %[[LBL:[^:]+]]: tensor<4xi32> {flops.name = "labels", flops.role = "labels"})
// UNI-SAME:    -> ({{.*}}, tensor<5xf32> {flops.name = "metrics", flops.role = "metrics"})
// UNI-SAME:    attributes {flops.allocator = "uniform", flops.batch_size = 4 : i64, flops.budget = 24 : i64,
// UNI-SAME:    flops.queries = 8 : i64}
// UNI:         %[[COUNTS:.*]] = flops.allocate uniform %{{.*}} {budget = 24 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// UNI:         %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<24xi32>
// UNI-NEXT:    flops.row_weights per_point %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<24xi32> -> tensor<24xf32>
// UNI-DAG:     %[[C0:.*]] = arith.constant 0 : index
// UNI-DAG:     %[[C1:.*]] = arith.constant 1 : index
// UNI-DAG:     %[[C6:.*]] = arith.constant 6 : index
// UNI:         %[[LOOP:.*]]:7 = scf.for %{{[^ ]+}} = %[[C0]] to %[[C6]] step %[[C1]]
// UNI:           tensor.extract_slice %[[MAP]][%{{[^]]+}}] [4] [1] : tensor<24xi32> to tensor<4xi32>
// UNI:           scf.yield
/// The mean row loss divides by N = 24.
// UNI:         arith.constant 0.0416666679 : f32
/// metrics[4] is a constant (the name the printer gives float constants).
// UNI:         %[[METRICS:.*]] = tensor.from_elements %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %cst{{(_[0-9]+)?}} : tensor<5xf32>
// UNI-NEXT:    return {{.*}}, %[[METRICS]] :
// UNI-LABEL: func.func @eval_step(

/// weighting=row-mean: omega_r = 1/N on the uniform counts.
// ROWMEAN-LABEL: func.func @train_step(
// ROWMEAN-SAME:    flops.budget = 32 : i64
// ROWMEAN:         %[[COUNTS:.*]] = flops.allocate uniform %{{.*}} {budget = 32 : i64, pairs}
// ROWMEAN:         %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<32xi32>
// ROWMEAN-NEXT:    flops.row_weights row_mean %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<32xi32> -> tensor<32xf32>
// ROWMEAN-LABEL: func.func @eval_step(

/// bernoulli: the runtime halves points of the clean losses (as f64) in the
/// uniform counts (what stays if it rejects its inputs); p switches from
/// bernoulli-p to bernoulli-p-late at step 5. No state argument, no V-hat.
// BER:         func.func private @flops_rt_bernoulli_allocate(memref<?xf64>, memref<?xi32>, f64, i64, i64, i64, i64, i32) -> i32 attributes {llvm.emit_c_interface}
// BER-LABEL: func.func @train_step(
// BER-NOT:     flops.role = "allocator_state"
// BER-SAME:    %[[STEP:[^:]+]]: i64 {flops.name = "step", flops.role = "step"}, %[[SEED:[^:]+]]: i64 {flops.name = "seed", flops.role = "seed"},
// BER-SAME:    %{{[^:]+}}: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %{{[^:]+}}: tensor<4xi32> {flops.name = "labels", flops.role = "labels"})
// BER-SAME:    flops.allocator = "bernoulli"
// BER-SAME:    flops.budget = 24 : i64
// BER:         %[[CE:.*]]:2 = linalg.generic
// BER:         %[[PAIRS:.*]] = arith.constant 1 : i32
// BER:         %[[UCOUNTS:.*]] = flops.allocate uniform %[[CE]]#0 {budget = 24 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// BER:         %[[LOSS64:.*]] = linalg.generic {{.*}} ins(%[[CE]]#0 : tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// BER:           arith.extf
// BER-DAG:     %[[PEARLY:.*]] = arith.constant 2.500000e-01 : f64
// BER-DAG:     %[[SWITCH:.*]] = arith.constant 5 : i64
// BER:         %[[LATE:.*]] = arith.cmpi sge, %[[STEP]], %[[SWITCH]] : i64
// BER:         %[[PLATE:.*]] = arith.constant 1.250000e-01 : f64
// BER:         %[[P:.*]] = arith.select %[[LATE]], %[[PLATE]], %[[PEARLY]] : f64
// BER-DAG:     %[[N:.*]] = arith.constant 24 : i64
// BER-DAG:     %[[MIN:.*]] = arith.constant 2 : i64
// BER:         %[[LB:.*]] = bufferization.to_buffer %[[LOSS64]] read_only : tensor<4xf64> to memref<4xf64>
// BER:         %[[LBD:.*]] = memref.cast %[[LB]] : memref<4xf64> to memref<?xf64>
// BER:         %[[UB:.*]] = bufferization.to_buffer %[[UCOUNTS]] read_only : tensor<4xi32> to memref<4xi32>
// BER:         %[[CBUF:.*]] = memref.alloc() : memref<4xi32>
// BER:         memref.copy %[[UB]], %[[CBUF]] : memref<4xi32> to memref<4xi32>
// BER:         %[[CBD:.*]] = memref.cast %[[CBUF]] : memref<4xi32> to memref<?xi32>
// BER:         call @flops_rt_bernoulli_allocate(%[[LBD]], %[[CBD]], %[[P]], %[[SEED]], %[[STEP]], %[[N]], %[[MIN]], %[[PAIRS]]) : (memref<?xf64>, memref<?xi32>, f64, i64, i64, i64, i64, i32) -> i32
// BER:         %[[COUNTS:.*]] = bufferization.to_tensor %[[CBUF]] restrict writable : memref<4xi32> to tensor<4xi32>
// BER-NEXT:    %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<24xi32>
// BER-NEXT:    flops.row_weights per_point %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<24xi32> -> tensor<24xf32>
// BER:         %[[C6:.*]] = arith.constant 6 : index
// BER:         scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[C6]] step
// BER-NOT:     call @flops_rt_
// BER:         tensor.from_elements %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %cst{{(_[0-9]+)?}} : tensor<5xf32>
// BER-LABEL: func.func @eval_step(

/// bernoulli-switch-step=0 (never): p is the constant bernoulli-p.
// BER0-LABEL: func.func @train_step(
// BER0:         flops.allocate uniform
// BER0-NOT:     arith.select
// BER0:         %[[P:.*]] = arith.constant 2.500000e-01 : f64
// BER0-NOT:     arith.select
// BER0:         call @flops_rt_bernoulli_allocate(%{{[^,]+}}, %{{[^,]+}}, %[[P]],
// BER0-LABEL: func.func @eval_step(

/// gaussian: the state tensor<16xf64> (role allocator_state) after the
/// log-sigma moments, returned updated before the metrics. Before the chunk
/// loop: lambda = standardised clean losses, one draw (aTilde, counts) from
/// lambda and the incoming state; the loop carries the N per-row squared
/// norms (f64) next to the gradients; after it V-hat from them and the row
/// map, then the update from (lambda, aTilde, incoming state, V-hat);
/// metrics[4] = V-hat.
// GAU-DAG:     func.func private @flops_rt_standardize_losses(memref<?xf64>, memref<?xf64>) -> i32 attributes {llvm.emit_c_interface}
// GAU-DAG:     func.func private @flops_rt_gaussian_alloc_draw(memref<?xf64>, memref<?xf64>, memref<?xf64>, memref<?xi32>, i64, i64, i64, i64, i32, f64) -> i32 attributes {llvm.emit_c_interface}
// GAU-DAG:     func.func private @flops_rt_variance_proxy(memref<?xf64>, memref<?xi32>, memref<?xf64>, i64) -> i32 attributes {llvm.emit_c_interface}
// GAU-DAG:     func.func private @flops_rt_gaussian_alloc_update(memref<?xf64>, memref<?xf64>, memref<?xf64>, f64, f64, f64, f64) -> i32 attributes {llvm.emit_c_interface}
// GAU-LABEL: func.func @train_step(
// GAU-SAME:    tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_v"}, %[[STATE:[^:]+]]: tensor<16xf64> {flops.name = "gaussian", flops.role = "allocator_state"},
// GAU-SAME:    %{{[^:]+}}: f32 {flops.name = "lr", flops.role = "lr"}, %[[STEP:[^:]+]]: i64 {flops.name = "step", flops.role = "step"}, %[[SEED:[^:]+]]: i64 {flops.name = "seed", flops.role = "seed"},
// GAU-SAME:    %{{[^:]+}}: tensor<4x3xf32> {flops.name = "input0", flops.role = "input"}, %{{[^:]+}}: tensor<4xi32> {flops.name = "labels", flops.role = "labels"})
// GAU-SAME:    tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_v"}, tensor<16xf64> {flops.name = "gaussian", flops.role = "allocator_state"}, tensor<5xf32> {flops.name = "metrics", flops.role = "metrics"})
// GAU-SAME:    flops.allocator = "gaussian"
// GAU-SAME:    flops.budget = 24 : i64
// GAU:         %[[CE:.*]]:2 = linalg.generic
// GAU:         %[[PAIRS:.*]] = arith.constant 1 : i32
// GAU:         %[[UCOUNTS:.*]] = flops.allocate uniform %[[CE]]#0 {budget = 24 : i64, pairs} : tensor<4xf32> -> tensor<4xi32>
// GAU:         %[[LOSS64:.*]] = linalg.generic {{.*}} ins(%[[CE]]#0 : tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// GAU:         %[[ZB:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<4xf64>) -> tensor<4xf64>
// GAU:         %[[LB:.*]] = bufferization.to_buffer %[[LOSS64]] read_only
// GAU:         %[[LBD:.*]] = memref.cast %[[LB]]
// GAU:         %[[LAMBUF:.*]] = memref.alloc() : memref<4xf64>
// GAU:         %[[LAMBD:.*]] = memref.cast %[[LAMBUF]]
// GAU:         call @flops_rt_standardize_losses(%[[LBD]], %[[LAMBD]])
// GAU:         %[[LAMBDA:.*]] = bufferization.to_tensor %[[LAMBUF]] restrict writable : memref<4xf64> to tensor<4xf64>
// GAU-DAG:     %[[N:.*]] = arith.constant 24 : i64
// GAU-DAG:     %[[MIN:.*]] = arith.constant 2 : i64
// GAU-DAG:     %[[JIT:.*]] = arith.constant 1.000000e-03 : f64
// GAU:         %[[LAMB:.*]] = bufferization.to_buffer %[[LAMBDA]] read_only
// GAU:         %[[LAMBC:.*]] = memref.cast %[[LAMB]]
// GAU:         %[[SB:.*]] = bufferization.to_buffer %[[STATE]] read_only : tensor<16xf64> to memref<16xf64>
// GAU:         %[[SBD:.*]] = memref.cast %[[SB]] : memref<16xf64> to memref<?xf64>
// GAU:         %[[ATBUF:.*]] = memref.alloc() : memref<4xf64>
// GAU:         %[[ATBD:.*]] = memref.cast %[[ATBUF]]
// GAU:         bufferization.to_buffer %[[UCOUNTS]] read_only : tensor<4xi32> to memref<4xi32>
// GAU:         %[[CBUF:.*]] = memref.alloc() : memref<4xi32>
// GAU:         %[[CBD:.*]] = memref.cast %[[CBUF]]
// GAU:         call @flops_rt_gaussian_alloc_draw(%[[LAMBC]], %[[SBD]], %[[ATBD]], %[[CBD]], %[[SEED]], %[[STEP]], %[[N]], %[[MIN]], %[[PAIRS]], %[[JIT]])
// GAU:         %[[ATILDE:.*]] = bufferization.to_tensor %[[ATBUF]] restrict writable : memref<4xf64> to tensor<4xf64>
// GAU-NEXT:    %[[COUNTS:.*]] = bufferization.to_tensor %[[CBUF]] restrict writable : memref<4xi32> to tensor<4xi32>
// GAU-NEXT:    %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<24xi32>
// GAU-NEXT:    flops.row_weights per_point %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<24xi32> -> tensor<24xf32>
// GAU-NOT:     call @flops_rt_
// GAU:         %[[RSQ0:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<24xf64>) -> tensor<24xf64>
// GAU:         %[[C6:.*]] = arith.constant 6 : index
// GAU:         %[[LOOP:.*]]:8 = scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[C6]] step %{{[^ ]+}} iter_args({{.*}}, %[[RSQACC:[^ ]+]] = %[[RSQ0]])
// GAU-SAME:      -> (tensor<3x5xf32>, tensor<5xf32>, tensor<5x2xf32>, tensor<2xf32>, tensor<5xf32>, tensor<2xf32>, f32, tensor<24xf64>)
// GAU-NOT:       call @flops_rt_
/// Per row: sum over sites of |Delta_r|^2 (|a_r|^2 + 1), divided by omega_r^2.
// GAU:           arith.divf %{{.*}}, %{{.*}} : f64
// GAU:           %[[INS:.*]] = tensor.insert_slice %{{.*}} into %[[RSQACC]][%{{.*}}] [4] [1] : tensor<4xf64> into tensor<24xf64>
// GAU-NEXT:      scf.yield {{.*}}, %[[INS]] :
// GAU-NOT:     call @flops_rt_
// GAU:         %[[B:.*]] = arith.constant 4 : i64
// GAU:         %[[RSQB:.*]] = bufferization.to_buffer %[[LOOP]]#7 read_only : tensor<24xf64> to memref<24xf64>
// GAU:         %[[RSQBD:.*]] = memref.cast %[[RSQB]]
// GAU:         %[[MAPB:.*]] = bufferization.to_buffer %[[MAP]] read_only : tensor<24xi32> to memref<24xi32>
// GAU:         %[[MAPBD:.*]] = memref.cast %[[MAPB]]
/// V-hat and, second, V-hat of the uniform allocation with the same per-point
/// means; the allocator gets their ratio (1 when the reference is 0).
// GAU:         %[[VBUF:.*]] = memref.alloc() : memref<2xf64>
// GAU:         %[[VBD:.*]] = memref.cast %[[VBUF]]
// GAU:         call @flops_rt_variance_proxy(%[[RSQBD]], %[[MAPBD]], %[[VBD]], %[[B]])
// GAU:         %[[VT:.*]] = bufferization.to_tensor %[[VBUF]] restrict writable : memref<2xf64> to tensor<2xf64>
// GAU:         %[[V64:.*]] = tensor.extract %[[VT]][%{{.*}}] : tensor<2xf64>
// GAU:         %[[V32:.*]] = arith.truncf %[[V64]] : f64 to f32
// GAU:         %[[U64:.*]] = tensor.extract %[[VT]][%{{.*}}] : tensor<2xf64>
// GAU:         %[[POS:.*]] = arith.cmpf ogt, %[[U64]], %{{.*}} : f64
// GAU:         %[[RATIO:.*]] = arith.divf %[[V64]], %[[U64]] : f64
// GAU:         %[[REL:.*]] = arith.select %[[POS]], %[[RATIO]], %{{.*}} : f64
// GAU-DAG:     %[[JIT2:.*]] = arith.constant 1.000000e-03 : f64
// GAU-DAG:     %[[GLR:.*]] = arith.constant 5.000000e-01 : f64
// GAU-DAG:     %[[DECAY:.*]] = arith.constant 7.500000e-01 : f64
// GAU:         bufferization.to_buffer %[[LAMBDA]] read_only
// GAU:         bufferization.to_buffer %[[ATILDE]] read_only
// GAU:         %[[SB2:.*]] = bufferization.to_buffer %[[STATE]] read_only : tensor<16xf64> to memref<16xf64>
// GAU:         %[[NSBUF:.*]] = memref.alloc() : memref<16xf64>
// GAU:         memref.copy %[[SB2]], %[[NSBUF]] : memref<16xf64> to memref<16xf64>
// GAU:         call @flops_rt_gaussian_alloc_update(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[REL]], %[[JIT2]], %[[GLR]], %[[DECAY]]) : (memref<?xf64>, memref<?xf64>, memref<?xf64>, f64, f64, f64, f64) -> i32
// GAU:         %[[NEWSTATE:.*]] = bufferization.to_tensor %[[NSBUF]] restrict writable : memref<16xf64> to tensor<16xf64>
// GAU-NEXT:    %[[METRICS:.*]] = tensor.from_elements %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[V32]] : tensor<5xf32>
// GAU-NEXT:    return {{.*}}, %[[NEWSTATE]], %[[METRICS]] :
// GAU-LABEL: func.func @eval_step(

/// gaussian without antithetic pairs, queries=3, min-queries=1: N = 12
/// (three chunks), pairs = 0, A_min = 1 passed to the draw.
// GAU-NOANTI-LABEL: func.func @train_step(
// GAU-NOANTI-SAME:    flops.budget = 12 : i64
// GAU-NOANTI:         %[[PAIRS:.*]] = arith.constant 0 : i32
// GAU-NOANTI:         flops.allocate uniform %{{.*}} {budget = 12 : i64, min_count = 1 : i64} : tensor<4xf32> -> tensor<4xi32>
// GAU-NOANTI-DAG:     %[[N:.*]] = arith.constant 12 : i64
// GAU-NOANTI-DAG:     %[[MIN:.*]] = arith.constant 1 : i64
// GAU-NOANTI:         call @flops_rt_gaussian_alloc_draw(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[N]], %[[MIN]], %[[PAIRS]], %{{[^)]+}})
// GAU-NOANTI:         flops.row_map %{{.*}} : tensor<4xi32> -> tensor<12xi32>
// GAU-NOANTI:         %[[C3:.*]] = arith.constant 3 : index
// GAU-NOANTI:         scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[C3]] step
// GAU-NOANTI-SAME:      tensor<12xf64>)
// GAU-NOANTI:         call @flops_rt_variance_proxy(
// GAU-NOANTI:         call @flops_rt_gaussian_alloc_update(
// GAU-NOANTI-LABEL: func.func @eval_step(

/// neyman: the statistics table tensor<10x2xf64> (role neyman_stats) is
/// state, the point ids tensor<4xi32> (role point_ids) an input after the
/// labels. Before the loop: the table's rows at the ids (queries spent,
/// mean squared norm), sigma from them and the clean loss, and
/// flops.allocate neyman (budget 40, A_min = min-queries = 4); ten chunks;
/// after the loop V-hat, the per-point means of this step's rows, and an
/// scf.for over the B points folding them into the table at their ids.
// NEY-DAG:     func.func private @flops_rt_neyman_sigma(memref<?xf64>, memref<?xi32>, memref<?xf64>, memref<?xf64>, f64) -> i32 attributes {llvm.emit_c_interface}
// NEY-DAG:     func.func private @flops_rt_variance_proxy(memref<?xf64>, memref<?xi32>, memref<?xf64>, i64) -> i32 attributes {llvm.emit_c_interface}
// NEY-DAG:     func.func private @flops_rt_point_square_means(memref<?xf64>, memref<?xi32>, memref<?xf64>, memref<?xi32>) -> i32 attributes {llvm.emit_c_interface}
// NEY-LABEL: func.func @train_step(
// NEY-SAME:    tensor<2xf32> {flops.name = "site1", flops.role = "log_sigma_adam_v"}, %[[TABLE:[^:]+]]: tensor<10x2xf64> {flops.name = "neyman", flops.role = "neyman_stats"},
// NEY-SAME:    %{{[^:]+}}: f32 {flops.name = "lr", flops.role = "lr"},
// NEY-SAME:    %{{[^:]+}}: tensor<4xi32> {flops.name = "labels", flops.role = "labels"}, %[[IDS:[^:]+]]: tensor<4xi32> {flops.name = "point_ids", flops.role = "point_ids"})
// NEY-SAME:    tensor<10x2xf64> {flops.name = "neyman", flops.role = "neyman_stats"}, tensor<5xf32> {flops.name = "metrics", flops.role = "metrics"})
// NEY-SAME:    flops.allocator = "neyman"
// NEY-SAME:    flops.budget = 40 : i64
// NEY:         %[[CE:.*]]:2 = linalg.generic
// NEY:         flops.allocate uniform %[[CE]]#0 {budget = 40 : i64, min_count = 4 : i64, pairs}
// NEY:         %[[LOSS64:.*]] = linalg.generic {{.*}} ins(%[[CE]]#0 : tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// Point ids clamped to [0, 9] before any table access.
// NEY:         %[[CIDS:.*]] = linalg.generic {{.*}} ins(%[[IDS]] : tensor<4xi32>) outs(%{{.*}} : tensor<4xi32>)
// NEY:           arith.maxsi
// NEY:           arith.minsi
// NEY:         %[[SPENT:.*]] = linalg.generic {{.*}} ins(%[[CIDS]] : tensor<4xi32>) outs(%{{.*}} : tensor<4xf64>)
// NEY:           %[[C0:.*]] = arith.constant 0 : index
// NEY-NEXT:      tensor.extract %[[TABLE]][%{{.*}}, %[[C0]]] : tensor<10x2xf64>
// NEY:         %[[MEANSQ:.*]] = linalg.generic {{.*}} ins(%[[CIDS]] : tensor<4xi32>) outs(%{{.*}} : tensor<4xf64>)
// NEY:           %[[C1:.*]] = arith.constant 1 : index
// NEY-NEXT:      tensor.extract %[[TABLE]][%{{.*}}, %[[C1]]] : tensor<10x2xf64>
// NEY:         %[[SPENTI:.*]] = linalg.generic {{.*}} ins(%[[SPENT]] : tensor<4xf64>) outs(%{{.*}} : tensor<4xi32>)
// NEY:           arith.fptosi
// NEY:         %[[KAPPA:.*]] = arith.constant 3.000000e+00 : f64
// NEY:         bufferization.to_buffer %[[MEANSQ]] read_only
// NEY:         bufferization.to_buffer %[[SPENTI]] read_only
// NEY:         bufferization.to_buffer %[[LOSS64]] read_only
// NEY:         %[[SIGBUF:.*]] = memref.alloc() : memref<4xf64>
// NEY:         call @flops_rt_neyman_sigma(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[KAPPA]])
// NEY:         %[[SIGMA:.*]] = bufferization.to_tensor %[[SIGBUF]] restrict writable : memref<4xf64> to tensor<4xf64>
// NEY-NEXT:    %[[COUNTS:.*]] = flops.allocate neyman %[[SIGMA]] {budget = 40 : i64, min_count = 4 : i64, pairs} : tensor<4xf64> -> tensor<4xi32>
// NEY-NEXT:    %[[MAP:.*]] = flops.row_map %[[COUNTS]] : tensor<4xi32> -> tensor<40xi32>
// NEY-NEXT:    flops.row_weights per_point %[[COUNTS]], %[[MAP]] : tensor<4xi32>, tensor<40xi32> -> tensor<40xf32>
// NEY:         %[[C10:.*]] = arith.constant 10 : index
// NEY:         %[[LOOP:.*]]:8 = scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[C10]] step
// NEY-SAME:      tensor<40xf64>)
// NEY-NOT:       call @flops_rt_
// NEY:           tensor.insert_slice %{{.*}} [4] [1] : tensor<4xf64> into tensor<40xf64>
// NEY-NOT:     call @flops_rt_
// NEY:         %[[RSQB:.*]] = bufferization.to_buffer %[[LOOP]]#7 read_only : tensor<40xf64> to memref<40xf64>
// NEY:         call @flops_rt_variance_proxy(
// NEY:         %[[VT:.*]] = bufferization.to_tensor
// NEY:         %[[V64:.*]] = tensor.extract %[[VT]]
// NEY:         %[[V32:.*]] = arith.truncf %[[V64]] : f64 to f32
// NEY:         bufferization.to_buffer %[[LOOP]]#7 read_only : tensor<40xf64> to memref<40xf64>
// NEY:         bufferization.to_buffer %[[MAP]] read_only : tensor<40xi32> to memref<40xi32>
// NEY:         %[[MSBUF:.*]] = memref.alloc() : memref<4xf64>
// NEY:         %[[ROWSBUF:.*]] = memref.alloc() : memref<4xi32>
// NEY:         call @flops_rt_point_square_means(
// NEY:         %[[MS:.*]] = bufferization.to_tensor %[[MSBUF]] restrict writable : memref<4xf64> to tensor<4xf64>
// NEY-NEXT:    %[[ROWS:.*]] = bufferization.to_tensor %[[ROWSBUF]] restrict writable : memref<4xi32> to tensor<4xi32>
// NEY:         %[[CB:.*]] = arith.constant 4 : index
// NEY:         %[[NEWTABLE:.*]] = scf.for %[[I:[^ ]+]] = %{{[^ ]+}} to %[[CB]] step %{{[^ ]+}} iter_args(%[[T:[^ ]+]] = %[[TABLE]]) -> (tensor<10x2xf64>) {
// NEY-NEXT:      %[[ID:.*]] = tensor.extract %[[CIDS]][%[[I]]] : tensor<4xi32>
// NEY-NEXT:      %[[ROW:.*]] = arith.index_cast %[[ID]] : i32 to index
// NEY:           %[[N0:.*]] = tensor.extract %[[T]][%[[ROW]], %{{.*}}] : tensor<10x2xf64>
// NEY-NEXT:      %[[M0:.*]] = tensor.extract %[[T]][%[[ROW]], %{{.*}}] : tensor<10x2xf64>
// NEY-NEXT:      %[[AI:.*]] = tensor.extract %[[ROWS]][%[[I]]] : tensor<4xi32>
// NEY-NEXT:      %[[A:.*]] = arith.sitofp %[[AI]] : i32 to f64
// NEY-NEXT:      %[[S2:.*]] = tensor.extract %[[MS]][%[[I]]] : tensor<4xf64>
// NEY-NEXT:      %[[N1:.*]] = arith.addf %[[N0]], %[[A]] : f64
// NEY:           %[[T1:.*]] = tensor.insert %[[N1]] into %[[T]][%[[ROW]], %{{.*}}] : tensor<10x2xf64>
// NEY-NEXT:      %[[T2:.*]] = tensor.insert %{{.*}} into %[[T1]][%[[ROW]], %{{.*}}] : tensor<10x2xf64>
// NEY-NEXT:      scf.yield %[[T2]] : tensor<10x2xf64>
// NEY:         %[[METRICS:.*]] = tensor.from_elements %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[V32]] : tensor<5xf32>
// NEY-NEXT:    return {{.*}}, %[[NEWTABLE]], %[[METRICS]] :
// NEY-LABEL: func.func @eval_step(
