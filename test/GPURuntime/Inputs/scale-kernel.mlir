// A 128-element scale-by-2 kernel with host-side alloc, copies and a launch:
// the host code MLIR 22's gpu-to-llvm emits calls mgpu* (input for
// test/GPURuntime/host-abi.mlir and test/GPU/scale-kernel.mlir).
module attributes {gpu.container_module} {
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c32 = arith.constant 32 : index
    %c128 = arith.constant 128 : index
    %two = arith.constant 2.0 : f32
    %host = memref.alloc() : memref<128xf32>
    scf.for %i = %c0 to %c128 step %c1 {
      %ii = arith.index_cast %i : index to i32
      %f = arith.sitofp %ii : i32 to f32
      memref.store %f, %host[%i] : memref<128xf32>
    }
    %t0 = gpu.wait async
    %dev, %t1 = gpu.alloc async [%t0] () : memref<128xf32>
    %t2 = gpu.memcpy async [%t1] %dev, %host : memref<128xf32>, memref<128xf32>
    %t3 = gpu.launch async [%t2] blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
        threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
      %base = arith.muli %bx, %c32 : index
      %i = arith.addi %base, %tx : index
      %v = memref.load %dev[%i] : memref<128xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %dev[%i] : memref<128xf32>
      gpu.terminator
    }
    %t4 = gpu.memcpy async [%t3] %host, %dev : memref<128xf32>, memref<128xf32>
    %t5 = gpu.dealloc async [%t4] %dev : memref<128xf32>
    gpu.wait [%t5]
    %sub = memref.subview %host[0] [4] [1] : memref<128xf32> to memref<4xf32, strided<[1]>>
    %last = memref.subview %host[124] [4] [1] : memref<128xf32> to memref<4xf32, strided<[1], offset: 124>>
    %u0 = memref.cast %sub : memref<4xf32, strided<[1]>> to memref<*xf32>
    %u1 = memref.cast %last : memref<4xf32, strided<[1], offset: 124>> to memref<*xf32>
    call @printMemrefF32(%u0) : (memref<*xf32>) -> ()
    call @printMemrefF32(%u1) : (memref<*xf32>) -> ()
    memref.dealloc %host : memref<128xf32>
    return
  }
  func.func private @printMemrefF32(memref<*xf32>) attributes { llvm.emit_c_interface }
}
