#!/usr/bin/python3
"""Functions and instructions of a lowered step, by JIT tier.

    /usr/bin/python3 benchmarks/compile-time/llvm_functions.py STEP.ll

STEP.ll: LLVM IR of a lowered module (`flops-train --dump-llvm M.mlir`, then
`/usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir M.mlir -o STEP.ll`).
Prints the number of defined functions and of their instructions, split as
the JIT splits them (lib/Driver/Jit.cpp, isSequencingFunction: the cold tier
is the C-interface wrappers, every function that calls an outlined
`<root>_nest<k>` function, and the functions that fork an OpenMP region
without a loop of their own; the rest is compiled at --opt-level), and, for
the hot tier, how many instructions are left when functions whose bodies
are equal (names of outlined callees aside) count once, and when they are
equal up to their integer and floating-point constants (an upper bound of
what merging nests that differ only in sizes and offsets could save).
Approximations: the text is parsed with regular expressions, a loop is a
branch back to an earlier label.
"""
import collections
import hashlib
import re
import sys

DEFINE = re.compile(r'^define [^\n]*?@("?[^ (]+"?)(\([^\n]*)\n(.*?)^\}',
                    re.S | re.M)
CALL = re.compile(r'call [^\n]*?@("?[\w.$]+"?)\(')
LABEL = re.compile(r'^([\w.]+):')
NUMBER = re.compile(r'(?<![%\w.])-?\d+(\.\d+(e[+-]\d+)?)?\b')


def outline_root(name):
    while True:
        pos = name.rfind("_nest")
        if pos < 0:
            return name
        k = name[pos + 5:]
        if not k or not k.isdigit():
            return name
        name = name[:pos]


def is_sequencing(name, body, callees):
    if name.startswith("_mlir_ciface_") or name.startswith("_flops_packed_"):
        return True
    if any(c != name and outline_root(c) != c for c in callees):
        return True
    if "__kmpc_fork_call" not in callees:
        return False
    seen = set()
    for line in body.splitlines():
        m = LABEL.match(line)
        if m:
            seen.add(m.group(1))
            continue
        if any(t in seen for t in re.findall(r"label %([\w.]+)", line)):
            return False
    return True


def normalized(signature, body, constants):
    text = signature + body
    text = re.sub(r'@[\w.$"]+', lambda m: "@F" if "_nest" in m.group(0)
                  or "omp_par" in m.group(0) else m.group(0), text)
    if constants:
        text = NUMBER.sub("K", text)
    return hashlib.md5(text.encode()).hexdigest()


def main():
    text = open(sys.argv[1]).read()
    tiers = {"cold": [0, 0], "hot": [0, 0]}
    unique = {False: {}, True: {}}
    for m in DEFINE.finditer(text):
        name, signature, body = m.group(1).strip('"'), m.group(2), m.group(3)
        n = sum(1 for line in body.splitlines() if line.startswith("  "))
        callees = {c.strip('"') for c in CALL.findall(body)}
        tier = "cold" if is_sequencing(name, body, callees) else "hot"
        tiers[tier][0] += 1
        tiers[tier][1] += n
        if tier == "hot":
            for constants in (False, True):
                unique[constants].setdefault(
                    normalized(signature, body, constants), n)
    for tier, (f, n) in tiers.items():
        print("%s: %d functions, %d instructions" % (tier, f, n))
    for constants, label in ((False, "equal bodies"),
                             (True, "equal up to constants")):
        u = unique[constants]
        print("hot, %s counted once: %d functions, %d instructions" %
              (label, len(u), sum(u.values())))


if __name__ == "__main__":
    main()
