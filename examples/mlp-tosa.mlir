// The 784-256-256-10 MLP of examples/mlp.mlir written in tosa (batch 64).
// Lower it to the linalg form flops-forward-train reads with the registered
// pipeline `flops-tosa-to-forward` (tosa-to-linalg + flops-prepare-forward):
//
//   flops-opt examples/mlp-tosa.mlir --flops-tosa-to-forward \
//     --flops-forward-train='queries=8'

func.func @forward(%x: tensor<64x784xf32>,
                   %w1: tensor<784x256xf32> {flops.param, flops.name = "fc1.weight"},
                   %b1: tensor<1x256xf32> {flops.param, flops.name = "fc1.bias"},
                   %w2: tensor<256x256xf32> {flops.param, flops.name = "fc2.weight"},
                   %b2: tensor<1x256xf32> {flops.param, flops.name = "fc2.bias"},
                   %w3: tensor<256x10xf32> {flops.param, flops.name = "fc3.weight"},
                   %b3: tensor<1x10xf32> {flops.param, flops.name = "fc3.bias"}) -> tensor<64x10xf32> {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %sx1 = tosa.const_shape {values = dense<[1, 64, 784]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x1 = tosa.reshape %x, %sx1 : (tensor<64x784xf32>, !tosa.shape<3>) -> tensor<1x64x784xf32>
  %sw1 = tosa.const_shape {values = dense<[1, 784, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %v1 = tosa.reshape %w1, %sw1 : (tensor<784x256xf32>, !tosa.shape<3>) -> tensor<1x784x256xf32>
  %m1 = tosa.matmul %x1, %v1, %zp, %zp : (tensor<1x64x784xf32>, tensor<1x784x256xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x64x256xf32>
  %so1 = tosa.const_shape {values = dense<[64, 256]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r1 = tosa.reshape %m1, %so1 : (tensor<1x64x256xf32>, !tosa.shape<2>) -> tensor<64x256xf32>
  %u1 = tosa.add %r1, %b1 : (tensor<64x256xf32>, tensor<1x256xf32>) -> tensor<64x256xf32>
  %h1 = tosa.clamp %u1 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<64x256xf32>) -> tensor<64x256xf32>
  %sx2 = tosa.const_shape {values = dense<[1, 64, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x2 = tosa.reshape %h1, %sx2 : (tensor<64x256xf32>, !tosa.shape<3>) -> tensor<1x64x256xf32>
  %sw2 = tosa.const_shape {values = dense<[1, 256, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %v2 = tosa.reshape %w2, %sw2 : (tensor<256x256xf32>, !tosa.shape<3>) -> tensor<1x256x256xf32>
  %m2 = tosa.matmul %x2, %v2, %zp, %zp : (tensor<1x64x256xf32>, tensor<1x256x256xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x64x256xf32>
  %so2 = tosa.const_shape {values = dense<[64, 256]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r2 = tosa.reshape %m2, %so2 : (tensor<1x64x256xf32>, !tosa.shape<2>) -> tensor<64x256xf32>
  %u2 = tosa.add %r2, %b2 : (tensor<64x256xf32>, tensor<1x256xf32>) -> tensor<64x256xf32>
  %h2 = tosa.clamp %u2 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<64x256xf32>) -> tensor<64x256xf32>
  %sx3 = tosa.const_shape {values = dense<[1, 64, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x3 = tosa.reshape %h2, %sx3 : (tensor<64x256xf32>, !tosa.shape<3>) -> tensor<1x64x256xf32>
  %sw3 = tosa.const_shape {values = dense<[1, 256, 10]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %v3 = tosa.reshape %w3, %sw3 : (tensor<256x10xf32>, !tosa.shape<3>) -> tensor<1x256x10xf32>
  %m3 = tosa.matmul %x3, %v3, %zp, %zp : (tensor<1x64x256xf32>, tensor<1x256x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x64x10xf32>
  %so3 = tosa.const_shape {values = dense<[64, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r3 = tosa.reshape %m3, %so3 : (tensor<1x64x10xf32>, !tosa.shape<2>) -> tensor<64x10xf32>
  %u3 = tosa.add %r3, %b3 : (tensor<64x10xf32>, tensor<1x10xf32>) -> tensor<64x10xf32>
  return %u3 : tensor<64x10xf32>
}
