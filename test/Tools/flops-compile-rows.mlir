// The Neyman allocator's table and the Bernoulli allocator's default switch
// step (one epoch) are sized by the training rows at compile time: a
// program run on another row count stops with an error naming both counts
// (exit status 1, nothing trained); with an explicit --bernoulli-switch-step
// the program trains on any row count. The header states the count.
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t/x.npy --output %t/y.npy
// RUN: flops-compile %S/Inputs/mlp-4-16-2.mlir -o %t/neyman --train-npy %t/x.npy --train-labels %t/y.npy --limit-train 128 --batch-size 16 --allocator neyman
// RUN: %t/neyman --info | FileCheck %s --check-prefix=INFO
// RUN: not %t/neyman --train-npy %t/x.npy --train-labels %t/y.npy --epochs 1 --save %t/n.safetensors 2>&1 | FileCheck %s --check-prefix=NEYMAN
// RUN: not test -e %t/n.safetensors
// RUN: %t/neyman --train-npy %t/x.npy --train-labels %t/y.npy --limit-train 128 --epochs 1 --quiet --save %t/n.safetensors
// RUN: test -e %t/n.safetensors
// RUN: flops-compile %S/Inputs/mlp-4-16-2.mlir -o %t/bern --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 16 --allocator bernoulli
// RUN: not %t/bern --train-npy %t/x.npy --train-labels %t/y.npy --limit-train 64 --epochs 1 2>&1 | FileCheck %s --check-prefix=BERN
// RUN: flops-compile %S/Inputs/mlp-4-16-2.mlir -o %t/bern4 --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 16 --allocator bernoulli --bernoulli-switch-step 4
// RUN: %t/bern4 --info | FileCheck %s --check-prefix=INFO4
// RUN: %t/bern4 --train-npy %t/x.npy --train-labels %t/y.npy --limit-train 64 --epochs 1 --progress=false 2>&1 | FileCheck %s --check-prefix=BERN4
// RUN: flops-compile %S/Inputs/mlp-4-16-2.mlir --emit=header -o %t/neyman.h --train-npy %t/x.npy --train-labels %t/y.npy --limit-train 128 --batch-size 16 --allocator neyman
// RUN: FileCheck %s --check-prefix=HEADER < %t/neyman.h

// INFO: compiled for 128 training rows
// NEYMAN: neyman: error: this program was compiled for 128 training rows (the neyman allocator's step options depend on them); this run has 256: run flops-compile with the same data options
// BERN: bern: error: this program was compiled for 256 training rows (the bernoulli allocator's step options depend on them); this run has 64: run flops-compile with the same data options, or give it --bernoulli-switch-step (then any row count works)
// INFO4: allocator=bernoulli {{.*}}bernoulli-switch-step=4
// BERN4: bern4: 1 epochs (4 steps)
// HEADER: Compiled for 128 training rows: the neyman allocator's options depend on the
