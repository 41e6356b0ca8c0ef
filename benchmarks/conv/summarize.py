"""Prints the table of benchmarks/conv/run.sh from its results.jsonl:
medians over rounds of each run's median (ms), and the median over rounds of
the per-round ratios (ours / ORT from the two back-to-back runs; step /
forward from the same process, flops-bench-train-step's median of the
per-call ratios).

    /usr/bin/python3 benchmarks/conv/summarize.py build/bench-conv/results.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

ROWS = {"cnn": "examples/cnn.mlir (ORT: its PyTorch twin), 512 rows (64 x 8)",
        "resnet18": "ResNet-18, 3x32x32, 64 rows (16 x 4)",
        "mobilenet_v2": "MobileNetV2, 3x64x64, 64 rows (16 x 4)"}


def med(v):
    return statistics.median(v) if v else None


def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}g}"


def main():
    runs = defaultdict(dict)
    for line in open(sys.argv[1]):
        rec = json.loads(line)
        runs[(rec["model"], rec["threads"])].setdefault(
            rec["round"], {})[rec["side"]] = rec["run"]
    print("| model, rows | threads | ORT forward (ms) | our forward (ms) "
          "| our forward ÷ ORT | our train step (ms) | step ÷ our forward "
          "| rounds |")
    print("|---|---|---|---|---|---|---|---|")
    for (model, threads), rounds in runs.items():
        ort, fwd, step, r_fwd, r_step = [], [], [], [], []
        for rd in rounds.values():
            o, u = rd.get("ort"), rd.get("ours")
            if o:
                ort.append(o["forward_ms"]["median"])
            if u:
                fwd.append(u["forward_ms"]["median"])
                if "train_step_ms" in u:
                    step.append(u["train_step_ms"]["median"])
                    r_step.append(u["ratio_train_over_forward"]["median"])
            if o and u:
                r_fwd.append(u["forward_ms"]["median"] /
                             o["forward_ms"]["median"])
        print(f"| {ROWS.get(model, model)} | {threads} | {fmt(med(ort))} "
              f"| {fmt(med(fwd))} | **{fmt(med(r_fwd), 2)}** "
              f"| {fmt(med(step))} | **{fmt(med(r_step), 2)}** "
              f"| {len(rounds)} |")


if __name__ == "__main__":
    main()
