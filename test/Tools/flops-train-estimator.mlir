// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t.x.npy --output %t.y.npy
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --estimator spsa --pipeline reference --num-threads 1 --progress=false 2>&1 | FileCheck %s --check-prefix=SPSA
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --estimator es --pipeline reference --num-threads 1 --progress=false 2>&1 | FileCheck %s --check-prefix=ES
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --estimator es --es-rank 1 --pipeline reference --num-threads 1 --progress=false 2>&1 | FileCheck %s --check-prefix=ESRANK
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --perturb layer-wise --pipeline reference --num-threads 1 --progress=false 2>&1 | FileCheck %s --check-prefix=LAYERWISE
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --estimator spsa --optimizer sgd --momentum 0 --num-threads 1 --progress=false 2>&1 | grep '^flops-train: .*train loss' | sed 's/ in .* s;/;/' > %t.spsa-sgd
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 3 --sigma 0.01 --lr 0.01 --queries 8 --estimator spsa --spsa-in-place --optimizer sgd --momentum 0 --num-threads 1 --progress=false 2>&1 | grep '^flops-train: .*train loss' | sed 's/ in .* s;/;/' > %t.spsa-in-place
// RUN: FileCheck %s --check-prefix=INPLACE < %t.spsa-in-place
// RUN: diff %t.spsa-sgd %t.spsa-in-place
// RUN: rm -f %t.alias.safetensors %t.twosets.safetensors
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 2 --sigma 0.01 --lr 0.01 --queries 8 --estimator spsa --spsa-in-place --optimizer sgd --momentum 0 --num-threads 1 --progress=false --save %t.alias.safetensors > /dev/null 2>&1
// RUN: env FLOPS_STATE_PING_PONG=1 flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 2 --sigma 0.01 --lr 0.01 --queries 8 --estimator spsa --spsa-in-place --optimizer sgd --momentum 0 --num-threads 1 --progress=false --save %t.twosets.safetensors > /dev/null 2>&1
// RUN: cmp %t.alias.safetensors %t.twosets.safetensors
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 32 --batch-size 16 --epochs 1 --estimator foo --pipeline reference --progress=false 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 32 --batch-size 16 --epochs 1 --estimator spsa --allocator neyman --pipeline reference --progress=false 2>&1 | FileCheck %s --check-prefix=BAD-ALLOC

/// flops-train --estimator: SPSA (MeZO, queries/2 = 4 directions per step)
/// and ES (8 queries per point, each at its own weights; also with rank-1
/// matmul-weight noise, --es-rank 1) train the 4-16-2
/// MLP on the blobs, and so does LR with --perturb layer-wise (the training
/// loss falls over three epochs with fixed seeds); an unknown estimator and an allocator SPSA cannot
/// use are errors naming the option. In-place MeZO (--spsa-in-place, CPU
/// pipeline) trains like SPSA with plain SGD: the same losses and accuracies
/// to the four digits printed (its restoration differs by float round-off).
/// flops-train passes it one set of state buffers as arguments and results
/// (flops.in_place_state); FLOPS_STATE_PING_PONG=1 keeps two sets, and the
/// two checkpoints are the same bytes.

// SPSA: flops-train: 3 epochs (24 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} (-{{[0-9.]+}}%)
// ES: flops-train: 3 epochs (24 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} (-{{[0-9.]+}}%)
// INPLACE: flops-train: 3 epochs (24 steps); train loss {{[0-9.]+}} -> {{[0-9.]+}} (-{{[0-9.]+}}%)
// ESRANK: flops-train: 3 epochs (24 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} (-{{[0-9.]+}}%)
// LAYERWISE: flops-train: 3 epochs (24 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} (-{{[0-9.]+}}%)
// BAD: error: flops-forward-train: estimator must be one of lr, spsa, es, got 'foo'
// BAD-ALLOC: error: flops-forward-train: estimator=spsa perturbs the weights, shared by all points of the batch: it has no per-point allocation (allocator must be uniform, got 'neyman')
