#!/usr/bin/env python3
# Generates the statistical execution tests of the likelihood-ratio estimator
# built by flops-forward-train (docs/METHOD.md §5 items 1 and 4):
#   test/Integration/CPU/lr-layerwise-unbiased.mlir  the same, perturb=layer-wise
#   test/Integration/CPU/lr-unbiased.mlir   mean LR estimate vs the exact
#                                           gradient of the smoothed loss
#   test/Integration/CPU/lr-variance.mlir   tr Cov at q and 4q differ 4x
#   test/Integration/CPU/vhat-pairs.mlir    the variance proxy V-hat of the
#                                           allocators against tr Cov
# Run `python3 utils/gen_lr_tests.py` from the repository root.

PARAMS = [("w1", (3, 4)), ("b1", (4,)), ("w2", (4, 2)), ("b2", (2,))]
B = 2

def t(shape): return "tensor<" + "x".join(map(str, shape)) + "xf64>"
def idmap(r): d = ", ".join(f"d{i}" for i in range(r)); return f"affine_map<({d}) -> ({d})>"
def par(r): return ", ".join(['"parallel"'] * r)
def red(r): return ", ".join(['"reduction"'] * r)

def forward(name, rows, perturb, extra_args=""):
    """The 3-4-2 tanh MLP; with `perturb`, flops.perturb after each bias."""
    x = f"tensor<{rows}x3xf64>"
    h = f"tensor<{rows}x4xf64>"
    o = f"tensor<{rows}x2xf64>"
    attrs = lambda n: " {flops.param}" if not perturb else ""
    s = [f"func.func @{name}(%x: {x}, %w1: {t((3,4))}{attrs(1)}, %b1: {t((4,))}{attrs(1)}, "
         f"%w2: {t((4,2))}{attrs(1)}, %b2: {t((2,))}{attrs(1)}{extra_args}) -> {o} {{",
         "  %zero = arith.constant 0.0 : f64"]
    if perturb:
        s += ["  %ls = arith.constant -4.605170185988091 : f64  // log 0.01",
              f"  %er1 = tensor.empty() : {t((4,))}",
              f"  %rho1 = linalg.fill ins(%ls : f64) outs(%er1 : {t((4,))}) -> {t((4,))}",
              f"  %er2 = tensor.empty() : {t((2,))}",
              f"  %rho2 = linalg.fill ins(%ls : f64) outs(%er2 : {t((2,))}) -> {t((2,))}"]
    s += [f"  %e1 = tensor.empty() : {h}",
          f"  %z1 = linalg.fill ins(%zero : f64) outs(%e1 : {h}) -> {h}",
          f"  %m1 = linalg.matmul ins(%x, %w1 : {x}, {t((3,4))}) outs(%z1 : {h}) -> {h}",
          f"  %u1 = linalg.generic {{indexing_maps = [#ew, #bias, #ew], iterator_types = [\"parallel\", \"parallel\"]}} ins(%m1, %b1 : {h}, {t((4,))}) outs(%e1 : {h}) {{",
          "  ^bb0(%a: f64, %b: f64, %o: f64):",
          "    %v = arith.addf %a, %b : f64",
          "    linalg.yield %v : f64",
          f"  }} -> {h}"]
    u1 = "%u1"
    if perturb:
        s.append(f"  %p1 = flops.perturb %u1, %rho1, %seed, %step {{site = 0 : i64}} : {h}, {t((4,))}")
        u1 = "%p1"
    s += [f"  %a1 = linalg.generic {{indexing_maps = [#ew, #ew], iterator_types = [\"parallel\", \"parallel\"]}} ins({u1} : {h}) outs(%e1 : {h}) {{",
          "  ^bb0(%a: f64, %o: f64):",
          "    %v = math.tanh %a : f64",
          "    linalg.yield %v : f64",
          f"  }} -> {h}",
          f"  %e2 = tensor.empty() : {o}",
          f"  %z2 = linalg.fill ins(%zero : f64) outs(%e2 : {o}) -> {o}",
          f"  %m2 = linalg.matmul ins(%a1, %w2 : {h}, {t((4,2))}) outs(%z2 : {o}) -> {o}",
          f"  %u2 = linalg.generic {{indexing_maps = [#ew, #bias, #ew], iterator_types = [\"parallel\", \"parallel\"]}} ins(%m2, %b2 : {o}, {t((2,))}) outs(%e2 : {o}) {{",
          "  ^bb0(%a: f64, %b: f64, %o: f64):",
          "    %v = arith.addf %a, %b : f64",
          "    linalg.yield %v : f64",
          f"  }} -> {o}"]
    if perturb:
        s.append(f"  %p2 = flops.perturb %u2, %rho2, %seed, %step {{site = 1 : i64}} : {o}, {t((2,))}")
        s.append(f"  return %p2 : {o}\n}}\n")
    else:
        s.append(f"  return %u2 : {o}\n}}\n")
    return "\n".join(s)

def helpers():
    s = []
    for name, shape in PARAMS:
        r = len(shape)
        ty = t(shape)
        s.append(f"""func.func @sub_{name}(%a: {ty}, %b: {ty}) -> {ty} {{
  %e = tensor.empty() : {ty}
  %r = linalg.sub ins(%a, %b : {ty}, {ty}) outs(%e : {ty}) -> {ty}
  return %r : {ty}
}}
func.func @add_{name}(%a: {ty}, %b: {ty}) -> {ty} {{
  %e = tensor.empty() : {ty}
  %r = linalg.add ins(%a, %b : {ty}, {ty}) outs(%e : {ty}) -> {ty}
  return %r : {ty}
}}
func.func @sq_{name}(%a: {ty}) -> {ty} {{
  %e = tensor.empty() : {ty}
  %r = linalg.mul ins(%a, %a : {ty}, {ty}) outs(%e : {ty}) -> {ty}
  return %r : {ty}
}}
func.func @dot_{name}(%a: {ty}, %b: {ty}) -> f64 {{
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %r = linalg.generic {{indexing_maps = [{idmap(r)}, {idmap(r)}, affine_map<({", ".join(f"d{i}" for i in range(r))}) -> ()>], iterator_types = [{red(r)}]}}
      ins(%a, %b : {ty}, {ty}) outs(%f : tensor<f64>) {{
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %q = arith.addf %acc, %p : f64
    linalg.yield %q : f64
  }} -> tensor<f64>
  %v = tensor.extract %r[] : tensor<f64>
  return %v : f64
}}
func.func @sum_{name}(%a: {ty}) -> f64 {{
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %r = linalg.generic {{indexing_maps = [{idmap(r)}, affine_map<({", ".join(f"d{i}" for i in range(r))}) -> ()>], iterator_types = [{red(r)}]}}
      ins(%a : {ty}) outs(%f : tensor<f64>) {{
  ^bb0(%x: f64, %acc: f64):
    %q = arith.addf %acc, %x : f64
    linalg.yield %q : f64
  }} -> tensor<f64>
  %v = tensor.extract %r[] : tensor<f64>
  return %v : f64
}}
func.func @zeros_{name}() -> {ty} {{
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : {ty}
  %f = linalg.fill ins(%z : f64) outs(%e : {ty}) -> {ty}
  return %f : {ty}
}}
func.func @scale_{name}(%a: {ty}, %s: f64) -> {ty} {{
  %e = tensor.empty() : {ty}
  %r = linalg.generic {{indexing_maps = [{idmap(r)}, {idmap(r)}], iterator_types = [{par(r)}]}} ins(%a : {ty}) outs(%e : {ty}) {{
  ^bb0(%x: f64, %o: f64):
    %v = arith.mulf %x, %s : f64
    linalg.yield %v : f64
  }} -> {ty}
  return %r : {ty}
}}
""")
    return "\n".join(s)

PT = ", ".join(t(s) for _, s in PARAMS)
STATE = PT + ", " + PT + f", {t((4,))}, {t((2,))}"
TS_ARGS = STATE + f", f64, i64, i64, tensor<{B}x3xf64>, tensor<{B}xi32>"
TS_RES = STATE + ", tensor<5xf64>"

def ts_decl(suffix):
    return f"func.func private @train_step{suffix}({TS_ARGS}) -> ({TS_RES})\n"

def init_block():
    return f"""  %seed = arith.constant 11 : i64
  %s0 = arith.constant 0 : i64
  %x = flops.normal %seed, %s0 {{site = 50 : i64}} : tensor<{B}x3xf64>
  %labels = arith.constant dense<[1, 0]> : tensor<{B}xi32>
  %w1 = flops.normal %seed, %s0 {{site = 51 : i64}} : {t((3,4))}
  %b1 = flops.normal %seed, %s0 {{site = 52 : i64}} : {t((4,))}
  %w2 = flops.normal %seed, %s0 {{site = 53 : i64}} : {t((4,2))}
  %b2 = flops.normal %seed, %s0 {{site = 54 : i64}} : {t((2,))}
  %m1 = call @zeros_w1() : () -> {t((3,4))}
  %m2 = call @zeros_b1() : () -> {t((4,))}
  %m3 = call @zeros_w2() : () -> {t((4,2))}
  %m4 = call @zeros_b2() : () -> {t((2,))}
  %ls = arith.constant -4.605170185988091 : f64
  %er1 = tensor.empty() : {t((4,))}
  %rho1 = linalg.fill ins(%ls : f64) outs(%er1 : {t((4,))}) -> {t((4,))}
  %er2 = tensor.empty() : {t((2,))}
  %rho2 = linalg.fill ins(%ls : f64) outs(%er2 : {t((2,))}) -> {t((2,))}
  %lr = arith.constant 1.0 : f64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
"""

HEADER_MAPS = """#ew = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
"""

def call_ts(suffix, step, res):
    return (f"    %{res}:11 = func.call @train_step{suffix}(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %lr, {step}, %seed, %x, %labels)\n"
            f"        : ({TS_ARGS}) -> ({TS_RES})\n")

# ---------------------------------------------------------------- unbiased
K = 40
Q = 1000
M = 10000  # rows of the finite-difference reference
H = 1e-5
u = [f"""// RUN: flops-opt %s --flops-forward-train='queries={Q} optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01' --flops-reference-to-llvm | %run | FileCheck %s

// GENERATED by utils/gen_lr_tests.py; edit there, not here.
//
/// Unbiasedness of the likelihood-ratio estimate that @train_step builds
/// (docs/METHOD.md §5 item 1): a 3-4-2 tanh MLP in f64, B = 2 points, sigma = 0.01
/// at both sites, antithetic pairs, clean baseline. With SGD, lr = 1 and no
/// momentum, the estimate is p - p'. Its mean over {K} steps x {Q} queries per
/// point ({K*Q*B} rows) is compared with the exact gradient of the smoothed
/// loss, computed here by central differences (h = {H}) with common random
/// numbers over {M} independently perturbed rows of a hand-written noisy
/// forward: cosine > 0.999 and norm ratio within 1 +- 0.02.
""", HEADER_MAPS, forward("forward", B, False), helpers(), ts_decl(""),
      forward("noisy", M, True, ", %seed: i64, %step: i64")]
# smoothed loss over M rows: rows 0..M/2-1 -> point 0, rest -> point 1
u.append(f"""func.func @smoothed(%x: tensor<{B}x3xf64>, %labels: tensor<{B}xi32>, %w1: {t((3,4))}, %b1: {t((4,))}, %w2: {t((4,2))}, %b2: {t((2,))}) -> f64 {{
  %e = tensor.empty() : tensor<{M}x3xf64>
  %xr = linalg.generic {{indexing_maps = [#ew], iterator_types = ["parallel", "parallel"]}} outs(%e : tensor<{M}x3xf64>) {{
  ^bb0(%o: f64):
    %r = linalg.index 0 : index
    %j = linalg.index 1 : index
    %half = arith.constant {M // 2} : index
    %p = arith.divui %r, %half : index
    %v = tensor.extract %x[%p, %j] : tensor<{B}x3xf64>
    linalg.yield %v : f64
  }} -> tensor<{M}x3xf64>
  %seed = arith.constant 4242 : i64
  %step = arith.constant 0 : i64
  %y = call @noisy(%xr, %w1, %b1, %w2, %b2, %seed, %step) : (tensor<{M}x3xf64>, {PT}, i64, i64) -> tensor<{M}x2xf64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cm = arith.constant {M} : index
  %z = arith.constant 0.0 : f64
  %tot = scf.for %r = %c0 to %cm step %c1 iter_args(%acc = %z) -> f64 {{
    %half = arith.constant {M // 2} : index
    %p = arith.divui %r, %half : index
    %lab = tensor.extract %labels[%p] : tensor<{B}xi32>
    %li = arith.index_cast %lab : i32 to index
    %a = tensor.extract %y[%r, %c0] : tensor<{M}x2xf64>
    %b = tensor.extract %y[%r, %c1] : tensor<{M}x2xf64>
    %mx = arith.maximumf %a, %b : f64
    %ea = arith.subf %a, %mx : f64
    %eb = arith.subf %b, %mx : f64
    %xa = math.exp %ea : f64
    %xb = math.exp %eb : f64
    %s = arith.addf %xa, %xb : f64
    %ls = math.log %s : f64
    %lse = arith.addf %ls, %mx : f64
    %yl = tensor.extract %y[%r, %li] : tensor<{M}x2xf64>
    %l = arith.subf %lse, %yl : f64
    %acc2 = arith.addf %acc, %l : f64
    scf.yield %acc2 : f64
  }}
  %n = arith.constant {float(M)} : f64
  %mean = arith.divf %tot, %n : f64
  return %mean : f64
}}
""")
# FD per param tensor
for k, (name, shape) in enumerate(PARAMS):
    n = 1
    for s in shape: n *= s
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.insert(0, acc); acc *= s
    lines = []
    ix = []
    for i, st in enumerate(strides):
        lines.append(f"    %st{i} = arith.constant {st} : index\n    %sz{i} = arith.constant {shape[i]} : index\n    %q{i} = arith.divui %j, %st{i} : index\n    %i{i} = arith.remui %q{i}, %sz{i} : index")
        ix.append(f"%i{i}")
    ixs = ", ".join(ix)
    args_p = ", ".join("%tp" if nm == name else "%" + nm for nm, _ in PARAMS)
    args_m = ", ".join("%tm" if nm == name else "%" + nm for nm, _ in PARAMS)
    u.append(f"""func.func @fd_{name}(%x: tensor<{B}x3xf64>, %labels: tensor<{B}xi32>, %w1: {t((3,4))}, %b1: {t((4,))}, %w2: {t((4,2))}, %b2: {t((2,))}) -> {t(shape)} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {n} : index
  %h = arith.constant {H:.17e} : f64
  %inv2h = arith.constant {1.0 / (2 * H):.17e} : f64
  %g0 = call @zeros_{name}() : () -> {t(shape)}
  %g = scf.for %j = %c0 to %n step %c1 iter_args(%g1 = %g0) -> {t(shape)} {{
{chr(10).join(lines)}
    %v = tensor.extract %{name}[{ixs}] : {t(shape)}
    %vp = arith.addf %v, %h : f64
    %vm = arith.subf %v, %h : f64
    %tp = tensor.insert %vp into %{name}[{ixs}] : {t(shape)}
    %tm = tensor.insert %vm into %{name}[{ixs}] : {t(shape)}
    %lp = func.call @smoothed(%x, %labels, {args_p}) : (tensor<{B}x3xf64>, tensor<{B}xi32>, {PT}) -> f64
    %lm = func.call @smoothed(%x, %labels, {args_m}) : (tensor<{B}x3xf64>, tensor<{B}xi32>, {PT}) -> f64
    %d = arith.subf %lp, %lm : f64
    %gj = arith.mulf %d, %inv2h : f64
    %g2 = tensor.insert %gj into %g1[{ixs}] : {t(shape)}
    scf.yield %g2 : {t(shape)}
  }}
  return %g : {t(shape)}
}}
""")
u.append("func.func @main() {\n" + init_block())
u.append(f"  %ck = arith.constant {K} : index")
u.append(f"  %a1 = call @zeros_w1() : () -> {t((3,4))}\n  %a2 = call @zeros_b1() : () -> {t((4,))}\n  %a3 = call @zeros_w2() : () -> {t((4,2))}\n  %a4 = call @zeros_b2() : () -> {t((2,))}")
u.append(f"  %sums:4 = scf.for %i = %c0 to %ck step %c1 iter_args(%s1 = %a1, %s2 = %a2, %s3 = %a3, %s4 = %a4) -> ({PT}) {{\n    %st = arith.index_cast %i : index to i64")
u.append(call_ts("", "%st", "o"))
for k, (name, shape) in enumerate(PARAMS):
    u.append(f"    %g{k} = func.call @sub_{name}(%{name}, %o#{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}\n    %n{k} = func.call @add_{name}(%s{k+1}, %g{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}")
u.append(f"    scf.yield %n0, %n1, %n2, %n3 : {PT}\n  }}")
u.append(f"  %invk = arith.constant {1.0 / K:.17e} : f64")
for k, (name, shape) in enumerate(PARAMS):
    u.append(f"  %mean{k} = call @scale_{name}(%sums#{k}, %invk) : ({t(shape)}, f64) -> {t(shape)}\n  %fd{k} = call @fd_{name}(%x, %labels, %w1, %b1, %w2, %b2) : (tensor<{B}x3xf64>, tensor<{B}xi32>, {PT}) -> {t(shape)}\n  %mf{k} = call @dot_{name}(%mean{k}, %fd{k}) : ({t(shape)}, {t(shape)}) -> f64\n  %mm{k} = call @dot_{name}(%mean{k}, %mean{k}) : ({t(shape)}, {t(shape)}) -> f64\n  %ff{k} = call @dot_{name}(%fd{k}, %fd{k}) : ({t(shape)}, {t(shape)}) -> f64")
u.append("""  %mf01 = arith.addf %mf0, %mf1 : f64
  %mf012 = arith.addf %mf01, %mf2 : f64
  %mf = arith.addf %mf012, %mf3 : f64
  %mm01 = arith.addf %mm0, %mm1 : f64
  %mm012 = arith.addf %mm01, %mm2 : f64
  %mm = arith.addf %mm012, %mm3 : f64
  %ff01 = arith.addf %ff0, %ff1 : f64
  %ff012 = arith.addf %ff01, %ff2 : f64
  %ff = arith.addf %ff012, %ff3 : f64
  %nm = math.sqrt %mm : f64
  %nf = math.sqrt %ff : f64
  %den = arith.mulf %nm, %nf : f64
  %cos = arith.divf %mf, %den : f64
  %ratio = arith.divf %nm, %nf : f64
  vector.print str "cosine "
  vector.print %cos : f64
  vector.print str "norm ratio "
  vector.print %ratio : f64
  vector.print str "exact gradient norm "
  vector.print %nf : f64
  %tc = arith.constant 0.999 : f64
  %okc = arith.cmpf ogt, %cos, %tc : f64
  %lo = arith.constant 0.98 : f64
  %hi = arith.constant 1.02 : f64
  %okl = arith.cmpf ogt, %ratio, %lo : f64
  %okh = arith.cmpf olt, %ratio, %hi : f64
  %okr = arith.andi %okl, %okh : i1
  // CHECK: cosine above 0.999 1
  vector.print str "cosine above 0.999 "
  vector.print %okc : i1
  // CHECK: norm ratio within 1 +- 0.02 1
  vector.print str "norm ratio within 1 +- 0.02 "
  vector.print %okr : i1
  return
}""")
lr_text = "\n".join(u) + "\n"
open("test/Integration/CPU/lr-unbiased.mlir", "w").write(lr_text)

# perturb=layer-wise: the same harness; every query row perturbs one of the
# two sites, and each site's estimate is scaled by 2.
QL = 16000
lr_doc = lr_text[lr_text.index("/// Unbiasedness"):lr_text.index("\n\n#ew")]
lw_doc = f"""/// Unbiasedness of the layer-wise likelihood-ratio estimate (perturb=layer-wise,
/// docs/METHOD.md §2.4): every query row perturbs one of the S = 2 sites,
/// (pair + phase) mod 2 with a phase drawn per step from (seed, step), and
/// site k's estimate sums S w_r R_r over its rows (each row perturbs k with
/// probability 1/S). The model and reference are those of lr-unbiased.mlir
/// (B = 2 points, sigma = 0.01, antithetic pairs, clean baseline, SGD lr = 1,
/// the estimate is p - p'), with {QL} queries per point: each site sees half
/// of them, and the estimate's variance is about S times LR's. Its mean over
/// {K} steps is compared with the exact gradient of the smoothed loss (noise
/// at both sites; the difference to the smoothing at one site at a time is
/// O(sigma^2), far below the tolerances): cosine > 0.999 and norm ratio
/// within 1 +- 0.02 (measured 0.9944 here; four other seeds 0.9985-1.0052). A
/// missing factor S would give a norm ratio of 0.5 (by construction; this
/// mutation was not run)."""
lw_text = lr_text.replace(lr_doc, lw_doc).replace(
    f"--flops-forward-train='queries={Q} optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01'",
    f"--flops-forward-train='queries={QL} optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01 perturb=layer-wise'", 1)
assert lw_text != lr_text
open("test/Integration/CPU/lr-layerwise-unbiased.mlir", "w").write(lw_text)

# ---------------------------------------------------------------- variance
R = 1000
v = [f"""// RUN: flops-opt %s --flops-forward-train='queries=4 optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01 suffix=_q4' --flops-forward-train='queries=16 optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01 suffix=_q16' --flops-reference-to-llvm | %run | FileCheck %s

// GENERATED by utils/gen_lr_tests.py; edit there, not here.
//
/// Variance of the likelihood-ratio estimate falls as 1/q (docs/METHOD.md §5
/// item 4): the trace of the covariance of the estimate (p - p' with SGD,
/// lr = 1), measured over {R} independent steps, at q = 4 and q = 16 queries
/// per point. The ratio must be 4 within 20% (its standard error at {R}
/// repetitions is about 6%).
""", HEADER_MAPS, forward("forward", B, False), helpers(), ts_decl("_q4"), ts_decl("_q16")]
for suffix in ["_q4", "_q16"]:
    v.append(f"""func.func @trace{suffix}(%w1: {t((3,4))}, %b1: {t((4,))}, %w2: {t((4,2))}, %b2: {t((2,))}, %m1: {t((3,4))}, %m2: {t((4,))}, %m3: {t((4,2))}, %m4: {t((2,))}, %rho1: {t((4,))}, %rho2: {t((2,))}, %seed: i64, %x: tensor<{B}x3xf64>, %labels: tensor<{B}xi32>) -> f64 {{
  %lr = arith.constant 1.0 : f64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cr = arith.constant {R} : index
  %a1 = call @zeros_w1() : () -> {t((3,4))}
  %a2 = call @zeros_b1() : () -> {t((4,))}
  %a3 = call @zeros_w2() : () -> {t((4,2))}
  %a4 = call @zeros_b2() : () -> {t((2,))}
  %acc:8 = scf.for %i = %c0 to %cr step %c1 iter_args(%s1 = %a1, %s2 = %a2, %s3 = %a3, %s4 = %a4, %q1 = %a1, %q2 = %a2, %q3 = %a3, %q4 = %a4) -> ({PT}, {PT}) {{
    %st = arith.index_cast %i : index to i64
{call_ts(suffix, "%st", "o")}""")
    for k, (name, shape) in enumerate(PARAMS):
        v.append(f"    %g{k} = func.call @sub_{name}(%{name}, %o#{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}\n    %n{k} = func.call @add_{name}(%s{k+1}, %g{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}\n    %gg{k} = func.call @sq_{name}(%g{k}) : ({t(shape)}) -> {t(shape)}\n    %nq{k} = func.call @add_{name}(%q{k+1}, %gg{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}")
    v.append(f"    scf.yield %n0, %n1, %n2, %n3, %nq0, %nq1, %nq2, %nq3 : {PT}, {PT}\n  }}")
    v.append(f"  %invr = arith.constant {1.0 / R:.17e} : f64\n  %z = arith.constant 0.0 : f64")
    prev = "%z"
    for k, (name, shape) in enumerate(PARAMS):
        v.append(f"""  %mean{k} = call @scale_{name}(%acc#{k}, %invr) : ({t(shape)}, f64) -> {t(shape)}
  %ex2_{k} = call @sum_{name}(%acc#{k+4}) : ({t(shape)}) -> f64
  %m2_{k} = call @dot_{name}(%mean{k}, %mean{k}) : ({t(shape)}, {t(shape)}) -> f64
  %e2s{k} = arith.mulf %ex2_{k}, %invr : f64
  %var{k} = arith.subf %e2s{k}, %m2_{k} : f64
  %tr{k} = arith.addf {prev}, %var{k} : f64""")
        prev = f"%tr{k}"
    v.append(f"  %bessel = arith.constant {R / (R - 1):.17e} : f64\n  %trace = arith.mulf {prev}, %bessel : f64\n  return %trace : f64\n}}\n")
v.append("func.func @main() {\n" + init_block())
v.append(f"""  %t4 = call @trace_q4(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %seed, %x, %labels) : ({STATE}, i64, tensor<{B}x3xf64>, tensor<{B}xi32>) -> f64
  %t16 = call @trace_q16(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %seed, %x, %labels) : ({STATE}, i64, tensor<{B}x3xf64>, tensor<{B}xi32>) -> f64
  %ratio = arith.divf %t4, %t16 : f64
  vector.print str "trace q=4 "
  vector.print %t4 : f64
  vector.print str "trace q=16 "
  vector.print %t16 : f64
  vector.print str "ratio "
  vector.print %ratio : f64
  %lo = arith.constant 3.2 : f64
  %hi = arith.constant 4.8 : f64
  %okl = arith.cmpf ogt, %ratio, %lo : f64
  %okh = arith.cmpf olt, %ratio, %hi : f64
  %ok = arith.andi %okl, %okh : i1
  // CHECK: ratio within 4 +- 20% 1
  vector.print str "ratio within 4 +- 20% "
  vector.print %ok : i1
  return
}}""")
open("test/Integration/CPU/lr-variance.mlir", "w").write("\n".join(v) + "\n")

# ---------------------------------------------------------------- V-hat
# The variance proxy (metrics[4]) against the measured tr Cov, with the
# Neyman allocator pinned to A = (4, 4) by an equal statistics table.
RV = 2000
NS = f"tensor<2x2xf64>"
VS_ARGS = STATE + f", {NS}, f64, i64, i64, tensor<{B}x3xf64>, tensor<{B}xi32>, tensor<{B}xi32>"
VS_RES = STATE + f", {NS}, tensor<5xf64>"
vopts = "allocator=neyman neyman-points=2 neyman-kappa=0 budget=8 min-queries=2 optimizer=sgd momentum=0 freeze-sigma=true sigma=0.01"
vh = [f"""// RUN: flops-opt %s --flops-forward-train='{vopts} suffix=_cl' --flops-forward-train='{vopts} baseline=none suffix=_nb' --flops-reference-to-llvm | %run | FileCheck %s

// GENERATED by utils/gen_lr_tests.py; edit there, not here.
//
/// The variance proxy V-hat that the Gaussian and Neyman allocators minimise
/// (docs/METHOD.md §3.2, §5 item 14b) against the measured trace of the
/// covariance of the estimate (p - p' with SGD, lr = 1, {RV} steps), on the
/// 3-4-2 tanh MLP of lr-variance.mlir, B = 2, 4 queries per point (A = (4, 4):
/// the Neyman allocator with an equal statistics table), sigma = 0.01,
/// antithetic pairs. V-hat is a second moment, so its mean exceeds tr Cov by
/// (1/B^2) sum_i |g_i|^2 / (A_i/2); on this model the ratio is about 1.1.
/// Both with the clean-loss baseline (the two rows of a pair give nearly the
/// same estimate: a proxy that counted rows as independent draws read 0.5)
/// and without a baseline (the rows' terms are large and cancel in the pair:
/// counted per row the proxy is orders of magnitude too large), the ratio
/// mean V-hat / tr Cov must lie in [0.9, 1.4].
""", HEADER_MAPS, forward("forward", B, False), helpers()]
for suffix in ["_cl", "_nb"]:
    vh.append(f"func.func private @train_step{suffix}({VS_ARGS}) -> ({VS_RES})\n")
for suffix in ["_cl", "_nb"]:
    vh.append(f"""func.func @ratio{suffix}(%w1: {t((3,4))}, %b1: {t((4,))}, %w2: {t((4,2))}, %b2: {t((2,))}, %m1: {t((3,4))}, %m2: {t((4,))}, %m3: {t((4,2))}, %m4: {t((2,))}, %rho1: {t((4,))}, %rho2: {t((2,))}, %seed: i64, %x: tensor<{B}x3xf64>, %labels: tensor<{B}xi32>) -> f64 {{
  %lr = arith.constant 1.0 : f64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cr = arith.constant {RV} : index
  %ns = arith.constant dense<[[1000.0, 1.0], [1000.0, 1.0]]> : {NS}
  %ids = arith.constant dense<[0, 1]> : tensor<{B}xi32>
  %zf = arith.constant 0.0 : f64
  %a1 = call @zeros_w1() : () -> {t((3,4))}
  %a2 = call @zeros_b1() : () -> {t((4,))}
  %a3 = call @zeros_w2() : () -> {t((4,2))}
  %a4 = call @zeros_b2() : () -> {t((2,))}
  %acc:9 = scf.for %i = %c0 to %cr step %c1 iter_args(%s1 = %a1, %s2 = %a2, %s3 = %a3, %s4 = %a4, %q1 = %a1, %q2 = %a2, %q3 = %a3, %q4 = %a4, %vs = %zf) -> ({PT}, {PT}, f64) {{
    %st = arith.index_cast %i : index to i64
    %o:12 = func.call @train_step{suffix}(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %ns, %lr, %st, %seed, %x, %labels, %ids)
        : ({VS_ARGS}) -> ({VS_RES})
    %vh = tensor.extract %o#11[%c4] : tensor<5xf64>
    %nvs = arith.addf %vs, %vh : f64""")
    for k, (name, shape) in enumerate(PARAMS):
        vh.append(f"    %g{k} = func.call @sub_{name}(%{name}, %o#{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}\n    %n{k} = func.call @add_{name}(%s{k+1}, %g{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}\n    %gg{k} = func.call @sq_{name}(%g{k}) : ({t(shape)}) -> {t(shape)}\n    %nq{k} = func.call @add_{name}(%q{k+1}, %gg{k}) : ({t(shape)}, {t(shape)}) -> {t(shape)}")
    vh.append(f"    scf.yield %n0, %n1, %n2, %n3, %nq0, %nq1, %nq2, %nq3, %nvs : {PT}, {PT}, f64\n  }}")
    vh.append(f"  %invr = arith.constant {1.0 / RV:.17e} : f64\n  %z = arith.constant 0.0 : f64")
    prev = "%z"
    for k, (name, shape) in enumerate(PARAMS):
        vh.append(f"""  %mean{k} = call @scale_{name}(%acc#{k}, %invr) : ({t(shape)}, f64) -> {t(shape)}
  %ex2_{k} = call @sum_{name}(%acc#{k+4}) : ({t(shape)}) -> f64
  %m2_{k} = call @dot_{name}(%mean{k}, %mean{k}) : ({t(shape)}, {t(shape)}) -> f64
  %e2s{k} = arith.mulf %ex2_{k}, %invr : f64
  %var{k} = arith.subf %e2s{k}, %m2_{k} : f64
  %tr{k} = arith.addf {prev}, %var{k} : f64""")
        prev = f"%tr{k}"
    vh.append(f"""  %bessel = arith.constant {RV / (RV - 1):.17e} : f64
  %trace = arith.mulf {prev}, %bessel : f64
  %vmean = arith.mulf %acc#8, %invr : f64
  %ratio = arith.divf %vmean, %trace : f64
  vector.print str "{suffix}: tr Cov "
  vector.print %trace : f64
  vector.print str "{suffix}: mean V-hat "
  vector.print %vmean : f64
  return %ratio : f64
}}
""")
vh.append("func.func @main() {\n" + init_block())
vh.append(f"""  %rcl = call @ratio_cl(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %seed, %x, %labels) : ({STATE}, i64, tensor<{B}x3xf64>, tensor<{B}xi32>) -> f64
  %rnb = call @ratio_nb(%w1, %b1, %w2, %b2, %m1, %m2, %m3, %m4, %rho1, %rho2, %seed, %x, %labels) : ({STATE}, i64, tensor<{B}x3xf64>, tensor<{B}xi32>) -> f64
  vector.print str "clean baseline: V-hat / tr Cov "
  vector.print %rcl : f64
  vector.print str "no baseline: V-hat / tr Cov "
  vector.print %rnb : f64
  %lo = arith.constant 0.9 : f64
  %hi = arith.constant 1.4 : f64
  %l1 = arith.cmpf ogt, %rcl, %lo : f64
  %h1 = arith.cmpf olt, %rcl, %hi : f64
  %ok1 = arith.andi %l1, %h1 : i1
  %l2 = arith.cmpf ogt, %rnb, %lo : f64
  %h2 = arith.cmpf olt, %rnb, %hi : f64
  %ok2 = arith.andi %l2, %h2 : i1
  // CHECK: clean baseline: ratio in [0.9, 1.4] 1
  vector.print str "clean baseline: ratio in [0.9, 1.4] "
  vector.print %ok1 : i1
  // CHECK: no baseline: ratio in [0.9, 1.4] 1
  vector.print str "no baseline: ratio in [0.9, 1.4] "
  vector.print %ok2 : i1
  return
}}""")
open("test/Integration/CPU/vhat-pairs.mlir", "w").write("\n".join(vh) + "\n")
