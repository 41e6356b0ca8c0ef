// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 512 --limit-test 256 --epochs 1 --batch-size 32 --num-threads 1 --metrics %t.jsonl --save %t.safetensors --progress=false > %t.log 2>&1
// RUN: FileCheck %s --check-prefix=METRICS < %t.jsonl
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 512 --limit-test 256 --epochs 0 --batch-size 32 --num-threads 1 --params %t.safetensors --progress=false >> %t.log 2>&1
// RUN: FileCheck %s < %t.log

/// flops-train on a Fashion-MNIST subset (512 training images, 1 epoch, a
/// 784-32-10 MLP): one JSON object per epoch with finite values (the
/// writer prints NaN and infinities as null, which the number patterns
/// reject), and a safetensors checkpoint that loads back (--params) and
/// reproduces the final test loss and accuracy exactly.

// METRICS: {"epoch":1,"steps":16,"lr":{{1e-03|0.001}},
// METRICS-SAME: "train_loss":{{[0-9.e+-]+}},"train_accuracy":{{[0-9.e+-]+}},
// METRICS-SAME: "row_loss":{{[0-9.e+-]+}},"grad_norm":{{[0-9.e+-]+}},
// METRICS-SAME: "test_loss":{{[0-9.e+-]+}},"test_accuracy":{{[0-9.e+-]+}},
// METRICS-SAME: "seconds":{{[0-9.e+-]+}},"cpu_seconds":{{[0-9.e+-]+}},"rows_per_s":{{[0-9.e+-]+}},"eval_seconds":{{[0-9.e+-]+}}}
// METRICS-NOT: epoch

// CHECK: flops-train: {{.*}}mlp-small.mlir: 25450 parameters in 4 tensors; batch 32, 8 queries per point (256 rows per step)
// CHECK: data: 512 training rows, test rows 256
// CHECK: epoch 1/1: train loss {{[0-9.]+}} acc {{[0-9.]+}}, test loss [[LOSS:[0-9.]+]] acc [[ACC:[0-9.]+]];
// CHECK: flops-train: 1 epochs (16 steps)
// CHECK: initial parameters: test loss [[LOSS]] acc [[ACC]]
