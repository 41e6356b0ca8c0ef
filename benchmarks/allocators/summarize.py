#!/usr/bin/env python3
"""Tables (mean ± std over seeds) of the allocator experiments in DIR:
variance.jsonl (flops-allocator-variance) and accuracy-<allocator>-seed<s>.jsonl
(flops-train --metrics). Standard library only."""
import glob
import json
import os
import re
import statistics
import sys


def mean_std(values):
    if not values:
        return "n/a"
    m = statistics.mean(values)
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    return m, s


def fmt(ms, digits):
    if ms == "n/a":
        return ms
    return f"{ms[0]:.{digits}f} ± {ms[1]:.{digits}f}"


def main(out):
    order = ["uniform", "bernoulli", "gaussian", "neyman"]
    var_path = os.path.join(out, "variance.jsonl")
    if os.path.exists(var_path):
        rows = [json.loads(l) for l in open(var_path) if l.strip()]
        est = [r for r in rows if "trace" in r]
        cos = {(r["theta"], r["allocator"]): r for r in rows if "cosine" in r}
        first = est[0] if est else {}
        print(f"Noise variance tr Cov(ĝ | batch) at fixed θ (B = {first.get('batch')}, "
              f"N = {first.get('budget')}, warm-up {first.get('warmup')} calls, "
              f"{first.get('reps')} fresh batches x 2 calls per seed); θ = the "
              "parameters after the given steps of the uniform-LR run")
        print("| θ (steps) | allocator | seeds | noise tr Cov(ĝ) | ÷ uniform | "
              "V̂ ÷ tr Cov | cos(mean, uniform's) | ⟨mean, uniform's⟩ ÷ ‖uniform's‖² |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        thetas = list(dict.fromkeys(r["theta"] for r in est))
        for th in thetas:
            by = {}
            for r in est:
                if r["theta"] == th:
                    by.setdefault(r["allocator"], []).append(r)
            base = mean_std([r["trace"] for r in by.get("uniform", [])])
            for a in order:
                if a not in by:
                    continue
                tr = [r["trace"] for r in by[a]]
                ratio = ("n/a" if base == "n/a" else
                         f"{statistics.mean(tr) / base[0]:.3f}")
                vh = [r["variance_proxy"] / r["trace"] for r in by[a]
                      if r["variance_proxy"] > 0]
                vtxt = f"{statistics.mean(vh):.3f}" if vh else "–"
                c = cos.get((th, a))
                ctxt = (f"{c['cosine']:.3f}" + (" (floor)" if a == "uniform" else "")
                        if c else "n/a")
                dtxt = f"{c['dot_ratio']:.3f}" if c else "n/a"
                print(f"| {th} | {a} | {len(tr)} | {fmt(mean_std(tr), 1)} | {ratio} | "
                      f"{vtxt} | {ctxt} | {dtxt} |")
        learned = [r for r in est if "w" in r]
        if learned:
            print()
            print("Gaussian allocator's parameters at the end of the measurement")
            print("| θ (steps) | seed | w | c | s | h |")
            print("| --- | --- | --- | --- | --- | --- |")
            for r in learned:
                print(f"| {r['theta']} | {r['seed']} | {r['w']:.3g} | {r['c']:.3g} | "
                      f"{r['s']:.3g} | {r['h']:.3g} |")
        print()
    acc = {}
    for path in glob.glob(os.path.join(out, "accuracy-*-seed*.jsonl")):
        m = re.match(r"accuracy-(\w+)-seed(\d+)\.jsonl", os.path.basename(path))
        if not m:
            continue
        lines = [json.loads(l) for l in open(path) if l.strip()]
        if lines:
            acc.setdefault(m.group(1), []).append(lines[-1])
    if acc:
        epochs = {r["epoch"] for v in acc.values() for r in v}
        print(f"Test accuracy after {sorted(epochs)} epoch(s)")
        print("| allocator | seeds | test accuracy | train loss | s/epoch |")
        print("| --- | --- | --- | --- | --- |")
        for a in order:
            if a not in acc:
                continue
            v = acc[a]
            print(f"| {a} | {len(v)} | "
                  f"{fmt(mean_std([100 * r['test_accuracy'] for r in v]), 2)} % | "
                  f"{fmt(mean_std([r['train_loss'] for r in v]), 4)} | "
                  f"{statistics.mean(r['seconds'] for r in v):.1f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py DIR")
    main(sys.argv[1])
