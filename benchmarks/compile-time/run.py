#!/usr/bin/python3
"""Cold compile time of imported networks' train steps, and their step time.

For each model: exports it from torchvision at 64x64 (export_torchvision.py,
cached in OUT), imports it (flops-import-onnx), then runs

    flops-train M.mlir --train-npy x64.npy --train-labels y64.npy --epochs 1
        --num-threads 2 --verbose --cache-dir OUT/cache-M (emptied first)
        --metrics OUT/M.jsonl [per-model options] [--extra]

under /usr/bin/time: a cold compile (empty cache) of @train_step and
@eval_step (batch 64, 8 queries), then one epoch of 4 steps on 256 random
rows. Prints one row per model: compile wall seconds, compile CPU seconds
(all threads, from --verbose), the phases (CPU s), the wall time of the
parallel LLVM phase, step ms (epoch seconds / steps, from the metrics) and
the load average before the run. On a shared machine the wall time is
inflated by the other jobs; CPU seconds / threads is a lower bound of the
wall time on an idle machine with that many cores.

With --baseline BIN, each model is also compiled by that flops-train binary
(e.g. one built from an earlier commit), alternating with the current one,
and the table gets its rows too (same data, same options).

    /usr/bin/python3 benchmarks/compile-time/run.py [--build build]
        [--out /tmp/flops-compile-time] [--models googlenet,densenet121,resnext50]
        [--extra '--cold-opt-level -1'] [--baseline OLD/bin/flops-train]
        [--rounds 1]

Every parameter trains, DenseNet-121's BatchNorm affines included (the
importer freezes running statistics that torch.onnx exported as Identity
copies of the affine; docs/ONNX.md).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
# Import options per model.
IMPORT = {}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True,
                          **kw)


def prepare(build, out, model):
    onnx = os.path.join(out, model + ".onnx")
    mlir = os.path.join(out, model + ".mlir")
    if not os.path.exists(onnx):
        sh([PY, os.path.join(HERE, "export_torchvision.py"), model, out])
    if not os.path.exists(mlir):
        sh([os.path.join(build, "bin", "flops-import-onnx"), onnx, "-o",
            mlir] + IMPORT.get(model, []))
    return mlir


def data(out):
    x, y = os.path.join(out, "x64.npy"), os.path.join(out, "y64.npy")
    if not (os.path.exists(x) and os.path.exists(y)):
        import numpy as np
        r = np.random.default_rng(0)
        np.save(x, r.standard_normal((256, 3, 64, 64)).astype(np.float32))
        np.save(y, r.integers(0, 1000, 256))
    return x, y


def load():
    return os.getloadavg()[0]


def run(binary, mlir, model, x, y, out, tag, extra):
    cache = os.path.join(out, "cache-" + model + "-" + tag)
    shutil.rmtree(cache, ignore_errors=True)
    metrics = os.path.join(out, model + "-" + tag + ".jsonl")
    cmd = ["/usr/bin/time", "-f", "TIME %e %U %S", binary, mlir,
           "--train-npy", x, "--train-labels", y, "--epochs", "1",
           "--num-threads", "2", "--verbose", "--progress=false",
           "--cache-dir", cache, "--metrics", metrics]
    cmd += extra
    before = load()
    p = subprocess.run(cmd, text=True, capture_output=True)
    shutil.rmtree(cache, ignore_errors=True)
    text = p.stdout + p.stderr
    if p.returncode != 0:
        return {"model": model, "tag": tag, "error": text[-2000:]}
    wall = float(re.search(r"note: compiled with .* in ([0-9.]+) s", text)
                 .group(1))
    ph = re.search(r"prepare ([0-9.]+), lower ([0-9.]+), translate ([0-9.]+),"
                   r" optimize ([0-9.]+) \+ codegen ([0-9.]+) on ([0-9]+) "
                   r"thread\(s\) \(wall ([0-9.]+)\), cache\+link ([0-9.]+); "
                   r"total ([0-9.]+)", text)
    epoch = json.loads(open(metrics).read().strip().splitlines()[-1])
    return {
        "model": model, "tag": tag, "load": before, "compile_wall_s": wall,
        "compile_cpu_s": float(ph.group(9)),
        "phases_cpu_s": {k: float(ph.group(i)) for i, k in enumerate(
            ["prepare", "lower", "translate", "optimize", "codegen"], 1)},
        "llvm_threads": int(ph.group(6)),
        "llvm_wall_s": float(ph.group(7)),
        "step_ms": 1000.0 * epoch["seconds"] / epoch["steps"],
        "command": " ".join(shlex.quote(c) for c in cmd[3:]),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default="/tmp/flops-compile-time")
    ap.add_argument("--models", default="googlenet,densenet121,resnext50")
    ap.add_argument("--extra", default="")
    ap.add_argument("--baseline", default="")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.makedirs(a.out, exist_ok=True)
    x, y = data(a.out)
    binaries = [("now", os.path.join(build, "bin", "flops-train"))]
    if a.baseline:
        binaries.append(("baseline", os.path.abspath(a.baseline)))
    rows = []
    for model in a.models.split(","):
        mlir = prepare(build, a.out, model)
        for r in range(a.rounds):
            order = binaries if r % 2 == 0 else binaries[::-1]
            for tag, binary in order:
                row = run(binary, mlir, model, x, y, a.out, tag,
                          shlex.split(a.extra))
                row["round"] = r
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    print("| model | binary | load | compile wall s | compile CPU s | "
          "CPU s / 2 | prepare / lower / translate / optimize / codegen "
          "(CPU s) | LLVM wall s | step ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if "error" in r:
            print("| %s | %s | failed: %s |" % (
                r["model"], r["tag"], r["error"].strip().splitlines()[-1]))
            continue
        p = r["phases_cpu_s"]
        print("| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %.1f | %.0f |" % (
            r["model"], r["tag"], r["load"], r["compile_wall_s"],
            r["compile_cpu_s"], r["compile_cpu_s"] / 2,
            " / ".join("%.1f" % p[k] for k in
                       ["prepare", "lower", "translate", "optimize",
                        "codegen"]),
            r["llvm_wall_s"], r["step_ms"]))
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
