"""Notebook-style comparison of query allocators on the MLP
(examples/mlp.mlir): the same budget, the same data, one run per allocator;
writes each run's metrics and a plot of them (docs/PYTHON.md).

    PYTHONPATH=build/python_packages /usr/bin/python3 \
        examples/python/compare_allocators.py [--epochs 3] [--out DIR]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_data  # noqa: E402

import flops  # noqa: E402
from flops.plot import plot, read_records  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--limit-train", type=int, default=20000)
ap.add_argument("--allocators", default="uniform,bernoulli,gaussian,neyman")
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--out", default="allocators-out")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)

# %% Data: Fashion-MNIST, flattened rows for the MLP.
x, y = fashion_data.load("train")
xt, yt = fashion_data.load("test")
x, y = x[:args.limit_train].reshape(-1, 784), y[:args.limit_train]
xt = xt.reshape(-1, 784)
model = flops.load(os.path.join(ROOT, "examples", "mlp.mlir"))

# %% One run per allocator: batch 64, 8 queries per point on average.
paths = []
for allocator in args.allocators.split(","):
    t = flops.Trainer(model, batch_size=64, queries=8, allocator=allocator,
                      train_rows=len(x), seed=0, lr=1e-3,
                      num_threads=args.threads)
    path = os.path.join(args.out, allocator + ".jsonl")
    if os.path.exists(path):
        os.remove(path)
    for epoch in range(1, args.epochs + 1):
        # flops-train's shuffling; the row ids feed the Neyman allocator.
        t.fit(flops.batches(x, y, 64, seed=0, epoch=epoch), epochs=1,
              eval=(xt, yt), metrics=path)
    last = read_records(path)[-1]
    print("%-9s test accuracy %.4f, train loss %.4f, %.0f rows/s"
          % (allocator, last["test_accuracy"], last["train_loss"],
             last["rows_per_s"]))
    paths.append(path)

# %% The curves.
png = os.path.join(args.out, "allocators.png")
plot(paths, png, labels=args.allocators.split(","))
print("wrote", png)
