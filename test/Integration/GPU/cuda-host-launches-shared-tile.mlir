// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=8})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=5 block-size-x=8 block-size-y=4})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=0})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-contractions.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=512})" | %run | FileCheck %S/../CPU/cpu-pipeline-contractions.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=8})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-k-tile=5 contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir
// RUN: flops-opt %S/../CPU/cpu-pipeline-transposed.mlir --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-k-tile=7})" | %run | FileCheck %S/../CPU/cpu-pipeline-transposed.mlir
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true})" | FileCheck %s --check-prefix=KERNEL
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{format=isa})" | FileCheck %s --check-prefix=PTX

/// The contractions' shared-memory block tiles (docs/GPU-CODEGEN.md,
/// "Shared-memory block tiles") executed as host loops: the kernels as
/// built for the GPU (workgroup buffers, barriers, the k loop at block
/// level), run by flops-gpu-launch-to-loops. The CPU pipeline's
/// contraction programs (plain and generic matmuls with m, n and k that no
/// tile divides: 67x129 . 129x50, 128x300 . 300x96, f64; transposed
/// operands, batches) must print their own CHECK lines (no mismatch with
/// the scalar reference in the same program: the inputs are small
/// integers, every summation order is exact) with k steps of 8, of 5 (a
/// partial last step nearly everywhere, 8x4 threads), without the stage
/// (k-tile 0), with a k tile whose chunks exceed 48 KB (512: the op keeps
/// the unstaged kernel), scalar thread tiles, and in the host-loops mode
/// (plain buffers, foralls as loops). The default (k-tile 32) runs in
/// cuda-host-loops-kernels.mlir and cuda-host-loops-train-step.mlir.

/// The kernel of a 70x130 . 130x50 product (no size a tile multiple):
/// two workgroup buffers of the chunks' static bounds (32 rows x 32 k of
/// A, 32 k x 50 columns of B: 13x8 threads of 4x4 outputs), the fill, a
/// barrier, the k loop with the two copies each followed by a barrier,
/// and the contraction followed by the barrier before the next refill.
// KERNEL-LABEL: gpu.func @mm_kernel(
// KERNEL-SAME: workgroup(%[[AS:.*]] : memref<32x32xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<32x50xf32, #gpu.address_space<workgroup>>)
// KERNEL-SAME: known_block_size = array<i32: 13, 8, 1>
// KERNEL: memref.store
// KERNEL: gpu.barrier
// KERNEL: scf.for
// KERNEL: memref.subview %[[AS]]
// KERNEL: memref.store %{{.*}} : memref<?x?xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>
// KERNEL: gpu.barrier
// KERNEL: memref.subview %[[BS]]
// KERNEL: memref.store %{{.*}} : memref<?x?xf32, strided<[50, 1], offset: ?>, #gpu.address_space<workgroup>>
// KERNEL: gpu.barrier
// KERNEL: arith.mulf
// KERNEL: arith.addf
// KERNEL: gpu.barrier
// KERNEL-NEXT: }
// KERNEL-NEXT: gpu.return
func.func @mm(%a: tensor<70x130xf32>, %b: tensor<130x50xf32>) -> tensor<70x50xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<70x50xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<70x50xf32>) -> tensor<70x50xf32>
  %r = linalg.matmul ins(%a, %b : tensor<70x130xf32>, tensor<130x50xf32>) outs(%f : tensor<70x50xf32>) -> tensor<70x50xf32>
  return %r : tensor<70x50xf32>
}

/// A 64x70 . 70x128 product: full 32x128 block tiles (32x8 threads of 4x4
/// outputs) and a partial last k step. In the PTX (the NVPTX backend, no
/// ptxas needed) the chunks are two .shared arrays (32x32 and 32x128
/// floats), the steps are separated by bar.sync, and the inner k loop of a
/// thread reads its B row as one 128-bit shared load and does 16 FMAs.
// PTX-LABEL: gpu.binary @mm_regs_kernel
// PTX-SAME: .shared .align 4 .b8 __wg_mm_regs_kernel_0[4096]
// PTX-SAME: .shared .align 4 .b8 __wg_mm_regs_kernel_1[16384]
// PTX-SAME: bar.sync
// PTX-SAME: ld.shared.v4.b32
// PTX-COUNT-16: fma.rn.f32
// PTX-NOT: ld.local
func.func @mm_regs(%a: tensor<64x70xf32>, %b: tensor<70x128xf32>) -> tensor<64x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x70xf32>, tensor<70x128xf32>) outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}
