// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 1024 --limit-test 500 --epochs 3 --batch-size 32 --seed 1 --lr 1e-3 --num-threads 2 --progress=false 2>&1 | FileCheck %s

/// Forward-only training lowers the loss: a 784-32-10 MLP on 1024
/// Fashion-MNIST images (3 epochs, Adam, lr 1e-3, fixed seed, 2 threads). The summary
/// compares the mean training loss of the first and the last epoch; it must
/// drop by at least 10 % (it drops by about 35 %).

// CHECK: epoch 3/3:
// CHECK: flops-train: 3 epochs (96 steps) in {{.*}}; train loss {{[0-9.]+}} -> {{[0-9.]+}} ({{-[1-9][0-9]\.[0-9]}}%)
