"""Train a PyTorch-defined CNN forward-only on Fashion-MNIST with a
DataLoader, copy the weights back into the PyTorch module and evaluate it
there (docs/PYTHON.md).

    PYTHONPATH=build/python_packages /usr/bin/python3 \
        examples/python/fashion_cnn.py [--epochs 2] [--limit-train 60000]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_data  # noqa: E402

import flops  # noqa: E402


class CNN(nn.Module):
    """conv 3x3 1->8 + ReLU + max-pool 2, conv 3x3 8->16 stride 2 + ReLU,
    flatten, dense 784 -> 10 (the CNN of examples/onnx/models.py)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


def torch_accuracy(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            out = net(torch.from_numpy(x[i:i + 1000]))
            correct += int((out.argmax(1).numpy() == y[i:i + 1000]).sum())
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--queries", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--metrics", default=None)
    args = ap.parse_args()

    torch.manual_seed(0)
    x, y = fashion_data.load("train")
    xt, yt = fashion_data.load("test")
    if args.limit_train:
        x, y = x[:args.limit_train], y[:args.limit_train]
    net = CNN()
    print("PyTorch CNN, initial test accuracy %.4f" % torch_accuracy(net, xt, yt))

    t0 = time.perf_counter()
    model = flops.from_torch(net, torch.zeros(1, 1, 28, 28))
    trainer = flops.Trainer(model, batch_size=args.batch_size,
                            queries=args.queries, lr=args.lr, seed=0,
                            num_threads=args.threads)
    print("imported and compiled in %.1f s (%s)" % (time.perf_counter() - t0,
                                                    trainer.pipeline[:60]))

    ds = torch.utils.data.TensorDataset(torch.from_numpy(x),
                                        torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size,
                                         shuffle=True, drop_last=True)

    def report(rec):
        print("epoch %d: train loss %.4f acc %.4f, test loss %.4f acc %.4f; "
              "%.1f s, %.0f rows/s" % (rec["epoch"], rec["train_loss"],
                                       rec["train_accuracy"], rec["test_loss"],
                                       rec["test_accuracy"], rec["seconds"],
                                       rec["rows_per_s"]))

    trainer.fit(loader, epochs=args.epochs, eval=(xt, yt), callback=report,
                metrics=args.metrics)

    trainer.load_into(net)
    acc = torch_accuracy(net, xt, yt)
    ours = trainer.evaluate(xt, yt)["accuracy"]
    print("after load_into: PyTorch test accuracy %.4f (flops: %.4f)"
          % (acc, ours))


if __name__ == "__main__":
    main()
