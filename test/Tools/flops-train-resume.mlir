// A run stopped anywhere (--max-steps inside and at the end of an epoch,
// or a checkpoint written every N steps) and continued with --resume ends
// with a checkpoint byte-identical to the uninterrupted run's: parameters,
// Adam moments, log sigma, the learned allocator's state, step and epoch
// position (docs/RELIABILITY.md).
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --save %t/full.safetensors --metrics %t/full.jsonl > %t/full.log 2>&1
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --save %t/ck.safetensors --max-steps 5 --metrics %t/ck.jsonl 2>&1 | FileCheck %s --check-prefix=STOP5
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --save %t/ck.safetensors --max-steps 8 --resume %t/ck.safetensors --metrics %t/ck.jsonl 2>&1 | FileCheck %s --check-prefix=STOP8
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --save %t/ck.safetensors --save-every 3 --max-steps 19 --resume %t/ck.safetensors --metrics %t/ck.jsonl 2>&1 | FileCheck %s --check-prefix=STOP19
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --save %t/ck.safetensors --resume %t/ck.safetensors --metrics %t/ck.jsonl 2>&1 | FileCheck %s --check-prefix=END
// RUN: cmp %t/full.safetensors %t/ck.safetensors
// RUN: FileCheck %s --check-prefix=METRICS < %t/ck.jsonl
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --allocator gaussian --progress=false --epochs 3 --resume %t/ck.safetensors 2>&1 | FileCheck %s --check-prefix=DONE

// STOP5: flops-train: stopped after step 5 (--max-steps; epoch 1, batch 5/8); --resume {{.*}}ck.safetensors goes on
// STOP8: flops-train: resuming {{.*}}ck.safetensors at epoch 1, batch 5/8 (step 5)
// STOP8: epoch 1/3:
// STOP8: flops-train: stopped after step 8 (--max-steps; end of epoch 1)
// STOP19: resuming {{.*}} at epoch 2, batch 0/8 (step 8)
// STOP19: epoch 2/3:
// STOP19: stopped after step 19 (--max-steps; epoch 3, batch 3/8)
// END: resuming {{.*}} at epoch 3, batch 3/8 (step 19)
// END-NOT: epoch 2/3
// END: epoch 3/3:
// One record per epoch, none twice:
// METRICS: {"epoch":1,"steps":8,
// METRICS-NEXT: {"epoch":2,"steps":16,
// METRICS-NEXT: {"epoch":3,"steps":24,
// METRICS-NOT: epoch
// DONE: the checkpoint already holds 3 epoch(s); nothing to train (--epochs 3)

// Resuming needs the same step options, seed and data; bad options are
// errors before anything runs.
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --allocator gaussian --epochs 4 --queries 4 --resume %t/ck.safetensors 2>&1 | FileCheck %s --check-prefix=OPTS
// OPTS: flops-train: error: {{.*}}ck.safetensors: the checkpoint was written with other step options:
// OPTS-NEXT: checkpoint: flops-forward-train{{.*}}queries=8
// OPTS-NEXT: this run: flops-forward-train{{.*}}queries=4
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --allocator gaussian --epochs 4 --seed 7 --resume %t/ck.safetensors 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: error: {{.*}}ck.safetensors: the checkpoint was written with --seed 0, this run has --seed 7
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 128 --limit-test 64 --batch-size 32 --allocator gaussian --epochs 4 --resume %t/ck.safetensors 2>&1 | FileCheck %s --check-prefix=ROWS
// ROWS: error: {{.*}}ck.safetensors: the checkpoint was written for 256 training rows, this run has 128
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --epochs 4 --resume %t/ck.safetensors --params %t/ck.safetensors 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: --resume and --params exclude each other
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --epochs 4 --resume %t/missing.safetensors 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}missing.safetensors
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --epochs 1 --save-every 2 2>&1 | FileCheck %s --check-prefix=EVERY
// EVERY: error: --save-every needs --save
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --epochs 1 --max-steps -1 2>&1 | FileCheck %s --check-prefix=MAXSTEPS
// MAXSTEPS: error: --max-steps must be >= 0, got -1
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --epochs 1 --save %t/no/such/dir/ck.safetensors 2>&1 | FileCheck %s --check-prefix=SAVEDIR
// SAVEDIR: error: --save {{.*}}no/such/dir/ck.safetensors: the directory {{.*}}no/such/dir does not exist
