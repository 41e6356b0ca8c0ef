"""A deep plain CNN in linalg on tensors, and data for it (stdlib only).

    gen-deep-cnn.py LAYERS OUT.mlir X.npy Y.npy

OUT.mlir: @forward(x: tensor<?x4x8x8xf32>, params) with LAYERS blocks of
conv 3x3 (4 -> 4 channels, padding 1) + bias + ReLU, then flatten and a dense
256 -> 2 classifier. X.npy: 64 images (f32, 4x8x8); Y.npy: 64 labels (i32,
the sign of the first pixel). For the compile-time tests (docs/CODEGEN.md):
its training step is one big function before flops-cpu-outline-loop-nests.
"""
import random
import struct
import sys

C, H = 4, 8


def npy(path, dtype, shape, values, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, "".join("%d, " % s for s in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def model(layers):
    t = "tensor<?x%dx%dx%dxf32>" % (C, H, H)
    tp = "tensor<?x%dx%dx%dxf32>" % (C, H + 2, H + 2)
    k = "tensor<%dx%dx3x3xf32>" % (C, C)
    b = "tensor<%dxf32>" % C
    out = ["#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>",
           "#chan = affine_map<(n, c, h, w) -> (c)>",
           "#ew = affine_map<(d0, d1) -> (d0, d1)>",
           "#bias = affine_map<(d0, d1) -> (d1)>"]
    args = ["%%x: %s" % t]
    for i in range(layers):
        args.append('%%k%d: %s {flops.param, flops.name = "conv%d.weight"}'
                    % (i, k, i))
        args.append('%%b%d: %s {flops.param, flops.name = "conv%d.bias"}'
                    % (i, b, i))
    args.append('%%w: tensor<%dx2xf32> {flops.param, flops.name = "fc.weight"}'
                % (C * H * H))
    args.append('%fb: tensor<2xf32> {flops.param, flops.name = "fc.bias"}')
    out.append("func.func @forward(%s) -> tensor<?x2xf32> {" % ", ".join(args))
    out.append("  %c0 = arith.constant 0 : index")
    out.append("  %zero = arith.constant 0.0 : f32")
    out.append("  %%n = tensor.dim %%x, %%c0 : %s" % t)
    out.append("  %%e = tensor.empty(%%n) : %s" % t)
    out.append("  %%z = linalg.fill ins(%%zero : f32) outs(%%e : %s) -> %s"
               % (t, t))
    h = "%x"
    par = ", ".join(['"parallel"'] * 4)
    for i in range(layers):
        out.append("  %%p%d = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {"
                   % (i, h))
        out.append("  ^bb0(%i: index, %j: index, %k: index, %l: index):")
        out.append("    tensor.yield %zero : f32")
        out.append("  } : %s to %s" % (t, tp))
        out.append("  %%y%d = linalg.conv_2d_nchw_fchw {dilations = dense<1> : "
                   "tensor<2xi64>, strides = dense<1> : tensor<2xi64>} "
                   "ins(%%p%d, %%k%d : %s, %s) outs(%%z : %s) -> %s"
                   % (i, i, i, tp, k, t, t))
        out.append("  %%u%d = linalg.generic {indexing_maps = [#nchw, #chan, "
                   "#nchw], iterator_types = [%s]} ins(%%y%d, %%b%d : %s, %s) "
                   "outs(%%e : %s) {" % (i, par, i, i, t, b, t))
        out.append("  ^bb0(%a: f32, %b: f32, %o: f32):")
        out.append("    %s = arith.addf %a, %b : f32")
        out.append("    linalg.yield %s : f32")
        out.append("  } -> %s" % t)
        out.append("  %%r%d = linalg.generic {indexing_maps = [#nchw, #nchw], "
                   "iterator_types = [%s]} ins(%%u%d : %s) outs(%%e : %s) {"
                   % (i, par, i, t, t))
        out.append("  ^bb0(%a: f32, %o: f32):")
        out.append("    %r = arith.maximumf %a, %zero : f32")
        out.append("    linalg.yield %r : f32")
        out.append("  } -> %s" % t)
        h = "%%r%d" % i
    f = "tensor<?x%dxf32>" % (C * H * H)
    out.append("  %%flat = tensor.collapse_shape %s [[0], [1, 2, 3]] : %s into %s"
               % (h, t, f))
    out.append("  %e2 = tensor.empty(%n) : tensor<?x2xf32>")
    out.append("  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x2xf32>)"
               " -> tensor<?x2xf32>")
    out.append("  %%m = linalg.matmul ins(%%flat, %%w : %s, tensor<%dx2xf32>) "
               "outs(%%z2 : tensor<?x2xf32>) -> tensor<?x2xf32>" % (f, C * H * H))
    out.append('  %y = linalg.generic {indexing_maps = [#ew, #bias, #ew], '
               'iterator_types = ["parallel", "parallel"]} ins(%m, %fb : '
               'tensor<?x2xf32>, tensor<2xf32>) outs(%e2 : tensor<?x2xf32>) {')
    out.append("  ^bb0(%a: f32, %b: f32, %o: f32):")
    out.append("    %s = arith.addf %a, %b : f32")
    out.append("    linalg.yield %s : f32")
    out.append("  } -> tensor<?x2xf32>")
    out.append("  return %y : tensor<?x2xf32>")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    layers, path, xpath, ypath = int(sys.argv[1]), sys.argv[2], sys.argv[3], \
        sys.argv[4]
    with open(path, "w") as f:
        f.write(model(layers))
    rng = random.Random(0)
    rows = 64
    x = [rng.gauss(0.0, 1.0) for _ in range(rows * C * H * H)]
    y = [int(x[r * C * H * H] > 0) for r in range(rows)]
    npy(xpath, "<f4", (rows, C, H, H), x, "f")
    npy(ypath, "<i4", (rows,), y, "i")


if __name__ == "__main__":
    main()
