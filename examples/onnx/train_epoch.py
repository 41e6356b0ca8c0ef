"""One epoch of forward-only training of imported PyTorch models (issue 11).

    /usr/bin/python3 examples/onnx/train_epoch.py --build BUILD --work DIR
        [--models encoder,resnet] [--train-rows N] [--test-rows N]
        [--batch-size B] [--queries Q] [--lr LR] [--image-size 28|14|7]
        [--threads T]

--threads T is flops-train's --num-threads (default: all cores). On a
machine shared with other jobs use 1: with two OpenMP threads that seldom
run at the same time every parallel loop nest waits at its barrier
(docs/ONNX.md: the same epoch took 1363 s with two threads, 222 s with
one, at load average 15-21 on two cores).

For each model: exports it with torch.onnx (opset 17, dynamic batch, random
init with seed 0, eval mode), imports it with flops-import-onnx, and trains
it for one epoch with flops-train from the imported weights, evaluating a
held-out set before and after. Prints flops-train's output and a line
`MODEL: test loss A -> B, test accuracy C -> D (largest class ...)`.

- encoder: examples/onnx/zoo.py's text encoder (nn.Embedding(50, 32) +
  learned positions + nn.TransformerEncoder, 2 layers, 4 heads, causal
  mask + mean pooling + linear head) on a synthetic bag-of-tokens task: 8
  token ids uniform in [0, 50); the label is the argmax over 10 classes of
  the sum of a fixed random score table T[50, 10] (seed 7, columns
  centred) over the tokens (a linear bag-of-tokens rule the model can
  represent exactly).
- resnet: torchvision's ResNet (BasicBlock, one block per stage: ResNet-10,
  widths 64-512) with a 1-channel stem, on Fashion-MNIST
  (/usr/share/datasets/fashion-mnist; the first --train-rows training and
  --test-rows test images, scaled to [0, 1]).
- smallresnet: examples/onnx/models.py's SmallResNet (torchvision-style
  BasicBlocks, widths 8-16-32-64, one block per stage, 78 k parameters) on
  the same Fashion-MNIST data. torch.onnx folds its (eval-mode)
  BatchNorms into the convolutions, which get biases; 0.02 N(0, 1) noise on
  the fresh BatchNorm affines keeps those biases distinct initializers.
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FASHION = "/usr/share/datasets/fashion-mnist"


def encoder_task(rows, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 50, size=(rows, 8)).astype(np.int64)
    table = np.random.default_rng(7).standard_normal((50, 10))
    table -= table.mean(axis=0)  # no class favoured on average
    labels = table[ids].sum(axis=1).argmax(axis=1).astype(np.int64)
    return ids, labels


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(
        dims)


def fashion(split, rows, size=28):
    prefix = "train" if split == "train" else "t10k"
    x = idx(os.path.join(FASHION, f"{prefix}-images-idx3-ubyte.gz"))[:rows]
    y = idx(os.path.join(FASHION, f"{prefix}-labels-idx1-ubyte.gz"))[:rows]
    x = x.astype(np.float32)[:, None] / 255.0
    if size != 28:  # average-pool 28x28 down to size x size
        if 28 % size:
            sys.exit(f"train_epoch.py: --image-size {size} does not divide 28")
        f = 28 // size
        x = x.reshape(len(x), 1, size, f, size, f).mean(axis=(3, 5))
    return x, y.astype(np.int64)


def build(name, size=28):
    import torch
    import torch.nn as nn
    if name == "encoder":
        import zoo
        ctor, shape, kind = zoo.build_models()["encoder"]
        return ctor(), zoo.make_input(shape, kind, 2, 1)
    if name == "smallresnet":
        import models
        m = models.SmallResNet()
        # torch.onnx folds each eval-mode BatchNorm into the convolution
        # before it; a fresh BatchNorm (bias 0) makes every folded bias 0,
        # and torch.onnx would merge those equal biases into one initializer
        # shared by all the convolutions (tied in training). A little noise
        # on the BatchNorm affines keeps them distinct (as zoo.py does).
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, nn.BatchNorm2d):
                    mod.weight.add_(torch.randn_like(mod.weight) * 0.02)
                    mod.bias.add_(torch.randn_like(mod.bias) * 0.02)
        return m, np.zeros((2, 1, size, size), np.float32)
    from torchvision.models.resnet import BasicBlock, ResNet
    m = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)
    m.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return m, np.zeros((2, 1, size, size), np.float32)


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    print(p.stdout, flush=True)
    if p.returncode != 0:
        sys.exit(f"train_epoch.py: command failed ({p.returncode})")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--models", default="encoder,resnet")
    ap.add_argument("--train-rows", type=int, default=0,
                    help="0: 16384 for the encoder and the small ResNet, "
                         "1024 for the ResNet")
    ap.add_argument("--test-rows", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--queries", type=int, default=0,
                    help="0: 8 for the encoder and the small ResNet, 4 for "
                         "the ResNet")
    ap.add_argument("--lr", type=float, default=0.0,
                    help="0: 0.002 for the encoder and the small ResNet, "
                         "0.0001 for the ResNet "
                         "(0.002 diverges there)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--image-size", type=int, default=28,
                    help="Fashion-MNIST images average-pooled to this size "
                         "(a divisor of 28: 28, 14, 7); the ResNets only")
    args = ap.parse_args()

    import torch
    tools = os.path.join(args.build, "bin")
    for name in [m for m in args.models.split(",") if m]:
        d = os.path.join(args.work, name)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(0)
        model, sample = build(name, args.image_size)
        model.eval()
        onnx_path = os.path.join(d, "model.onnx")
        torch.onnx.export(model, (torch.from_numpy(sample),), onnx_path,
                          opset_version=17, input_names=["x"],
                          output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        mlir = os.path.join(d, "model.mlir")
        run([os.path.join(tools, "flops-import-onnx"), onnx_path, "-o", mlir])
        enc = name == "encoder"
        small = name == "smallresnet"
        rows = args.train_rows or (16384 if enc or small else 1024)
        queries = args.queries or (8 if enc or small else 4)
        lr = args.lr or (0.002 if enc or small else 0.0001)
        if name == "encoder":
            xs, ys = encoder_task(rows, 1)
            xt, yt = encoder_task(args.test_rows, 2)
        else:
            xs, ys = fashion("train", rows, args.image_size)
            xt, yt = fashion("test", args.test_rows, args.image_size)
        files = {}
        for k, a in (("x", xs), ("y", ys), ("xt", xt), ("yt", yt)):
            files[k] = os.path.join(d, f"{k}.npy")
            np.save(files[k], a)
        metrics = os.path.join(d, "metrics.jsonl")
        if os.path.exists(metrics):
            os.remove(metrics)
        cmd = [os.path.join(tools, "flops-train"), mlir,
               "--params", os.path.join(d, "model.safetensors"),
               "--train-npy", files["x"], "--train-labels", files["y"],
               "--test-npy", files["xt"], "--test-labels", files["yt"],
               "--batch-size", str(args.batch_size),
               "--queries", str(queries), "--lr", str(lr)]
        if args.threads:  # before --epochs: the evaluation below keeps it
            cmd += ["--num-threads", str(args.threads)]
        cmd += ["--epochs", "1", "--seed", "1", "--progress=false",
                "--metrics", metrics,
                "--save", os.path.join(d, "trained.safetensors")]
        # The held-out loss of the imported (initial) weights.
        before = run(cmd[:cmd.index("--epochs")] + ["--epochs", "0",
                                                    "--progress=false"])
        m = re.search(r"initial parameters: test loss ([0-9.]+) acc ([0-9.]+)",
                      before)
        out = run(cmd)
        rec = [json.loads(l) for l in open(metrics) if l.strip()][-1]
        print(f"{name}: {json.dumps(rec)}")
        print(f"{name}: test loss {m.group(1) if m else '?'} -> "
              f"{rec['test_loss']:.4f}, test accuracy "
              f"{m.group(2) if m else '?'} -> {rec['test_accuracy']:.4f} "
              f"(largest class {np.bincount(yt).max() / len(yt):.3f}); "
              f"{rows} training rows, one epoch of {rec['steps']} steps in "
              f"{rec['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
