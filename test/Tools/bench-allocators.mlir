// RUN: flops-bench-train-step --model %S/Inputs/mlp-small.mlir --batch-size 8 --queries 4 --allocator gaussian --reps 1 --warmup 0 --num-threads 1 2>&1 | FileCheck %s --check-prefix=GAUSS
// RUN: flops-bench-train-step --model %S/Inputs/mlp-small.mlir --batch-size 8 --queries 4 --allocator neyman --neyman-points 20 --reps 1 --warmup 0 --num-threads 1 2>&1 | FileCheck %s --check-prefix=NEYMAN
// RUN: flops-bench-train-step --model %S/Inputs/mlp-small.mlir --batch-size 8 --queries 4 --perturb layer-wise --reps 1 --warmup 0 --num-threads 1 2>&1 | FileCheck %s --check-prefix=LAYER
// RUN: not flops-bench-train-step --model %S/Inputs/mlp-small.mlir --batch-size 8 --queries 4 --allocator foo --reps 1 --warmup 0 --num-threads 1 2>&1 | FileCheck %s --check-prefix=BAD

/// flops-bench-train-step builds the step with an allocator (the Gaussian
/// allocator's state starts uniform as in flops-train; the Neyman
/// allocator's point ids are row mod --neyman-points) or layer-wise
/// perturbation, as benchmarks/estimators/memory.sh uses it; the steps run
/// and report finite metrics.

// GAUSS: allocator=gaussian
// GAUSS: "clean_loss_first": {{[0-9]}}.{{[0-9]+}}, "clean_loss_last": {{[0-9]}}.{{[0-9]+}}, "grad_norm_first": {{[0-9]+}}.{{[0-9]+}}
// NEYMAN: allocator=neyman
// NEYMAN-SAME: neyman-points=20
// NEYMAN: "clean_loss_first": {{[0-9]}}.{{[0-9]+}}, "clean_loss_last": {{[0-9]}}.{{[0-9]+}}, "grad_norm_first": {{[0-9]+}}.{{[0-9]+}}
// LAYER: perturb=layer-wise
// LAYER: "clean_loss_first": {{[0-9]}}.{{[0-9]+}}, "clean_loss_last": {{[0-9]}}.{{[0-9]+}}, "grad_norm_first": {{[0-9]+}}.{{[0-9]+}}
// BAD: allocator must be uniform, bernoulli, gaussian or neyman, got 'foo'
