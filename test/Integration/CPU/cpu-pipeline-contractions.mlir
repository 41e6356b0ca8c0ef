// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{register-tile-sizes=4,16,2 cache-tile-sizes=16,32,8})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// linalg.matmul and matmul-shaped generics through flops-lower-to-cpu
/// (tiled, vectorized, masked partial tiles, other tile sizes, OpenMP
/// threads) against scalar loops in the same module, which no pipeline tiles
/// or vectorizes: every element must be equal (the inputs are small
/// integers, so every summation order is exact). The printed corner elements
/// are the same for every pipeline, the reference one included. The last
/// case shows that the comparison can fail. Transposed operands and batches:
/// cpu-pipeline-transposed.mlir.

#map_a = affine_map<(i, j, k) -> (i, k)>
#map_b = affine_map<(i, j, k) -> (k, j)>
#map_o = affine_map<(i, j, k) -> (i, j)>

/// A small integer in [-2, mod - 3] from the indices, at run time.
func.func @val(%i: index, %j: index, %mod: index, %mul: index) -> f32 {
  %two = arith.constant 2.0 : f32
  %im = arith.muli %i, %mul : index
  %s = arith.addi %im, %j : index
  %r = arith.remui %s, %mod : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %v = arith.subf %rf, %two : f32
  return %v : f32
}

/// Number of (i, j) with out[i, j] != sum_k a[i, k] * b[k, j], where a is
/// read transposed (a[k, i]) with trans_a and b with trans_b (b[j, k]).
func.func @mismatches(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %out: tensor<?x?xf32>,
                      %trans_a: i1, %trans_b: i1) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %out, %c0 : tensor<?x?xf32>
  %n = tensor.dim %out, %c1 : tensor<?x?xf32>
  %ka = tensor.dim %a, %c1 : tensor<?x?xf32>
  %kt = tensor.dim %a, %c0 : tensor<?x?xf32>
  %k = arith.select %trans_a, %kt, %ka : index
  %z = arith.constant 0 : i64
  %zf = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %m step %c1 iter_args(%bad = %z) -> i64 {
    %ri = scf.for %j = %c0 to %n step %c1 iter_args(%bad2 = %bad) -> i64 {
      %s = scf.for %kk = %c0 to %k step %c1 iter_args(%acc = %zf) -> f32 {
        %x = scf.if %trans_a -> f32 {
          %v = tensor.extract %a[%kk, %i] : tensor<?x?xf32>
          scf.yield %v : f32
        } else {
          %v = tensor.extract %a[%i, %kk] : tensor<?x?xf32>
          scf.yield %v : f32
        }
        %y = scf.if %trans_b -> f32 {
          %v = tensor.extract %b[%j, %kk] : tensor<?x?xf32>
          scf.yield %v : f32
        } else {
          %v = tensor.extract %b[%kk, %j] : tensor<?x?xf32>
          scf.yield %v : f32
        }
        %p = arith.mulf %x, %y : f32
        %acc2 = arith.addf %acc, %p : f32
        scf.yield %acc2 : f32
      }
      %got = tensor.extract %out[%i, %j] : tensor<?x?xf32>
      %ne = arith.cmpf une, %s, %got : f32
      %nei = arith.extui %ne : i1 to i64
      %bad3 = arith.addi %bad2, %nei : i64
      scf.yield %bad3 : i64
    }
    scf.yield %ri : i64
  }
  return %r : i64
}

func.func @report(%case: i64, %bad: i64, %t: tensor<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %t, %c0 : tensor<?x?xf32>
  %n = tensor.dim %t, %c1 : tensor<?x?xf32>
  %m1 = arith.subi %m, %c1 : index
  %n1 = arith.subi %n, %c1 : index
  %first = tensor.extract %t[%c0, %c0] : tensor<?x?xf32>
  %last = tensor.extract %t[%m1, %n1] : tensor<?x?xf32>
  vector.print str "case "
  vector.print %case : i64
  vector.print str "mismatches "
  vector.print %bad : i64
  vector.print str "corners "
  vector.print %first : f32
  vector.print %last : f32
  return
}

func.func @main() {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c11 = arith.constant 11 : index
  %f = arith.constant false
  %t = arith.constant true
  %zero = arith.constant 0.0 : f32

  // Case 1: linalg.matmul 67x129 . 129x50 (partial register tiles in m, n).
  %a1 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c7, %c1) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<67x129xf32>
  %b1 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c5, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<129x50xf32>
  %o1e = tensor.empty() : tensor<67x50xf32>
  %o1z = linalg.fill ins(%zero : f32) outs(%o1e : tensor<67x50xf32>) -> tensor<67x50xf32>
  %o1 = linalg.matmul ins(%a1, %b1 : tensor<67x129xf32>, tensor<129x50xf32>)
                      outs(%o1z : tensor<67x50xf32>) -> tensor<67x50xf32>
  %a1d = tensor.cast %a1 : tensor<67x129xf32> to tensor<?x?xf32>
  %b1d = tensor.cast %b1 : tensor<129x50xf32> to tensor<?x?xf32>
  %o1d = tensor.cast %o1 : tensor<67x50xf32> to tensor<?x?xf32>
  %bad1 = call @mismatches(%a1d, %b1d, %o1d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n1 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 4{{$}}
  // CHECK-NEXT: {{^}}0{{$}}
  call @report(%n1, %bad1, %o1d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 2: the same product as a generic, 128x300 . 300x96 (cache tiles,
  // a k extent that the default k tile does not divide).
  %a2 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c7, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<128x300xf32>
  %b2 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c5, %c1) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<300x96xf32>
  %o2e = tensor.empty() : tensor<128x96xf32>
  %o2z = linalg.fill ins(%zero : f32) outs(%o2e : tensor<128x96xf32>) -> tensor<128x96xf32>
  %o2 = linalg.generic {indexing_maps = [#map_a, #map_b, #map_o],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a2, %b2 : tensor<128x300xf32>, tensor<300x96xf32>) outs(%o2z : tensor<128x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x96xf32>
  %a2d = tensor.cast %a2 : tensor<128x300xf32> to tensor<?x?xf32>
  %b2d = tensor.cast %b2 : tensor<300x96xf32> to tensor<?x?xf32>
  %o2d = tensor.cast %o2 : tensor<128x96xf32> to tensor<?x?xf32>
  %bad2 = call @mismatches(%a2d, %b2d, %o2d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n2 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 5{{$}}
  // CHECK-NEXT: {{^}}-9{{$}}
  call @report(%n2, %bad2, %o2d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 3: f64, 20x30 . 30x40 (a register tile of 8x16 doubles), rounded
  // to f32 for the check (exact: small integers).
  %a7 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c7, %c5) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<20x30xf32>
  %b7 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c11, %c1) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<30x40xf32>
  %a7w = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = tensor.extract %a7[%i, %j] : tensor<20x30xf32>
    %w = arith.extf %v : f32 to f64
    tensor.yield %w : f64
  } : tensor<20x30xf64>
  %b7w = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = tensor.extract %b7[%i, %j] : tensor<30x40xf32>
    %w = arith.extf %v : f32 to f64
    tensor.yield %w : f64
  } : tensor<30x40xf64>
  %zd = arith.constant 0.0 : f64
  %o7e = tensor.empty() : tensor<20x40xf64>
  %o7z = linalg.fill ins(%zd : f64) outs(%o7e : tensor<20x40xf64>) -> tensor<20x40xf64>
  %o7 = linalg.matmul ins(%a7w, %b7w : tensor<20x30xf64>, tensor<30x40xf64>)
                      outs(%o7z : tensor<20x40xf64>) -> tensor<20x40xf64>
  %o7n = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = tensor.extract %o7[%i, %j] : tensor<20x40xf64>
    %n = arith.truncf %v : f64 to f32
    tensor.yield %n : f32
  } : tensor<20x40xf32>
  %a7d = tensor.cast %a7 : tensor<20x30xf32> to tensor<?x?xf32>
  %b7d = tensor.cast %b7 : tensor<30x40xf32> to tensor<?x?xf32>
  %o7d = tensor.cast %o7n : tensor<20x40xf32> to tensor<?x?xf32>
  %bad7 = call @mismatches(%a7d, %b7d, %o7d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n7 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 69{{$}}
  // CHECK-NEXT: {{^}}80{{$}}
  call @report(%n7, %bad7, %o7d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 4: the check can fail: case 1's product against another rhs (the
  // top-left 129x50 block of b2).
  %b6 = tensor.extract_slice %b2[0, 0] [129, 50] [1, 1] : tensor<300x96xf32> to tensor<129x50xf32>
  %b6d = tensor.cast %b6 : tensor<129x50xf32> to tensor<?x?xf32>
  %bad6 = call @mismatches(%a1d, %b6d, %o1d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n6 = arith.constant 4 : i64
  // CHECK: case 4
  // CHECK-NEXT: mismatches {{[1-9][0-9]*$}}
  call @report(%n6, %bad6, %o1d) : (i64, i64, tensor<?x?xf32>) -> ()

  return
}
