"""Exports torchvision classifiers at 64x64 for the compile-time measurements
(docs/CODEGEN.md "Compile time", docs/ONNX.md "Compile time of imported
networks"): opset 17, dynamic batch, random weights (seed 0).

    /usr/bin/python3 benchmarks/compile-time/export_torchvision.py NAME [OUT_DIR]

NAME: googlenet (aux_logits=False, init_weights=True), resnet18, resnet50,
resnext50 (resnext50_32x4d), densenet121, densenet_small (torchvision's
DenseNet with two dense blocks of 6 layers, growth 32, 64 initial features:
DenseNet-121's first 12 dense layers, a quick reproduction of its compile).
Writes OUT_DIR/NAME.onnx.
"""
import os
import sys

import torch
import torchvision


def build(name):
    m = torchvision.models
    if name == "googlenet":
        return m.googlenet(weights=None, aux_logits=False, init_weights=True)
    if name == "resnet18":
        return m.resnet18(weights=None)
    if name == "resnet50":
        return m.resnet50(weights=None)
    if name == "resnext50":
        return m.resnext50_32x4d(weights=None)
    if name == "densenet121":
        return m.densenet121(weights=None)
    if name == "densenet_small":
        from torchvision.models.densenet import DenseNet
        return DenseNet(growth_rate=32, block_config=(6, 6),
                        num_init_features=64)
    raise SystemExit("unknown model " + name)


def main():
    name = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = build(name).eval()
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, torch.randn(1, 3, 64, 64), path,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}},
                      opset_version=17)
    print(path)


if __name__ == "__main__":
    main()
