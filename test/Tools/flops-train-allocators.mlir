// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t.x.npy --output %t.y.npy
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --sigma 0.05 --lr 0.01 --budget 96 --allocator uniform --pipeline reference --num-threads 1 --metrics %t.uniform.jsonl --progress=false 2>&1 | FileCheck %s --check-prefix=LOG-UNIFORM
// RUN: FileCheck %s --check-prefix=UNIFORM < %t.uniform.jsonl
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --sigma 0.05 --lr 0.01 --budget 96 --allocator bernoulli --bernoulli-p 0.5 --pipeline reference --num-threads 1 --metrics %t.bernoulli.jsonl --progress=false 2>&1 | FileCheck %s --check-prefix=LOG-BERNOULLI
// RUN: FileCheck %s --check-prefix=UNIFORM < %t.bernoulli.jsonl
// RUN: rm -f %t.gaussian.safetensors
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --sigma 0.05 --lr 0.01 --budget 96 --allocator gaussian --gaussian-lr 0.05 --pipeline reference --num-threads 1 --metrics %t.gaussian.jsonl --save %t.gaussian.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=LOG-GAUSSIAN
// RUN: FileCheck %s --check-prefix=VHAT < %t.gaussian.jsonl
// RUN: %python %S/Inputs/read-allocator-state.py %t.gaussian.safetensors | FileCheck %s --check-prefix=CKPT
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 0 --pipeline reference --num-threads 1 --params %t.gaussian.safetensors --progress=false 2>&1 | FileCheck %s --check-prefix=LOAD
// RUN: rm -f %t.resumed.safetensors
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --sigma 0.05 --lr 0.01 --budget 96 --allocator gaussian --gaussian-lr 0.05 --pipeline reference --num-threads 1 --params %t.gaussian.safetensors --save %t.resumed.safetensors --progress=false > /dev/null 2>&1
// RUN: %python %S/Inputs/read-allocator-state.py %t.resumed.safetensors | FileCheck %s --check-prefix=RESUME
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --sigma 0.05 --lr 0.01 --budget 96 --allocator neyman --neyman-kappa 1 --pipeline reference --num-threads 1 --metrics %t.neyman.jsonl --progress=false 2>&1 | FileCheck %s --check-prefix=LOG-NEYMAN
// RUN: FileCheck %s --check-prefix=VHAT < %t.neyman.jsonl
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --limit-train 128 --batch-size 16 --epochs 1 --budget 40 --num-threads 1 --progress=false 2>&1 | FileCheck %s --check-prefix=BAD-BUDGET

/// flops-train with each query allocator for one short epoch (128 points of
/// Inputs/gen-blobs.mlir, batch 16, a budget of 96 rows per step instead of
/// 16 x 8 = 128): the banner names the budget and the allocator; the
/// metrics line has finite values, with variance_proxy (the epoch's mean
/// V-hat) for gaussian and neyman only; the checkpoint of the gaussian run
/// holds the allocator state as the f64 tensor "allocator.gaussian"
/// (checked by Inputs/read-allocator-state.py: after 8 steps the first only
/// set the baseline, so 7 Adam steps, has_baseline 1) and the pass options
/// in its metadata, and it loads back with --params. A budget that is not a
/// multiple of the batch is the pass's error. A gaussian run started from
/// that checkpoint resumes the allocator: 8 more steps make 15 Adam steps
/// (a fresh allocator would have 7 again).

// LOG-UNIFORM: batch 16, 6 queries per point (96 rows per step)
// LOG-UNIFORM: data: 128 training rows, no test set
// LOG-UNIFORM: flops-train: 1 epochs (8 steps)
// LOG-BERNOULLI: batch 16, 6 queries per point on average (96 rows per step, allocator bernoulli)
// LOG-BERNOULLI: flops-train: 1 epochs (8 steps)
// LOG-GAUSSIAN: batch 16, 6 queries per point on average (96 rows per step, allocator gaussian)
// LOG-GAUSSIAN: flops-train: 1 epochs (8 steps)
// LOG-NEYMAN: batch 16, 6 queries per point on average (96 rows per step, allocator neyman)
// LOG-NEYMAN: flops-train: 1 epochs (8 steps)

// UNIFORM: {"epoch":1,"steps":8,"lr":0.01,"train_loss":{{[0-9.e+-]+}},"train_accuracy":{{[0-9.e+-]+}},
// UNIFORM-SAME: "row_loss":{{[0-9.e+-]+}},"grad_norm":{{[0-9.e+-]+}},"test_loss":null,
// UNIFORM-NOT: variance_proxy

// VHAT: {"epoch":1,"steps":8,"lr":0.01,"variance_proxy":{{[0-9]+\.[0-9]+(e[+-][0-9]+)?}},"train_loss":{{[0-9.e+-]+}},"train_accuracy":{{[0-9.e+-]+}},
// VHAT-SAME: "row_loss":{{[0-9.e+-]+}},"grad_norm":{{[0-9.e+-]+}},"test_loss":null,

// CKPT: forward_train: flops-forward-train{{.*}} allocator=gaussian budget=96 min-queries=2 {{.*}}gaussian-lr=0.05
// CKPT: allocator.gaussian F64 [16]
// CKPT: w {{-?[0-9.e+-]+}} c {{[0-9.e+-]+}} rho_s {{-?[0-9.e+-]+}} rho_h {{-?[0-9.e+-]+}}
// CKPT: baseline > 0: True
// CKPT: adam steps 7.0 has_baseline 1.0 reserved 0.0
// CKPT: moved from (0, 6, 0, 0): True

// LOAD: data: 128 training rows, no test set
// LOAD-NOT: error

// BAD-BUDGET: flops-train: error: flops-forward-train failed on {{.*}}mlp-4-16-2.mlir
// BAD-BUDGET: error: flops-forward-train: budget 40 is not a positive multiple of the batch size 16 (rows are processed in chunks of one batch)

// RESUME: adam steps 15.0 has_baseline 1.0
