"""Times ONNX Runtime's inference of one ONNX model (CPU execution provider)
on ROWS random rows in [0, 1): warm-up calls, then REPS timed calls; prints
one JSON object (median, min, mean in ms).

    build/ort-venv/bin/python benchmarks/conv/ort_bench.py MODEL.onnx \
        --rows 64 --threads 1 [--reps 30 --warmup 5 --seed 1]

Threads: intra-op = --threads, inter-op = 1, sequential execution, all graph
optimisations (ORT's default level ORT_ENABLE_ALL). Pin the process with
taskset from the caller (benchmarks/conv/run.sh).
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [a.rows] + [int(d) for d in inp.shape[1:]]
    x = np.random.default_rng(a.seed).random(shape, dtype=np.float32)
    feed = {inp.name: x}
    for _ in range(max(a.warmup, 1)):
        sess.run(None, feed)
    t = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        sess.run(None, feed)
        t.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"tool": "ort_bench", "model": a.model, "rows": a.rows,
                      "threads": a.threads, "ort_version": ort.__version__,
                      "forward_ms": {"median": statistics.median(t),
                                     "min": min(t),
                                     "mean": statistics.fmean(t)}}))


if __name__ == "__main__":
    main()
