#!/usr/bin/env python3
# Generates test/Integration/CPU/rules.mlir: run `python3 utils/gen_rules_test.py`
# from the repository root after changing the cases below.
cases = []
def shape_str(s): return "x".join(map(str, s))
def ttype(s): return f"tensor<{shape_str(s)}xf64>"

def conv(name, xs, ws, stride, pad, dil=1):
    n, c, h, w = xs
    f, _, kh, kw = ws
    hp, wp = h + 2*pad, w + 2*pad
    oh = (hp - dil*(kh-1) - 1)//stride + 1
    ow = (wp - dil*(kw-1) - 1)//stride + 1
    out = (n, f, oh, ow)
    body = []
    xin = "%x"
    if pad:
        body.append(f"  %zp = arith.constant 0.0 : f64")
        body.append(f"  %xp = tensor.pad %x low[0, 0, {pad}, {pad}] high[0, 0, {pad}, {pad}] {{\n  ^bb0(%i: index, %j: index, %k: index, %l: index):\n    tensor.yield %zp : f64\n  }} : {ttype(xs)} to {ttype((n,c,hp,wp))}")
        xin = "%xp"
    body.append(f"  %z = arith.constant 0.0 : f64")
    body.append(f"  %e = tensor.empty() : {ttype(out)}")
    body.append(f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}")
    body.append(f"  %y = linalg.conv_2d_nchw_fchw {{dilations = dense<{dil}> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>, flops.test.vjp = 1 : i64}} ins({xin}, %w : {ttype((n,c,hp,wp))}, {ttype(ws)}) outs(%f : {ttype(out)}) -> {ttype(out)}")
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"conv stride {stride} padding {pad} dilation {dil}"))

def matmul(name, xs, ws, idx):
    out = (xs[0], ws[1])
    body = [f"  %z = arith.constant 0.0 : f64",
            f"  %e = tensor.empty() : {ttype(out)}",
            f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}",
            f"  %y = linalg.matmul {{flops.test.vjp = {idx} : i64}} ins(%x, %w : {ttype(xs)}, {ttype(ws)}) outs(%f : {ttype(out)}) -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"matmul input {idx}", wrt=idx))

def bias(name, xs):
    ws = (xs[1],)
    out = xs
    body = [f"  %e = tensor.empty() : {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"], flops.test.vjp = 1 : i64}} ins(%x, %w : {ttype(xs)}, {ttype(ws)}) outs(%e : {ttype(out)}) {{\n  ^bb0(%a: f64, %b: f64, %o: f64):\n    %s = arith.addf %a, %b : f64\n    linalg.yield %s : f64\n  }} -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc="bias add"))

def scale(name, xs):
    # y = 3 - x * w / 2 : linear in w through mulf, divf, subf.
    ws = (xs[1],)
    out = xs
    body = [f"  %e = tensor.empty() : {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"], flops.test.vjp = 1 : i64}} ins(%x, %w : {ttype(xs)}, {ttype(ws)}) outs(%e : {ttype(out)}) {{\n  ^bb0(%a: f64, %b: f64, %o: f64):\n    %m = arith.mulf %a, %b : f64\n    %two = arith.constant 2.0 : f64\n    %h = arith.divf %m, %two : f64\n    %three = arith.constant 3.0 : f64\n    %s = arith.subf %three, %h : f64\n    linalg.yield %s : f64\n  }} -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc="affine scale 3 - x*w/2"))

def pad_input(body, xs, pad):
    n, c, h, w = xs
    if not pad:
        return "%x", xs
    body.append(f"  %zp = arith.constant 0.0 : f64")
    body.append(f"  %xp = tensor.pad %x low[0, 0, {pad}, {pad}] high[0, 0, {pad}, {pad}] {{\n  ^bb0(%i: index, %j: index, %k: index, %l: index):\n    tensor.yield %zp : f64\n  }} : {ttype(xs)} to {ttype((n,c,h+2*pad,w+2*pad))}")
    return "%xp", (n, c, h+2*pad, w+2*pad)

def grouped_conv(name, xs, ws, groups, stride, pad, dil=1, desc=None):
    # As lib/Import/Onnx/LinearOps.cpp writes a grouped (or depthwise)
    # convolution: a generic reading x[n, (f floordiv Fg) * Cg + c, ...].
    n, c, h, w = xs
    f, cg, kh, kw = ws
    fg = f // groups
    assert cg * groups == c
    body = []
    xin, pxs = pad_input(body, xs, pad)
    oh = (pxs[2] - dil*(kh-1) - 1)//stride + 1
    ow = (pxs[3] - dil*(kw-1) - 1)//stride + 1
    out = (n, f, oh, ow)
    dims = "d0, d1, d2, d3, d4, d5, d6"  # n, f, oh, ow, c, kh, kw
    xmap = f"affine_map<({dims}) -> (d0, (d1 floordiv {fg}) * {cg} + d4, d2 * {stride} + d5 * {dil}, d3 * {stride} + d6 * {dil})>"
    wmap = f"affine_map<({dims}) -> (d1, d4, d5, d6)>"
    omap = f"affine_map<({dims}) -> (d0, d1, d2, d3)>"
    iters = ", ".join(['"parallel"']*4 + ['"reduction"']*3)
    body.append(f"  %z = arith.constant 0.0 : f64")
    body.append(f"  %e = tensor.empty() : {ttype(out)}")
    body.append(f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}")
    body.append(f"  %y = linalg.generic {{indexing_maps = [{xmap}, {wmap}, {omap}], iterator_types = [{iters}], flops.test.vjp = 1 : i64}} ins({xin}, %w : {ttype(pxs)}, {ttype(ws)}) outs(%f : {ttype(out)}) {{\n  ^bb0(%a: f64, %b: f64, %o: f64):\n    %p = arith.mulf %a, %b : f64\n    %s = arith.addf %o, %p : f64\n    linalg.yield %s : f64\n  }} -> {ttype(out)}")
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=desc or f"grouped conv generic, {groups} groups, stride {stride} padding {pad} dilation {dil}"))

def named_grouped_conv(name, xs, ws, stride, pad):
    # linalg.conv_2d_ngchw_gfchw: x (n, g, c, h, w), w (g, f, c, kh, kw).
    n, g, c, h, w = xs
    _, f, _, kh, kw = ws
    body = []
    hp, wp = h + 2*pad, w + 2*pad
    xin, pxs = "%x", xs
    if pad:
        body.append(f"  %zp = arith.constant 0.0 : f64")
        body.append(f"  %xp = tensor.pad %x low[0, 0, 0, {pad}, {pad}] high[0, 0, 0, {pad}, {pad}] {{\n  ^bb0(%i: index, %j: index, %k: index, %l: index, %m: index):\n    tensor.yield %zp : f64\n  }} : {ttype(xs)} to {ttype((n,g,c,hp,wp))}")
        xin, pxs = "%xp", (n, g, c, hp, wp)
    oh = (hp - kh)//stride + 1
    ow = (wp - kw)//stride + 1
    out = (n, g, f, oh, ow)
    body.append(f"  %z = arith.constant 0.0 : f64")
    body.append(f"  %e = tensor.empty() : {ttype(out)}")
    body.append(f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}")
    body.append(f"  %y = linalg.conv_2d_ngchw_gfchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>, flops.test.vjp = 1 : i64}} ins({xin}, %w : {ttype(pxs)}, {ttype(ws)}) outs(%f : {ttype(out)}) -> {ttype(out)}")
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"conv_2d_ngchw_gfchw stride {stride} padding {pad}"))

def named_depthwise(name, xs, ws, stride, pad):
    # linalg.depthwise_conv_2d_nchw_chw: w (c, kh, kw).
    n, c, h, w = xs
    _, kh, kw = ws
    body = []
    xin, pxs = pad_input(body, xs, pad)
    oh = (pxs[2] - kh)//stride + 1
    ow = (pxs[3] - kw)//stride + 1
    out = (n, c, oh, ow)
    body.append(f"  %z = arith.constant 0.0 : f64")
    body.append(f"  %e = tensor.empty() : {ttype(out)}")
    body.append(f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}")
    body.append(f"  %y = linalg.depthwise_conv_2d_nchw_chw {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>, flops.test.vjp = 1 : i64}} ins({xin}, %w : {ttype(pxs)}, {ttype(ws)}) outs(%f : {ttype(out)}) -> {ttype(out)}")
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"depthwise_conv_2d_nchw_chw stride {stride} padding {pad}"))

def embedding(name, xs, ws):
    # A gather from the table %w as the ONNX importer writes Gather: ids
    # (computed here from %x, with repeats) select rows of the table in the
    # body of a generic (a negative id wraps around).
    n, t = xs
    v, d = ws
    out = (n, t, d)
    ids = f"tensor<{n}x{t}xi64>"
    body = [f"  %ei = tensor.empty() : {ids}",
            f"  %ids = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"]}} ins(%x : {ttype(xs)}) outs(%ei : {ids}) {{\n  ^bb0(%a: f64, %o: i64):\n    %two = arith.constant 2.0 : f64\n    %s = arith.mulf %a, %two : f64\n    %i = arith.fptosi %s : f64 to i64\n    %nv = arith.constant {v} : i64\n    %r = arith.remsi %i, %nv : i64\n    linalg.yield %r : i64\n  }} -> {ids}",
            f"  %e = tensor.empty() : {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = [\"parallel\", \"parallel\", \"parallel\"], flops.test.vjp_captured}} ins(%ids : {ids}) outs(%e : {ttype(out)}) {{\n  ^bb0(%i: i64, %o: f64):\n    %k = arith.index_cast %i : i64 to index\n    %c0 = arith.constant 0 : index\n    %neg = arith.cmpi slt, %k, %c0 : index\n    %cv = arith.constant {v} : index\n    %kw = arith.addi %k, %cv : index\n    %kk = arith.select %neg, %kw, %k : index\n    %j = linalg.index 2 : index\n    %val = tensor.extract %w[%kk, %j] : {ttype(ws)}\n    linalg.yield %val : f64\n  }} -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc="embedding gather (scatter-add of delta into the looked-up rows)"))

def indexed_projection(name, xs, ws, at):
    # As lib/Import/Onnx/RecurrentOps.cpp reads W [1, G*H, I] through
    # (s, b, n, k) -> (0, n, k): a contraction reading the weight at a
    # constant index of its first dimension (here a non-unit one: the rest
    # of the weight gets no gradient).
    s_, b_, i_ = xs
    _, n_, _ = ws
    out = (s_, b_, n_)
    dims = "d0, d1, d2, d3"  # s, b, n, k
    body = [f"  %z = arith.constant 0.0 : f64",
            f"  %e = tensor.empty() : {ttype(out)}",
            f"  %f = linalg.fill ins(%z : f64) outs(%e : {ttype(out)}) -> {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [affine_map<({dims}) -> (d0, d1, d3)>, affine_map<({dims}) -> ({at}, d2, d3)>, affine_map<({dims}) -> (d0, d1, d2)>], iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"reduction\"], flops.test.vjp = 1 : i64}} ins(%x, %w : {ttype(xs)}, {ttype(ws)}) outs(%f : {ttype(out)}) {{\n  ^bb0(%a: f64, %b: f64, %o: f64):\n    %p = arith.mulf %a, %b : f64\n    %s = arith.addf %o, %p : f64\n    linalg.yield %s : f64\n  }} -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"contraction reading the weight at constant index {at}"))

def indexed_bias(name, xs, ws, at):
    # A bias read from a parameter view at constant indices, as the importer
    # reads a recurrent net's hidden bias from B viewed as [1, 2, G*H]:
    # (d0, d1) -> (0, 1, d1).
    out = xs
    body = [f"  %e = tensor.empty() : {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (0, {at}, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"], flops.test.vjp = 1 : i64}} ins(%x, %w : {ttype(xs)}, {ttype(ws)}) outs(%e : {ttype(out)}) {{\n  ^bb0(%a: f64, %b: f64, %o: f64):\n    %s = arith.addf %a, %b : f64\n    linalg.yield %s : f64\n  }} -> {ttype(out)}"]
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"bias add reading the parameter at constant indices (0, {at})"))

def bn_affine(name, xs, which):
    """The importer's inference BatchNormalization, (x - mean) * inv * scale
    + bias per channel (d1), differentiated with respect to the scale
    (which = 3) or the bias (which = 4); mean, inv and the other affine
    vector are constants."""
    out = xs
    c = xs[1]
    vec = lambda vals: f"arith.constant dense<[{', '.join(vals)}]> : {ttype((c,))}"
    ws = (c,)
    mean = vec([f"{0.1 * (i + 1):.1f}" for i in range(c)])
    inv = vec([f"{1.0 / (i + 2):.6f}" for i in range(c)])
    other = vec([f"{0.25 * (i - 1):.2f}" for i in range(c)])
    ins = "%x, %mean, %inv, %w, %other" if which == 3 else "%x, %mean, %inv, %other, %w"
    idm = "affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>"
    chm = "affine_map<(d0, d1, d2, d3) -> (d1)>"
    t4, tc = ttype(xs), ttype((c,))
    body = [f"  %mean = {mean}", f"  %inv = {inv}", f"  %other = {other}",
            f"  %e = tensor.empty() : {ttype(out)}",
            f"  %y = linalg.generic {{indexing_maps = [{idm}, {chm}, {chm}, {chm}, {chm}, {idm}], iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"parallel\"], flops.test.vjp = {which} : i64}} ins({ins} : {t4}, {tc}, {tc}, {tc}, {tc}) outs(%e : {t4}) {{\n  ^bb0(%a: f64, %m: f64, %i: f64, %s: f64, %b: f64, %o: f64):\n    %xc = arith.subf %a, %m : f64\n    %xh = arith.mulf %xc, %i : f64\n    %ys = arith.mulf %xh, %s : f64\n    %r = arith.addf %ys, %b : f64\n    linalg.yield %r : f64\n  }} -> {t4}"]
    what = "scale" if which == 3 else "bias"
    cases.append(dict(name=name, xs=xs, ws=ws, out=out, body=body, desc=f"BatchNorm (inference) affine {what}"))

conv("conv_s1_p0", (2,3,6,6), (4,3,3,3), 1, 0)
conv("conv_s1_p1", (2,3,6,6), (4,3,3,3), 1, 1)
conv("conv_s2_p0", (2,3,7,7), (4,3,3,3), 2, 0)
conv("conv_s2_p1", (2,3,7,7), (4,3,3,3), 2, 1)
conv("conv_s1_p0_d2", (1,2,7,7), (3,2,3,3), 1, 0, 2)
matmul("matmul_w", (5,3), (3,4), 1)
matmul("matmul_x", (5,3), (3,4), 0)
grouped_conv("gconv_g2_s1_p1", (2,4,6,6), (6,2,3,3), 2, 1, 1)
grouped_conv("gconv_g3_s2_p0_d2", (2,6,9,9), (3,2,3,3), 3, 2, 0, 2)
grouped_conv("dwconv_s1_p1", (2,4,6,6), (4,1,3,3), 4, 1, 1, desc="depthwise conv generic stride 1 padding 1")
grouped_conv("dwconv_m2_s2_p1", (2,3,7,7), (6,1,3,3), 3, 2, 1, desc="depthwise conv generic, multiplier 2, stride 2 padding 1")
named_grouped_conv("ngchw_s1_p1", (2,2,3,5,5), (2,4,3,3,3), 1, 1)
named_depthwise("dw_nchw_s2_p1", (2,3,7,7), (3,3,3), 2, 1)
embedding("embedding", (5,3), (4,6))
bias("bias", (5,4))
scale("scale", (5,4))
indexed_projection("proj_at0", (3,2,3), (1,4,3), 0)
indexed_projection("proj_at1", (3,2,3), (2,4,3), 1)
indexed_bias("bias_at1", (5,4), (1,2,4), 1)
bn_affine("bn_scale", (2,3,2,2), 3)
bn_affine("bn_bias", (2,3,2,2), 4)

out = []
out.append("""// RUN: flops-opt %s --flops-test-rule-vjp --flops-reference-to-llvm | %run | FileCheck %s

// GENERATED by utils/gen_rules_test.py; edit the cases there, not here.
//
/// The estimator rules (lib/Dialect/Flops/Rules) against the exact
/// vector-Jacobian product: for each op marked flops.test.vjp = k, the test
/// pass adds @<fn>_vjp(args, delta) = the rule's gradient with respect to
/// input k. Each op is linear in that input, so the central difference
/// (<delta, f(w + e_j)> - <delta, f(w - e_j)>) / 2 is exact up to rounding:
/// the largest deviation must be below 1e-9 (f64) for convolutions with
/// strides 1 and 2, padding 0 and 1 and dilation 2, grouped and depthwise
/// convolutions (the importer's generics and the named linalg ops), both
/// inputs of a matmul, an embedding gather (ids with repeats and negative
/// values), a bias add and an elementwise affine op, parameters read at
/// constant indices (a recurrent net's weight and bias views), and the
/// scale and bias of the importer's inference BatchNormalization.
""")
for c in cases:
    xs, ws, o = c["xs"], c["ws"], c["out"]
    wrt = c.get("wrt", 1)
    out.append(f"func.func @{c['name']}(%x: {ttype(xs)}, %w: {ttype(ws)}) -> {ttype(o)} {{")
    out += c["body"]
    out.append(f"  return %y : {ttype(o)}\n}}\n")
    out.append(f"func.func private @{c['name']}_vjp({ttype(xs)}, {ttype(ws)}, {ttype(o)}) -> {ttype(ws if wrt==1 else xs)}\n")
    # dot helper
    r = len(o)
    dims = ", ".join(f"d{i}" for i in range(r))
    iters = ", ".join(['"reduction"']*r)
    out.append(f"""func.func @{c['name']}_dot(%x: {ttype(xs)}, %w: {ttype(ws)}, %d: {ttype(o)}) -> f64 {{
  %y = call @{c['name']}(%x, %w) : ({ttype(xs)}, {ttype(ws)}) -> {ttype(o)}
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %s = linalg.generic {{indexing_maps = [affine_map<({dims}) -> ({dims})>, affine_map<({dims}) -> ({dims})>, affine_map<({dims}) -> ()>], iterator_types = [{iters}]}}
      ins(%y, %d : {ttype(o)}, {ttype(o)}) outs(%f : tensor<f64>) {{
  ^bb0(%a: f64, %b: f64, %acc: f64):
    %p = arith.mulf %a, %b : f64
    %q = arith.addf %acc, %p : f64
    linalg.yield %q : f64
  }} -> tensor<f64>
  %v = tensor.extract %s[] : tensor<f64>
  return %v : f64
}}
""")
    # check: FD over the elements of the input being differentiated
    target = ws if wrt == 1 else xs
    tname = "%w" if wrt == 1 else "%x"
    n = 1
    for s in target: n *= s
    # delinearize
    strides = []
    acc = 1
    for s in reversed(target):
        strides.insert(0, acc); acc *= s
    idx_lines = []
    idx_names = []
    for i, st in enumerate(strides):
        idx_lines.append(f"    %q{i} = arith.divui %j, %st{i} : index")
        idx_lines.append(f"    %i{i} = arith.remui %q{i}, %sz{i} : index")
        idx_names.append(f"%i{i}")
    consts = "\n".join(f"  %st{i} = arith.constant {st} : index\n  %sz{i} = arith.constant {target[i]} : index" for i, st in enumerate(strides))
    ix = ", ".join(idx_names)
    plus_call = f"call @{c['name']}_dot(%x, %tp, %d)" if wrt == 1 else f"call @{c['name']}_dot(%tp, %w, %d)"
    minus_call = f"call @{c['name']}_dot(%x, %tm, %d)" if wrt == 1 else f"call @{c['name']}_dot(%tm, %w, %d)"
    out.append(f"""func.func @{c['name']}_check(%x: {ttype(xs)}, %w: {ttype(ws)}, %d: {ttype(o)}) {{
  %g = call @{c['name']}_vjp(%x, %w, %d) : ({ttype(xs)}, {ttype(ws)}, {ttype(o)}) -> {ttype(target)}
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {n} : index
  %one = arith.constant 1.0 : f64
  %half = arith.constant 0.5 : f64
  %z = arith.constant 0.0 : f64
{consts}
  %err = scf.for %j = %c0 to %n step %c1 iter_args(%mx = %z) -> f64 {{
{chr(10).join(idx_lines)}
    %t0 = tensor.extract {tname}[{ix}] : {ttype(target)}
    %tpv = arith.addf %t0, %one : f64
    %tmv = arith.subf %t0, %one : f64
    %tp = tensor.insert %tpv into {tname}[{ix}] : {ttype(target)}
    %tm = tensor.insert %tmv into {tname}[{ix}] : {ttype(target)}
    %dp = func.{plus_call} : ({ttype(xs)}, {ttype(ws)}, {ttype(o)}) -> f64
    %dm = func.{minus_call} : ({ttype(xs)}, {ttype(ws)}, {ttype(o)}) -> f64
    %diff = arith.subf %dp, %dm : f64
    %exact = arith.mulf %diff, %half : f64
    %gj = tensor.extract %g[{ix}] : {ttype(target)}
    %dev = arith.subf %gj, %exact : f64
    %adev = math.absf %dev : f64
    %mx2 = arith.maximumf %mx, %adev : f64
    scf.yield %mx2 : f64
  }}
  %tol = arith.constant 1.0e-9 : f64
  %ok = arith.cmpf olt, %err, %tol : f64
  vector.print str "{c['desc']}: max deviation below 1e-9 "
  vector.print %ok : i1
  return
}}
""")
out.append("func.func @main() {\n  %seed = arith.constant 31 : i64")
for k, c in enumerate(cases):
    xs, ws, o = c["xs"], c["ws"], c["out"]
    out.append(f"""  %s{k} = arith.constant {k} : i64
  %x{k} = flops.normal %seed, %s{k} {{site = 1 : i64}} : {ttype(xs)}
  %w{k} = flops.normal %seed, %s{k} {{site = 2 : i64}} : {ttype(ws)}
  %d{k} = flops.normal %seed, %s{k} {{site = 3 : i64}} : {ttype(o)}
  // CHECK: {c['desc']}: max deviation below 1e-9 1
  call @{c['name']}_check(%x{k}, %w{k}, %d{k}) : ({ttype(xs)}, {ttype(ws)}, {ttype(o)}) -> ()""")
out.append("  return\n}")
open("test/Integration/CPU/rules.mlir", "w").write("\n".join(out) + "\n")
