// RUN: rm -f %t.safetensors
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 512 --limit-test 100 --batch-size 32 --num-threads 1 --epochs 3 --lr 1e-3 --lr-decay 1e33 --lr-decay-every 1 --save %t.safetensors --metrics %t.jsonl --progress=false > %t.log 2>&1
// RUN: flops-train %S/Inputs/mlp-small.mlir --limit-train 512 --limit-test 100 --batch-size 32 --num-threads 1 --epochs 0 --params %t.safetensors --progress=false >> %t.log 2>&1
// RUN: FileCheck %s < %t.log
// RUN: FileCheck %s --check-prefix=METRICS < %t.jsonl
// RUN: flops-run %S/Inputs/gen-linear-params.mlir --output %t.other.safetensors
// RUN: not flops-train %S/Inputs/mlp-small.mlir --limit-train 64 --epochs 0 --params %t.other.safetensors 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not flops-train %S/Inputs/linear-100.mlir --epochs 0 --params %t.other.safetensors 2>&1 | FileCheck %s --check-prefix=SHAPE

/// A non-finite loss stops training with the step named, and the
/// checkpoint of the last good epoch stays: StepLR multiplies the learning
/// rate by 1e33 after epoch 1, so epoch 2 diverges at once. The kept file
/// loads (--params) and reproduces epoch 1's test loss and accuracy.
/// Parameters that are missing or of the wrong shape in a --params file are
/// errors.

// CHECK: epoch 1/3: train loss {{[0-9.]+}} acc {{[0-9.]+}}, test loss [[LOSS:[0-9.]+]] acc [[ACC:[0-9.]+]];
// CHECK-NEXT: flops-train: error: non-finite clean loss, row loss, gradient norm at step {{1[6-9]|2[0-9]|3[01]}} (epoch 2, batch {{[0-9]+}}/16): clean loss {{.*}}; training stopped; {{.*}}.safetensors keeps the checkpoint of epoch 1
// CHECK: initial parameters: test loss [[LOSS]] acc [[ACC]]

// METRICS: {"epoch":1,
// METRICS-NOT: "epoch":2

// MISSING: flops-train: error: {{.*}}other.safetensors: no tensor 'fc1.weight' (the model's parameter tensor<784x32xf32>)
// SHAPE: flops-train: error: {{.*}}other.safetensors: tensor 'fc.weight' has shape 3x2, the model expects tensor<100x10xf32>
