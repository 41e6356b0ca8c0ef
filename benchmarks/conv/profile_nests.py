"""Groups a perf profile of a flops-compile'd training program by the kind
of its loop nests (benchmarks/conv/profile-step.sh).

    /usr/bin/python3 benchmarks/conv/profile_nests.py PERF_DATA OUTLINED_MLIR [TOP]

OUTLINED_MLIR is the module after flops-cpu-outline-loop-nests (the
functions train_step_nestN that perf sees as symbols). Kinds: contraction
(the nest holds vector.fma: convolutions as products, weight gradients,
the FC layer), vector (other vector code: noise, deltas, log-sigma sums,
Adam, transposes; [philox] marks noise generation, [math/div] math ops or
divisions), scalar (no vector code: the weight gradients' column gathers,
[n, oh, ow, c, kh, kw]), other (outside the step's nests: the runtime,
libc, the kernel). Each nest is shown with its most frequent memref shapes.
"""
import collections
import re
import subprocess
import sys


def main():
    perf, ir_path = sys.argv[1], sys.argv[2]
    top_n = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    ir = open(ir_path).read()
    rep = subprocess.run(["perf", "report", "-i", perf, "--stdio", "--sort", "sym"],
                         capture_output=True, text=True, check=True).stdout
    nests = {m.group(1): m.group(2) for m in re.finditer(
        r"func\.func private @(\w+_nest\d+)\((.*?)\n  }\n", ir, re.S)}
    rows = []
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        body = nests.get(sym)
        if body is None:
            rows.append((pct, sym, "other", ""))
            continue
        shapes = collections.Counter(re.findall(r"memref<([0-9x]+)xf32", body))
        if "vector.fma" in body:
            kind = "contraction"
        elif "vector<" in body:
            kind = "vector"
        else:
            kind = "scalar"
        tag = " ".join(s for s, _ in shapes.most_common(4))
        if "arith.xori" in body:
            tag += " [philox]"
        if "math." in body or "arith.divf" in body:
            tag += " [math/div]"
        rows.append((pct, sym, kind, tag))
    total = collections.defaultdict(float)
    for pct, _, kind, _ in rows:
        total[kind] += pct
    print("samples by kind (%):", ", ".join(
        "%s %.1f" % kv for kv in sorted(total.items(), key=lambda kv: -kv[1])))
    for kind in ("contraction", "vector", "scalar"):
        groups = collections.defaultdict(float)
        for pct, _, k, tag in rows:
            if k == kind:
                groups[tag] += pct
        print("\n%s nests, by shapes (%% of samples):" % kind)
        for tag, pct in sorted(groups.items(), key=lambda kv: -kv[1])[:12]:
            print("  %5.2f  %s" % (pct, tag))
    print("\ntop %d symbols:" % top_n)
    for r in rows[:top_n]:
        print("  %5.2f  %-24s %-12s %s" % r)


if __name__ == "__main__":
    main()
