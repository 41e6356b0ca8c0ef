// Out-of-range options and bad data are errors before anything runs, each
// naming the option or the file at fault (issue 15, 2., 5., 8.).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/write-npy.py %t/x.npy '<f4' 16,4 0.5
// RUN: %python %S/Inputs/write-npy.py %t/bad-y.npy '<i8' 16 5
// RUN: %python %S/Inputs/write-npy.py %t/y.npy '<i8' 16 1
// RUN: %python %S/Inputs/write-npy.py %t/x0.npy '<f4' 0,4 0.5
// RUN: %python %S/Inputs/write-npy.py %t/y0.npy '<i8' 0 1
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/bad-y.npy --batch-size 8 2>&1 | FileCheck %s --check-prefix=LABELS
// LABELS: flops-train: error: {{.*}}bad-y.npy: training label 5 at row 0 is outside 0..1 (the model has 2 outputs)
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --test-npy %t/x0.npy --test-labels %t/y0.npy --batch-size 8 2>&1 | FileCheck %s --check-prefix=EMPTYTEST
// EMPTYTEST: flops-train: error: {{.*}}x0.npy: the test set has no rows
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 0 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: flops-train: error: --batch-size must be >= 1, got 0
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --num-threads -3 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: flops-train: error: --num-threads must be >= 0 (0 = all cores), got -3
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --opt-level 7 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: flops-train: error: --opt-level must be 0, 1, 2 or 3, got 7
// RUN: not flops-run %S/Inputs/mlp-4-16-2.mlir --input %t/x.npy --num-threads -3 2>&1 | FileCheck %s --check-prefix=RUNTHREADS
// RUNTHREADS: flops-run: error: --num-threads must be >= 0
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 8 --perturb-last 99 2>&1 | FileCheck %s --check-prefix=LAST
// LAST: error: flops-forward-train: perturb-last=99 but the forward has 2 perturbation sites
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 8 --allocator gaussian --min-queries 100 2>&1 | FileCheck %s --check-prefix=MINQ
// MINQ: error: flops-forward-train: rows per step (batch x queries) 64 cannot give 100 queries to each of 8 points
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 8 --budget 8 --min-queries 0 2>&1 | FileCheck %s --check-prefix=MINQ0
// MINQ0: error: flops-forward-train: min-queries=0 lets points get no queries
// RUN: not flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 8 --queries 2147483646 2>&1 | FileCheck %s --check-prefix=ROWS
// ROWS: error: flops-forward-train: rows per step batch x queries = 17179869168 exceeds 2^31 - 1 rows
