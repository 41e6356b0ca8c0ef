// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t.x.npy --output %t.y.npy
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --test-npy %t.x.npy --test-labels %t.y.npy --batch-size 16 --epochs 4 --sigma 0.05 --lr 0.01 --pipeline reference --num-threads 1 --metrics - --progress=false 2>&1 | FileCheck %s
// RUN: flops-train %S/Inputs/mlp-4-16-2.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 16 --epochs 4 --sigma 0.05 --lr 0.05 --optimizer sgd --loss mse --lr-decay 0.5 --lr-decay-every 2 --num-threads 1 --metrics - --progress=false 2>&1 | FileCheck %s --check-prefix=MSE

/// Training on .npy arrays written by flops-run (256 points of a 2-class
/// rule, Inputs/gen-blobs.mlir): the reference pipeline with Adam and
/// cross-entropy; then SGD with an mse loss on one-hot labels, no test set
/// and StepLR halving the learning rate every 2 epochs.

// CHECK: compiled in {{.*}} with builtin.module(flops-reference-to-llvm{{.*}}); data: 256 training rows, test rows 256
// CHECK: {"epoch":1,"steps":16,"lr":0.01,"train_loss":{{[0-9.e+-]+}},"train_accuracy":{{[0-9.e+-]+}}
// CHECK: {"epoch":4,"steps":64,
// CHECK: flops-train: 4 epochs (64 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} ({{-[1-9][0-9]\.[0-9]}}%); test accuracy

// MSE: data: 256 training rows, no test set
// MSE: {"epoch":1,"steps":16,"lr":0.05,"train_loss":{{[0-9.e+-]+}},"train_accuracy":null,{{.*}}"test_loss":null,"test_accuracy":null,
// MSE: {"epoch":2,"steps":32,"lr":0.05,
// MSE: {"epoch":3,"steps":48,"lr":0.025,
// MSE: {"epoch":4,"steps":64,"lr":0.025,
// MSE: flops-train: 4 epochs (64 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} ({{-[1-9][0-9]\.[0-9]}}%)
