// flops-compile --emit=exe links a training program that needs no LLVM or
// MLIR library (ldd / the ELF NEEDED entries), trains one epoch on a
// Fashion-MNIST subset with flops-train's messages and metrics, and, built
// for a CPU with the host's FMA availability (--target-cpu native), ends
// with a checkpoint byte-identical to flops-train's (same threads): the
// parameters after N steps, the optimizer state and the metadata. --resume
// of its own checkpoint continues the same run.
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-compile %S/Inputs/mlp-small.mlir -o %t/train --limit-train 256 --batch-size 32
// RUN: ldd %t/train | FileCheck %s --check-prefix=LDD
// RUN: llvm-readelf -d %t/train | %drop_sanitizer_libs | FileCheck %s --check-prefix=NEEDED
// LDD-NOT: libMLIR
// LDD-NOT: libLLVM
// LDD-NOT: libFlops
// LDD-NOT: libz
// LDD-NOT: libomp
// LDD-NOT: libgomp
// NEEDED-NOT: NEEDED
// NEEDED: (NEEDED) Shared library: [libstdc++.so.6]
// NEEDED-NEXT: (NEEDED) Shared library: [libm.so.6]
// NEEDED-NEXT: (NEEDED) Shared library: [libgcc_s.so.1]
// NEEDED-NEXT: (NEEDED) Shared library: [libc.so.6]
// NEEDED-NOT: NEEDED

// One epoch (the default target, x86-64-v2), metrics written:
// RUN: %t/train --limit-train 256 --limit-test 64 --epochs 1 --progress=false --metrics %t/m.jsonl 2>&1 | FileCheck %s --check-prefix=TRAIN
// RUN: FileCheck %s --check-prefix=METRICS < %t/m.jsonl
// RUN: %t/train --info | FileCheck %s --check-prefix=INFO
// RUN: not %t/train --queries 4 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not %t/train --limit-train 256 --epochs -1 2>&1 | FileCheck %s --check-prefix=EPOCHS
// RUN: not %t/train --limit-train 256 --epochs 1 --save %t/no/dir/ck.safetensors 2>&1 | FileCheck %s --check-prefix=SAVEDIR
// RUN: not %t/train --limit-train 256 --data-dir %t/none 2>&1 | FileCheck %s --check-prefix=DATA
// RUN: not %t/train stray 2>&1 | FileCheck %s --check-prefix=STRAY
// RUN: %t/train --help | FileCheck %s --check-prefix=HELP
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --target-cpu not-a-cpu 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --emit=dll 2>&1 | FileCheck %s --check-prefix=EMIT

// RUN: flops-compile %S/Inputs/mlp-small.mlir -o %t/native --limit-train 256 --batch-size 32 --target-cpu native
// RUN: %t/native --limit-train 256 --limit-test 64 --epochs 2 --max-steps 11 --progress=false --save %t/aot.safetensors --metrics %t/aot.jsonl
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --epochs 2 --max-steps 11 --progress=false --save %t/jit.safetensors --metrics %t/jit.jsonl
// RUN: cmp %t/aot.safetensors %t/jit.safetensors
// RUN: %t/native --limit-train 256 --limit-test 64 --epochs 2 --progress=false --resume %t/aot.safetensors --save %t/aot.safetensors 2>&1 | FileCheck %s --check-prefix=RESUME
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 256 --limit-test 64 --batch-size 32 --num-threads 1 --epochs 2 --progress=false --save %t/full.safetensors
// RUN: cmp %t/aot.safetensors %t/full.safetensors

// RUN: flops-compile %S/Inputs/mlp-small.mlir -o %t/neyman --limit-train 256 --batch-size 32 --allocator neyman
// RUN: not %t/neyman --limit-train 128 2>&1 | FileCheck %s --check-prefix=ROWS

// TRAIN-LABEL: train: {{.*}}mlp-small.mlir: {{[0-9]+}} parameters in 4 tensors; batch 32, 8 queries per point (256 rows per step)
// TRAIN: train: compiled ahead of time by flops-compile for x86-64-v2 with builtin.module(flops-lower-to-cpu{num-threads=1 out-params=true}) (1 thread); data: 256 training rows, test rows 64
// TRAIN: epoch 1/1: train loss {{[0-9.]+}} acc {{[0-9.]+}}, test loss {{[0-9.]+}} acc
// TRAIN: train: 1 epochs (8 steps)
// METRICS: {"epoch":1,"steps":8,"lr":0.001,"train_loss":{{[0-9.]+}},"train_accuracy":{{[0-9.]+}},"row_loss":{{.*}},"test_loss":{{.*}},"test_accuracy":
// INFO: step: flops-forward-train{entry=forward queries=8 batch-size=32
// INFO: threads: 1
// INFO: target: x86-64-v2
// INFO: compiled for 256 training rows
// UNKNOWN: train: error: unknown option --queries ({{.*}}the step options are fixed by flops-compile)
// EPOCHS: train: error: --epochs must be >= 0, got -1
// SAVEDIR: train: error: --save {{.*}}no/dir/ck.safetensors: the directory {{.*}}no/dir does not exist
// DATA: train: error: {{.*}}none{{.*}}(set --data-dir, or give --train-npy/--train-labels)
// STRAY: train: error: unexpected argument 'stray'
// HELP: USAGE: train [options]
// CPU: flops-compile: error: --target-cpu: 'not-a-cpu' is not a CPU of x86_64
// EMIT: flops-compile: error: --emit must be exe, obj, header or shared, got 'dll'
// RESUME: native: resuming {{.*}}aot.safetensors at epoch 2, batch 3/8 (step 11)
// RESUME: native: 2 epochs (16 steps)
// ROWS: neyman: error: this program was compiled for 256 training rows (the neyman allocator's step options depend on them); this run has 128
