"""Per-step overhead of the Python Trainer.step against flops-train's own
loop, on the MLP (examples/mlp.mlir), batch 64, 8 queries, one thread.

Both train one epoch over the same Fashion-MNIST rows with the same
options, pinned to the same core, alternating, --repeats times:
  - flops-train: the epoch's "seconds" from its metrics (its loop: gather
    the batch, call the step, sum the metrics);
  - Python: a loop over flops.batches (the same shuffled rows, gathered
    with numpy) calling Trainer.step, timed around the loop; and the same
    loop over pre-gathered batches (the binding's own cost).
Prints medians and the ratios Python / flops-train (docs/PYTHON.md).

Separate processes see different load on a shared machine, so a third
comparison runs in one process on the same compiled step and buffers:
Trainer.step in a Python loop against the same steps in a C++ loop
(Trainer._t.time_steps: the driver's step call with no Python in between),
alternating, on one batch.

The MLP's step takes tens of milliseconds, and run-to-run noise on a shared
machine (±20-30 %) hides an overhead of microseconds; so the same pair of
loops also runs on a tiny model (python/tests/models.py: 16-32-4, batch 32,
thousands of steps), where the step costs microseconds: the difference of
the medians there is the Python layer's absolute cost per step, reported as
a fraction of the MLP's flops-train step.

    PYTHONPATH=build/python_packages /usr/bin/python3 \
        benchmarks/python/step_overhead.py [--rows 12800] [--repeats 5] [--core 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
import fashion_data  # noqa: E402

import flops  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=12800)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--core", type=int, default=1)
ap.add_argument("--build", default=os.path.join(ROOT, "build"))
ap.add_argument("--tiny-steps", type=int, default=3000)
args = ap.parse_args()

os.sched_setaffinity(0, {args.core})
B = 64
model_path = os.path.join(ROOT, "examples", "mlp.mlir")
x, y = fashion_data.load("train")
x = np.ascontiguousarray(x[:args.rows].reshape(-1, 784))
y = y[:args.rows]
steps = args.rows // B
tmp = tempfile.mkdtemp(prefix="flops-step-overhead-")
np.save(os.path.join(tmp, "x.npy"), x)
np.save(os.path.join(tmp, "y.npy"), y)
tool = os.path.join(args.build, "bin", "flops-train")


def run_tool(model_path=model_path, B=B, steps=steps, xs="x.npy",
             ys="y.npy"):
    m = os.path.join(tmp, "m.jsonl")
    if os.path.exists(m):
        os.remove(m)
    subprocess.run(
        ["taskset", "-c", str(args.core), tool, model_path, "--train-npy",
         os.path.join(tmp, xs), "--train-labels",
         os.path.join(tmp, ys), "--epochs", "1", "--batch-size", str(B),
         "--queries", "8", "--num-threads", "1", "--seed", "0", "--metrics",
         m, "--quiet", "--progress=false"], check=True)
    with open(m) as f:
        rec = json.loads(f.readline())
    assert rec["steps"] == steps
    return rec["seconds"] / steps


model = flops.load(model_path)


def run_python(model=model, x=x, y=y, B=B, steps=steps):
    t = flops.Trainer(model, batch_size=B, queries=8, num_threads=1, seed=0,
                      train_rows=len(x))
    t0 = time.perf_counter()
    for xb, yb, _ in flops.batches(x, y, B, seed=0, epoch=1):
        t.step(xb, yb)
    loop = (time.perf_counter() - t0) / steps
    pre = list(flops.batches(x, y, B, seed=0, epoch=2))
    t1 = time.perf_counter()
    for xb, yb, _ in pre:
        t.step(xb, yb)
    only = (time.perf_counter() - t1) / steps
    return loop, only


tool_s, loop_s, only_s = [], [], []
for r in range(args.repeats):
    tool_s.append(run_tool())
    a, b = run_python()
    loop_s.append(a)
    only_s.append(b)
    print("repeat %d: flops-train %.1f us/step, Python loop %.1f us/step, "
          "Python step only %.1f us/step" % (r + 1, 1e6 * tool_s[-1],
                                             1e6 * a, 1e6 * b))
mt, ml, mo = (statistics.median(v) for v in (tool_s, loop_s, only_s))
print("load: %s" % open("/proc/loadavg").read().strip())
print("median per step: flops-train %.1f us, Python loop %.1f us (%.3fx), "
      "Python step on pre-gathered batches %.1f us (%.3fx)"
      % (1e6 * mt, 1e6 * ml, ml / mt, 1e6 * mo, mo / mt))

# In one process: the Python loop against a C++ loop of the same steps.
t = flops.Trainer(model, batch_size=B, queries=8, num_threads=1, seed=0)
xb = np.ascontiguousarray(x[:B])
yb = y[:B].astype(np.int32) if t._label["dtype"] == "int32" else y[:B]
n = min(steps, 100)
t.step(xb, yb)
cpp_s, py_s = [], []


def cpp_loop():
    cpp_s.append(t._t.time_steps(xb, yb, 1e-3, n) / n)


def py_loop():
    t0 = time.perf_counter()
    for _ in range(n):
        t.step(xb, yb, lr=1e-3)
    py_s.append((time.perf_counter() - t0) / n)


for r in range(args.repeats):
    # Alternate which loop goes first (an order effect would show as a
    # difference between odd and even repeats).
    for f in ((cpp_loop, py_loop) if r % 2 == 0 else (py_loop, cpp_loop)):
        f()
    print("in-process repeat %d (%s first): C++ loop %.1f us/step, Python "
          "loop %.1f us/step" % (r + 1, "C++" if r % 2 == 0 else "Python",
                                 1e6 * cpp_s[-1], 1e6 * py_s[-1]))
mc, mp = statistics.median(cpp_s), statistics.median(py_s)
ratios = sorted(p / c for p, c in zip(py_s, cpp_s))
print("load: %s" % open("/proc/loadavg").read().strip())
print("in-process median per step: C++ loop %.1f us, Python loop %.1f us "
      "(%.3fx; per-repeat ratios %s)" % (
          1e6 * mc, 1e6 * mp, mp / mc,
          ", ".join("%.3f" % q for q in ratios)))

# The tiny model: the Python layer's absolute cost per step.
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))
from models import MLP as TINY, blobs  # noqa: E402
tiny_path = os.path.join(tmp, "tiny.mlir")
with open(tiny_path, "w") as f:
    f.write(TINY)
TB = 32
tx, ty = blobs(args.tiny_steps * TB)
np.save(os.path.join(tmp, "tx.npy"), tx)
np.save(os.path.join(tmp, "ty.npy"), ty)
tiny = flops.load(tiny_path)
tt, tl, to = [], [], []
for r in range(args.repeats):
    tt.append(run_tool(tiny_path, TB, args.tiny_steps, "tx.npy", "ty.npy"))
    a, b = run_python(tiny, tx, ty, TB, args.tiny_steps)
    tl.append(a)
    to.append(b)
    print("tiny repeat %d: flops-train %.2f us/step, Python loop %.2f "
          "us/step, Python step only %.2f us/step"
          % (r + 1, 1e6 * tt[-1], 1e6 * a, 1e6 * b))
mtt, mtl, mto = (statistics.median(v) for v in (tt, tl, to))
print("load: %s" % open("/proc/loadavg").read().strip())
print("tiny model median per step: flops-train %.2f us, Python loop %.2f us;"
      " Python overhead %.2f us/step = %.3f %% of the MLP's flops-train step"
      % (1e6 * mtt, 1e6 * mtl, 1e6 * (mtl - mtt), 100 * (mtl - mtt) / mt))
