"""Exports the convolutional networks of the conv benchmark to ONNX
(opset 17, dynamic batch, random weights, seed 0):

    /usr/bin/python3 benchmarks/conv/export.py OUT_DIR [cnn resnet18 mobilenet_v2]

cnn: the PyTorch twin of examples/cnn.mlir (examples/onnx/models.py), 1x28x28;
resnet18: torchvision ResNet-18 at 3x32x32; mobilenet_v2: torchvision
MobileNetV2 at 3x64x64. Writes OUT_DIR/NAME.onnx.
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples", "onnx"))
import models  # noqa: E402  (examples/onnx/models.py)

SHAPES = {"cnn": (1, 28, 28), "resnet18": (3, 32, 32),
          "mobilenet_v2": (3, 64, 64)}


def build(name):
    if name == "cnn":
        return models.CNN()
    if name == "resnet18":
        return torchvision.models.resnet18(weights=None)
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(weights=None)
    raise SystemExit("export.py: unknown model " + name)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or list(SHAPES)
    os.makedirs(out, exist_ok=True)
    for name in names:
        torch.manual_seed(0)
        model = build(name).eval()
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, torch.randn(1, *SHAPES[name]), path,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"},
                                        "logits": {0: "batch"}},
                          opset_version=17)
        print(path)


if __name__ == "__main__":
    main()
