// RUN: flops-opt %s -split-input-file -verify-diagnostics --pass-pipeline="builtin.module(func.func(flops-gpu-map-forall))"

/// flops-gpu-map-forall needs static block and thread trip counts.
func.func @dynamic_grid(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  // expected-error @+1 {{flops-gpu-map-forall: a block forall needs static bounds and steps}}
  scf.forall (%i) = (0) to (%n) step (32) {
    scf.forall (%j) in (32) {
      %k = arith.addi %i, %j : index
      memref.store %z, %a[%k] : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @unmapped_inner(%a: memref<64xf32>) {
  %z = arith.constant 0.0 : f32
  scf.forall (%i) in (2) {
    // expected-error @+1 {{flops-gpu-map-forall: a forall inside a block forall must be mapped to threads}}
    scf.forall (%j) in (32) {
      memref.store %z, %a[%j] : memref<64xf32>
    }
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @too_many_threads(%a: memref<4096xf32>) {
  %z = arith.constant 0.0 : f32
  // expected-error @+1 {{flops-gpu-map-forall: more than 1024 threads per block}}
  scf.forall (%i) in (2) {
    scf.forall (%j, %k) in (64, 32) {
      memref.store %z, %a[%j] : memref<4096xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @dynamic_alloc_in_kernel(%a: memref<64xf32>, %n: index) {
  %z = arith.constant 0.0 : f32
  scf.forall (%i) in (2) {
    scf.forall (%j) in (32) {
      // expected-error @+1 {{flops-gpu-map-forall: a dynamically shaped allocation inside a kernel}}
      %t = memref.alloc(%n) : memref<?xf32>
      memref.store %z, %t[%j] : memref<?xf32>
      memref.dealloc %t : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}
