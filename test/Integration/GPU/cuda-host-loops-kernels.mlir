// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-conv.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-conv.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-conv.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-conv.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-elementwise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-elementwise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-elementwise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-elementwise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-noise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-noise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-noise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-noise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-train-loop.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-train-loop.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-train-loop.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-train-loop.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-conv.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-conv.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-elementwise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-elementwise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-noise.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-noise.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-train-loop.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-train-loop.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir

/// The CPU pipeline's execution tests (contractions and their transposed
/// forms with partial tiles, convolutions, elementwise ops, the noise
/// against the C++ runtime, a training loop) run through the GPU tiling
/// (flops-lower-to-cuda{host-loops=true}: block/thread foralls as host
/// loops) with the default tiling (4x4 register-tiled contractions, 32x8
/// threads) and a scalar 4x2-thread one; each must print what its own
/// CHECK lines expect (no mismatch with the scalar reference computed in
/// the same program). The same six programs also run with
/// host-launches=true: the nests mapped to gpu.launch, independent launches
/// merged (flops-gpu-fuse-launches), every launch run as host loops
/// (flops-gpu-launch-to-loops).
