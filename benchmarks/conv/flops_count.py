"""Multiply-adds of the Conv and Gemm/MatMul nodes of an ONNX model per input
row (onnx shape inference at batch 1), to turn forward times into GFLOP/s
(2 FLOPs per multiply-add):

    /usr/bin/python3 benchmarks/conv/flops_count.py build/bench-conv/resnet18.onnx
"""
import json
import sys

import onnx
from onnx import shape_inference


def main():
    model = onnx.load(sys.argv[1])
    inp = model.graph.input[0].type.tensor_type.shape.dim
    inp[0].dim_value = 1
    model = shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.output) + \
            list(model.graph.input):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    conv = dense = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            out = shapes[node.output[0]]
            w = shapes[node.input[1]]  # [F, C/groups, KH, KW]
            n = 1
            for d in out:
                n *= d
            conv += n * w[1] * w[2] * w[3]
        elif node.op_type in ("Gemm", "MatMul"):
            out = shapes[node.output[0]]
            a = shapes[node.input[0]]
            k = a[-1]
            n = 1
            for d in out:
                n *= d
            dense += n * k
    print(json.dumps({"model": sys.argv[1], "conv_macs_per_row": conv,
                      "dense_macs_per_row": dense,
                      "gflop_per_row": 2e-9 * (conv + dense)}))


if __name__ == "__main__":
    main()
