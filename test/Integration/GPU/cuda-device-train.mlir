// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_CUDA_VERBOSE=1 flops-train %S/../../Tools/Inputs/mlp-small.mlir --device cuda --cuda-options=host-loops=true --limit-train 320 --limit-test 64 --batch-size 32 --queries 4 --epochs 1 --optimizer sgd --lr 0.01 --freeze-sigma --sigma 0.05 --num-threads 1 --no-cache --progress=false --save %t.gpu.safetensors 2>&1 | FileCheck %s --check-prefix=DEV
// RUN: flops-train %S/../../Tools/Inputs/mlp-small.mlir --limit-train 320 --limit-test 64 --batch-size 32 --queries 4 --epochs 1 --optimizer sgd --lr 0.01 --freeze-sigma --sigma 0.05 --num-threads 1 --no-cache --progress=false --save %t.cpu.safetensors 2>&1 | FileCheck %s --check-prefix=HOST
// RUN: %python %S/Inputs/compare-safetensors.py --normwise %t.gpu.safetensors %t.cpu.safetensors 1e-4 | FileCheck %s
// RUN: flops-train %S/../../Tools/Inputs/mlp-small.mlir --limit-train 320 --limit-test 64 --batch-size 32 --queries 4 --epochs 1 --optimizer sgd --lr 0.01 --freeze-sigma --sigma 0.05 --num-threads 1 --no-cache --progress=false --seed 1 --save %t.other.safetensors
// RUN: not %python %S/Inputs/compare-safetensors.py --normwise %t.gpu.safetensors %t.other.safetensors 1e-4 | FileCheck %s --check-prefix=OTHER

/// The driver's CUDA device path with no GPU here: `--device cuda` with the
/// fake driver (libFlopsFakeCuda: "device" memory is host memory) and
/// flops-lower-to-cuda{host-loops=true} (the tiled, fused kernels run as host
/// loops), so that the step's buffers (parameters, optimizer state, batches,
/// metrics) are the device's managed allocations, ping-ponged between steps
/// by the same code as on a GPU. Ten SGD steps agree with the CPU device's
/// (normwise relative difference per tensor <= 1e-4; the checkpoint holds
/// the parameters, momenta and log sigma: 10 tensors);
/// another seed does not (the comparison can fail).

// DEV-NOT: flops-cuda-runtime:
// DEV: flops-train: cuda device 0: FLOPS Fake GPU 0, compute capability 9.0, 132 multiprocessors, 1024 MiB
// DEV: compiled in {{.*}} with builtin.module(flops-lower-to-cuda{out-params=true host-loops=true})
// DEV: flops-train: 1 epochs (10 steps) in {{.*}}; train loss [[LOSS:[0-9.]+]] -> [[LAST:[0-9.]+]]
// HOST: flops-train: 1 epochs (10 steps) in {{.*}}; train loss [[LOSS:[0-9.]+]] -> [[LAST:[0-9.]+]]

// CHECK: fc1.weight [784, 32]: max rel diff {{.*}}, normwise {{.*}}
// CHECK: over 10 tensors: normwise within 0.0001
// OTHER: over 10 tensors: normwise EXCEEDS 0.0001

// RUN: flops-run %S/../../Tools/Inputs/gen-linear-data.mlir --output %t.x.npy
// RUN: flops-run %S/../../Tools/Inputs/gen-linear-params.mlir --output %t.p.safetensors
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda flops-run %S/../../Tools/flops-run.mlir --input %t.x.npy --params %t.p.safetensors --print --device cuda --cuda-options=host-loops=true | FileCheck %s --check-prefix=RUNOUT

/// flops-run's @forward through the same device path (y = x W + b of
/// test/Tools/flops-run.mlir).
// RUNOUT:      output0: tensor<4x2xf32>
// RUNOUT-NEXT: -0.5 -0.25
// RUNOUT-NEXT: 1.5 0.75
// RUNOUT-NEXT: 3.5 1.75
// RUNOUT-NEXT: 5.5 2.75
