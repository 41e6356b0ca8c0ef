// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas precision=tf32 stop-at-kernels=true})" | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas format=isa})" | FileCheck %s --check-prefix=LLVM

/// contraction=cublas: the contractions are left whole by the tiling and
/// become calls of flopsGpuGemmF32 (row-major; alpha = beta = 1 since
/// linalg accumulates into the output, which a fill kernel zeroes first),
/// each on a stream of its own; the elementwise ops stay our kernels.
#xt = affine_map<(m, n, k) -> (k, m)>
#w = affine_map<(m, n, k) -> (n, k)>
#o = affine_map<(m, n, k) -> (m, n)>

// CHECK: func.func private @flopsGpuGemmF32(i64, i64, i64, i64, i32, i32, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, f32, f32, i32, !gpu.async.token)
// CHECK-LABEL: func.func @gemms(
// CHECK: gpu.launch_func
/// x (8x16) . w (16x32): no transposition, lda 16, ldb 32, ldc 32; the
/// precision code 1 (tf32).
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: call @flopsGpuGemmF32(%c1_i64{{[_0-9]*}}, %c8_i64{{[_0-9]*}}, %c32_i64{{[_0-9]*}}, %c16_i64{{[_0-9]*}}, %c0_i32{{[_0-9]*}}, %c0_i32{{[_0-9]*}}, %{{.*}}, %c16_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, %cst{{[_0-9]*}}, %cst{{[_0-9]*}}, %c1_i32{{[_0-9]*}}, %[[S0]])
/// x^T (x stored 16x8 as k x m) . w^T (w stored 32x16 as n x k): both
/// transposed, lda 8, ldb 16.
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: call @flopsGpuGemmF32(%c1_i64{{[_0-9]*}}, %c8_i64{{[_0-9]*}}, %c32_i64{{[_0-9]*}}, %c16_i64{{[_0-9]*}}, %c1_i32{{[_0-9]*}}, %c1_i32{{[_0-9]*}}, %{{.*}}, %c8_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, %{{.*}}, %c16_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}}, %c0_i64{{[_0-9]*}}, {{.*}}, %[[S1]])
/// A batched product: batch 3, batch strides 8*16, 16*32, 8*32.
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK: call @flopsGpuGemmF32(%c3_i64{{[_0-9]*}}, %c8_i64{{[_0-9]*}}, %c32_i64{{[_0-9]*}}, %c16_i64{{[_0-9]*}}, %c0_i32{{[_0-9]*}}, %c0_i32{{[_0-9]*}}, %{{.*}}, %c16_i64{{[_0-9]*}}, %c128_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}}, %c512_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}}, %c256_i64{{[_0-9]*}}, {{.*}}, %[[S2]])
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.batch_matmul

/// After the host lowering: each call is followed by the synchronisation
/// and destruction of its stream (the fill kernels before it run on a
/// stream of their own, synchronised before the call's stream is made).
// LLVM-LABEL: llvm.func @gemms(
// LLVM: llvm.call @mgpuStreamSynchronize
// LLVM: %[[ST:.*]] = llvm.call @mgpuStreamCreate()
// LLVM-NOT: llvm.call @mgpuLaunchKernel
// LLVM: llvm.call @flopsGpuGemmF32({{.*}}, %[[ST]])
// LLVM-NEXT: llvm.call @mgpuStreamSynchronize(%[[ST]])
// LLVM-NEXT: llvm.call @mgpuStreamDestroy(%[[ST]])
func.func @gemms(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %xt: tensor<16x8xf32>,
                 %wt: tensor<32x16xf32>, %bx: tensor<3x8x16xf32>, %bw: tensor<3x16x32xf32>)
    -> (tensor<8x32xf32>, tensor<8x32xf32>, tensor<3x8x32xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %t = linalg.generic {indexing_maps = [#xt, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xt, %wt : tensor<16x8xf32>, tensor<32x16xf32>) outs(%f2 : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %e3 = tensor.empty() : tensor<3x8x32xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<3x8x32xf32>) -> tensor<3x8x32xf32>
  %bm = linalg.batch_matmul ins(%bx, %bw : tensor<3x8x16xf32>, tensor<3x16x32xf32>) outs(%f3 : tensor<3x8x32xf32>) -> tensor<3x8x32xf32>
  return %m, %t, %bm : tensor<8x32xf32>, tensor<8x32xf32>, tensor<3x8x32xf32>
}
