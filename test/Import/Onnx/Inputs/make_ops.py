"""make_ops.py OUT_DIR: small ONNX graphs (onnx.helper) for the importer's
shape folding and newer ops, with inputs and numpy references:
  fold.onnx   ViT's class-token expand (Shape -> ... -> ConstantOfShape ->
              Equal -> Where -> Expand, dynamic batch) plus Swin's mask
              computation (Range, Mod, ScatterND, Equal, Not, Where, Cast)
              on constants, added to the data;
  pad.onnx    Pad (constant mode, value 0.5) + HardSigmoid + HardSwish;
  bn-alias.onnx  BatchNormalization whose running statistics are Identity
              copies of its weight and bias (torch.onnx's deduplication),
              flattened to [batch, 12];
  bad-*.onnx  unsupported variants (errors.mlir).
Writes NAME.onnx, NAME.x.npy and NAME.expected.npy."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def const(name, arr):
    return h.make_node("Constant", [], [name], value=nh.from_array(np.asarray(arr), name))


def save(name, nodes, inputs, outputs, inits=(), x=None, want=None, opset=17):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    onnx.save(m, os.path.join(out, name + ".onnx"))
    if x is not None:
        np.save(os.path.join(out, name + ".x.npy"), x)
        np.save(os.path.join(out, name + ".expected.npy"), want)


# --- fold ------------------------------------------------------------------
tok = np.arange(4, dtype=np.float32).reshape(1, 1, 4) / 4
nodes = [
    h.make_node("Shape", ["x"], ["s"]),
    const("i0", np.array(0, np.int64)),
    h.make_node("Gather", ["s", "i0"], ["b"], axis=0),
    const("ax0", np.array([0], np.int64)),
    h.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
    const("m1", np.array([-1], np.int64)),
    const("four", np.array([4], np.int64)),
    h.make_node("Concat", ["b1", "m1", "m1"], ["shp0"], axis=0),
    h.make_node("Reshape", ["shp0", "m1"], ["shp"]),
    h.make_node("Shape", ["shp"], ["n"]),
    h.make_node("ConstantOfShape", ["n"], ["ones"],
                value=nh.from_array(np.array([1], np.int64))),
    const("neg", np.array(-1, np.int64)),
    h.make_node("Mul", ["ones", "neg"], ["negs"]),
    h.make_node("Equal", ["shp", "negs"], ["eq"]),
    h.make_node("Where", ["eq", "ones", "shp"], ["eshape"]),
    h.make_node("Expand", ["tok", "eshape"], ["cls"]),
    # mask[j] = 1 where (j mod 2 == 0) and j != 3, via ScatterND on zeros
    const("r0", np.array(0, np.int64)), const("r4", np.array(4, np.int64)),
    const("r1", np.array(1, np.int64)), const("two", np.array(2, np.int64)),
    h.make_node("Range", ["r0", "r4", "r1"], ["j"]),
    h.make_node("Mod", ["j", "two"], ["jm"]),
    h.make_node("Equal", ["jm", "r0"], ["even"]),
    h.make_node("Not", ["even"], ["odd"]),
    const("zeros4", np.zeros(4, np.float32)),
    const("idx", np.array([[3]], np.int64)),
    const("upd", np.array([5.0], np.float32)),
    h.make_node("ScatterND", ["zeros4", "idx", "upd"], ["sc"]),
    const("onef", np.array(1.0, np.float32)),
    h.make_node("Where", ["odd", "sc", "onef"], ["mask"]),
    h.make_node("Cast", ["even"], ["evenf"], to=T.FLOAT),
    h.make_node("Add", ["mask", "evenf"], ["mask2"]),
    h.make_node("Add", ["cls", "mask2"], ["y0"]),
    h.make_node("Unsqueeze", ["x", "ax0b"], ["x3"]),
    h.make_node("Mul", ["y0", "x3"], ["y"]),
]
nodes.insert(0, const("ax0b", np.array([1], np.int64)))
x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
mask = np.array([2.0, 0.0, 2.0, 5.0], np.float32)  # even: 1+1, odd: sc
want = (np.broadcast_to(tok, (3, 1, 4)) + mask) * x[:, None, :]
save("fold", nodes,
     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 4])],
     [h.make_tensor_value_info("y", T.FLOAT, ["batch", 1, 4])],
     [nh.from_array(tok, "tok")], x, want.astype(np.float32))

# --- pad + hard activations ------------------------------------------------
nodes = [
    const("pads", np.array([0, 0, 1, 2, 0, 0, 0, 1], np.int64)),
    const("pv", np.array(0.5, np.float32)),
    h.make_node("Pad", ["x", "pads", "pv"], ["p"], mode="constant"),
    h.make_node("HardSigmoid", ["p"], ["hs"], alpha=0.25, beta=0.5),
    h.make_node("HardSwish", ["hs"], ["y0"]),
    h.make_node("HardSwish", ["p"], ["y1"]),
    h.make_node("Add", ["y0", "y1"], ["y"]),
]
x = (np.random.default_rng(1).standard_normal((2, 1, 2, 3)) * 4).astype(np.float32)
p = np.pad(x, [(0, 0), (0, 0), (1, 0), (2, 1)], constant_values=0.5)
hs = np.clip(0.25 * p + 0.5, 0, 1)
hsw = lambda v: v * np.clip(v / 6 + 0.5, 0, 1)
save("pad", nodes,
     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 1, 2, 3])],
     [h.make_tensor_value_info("y", T.FLOAT, ["batch", 1, 3, 6])],
     (), x, (hsw(hs) + hsw(p)).astype(np.float32))

# --- bn-alias: running statistics that are Identity copies of the affine ---
# torch.onnx (deduplicate_initializers) exports a fresh BatchNorm's running
# variance (ones) as Identity(weight) and its running mean (zeros) as
# Identity(bias); they must stay frozen constants while weight and bias train.
bw = np.array([0.5, 1.5, 2.0], np.float32)
bb = np.array([0.1, -0.2, 0.3], np.float32)
nodes = [h.make_node("Identity", ["bn.weight"], ["bn.running_var"]),
         h.make_node("Identity", ["bn.bias"], ["bn.running_mean"]),
         h.make_node("BatchNormalization", ["x", "bn.weight", "bn.bias",
                                            "bn.running_mean", "bn.running_var"],
                     ["n"], epsilon=1e-5),
         h.make_node("Flatten", ["n"], ["y"])]
x = np.random.default_rng(3).standard_normal((2, 3, 2, 2)).astype(np.float32)
c = lambda v: v.reshape(1, 3, 1, 1)
want = (x - c(bb)) / np.sqrt(c(bw) + 1e-5) * c(bw) + c(bb)
save("bn-alias", nodes,
     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 3, 2, 2])],
     [h.make_tensor_value_info("y", T.FLOAT, ["batch", 12])],
     [nh.from_array(bw, "bn.weight"), nh.from_array(bb, "bn.bias")],
     x, want.reshape(2, 12).astype(np.float32))

# --- unsupported variants --------------------------------------------------
save("bad-pad", [const("pads", np.array([0, 1, 0, 1], np.int64)),
                 h.make_node("Pad", ["x", "pads"], ["y"], mode="reflect",
                             name="reflect_pad")],
     [h.make_tensor_value_info("x", T.FLOAT, [2, 3])],
     [h.make_tensor_value_info("y", T.FLOAT, [2, 5])])
w = nh.from_array(np.zeros((2, 6, 3), np.float32), "W")
r = nh.from_array(np.zeros((2, 6, 2), np.float32), "R")
save("bad-gru", [h.make_node("GRU", ["x", "W", "R"], ["y", "yh"], hidden_size=2,
                             direction="bidirectional", linear_before_reset=1,
                             name="bigru")],
     [h.make_tensor_value_info("x", T.FLOAT, [4, 1, 3])],
     [h.make_tensor_value_info("y", T.FLOAT, [4, 2, 1, 2])], [w, r])
save("bad-equal", [h.make_node("Shape", ["x"], ["s"]),
                   const("z", np.array([0, 0], np.int64)),
                   h.make_node("Equal", ["s", "z"], ["e"], name="eq_zero"),
                   h.make_node("Cast", ["e"], ["y"], to=T.INT64)],
     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 3])],
     [h.make_tensor_value_info("y", T.INT64, [2])])
save("bad-range", [h.make_node("Range", ["a", "b", "c"], ["y"], name="rt_range")],
     [h.make_tensor_value_info(n, T.INT64, []) for n in "abc"],
     [h.make_tensor_value_info("y", T.INT64, [None])])
