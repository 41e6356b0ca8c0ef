// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' --flops-lower-to-cpu | %run > %t.cpu
// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' --flops-reference-to-llvm | %run > %t.ref
// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true})" | %run > %t.gpu
// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{host-loops=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run > %t.gpu2
// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true})" | %run > %t.launch
// RUN: flops-opt %s --flops-forward-train='queries=8 optimizer=sgd momentum=0.9 freeze-sigma=true sigma=0.05' | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{host-launches=true contraction-thread-tile=1,1 block-size-x=4 block-size-y=2})" | %run > %t.launch2
// RUN: %python %S/Inputs/compare_numbers.py %t.cpu %t.gpu 1e-4 1e-6 | FileCheck %s
// RUN: %python %S/Inputs/compare_numbers.py %t.cpu %t.gpu2 1e-4 1e-6 | FileCheck %s
// RUN: %python %S/Inputs/compare_numbers.py %t.ref %t.gpu2 0 0 | FileCheck %s --check-prefix=EXACT
// RUN: FileCheck %s --check-prefix=LOOPS < %t.gpu
// RUN: %python %S/Inputs/compare_numbers.py %t.cpu %t.launch 1e-4 1e-6 | FileCheck %s
// RUN: %python %S/Inputs/compare_numbers.py %t.ref %t.launch2 0 0 | FileCheck %s --check-prefix=EXACT

/// The kernels' numerics without a GPU: flops-lower-to-cuda{host-loops=true}
/// stops after the block/thread tiling, the fusion (noise generated inside
/// its consumers) and bufferization, and runs the scf.forall nests as host
/// loops. 40 training steps of a 4-8-2 MLP (flops-forward-train, 8
/// antithetic queries per point, SGD with momentum) from the same state:
/// every parameter and metric printed must match flops-lower-to-cpu within
/// rtol 1e-4 (two tilings: the default one, whose contractions run 4x4
/// register tiles of FMAs as the CPU's do, and 4x2 threads with one scalar
/// output per thread, which leaves partial blocks). The scalar tiling
/// matches the reference pipeline's loops in every printed digit (same
/// operation order, no FMA contraction, the same noise bits).
///
/// flops-lower-to-cuda{host-launches=true} goes further: the nests become
/// gpu.launch ops as for the GPU (guards, barriers, thread-0 writes),
/// flops-gpu-fuse-launches merges the independent ones (the multi-tensor
/// optimizer update among them), and flops-gpu-launch-to-loops runs every
/// launch as host loops (blocks, then threads between barriers). The same
/// 40 steps (the momentum update of the four parameters is one merged
/// kernel) match flops-lower-to-cpu within rtol 1e-4, and the scalar
/// tiling matches the reference bit for bit.
// CHECK: match {{[0-9]+}} numbers
// EXACT: match {{[0-9]+}} numbers, max rel diff 0
// LOOPS: initial clean loss
// LOOPS: final accuracy
// LOOPS: Unranked Memref {{.*}} sizes = [4, 8]

#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @forward(%x: tensor<16x4xf32>,
                   %w1: tensor<4x8xf32> {flops.param}, %b1: tensor<8xf32> {flops.param},
                   %w2: tensor<8x2xf32> {flops.param}, %b2: tensor<2xf32> {flops.param}) -> tensor<16x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x8xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<16x4xf32>, tensor<4x8xf32>) outs(%z1 : tensor<16x8xf32>) -> tensor<16x8xf32>
  %u1 = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<16x8xf32>, tensor<8xf32>) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %h1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%u1 : tensor<16x8xf32>) outs(%e1 : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  %e2 = tensor.empty() : tensor<16x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<16x8xf32>, tensor<8x2xf32>) outs(%z2 : tensor<16x2xf32>) -> tensor<16x2xf32>
  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<16x2xf32>, tensor<2xf32>) outs(%e2 : tensor<16x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// Replaced by the pass.
func.func private @train_step(tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
                              tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
                              tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
    -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
        tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
        tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)

func.func @zeros1(%n: index) -> tensor<?xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  return %f : tensor<?xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %seed = arith.constant 7 : i64
  %s0 = arith.constant 0 : i64
  // Data: 16 standard-normal points, label (x0 + x1 > 0).
  %x = flops.normal %seed, %s0 {site = 100 : i64} : tensor<16x4xf32>
  %el = tensor.empty() : tensor<16xi32>
  %labels = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%el : tensor<16xi32>) {
  ^bb0(%o: i32):
    %r = linalg.index 0 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = tensor.extract %x[%r, %c0] : tensor<16x4xf32>
    %b = tensor.extract %x[%r, %c1] : tensor<16x4xf32>
    %s = arith.addf %a, %b : f32
    %zf = arith.constant 0.0 : f32
    %pos = arith.cmpf ogt, %s, %zf : f32
    %l = arith.extui %pos : i1 to i32
    linalg.yield %l : i32
  } -> tensor<16xi32>
  // Parameters: small normal weights, zero biases.
  %s1 = arith.constant 1 : i64
  %r1 = flops.normal %seed, %s1 {site = 101 : i64} : tensor<4x8xf32>
  %r2 = flops.normal %seed, %s1 {site = 102 : i64} : tensor<8x2xf32>
  %half = arith.constant 0.5 : f32
  %ew1 = tensor.empty() : tensor<4x8xf32>
  %w1 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%r1 : tensor<4x8xf32>) outs(%ew1 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %half : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %ew2 = tensor.empty() : tensor<8x2xf32>
  %w2 = linalg.generic {indexing_maps = [#ew, #ew], iterator_types = ["parallel", "parallel"]}
      ins(%r2 : tensor<8x2xf32>) outs(%ew2 : tensor<8x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %half : f32
    linalg.yield %m : f32
  } -> tensor<8x2xf32>
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zb1 = call @zeros1(%c8) : (index) -> tensor<?xf32>
  %zb2 = call @zeros1(%c2) : (index) -> tensor<?xf32>
  %b1 = tensor.cast %zb1 : tensor<?xf32> to tensor<8xf32>
  %b2 = tensor.cast %zb2 : tensor<?xf32> to tensor<2xf32>
  %zf0 = arith.constant 0.0 : f32
  %mw1 = linalg.fill ins(%zf0 : f32) outs(%ew1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mw2 = linalg.fill ins(%zf0 : f32) outs(%ew2 : tensor<8x2xf32>) -> tensor<8x2xf32>
  // log sigma = log 0.05 at both sites (frozen).
  %ls = arith.constant -2.9957323 : f32
  %es8 = tensor.empty() : tensor<8xf32>
  %es2 = tensor.empty() : tensor<2xf32>
  %rho1 = linalg.fill ins(%ls : f32) outs(%es8 : tensor<8xf32>) -> tensor<8xf32>
  %rho2 = linalg.fill ins(%ls : f32) outs(%es2 : tensor<2xf32>) -> tensor<2xf32>
  %lr = arith.constant 0.05 : f32

  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %steps = arith.constant 40 : index
  %first = arith.constant -1.0 : f32
  %res:12 = scf.for %i = %c0 to %steps step %c1
      iter_args(%p1 = %w1, %p2 = %b1, %p3 = %w2, %p4 = %b2, %q1 = %mw1, %q2 = %b1, %q3 = %mw2, %q4 = %b2,
                %l0 = %first, %acc = %first, %ls1 = %rho1, %ls2 = %rho2)
      -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>, f32, f32, tensor<8xf32>, tensor<2xf32>) {
    %step = arith.index_cast %i : index to i64
    %out:11 = func.call @train_step(%p1, %p2, %p3, %p4, %q1, %q2, %q3, %q4, %ls1, %ls2, %lr, %step, %seed, %x, %labels)
        : (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
           tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
           tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
        -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
            tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
            tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)
    %loss = tensor.extract %out#10[%c0] : tensor<5xf32>
    %accv = tensor.extract %out#10[%c1] : tensor<5xf32>
    %isfirst = arith.cmpi eq, %i, %c0 : index
    %l0n = arith.select %isfirst, %loss, %l0 : f32
    scf.yield %out#0, %out#1, %out#2, %out#3, %out#4, %out#5, %out#6, %out#7, %l0n, %accv, %out#8, %out#9
        : tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>, f32, f32, tensor<8xf32>, tensor<2xf32>
  }
  // One more call to read the final clean loss and accuracy.
  %final:11 = func.call @train_step(%res#0, %res#1, %res#2, %res#3, %res#4, %res#5, %res#6, %res#7, %res#10, %res#11, %lr, %s0, %seed, %x, %labels)
      : (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
         tensor<8xf32>, tensor<2xf32>, f32, i64, i64, tensor<16x4xf32>, tensor<16xi32>)
      -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<4x8xf32>, tensor<8xf32>, tensor<8x2xf32>, tensor<2xf32>,
          tensor<8xf32>, tensor<2xf32>, tensor<5xf32>)
  %lend = tensor.extract %final#10[%c0] : tensor<5xf32>
  %aend = tensor.extract %final#10[%c1] : tensor<5xf32>
  vector.print str "initial clean loss "
  vector.print %res#8 : f32
  vector.print str "final clean loss "
  vector.print %lend : f32
  vector.print str "final accuracy "
  vector.print %aend : f32
  %u1 = tensor.cast %final#0 : tensor<4x8xf32> to tensor<*xf32>
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %u2 = tensor.cast %final#1 : tensor<8xf32> to tensor<*xf32>
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  %u3 = tensor.cast %final#2 : tensor<8x2xf32> to tensor<*xf32>
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  %u4 = tensor.cast %final#3 : tensor<2xf32> to tensor<*xf32>
  call @printMemrefF32(%u4) : (tensor<*xf32>) -> ()
  %u5 = tensor.cast %final#10 : tensor<5xf32> to tensor<*xf32>
  call @printMemrefF32(%u5) : (tensor<*xf32>) -> ()
  return
}
