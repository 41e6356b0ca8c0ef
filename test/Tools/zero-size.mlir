// Zero-size work compiles and runs instead of crashing (issue 15, 1.):
// a contraction over an empty dimension (tiling would divide by the zero
// extent), an input with 0 rows, and a function that returns one buffer
// twice (upstream buffer-results-to-out-params crashes on it; an ONNX
// Split into empty parts produces exactly that after CSE).
// RUN: flops-opt --split-input-file --flops-lower-to-cpu %s | FileCheck %s --check-prefix=CPU
// RUN: %python %S/Inputs/write-npy.py %t.x0.npy '<f4' 0,100 1
// RUN: flops-run %S/Inputs/linear-100.mlir --input %t.x0.npy --output %t.y0.npy --no-cache
// RUN: %python -c "import sys; h = open(sys.argv[1], 'rb').read(128); print(h[10:80].decode('latin1'))" %t.y0.npy | FileCheck %s --check-prefix=ROWS0
// RUN: %python %S/Inputs/write-npy.py %t.x4.npy '<f4' 4 1
// RUN: flops-run %S/Inputs/twice.mlir --input %t.x4.npy --output %t.twice.safetensors --no-cache
// RUN: %python -c "import json, struct, sys; b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); print(sorted((k, v['shape'], struct.unpack('<4f', b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]])) for k, v in h.items() if k != '__metadata__'))" %t.twice.safetensors | FileCheck %s --check-prefix=TWICE

// CPU-LABEL: llvm.func @empty_rows
func.func @empty_rows(%a: tensor<0x4xf32>, %b: tensor<4x3xf32>) -> tensor<0x3xf32> {
  %e = tensor.empty() : tensor<0x3xf32>
  %c = arith.constant 0.0 : f32
  %z = linalg.fill ins(%c : f32) outs(%e : tensor<0x3xf32>) -> tensor<0x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<0x4xf32>, tensor<4x3xf32>) outs(%z : tensor<0x3xf32>) -> tensor<0x3xf32>
  return %r : tensor<0x3xf32>
}

// -----

// CPU-LABEL: llvm.func @empty_reduction
func.func @empty_reduction(%a: tensor<5x0xf32>, %b: tensor<0x3xf32>) -> tensor<5x3xf32> {
  %e = tensor.empty() : tensor<5x3xf32>
  %c = arith.constant 0.0 : f32
  %z = linalg.fill ins(%c : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x0xf32>, tensor<0x3xf32>) outs(%z : tensor<5x3xf32>) -> tensor<5x3xf32>
  return %r : tensor<5x3xf32>
}

// -----

// CPU-LABEL: llvm.func @two_empty_splits
func.func @two_empty_splits(%x: tensor<0xf32>) -> (tensor<0xf32>, tensor<0xf32>) {
  %e = tensor.empty() : tensor<0xf32>
  %c = arith.constant 0.0 : f32
  %a = linalg.fill ins(%c : f32) outs(%e : tensor<0xf32>) -> tensor<0xf32>
  %e2 = tensor.empty() : tensor<0xf32>
  %b = linalg.fill ins(%c : f32) outs(%e2 : tensor<0xf32>) -> tensor<0xf32>
  return %a, %b : tensor<0xf32>, tensor<0xf32>
}

// ROWS0: 'shape': (0, 10)
// TWICE: [('out0', [4], (2.0, 2.0, 2.0, 2.0)), ('out1', [4], (2.0, 2.0, 2.0, 2.0))]
