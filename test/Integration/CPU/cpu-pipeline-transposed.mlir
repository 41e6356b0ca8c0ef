// RUN: flops-opt %s --flops-lower-to-cpu | %run | FileCheck %s
// RUN: flops-opt %s --flops-reference-to-llvm | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{register-tile-sizes=4,16,2 cache-tile-sizes=16,32,8})" | %run | FileCheck %s
// RUN: flops-opt %s --pass-pipeline="builtin.module(flops-lower-to-cpu{num-threads=2 min-parallel-work=0})" | %run_omp | FileCheck %s

/// Contractions with transposed operands (the weight gradient x^T d, an
/// imported Linear layer x w^T) and linalg.batch_matmul through
/// flops-lower-to-cpu, checked like cpu-pipeline-contractions.mlir: against
/// scalar loops in the same module, exactly (small integers), for several
/// tile sizes and with OpenMP threads. The last case shows that the
/// comparison can fail.

#map_a = affine_map<(i, j, k) -> (i, k)>
#map_o = affine_map<(i, j, k) -> (i, j)>
#map_at = affine_map<(k, j, r) -> (r, k)>
#map_d = affine_map<(k, j, r) -> (r, j)>
#map_g = affine_map<(k, j, r) -> (k, j)>
#map_bt = affine_map<(i, j, k) -> (j, k)>

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

  // Case 1: transposed lhs (the weight gradient out[k, j] += a[r, k] d[r, j]),
  // a: 72x40, d: 72x98.
  %a3 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c11, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<72x40xf32>
  %d3 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c5, %c7) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<72x98xf32>
  %o3e = tensor.empty() : tensor<40x98xf32>
  %o3z = linalg.fill ins(%zero : f32) outs(%o3e : tensor<40x98xf32>) -> tensor<40x98xf32>
  %o3 = linalg.generic {indexing_maps = [#map_at, #map_d, #map_g],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a3, %d3 : tensor<72x40xf32>, tensor<72x98xf32>) outs(%o3z : tensor<40x98xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<40x98xf32>
  %a3d = tensor.cast %a3 : tensor<72x40xf32> to tensor<?x?xf32>
  %d3d = tensor.cast %d3 : tensor<72x98xf32> to tensor<?x?xf32>
  %o3d = tensor.cast %o3 : tensor<40x98xf32> to tensor<?x?xf32>
  %bad3 = call @mismatches(%a3d, %d3d, %o3d, %t, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n3 = arith.constant 1 : i64
  // CHECK: case 1
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners 14{{$}}
  // CHECK-NEXT: {{^}}26{{$}}
  call @report(%n3, %bad3, %o3d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 2: transposed rhs (x . w^T with w stored out x in), 20x33 . 45x33^T.
  %a4 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c7, %c5) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<20x33xf32>
  %b4 = tensor.generate {
  ^bb0(%i: index, %j: index):
    %v = func.call @val(%i, %j, %c5, %c11) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<45x33xf32>
  %o4e = tensor.empty() : tensor<20x45xf32>
  %o4z = linalg.fill ins(%zero : f32) outs(%o4e : tensor<20x45xf32>) -> tensor<20x45xf32>
  %o4 = linalg.generic {indexing_maps = [#map_a, #map_bt, #map_o],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a4, %b4 : tensor<20x33xf32>, tensor<45x33xf32>) outs(%o4z : tensor<20x45xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<20x45xf32>
  %a4d = tensor.cast %a4 : tensor<20x33xf32> to tensor<?x?xf32>
  %b4d = tensor.cast %b4 : tensor<45x33xf32> to tensor<?x?xf32>
  %o4d = tensor.cast %o4 : tensor<20x45xf32> to tensor<?x?xf32>
  %bad4 = call @mismatches(%a4d, %b4d, %o4d, %f, %t)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %n4 = arith.constant 2 : i64
  // CHECK: case 2
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners -11{{$}}
  // CHECK-NEXT: {{^}}-1{{$}}
  call @report(%n4, %bad4, %o4d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 3: linalg.batch_matmul 3 x (17x24 . 24x40), checked batch by batch.
  %a5 = tensor.generate {
  ^bb0(%b: index, %i: index, %j: index):
    %bi = arith.addi %b, %i : index
    %v = func.call @val(%bi, %j, %c7, %c3) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<3x17x24xf32>
  %b5 = tensor.generate {
  ^bb0(%b: index, %i: index, %j: index):
    %bj = arith.addi %b, %j : index
    %v = func.call @val(%i, %bj, %c5, %c7) : (index, index, index, index) -> f32
    tensor.yield %v : f32
  } : tensor<3x24x40xf32>
  %o5e = tensor.empty() : tensor<3x17x40xf32>
  %o5z = linalg.fill ins(%zero : f32) outs(%o5e : tensor<3x17x40xf32>) -> tensor<3x17x40xf32>
  %o5 = linalg.batch_matmul ins(%a5, %b5 : tensor<3x17x24xf32>, tensor<3x24x40xf32>)
                            outs(%o5z : tensor<3x17x40xf32>) -> tensor<3x17x40xf32>
  %a52 = tensor.extract_slice %a5[2, 0, 0] [1, 17, 24] [1, 1, 1] : tensor<3x17x24xf32> to tensor<17x24xf32>
  %b52 = tensor.extract_slice %b5[2, 0, 0] [1, 24, 40] [1, 1, 1] : tensor<3x24x40xf32> to tensor<24x40xf32>
  %o52 = tensor.extract_slice %o5[2, 0, 0] [1, 17, 40] [1, 1, 1] : tensor<3x17x40xf32> to tensor<17x40xf32>
  %a50 = tensor.extract_slice %a5[0, 0, 0] [1, 17, 24] [1, 1, 1] : tensor<3x17x24xf32> to tensor<17x24xf32>
  %b50 = tensor.extract_slice %b5[0, 0, 0] [1, 24, 40] [1, 1, 1] : tensor<3x24x40xf32> to tensor<24x40xf32>
  %o50 = tensor.extract_slice %o5[0, 0, 0] [1, 17, 40] [1, 1, 1] : tensor<3x17x40xf32> to tensor<17x40xf32>
  %a52d = tensor.cast %a52 : tensor<17x24xf32> to tensor<?x?xf32>
  %b52d = tensor.cast %b52 : tensor<24x40xf32> to tensor<?x?xf32>
  %o52d = tensor.cast %o52 : tensor<17x40xf32> to tensor<?x?xf32>
  %a50d = tensor.cast %a50 : tensor<17x24xf32> to tensor<?x?xf32>
  %b50d = tensor.cast %b50 : tensor<24x40xf32> to tensor<?x?xf32>
  %o50d = tensor.cast %o50 : tensor<17x40xf32> to tensor<?x?xf32>
  %bad52 = call @mismatches(%a52d, %b52d, %o52d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %bad50 = call @mismatches(%a50d, %b50d, %o50d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %bad5 = arith.addi %bad50, %bad52 : i64
  %n5 = arith.constant 3 : i64
  // CHECK: case 3
  // CHECK-NEXT: mismatches 0{{$}}
  // CHECK-NEXT: corners -4{{$}}
  // CHECK-NEXT: {{^}}-8{{$}}
  call @report(%n5, %bad5, %o52d) : (i64, i64, tensor<?x?xf32>) -> ()

  // Case 4: the check can fail: case 1's product read as a plain matmul
  // (x instead of x^T; the first 40 rows of x are in bounds).
  %badx = call @mismatches(%a3d, %d3d, %o3d, %f, %f)
      : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, i1, i1) -> i64
  %nx = arith.constant 4 : i64
  // CHECK: case 4
  // CHECK-NEXT: mismatches {{[1-9][0-9]*$}}
  call @report(%nx, %badx, %o3d) : (i64, i64, tensor<?x?xf32>) -> ()
  return
}
